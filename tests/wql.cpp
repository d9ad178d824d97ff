// Tests for wmisub/wql.hpp: the WQL parser, trigger analysis, canonical form and LIKE.
#include "wmisub/wql.hpp"

#include <doctest/doctest.h>

#if __has_include(<nlohmann/json.hpp>)
#include "corpus.hpp"
#define WMISUB_TEST_HAS_CORPUS 1
#endif

#include <string>
#include <vector>

using namespace wmisub;

namespace {

wql_analysis analysis_of(std::string_view query) {
    auto a = analyze_wql(query);
    REQUIRE_MESSAGE(a, (a ? std::string() : a.error().to_string()));
    return std::move(*a);
}

error error_of(std::string_view query) {
    auto q = parse_wql(query);
    REQUIRE_FALSE_MESSAGE(q, query);
    return q.error();
}

}  // namespace

TEST_CASE("every documented query of specs.md 8.1 parses") {
    const char* queries[] = {
        "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System' "
        "AND TargetInstance.SystemUpTime >= 240 AND TargetInstance.SystemUpTime < 325",
        "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_LogonSession'",
        "SELECT * FROM __TimerEvent WHERE TimerID = 'PayloadTrigger'",
        "SELECT * FROM __InstanceModificationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Service' and "
        "TargetInstance.Name = 'Winrm' and TargetInstance.State = 'Stopped'",
        "Select * from RegistryTreeChangeEvent where (Hive = \"HKEY_LOCAL_MACHINE\" and RootPath = "
        "\"Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run\")",
        "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA \"Win32_LocalTime\" AND TargetInstance.Hour = 8 "
        "AND TargetInstance.Minute = 0 AND TargetInstance.Second = 0 AND TargetInstance.DayOfWeek = 6",
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.__class = \"MyCmdLineConsumer\"",
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Win32_NTLogEvent\" GROUP WITHIN 600 BY "
        "TargetInstance.SourceName HAVING NumberOfEvents > 25",
        "SELECT * FROM meta_class WHERE __CLASS LIKE \"%[_][_]%\"",
        "SELECT * FROM meta_class WHERE NOT __class < \"Win32\" AND NOT __this ISA \"Win32_Account\"",
        "ASSOCIATORS OF {win32_LogicalDisk=\"C:\"} WHERE resultClass = Win32_Directory requiredQualifier = Dynamic",
        "select * from MSFT_SCMEventLogEvent",
    };
    for (const char* q : queries) {
        CAPTURE(q);
        auto parsed = parse_wql(q);
        CHECK_MESSAGE(parsed, (parsed ? std::string() : parsed.error().to_string()));
    }
}

TEST_CASE("every documented invalid query of specs.md 8.2 is rejected with a location") {
    struct bad_case {
        const char* query;
        std::size_t offset;
        const char* expected_word;
    };
    const bad_case cases[] = {
        {"SELECT * FROM Win32_LogicalDisk WHERE DriveType IS 5", 51, "NULL"},
        {"SELECT * FROM Win32_LogicalDisk WHERE FileSystem IS NOT \"NTFS\"", 56, "NULL"},
        {"SELECT * FROM Win32_X WHERE BoolProp <= TRUE", 40, "'='"},
        {"SELECT * FROM Win32_X WHERE infraredsupported >= null", 49, "IS"},
        {"SELECT * FROM Win32_DiskDrive WHERE Partitions < (4 + 7 - 2)", 52, "operator"},
        {"ASSOCIATORS OF {Win32_LogicalDisk=\"C:\"} WHERE resultClass = X AND requiredQualifier = Dynamic", 62, "whitespace"},
        {"ASSOCIATORS OF {Win32_LogicalDisk=\"C:\"} WHERE requiredQualifier <> Dynamic", 64, "'='"},
        {"ASSOCIATORS OF {Win32_LogicalDisk=\"C:\"} WHERE ResultClass = X ClassDefsOnly", 62, ""},
        {"SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Win32_NTLogEvent' GROUP BY "
         "TargetInstance.SourceName",
         88, "WITHIN"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.query);
        const error e = error_of(c.query);
        CHECK(e.location.offset == c.offset);
        CHECK(e.expected.find(c.expected_word) != std::string::npos);
        CHECK_FALSE(e.message.empty());
    }
}

TEST_CASE("more malformed queries: located, never a crash") {
    CHECK(error_of("").code == errc::unexpected_end);
    CHECK(error_of("SELECT").code == errc::unexpected_end);
    CHECK(error_of("SELECT * FROM").location.offset == 13);
    CHECK(error_of("SELECT * FROM X WHERE Name = 'open").code == errc::unexpected_end);
    CHECK(error_of("SELECT * FROM X WHERE Name = 'a' garbage").location.offset == 33);
    CHECK(error_of("SELECT * FROM X WHERE (Name = 'a'").expected == "')'");
    CHECK(error_of("SELECT * FROM X WHERE Name = Other").message.find("constant") != std::string::npos);
    CHECK(error_of("SELECT * FROM X WHERE 1 = 2").message.find("two constants") != std::string::npos);
    CHECK(error_of("SELECT * FROM X WHERE Name = 'a' -- comment").code == errc::syntax_error);
    CHECK(error_of("SELECT * FROM X WHERE A ISA Win32_Process").expected.find("quotes") != std::string::npos);
    CHECK(error_of("SELECT * FROM meta_class WITHIN 5").location.offset != source_location::npos);
    CHECK(error_of("SELECT Name FROM meta_class").message.find("schema") != std::string::npos);
    CHECK(error_of("SELECT * FROM __InstanceCreationEvent WITHIN -5").message.find("negative") != std::string::npos);
    CHECK(error_of("SELECT * FROM X GROUP WITHIN 5 HAVING Foo > 2").message.find("NumberOfEvents") != std::string::npos);
    CHECK(error_of("REFERENCES OF {X.a=1} WHERE ResultRole = r").message.find("not valid") != std::string::npos);
    CHECK(error_of("REFERENCES OF {X.a=1} WHERE Role = a Role = b").message.find("twice") != std::string::npos);
    CHECK(error_of("ASSOCIATORS OF {X=\"unterminated} WHERE").code == errc::unexpected_end);
    CHECK(error_of("ASSOCIATORS OF {X.=1}").location.offset >= 15);
    CHECK(error_of("SELECT * FROM X WHERE A = 99999999999999999999").code == errc::limit_exceeded);
}

