# Checks that README.md shows what the Quick start's scan prints: the output of
# `wmisub scan --mof examples/samples`, between the markers
# <!-- scan-output:begin --> and <!-- scan-output:end -->. With -DUPDATE=ON it
# rewrites that region instead (after a change to the samples, rules or output).
#   cmake -DWMISUB=<wmisub binary> -DSOURCE_DIR=<repo> [-DUPDATE=ON] -P tests/readme_scan.cmake
set(begin_marker "<!-- scan-output:begin -->\n")
set(end_marker "<!-- scan-output:end -->")

execute_process(COMMAND "${WMISUB}" scan --mof examples/samples
                WORKING_DIRECTORY "${SOURCE_DIR}"
                OUTPUT_VARIABLE output
                ERROR_VARIABLE errors
                RESULT_VARIABLE status)
# Exit 1 is the contract when something scores high or above, as the samples do.
if(NOT status STREQUAL "1")
    message(FATAL_ERROR "wmisub scan --mof examples/samples exited with ${status} (expected 1): ${errors}")
endif()
set(block "${begin_marker}\n```text\n$ build/examples/wmisub scan --mof examples/samples\n${output}```\n\n")

file(READ "${SOURCE_DIR}/README.md" readme)
string(FIND "${readme}" "${begin_marker}" begin)
string(FIND "${readme}" "${end_marker}" end)
if(begin EQUAL -1 OR end EQUAL -1 OR end LESS begin)
    message(FATAL_ERROR "README.md lacks the scan-output markers")
endif()
math(EXPR length "${end} - ${begin}")
string(SUBSTRING "${readme}" ${begin} ${length} shown)

if(UPDATE)
    string(SUBSTRING "${readme}" 0 ${begin} head)
    string(SUBSTRING "${readme}" ${end} -1 tail)
    file(WRITE "${SOURCE_DIR}/README.md" "${head}${block}${tail}")
    message(STATUS "README.md: scan output updated")
elseif(NOT shown STREQUAL block)
    message(FATAL_ERROR "README.md does not show what 'wmisub scan --mof examples/samples' prints now; "
                        "update it with: cmake -DWMISUB=<wmisub> -DSOURCE_DIR=. -DUPDATE=ON -P tests/readme_scan.cmake")
else()
    message(STATUS "README.md shows the scan output of examples/samples")
endif()
