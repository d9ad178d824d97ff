# Checks that README.md shows examples/embed.cpp's embedding code verbatim, so the
# README's example is the one CI compiles and runs. Run with:
#   cmake -DSOURCE_DIR=<repo> -P tests/readme_example.cmake
file(READ "${SOURCE_DIR}/examples/embed.cpp" example)
file(READ "${SOURCE_DIR}/README.md" readme)
string(FIND "${example}" "// README:begin\n" begin)
string(FIND "${example}" "    // README:end" end)
if(begin EQUAL -1 OR end EQUAL -1)
    message(FATAL_ERROR "examples/embed.cpp lacks its README:begin/README:end markers")
endif()
math(EXPR begin "${begin} + 16")
math(EXPR length "${end} - ${begin}")
string(SUBSTRING "${example}" ${begin} ${length} region)
string(FIND "${readme}" "${region}" found)
if(found EQUAL -1)
    message(FATAL_ERROR "README.md does not contain the embedding example of examples/embed.cpp verbatim")
endif()
message(STATUS "README.md shows examples/embed.cpp verbatim")
