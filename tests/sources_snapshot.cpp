// Tests for wmisub/sources/snapshot.hpp: the snapshot collector over wmisub
// snapshots and baselines, PowerShell ConvertTo-Json (5.1 and 7, UTF-16LE with
// BOM, concatenated outputs) and osquery --json output. Needs nlohmann/json.
// Fixtures: tests/data/snapshot/ (see its README.md for the shapes they follow).
#include "wmisub/sources/snapshot.hpp"
#include "scratch_dir.hpp"
#include "shared_data.hpp"

#include "wmisub/assess.hpp"
#include "wmisub/baseline.hpp"
#include "wmisub/graph.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

using namespace wmisub;
using wmisub_test::scratch_dir;
using wmisub_test::read_file;
namespace fs = std::filesystem;

namespace {

fs::path fixture(const std::string& name) {
    const fs::path beside = fs::path(__FILE__).parent_path() / "data" / "snapshot" / name;
    if (fs::exists(beside)) return beside;
    return fs::path("tests") / "data" / "snapshot" / name;
}

snapshot collect_files(std::vector<fs::path> files, const collect_options& options = {}) {
    snapshot_collector source(std::move(files));
    auto s = source.collect(options);
    REQUIRE_MESSAGE(s, s.error().to_string());
    return std::move(*s);
}

const event_filter* filter_named(const snapshot& s, std::string_view name) {
    for (const event_filter& f : s.filters) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

const consumer* consumer_named(const snapshot& s, std::string_view name) {
    for (const consumer& c : s.consumers) {
        if (header_of(c).name == name) return &c;
    }
    return nullptr;
}

bool has_property(const std::vector<property>& props, std::string_view name) {
    return find_property(props, name) != nullptr;
}


}  // namespace

TEST_CASE("Windows PowerShell 5.1 Get-WmiObject output: array, single object, bindings") {
    snapshot_collector source({fixture("ps51_wmiobject_filters.json"), fixture("ps51_wmiobject_consumer.json"),
                               fixture("ps51_wmiobject_binding.json")});
    auto s = source.collect({});
    REQUIRE_MESSAGE(s, s.error().to_string());
    for (const auto& f : source.files()) {
        CAPTURE(f.path);
        CHECK(f.read);
        CHECK(f.input.format == json_format::powershell);
        CHECK(f.input.encoding == text_encoding::utf8);
    }
    CHECK(s->host == "WS01");
    REQUIRE(s->filters.size() == 2);
    const event_filter* scm = filter_named(*s, "SCM Event Log Filter");
    REQUIRE(scm != nullptr);
    CHECK(scm->namespace_path == "ROOT\\subscription");
    CHECK(scm->class_name == "__EventFilter");
    CHECK(scm->query == "select * from MSFT_SCMEventLogEvent");
    CHECK(scm->event_namespace == "root\\cimv2");
    CHECK(scm->creator_sid_string() == "S-1-5-32-544");
    CHECK(scm->extra.empty());  // no __PATH, PSComputerName, Scope, Path, Options, ... as properties
    CHECK(scm->origin.kind == source_kind::snapshot);
    CHECK(scm->origin.where.source.find("ps51_wmiobject_filters.json") != std::string::npos);
    CHECK(scm->origin.where.line == 2);
    CHECK(scm->origin.record == 0u);

    REQUIRE(s->consumers.size() == 1);
    const auto& c = std::get<command_line_consumer>(s->consumers[0]);
    CHECK(c.name == "BotConsumer23");
    CHECK(c.command_line_template == "powershell.exe -NoP -W Hidden -Enc SQBFAFgA");
    CHECK(c.priority == 32);
    CHECK(c.kill_timeout == 0u);
    CHECK(c.creator_sid_string() == "S-1-5-21-123-456-789-1001");
    for (const char* adapter : {"PSComputerName", "Scope", "Path", "Options", "ClassPath", "Properties",
                                "SystemProperties", "Qualifiers", "Site", "Container", "__PATH", "__GENUS"}) {
        CAPTURE(adapter);
        CHECK(!has_property(c.extra, adapter));
    }
    CHECK(has_property(c.extra, "XSize") == false);  // NULL properties are simply absent
    CHECK(has_property(c.extra, "UseDefaultErrorMode"));

    REQUIRE(s->bindings.size() == 1);
    const subscription_graph graph(*s);
    CHECK(graph.in_state(subscription_state::bound).size() == 1);
    CHECK(graph.in_state(subscription_state::orphan_filter).size() == 1);
    CHECK(s->errors.empty());
}

TEST_CASE("Windows PowerShell 5.1 Get-CimInstance output in UTF-16LE with BOM, four outputs appended") {
    snapshot_collector source({fixture("ps51_ciminstance_utf16.json")});
    auto s = source.collect({});
    REQUIRE_MESSAGE(s, s.error().to_string());
    const std::vector<snapshot_file_summary> files = source.files();
    REQUIRE(files.size() == 1);
    const snapshot_file_summary& summary = files.front();
    CHECK(summary.input.encoding == text_encoding::utf16le);
    CHECK(summary.input.documents == 4);
    CHECK(summary.input.objects == 4);
    CHECK(summary.input.format == json_format::powershell);
    CHECK(s->host == "WS01");

    const event_filter* f = filter_named(*s, "ProcessStartTrigger");
    REQUIRE(f != nullptr);
    CHECK(f->namespace_path == "ROOT\\subscription");
    CHECK(f->creator_sid_string() == "S-1-5-32-544");
    CHECK(f->extra.empty());

    const consumer* k = consumer_named(*s, "KillProcess");
    REQUIRE(k != nullptr);
    const auto& script = std::get<active_script_consumer>(*k);
    CHECK(script.kill_timeout == 45u);
    CHECK(script.scripting_engine == "VBScript");
    REQUIRE(script.script_text);
    CHECK(script.script_text->find("objProcess.Terminate()") != std::string::npos);

    REQUIRE(s->timers.size() == 1);
    const timer_instruction& t = s->timers.front();
    CHECK(t.timer_id == "NightlyTimer");
    REQUIRE(t.event_date_time);
    CHECK(to_string(*t.event_date_time) == "20240102030405.678000+000");  // "\/Date(1704164645678)\/"

    REQUIRE(s->bindings.size() == 1);
    const binding& b = s->bindings.front();
    CHECK(b.filter == "ROOT\\subscription:__EventFilter.Name=\"ProcessStartTrigger\"");
    CHECK(b.consumer == "ROOT\\subscription:ActiveScriptEventConsumer.Name=\"KillProcess\"");
    const subscription_graph graph(*s);
    REQUIRE(graph.in_state(subscription_state::bound).size() == 1);
    CHECK(s->errors.empty());

    SUBCASE("later documents are located in the decoded text") {
        CHECK(b.origin.where.line > t.origin.where.line);
        CHECK(t.origin.where.line > script.origin.where.line);
    }
}

TEST_CASE("PowerShell 7 Get-CimInstance output: depth-truncated and -Depth 4 shapes") {
    const snapshot s = collect_files({fixture("ps7_ciminstance_filters.json"),
                                      fixture("ps7_ciminstance_consumers_depth4.json"),
                                      fixture("ps7_ciminstance_binding.json")});
    CHECK(s.host == "WS02");
    REQUIRE(s.filters.size() == 2);
    const event_filter* bot = filter_named(s, "BotFilter82");
    REQUIRE(bot != nullptr);
    CHECK(bot->namespace_path == "ROOT\\subscription");  // "ROOT/subscription" in CimSystemProperties
    CHECK(bot->creator_sid_string() == "S-1-5-21-123-456-789-1001");
    CHECK(bot->extra.empty());

    const consumer* cli = consumer_named(s, "BotConsumer23");
    REQUIRE(cli != nullptr);
    const auto& c = std::get<command_line_consumer>(*cli);
    CHECK(c.kill_timeout == 30u);
    CHECK(c.working_directory == "C:\\Users\\Public");
    CHECK(c.create_new_console == false);
    // CimType 6 (UInt32) and 7 (SInt32) from CimInstanceProperties typed the values.
    const std::vector<property> props = properties_of(*cli);
    CHECK(find_property(props, "KillTimeout")->value.type() == cim_type::uint32);

    const consumer* custom = consumer_named(s, "VendorHook");
    REQUIRE(custom != nullptr);
    REQUIRE(std::holds_alternative<custom_consumer>(*custom));
    const auto& hook = std::get<custom_consumer>(*custom);
    CHECK(hook.class_name == "VendorWebhookConsumer");
    CHECK(!hook.derivation.empty());
    CHECK(hook.derivation.front() == "__EventConsumer");
    const value* retry = hook.extra_property("RetryCount");
    REQUIRE(retry != nullptr);
    CHECK(retry->type() == cim_type::uint16);  // "CimType": "UInt16" (-EnumsAsStrings)

    REQUIRE(s.bindings.size() == 1);
    CHECK(s.bindings.front().filter == "ROOT\\subscription:__EventFilter.Name=\"BotFilter82\"");
    const subscription_graph graph(s);
    CHECK(graph.in_state(subscription_state::bound).size() == 1);
    CHECK(s.errors.empty());
}

TEST_CASE("osquery --json output of the four wmi_* tables") {
    snapshot_collector source({fixture("osquery_wmi_event_filters.json"), fixture("osquery_wmi_cli_event_consumers.json"),
                               fixture("osquery_wmi_script_event_consumers.json"),
                               fixture("osquery_wmi_filter_consumer_binding.json")});
    auto s = source.collect({});
    REQUIRE_MESSAGE(s, s.error().to_string());
    for (const auto& f : source.files()) CHECK(f.input.format == json_format::osquery);
    REQUIRE(s->filters.size() == 3);
    const event_filter* bot = filter_named(*s, "BotFilter82");
    REQUIRE(bot != nullptr);
    CHECK(bot->namespace_path == "ROOT\\Subscription");
    CHECK(bot->query_language == "WQL");
    CHECK(bot->extra.empty());  // class, namespace and relative_path are not properties
    const event_filter* other_ns = filter_named(*s, "DefaultNsFilter");
    REQUIRE(other_ns != nullptr);
    CHECK(other_ns->namespace_path == "ROOT\\default");

    const consumer* cli = consumer_named(*s, "BotConsumer23");
    REQUIRE(cli != nullptr);
    const auto& c = std::get<command_line_consumer>(*cli);
    CHECK(c.namespace_path == "root\\subscription");  // an osquery without the namespace column
    CHECK(!c.executable_path);                        // "" is osquery's NULL
    REQUIRE(consumer_named(*s, "KillProcess") != nullptr);
    CHECK(std::holds_alternative<active_script_consumer>(*consumer_named(*s, "KillProcess")));

    REQUIRE(s->bindings.size() == 2);
    const subscription_graph graph(*s);
    CHECK(graph.in_state(subscription_state::bound).size() == 1);  // BotFilter82 -> BotConsumer23
    CHECK(graph.in_state(subscription_state::dangling_binding).size() == 1);  // ProcessStartTrigger is not in the export
    CHECK(s->errors.empty());

    SUBCASE("namespaces are filtered as collect_options asks") {
        collect_options only_default;
        only_default.namespaces = {"root\\default"};
        const snapshot d = collect_files({fixture("osquery_wmi_event_filters.json")}, only_default);
        REQUIRE(d.filters.size() == 1);
        CHECK(d.filters.front().name == "DefaultNsFilter");
    }
}

TEST_CASE("the format is told from content, not from the file name") {
    scratch_dir dir{"wmisub-snapshot"};
    const fs::path disguised = dir.path() / "evidence.txt";
    std::ofstream(disguised, std::ios::binary) << read_file(fixture("osquery_wmi_event_filters.json"));
    const fs::path disguised2 = dir.path() / "osquery.json";
    std::ofstream(disguised2, std::ios::binary) << read_file(fixture("ps7_ciminstance_filters.json"));
    snapshot_collector source({disguised, disguised2});
    auto s = source.collect({});
    REQUIRE(s);
    CHECK(source.files()[0].input.format == json_format::osquery);
    CHECK(source.files()[1].input.format == json_format::powershell);
    CHECK(s->filters.size() == 5);
}

TEST_CASE("wmisub snapshots and baselines are read, their checksums verified") {
    scratch_dir dir{"wmisub-snapshot"};
    mock_collector m("host");
    m.filter("F", "SELECT * FROM __TimerEvent WHERE TimerId = 'T'").command_line_consumer("C", "calc.exe").bind("F", "C");
    auto original = m.collect({});
    REQUIRE(original);
    original->host = "WS09";
    const fs::path snap = dir.path() / "snap.json";
    REQUIRE(save_snapshot(snap, *original));
    const fs::path base = dir.path() / "base.json";
    REQUIRE(save_baseline(base, make_baseline(*original)));

    snapshot_collector source({snap, base});
    auto s = source.collect({});
    REQUIRE_MESSAGE(s, s.error().to_string());
    CHECK(source.files()[0].input.format == json_format::wmisub_snapshot);
    CHECK(source.files()[0].input.checksum_verified);
    CHECK(source.files()[1].input.format == json_format::wmisub_baseline);
    CHECK(s->host == "WS09");
    CHECK(s->filters.size() == 2);
    CHECK(s->filters.front().origin.kind == source_kind::mock);  // the original provenance is kept

    SUBCASE("a tampered snapshot is one corrupt_data error and the other files are still read") {
        std::string text = read_file(snap);
        const std::size_t at = text.find("calc.exe");
        REQUIRE(at != std::string::npos);
        text.replace(at, 8, "evil.exe");
        std::ofstream(snap, std::ios::binary | std::ios::trunc) << text;
        snapshot_collector again({snap, base});
        auto r = again.collect({});
        REQUIRE(r);
        REQUIRE(r->errors.size() == 1);
        CHECK(r->errors.front().error.code == errc::corrupt_data);
        CHECK(r->errors.front().source.find("snap.json") != std::string::npos);
        CHECK(!again.files()[0].read);
        CHECK(r->filters.size() == 1);  // from the baseline
    }
}

TEST_CASE("bad files are one error each; the collection fails only when nothing could be read") {
    scratch_dir dir{"wmisub-snapshot"};
    const fs::path garbage = dir.path() / "garbage.json";
    std::ofstream(garbage, std::ios::binary) << "{\"Name\": \"x\", \"Query\": ";
    const fs::path unrelated = dir.path() / "unrelated.json";
    std::ofstream(unrelated, std::ios::binary) << R"({"hello": [1, 2, 3]})";
    const fs::path missing = dir.path() / "missing.json";
    snapshot_collector source({garbage, unrelated, missing, fixture("ps51_wmiobject_consumer.json")});
    auto s = source.collect({});
    REQUIRE(s);
    REQUIRE(s->errors.size() == 3);
    CHECK(s->errors[0].error.code == errc::unexpected_end);
    CHECK(s->errors[0].error.location.line == 1);
    CHECK(s->errors[1].error.code == errc::unsupported);
    CHECK(s->errors[2].error.code == errc::not_found);
    CHECK(s->consumers.size() == 1);

    snapshot_collector nothing({garbage, missing});
    auto none = nothing.collect({});
    REQUIRE(!none);
    CHECK(none.error().code == errc::unexpected_end);  // the first file's own reason, not "not found"
    auto only_missing = snapshot_collector({missing}).collect({});
    REQUIRE(!only_missing);
    CHECK(only_missing.error().code == errc::not_found);
    snapshot_collector empty;
    CHECK(!empty.collect({}));
}

TEST_CASE("a PowerShell object whose class cannot be told is an error located in the file") {
    scratch_dir dir{"wmisub-snapshot"};
    const fs::path file = dir.path() / "mixed.json";
    std::ofstream(file, std::ios::binary) << R"([
  {"Name": "Good", "Query": "SELECT * FROM __TimerEvent", "CimSystemProperties": {"ClassName": "__EventFilter", "Namespace": "root/subscription"}},
  {"Name": "Mystery", "PSComputerName": null}
])";
    const snapshot s = collect_files({file});
    REQUIRE(s.filters.size() == 1);
    REQUIRE(s.errors.size() == 1);
    CHECK(s.errors.front().error.code == errc::missing_field);
    CHECK(s.errors.front().error.location.source.find("mixed.json#/1") != std::string::npos);
}

