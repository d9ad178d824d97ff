// Benchmarks for wmisub/mof.hpp: MB/s of parsing a generated MOF of 12,000
// subscription instances (filters, command-line and script consumers,
// bindings by alias, realistic strings with escapes and CreatorSIDs) into
// wmisub instances, side by side with nlohmann/json parsing an equivalent
// JSON document (same objects, same property values) in the same run.
// BM_mof_vs_json times both alternately (each including the destruction of its
// result, as the single benchmarks do) and reports their ratio.
//   g++ -std=c++20 -O2 -DNDEBUG -Iinclude bench/bench_mof.cpp -o /tmp/bench_mof -lbenchmark_main -lbenchmark -lpthread
#include "wmisub/mof.hpp"

#include <benchmark/benchmark.h>

#if __has_include(<nlohmann/json.hpp>)
#include <nlohmann/json.hpp>
#define WMISUB_BENCH_HAVE_JSON 1
#endif

#include <chrono>
#include <ctime>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t subscriptions = 4000;  // each is a filter, a consumer and a binding

// Appends s as a quoted literal; MOF and JSON escape the same characters here.
void quoted(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
    out += '"';
}

// The property values of subscription i, shared by both documents.
struct sample {
    std::string filter_name, query, consumer_class, consumer_name, payload_property, payload;
};

sample make_sample(std::size_t i) {
    sample s;
    const std::string n = std::to_string(i);
    s.filter_name = "Windows Update Health Filter " + n;
    s.query =
        "SELECT * FROM __InstanceModificationEvent WITHIN " + std::to_string(60 + i % 240) +
        " WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240 "
        "AND TargetInstance.SystemUpTime < 325";
    s.consumer_name = "Windows Update Health Consumer " + n;
    if (i % 2 == 0) {
        s.consumer_class = "CommandLineEventConsumer";
        s.payload_property = "CommandLineTemplate";
        s.payload = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -NoP -NonI -W Hidden -Enc "
                    "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA" +
                    n;
    } else {
        s.consumer_class = "ActiveScriptEventConsumer";
        s.payload_property = "ScriptText";
        s.payload = "Set objShell = CreateObject(\"WScript.Shell\")\nobjShell.Run \"C:\\ProgramData\\update" + n +
                    ".exe\", 0, False\nSet objShell = Nothing\n";
    }
    return s;
}

constexpr std::string_view creator_sid = "{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0}";

std::string make_mof() {
    std::string out = "#pragma autorecover\n#pragma namespace(\"\\\\\\\\.\\\\root\\\\subscription\")\n";
    for (std::size_t i = 0; i < subscriptions; ++i) {
        const sample s = make_sample(i);
        const std::string n = std::to_string(i);
        out += "instance of __EventFilter as $F" + n + "\n{\n    Name = ";
        quoted(out, s.filter_name);
        out += ";\n    Query = ";
        quoted(out, s.query);
        out += ";\n    QueryLanguage = \"WQL\";\n    EventNamespace = \"root\\\\cimv2\";\n    CreatorSID = ";
        out += creator_sid;
        out += ";\n};\n\ninstance of " + s.consumer_class + " as $C" + n + "\n{\n    Name = ";
        quoted(out, s.consumer_name);
        out += ";\n    " + s.payload_property + " = ";
        quoted(out, s.payload);
        out += i % 2 == 0 ? ";\n    RunInteractively = FALSE;\n"
                          : ";\n    ScriptingEngine = \"VBScript\";\n    KillTimeout = 45;\n";
        out += "    CreatorSID = ";
        out += creator_sid;
        out += ";\n};\n\ninstance of __FilterToConsumerBinding\n{\n    Filter = $F" + n + ";\n    Consumer = $C" + n +
               ";\n    DeliverSynchronously = FALSE;\n};\n\n";
    }
    return out;
}

