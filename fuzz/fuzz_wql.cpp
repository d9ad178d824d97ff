// libFuzzer harness for the WQL parser, analyser, canonical form and LIKE matcher.
// Invariants: no crash; a query that parses has a canonical text that parses
// again to the same canonical text; analysis never fails on a parsed query, and
// analysing the text (which skips building a wql_query) reads the same, or
// fails with the same error.
#include "wmisub/wql.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

// The fields a consumer reads, compared; abort on a difference.
void check_same(const wmisub::wql_analysis& a, const wmisub::wql_analysis& b) {
    bool same = a.kind == b.kind && a.event_class == b.event_class && a.category == b.category &&
                a.target_class == b.target_class && a.within_seconds == b.within_seconds &&
                a.group_within_seconds == b.group_within_seconds && a.conditions.size() == b.conditions.size() &&
                a.issues.size() == b.issues.size() && a.trigger.kind == b.trigger.kind &&
                a.trigger.watched_class == b.trigger.watched_class && a.trigger.process_names == b.trigger.process_names &&
                a.trigger.registry_paths == b.trigger.registry_paths && a.trigger.event_codes == b.trigger.event_codes;
    for (std::size_t i = 0; same && i < a.conditions.size(); ++i) {
        const auto& x = a.conditions[i];
        const auto& y = b.conditions[i];
        same = x.property == y.property && x.op == y.op && x.value.text == y.value.text && x.value.kind == y.value.kind &&
               x.context == y.context && x.offset == y.offset;
    }
    for (std::size_t i = 0; same && i < a.issues.size(); ++i) same = a.issues[i].code == b.issues[i].code;
    if (!same) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto query = wmisub::parse_wql(text);
    if (query) {
        const wmisub::wql_analysis analysis = wmisub::analyze_wql(*query);
        auto direct = wmisub::analyze_wql(text);
        if (!direct) std::abort();
        check_same(analysis, *direct);
        (void)wmisub::describe(analysis.trigger, 1000);
        const std::string canonical = wmisub::canonical_wql(*query);
        auto again = wmisub::canonical_wql(canonical);
        if (!again || *again != canonical) std::abort();
    } else {
        auto direct = wmisub::analyze_wql(text);
        if (direct || !(direct.error() == query.error())) std::abort();  // the same parse error
    }
    // Use the first line as a LIKE pattern over the rest.
    const std::size_t newline = text.find('\n');
    if (newline != std::string_view::npos) {
        (void)wmisub::wql_like(text.substr(0, newline), text.substr(newline + 1));
    }
    return 0;
}
