# The compiled mode's library, shared by the build tree and the installed package.
# SPDX-License-Identifier: MIT
#
# wmisub_add_compiled_library(<target> <implementation unit> <include dir> [SYSTEM])
#   A static library built from the one translation unit that defines WMISUB_IMPLEMENTATION
#   (src/wmisub.cpp), with WMISUB_HEADER_ONLY=0 for it and for everything that links it. When
#   nlohmann/json can be found, the JSON adapter and the snapshot collector are compiled in too
#   (WMISUB_COMPILE_JSON=1); their users still put nlohmann/json on their own include path.
#
# The installed package calls this from wmisubConfig.cmake, in the consumer's build, so the
# installed files stay architecture-independent (share/, no prebuilt archive).
include_guard(GLOBAL)

function(wmisub_add_compiled_library target source include_dir)
    set(system "")
    if("SYSTEM" IN_LIST ARGN)
        set(system SYSTEM)
    endif()
    add_library(${target} STATIC "${source}")
    target_compile_features(${target} PUBLIC cxx_std_20)
    target_compile_definitions(${target} PUBLIC WMISUB_HEADER_ONLY=0)
    target_include_directories(${target} ${system} PUBLIC "$<BUILD_INTERFACE:${include_dir}>")
    set_target_properties(${target} PROPERTIES EXPORT_NAME wmisub_compiled)
    if(TARGET wmisub_warnings)
        # wmisub's own build: the implementation unit gets the strict warnings (never exported).
        target_link_libraries(${target} PRIVATE "$<BUILD_INTERFACE:wmisub_warnings>")
    endif()

    # nlohmann/json, for compiling the JSON adapter in: the tests' dependency target when this
    # build has one, else the package, else a plain header search.
    if(TARGET wmisub_nlohmann_json AND WMISUB_HAVE_NLOHMANN_JSON)
        target_link_libraries(${target} PRIVATE "$<BUILD_INTERFACE:wmisub_nlohmann_json>")
        target_compile_definitions(${target} PRIVATE WMISUB_COMPILE_JSON=1)
        return()
    endif()
    find_package(nlohmann_json 3.2 CONFIG QUIET)
    if(TARGET nlohmann_json::nlohmann_json)
        target_link_libraries(${target} PRIVATE nlohmann_json::nlohmann_json)
        target_compile_definitions(${target} PRIVATE WMISUB_COMPILE_JSON=1)
        return()
    endif()
    find_path(WMISUB_NLOHMANN_JSON_INCLUDE_DIR NAMES nlohmann/json.hpp DOC "Directory that contains nlohmann/json.hpp")
    if(WMISUB_NLOHMANN_JSON_INCLUDE_DIR)
        target_include_directories(${target} SYSTEM PRIVATE "${WMISUB_NLOHMANN_JSON_INCLUDE_DIR}")
        target_compile_definitions(${target} PRIVATE WMISUB_COMPILE_JSON=1)
    else()
        message(STATUS "wmisub: nlohmann/json not found; ${target} is built without the JSON adapter")
    endif()
endfunction()
