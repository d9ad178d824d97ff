# The ABI tag in wmisub's inline namespace makes parts built with different settings fail to link
# instead of breaking silently. Builds a compiled-mode program from two files, the implementation
# unit and a user, once with matching settings (must link and run) and once with the user built
# with another setting (must fail to link, naming the undefined wmisub symbols).
#   cmake -DCXX=<c++> -DSOURCE_DIR=<checkout> -DBINARY_DIR=<dir> -P tests/abi_tag.cmake
# SPDX-License-Identifier: MIT
cmake_minimum_required(VERSION 3.20)
file(REMOVE_RECURSE "${BINARY_DIR}")
file(MAKE_DIRECTORY "${BINARY_DIR}")
set(common -std=c++20 -DWMISUB_HEADER_ONLY=0 "-I${SOURCE_DIR}/include")
set(user "${SOURCE_DIR}/tests/abi/user.cpp")
set(impl "${SOURCE_DIR}/tests/package/single_header_impl.cpp")

function(compile out)
    execute_process(COMMAND "${CXX}" ${common} ${ARGN} -c -o "${BINARY_DIR}/${out}" RESULT_VARIABLE code
                    ERROR_VARIABLE err)
    if(NOT code EQUAL 0)
        message(FATAL_ERROR "compiling ${out} failed:\n${err}")
    endif()
endfunction()

compile(impl.o "${impl}")
compile(user.o "${user}")
compile(user_noexcept.o "${user}" -fno-exceptions)
compile(user_limits.o "${user}" -DWMISUB_MAX_NESTING=32)

execute_process(COMMAND "${CXX}" "${BINARY_DIR}/user.o" "${BINARY_DIR}/impl.o" -o "${BINARY_DIR}/same"
                RESULT_VARIABLE code ERROR_VARIABLE err)
if(NOT code EQUAL 0)
    message(FATAL_ERROR "parts built with the same settings did not link:\n${err}")
endif()
execute_process(COMMAND "${BINARY_DIR}/same" RESULT_VARIABLE code)
if(NOT code EQUAL 0)
    message(FATAL_ERROR "the program built with the same settings failed (${code})")
endif()

foreach(variant IN ITEMS noexcept limits)
    execute_process(COMMAND "${CXX}" "${BINARY_DIR}/user_${variant}.o" "${BINARY_DIR}/impl.o"
                            -o "${BINARY_DIR}/mixed_${variant}" RESULT_VARIABLE code ERROR_VARIABLE err)
    if(code EQUAL 0)
        message(FATAL_ERROR "a part built with other settings (${variant}) linked: the ABI tag does not separate them")
    endif()
    if(NOT err MATCHES "wmisub")
        message(FATAL_ERROR "linking the ${variant} mix failed, but not on wmisub's symbols:\n${err}")
    endif()
    message(STATUS "${variant}: fails to link as it must")
endforeach()
