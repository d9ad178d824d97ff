// The engine in an agent's loop and across a fleet, on the corpora's real
// subscriptions (bench/corpus_snapshot.hpp; skipped without ../shared).
//
// agent_loop_round: one round of an EDR agent with 20 subscriptions and nothing
// changed since the last round (the steady state): collect (a copy of the host's
// snapshot), graph, diff against the last baseline, assess what changed, keep the
// new baseline. Counters: allocations and bytes allocated per round. Its reference
// in the same run, agent_loop_round_assess_all, is the loop before the engine:
// the same round assessing every entry and joining the diff by hand.
//
// fleet_scan: 100 hosts whose subscriptions are the same (a fleet is mostly
// identical), each scanned through one engine: items are subscriptions.
// agent_loop_10000_rounds: 10,000 such rounds at once (time per round is the time
// shown / 10,000), with resident-memory growth after warm-up; not in the smoke test.
//
// reference_parse_fleet_json: nlohmann/json parsing one host's snapshot document
// as many times, the least a JSON-fed tool does.
#include "corpus_snapshot.hpp"
#include "wmisub/engine.hpp"
#include "wmisub/json.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <vector>

// Counting replacements of the global allocation functions: malloc and free pair
// up, which GCC's -Wmismatched-new-delete cannot see through.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<std::size_t> allocations{0};
std::atomic<std::size_t> allocated_bytes{0};
}  // namespace

// Sanitizers replace the allocation functions themselves: there the counters stay at zero.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WMISUB_BENCH_NO_COUNTING 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WMISUB_BENCH_NO_COUNTING 1
#endif
#ifndef WMISUB_BENCH_NO_COUNTING
void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    allocated_bytes.fetch_add(n, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif


namespace {

// Per-round allocation counters of a loop benchmark.
struct allocation_meter {
    std::size_t count0 = allocations.load();
    std::size_t bytes0 = allocated_bytes.load();
    void report(benchmark::State& state) const {
        const auto rounds = static_cast<double>(state.iterations());
        state.counters["allocs_per_round"] = static_cast<double>(allocations.load() - count0) / rounds;
        state.counters["bytes_per_round"] = static_cast<double>(allocated_bytes.load() - bytes0) / rounds;
    }
};

void agent_loop_round(benchmark::State& state) {
    const wmisub::snapshot host = wmisub_bench::replicated_corpus(20);
    if (host.filters.empty()) {
        state.SkipWithError("../shared/data/corpus is absent");
        return;
    }
    const wmisub::engine engine;
    wmisub::scanner scanner(engine);
    std::optional<wmisub::baseline> last = wmisub::make_baseline(host);
    std::size_t alerts = 0;
    const allocation_meter meter;
    for (auto _ : state) {
        const wmisub::subscription_graph graph = scanner.build_graph(host);  // "collect": a copy of the host
        const wmisub::graph_changes changes = wmisub::diff(*last, graph);
        (void)scanner.scan_changes(graph, changes, [&](const wmisub::assessment&) { ++alerts; });
        if (changes.diff().has_changes()) last = wmisub::make_baseline(graph.source());
    }
    meter.report(state);
    benchmark::DoNotOptimize(alerts);
}
BENCHMARK(agent_loop_round)->Unit(benchmark::kMicrosecond);

// Resident memory of this process in KiB (Linux); 0 where /proc is absent.
std::size_t resident_kib() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) return 0;
    unsigned long size = 0;
    unsigned long resident = 0;
    const int got = std::fscanf(f, "%lu %lu", &size, &resident);
    std::fclose(f);
    return got == 2 ? static_cast<std::size_t>(resident) * 4 : 0;
}

