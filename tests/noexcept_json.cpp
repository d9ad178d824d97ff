// wmisub/json.hpp and the snapshot collector with exceptions disabled
// (-fno-exceptions; nlohmann/json then calls abort() where it would throw, so
// any path that reached a nlohmann throw would end this test). Bad input must
// come back as located errors. Built without doctest, which needs exceptions.
// SPDX-License-Identifier: MIT
#include "wmisub/collector.hpp"
#include "wmisub/json.hpp"
#include "wmisub/sources/snapshot.hpp"

#include <cstdio>
#include <string>
#include <string_view>

static_assert(WMISUB_EXCEPTIONS == 0, "config.hpp should detect that exceptions are disabled");

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

wmisub::snapshot sample() {
    wmisub::mock_collector source;
    source.filter("F", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
        .command_line_consumer("C", "cmd.exe /c echo \xff\xfe invalid UTF-8")
        .bind("F", "C");
    auto snap = source.collect({});
    check(static_cast<bool>(snap), "the mock collector collects");
    return snap ? std::move(*snap) : wmisub::snapshot{};
}

void round_trip() {
    const wmisub::snapshot snap = sample();
    const std::string text = wmisub::to_json_text(snap);
    check(!text.empty(), "a snapshot with invalid UTF-8 is written");
    auto back = wmisub::snapshot_from_json_text(text);
    check(back && back->filters.size() == 1 && back->consumers.size() == 1 && back->bindings.size() == 1,
          "the snapshot reads back");
    const std::string baseline_text = wmisub::to_json_text(wmisub::make_baseline(snap));
    auto baseline = wmisub::baseline_from_json_text(baseline_text);
    check(baseline && baseline->entries.size() == 3, "the baseline reads back with its checksum");
}

void bad_input() {
    auto syntax = wmisub::snapshot_from_json_text("{\"schema\": \"wmisub.snapshot/1\", \"filters\": [");
    check(!syntax && !syntax.error().location.to_string().empty(), "truncated JSON is a located error");
    auto wrong_type = wmisub::snapshot_from_json_text("{\"schema\": \"wmisub.snapshot/1\", \"filters\": 7}");
    check(!wrong_type, "a wrong type is an error");
    check(!wrong_type || wrong_type.error().location.source.find("/filters") != std::string::npos ||
              wrong_type.error().message.find("filters") != std::string::npos,
          "the error names the member");
    auto deep = wmisub::parse_json(std::string(100000, '['));
    check(!deep, "nesting past the limit is an error, not a stack overflow");
    auto edited = wmisub::baseline_from_json_text(
        "{\"schema\": \"wmisub.baseline/1\", \"entries\": [], \"checksum\": \"sha256:00\"}");
    check(!edited, "a baseline with a wrong checksum is refused");
}

void foreign_formats() {
    // PowerShell 5.1 ConvertTo-Json of one __EventFilter, as UTF-16LE with a BOM.
    const std::string_view json = R"({"__CLASS":"__EventFilter","__NAMESPACE":"ROOT\\subscription","Name":"F",)"
                                  R"("Query":"SELECT * FROM __TimerEvent WHERE TimerID = 'T'","QueryLanguage":"WQL",)"
                                  R"("EventNamespace":"root\\cimv2","CreatorSID":[1,1,0,0,0,0,0,5,18,0,0,0]})";
    std::string utf16 = "\xff\xfe";
    for (char c : json) {
        utf16.push_back(c);
        utf16.push_back('\0');
    }
    auto snap = wmisub::read_json_snapshot(utf16);
    check(snap && snap->filters.size() == 1 && snap->filters.front().name == "F", "PowerShell UTF-16 output is read");
    auto osquery = wmisub::read_json_snapshot(R"([{"name":"F","query":"SELECT * FROM __TimerEvent","class":"__EventFilter",)"
                                              R"("relative_path":"__EventFilter.Name=\"F\""}])");
    check(static_cast<bool>(osquery), "osquery output is read");
}

}  // namespace

int main() {
    round_trip();
    bad_input();
    foreign_formats();
    if (failures == 0) std::printf("json with exceptions disabled: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
