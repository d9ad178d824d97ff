// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The embedding API, after libyara's YR_RULES / YR_SCANNER: an immutable
// `engine` (rule catalog, policy, limits, host context) that any number of
// threads share, and a per-thread `scanner` with a cancel flag, a deadline, a
// warning sink and buffers reused between scans. A scan hands each assessment
// to a callback that may stop the run; a run stopped early returns what it
// had and says why (scan_summary), never nothing.
//
//   const wmisub::engine engine;                      // built-in rules, default limits
//   wmisub::scanner scanner(engine);                  // one per thread
//   scanner.set_deadline(std::chrono::steady_clock::now() + 2s);
//   auto summary = scanner.scan(std::move(snapshot), [&](const wmisub::assessment& a) {
//       if (a.risk.severity >= wmisub::severity::high) alert(a);
//       return true;                                  // false stops the scan
//   });
//
// Against a baseline, scan_changes() assesses only the entries whose filter,
// consumer or binding was added or modified, and the rules see the changes
// (subscription_facts::changes), so baseline findings are scored, capped and
// allow-listed like every other.
#pragma once

#include "wmisub/assess.hpp"
#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/limits.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/rules/catalog.hpp"

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN


// Why a scan ended.
enum class scan_status : std::uint8_t {
    complete,     // every entry was assessed
    cancelled,    // the cancel flag was raised
    deadline,     // the deadline passed
    stopped,      // the callback returned false
    entry_limit,  // limits::max_entries entries were assessed
};

[[nodiscard]] constexpr std::string_view to_string(scan_status s) noexcept {
    switch (s) {
    case scan_status::complete: return "complete";
    case scan_status::cancelled: return "cancelled";
    case scan_status::deadline: return "deadline";
    case scan_status::stopped: return "stopped";
    case scan_status::entry_limit: return "entry_limit";
    }
    return "complete";
}

// What one scan did.
struct scan_summary {
    scan_status status = scan_status::complete;
    std::size_t entries = 0;   // entries the scan was to assess
    std::size_t assessed = 0;  // entries handed to the callback
    std::size_t warnings = 0;  // warnings handed to the warning sink
    // True when some entries were not assessed, or the graph was built in part.
    bool partial = false;

    [[nodiscard]] bool complete() const noexcept { return !partial && status == scan_status::complete; }
};

// Something a scan could do only in part; the scan goes on.
struct scan_warning {
    std::string where;    // "graph", "payload", "snapshot", "assessment"
    std::string message;  // for people
};

namespace detail {
struct engine_state;
}  // namespace detail

// Rules, policy, limits and host context, fixed at construction.
// Threads: immutable; share one engine (by reference or copy: copies share
// their state) between any number of threads, each with its own scanner.
class engine {
public:
    // wmisub's built-in catalog, the default policy, limits and no host context.
    WMISUB_API engine();
    WMISUB_API explicit engine(rule_catalog catalog, policy p = {}, wmisub::limits l = {}, host_context host = {});

    [[nodiscard]] WMISUB_API const rule_catalog& catalog() const noexcept;
    [[nodiscard]] WMISUB_API const wmisub::policy& policy() const noexcept;
    [[nodiscard]] WMISUB_API const wmisub::limits& limits() const noexcept;
    [[nodiscard]] WMISUB_API const host_context& host() const noexcept;

    // A graph of `snap` built with this engine's payload limits.
    [[nodiscard]] WMISUB_API subscription_graph graph(snapshot snap) const;

    // The state scanners and assessments share.
    [[nodiscard]] const std::shared_ptr<const detail::engine_state>& shared_state() const noexcept { return state_; }

private:
    std::shared_ptr<const detail::engine_state> state_;
};

// A diff linked to a graph: for each graph entry, what changed in its objects.
// Owns the diff its entries point into; a value type.
class graph_changes {
public:
    graph_changes() = default;
    // Links `d` to the entries of `graph` by the identity of their filter, consumer and binding.
    WMISUB_API graph_changes(const subscription_graph& graph, baseline_diff d);

    [[nodiscard]] const baseline_diff& diff() const& noexcept { return state_->diff; }
    const baseline_diff& diff() const&& = delete;
    // The changes of graph entry `index` (empty when it is unchanged).
    [[nodiscard]] WMISUB_API const entry_changes& of(std::size_t index) const& noexcept;
    const entry_changes& of(std::size_t) const&& = delete;
    // Indices of the graph entries with changes, in graph order.
    [[nodiscard]] const std::vector<std::size_t>& changed() const& noexcept { return state_->changed; }
    const std::vector<std::size_t>& changed() const&& = delete;

    // What the pointers of the changes refer to, for assessments to keep.
    struct state {
        baseline_diff diff;
        std::vector<entry_changes> per_entry;  // parallel to the graph's entries
        std::vector<std::size_t> changed;
        entry_changes none;
    };
    [[nodiscard]] std::shared_ptr<const state> shared_state() const noexcept { return state_; }

private:
    std::shared_ptr<state> state_ = std::make_shared<state>();
};