TEST_CASE("limits: query length, name length and nesting") {
    const std::string long_query = "SELECT * FROM X WHERE Name = '" + std::string(16400, 'a') + "'";
    auto too_long = parse_wql(long_query);
    REQUIRE_FALSE(too_long);
    CHECK(too_long.error().code == errc::limit_exceeded);

    const std::string long_name = "SELECT * FROM " + std::string(256, 'C');
    CHECK(error_of(long_name).code == errc::limit_exceeded);
    CHECK(parse_wql("SELECT * FROM " + std::string(255, 'C')));

    std::string deep = "SELECT * FROM X WHERE ";
    for (int i = 0; i < 1000; ++i) deep += "(";
    deep += "A = 1";
    for (int i = 0; i < 1000; ++i) deep += ")";
    const error nested = error_of(deep);
    CHECK(nested.code == errc::limit_exceeded);
    CHECK(nested.location.offset == 22 + WMISUB_MAX_NESTING);

    std::string nots = "SELECT * FROM X WHERE ";
    for (int i = 0; i < 3000; ++i) nots += "NOT ";
    nots += "A = 1";
    CHECK(error_of(nots).code == errc::limit_exceeded);

    std::string wide = "SELECT * FROM X WHERE A = 0";
    for (int i = 1; i < 1000; ++i) wide += " AND A" + std::to_string(i) + " = " + std::to_string(i);
    auto flat = parse_wql(wide);
    REQUIRE(flat);  // long AND chains are flat, not deep
    CHECK(flat->nodes[*flat->where].children.size() == 1000);
}

TEST_CASE("the AST keeps structure and offsets") {
    auto q = parse_wql("select TargetInstance.Name, X from __InstanceCreationEvent within 5.5 where "
                       "targetinstance isa 'Win32_Process' and (A = 1 or 2 > B) and not C is not null");
    REQUIRE(q);
    CHECK(q->kind == wql_query_kind::event);
    CHECK(q->select.size() == 2);
    CHECK(q->select[0].to_string() == "TargetInstance.Name");
    CHECK(q->from_class == "__InstanceCreationEvent");
    CHECK(q->from_offset == 35);
    CHECK(*q->within_seconds == doctest::Approx(5.5));
    const wql_node& root = q->nodes[*q->where];
    REQUIRE(root.kind == wql_node_kind::all_of);
    REQUIRE(root.children.size() == 3);
    const wql_node& isa = q->nodes[root.children[0]];
    CHECK(isa.kind == wql_node_kind::isa);
    CHECK(isa.offset == 76);
    CHECK(isa.value.text == "Win32_Process");
    const wql_node& any = q->nodes[root.children[1]];
    CHECK(any.kind == wql_node_kind::any_of);
    const wql_node& swapped = q->nodes[any.children[1]];
    CHECK(swapped.op == wql_operator::less);  // 2 > B is B < 2
    CHECK(swapped.operands_swapped);
    const wql_node& negation = q->nodes[root.children[2]];
    CHECK(negation.kind == wql_node_kind::negation);
    CHECK(q->nodes[negation.children[0]].is_not);
}

TEST_CASE("literals: both quotes with escapes, negative numbers, reals, booleans") {
    auto q = parse_wql(R"(SELECT * FROM X WHERE A = 'it\'s' AND B = "say \"hi\"" AND C = -7 AND D = 2.5e1 AND E = TRUE AND F <> NULL AND G = "C:\\Windows")");
    REQUIRE(q);
    const wql_node& root = q->nodes[*q->where];
    auto value = [&](std::size_t i) { return q->nodes[root.children[i]].value; };
    CHECK(value(0).text == "it's");
    CHECK(value(1).text == "say \"hi\"");
    CHECK(value(2).integer == -7);
    CHECK(value(3).kind == wql_literal::type::real);
    CHECK(value(3).real == doctest::Approx(25.0));
    CHECK(value(4).boolean);
    CHECK(value(5).kind == wql_literal::type::null);
    CHECK(value(6).text == "C:\\Windows");
    CHECK(parse_wql("SELECT * FROM __InstanceCreationEvent Within 3Where TargetInstance Isa \"Win32_Process\""));
}

