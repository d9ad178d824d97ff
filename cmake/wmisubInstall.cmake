# Install rules: headers, the exported target, the CMake package and a pkg-config file.
# SPDX-License-Identifier: MIT
#
# A header-only library is architecture-independent, so the package files go to
# ${CMAKE_INSTALL_DATADIR} (share/), as nlohmann/json, CLI11 and magic_enum do.
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)

set(WMISUB_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/wmisub"
    CACHE STRING "Where wmisubConfig.cmake is installed, relative to the prefix")
set(WMISUB_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig"
    CACHE STRING "Where wmisub.pc is installed, relative to the prefix")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/wmisub" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.inl")

# The compiled mode travels as source: wmisubConfig.cmake builds wmisub::wmisub_compiled from the
# installed implementation unit in the consumer's own build, with the consumer's compiler and flags.
install(FILES "${PROJECT_SOURCE_DIR}/src/wmisub.cpp" DESTINATION "${WMISUB_INSTALL_CMAKEDIR}/src")
install(FILES "${CMAKE_CURRENT_LIST_DIR}/wmisubCompiled.cmake" DESTINATION "${WMISUB_INSTALL_CMAKEDIR}")

install(TARGETS wmisub EXPORT wmisubTargets)
install(EXPORT wmisubTargets NAMESPACE wmisub:: DESTINATION "${WMISUB_INSTALL_CMAKEDIR}")

configure_package_config_file(
    "${CMAKE_CURRENT_LIST_DIR}/wmisubConfig.cmake.in" "${PROJECT_BINARY_DIR}/wmisubConfig.cmake"
    INSTALL_DESTINATION "${WMISUB_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
    "${PROJECT_BINARY_DIR}/wmisubConfigVersion.cmake"
    VERSION "${PROJECT_VERSION}"
    COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/wmisubConfig.cmake" "${PROJECT_BINARY_DIR}/wmisubConfigVersion.cmake"
        DESTINATION "${WMISUB_INSTALL_CMAKEDIR}")

# pkg-config: relocatable. prefix is derived from the .pc file's own location (${pcfiledir}), so the
# file stays right under `cmake --install --prefix <dir>` and when the tree is moved.
if(IS_ABSOLUTE "${WMISUB_INSTALL_PKGCONFIGDIR}")
    set(WMISUB_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
    file(RELATIVE_PATH _wmisub_pc_up "/prefix/${WMISUB_INSTALL_PKGCONFIGDIR}" "/prefix")
    string(REGEX REPLACE "/$" "" _wmisub_pc_up "${_wmisub_pc_up}")
    set(WMISUB_PC_PREFIX "\${pcfiledir}/${_wmisub_pc_up}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(WMISUB_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
    set(WMISUB_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/wmisub.pc.in" "${PROJECT_BINARY_DIR}/wmisub.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/wmisub.pc" DESTINATION "${WMISUB_INSTALL_PKGCONFIGDIR}")