TEST_CASE("collect_options: cancel flag and progress") {
    std::atomic<bool> cancel{true};
    collect_options options;
    options.cancel = &cancel;
    snapshot_collector source({fixture("ps7_ciminstance_filters.json")});
    auto r = source.collect(options);
    REQUIRE(r);
    CHECK(r->stopped->code == errc::cancelled);
    CHECK(r->object_count() == 0);

    std::vector<std::string> seen;
    collect_options with_progress;
    with_progress.progress = [&](const collect_progress& p) { seen.emplace_back(p.stage); };
    snapshot_collector two({fixture("ps7_ciminstance_filters.json"), fixture("osquery_wmi_event_filters.json")});
    REQUIRE(two.collect(with_progress));
    CHECK(seen.size() == 2);
    CHECK(two.name() == "snapshot");
    CHECK(snapshot_collector({fixture("ps7_ciminstance_filters.json")}).name().starts_with("snapshot:"));
}

TEST_CASE("Get-WmiObject references naming the host's own server join: one subscription, not three pieces") {
    scratch_dir dir{"wmisub-snapshot-server"};
    const fs::path file = dir.path() / "ws01.json";
    std::ofstream(file, std::ios::binary) << R"([
  {"__CLASS": "__EventFilter", "__SERVER": "WS01", "__NAMESPACE": "ROOT\\subscription",
   "__PATH": "\\\\WS01\\ROOT\\subscription:__EventFilter.Name=\"Upd\"",
   "Name": "Upd", "Query": "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_LocalTime'",
   "QueryLanguage": "WQL", "PSComputerName": "WS01"},
  {"__CLASS": "CommandLineEventConsumer", "__SERVER": "WS01", "__NAMESPACE": "ROOT\\subscription",
   "Name": "Upd", "CommandLineTemplate": "cmd.exe /c calc", "PSComputerName": "WS01"},
  {"__CLASS": "__FilterToConsumerBinding", "__SERVER": "WS01", "__NAMESPACE": "ROOT\\subscription",
   "Filter": "\\\\WS01\\ROOT\\subscription:__EventFilter.Name=\"Upd\"",
   "Consumer": "\\\\WS01\\ROOT\\subscription:CommandLineEventConsumer.Name=\"Upd\"", "PSComputerName": "WS01"}
])";
    const snapshot s = collect_files({file});
    CHECK(s.host == "WS01");
    const subscription_graph g(s);
    CHECK(g.in_state(subscription_state::bound).size() == 1);
    CHECK(g.in_state(subscription_state::orphan_filter).empty());
    CHECK(g.in_state(subscription_state::orphan_consumer).empty());
    CHECK(g.in_state(subscription_state::dangling_binding).empty());
}

