// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The subscription graph: bindings joined to their filter and consumer through
// object paths, however the paths are spelled, plus every object no binding
// uses. Nothing in the snapshot is dropped.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/result.hpp"
#include "wmisub/wql/query.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// How a graph entry is connected. Names are stable (JSON reports use them).
enum class subscription_state : std::uint8_t {
    bound,             // a binding whose filter and consumer both exist
    orphan_filter,     // a filter no binding uses
    orphan_consumer,   // a consumer no binding uses
    dangling_binding,  // a binding whose filter or consumer reference resolves to nothing
};

[[nodiscard]] constexpr std::string_view to_string(subscription_state s) noexcept {
    switch (s) {
    case subscription_state::bound: return "bound";
    case subscription_state::orphan_filter: return "orphan_filter";
    case subscription_state::orphan_consumer: return "orphan_consumer";
    case subscription_state::dangling_binding: return "dangling_binding";
    }
    return "bound";
}

// One entry of the graph. Indices refer to the vectors of the snapshot the
// graph was built from.
struct subscription {
    subscription_state state = subscription_state::bound;
    std::string namespace_path;            // the binding's namespace, or the orphan's
    std::optional<std::size_t> filter;     // into snapshot::filters
    std::optional<std::size_t> consumer;   // into snapshot::consumers
    std::optional<std::size_t> binding;    // into snapshot::bindings
    std::vector<std::size_t> timers;       // into snapshot::timers: instructions firing the filter's TimerId
    std::string unresolved;                // for dangling bindings: which reference failed and why
    // For dangling bindings: the missing consumer is of a class the sources could not read
    // (snapshot::readable_consumer_classes), so its absence is no evidence of tampering.
    bool consumer_unreadable = false;
};

// Most entries one binding may produce when its references match several
// objects with the same identity (the same object read from several sources).
inline constexpr std::size_t max_entries_per_binding = 256;

namespace detail {

// Builds lookup keys of object paths (impl/graph.inl).
class local_key_builder;

// Payload analyses shared across graphs by content key (an engine's; impl/payload_cache.inl).
class payload_cache;
// WQL analyses shared across graphs by query text (an engine's; impl/payload_cache.inl).
class query_cache;

// Identity keys of objects, to the indices holding them: an open-addressing
// hash table of distinct keys over one buffer of key text, so building and
// lookups are linear and indexing allocates nothing per object.
class identity_index {
public:
    void reserve(std::size_t objects) { added_.reserve(objects); }
    void add(std::string_view key, std::size_t index) {
        added_.push_back({{text_.size(), key.size()}, index});
        text_ += key;
    }
    // Groups equal keys, indices in snapshot order; call once after the last add and before any find.
    void finish();
    // The indices with this key, in snapshot order; empty when none.
    [[nodiscard]] std::span<const std::size_t> find(std::string_view key) const noexcept;
    // True when no key was indexed (after finish()).
    [[nodiscard]] bool empty() const noexcept { return indices_.empty(); }

private:
    struct text_span {
        std::size_t offset;  // into text_
        std::size_t length;
    };
    struct added_key {
        text_span key;
        std::size_t index;  // into the snapshot vector
    };
    struct group {
        std::size_t hash;
        text_span key;
        std::size_t first = 0;  // into indices_
        std::size_t count = 0;
    };
    static constexpr std::size_t no_group = static_cast<std::size_t>(-1);

    [[nodiscard]] static std::size_t hash(std::string_view key) noexcept { return std::hash<std::string_view>{}(key); }
    [[nodiscard]] std::string_view key_of(text_span span) const noexcept {
        return std::string_view(text_).substr(span.offset, span.length);
    }
    // The group of an added key, created on first sight; counts the key in it.
    std::size_t group_for(const added_key& a);

    std::string text_;                  // every key, back to back
    std::vector<added_key> added_;      // until finish()
    std::vector<group> groups_;         // one per distinct key
    std::vector<std::size_t> slots_;    // hash table of group numbers; a power of two long
    std::vector<std::size_t> indices_;  // snapshot indices, grouped by key
};

}  // namespace detail

// One subscription object's identity key (identity_key_of(): what baselines and
// diffs match on) and content fingerprint (fingerprint(): what allow-lists name).
struct object_keys {
    std::string identity_key;
    std::string fingerprint;
};

// The object_keys of every filter, consumer, binding and timer of a snapshot, in snapshot order.
struct object_key_table {
    std::vector<object_keys> filters;
    std::vector<object_keys> consumers;
    std::vector<object_keys> bindings;
    std::vector<object_keys> timers;
};

