# Toolchain file: cross-compile for 64-bit Windows with MinGW-w64 (Debian: g++-mingw-w64-x86-64-posix)
# and run the resulting .exe files under Wine (Debian: wine64) when CTest runs the tests.
# SPDX-License-Identifier: MIT
#
#   cmake -S . -B build-mingw -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
#         -DWMISUB_DOCTEST_INCLUDE_DIR=<dir holding only doctest/doctest.h>
#   cmake --build build-mingw -j2
#   WINEPREFIX=$(mktemp -d) WINEDEBUG=-all ctest --test-dir build-mingw --output-on-failure
#
# The cross compiler must not see the host's /usr/include, so host header-only packages
# (doctest, nlohmann/json) are not found by find_package here: hand them in through
# WMISUB_DOCTEST_INCLUDE_DIR / WMISUB_NLOHMANN_JSON_INCLUDE_DIR pointing at a directory that
# holds copies of just those headers (.ci/run does this).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(WMISUB_MINGW_TRIPLET x86_64-w64-mingw32 CACHE STRING "MinGW-w64 target triplet")
set(WMISUB_MINGW_THREADS posix CACHE STRING "Debian MinGW-w64 thread model suffix: posix or win32")
set(CMAKE_C_COMPILER ${WMISUB_MINGW_TRIPLET}-gcc-${WMISUB_MINGW_THREADS})
set(CMAKE_CXX_COMPILER ${WMISUB_MINGW_TRIPLET}-g++-${WMISUB_MINGW_THREADS})
set(CMAKE_RC_COMPILER ${WMISUB_MINGW_TRIPLET}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${WMISUB_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static runtime (libstdc++, libgcc, winpthread): the .exe files run under Wine or on Windows
# without any MinGW DLL next to them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# CTest runs every test executable through Wine.
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
    find_program(WMISUB_WINE NAMES wine64 wine PATHS /usr/lib/wine /usr/lib64/wine NO_CMAKE_FIND_ROOT_PATH)
    if(WMISUB_WINE)
        set(CMAKE_CROSSCOMPILING_EMULATOR "${WMISUB_WINE}")
    endif()
endif()