// Compares a graph's snapshot with a baseline and links each change to the entries it touches.
[[nodiscard]] WMISUB_API graph_changes diff(const baseline& approved, const subscription_graph& graph,
                                            const diff_options& options = {});

namespace detail {

// A borrowed callback of one scan: the caller's callable, called through a
// function pointer so the scan itself is compiled once (not per callable).
struct assessment_sink {
    const void* callable = nullptr;  // a Sink, const or not: call_sink<Sink> restores its type
    bool (*call)(const void*, assessment&) = nullptr;
};

template <class Sink>
bool call_sink(const void* callable, assessment& a) {
    Sink& sink = *const_cast<Sink*>(static_cast<const Sink*>(callable));
    if constexpr (std::is_convertible_v<std::invoke_result_t<Sink&, assessment&>, bool>) {
        return static_cast<bool>(sink(a));
    } else {
        sink(a);
        return true;
    }
}

}  // namespace detail

// Scans graphs with one engine. Holds per-scan settings and buffers reused
// between scans. Threads: one scanner per thread (not for concurrent use);
// the engine it refers to may be shared.
class scanner {
public:
    // The scanner shares the engine's state: it may outlive `e`.
    WMISUB_API explicit scanner(const engine& e);

    // Stop (scan_status::cancelled) once `*flag` is true; owned by the caller, checked per entry and per payload.
    scanner& set_cancel_flag(const std::atomic<bool>* flag) noexcept {
        cancel_ = flag;
        return *this;
    }
    // Stop (scan_status::deadline) after this instant; nullopt: none.
    scanner& set_deadline(std::optional<std::chrono::steady_clock::time_point> at) noexcept {
        deadline_ = at;
        return *this;
    }
    // Receives each warning of the following scans, on the scanning thread.
    scanner& set_warning_sink(std::function<void(const scan_warning&)> sink) {
        warn_ = std::move(sink);
        return *this;
    }

    // Assesses every entry of `graph`, handing each assessment to `sink` as it
    // is made. The assessment passed is reused for the next entry: keep one by
    // moving or copying it (what is kept owns what it refers to). A sink
    // returning false stops the scan.
    template <class Sink>
        requires std::invocable<Sink&, assessment&>
    scan_summary scan(const subscription_graph& graph, Sink&& sink) {
        return run(graph, nullptr, false, detail::assessment_sink{&sink, &detail::call_sink<std::remove_reference_t<Sink>>});
    }

    // The same for a snapshot: builds its graph with the engine's limits,
    // stopping payload analysis at the deadline or cancel (the graph is then partial).
    template <class Sink>
        requires std::invocable<Sink&, assessment&>
    scan_summary scan(snapshot snap, Sink&& sink) {
        const subscription_graph graph = build_graph(std::move(snap));
        return scan(graph, std::forward<Sink>(sink));
    }

    // Assesses every entry with `changes` (diff(baseline, graph)) visible to the rules.
    template <class Sink>
        requires std::invocable<Sink&, assessment&>
    scan_summary scan(const subscription_graph& graph, const graph_changes& changes, Sink&& sink) {
        return run(graph, &changes, false, detail::assessment_sink{&sink, &detail::call_sink<std::remove_reference_t<Sink>>});
    }

    // Assesses only the entries `changes` marks, with the changes visible to
    // the rules: what an agent loop reports after each collection.
    template <class Sink>
        requires std::invocable<Sink&, assessment&>
    scan_summary scan_changes(const subscription_graph& graph, const graph_changes& changes, Sink&& sink) {
        return run(graph, &changes, true, detail::assessment_sink{&sink, &detail::call_sink<std::remove_reference_t<Sink>>});
    }

    // Every assessment of `graph`, kept.
    [[nodiscard]] WMISUB_API std::vector<assessment> assess_all(const subscription_graph& graph,
                                                                scan_summary* summary = nullptr);

    // A graph of `snap` with the engine's limits, this scanner's deadline and cancel flag.
    [[nodiscard]] WMISUB_API subscription_graph build_graph(snapshot snap);

private:
    WMISUB_API scan_summary run(const subscription_graph& graph, const graph_changes* changes, bool only_changed,
                                detail::assessment_sink sink);

    // Why the scan must stop now, if it must.
    [[nodiscard]] std::optional<scan_status> interruption() const;
    void warn(scan_summary& summary, std::string where, std::string message) const;
    // The warnings of the graph itself: truncated joins, interrupted analysis, payload limits.
    void warn_about_graph(const subscription_graph& graph, scan_summary& summary) const;
    // Applies limits::max_findings and limits::max_evidence_bytes to one assessment.
    void bound_output(assessment& a) const;

    std::shared_ptr<const detail::engine_state> engine_;
    const std::atomic<bool>* cancel_ = nullptr;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    std::function<void(const scan_warning&)> warn_;
    assessment buffer_;  // reused between entries and scans
};

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/engine.inl"
#endif