namespace detail {

// What a graph built and what its entries point into: the snapshot, the
// entries and the object table (one analysis per distinct query text and per
// distinct consumer content). Immutable once built, and shared (not copied)
// by copies of the graph and by every assessment made from it, so none of
// them can outlive what they refer to.
struct graph_state {
    std::shared_ptr<const snapshot> source;
    std::vector<subscription> entries;
    std::vector<std::size_t> filter_query;       // per snapshot filter: index into analyses
    std::vector<std::shared_ptr<const result<wql_analysis>>> analyses;  // per distinct query text
    std::vector<std::size_t> consumer_payload;   // per snapshot consumer: index into payloads
    std::vector<std::shared_ptr<const payload_analysis>> payloads;  // per distinct payload_content_key()
    // Identity keys and fingerprints, computed once on first use (allow-lists, diffs, reports
    // need them; a plain scan does not), by whichever thread asks first.
    mutable std::once_flag keys_once;
    mutable object_key_table keys;
};

// The state's object_key_table, computed on the first call.
[[nodiscard]] WMISUB_API const object_key_table& object_keys_of(const graph_state& state);

}  // namespace detail

// How a graph analyses the objects it joins.
struct graph_options {
    payload_options payload;  // limits of each consumer's payload analysis
    // Payload analysis stops at this instant or once `*cancel` is true: the
    // remaining consumers get an empty analysis marked truncated, the joins are
    // still made in full, and interrupted() says so.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    const std::atomic<bool>* cancel = nullptr;  // owned by the caller
    // Compute the object_key_table while building rather than on first use.
    bool fingerprints = false;
    // Analyses shared with other graphs (an engine sets it); nullptr: this graph's own.
    detail::payload_cache* cache = nullptr;
    // WQL analyses shared with other graphs (an engine sets it); nullptr: this graph's own.
    detail::query_cache* queries = nullptr;
    // Names this machine goes by besides the snapshot's `host` (an engine adds its
    // host_context::host_name). A binding's reference whose path names one of them
    // (`\\WS01\ROOT\subscription:…`, as Get-WmiObject writes `__PATH`) is local.
    std::vector<std::string> local_names;
};

// Bindings joined to filters and consumers. The graph owns its snapshot (or
// shares it), so no later change to the caller's snapshot, and no order of
// destruction, can leave it or the assessments made from it dangling.
// Immutable after construction: one graph may be read by many threads.
class subscription_graph {
public:
    // Joins every binding of `snap`, lists every unused filter and consumer,
    // and analyses each distinct query and each distinct consumer payload once.
    // The graph keeps `snap`: move it in to avoid a copy.
    explicit subscription_graph(snapshot snap, const graph_options& options = {});
    // The same over a snapshot shared with the caller (never modified through it).
    explicit subscription_graph(std::shared_ptr<const snapshot> snap, const graph_options& options = {});

    // The accessors return references into the graph's state, so they are for
    // graphs that outlive the reference: on a temporary graph they do not compile.
    [[nodiscard]] const std::vector<subscription>& entries() const& noexcept { return state_->entries; }
    [[nodiscard]] const snapshot& source() const& noexcept { return *snapshot_; }
    const std::vector<subscription>& entries() const&& = delete;
    const snapshot& source() const&& = delete;
    // The snapshot, shared: it lives as long as any holder.
    [[nodiscard]] std::shared_ptr<const snapshot> shared_source() const noexcept { return state_->source; }
    // Everything entries, objects and analyses point into, shared; an assessment keeps it alive.
    [[nodiscard]] std::shared_ptr<const detail::graph_state> shared_state() const noexcept { return state_; }

    // The objects of an entry, or nullptr where the entry has none.
    [[nodiscard]] const event_filter* filter(const subscription& s) const& noexcept {
        return s.filter ? &snapshot_->filters[*s.filter] : nullptr;
    }
    [[nodiscard]] const wmisub::consumer* consumer(const subscription& s) const& noexcept {
        return s.consumer ? &snapshot_->consumers[*s.consumer] : nullptr;
    }
    [[nodiscard]] const wmisub::binding* binding(const subscription& s) const& noexcept {
        return s.binding ? &snapshot_->bindings[*s.binding] : nullptr;
    }
    const event_filter* filter(const subscription&) const&& = delete;
    const wmisub::consumer* consumer(const subscription&) const&& = delete;
    const wmisub::binding* binding(const subscription&) const&& = delete;

    // The analysis of an entry's filter query (or why it does not parse), or
    // nullptr when the entry has no filter. Each query is analysed once, here.
    [[nodiscard]] const result<wql_analysis>* query_analysis(const subscription& s) const& noexcept {
        return s.filter ? state_->analyses[state_->filter_query[*s.filter]].get() : nullptr;
    }
    const result<wql_analysis>* query_analysis(const subscription&) const&& = delete;

