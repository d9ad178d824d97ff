# Strict warnings for wmisub's own tests, examples, benchmarks and fuzzers.
# SPDX-License-Identifier: MIT
#
# wmisub_warnings is an INTERFACE target that is never installed or exported: consumers of
# wmisub::wmisub never inherit these flags. Link it PRIVATE to each of our executables.
# Third-party headers (doctest, nlohmann/json, Google Benchmark) must come in as SYSTEM includes.
include_guard(GLOBAL)

add_library(wmisub_warnings INTERFACE)

if(MSVC)
    # cl and clang-cl
    target_compile_options(wmisub_warnings INTERFACE /W4 /permissive- /utf-8 /Zc:__cplusplus)
    if(WMISUB_WARNINGS_AS_ERRORS)
        target_compile_options(wmisub_warnings INTERFACE /WX)
    endif()
elseif(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    # Every flag here is accepted by GCC >= 12 and Clang >= 14.
    target_compile_options(
        wmisub_warnings
        INTERFACE -Wall
                  -Wextra
                  -Wpedantic
                  -Wshadow
                  -Wconversion
                  -Wsign-conversion
                  -Wold-style-cast
                  -Wnon-virtual-dtor
                  -Woverloaded-virtual
                  -Wcast-align
                  -Wdouble-promotion
                  -Wformat=2
                  -Wimplicit-fallthrough)
    if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
        # Clang's -Wnull-dereference is a precise front-end check. GCC's is a flow analysis that, from
        # -O2 on, reports "potential null pointer dereference" inside libstdc++'s std::variant and
        # std::string for code without any null pointer, so GCC does not get it.
        target_compile_options(wmisub_warnings INTERFACE -Wnull-dereference)
    elseif(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
        # GCC 12 at -O2+ reports impossible overlapping memcpy ranges inside libstdc++'s std::string
        # (GCC bug 105651).
        target_compile_options(wmisub_warnings INTERFACE -Wno-restrict)
    endif()
    if(WMISUB_WARNINGS_AS_ERRORS)
        target_compile_options(wmisub_warnings INTERFACE -Werror)
    endif()
endif()
