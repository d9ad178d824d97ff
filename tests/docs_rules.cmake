# Checks that docs/rules.md is what `wmisub rules --format markdown` prints, so
# the published catalog is the one the code runs. With -DUPDATE=ON it rewrites it.
#   cmake -DWMISUB=<wmisub binary> -DSOURCE_DIR=<repo> [-DUPDATE=ON] -P tests/docs_rules.cmake
execute_process(COMMAND "${WMISUB}" rules --format markdown OUTPUT_VARIABLE catalog RESULT_VARIABLE status)
if(NOT status STREQUAL "0")
    message(FATAL_ERROR "wmisub rules --format markdown exited with ${status}")
endif()
if(UPDATE)
    file(WRITE "${SOURCE_DIR}/docs/rules.md" "${catalog}")
    message(STATUS "docs/rules.md updated")
    return()
endif()
file(READ "${SOURCE_DIR}/docs/rules.md" published)
if(NOT published STREQUAL catalog)
    message(FATAL_ERROR "docs/rules.md is stale; regenerate it with: "
                        "cmake -DWMISUB=<wmisub> -DSOURCE_DIR=. -DUPDATE=ON -P tests/docs_rules.cmake")
endif()
message(STATUS "docs/rules.md matches the rule catalog")
