// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/engine.hpp: the engine's shared state, diffs
// linked to graph entries, and the scanner's loop. Included by engine.hpp only
// under WMISUB_INCLUDE_IMPLEMENTATION; not a header to include.
#pragma once

#include "wmisub/assess.hpp"
#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/engine.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/impl/payload_cache.inl"
#include "wmisub/model.hpp"
#include "wmisub/rules/catalog.hpp"
#include "wmisub/text.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

namespace detail {

// Everything an engine fixes, built once. `run` points into `catalog` and
// `policy_`, which live (and never move) in the same heap object.
struct engine_state {
    engine_state(rule_catalog c, policy p, wmisub::limits l, host_context h)
        : catalog(std::move(c)), policy_(std::move(p)), limits(std::move(l)), host(std::move(h)), run(catalog, policy_) {}
    engine_state(const engine_state&) = delete;
    engine_state& operator=(const engine_state&) = delete;

    rule_catalog catalog;
    policy policy_;
    wmisub::limits limits;
    host_context host;
    assessment_run run;
    // Payload analyses shared by every graph the engine builds (a fleet is mostly identical).
    mutable payload_cache payloads;
    mutable query_cache queries;
};

// What an assessment made by a scanner points into besides its graph.
struct scan_context {
    std::shared_ptr<const engine_state> engine;
    std::shared_ptr<const graph_changes::state> changes;
};

// Cuts `text` to at most `max` bytes, between words, with the cut marked (see excerpt_of()).
inline void clip_in_place(std::string& text, std::size_t max) {
    if (text.size() <= max) return;
    text = excerpt_of(text, max);
}

}  // namespace detail

// ---------------------------------------------------------------------------
// engine
// ---------------------------------------------------------------------------

WMISUB_API engine::engine() : engine(rule_catalog::builtin()) {}

WMISUB_API engine::engine(rule_catalog catalog, wmisub::policy p, wmisub::limits l, host_context host)
    : state_(std::make_shared<const detail::engine_state>(std::move(catalog), std::move(p), std::move(l), std::move(host))) {}

WMISUB_API const rule_catalog& engine::catalog() const noexcept { return state_->catalog; }
WMISUB_API const policy& engine::policy() const noexcept { return state_->policy_; }
WMISUB_API const limits& engine::limits() const noexcept { return state_->limits; }
WMISUB_API const host_context& engine::host() const noexcept { return state_->host; }

WMISUB_API subscription_graph engine::graph(snapshot snap) const {
    graph_options options;
    options.payload = state_->limits.payload;
    options.fingerprints = !state_->policy_.allowed_fingerprints.empty();
    options.cache = &state_->payloads;
    options.queries = &state_->queries;
    if (!state_->host.host_name.empty()) options.local_names.push_back(state_->host.host_name);
    return subscription_graph(std::move(snap), options);
}

// ---------------------------------------------------------------------------
// Diffs linked to graph entries
// ---------------------------------------------------------------------------

namespace detail {

// The diff's added and modified objects of one kind, by identity key.
struct changes_by_identity {
    std::unordered_map<std::string_view, std::vector<const diff_object*>> added;
    std::unordered_map<std::string_view, std::vector<const modified_object*>> modified;

    void add_to(entry_changes& out, const std::string& identity_key) const {
        if (const auto it = added.find(identity_key); it != added.end()) {
            out.added.insert(out.added.end(), it->second.begin(), it->second.end());
        }
        if (const auto it = modified.find(identity_key); it != modified.end()) {
            out.modified.insert(out.modified.end(), it->second.begin(), it->second.end());
        }
    }
    [[nodiscard]] bool empty() const noexcept { return added.empty() && modified.empty(); }
};

}  // namespace detail

