// Tests for wmisub/limits.hpp: one struct bounds collection, analysis, scans and reports.
#include "wmisub/limits.hpp"

#include "wmisub/collector.hpp"
#include "wmisub/engine.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/wql/query.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <fstream>
#include <map>
#include <sstream>
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

namespace {

// Every limit the README's table states, by the name it gives, with the value the code applies.
std::map<std::string, std::size_t> limits_in_code() {
    const limits l;
    const payload_options& p = l.payload;
    return {
        {"limits::max_input_bytes", l.max_input_bytes},
        {"limits::max_nesting", l.max_nesting},
        {"limits::max_array_elements", l.max_array_elements},
        {"limits::max_total_input_bytes", l.max_total_input_bytes},
        {"limits::max_files", l.max_files},
        {"limits::max_objects", l.max_objects},
        {"limits::max_errors", l.max_errors},
        {"limits::max_entries", l.max_entries},
        {"limits::max_findings", l.max_findings},
        {"limits::max_evidence_bytes", l.max_evidence_bytes},
        {"limits::max_report_text_bytes", l.max_report_text_bytes},
        {"payload_options::max_depth", p.max_depth},
        {"payload_options::max_decoded_bytes", p.max_decoded_bytes},
        {"payload_options::max_layer_bytes", p.max_layer_bytes},
        {"payload_options::max_layers", p.max_layers},
        {"payload_options::max_indicators", p.max_indicators},
        {"payload_options::max_indicators_per_kind", p.max_indicators_per_kind},
        {"payload_options::max_stages", p.max_stages},
        {"payload_options::max_sub_analyses", p.max_sub_analyses},
        {"payload_options::excerpt_bytes", p.excerpt_bytes},
        {"wql_max_query_characters", wql_max_query_characters},
        {"wql_max_name_characters", wql_max_name_characters},
        {"WMISUB_MAX_OBJECT_PATH_BYTES", WMISUB_MAX_OBJECT_PATH_BYTES},
        {"WMISUB_MAX_PATH_KEYS", WMISUB_MAX_PATH_KEYS},
    };
}

// The rows "| `name` | 1,234 (...) | ... |" of the README's "Limits and guarantees" table.
std::map<std::string, std::size_t> limits_in_readme(const std::string& readme) {
    std::map<std::string, std::size_t> out;
    const std::size_t section = readme.find("## Limits and guarantees");
    if (section == std::string::npos) return out;
    std::istringstream lines(readme.substr(section, readme.find("\n## ", section + 1) - section));
    std::string line;
    while (std::getline(lines, line)) {
        const std::size_t open = line.find("| `");
        if (open == std::string::npos) continue;
        const std::size_t close = line.find('`', open + 3);
        const std::size_t cell = line.find('|', close);
        if (close == std::string::npos || cell == std::string::npos) continue;
        std::size_t value = 0;
        bool digits = false;
        for (std::size_t i = cell + 1; i < line.size() && line[i] != '|'; ++i) {
            if (line[i] >= '0' && line[i] <= '9') {
                value = value * 10 + static_cast<std::size_t>(line[i] - '0');
                digits = true;
            } else if (digits && line[i] != ',') {
                break;  // the first number only: "268,435,456 (256 MiB)"
            }
        }
        out[line.substr(open + 3, close - open - 3)] = value;
    }
    return out;
}

}  // namespace

TEST_CASE("limits: the README states exactly the limits the code applies") {
    std::ifstream file("README.md", std::ios::binary);  // tests run in the source tree
    if (!file) {
        MESSAGE("README.md not found from the working directory; skipped");
        return;
    }
    std::ostringstream text;
    text << file.rdbuf();
    const auto stated = limits_in_readme(text.str());
    const auto applied = limits_in_code();
    REQUIRE_FALSE(stated.empty());
    // Plain pair variables: Clang 14 cannot capture structured bindings in doctest's lambdas.
    for (const auto& limit : applied) {
        const std::string& name = limit.first;
        CAPTURE(name);
        const auto row = stated.find(name);
        REQUIRE_MESSAGE(row != stated.end(), "the README's limits table lacks " << name);
        CHECK(row->second == limit.second);
    }
    for (const auto& limit : stated) {
        const std::string& name = limit.first;
        CAPTURE(name);
        CHECK_MESSAGE(applied.count(name) == 1, "the README states a limit the test does not know: " << name);
    }
}