TEST_CASE("osquery cannot read three consumer classes: a binding to one of them is not evidence, the others are") {
    // The four osquery tables of a host with Windows' own SCM subscription and one planted
    // binding whose CommandLineEventConsumer was deleted: osquery shows the SCM filter and both
    // bindings, but has no table for the SCM subscription's NTEventLogEventConsumer.
    scratch_dir dir{"wmisub-osquery-coverage"};
    const fs::path filters = dir.path() / "filters.json";
    const fs::path bindings = dir.path() / "bindings.json";
    const fs::path consumers = dir.path() / "cli.json";
    std::ofstream(filters, std::ios::binary) << R"([
  {"class":"__EventFilter","name":"SCM Event Log Filter","namespace":"ROOT\\Subscription","query":"select * from MSFT_SCMEventLogEvent","query_language":"WQL","relative_path":"__EventFilter.Name=\"SCM Event Log Filter\""},
  {"class":"__EventFilter","name":"Gone","namespace":"ROOT\\Subscription","query":"SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'","query_language":"WQL","relative_path":"__EventFilter.Name=\"Gone\""}
])";
    std::ofstream(bindings, std::ios::binary) << R"([
  {"class":"__FilterToConsumerBinding","consumer":"NTEventLogEventConsumer.Name=\"SCM Event Log Consumer\"","filter":"__EventFilter.Name=\"SCM Event Log Filter\"","namespace":"ROOT\\Subscription","relative_path":""},
  {"class":"__FilterToConsumerBinding","consumer":"CommandLineEventConsumer.Name=\"Deleted\"","filter":"__EventFilter.Name=\"Gone\"","namespace":"ROOT\\Subscription","relative_path":""}
])";
    std::ofstream(consumers, std::ios::binary) << "[]";
    const snapshot s = collect_files({filters, bindings, consumers});
    REQUIRE(s.readable_consumer_classes);
    CHECK(s.can_read_consumer_class("CommandLineEventConsumer"));
    CHECK(s.can_read_consumer_class("activescripteventconsumer"));
    CHECK_FALSE(s.can_read_consumer_class("NTEventLogEventConsumer"));
    CHECK_FALSE(s.can_read_consumer_class("LogFileEventConsumer"));

    const subscription_graph g(s);
    const auto dangling = g.in_state(subscription_state::dangling_binding);
    REQUIRE(dangling.size() == 2);
    const subscription* scm = g.filter(*dangling[0])->name == "SCM Event Log Filter" ? dangling[0] : dangling[1];
    const subscription* planted = scm == dangling[0] ? dangling[1] : dangling[0];
    CHECK(scm->consumer_unreadable);
    CHECK(scm->unresolved.find("cannot read NTEventLogEventConsumer") != std::string::npos);
    CHECK_FALSE(planted->consumer_unreadable);

    const rule_catalog rules = rule_catalog::builtin();
    const assessment scm_verdict = assess_entry(g, *scm, rules);
    for (const finding& f : scm_verdict.findings) {
        CAPTURE(f.id());
        CHECK(f.id() != "WMISUB-STR-009");  // the filter is the built-in's, whatever its consumer
        CHECK(f.id() != "WMISUB-STR-004");  // the consumer may well exist: osquery cannot show it
    }
    CHECK(scm_verdict.risk.severity < severity::medium);
    const assessment planted_verdict = assess_entry(g, *planted, rules);
    CHECK(std::any_of(planted_verdict.findings.begin(), planted_verdict.findings.end(),
                      [](const finding& f) { return f.id() == "WMISUB-STR-004"; }));

    // With a full export beside it (PowerShell reads every class), nothing is unreadable any more.
    snapshot_collector both({filters, bindings, consumers, fixture("ps51_wmiobject_consumer.json")});
    auto all = both.collect();
    REQUIRE(all);
    CHECK_FALSE(all->readable_consumer_classes);
}

