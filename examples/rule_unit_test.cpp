// rule_unit_test: unit-test a rule with doctest and the mock collector.
//
// The mock collector builds a scenario in a few lines (filter, consumer,
// binding, as a real source would deliver them); an engine whose catalog holds only the
// rule under test keeps each test about that rule. Test where it must fire,
// where it must stay silent, and the severity and evidence it reports.
//
// The rule under test, ACME-002, flags filters that poll WMI more often than
// every 10 seconds (`WITHIN 1`): a load on the host, and a sign of a payload
// that wants to react at once. Run it like any doctest binary
// (`rule_unit_test --success`, `-tc="ACME-002*"`); it exits non-zero when a
// check fails.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <wmisub/wmisub.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

// The rule as its author ships it.
wmisub::rule fast_polling_rule() {
    wmisub::rule r;
    r.id = "ACME-002";
    r.title = "Polls WMI more often than every 10 seconds";
    r.severity = wmisub::severity::low;
    r.techniques = {"T1546.003"};
    r.description = "The filter's WITHIN clause is below 10 seconds; high when the consumer runs code.";
    r.rationale = "Tight polling costs CPU on every host and is chosen by payloads that must react at once.";
    r.check = [](const wmisub::subscription_facts& f) -> std::optional<wmisub::rule_hit> {
        if (!f.trigger || !f.trigger->within_seconds || *f.trigger->within_seconds >= 10.0) return std::nullopt;
        wmisub::rule_hit hit;
        hit.evidence.push_back(
            {"Filter.Query", f.filter->query, "WITHIN " + std::to_string(*f.trigger->within_seconds)});
        if (f.executes_code()) hit.severity = wmisub::severity::high;
        return hit;
    };
    return r;
}

// Scans the scenario with an engine holding `rules` and returns the assessment of its first entry.
wmisub::assessment assess_first(wmisub::mock_collector& scenario, wmisub::rule_catalog rules) {
    const wmisub::engine engine(std::move(rules));
    wmisub::scanner scanner(engine);
    auto snap = scenario.collect({});
    REQUIRE(snap);
    const wmisub::subscription_graph graph = scanner.build_graph(std::move(*snap));
    std::vector<wmisub::assessment> results = scanner.assess_all(graph);
    REQUIRE(!results.empty());
    // The assessment shares ownership of what its facts point into: it outlives engine, scanner and graph.
    return std::move(results.front());
}

// A catalog with the rule under test only.
wmisub::rule_catalog only_fast_polling() {
    wmisub::rule_catalog rules;
    REQUIRE(rules.add(fast_polling_rule()));
    return rules;
}

// A process-creation filter polled every `seconds`.
std::string query_within(int seconds) {
    return "SELECT * FROM __InstanceCreationEvent WITHIN " + std::to_string(seconds) +
           " WHERE TargetInstance ISA 'Win32_Process'";
}

}  // namespace

TEST_CASE("ACME-002 fires on WITHIN 1 with a consumer that runs code, at high") {
    wmisub::mock_collector scenario;
    scenario.filter("F", query_within(1)).command_line_consumer("C", "cmd.exe /c echo hi").bind("F", "C");
    const wmisub::assessment a = assess_first(scenario, only_fast_polling());
    REQUIRE(a.findings.size() == 1);
    CHECK(a.findings[0].id() == "ACME-002");
    CHECK(a.findings[0].severity == wmisub::severity::high);
    REQUIRE(a.findings[0].evidence.size() == 1);
    CHECK(a.findings[0].evidence[0].field == "Filter.Query");
    CHECK(a.risk.severity == wmisub::severity::high);
}

TEST_CASE("ACME-002 stays low when the consumer only logs") {
    wmisub::mock_collector scenario;
    wmisub::instance log;  // no adder for LogFileEventConsumer: build the instance as a source would
    log.class_name = "LogFileEventConsumer";
    log.set("Name", wmisub::value::string("L"))
        .set("Filename", wmisub::value::string("C:\\Windows\\Logs\\procs.log"))
        .set("Text", wmisub::value::string("%TargetInstance.Name%"));
    scenario.filter("F", query_within(5)).add(log).bind("F", "L", "LogFileEventConsumer");
    const wmisub::assessment a = assess_first(scenario, only_fast_polling());
    REQUIRE(a.findings.size() == 1);
    CHECK(a.findings[0].severity == wmisub::severity::low);
}

TEST_CASE("ACME-002 is silent on slow polling and on extrinsic events") {
    wmisub::mock_collector slow;
    slow.filter("F", query_within(60)).command_line_consumer("C", "cmd.exe /c echo hi").bind("F", "C");
    CHECK(assess_first(slow, only_fast_polling()).findings.empty());

    wmisub::mock_collector extrinsic;  // no WITHIN at all: events are pushed, not polled
    extrinsic.filter("F", "SELECT * FROM Win32_ProcessStartTrace").command_line_consumer("C", "cmd.exe").bind("F", "C");
    CHECK(assess_first(extrinsic, only_fast_polling()).findings.empty());
}

TEST_CASE("ACME-002 is silent on a filter whose query does not parse") {
    wmisub::mock_collector broken;
    broken.filter("F", "SELECT * FROM WHERE").command_line_consumer("C", "cmd.exe").bind("F", "C");
    CHECK(assess_first(broken, only_fast_polling()).findings.empty());
}

TEST_CASE("ACME-002 next to the built-in rules: its id is free and it adds to the score") {
    wmisub::rule_catalog rules = wmisub::rule_catalog::builtin();
    REQUIRE(rules.add(fast_polling_rule()));
    CHECK_FALSE(rules.add(fast_polling_rule()));  // ids are unique

    wmisub::mock_collector scenario;
    scenario.filter("F", query_within(1)).command_line_consumer("C", "cmd.exe /c echo hi").bind("F", "C");
    const wmisub::rule_catalog builtin_only = wmisub::rule_catalog::builtin();
    const int without = assess_first(scenario, builtin_only).risk.score;
    const int with = assess_first(scenario, rules).risk.score;
    CHECK(with > without);
}
