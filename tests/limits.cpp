// Tests for wmisub/limits.hpp: one struct bounds collection, analysis, scans and reports.
#include "wmisub/limits.hpp"

#include "wmisub/collector.hpp"
#include "wmisub/engine.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>

using namespace wmisub;

TEST_CASE("limits: defaults come from the compile-time macros and reach every stage") {
    const limits defaults;
    CHECK(defaults.max_input_bytes == WMISUB_MAX_INPUT_BYTES);
    CHECK(defaults.max_nesting == WMISUB_MAX_NESTING);
    CHECK(defaults.max_array_elements == WMISUB_MAX_ARRAY_ELEMENTS);
    CHECK(defaults.max_total_input_bytes >= defaults.max_input_bytes);

    const collect_options options;
    CHECK(options.limits.max_objects == defaults.max_objects);

    limits tight;
    tight.max_entries = 1;
    tight.payload.max_depth = 2;
    const engine e(rule_catalog::builtin(), {}, tight);
    CHECK(e.limits().max_entries == 1);
    CHECK(e.limits().payload.max_depth == 2);
}

TEST_CASE("limits: a scan past max_entries and a collection past max_objects both keep what they did") {
    mock_collector source;
    for (int i = 0; i < 5; ++i) {
        const std::string name = "S" + std::to_string(i);
        source.filter(name, "SELECT * FROM __TimerEvent").command_line_consumer(name, "calc.exe").bind(name, name);
    }
    collect_options options;
    options.limits.max_objects = 9;  // three whole subscriptions
    auto snap = source.collect(options);
    REQUIRE(snap);
    CHECK(snap->object_count() == 9);
    CHECK(snap->partial());

    limits two;
    two.max_entries = 2;
    const engine e(rule_catalog::builtin(), {}, two);
    scanner s(e);
    std::size_t seen = 0;
    const scan_summary done = s.scan(*snap, [&](const assessment&) { ++seen; });
    CHECK(seen == 2);
    CHECK(done.status == scan_status::entry_limit);
    CHECK(done.partial);
}

TEST_CASE("stop_signal: a raised flag or a passed deadline stops work, naming what was stopped") {
    const stop_signal none;
    CHECK(none.empty());
    CHECK(!none.raised());
    CHECK(!none.why("x"));

    std::atomic<bool> flag{false};
    stop_signal by_flag;
    by_flag.cancel = &flag;
    CHECK(!by_flag.empty());
    CHECK(!by_flag.raised());
    flag = true;
    CHECK(by_flag.raised());
    REQUIRE(by_flag.why("JSON parse"));
    CHECK(by_flag.why("JSON parse")->code == errc::cancelled);
    CHECK(by_flag.why("JSON parse")->message == "JSON parse cancelled");

    stop_signal by_clock;
    by_clock.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    CHECK(by_clock.raised());
    REQUIRE(by_clock.why("reading"));
    CHECK(by_clock.why("reading")->code == errc::timeout);

    by_clock.deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
    CHECK(!by_clock.raised());
}
