// WQL parse + analyse throughput over a realistic mix of filter queries, side by
// side with nlohmann/json parsing the same strings as JSON string literals.
// Run: build with -DWMISUB_BUILD_BENCH=ON, then bench/bench_wql; compare the
// bytes_per_second of wql_parse_and_analyze and nlohmann_json_strings (a ratio:
// machines are noisy).
#include "corpus_snapshot.hpp"
#include "wmisub/wql.hpp"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace {

// Shapes seen in real filters (Atomic Red Team, Empire, PowerLurk, Windows' own), with
// varied names, numbers and case so nothing is cached by accident.
std::vector<std::string> query_mix() {
    const char* shapes[] = {
        "SELECT * FROM __InstanceModificationEvent WITHIN {n} WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= {n} AND TargetInstance.SystemUpTime < {m}",
        "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour = {h} AND TargetInstance.Minute = {h} AND TargetInstance.Second = 0",
        "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'proc{n}.exe'",
        "select * from __instancecreationevent within {n} where targetinstance isa \"Win32_Process\" and targetinstance.name like '%tool{n}%'",
        "SELECT * FROM __TimerEvent WHERE TimerID = 'Timer{n}'",
        "SELECT * FROM __InstanceCreationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_NTLogEvent' AND TargetInstance.EventCode = '4625' AND TargetInstance.Message LIKE '%user{n}%'",
        "Select * from RegistryValueChangeEvent where Hive = 'HKEY_LOCAL_MACHINE' and KeyPath = 'SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run{n}' and ValueName = 'v{n}'",
        "SELECT * FROM __InstanceModificationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Service' AND (TargetInstance.Name = 'svc{n}' OR TargetInstance.Name = 'alt{n}') AND NOT TargetInstance.State = 'Running'",
        "select * from MSFT_SCMEventLogEvent",
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Win32_NTLogEvent\" GROUP WITHIN 600 BY TargetInstance.SourceName HAVING NumberOfEvents > {n}",
    };
    std::vector<std::string> out;
    for (std::size_t i = 0; i < 1000; ++i) {
        std::string q = shapes[i % (sizeof shapes / sizeof shapes[0])];
        auto replace = [&](const std::string& key, const std::string& value) {
            for (std::size_t at = q.find(key); at != std::string::npos; at = q.find(key, at + value.size())) {
                q.replace(at, key.size(), value);
            }
        };
        replace("{n}", std::to_string(10 + i));
        replace("{m}", std::to_string(400 + i));
        replace("{h}", std::to_string(i % 24));
        out.push_back(std::move(q));
    }
    return out;
}

std::size_t total_bytes(const std::vector<std::string>& items) {
    std::size_t n = 0;
    for (const auto& s : items) n += s.size();
    return n;
}

// analyze_wql over every query, counting bytes and items.
void analyze_all(benchmark::State& state, const std::vector<std::string>& queries) {
    for (auto _ : state) {
        for (const auto& q : queries) {
            auto a = wmisub::analyze_wql(q);
            benchmark::DoNotOptimize(a);
        }
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(total_bytes(queries)));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(queries.size()));
}

void wql_parse_and_analyze(benchmark::State& state) { analyze_all(state, query_mix()); }
BENCHMARK(wql_parse_and_analyze);

// The two halves of the above, for profiling: parse_wql alone (it builds the owning
// wql_query, which analyze_wql(text) skips) and analyze_wql of parsed queries.
void wql_parse(benchmark::State& state) {
    const auto queries = query_mix();
    for (auto _ : state) {
        for (const auto& q : queries) {
            auto p = wmisub::parse_wql(q);
            benchmark::DoNotOptimize(p);
        }
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(total_bytes(queries)));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(queries.size()));
}
BENCHMARK(wql_parse);

void wql_analyze_parsed(benchmark::State& state) {
    const auto queries = query_mix();
    std::vector<wmisub::wql_query> parsed;
    for (const auto& q : queries) parsed.push_back(*wmisub::parse_wql(q));
    for (auto _ : state) {
        for (const auto& q : parsed) {
            auto a = wmisub::analyze_wql(q);
            benchmark::DoNotOptimize(a);
        }
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(total_bytes(queries)));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(queries.size()));
}
BENCHMARK(wql_analyze_parsed);

void wql_canonical(benchmark::State& state) {
    const auto queries = query_mix();
    for (auto _ : state) {
        for (const auto& q : queries) {
            auto c = wmisub::canonical_wql(q);
            benchmark::DoNotOptimize(c);
        }
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(total_bytes(queries)));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(queries.size()));
}
BENCHMARK(wql_canonical);

// The reference: the same text, each query as one JSON string literal.
void nlohmann_json_strings(benchmark::State& state) {
    std::vector<std::string> documents;
    for (const auto& q : query_mix()) documents.push_back(nlohmann::json(q).dump());
    for (auto _ : state) {
        for (const auto& d : documents) {
            auto j = nlohmann::json::parse(d, nullptr, false);
            benchmark::DoNotOptimize(j);
        }
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(total_bytes(documents)));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(documents.size()));
}
BENCHMARK(nlohmann_json_strings);

// The corpora's real filter queries (../shared/data/corpus), repeated to 100,000: the content
// the engine issue measures on. Empty without ../shared.
const std::vector<std::string>& corpus_queries() {
    static const std::vector<std::string> queries = [] {
        std::vector<std::string> base;
        for (const auto& e : wmisub_bench::corpus_entries()) {
            if (!e.filter) continue;
            if (const wmisub::value* q = e.filter->get("Query"); q != nullptr && q->as_string() != nullptr) {
                base.push_back(*q->as_string());
            }
        }
        std::vector<std::string> out;
        if (base.empty()) return out;
        out.reserve(100000);
        for (std::size_t i = 0; i < 100000; ++i) out.push_back(base[i % base.size()]);
        return out;
    }();
    return queries;
}

void wql_corpus_analyze(benchmark::State& state) {
    const std::vector<std::string>& queries = corpus_queries();
    if (queries.empty()) {
        state.SkipWithError("../shared/data/corpus is absent");
        return;
    }
    analyze_all(state, queries);
}
BENCHMARK(wql_corpus_analyze)->Unit(benchmark::kMillisecond);

// Its reference: the same 100,000 queries as one JSON array, parsed by nlohmann/json.
void reference_corpus_queries_json(benchmark::State& state) {
    const std::vector<std::string>& queries = corpus_queries();
    if (queries.empty()) {
        state.SkipWithError("../shared/data/corpus is absent");
        return;
    }
    const std::string document = nlohmann::json(queries).dump();
    for (auto _ : state) {
        auto j = nlohmann::json::parse(document, nullptr, false);
        benchmark::DoNotOptimize(j);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(document.size()));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(queries.size()));
}
BENCHMARK(reference_corpus_queries_json)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