WMISUB_API graph_changes::graph_changes(const subscription_graph& graph, baseline_diff d) {
    state_->diff = std::move(d);
    const baseline_diff& diff = state_->diff;
    detail::changes_by_identity by_kind[3];  // filter, consumer, binding
    const auto slot = [](object_kind k) -> int {
        return k == object_kind::filter ? 0 : k == object_kind::consumer ? 1 : k == object_kind::binding ? 2 : -1;
    };
    for (const diff_object& o : diff.added) {
        if (const int i = slot(o.kind); i >= 0) by_kind[i].added[o.identity_key].push_back(&o);
    }
    for (const modified_object& m : diff.modified) {
        if (const int i = slot(m.kind); i >= 0) by_kind[i].modified[m.identity_key].push_back(&m);
    }
    const auto& entries = graph.entries();
    state_->per_entry.resize(entries.size());
    if (by_kind[0].empty() && by_kind[1].empty() && by_kind[2].empty()) return;
    // Identity keys from the graph's object table: computed once, shared with allow-lists and reports.
    const object_key_table& keys = graph.object_keys();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        entry_changes& out = state_->per_entry[i];
        const subscription& e = entries[i];
        if (e.filter) by_kind[0].add_to(out, keys.filters[*e.filter].identity_key);
        if (e.consumer) by_kind[1].add_to(out, keys.consumers[*e.consumer].identity_key);
        if (e.binding) by_kind[2].add_to(out, keys.bindings[*e.binding].identity_key);
        if (!out.empty()) state_->changed.push_back(i);
    }
}

WMISUB_API const entry_changes& graph_changes::of(std::size_t index) const& noexcept {
    return index < state_->per_entry.size() ? state_->per_entry[index] : state_->none;
}

namespace detail {

// One object as a diff matches it: kind, identity key, fingerprint.
using object_signature = std::tuple<object_kind, std::string_view, std::string_view>;

// The signatures of every filter, consumer, binding and timer of the graph, from its object table.
[[nodiscard]] inline std::vector<object_signature> observed_signatures(const subscription_graph& graph) {
    const object_key_table& keys = graph.object_keys();
    std::vector<object_signature> out;
    out.reserve(keys.filters.size() + keys.consumers.size() + keys.bindings.size() + keys.timers.size());
    const auto add = [&out](object_kind kind, const std::vector<object_keys>& objects) {
        for (const object_keys& k : objects) out.emplace_back(kind, k.identity_key, k.fingerprint);
    };
    add(object_kind::filter, keys.filters);
    add(object_kind::consumer, keys.consumers);
    add(object_kind::binding, keys.bindings);
    add(object_kind::timer, keys.timers);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// True when the graph holds exactly the objects the baseline approved: the steady
// state of an agent's loop, decided from the object table without building a second
// baseline or copying a subscription object. Other objects (diff_options'
// include_other_objects, on by default) are keyed here, as the full diff keys them.
// Narrowing to namespaces takes the full path.
[[nodiscard]] inline bool unchanged_since(const baseline& approved, const subscription_graph& graph,
                                          const diff_options& options, std::size_t& unchanged) {
    if (!options.namespaces.empty()) return false;
    std::vector<object_signature> observed = observed_signatures(graph);
    // Keys of the other objects; reserved whole, so the views taken into them stay valid.
    const std::vector<instance>& others = graph.source().other_objects;
    std::vector<std::string> other_keys;
    std::vector<std::string> other_fingerprints;
    if (options.include_other_objects && !others.empty()) {
        other_keys.reserve(others.size());
        other_fingerprints.reserve(others.size());
        for (const instance& in : others) {
            other_keys.push_back(typed_identity_key(in));
            other_fingerprints.push_back(fingerprint(in));
            observed.emplace_back(object_kind::instance, other_keys.back(), other_fingerprints.back());
        }
        std::sort(observed.begin(), observed.end());
        observed.erase(std::unique(observed.begin(), observed.end()), observed.end());
    }
    std::vector<object_signature> before;
    before.reserve(approved.entries.size());
    for (const baseline_entry& e : approved.entries) {
        if (e.kind != object_kind::instance || options.include_other_objects) {
            before.emplace_back(e.kind, e.identity_key, e.fingerprint);
        }
    }
    std::sort(before.begin(), before.end());
    before.erase(std::unique(before.begin(), before.end()), before.end());
    unchanged = observed.size();
    return before == observed;
}

}  // namespace detail

WMISUB_API graph_changes diff(const baseline& approved, const subscription_graph& graph, const diff_options& options) {
    std::size_t unchanged = 0;
    if (!detail::unchanged_since(approved, graph, options, unchanged)) {
        return graph_changes(graph, diff(approved, graph.source(), options));
    }
    const snapshot& observed = graph.source();
    baseline_diff same;  // what diff(approved, observed) returns when nothing changed
    same.unchanged = unchanged;
    same.baseline_host = approved.host;
    same.baseline_created = approved.created;
    same.snapshot_host = observed.host;
    same.snapshot_collected_at = observed.collected_at;
    same.errors = observed.errors;
    return graph_changes(graph, std::move(same));
}

// ---------------------------------------------------------------------------
// scanner
// ---------------------------------------------------------------------------

WMISUB_API scanner::scanner(const engine& e) : engine_(e.shared_state()) {}

WMISUB_API subscription_graph scanner::build_graph(snapshot snap) {
    graph_options options;
    options.payload = engine_->limits.payload;
    options.fingerprints = !engine_->policy_.allowed_fingerprints.empty();
    options.deadline = deadline_;
    options.cancel = cancel_;
    options.cache = &engine_->payloads;
    options.queries = &engine_->queries;
    if (!engine_->host.host_name.empty()) options.local_names.push_back(engine_->host.host_name);
    return subscription_graph(std::move(snap), options);
}

WMISUB_API std::vector<assessment> scanner::assess_all(const subscription_graph& graph, scan_summary* summary) {
    std::vector<assessment> out;
    out.reserve(graph.entries().size());
    const scan_summary done = scan(graph, [&](assessment& a) { out.push_back(std::move(a)); });
    if (summary != nullptr) *summary = done;
    return out;
}

WMISUB_API std::optional<scan_status> scanner::interruption() const {
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) return scan_status::cancelled;
    if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) return scan_status::deadline;
    return std::nullopt;
}

