// libFuzzer harness for the WQL parser, analyser, canonical form and LIKE matcher.
// Invariants: no crash; a query that parses has a canonical text that parses
// again to the same canonical text; analysis never fails on a parsed query.
#include "wmisub/wql.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto query = wmisub::parse_wql(text);
    if (query) {
        const wmisub::wql_analysis analysis = wmisub::analyze_wql(*query);
        (void)wmisub::describe(analysis.trigger, 1000);
        const std::string canonical = wmisub::canonical_wql(*query);
        auto again = wmisub::canonical_wql(canonical);
        if (!again || *again != canonical) std::abort();
    }
    // Use the first line as a LIKE pattern over the rest.
    const std::size_t newline = text.find('\n');
    if (newline != std::string_view::npos) {
        (void)wmisub::wql_like(text.substr(0, newline), text.substr(newline + 1));
    }
    return 0;
}
