# Third-party packages used by wmisub's own tests and examples (never by the library).
# SPDX-License-Identifier: MIT
#
# Defines two non-exported INTERFACE targets whose include directories are SYSTEM, so the
# strict wmisub_warnings flags never fire inside third-party headers:
#   wmisub_doctest        doctest (required when WMISUB_BUILD_TESTS is ON)
#   wmisub_nlohmann_json  nlohmann/json (optional; WMISUB_HAVE_NLOHMANN_JSON tells whether found)
#
# Each is found, in order, from
#   1. a header directory given on the command line (WMISUB_DOCTEST_INCLUDE_DIR = the directory
#      holding doctest/doctest.h, WMISUB_NLOHMANN_JSON_INCLUDE_DIR = the one holding nlohmann/json.hpp),
#      which is how the MinGW cross build sees them without exposing all of /usr/include;
#   2. the package's CMake config (Debian: doctest-dev, nlohmann-json3-dev);
#   3. a plain header search.
include_guard(GLOBAL)

# _wmisub_header_only_dependency(<target> <header> <cache var> <package> <imported target> <min version>)
function(_wmisub_header_only_dependency target header cache_var package imported version)
    add_library(${target} INTERFACE)
    if(NOT ${cache_var})
        find_package(${package} ${version} CONFIG QUIET)
        if(TARGET ${imported})
            # Imported targets' include directories are SYSTEM already.
            target_link_libraries(${target} INTERFACE ${imported})
            set(${target}_FOUND TRUE PARENT_SCOPE)
            message(STATUS "wmisub: ${package} ${${package}_VERSION} (CMake package)")
            return()
        endif()
    endif()
    find_path(${cache_var} NAMES "${header}" DOC "Directory that contains ${header}")
    if(${cache_var})
        target_include_directories(${target} SYSTEM INTERFACE "${${cache_var}}")
        set(${target}_FOUND TRUE PARENT_SCOPE)
        message(STATUS "wmisub: ${package} from ${${cache_var}}")
    else()
        set(${target}_FOUND FALSE PARENT_SCOPE)
    endif()
endfunction()

if(WMISUB_BUILD_TESTS AND NOT TARGET wmisub_doctest)
    _wmisub_header_only_dependency(wmisub_doctest doctest/doctest.h WMISUB_DOCTEST_INCLUDE_DIR doctest
                                   doctest::doctest 2.4)
    if(NOT wmisub_doctest_FOUND)
        message(
            FATAL_ERROR
                "wmisub: doctest not found. Install it (Debian/Ubuntu: apt-get install doctest-dev), point "
                "-DWMISUB_DOCTEST_INCLUDE_DIR=<dir> at the directory holding doctest/doctest.h, or configure "
                "with -DWMISUB_BUILD_TESTS=OFF.")
    endif()
endif()

if((WMISUB_BUILD_TESTS OR WMISUB_BUILD_EXAMPLES OR WMISUB_BUILD_BENCH) AND NOT TARGET wmisub_nlohmann_json)
    _wmisub_header_only_dependency(wmisub_nlohmann_json nlohmann/json.hpp WMISUB_NLOHMANN_JSON_INCLUDE_DIR
                                   nlohmann_json nlohmann_json::nlohmann_json 3.2)
    set(WMISUB_HAVE_NLOHMANN_JSON ${wmisub_nlohmann_json_FOUND})
    if(NOT WMISUB_HAVE_NLOHMANN_JSON)
        message(STATUS "wmisub: nlohmann/json not found; tests and examples that need it are skipped "
                       "(Debian/Ubuntu: apt-get install nlohmann-json3-dev)")
    endif()
endif()