// The engine issue's test: 10,000 rounds of the agent loop in one go, with the time,
// allocations and bytes per round, and how much resident memory grew between round
// 1,000 and round 10,000 (flat memory: caches and buffers stop growing once warm).
void agent_loop_10000_rounds(benchmark::State& state) {
    const wmisub::snapshot host = wmisub_bench::replicated_corpus(20);
    if (host.filters.empty()) {
        state.SkipWithError("../shared/data/corpus is absent");
        return;
    }
    for (auto _ : state) {
        const wmisub::engine engine;
        wmisub::scanner scanner(engine);
        wmisub::baseline last = wmisub::make_baseline(host);
        std::size_t alerts = 0;
        std::size_t warm_kib = 0;
        const allocation_meter meter;
        for (int round = 0; round < 10000; ++round) {
            if (round == 1000) warm_kib = resident_kib();
            const wmisub::subscription_graph graph = scanner.build_graph(host);
            const wmisub::graph_changes changes = wmisub::diff(last, graph);
            (void)scanner.scan_changes(graph, changes, [&](const wmisub::assessment&) { ++alerts; });
            if (changes.diff().has_changes()) last = wmisub::make_baseline(graph.source());
        }
        state.counters["rss_growth_kib"] = static_cast<double>(resident_kib()) - static_cast<double>(warm_kib);
        state.counters["allocs_per_round"] = static_cast<double>(allocations.load() - meter.count0) / 10000.0;
        state.counters["bytes_per_round"] = static_cast<double>(allocated_bytes.load() - meter.bytes0) / 10000.0;
        benchmark::DoNotOptimize(alerts);
    }
}
BENCHMARK(agent_loop_10000_rounds)->Iterations(1)->Unit(benchmark::kMillisecond);

// The round as examples/edr_loop.cpp wrote it before the engine: assess every entry, join by hand.
void agent_loop_round_assess_all(benchmark::State& state) {
    const wmisub::snapshot host = wmisub_bench::replicated_corpus(20);
    if (host.filters.empty()) {
        state.SkipWithError("../shared/data/corpus is absent");
        return;
    }
    const wmisub::rule_catalog rules = wmisub::rule_catalog::builtin();
    wmisub::baseline last = wmisub::make_baseline(host);
    std::size_t alerts = 0;
    const allocation_meter meter;
    for (auto _ : state) {
        const wmisub::subscription_graph graph(host);
        const wmisub::baseline_diff d = wmisub::diff(last, graph.source());
        std::set<std::string> changed;
        for (const auto& o : d.added) changed.insert(o.identity_key);
        for (const auto& o : d.modified) changed.insert(o.identity_key);
        for (const wmisub::assessment& a : wmisub::assess(graph, rules)) {
            if (a.facts.consumer != nullptr && changed.count(wmisub::identity_key_of(wmisub::wmi_object{*a.facts.consumer})) != 0) ++alerts;
        }
        last = wmisub::make_baseline(graph.source());
    }
    meter.report(state);
    benchmark::DoNotOptimize(alerts);
}
BENCHMARK(agent_loop_round_assess_all)->Unit(benchmark::kMicrosecond);

constexpr std::size_t fleet_hosts = 100;

void fleet_scan(benchmark::State& state) {
    const wmisub::snapshot host = wmisub_bench::replicated_corpus(wmisub_bench::corpus_entries().size());
    if (host.filters.empty()) {
        state.SkipWithError("../shared/data/corpus is absent");
        return;
    }
    const wmisub::engine engine;
    wmisub::scanner scanner(engine);
    std::size_t high = 0;
    for (auto _ : state) {
        for (std::size_t h = 0; h < fleet_hosts; ++h) {
            (void)scanner.scan(host, [&](const wmisub::assessment& a) { high += a.risk.severity >= wmisub::severity::high; });
        }
    }
    benchmark::DoNotOptimize(high);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(fleet_hosts * wmisub_bench::corpus_entries().size()));
}
BENCHMARK(fleet_scan)->Unit(benchmark::kMillisecond);

void reference_parse_fleet_json(benchmark::State& state) {
    const wmisub::snapshot host = wmisub_bench::replicated_corpus(wmisub_bench::corpus_entries().size());
    if (host.filters.empty()) {
        state.SkipWithError("../shared/data/corpus is absent");
        return;
    }
    const std::string text = wmisub::to_json_text(host, -1);
    for (auto _ : state) {
        for (std::size_t h = 0; h < fleet_hosts; ++h) {
            auto doc = nlohmann::json::parse(text, nullptr, false);
            benchmark::DoNotOptimize(doc);
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(fleet_hosts * wmisub_bench::corpus_entries().size()));
}
BENCHMARK(reference_parse_fleet_json)->Unit(benchmark::kMillisecond);

}  // namespace
