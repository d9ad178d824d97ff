# Script (cmake -P) behind the package_* tests in tests/package/CMakeLists.txt.
# SPDX-License-Identifier: MIT
#
#   -DMODE=install   -DBUILD_DIR= -DPREFIX= -DEXPECT=a|b|c [-DCONFIG=]
#       fresh `cmake --install` of the wmisub build tree into PREFIX; EXPECT lists files (relative
#       to PREFIX) that must then exist
#   -DMODE=project   -DSOURCE_DIR= -DBINARY_DIR= -DGENERATOR= [-DMAKE_PROGRAM= -DPLATFORM= -DTOOLSET=]
#                    -DCXX= [-DCONFIG= -DPREFIX= -DWMISUB_SOURCE_DIR=]
#       configure, build and ctest a consumer project from scratch
#   -DMODE=compile   -DCXX= -DSOURCE=a.cpp[|b.cpp] -DBINARY_DIR= [-DFLAGS=a|b|c]
#                    [-DPKG_CONFIG= -DPKG_CONFIG_DIR= -DVERSION=]
#       compile SOURCE with one compiler call (flags from FLAGS and, with PKG_CONFIG, from
#       `pkg-config --cflags wmisub` with PKG_CONFIG_PATH=PKG_CONFIG_DIR), then run the program
cmake_minimum_required(VERSION 3.20)

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    string(REPLACE ";" " " cmd "${ARGN}")
    message("$ ${cmd}\n${out}")
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "command failed (${rc}): ${cmd}")
    endif()
    set(run_output "${out}" PARENT_SCOPE)
endfunction()

# No CONFIG: a single-config build without a build type, like the parent build (the consumers'
# compile is most of the README test run's time; -O3 would triple it for no extra coverage).
set(config_args)
if(CONFIG)
    set(config_args --config "${CONFIG}")
endif()

if(MODE STREQUAL "install")
    file(REMOVE_RECURSE "${PREFIX}")
    run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args})
    string(REPLACE "|" ";" expected "${EXPECT}")
    foreach(file IN LISTS expected)
        if(NOT EXISTS "${PREFIX}/${file}")
            message(FATAL_ERROR "not installed: ${file}")
        endif()
    endforeach()

elseif(MODE STREQUAL "project")
    file(REMOVE_RECURSE "${BINARY_DIR}")
    set(args -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}"
             "-DCMAKE_BUILD_TYPE=${CONFIG}")
    foreach(var IN ITEMS MAKE_PROGRAM PLATFORM TOOLSET PREFIX WMISUB_SOURCE_DIR)
        if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
            continue()
        elseif(var STREQUAL "MAKE_PROGRAM")
            list(APPEND args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
        elseif(var STREQUAL "PLATFORM")
            list(APPEND args -A "${PLATFORM}")
        elseif(var STREQUAL "TOOLSET")
            list(APPEND args -T "${TOOLSET}")
        elseif(var STREQUAL "PREFIX")
            list(APPEND args "-DCMAKE_PREFIX_PATH=${PREFIX}")
        else()
            list(APPEND args "-D${var}=${${var}}")
        endif()
    endforeach()
    run("${CMAKE_COMMAND}" ${args})
    run("${CMAKE_COMMAND}" --build "${BINARY_DIR}" ${config_args})
    if(CONFIG)
        run("${CMAKE_CTEST_COMMAND}" --test-dir "${BINARY_DIR}" -C "${CONFIG}" --output-on-failure)
    else()
        run("${CMAKE_CTEST_COMMAND}" --test-dir "${BINARY_DIR}" --output-on-failure)
    endif()

elseif(MODE STREQUAL "compile")
    file(REMOVE_RECURSE "${BINARY_DIR}")
    file(MAKE_DIRECTORY "${BINARY_DIR}")
    string(REPLACE "|" ";" flags "${FLAGS}")
    if(PKG_CONFIG)
        set(ENV{PKG_CONFIG_PATH} "${PKG_CONFIG_DIR}")
        run("${PKG_CONFIG}" --modversion wmisub)
        string(STRIP "${run_output}" modversion)
        if(NOT modversion STREQUAL VERSION)
            message(FATAL_ERROR "pkg-config reports wmisub ${modversion}, expected ${VERSION}")
        endif()
        run("${PKG_CONFIG}" --cflags wmisub)
        separate_arguments(cflags UNIX_COMMAND "${run_output}")
        list(APPEND flags ${cflags} "-DWMISUB_EXPECTED_VERSION=\"${modversion}\"")
    endif()
    set(program "${BINARY_DIR}/app${CMAKE_EXECUTABLE_SUFFIX}")
    string(REPLACE "|" ";" sources "${SOURCE}")
    run("${CXX}" ${flags} ${sources} -o "${program}")
    run("${program}")

else()
    message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