    // The payload analysis of an entry's consumer, or nullptr when the entry
    // has none. Consumers with the same content share one analysis.
    [[nodiscard]] const payload_analysis* payload(const subscription& s) const& noexcept {
        return s.consumer ? state_->payloads[state_->consumer_payload[*s.consumer]].get() : nullptr;
    }
    const payload_analysis* payload(const subscription&) const&& = delete;

    // Identity keys and content fingerprints of every object, in snapshot order:
    // computed once, on the first call from any thread, and shared by copies of
    // the graph, so allow-lists, diffs and reports never compute them twice.
    [[nodiscard]] const object_key_table& object_keys() const& { return detail::object_keys_of(*state_); }
    const object_key_table& object_keys() const&& = delete;

    // The content fingerprints (baseline.hpp) of an entry's filter and consumer, or
    // nullptr when it has none; from object_keys().
    [[nodiscard]] const std::string* filter_fingerprint(const subscription& s) const& {
        return s.filter ? &object_keys().filters[*s.filter].fingerprint : nullptr;
    }
    [[nodiscard]] const std::string* consumer_fingerprint(const subscription& s) const& {
        return s.consumer ? &object_keys().consumers[*s.consumer].fingerprint : nullptr;
    }
    const std::string* filter_fingerprint(const subscription&) const&& = delete;
    const std::string* consumer_fingerprint(const subscription&) const&& = delete;

    // How many distinct queries and payloads were analysed (the rest were shared).
    [[nodiscard]] std::size_t distinct_queries() const noexcept { return state_->analyses.size(); }
    [[nodiscard]] std::size_t distinct_payloads() const noexcept { return state_->payloads.size(); }

    // Entries in one state.
    [[nodiscard]] std::vector<const subscription*> in_state(subscription_state state) const;

    // True when some binding produced more entries than max_entries_per_binding allows.
    [[nodiscard]] bool truncated() const noexcept { return truncated_; }
    // True when the deadline or the cancel flag of graph_options stopped payload analysis.
    [[nodiscard]] bool interrupted() const noexcept { return interrupted_; }

private:
    void build(const graph_options& options);

    // One analysis per distinct query text, one per distinct consumer payload.
    void analyse_objects(const graph_options& options);
    // A query's analysis, from options.queries when it has it.
    [[nodiscard]] WMISUB_API static std::shared_ptr<const result<wql_analysis>> shared_query_analysis(
        std::string_view query, const graph_options& options);
    template <class StopCheck>
    std::shared_ptr<const payload_analysis> shared_analysis(const std::string& key, const wmisub::consumer& c,
                                                            const graph_options& options, const StopCheck& must_stop);

    // Lookup keys of every filter and consumer. A reference with one key
    // matches whatever that key is called (`Class="v"` shorthand included),
    // since the class implies the name, so key names play no part here.
    void index_objects();

    // A standard consumer's one key is its Name; a custom class may have other or several keys.
    [[nodiscard]] static std::string_view consumer_key(const wmisub::consumer& c, detail::local_key_builder& keys);

    // Key builders for the two references of bindings: each keeps the prefix its side repeats.
    struct reference_keys;

    void join_binding(std::size_t b, reference_keys& keys, std::vector<bool>& filter_used,
                      std::vector<bool>& consumer_used);

    // One entry per (filter, consumer) pair; an unresolved side contributes one empty slot.
    // The last one takes `base` itself rather than a copy.
    void emit_combinations(subscription& base, std::span<const std::size_t> fs, std::span<const std::size_t> cs);

    // Timer instructions by folded TimerId, so linking is linear in the snapshot.
    void index_timers();

    // A `__TimerEvent` filter fires only through the timer instruction with its TimerId.
    // Instructions in the namespace the events come from are preferred; others are
    // linked only when none is there, since timer events are namespace-local.
    void link_timers(subscription& s) const;

    std::shared_ptr<detail::graph_state> state_;  // built here, never changed afterwards
    const snapshot* snapshot_ = nullptr;           // state_->source, for the accessors
    detail::identity_index filters_;
    detail::identity_index consumers_;
    // (folded TimerId, snapshot::timers index), sorted by id, snapshot order within one id. A sorted
    // vector rather than a hash map keeps <unordered_map> out of every includer.
    std::vector<std::pair<std::string, std::size_t>> timers_;
    bool truncated_ = false;
    bool interrupted_ = false;
};

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/graph.inl"
#endif