WMISUB_API void scanner::warn(scan_summary& summary, std::string where, std::string message) const {
    ++summary.warnings;
    if (warn_) warn_(scan_warning{std::move(where), std::move(message)});
}

WMISUB_API void scanner::warn_about_graph(const subscription_graph& graph, scan_summary& summary) const {
    if (graph.truncated()) {
        warn(summary, "graph", "a binding matched more objects than max_entries_per_binding; some pairs are not listed");
    }
    if (graph.interrupted()) {
        warn(summary, "graph", "payload analysis was stopped by the deadline or the cancel flag; later payloads are not analysed");
    }
    const auto& payloads = graph.shared_state()->payloads;
    const auto truncated = static_cast<std::size_t>(
        std::count_if(payloads.begin(), payloads.end(), [](const auto& p) { return p->truncated; }));
    if (truncated > 0 && !graph.interrupted()) {
        warn(summary, "payload", std::to_string(truncated) + " payload analyses stopped at a limit of payload_options");
    }
    if (!graph.source().errors.empty()) {
        warn(summary, "snapshot", std::to_string(graph.source().errors.size()) +
                                      " collection errors: objects that could not be read are not assessed");
    }
}

WMISUB_API void scanner::bound_output(assessment& a) const {
    const wmisub::limits& l = engine_->limits;
    if (a.findings.size() > l.max_findings) a.findings.resize(l.max_findings);  // most severe first: the tail goes
    for (finding& f : a.findings) {
        for (evidence& e : f.evidence) {
            detail::clip_in_place(e.excerpt, l.max_evidence_bytes);
            detail::clip_in_place(e.detail, l.max_evidence_bytes);
        }
    }
}

WMISUB_API scan_summary scanner::run(const subscription_graph& graph, const graph_changes* changes, bool only_changed,
                                     detail::assessment_sink sink) {
    scan_summary summary;
    const auto& entries = graph.entries();
    only_changed = only_changed && changes != nullptr;
    summary.entries = only_changed ? changes->changed().size() : entries.size();
    warn_about_graph(graph, summary);
    // One context per scan, shared by its assessments: the engine (host) and the diff (changes).
    const auto context = std::make_shared<const detail::scan_context>(
        detail::scan_context{engine_, changes != nullptr ? changes->shared_state() : nullptr});
    const auto assess_one = [&](std::size_t index) {
        const entry_changes* what_changed = changes != nullptr ? &changes->of(index) : nullptr;
        engine_->run.assess_into(buffer_, graph, entries[index], &engine_->host, what_changed);
        buffer_.context = context;
        bound_output(buffer_);
        ++summary.assessed;
        return sink.call(sink.callable, buffer_);
    };
    for (std::size_t n = 0; n < summary.entries; ++n) {
        if (const auto why = interruption()) {
            summary.status = *why;
            break;
        }
        if (summary.assessed >= engine_->limits.max_entries) {
            summary.status = scan_status::entry_limit;
            break;
        }
        if (!assess_one(only_changed ? changes->changed()[n] : n)) {
            summary.status = scan_status::stopped;
            break;
        }
    }
    summary.partial = summary.assessed < summary.entries || graph.interrupted();
    return summary;
}

WMISUB_NAMESPACE_END
