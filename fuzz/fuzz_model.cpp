// libFuzzer harness for the model layer's text parsers and the graph join:
// DMTF datetimes, SIDs, TimerId extraction, and binding references resolved
// against filters and consumers named by the input.
#include "wmisub/wmisub.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void fuzz_datetime(std::string_view text) {
    auto d = wmisub::parse_dmtf_datetime(text);
    if (!d) return;
    check(wmisub::to_string(*d) == text || text.find('*') != std::string_view::npos);
    auto again = wmisub::parse_dmtf_datetime(wmisub::to_string(*d));
    check(again && *again == *d);
    (void)wmisub::to_timestamp(*d);
    (void)wmisub::to_duration(*d);
}

void fuzz_sid(std::string_view text) {
    std::vector<std::uint8_t> bytes(text.begin(), text.end());
    if (auto s = wmisub::format_sid(bytes)) {
        auto back = wmisub::parse_sid(*s);
        check(back && *back == bytes);
    }
    if (auto b = wmisub::parse_sid(text)) check(wmisub::format_sid(*b).has_value());
}

// Splits the input into four fields: filter name, consumer name, filter path, consumer path.
std::vector<std::string> fields_of(std::string_view text) {
    std::vector<std::string> out;
    while (out.size() < 4) {
        const std::size_t bar = text.find('|');
        out.emplace_back(text.substr(0, bar));
        if (bar == std::string_view::npos) break;
        text.remove_prefix(bar + 1);
    }
    while (out.size() < 4) out.emplace_back();
    return out;
}

void fuzz_graph(std::string_view text) {
    const auto f = fields_of(text);
    wmisub::mock_collector source;
    source.filter(f[0], "SELECT * FROM __TimerEvent WHERE TimerId = '" + f[0] + "'")
        .command_line_consumer(f[1], "cmd")
        .interval_timer(f[0], 1000)
        .bind(f[0], f[1])
        .bind_paths(f[2], f[3]);
    auto snap = source.collect({});
    if (!snap) return;
    const wmisub::subscription_graph graph(std::move(*snap));
    check(!graph.entries().empty());
    check(graph.in_state(wmisub::subscription_state::bound).size() >= 1 || f[0].empty() || f[1].empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    fuzz_datetime(text);
    fuzz_sid(text);
    fuzz_graph(text);
    return 0;
}