// The same objects as a JSON array, references written as the paths the aliases resolve to.
std::string make_json() {
    std::string out = "[\n";
    for (std::size_t i = 0; i < subscriptions; ++i) {
        const sample s = make_sample(i);
        if (i > 0) out += ",\n";
        out += "{\"namespace\": \"root\\\\subscription\", \"class\": \"__EventFilter\", \"properties\": {\"Name\": ";
        quoted(out, s.filter_name);
        out += ", \"Query\": ";
        quoted(out, s.query);
        out += ", \"QueryLanguage\": \"WQL\", \"EventNamespace\": \"root\\\\cimv2\", \"CreatorSID\": [1, 2, 0, 0, 0, "
               "0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0]}},\n";
        out += "{\"namespace\": \"root\\\\subscription\", \"class\": \"" + s.consumer_class +
               "\", \"properties\": {\"Name\": ";
        quoted(out, s.consumer_name);
        out += ", \"" + s.payload_property + "\": ";
        quoted(out, s.payload);
        out +=
            i % 2 == 0 ? ", \"RunInteractively\": false" : ", \"ScriptingEngine\": \"VBScript\", \"KillTimeout\": 45";
        out += ", \"CreatorSID\": [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0]}},\n";
        out += "{\"namespace\": \"root\\\\subscription\", \"class\": \"__FilterToConsumerBinding\", \"properties\": "
               "{\"Filter\": ";
        quoted(out, "__EventFilter.Name=\"" + s.filter_name + "\"");
        out += ", \"Consumer\": ";
        quoted(out, s.consumer_class + ".Name=\"" + s.consumer_name + "\"");
        out += ", \"DeliverSynchronously\": false}}";
    }
    return out + "\n]\n";
}

const std::string& mof_text() {
    static const std::string text = make_mof();
    return text;
}

const std::string& json_text() {
    static const std::string text = make_json();
    return text;
}

void BM_mof_parse(benchmark::State& state) {
    const std::string& text = mof_text();
    for (auto _ : state) {
        wmisub::mof_document doc = wmisub::parse_mof(text);
        if (doc.instances.size() != 3 * subscriptions || !doc.errors.empty())
            state.SkipWithError("unexpected parse result");
        benchmark::DoNotOptimize(doc);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
    state.counters["instances"] = static_cast<double>(3 * subscriptions);
}
BENCHMARK(BM_mof_parse)->Unit(benchmark::kMillisecond);

void BM_mof_to_snapshot(benchmark::State& state) {
    const std::string& text = mof_text();
    for (auto _ : state) {
        const wmisub::snapshot snap = wmisub::to_snapshot(wmisub::parse_mof(text));
        benchmark::DoNotOptimize(snap);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_mof_to_snapshot)->Unit(benchmark::kMillisecond);

#ifdef WMISUB_BENCH_HAVE_JSON
void BM_nlohmann_json_parse(benchmark::State& state) {
    const std::string& text = json_text();
    for (auto _ : state) {
        nlohmann::json doc = nlohmann::json::parse(text);
        benchmark::DoNotOptimize(doc);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_nlohmann_json_parse)->Unit(benchmark::kMillisecond);

// Both parsers alternately in one loop, so machine noise hits both alike. Rates
// come from process CPU time (std::clock), which other processes on a busy
// machine do not inflate, and from wall time.
void BM_mof_vs_json(benchmark::State& state) {
    using clock = std::chrono::steady_clock;
    const std::string& mof = mof_text();
    const std::string& json = json_text();
    double mof_cpu = 0;
    double json_cpu = 0;
    double mof_wall = 0;
    double json_wall = 0;
    for (auto _ : state) {
        const std::clock_t c0 = std::clock();
        const auto t0 = clock::now();
        {
            wmisub::mof_document doc = wmisub::parse_mof(mof);
            benchmark::DoNotOptimize(doc);
        }
        const std::clock_t c1 = std::clock();
        const auto t1 = clock::now();
        {
            nlohmann::json j = nlohmann::json::parse(json);
            benchmark::DoNotOptimize(j);
        }
        const std::clock_t c2 = std::clock();
        const auto t2 = clock::now();
        mof_cpu += static_cast<double>(c1 - c0) / CLOCKS_PER_SEC;
        json_cpu += static_cast<double>(c2 - c1) / CLOCKS_PER_SEC;
        mof_wall += std::chrono::duration<double>(t1 - t0).count();
        json_wall += std::chrono::duration<double>(t2 - t1).count();
    }
    const double n = static_cast<double>(state.iterations());
    const auto rate = [n](std::size_t bytes, double seconds) { return static_cast<double>(bytes) * n / seconds / 1e6; };
    state.counters["mof_MB/s"] = rate(mof.size(), mof_cpu);
    state.counters["json_MB/s"] = rate(json.size(), json_cpu);
    state.counters["mof/json"] = rate(mof.size(), mof_cpu) / rate(json.size(), json_cpu);
    state.counters["mof/json_wall"] = rate(mof.size(), mof_wall) / rate(json.size(), json_wall);
    state.counters["mof_bytes"] = static_cast<double>(mof.size());
    state.counters["json_bytes"] = static_cast<double>(json.size());
}
BENCHMARK(BM_mof_vs_json)->Unit(benchmark::kMillisecond);
#endif

}  // namespace