TEST_CASE("a deadline stops the snapshot collector inside a big file and keeps the files read before") {
    scratch_dir dir{"wmisub-snapshot-deadline"};
    const fs::path big = dir.path() / "z_big.json";
    {
        mock_collector source;
        for (int i = 0; i < 2000; ++i) source.filter("F" + std::to_string(i), "SELECT * FROM __TimerEvent");
        auto many = source.collect();
        REQUIRE(many);
        std::ofstream(big, std::ios::binary) << to_json_text(*many);
    }
    const fs::path first = fixture("ps7_ciminstance_filters.json");
    const std::size_t first_objects = collect_files({first}).object_count();
    REQUIRE(first_objects > 0);
    // Deadlines from 50 us doubling, until one passes while the big file is read: what the first file held is kept.
    bool kept_earlier = false;
    for (auto budget = std::chrono::microseconds(50); budget < std::chrono::seconds(60) && !kept_earlier; budget *= 2) {
        collect_options options;
        options.deadline = std::chrono::steady_clock::now() + budget;
        snapshot_collector source({first, big});
        auto s = source.collect(options);
        REQUIRE(s);
        if (!s->stopped) break;  // both files fit in the budget
        CHECK(s->stopped->code == errc::timeout);
        CHECK(s->errors.empty());  // a stop is the collection's state, not a problem of a file
        // Stopped inside the big file (not between the files), with the first file's objects kept.
        kept_earlier = s->object_count() == first_objects && s->stopped->location.source.find("z_big.json") != std::string::npos;
    }
    CHECK(kept_earlier);
}

TEST_CASE("a baseline from live data and an osquery export of the same host diff cleanly on what osquery shows") {
    // osquery cannot show CreatorSID or EventNamespace; a baseline made from osquery data diffs clean against osquery data.
    const snapshot first = collect_files({fixture("osquery_wmi_event_filters.json"), fixture("osquery_wmi_cli_event_consumers.json"),
                                          fixture("osquery_wmi_filter_consumer_binding.json")});
    const snapshot second = collect_files({fixture("osquery_wmi_filter_consumer_binding.json"),
                                           fixture("osquery_wmi_cli_event_consumers.json"),
                                           fixture("osquery_wmi_event_filters.json")});
    const baseline_diff d = diff(make_baseline(first), second);
    CHECK(!d.has_changes());
}