TEST_CASE("keywords in any case, as .NET's WqlEventQuery writes them") {
    auto a = analysis_of("select * from __InstanceCreationEvent within 10 where TargetInstance isa \"Win32_Process\"");
    CHECK(a.trigger.kind == trigger_kind::process_start);
    CHECK(*a.within_seconds == 10);
}

TEST_CASE("analysis: startup uptime window") {
    auto a = analysis_of("SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                         "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240 AND "
                         "TargetInstance.SystemUpTime < 325");
    CHECK(a.event_class == "__InstanceModificationEvent");
    CHECK(a.intrinsic());
    CHECK(a.target_class == "Win32_PerfFormattedData_PerfOS_System");
    CHECK(*a.within_seconds == 60);
    CHECK(a.trigger.kind == trigger_kind::startup);
    CHECK(*a.trigger.uptime_min_seconds == 240);
    CHECK(*a.trigger.uptime_max_seconds == 325);
    CHECK(describe(a.trigger) == "runs 240–325 s after boot");
    REQUIRE(a.conditions.size() == 3);
    CHECK(a.conditions[1].property == "TargetInstance.SystemUpTime");
    CHECK(a.conditions[1].op == ">=");
    CHECK(a.conditions[1].value.integer == 240);
    CHECK(a.issues.empty());

    auto reversed = analysis_of("SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE 325 > TargetInstance.SystemUpTime "
                                "AND 200 <= TargetInstance.SystemUpTime AND TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'");
    CHECK(*reversed.trigger.uptime_min_seconds == 200);
    CHECK(*reversed.trigger.uptime_max_seconds == 325);

    auto empty = analysis_of("SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                             "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime > 400 AND "
                             "TargetInstance.SystemUpTime < 300");
    CHECK(empty.inert());
}

