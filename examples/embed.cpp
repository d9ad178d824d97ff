// The README's embedding example: collect subscriptions, join them, print each one.
// The lines between the README markers appear verbatim in README.md (a test checks it).
#include <cstdio>
#include <string>
#include <utility>

// README:begin
#include <wmisub/wmisub.hpp>

int main() {
    wmisub::mock_collector source;  // a MOF, snapshot, event-log or COM collector in a real host
    source.filter("Updater", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                             "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240")
        .command_line_consumer("Updater", "powershell.exe -nop -w hidden -enc SQBFAFgA")
        .bind("Updater", "Updater");
    auto snap = source.collect({});  // result<snapshot>: errors are values, never exceptions
    if (!snap) return std::fprintf(stderr, "%s\n", snap.error().to_string().c_str()), 2;
    const wmisub::subscription_graph graph(std::move(*snap));  // owns the snapshot; joins bindings
    for (const wmisub::subscription& s : graph.entries()) {
        std::printf("%s: %s\n", std::string(wmisub::to_string(s.state)).c_str(),
                    graph.filter(s) != nullptr ? graph.filter(s)->query.c_str() : "-");
    }
    // README:end
    return graph.entries().size() == 1 && graph.entries()[0].state == wmisub::subscription_state::bound ? 0 : 1;
}