TEST_CASE("schedules are sets of times: OR, ranges, <>, NOT and one field alone say what they mean") {
    const auto schedule = [](std::string_view conditions) {
        return analysis_of("SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_LocalTime' AND " +
                           std::string(conditions));
    };
    const auto words = [&](std::string_view conditions) { return describe(schedule(conditions).trigger); };
    using values = std::vector<std::int64_t>;

    auto two_days = schedule("(TargetInstance.DayOfWeek = 1 OR TargetInstance.DayOfWeek = 2) AND TargetInstance.Hour = 11 AND "
                             "TargetInstance.Minute = 33");
    REQUIRE(two_days.trigger.schedule.slots.size() == 1);
    CHECK(two_days.trigger.schedule.slots[0].days_of_week == values{1, 2});
    CHECK(two_days.trigger.schedule.slots[0].hours == values{11});
    CHECK(two_days.trigger.schedule.slots[0].seconds.empty());  // any second of that minute
    CHECK(describe(two_days.trigger) == "runs every Monday and Tuesday at 11:33, every second of that minute");

    CHECK(words("(TargetInstance.Hour = 11 OR TargetInstance.Hour = 23) AND TargetInstance.Minute = 33") ==
          "runs daily at 11:33 and 23:33, every second of those minutes");
    CHECK(words("TargetInstance.Second = 5") == "runs at second 05 of every minute");
    CHECK(words("TargetInstance.Minute = 33") == "runs every second of minute 33 of every hour");
    CHECK(describe(analysis_of("SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                               "'Win32_LocalTime'").trigger) == "runs at every poll of the clock");

    // Ranges and exclusions.
    auto office = schedule("TargetInstance.Hour >= 9 AND TargetInstance.Hour < 17 AND TargetInstance.Minute = 0 AND "
                           "TargetInstance.Second = 0 AND TargetInstance.DayOfWeek <> 0 AND NOT TargetInstance.DayOfWeek = 6");
    REQUIRE(office.trigger.schedule.slots.size() == 1);
    CHECK(office.trigger.schedule.slots[0].hours == values{9, 10, 11, 12, 13, 14, 15, 16});
    CHECK(office.trigger.schedule.slots[0].days_of_week == values{1, 2, 3, 4, 5});
    CHECK(describe(office.trigger) == "runs every Monday–Friday at second 00 of minute 00 of hour 09–16");
    CHECK(words("17 > TargetInstance.Hour AND TargetInstance.Hour > 15 AND TargetInstance.Minute = 5 AND TargetInstance.Second = 0") ==
          "runs daily at 16:05:00");  // constant first, turned around

    // Two separate times stay two; NOT over OR is an AND of exclusions.
    auto twice = schedule("(TargetInstance.Hour = 11 AND TargetInstance.Minute = 0) OR (TargetInstance.Hour = 23 AND TargetInstance.Minute = 30)");
    CHECK(twice.trigger.schedule.slots.size() == 2);
    CHECK_FALSE(twice.trigger.schedule.hour);
    auto not_night = schedule("NOT (TargetInstance.Hour < 6 OR TargetInstance.Hour > 21) AND TargetInstance.Minute = 0 AND TargetInstance.Second = 0");
    REQUIRE(not_night.trigger.schedule.slots.size() == 1);
    CHECK(not_night.trigger.schedule.slots[0].hours.front() == 6);
    CHECK(not_night.trigger.schedule.slots[0].hours.back() == 21);

    // Conditions that exclude each other: never, and inert.
    auto never = schedule("TargetInstance.Hour = 12 AND TargetInstance.Hour = 13");
    CHECK(never.trigger.schedule.slots.empty());
    CHECK(never.inert());
    CHECK(describe(never.trigger) == "never runs: its time conditions exclude each other");

    // Dates in words; Year keeps its equality.
    CHECK(words("TargetInstance.Day = 1 AND TargetInstance.Month = 3 AND TargetInstance.Hour = 2 AND TargetInstance.Minute = 0 AND "
                "TargetInstance.Second = 0") == "runs on day 1 of the month in March at 02:00:00");
    CHECK(*schedule("TargetInstance.Year = 2027 AND TargetInstance.Hour = 1").trigger.schedule.year == 2027);
}

TEST_CASE("LIKE patterns in process triggers read as what they match") {
    auto starts = analysis_of("SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process' AND "
                              "TargetInstance.Name LIKE 'procexp%'");
    CHECK(starts.trigger.like_patterns == std::vector<std::string>{"procexp%"});
    CHECK(describe(starts.trigger) == "runs when a process whose name starts with 'procexp' starts");
    auto mixed = analysis_of("SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'a_b.exe' OR ProcessName LIKE '%mimi%' OR "
                             "ProcessName LIKE '%.scr' OR ProcessName LIKE 'x_y%'");
    CHECK(describe(mixed.trigger) == "runs when a_b.exe or a process whose name contains 'mimi' or a process whose name ends "
                                     "with '.scr' or a process whose name matches LIKE 'x_y%' starts");
}

TEST_CASE("analysis: timers, schedules, processes, logons, logs") {
    auto timer = analysis_of("SELECT * FROM __TimerEvent WHERE TimerID = 'PayloadTrigger'");
    CHECK(timer.category == event_category::timer);
    CHECK(timer.trigger.kind == trigger_kind::interval_timer);
    CHECK(timer.trigger.timer_id == "PayloadTrigger");
    CHECK(describe(timer.trigger, 3600000) == "runs every 1 hour (timer 'PayloadTrigger')");

    auto daily = analysis_of("SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA \"Win32_LocalTime\" AND "
                             "TargetInstance.Hour = 8 AND TargetInstance.Minute = 0 AND TargetInstance.Second = 0 AND "
                             "TargetInstance.DayOfWeek = 6");
    CHECK(daily.trigger.kind == trigger_kind::time_of_day);
    CHECK(*daily.trigger.schedule.hour == 8);
    CHECK(*daily.trigger.schedule.day_of_week == 6);
    CHECK(describe(daily.trigger) == "runs every Saturday at 08:00:00");
    CHECK(daily.issues.empty());  // Win32_LocalTime has an event provider: no WITHIN needed

    auto both = analysis_of("SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Win32_LocalTime' AND "
                            "TargetInstance.Hour = 8 AND (TargetInstance.DayOfWeek = 6 OR TargetInstance.DayOfWeek = 0)");
    CHECK_FALSE(both.trigger.schedule.day_of_week);  // two days: no single value
    REQUIRE(both.trigger.schedule.slots.size() == 1);
    CHECK(both.trigger.schedule.slots[0].days_of_week == std::vector<std::int64_t>{0, 6});

    auto utc = analysis_of("SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Win32_UTCTime' AND "
                           "TargetInstance.Hour = 25");
    CHECK(utc.trigger.schedule.utc);
    CHECK(utc.inert());

    auto trace = analysis_of("SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'procexp64.exe'");
    CHECK(trace.category == event_category::extrinsic);
    CHECK(trace.trigger.kind == trigger_kind::process_start);
    CHECK(trace.trigger.process_names == std::vector<std::string>{"procexp64.exe"});
    CHECK(describe(trace.trigger) == "runs when procexp64.exe starts");

    auto created = analysis_of("SELECT * FROM __InstanceCreationEvent WITHIN 2 WHERE TargetInstance ISA 'Win32_Process' AND "
                               "(TargetInstance.Name = 'a.exe' OR TargetInstance.Name LIKE '%b%')");
    CHECK(created.trigger.process_names == std::vector<std::string>{"a.exe", "%b%"});
    CHECK(created.conditions[1].context == condition_context::alternative);

    auto stopped = analysis_of("SELECT * FROM __InstanceDeletionEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'");
    CHECK(stopped.trigger.kind == trigger_kind::process_stop);
    CHECK(analysis_of("SELECT * FROM Win32_ProcessStopTrace").trigger.kind == trigger_kind::process_stop);

    CHECK(analysis_of("SELECT * FROM __InstanceCreationEvent WITHIN 15 WHERE TargetInstance ISA 'Win32_LogonSession' AND "
                      "TargetInstance.LogonType = 2").trigger.logon_types == std::vector<std::int64_t>{2});
    CHECK(analysis_of("SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_LoggedOnUser'")
              .trigger.kind == trigger_kind::logon);

    auto failed_logon = analysis_of("SELECT * FROM __InstanceCreationEvent WITHIN 60 WHERE TargetInstance ISA "
                                    "'Win32_NTLogEvent' AND TargetInstance.EventCode = '4625' AND TargetInstance.Logfile = 'Security'");
    CHECK(failed_logon.trigger.kind == trigger_kind::event_log);
    CHECK(failed_logon.trigger.event_codes == std::vector<std::int64_t>{4625});
    CHECK(failed_logon.trigger.event_logs == std::vector<std::string>{"Security"});
    CHECK(describe(failed_logon.trigger) == "runs when event ID 4625 is logged in Security");
}

TEST_CASE("analysis: registry, media, services, WMI objects, shutdown, fallbacks") {
    auto run_key = analysis_of("Select * from RegistryTreeChangeEvent where (Hive = \"HKEY_LOCAL_MACHINE\" and RootPath = "
                               "\"Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run\")");
    CHECK(run_key.trigger.kind == trigger_kind::registry_change);
    CHECK(run_key.trigger.registry_hives == std::vector<std::string>{"HKEY_LOCAL_MACHINE"});
    CHECK(run_key.trigger.registry_paths == std::vector<std::string>{"Software\\Microsoft\\Windows\\CurrentVersion\\Run"});

    CHECK(analysis_of("SELECT * FROM Win32_VolumeChangeEvent WHERE EventType = 2").trigger.kind == trigger_kind::removable_media);
    CHECK(analysis_of("SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_LogicalDisk' AND "
                      "TargetInstance.DriveType = 2").trigger.kind == trigger_kind::removable_media);
    CHECK(analysis_of("SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_LogicalDisk' AND "
                      "TargetInstance.DriveType = 3").trigger.kind == trigger_kind::instance_creation);

    auto service = analysis_of("SELECT * FROM __InstanceModificationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Service' "
                               "and TargetInstance.Name = 'Winrm' and TargetInstance.State = 'Stopped'");
    CHECK(service.trigger.kind == trigger_kind::service_change);
    CHECK(service.trigger.service_names == std::vector<std::string>{"Winrm"});
    CHECK(service.trigger.service_states == std::vector<std::string>{"Stopped"});
    CHECK(analysis_of("select * from MSFT_SCMEventLogEvent").trigger.kind == trigger_kind::service_change);

    CHECK(analysis_of("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA '__EventFilter'").trigger.kind ==
          trigger_kind::wmi_object_change);
    CHECK(analysis_of("SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA 'CommandLineEventConsumer'")
              .trigger.kind == trigger_kind::wmi_object_change);
    CHECK(analysis_of("SELECT * FROM __NamespaceCreationEvent").trigger.kind == trigger_kind::wmi_object_change);
    CHECK(analysis_of("SELECT * FROM Win32_ComputerShutdownEvent").trigger.kind == trigger_kind::shutdown);

    auto custom = analysis_of("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.__class = \"MyCmdLineConsumer\"");
    CHECK(custom.target_class == "MyCmdLineConsumer");
    CHECK(custom.trigger.kind == trigger_kind::instance_creation);  // a data class of the sample, not a consumer
    auto other_class = analysis_of("SELECT * FROM __InstanceCreationEvent WHERE 'MyClass31337' = TargetInstance.__CLASS");
    CHECK(other_class.target_class == "MyClass31337");
    CHECK(other_class.trigger.kind == trigger_kind::instance_creation);
    CHECK(analysis_of("SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_Processor'")
              .trigger.kind == trigger_kind::instance_modification);
    CHECK(analysis_of("SELECT * FROM __InstanceDeletionEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_Share'")
              .trigger.kind == trigger_kind::instance_deletion);
    CHECK(analysis_of("SELECT * FROM Win32_PowerManagementEvent").trigger.kind == trigger_kind::other);
}

TEST_CASE("the target class is not taken from negated conditions") {
    auto a = analysis_of("SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE NOT TargetInstance ISA 'Win32_Process'");
    CHECK(a.target_class.empty());
    CHECK(a.conditions[0].context == condition_context::negated);
    CHECK(a.trigger.kind == trigger_kind::instance_creation);
}

TEST_CASE("issues: inert and wrong filters") {
    auto unpolled = analysis_of("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Win32_Process'");
    REQUIRE(unpolled.issues.size() == 1);
    CHECK(unpolled.issues[0].code == "missing_within");
    CHECK(unpolled.inert());

    auto broad = analysis_of("SELECT * FROM __InstanceCreationEvent WITHIN 5");
    REQUIRE(broad.issues.size() == 1);
    CHECK(broad.issues[0].code == "too_broad");
    CHECK_FALSE(broad.inert());

    auto data = analysis_of("SELECT * FROM Win32_Process");
    CHECK(data.kind == wql_query_kind::data);
    CHECK(data.inert());
    CHECK(data.issues[0].code == "not_an_event_query");

    auto repository = analysis_of("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA '__EventFilter'");
    CHECK(repository.issues.empty());  // WMI raises repository events itself
}

TEST_CASE("one canonical form per query") {
    const char* spellings[] = {
        "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process' AND TargetInstance.Name = 'notepad.exe'",
        "select * from __instancecreationevent within 5.0 where targetinstance isa \"WIN32_PROCESS\" and targetinstance.name=\"NOTEPAD.EXE\"",
        "SELECT  *  FROM __InstanceCreationEvent\tWITHIN 5 WHERE ('notepad.exe' = TargetInstance.Name) AND (TargetInstance ISA 'Win32_Process')",
        "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE NOT NOT (TargetInstance.Name = 'notepad.exe' AND TargetInstance ISA 'Win32_Process')",
    };
    const std::string expected =
        "SELECT * FROM __instancecreationevent WITHIN 5 WHERE targetinstance ISA 'win32_process' AND "
        "targetinstance.name = 'notepad.exe'";
    for (const char* q : spellings) {
        CAPTURE(q);
        auto c = canonical_wql(q);
        REQUIRE(c);
        CHECK(*c == expected);
    }
    CHECK(*canonical_wql("SELECT * FROM X WHERE A = 1 AND (B = 2 OR C = 3)") == "SELECT * FROM x WHERE (b = 2 OR c = 3) AND a = 1");
    CHECK(*canonical_wql("SELECT * FROM X WHERE NOT (A = 1 AND B != 2)") == "SELECT * FROM x WHERE NOT (a = 1 AND b <> 2)");
    CHECK(*canonical_wql("SELECT * FROM X WHERE A = 'it\\'s'") == "SELECT * FROM x WHERE a = 'it\\'s'");
    CHECK(*canonical_wql("SELECT B, A FROM X GROUP WITHIN 600 BY TargetInstance.SourceName HAVING 25 < NumberOfEvents") ==
          "SELECT a, b FROM x GROUP WITHIN 600 BY targetinstance.sourcename HAVING numberofevents > 25");
    CHECK(*canonical_wql("associators of {Win32_LogicalDisk.DeviceID=\"C:\"} where ResultRole = GroupComponent ClassDefsOnly") ==
          "ASSOCIATORS OF {win32_logicaldisk.deviceid=\"c:\"} WHERE classdefsonly resultrole = groupcomponent");
    // Different filters stay different.
    CHECK(*canonical_wql("SELECT * FROM X WHERE A = 1") != *canonical_wql("SELECT * FROM X WHERE A = 2"));
    CHECK(*canonical_wql("SELECT * FROM X WHERE A < 1") != *canonical_wql("SELECT * FROM X WHERE A <= 1"));
    // The canonical text is itself a query with the same canonical text.
    const std::string again = *canonical_wql(expected);
    CHECK(again == expected);
}

TEST_CASE("LIKE wildcards, sets and case") {
    CHECK(wql_like("%[_][_]%", "__EventFilter"));
    CHECK_FALSE(wql_like("%[_][_]%", "_EventFilter"));
    CHECK(wql_like("%BOB%", "failed logon for bob"));
    CHECK(wql_like("a_c", "ABC"));
    CHECK_FALSE(wql_like("a_c", "abbc"));
    CHECK(wql_like("[a-c]x", "bx"));
    CHECK_FALSE(wql_like("[^a-c]x", "bx"));
    CHECK(wql_like("[^a-c]x", "dx"));
    CHECK(wql_like("[", "["));  // an unterminated set is a literal '['
    CHECK(wql_like("%", ""));
    CHECK_FALSE(wql_like("", "x"));
    CHECK(wql_like("%%%a%%b", "xxaxxb"));
    CHECK(wql_like("ÉCOLE%", "école normale"));
    const std::string long_text(20000, 'a');
    CHECK_FALSE(wql_like("%a%a%a%a%a%b", long_text));  // bounded: finishes quickly

    // Backslash inside LIKE: both documented readings.
    auto q = parse_wql(R"(SELECT * FROM X WHERE Path LIKE "%\\%")");
    REQUIRE(q);
    const wql_node& like = q->nodes[*q->where];
    CHECK(like_pattern(*q, like, like_backslash::escape) == "%\\%");
    CHECK(like_pattern(*q, like, like_backslash::literal) == "%\\\\%");
    CHECK(wql_like(like_pattern(*q, like, like_backslash::escape), "C:\\dir"));
    CHECK_FALSE(wql_like(like_pattern(*q, like, like_backslash::literal), "C:\\dir"));
}

#ifdef WMISUB_TEST_HAS_CORPUS
namespace {

// The corpus marks guessed text with a trailing annotation; the query is what precedes it.
std::string query_of(const wmisub_test::corpus_entry& e) {
    std::string q = *e.filter->get("Query")->as_string();
    const std::size_t note = q.find("[RECONSTRUCTED");
    if (note != std::string::npos) q = std::string(trim(q.substr(0, note)));
    return q;
}

// The trigger a responder would name for each corpus filter.
trigger_kind expected_kind(const std::string& id) {
    static const std::pair<const char*, trigger_kind> table[] = {
        {"M001", trigger_kind::startup},         {"M002", trigger_kind::startup},
        {"M003", trigger_kind::process_start},   {"M004", trigger_kind::time_of_day},
        {"M005", trigger_kind::startup},         {"M006", trigger_kind::startup},
        {"M007", trigger_kind::time_of_day},     {"M008", trigger_kind::process_start},
        {"M009", trigger_kind::process_start},   {"M010", trigger_kind::removable_media},
        {"M011", trigger_kind::logon},           {"M012", trigger_kind::interval_timer},
        {"M013", trigger_kind::interval_timer},  {"M014", trigger_kind::process_start},
        {"M015", trigger_kind::startup},         {"M016", trigger_kind::time_of_day},
        {"M017", trigger_kind::event_log},       {"M018", trigger_kind::time_of_day},
        {"M019", trigger_kind::time_of_day},     {"M020", trigger_kind::startup},
        {"M021", trigger_kind::startup},         {"M022", trigger_kind::interval_timer},
        {"M023", trigger_kind::event_log},       {"M024", trigger_kind::process_start},
        {"M025", trigger_kind::process_stop},    {"M026", trigger_kind::startup},
        {"M027", trigger_kind::instance_creation}, {"M028", trigger_kind::process_stop},
        {"M037", trigger_kind::startup},         {"M038", trigger_kind::startup},
        {"M039", trigger_kind::logon},           {"M040", trigger_kind::logon},
        {"M049", trigger_kind::interval_timer},  {"B001", trigger_kind::service_change},
        {"B002", trigger_kind::instance_modification}, {"B003", trigger_kind::process_stop},
        {"B004", trigger_kind::process_stop},    {"B005", trigger_kind::instance_creation},
        {"B006", trigger_kind::other},           {"B007", trigger_kind::other},
        {"B008", trigger_kind::instance_modification}, {"B009", trigger_kind::time_of_day},
    };
    for (const auto& [entry, kind] : table) {
        if (id == entry) return kind;
    }
    FAIL("no expected trigger for " << id);
    return trigger_kind::other;
}

}  // namespace

TEST_CASE("every filter query of the shared corpus parses and gets the trigger a responder would name") {
    std::size_t checked = 0;
    for (const char* name : {"corpus/attacks.jsonl", "corpus/benign.jsonl"}) {
        auto file = wmisub_test::shared_data_path(name);
        if (!file) {
            MESSAGE("skipped: ../shared/data/" << name << " is absent");
            continue;
        }
        for (const auto& e : wmisub_test::load_corpus(*file)) {
            if (!e.filter || istarts_with(*e.filter->get("Name")->as_string(), "unknown")) continue;  // consumer-only fixture
            CAPTURE(e.id);
            const std::string q = query_of(e);
            CAPTURE(q);
            auto a = analyze_wql(q);
            REQUIRE_MESSAGE(a, (a ? std::string() : a.error().to_string()));
            CHECK(a->trigger.kind == expected_kind(e.id));
            CHECK(a->kind == wql_query_kind::event);
            auto canon = canonical_wql(q);
            REQUIRE(canon);
            CHECK(*canonical_wql(*canon) == *canon);
            ++checked;
        }
    }
    if (checked != 0) CHECK(checked == 42);
}
#endif

// --- the text and the parsed-query paths (analyze_wql(text) never builds a wql_query) ----------------

namespace {

// Every field of an analysis, as text, so two analyses compare in one CHECK.
std::string summary(const wql_analysis& a) {
    std::string out = std::string(to_string(a.kind)) + "|" + a.event_class + "|" + std::string(to_string(a.category)) + "|" +
                      a.target_class + "|" + std::to_string(a.within_seconds.value_or(-1)) + "|" +
                      std::to_string(a.group_within_seconds.value_or(-1)) + "\n";
    for (const wql_condition& c : a.conditions) {
        out += c.property + " " + c.op + " " + c.value.text + " " + std::to_string(static_cast<int>(c.value.kind)) + " " +
               std::to_string(c.value.integer) + " " + std::to_string(c.value.offset) + " " + std::to_string(c.value.raw_length) +
               " " + std::string(to_string(c.context)) + " @" + std::to_string(c.offset) + "\n";
    }
    const trigger& t = a.trigger;
    out += std::string(to_string(t.kind)) + " " + describe(t, 1000) + " " + t.watched_class + " " + t.timer_id + "\n";
    for (const auto* list : {&t.process_names, &t.service_names, &t.service_states, &t.registry_hives, &t.registry_paths,
                             &t.registry_values, &t.event_logs, &t.event_sources}) {
        for (const std::string& s : *list) out += s + ";";
        out += "\n";
    }
    for (const auto* list : {&t.event_codes, &t.logon_types, &t.device_event_types}) {
        for (std::int64_t v : *list) out += std::to_string(v) + ";";
        out += "\n";
    }
    for (const wql_issue& i : a.issues) out += i.code + " " + i.message + " " + std::to_string(i.offset) + (i.inert ? " inert\n" : "\n");
    return out;
}

}  // namespace

TEST_CASE("analysing a text gives what analysing its parsed query gives") {
    std::string long_chain = "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'";
    for (int i = 0; i < 40; ++i) long_chain += " AND (TargetInstance.Name = 'p" + std::to_string(i) + ".exe' OR NOT X" + std::to_string(i) + " IS NULL)";
    const std::string queries[] = {
        "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System' "
        "AND TargetInstance.SystemUpTime >= 240 AND TargetInstance.SystemUpTime < 325",
        "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA \"Win32_LocalTime\" AND TargetInstance.Hour = 8 "
        "AND TargetInstance.Minute = 0 AND TargetInstance.Second = 99 AND 6 = TargetInstance.DayOfWeek",
        "select * from __instancecreationevent within 1 where targetinstance isa 'win32_process' and targetinstance . name like '%x%'",
        R"(Select * from RegistryValueChangeEvent where Hive = 'HKEY_LOCAL_MACHINE' and KeyPath = 'SOFTWARE\\Run' and ValueName = 'it\'s')",
        "SELECT * FROM __InstanceModificationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Service' AND "
        "(TargetInstance.Name = 'a' OR TargetInstance.Name = 'b') AND NOT TargetInstance.State = 'Running'",
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Win32_NTLogEvent\" AND TargetInstance.EventCode = ' 4625 ' "
        "GROUP WITHIN 600 BY TargetInstance.SourceName HAVING NumberOfEvents > 25",
        "SELECT * FROM __TimerEvent WHERE TimerID = 'T1' OR TimerId = 'T2'",
        "SELECT * FROM Win32_Process WHERE Name = 'x'",
        "SELECT * FROM __InstanceDeletionEvent WITHIN 2 WHERE TargetInstance ISA 'Win32_LogicalDisk' AND TargetInstance.DriveType = 2",
        "ASSOCIATORS OF {Win32_LogicalDisk.DeviceID=\"C:\"} WHERE ResultClass = Win32_Directory",
        long_chain,
    };
    for (const std::string& q : queries) {
        CAPTURE(q);
        auto direct = analyze_wql(q);
        auto parsed = parse_wql(q);
        REQUIRE(direct);
        REQUIRE(parsed);
        CHECK(summary(*direct) == summary(analyze_wql(*parsed)));
    }
    auto chain = parse_wql(long_chain);
    REQUIRE(chain);
    CHECK(chain->nodes.size() == 162);  // 1 + 40 × (2 predicates, NOT, OR) + the AND: more than the parser keeps inline
    CHECK(analysis_of(long_chain).trigger.process_names.size() == 40);
}

TEST_CASE("spaces around the dots of a property path are dropped") {
    auto q = parse_wql("SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance . Name = 'x.exe' AND TargetInstance ISA 'Win32_Process'");
    REQUIRE(q);
    CHECK(q->nodes[0].property.path == "TargetInstance.Name");
    CHECK(q->nodes[0].property.offset == 53);
    CHECK(analyze_wql(*q).trigger.process_names == std::vector<std::string>{"x.exe"});
}

TEST_CASE("a lexical error anywhere is reported before an earlier syntax error") {
    const error stray = error_of("SELEC * FROM X WHERE A = $");
    CHECK(stray.code == errc::syntax_error);
    CHECK(stray.message == "unexpected character '$'");
    CHECK(stray.location.offset == 25);
    const error open = error_of("SELECT * FROM X WHERE A = 'open");
    CHECK(open.code == errc::unexpected_end);
    CHECK(open.location.offset == 26);
    CHECK(open.expected == "closing '");
}

TEST_CASE("a hand-built query may list a node under two parents") {
    wql_query q;
    q.kind = wql_query_kind::event;
    q.from_class = "__InstanceCreationEvent";
    q.within_seconds = 5;
    wql_node name;
    name.kind = wql_node_kind::compare;
    name.property.path = "TargetInstance.Name";
    name.value.kind = wql_literal::type::string;
    name.value.text = "a.exe";
    wql_node isa;
    isa.kind = wql_node_kind::isa;
    isa.property.path = "TargetInstance";
    isa.value.kind = wql_literal::type::string;
    isa.value.text = "Win32_Process";
    wql_node any;
    any.kind = wql_node_kind::any_of;
    any.children = {0};
    wql_node all;
    all.kind = wql_node_kind::all_of;
    all.children = {1, 0, 2};
    q.nodes = {name, isa, any, all};
    q.where = 3;
    const wql_analysis a = analyze_wql(q);
    REQUIRE(a.conditions.size() == 3);
    CHECK(a.conditions[0].property == "TargetInstance");
    CHECK(a.conditions[1].context == condition_context::required);
    CHECK(a.conditions[2].property == "TargetInstance.Name");
    CHECK(a.conditions[2].context == condition_context::alternative);
    CHECK(a.trigger.kind == trigger_kind::process_start);
    CHECK(a.trigger.process_names == std::vector<std::string>{"a.exe", "a.exe"});
}

TEST_CASE("classes wmisub does not know are unknown event classes, never inert data queries") {
    for (const char* q : {"SELECT * FROM Contoso_DeviceAlertEvent", "SELECT * FROM Contoso_Thing", "SELECT * FROM Vendor_PolicyChanged"}) {
        CAPTURE(q);
        const auto a = analysis_of(q);
        CHECK(a.kind == wql_query_kind::event);
        CHECK(a.category == event_category::extrinsic);
        CHECK_FALSE(a.event_class_known);
        CHECK_FALSE(a.inert());
        REQUIRE_FALSE(a.issues.empty());
        CHECK(a.issues[0].code == "unknown_event_class");
    }
    // Windows ships these extrinsic classes, some without "Event" in their names.
    for (const char* q : {"SELECT * FROM MSFT_WmiProvider_ExecMethodAsyncEvent_Pre", "SELECT * FROM MSFT_WmiFilterActivated",
                          "SELECT * FROM MSNdis_StatusMediaConnect", "SELECT * FROM Win32_ProcessStartTrace",
                          "SELECT * FROM RegistryValueChangeEvent WHERE Hive = 'HKEY_LOCAL_MACHINE' AND KeyPath = 'x' AND ValueName = 'y'",
                          "SELECT * FROM MSFT_SCMEventLogEvent"}) {
        CAPTURE(q);
        const auto a = analysis_of(q);
        CHECK(a.kind == wql_query_kind::event);
        CHECK(a.event_class_known);
        CHECK_FALSE(a.inert());
    }
    // Classes that hold data stay data queries, whatever their names end with.
    for (const char* q : {"SELECT * FROM Win32_NTLogEvent", "SELECT * FROM Win32_Service", "SELECT * FROM CIM_DataFile",
                          "SELECT * FROM Win32_PerfFormattedData_PerfOS_System"}) {
        CAPTURE(q);
        const auto a = analysis_of(q);
        CHECK(a.kind == wql_query_kind::data);
        CHECK(a.inert());
    }
    CHECK(analysis_of("SELECT * FROM CIM_AlertIndication").kind == wql_query_kind::event);
}
