// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The subscription graph: bindings joined to their filter and consumer through
// object paths, however the paths are spelled, plus every object no binding
// uses. Nothing in the snapshot is dropped.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
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
};

// Most entries one binding may produce when its references match several
// objects with the same identity (the same object read from several sources).
inline constexpr std::size_t max_entries_per_binding = 256;

namespace detail {

// `//./ROOT/Subscription/` and `\\.\root\subscription` name the same namespace.
[[nodiscard]] inline std::string normalize_namespace(std::string_view ns) {
    std::string out(ns);
    for (char& c : out) {
        if (c == '/') c = '\\';
    }
    std::string_view view = out;
    if (view.size() >= 2 && view.substr(0, 2) == "\\\\") {
        const std::size_t end_of_server = view.find('\\', 2);
        view = end_of_server == std::string_view::npos ? std::string_view{} : view.substr(end_of_server);
    }
    while (!view.empty() && view.front() == '\\') view.remove_prefix(1);
    while (!view.empty() && view.back() == '\\') view.remove_suffix(1);
    return std::string(view);
}

// Lookup key of an object identity inside one machine: identity_key() of the
// path with no server and its namespace normalised, built without a copy.
[[nodiscard]] inline std::string local_identity_key(const object_path& path) {
    std::string out;
    out.reserve(path.namespace_path.size() + path.class_name.size() + 48);
    opath_append_canonical_as(out, path, 0, {}, normalize_namespace(path.namespace_path));
    return out;
}

// Identity keys of objects, to the indices holding them: one sorted vector,
// so indexing costs one string per object and no map nodes.
class identity_index {
public:
    void reserve(std::size_t n) { entries_.reserve(n); }
    void add(std::string key, std::size_t index) { entries_.emplace_back(std::move(key), index); }
    // Sorts the keys; call once after the last add and before any find.
    void finish() {
        std::sort(entries_.begin(), entries_.end());
        indices_.reserve(entries_.size());
        for (const auto& e : entries_) indices_.push_back(e.second);
    }
    // The indices with this key, in snapshot order; empty when none.
    [[nodiscard]] std::span<const std::size_t> find(std::string_view key) const noexcept {
        const auto range = std::equal_range(entries_.begin(), entries_.end(), key, key_less{});
        const auto first = static_cast<std::size_t>(range.first - entries_.begin());
        return {indices_.data() + first, static_cast<std::size_t>(range.second - range.first)};
    }
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

private:
    using entry = std::pair<std::string, std::size_t>;
    struct key_less {
        bool operator()(const entry& e, std::string_view k) const noexcept { return std::string_view(e.first) < k; }
        bool operator()(std::string_view k, const entry& e) const noexcept { return k < std::string_view(e.first); }
    };
    std::vector<entry> entries_;
    std::vector<std::size_t> indices_;
};

// Key property names by folded consumer class, for `Class="v"` shorthand references.
using class_keys = std::unordered_map<std::string, std::vector<std::string>>;

// Resolves one reference of a binding; fills `why` when it resolves to nothing.
[[nodiscard]] inline std::span<const std::size_t> resolve_reference(std::string_view text,
                                                                       std::string_view binding_namespace,
                                                                       const identity_index& index,
                                                                       const class_keys& keys, std::string& why) {
    auto parsed = parse_object_path(text);
    if (!parsed) {
        why = "unparseable object path '" + std::string(text) + "': " + parsed.error().to_string();
        return {};
    }
    object_path path = std::move(*parsed);
    if (!path.is_local()) {
        why = "'" + std::string(text) + "' names another machine";
        return {};
    }
    if (path.is_relative()) path.namespace_path = std::string(binding_namespace);
    if (path.keys.size() == 1 && path.keys.front().name.empty()) {
        const auto known = keys.find(fold_case(path.class_name));
        path.keys.front().name = known != keys.end() && known->second.size() == 1 ? known->second.front() : "Name";
    }
    const auto found = index.find(local_identity_key(std::move(path)));
    if (found.empty()) why = "'" + std::string(text) + "' matches no object";
    return found;
}

}  // namespace detail

// Bindings joined to filters and consumers. Refers into the snapshot it was
// built from: keep that snapshot alive and unchanged while using the graph.
class subscription_graph {
public:
    // Joins every binding of `snap` and lists every unused filter and consumer.
    explicit subscription_graph(const snapshot& snap) : snapshot_(&snap) { build(); }
    // A graph over a temporary snapshot would dangle at once.
    explicit subscription_graph(snapshot&&) = delete;

    [[nodiscard]] const std::vector<subscription>& entries() const noexcept { return entries_; }
    [[nodiscard]] const snapshot& source() const noexcept { return *snapshot_; }

    // The objects of an entry, or nullptr where the entry has none.
    [[nodiscard]] const event_filter* filter(const subscription& s) const noexcept {
        return s.filter ? &snapshot_->filters[*s.filter] : nullptr;
    }
    [[nodiscard]] const wmisub::consumer* consumer(const subscription& s) const noexcept {
        return s.consumer ? &snapshot_->consumers[*s.consumer] : nullptr;
    }
    [[nodiscard]] const wmisub::binding* binding(const subscription& s) const noexcept {
        return s.binding ? &snapshot_->bindings[*s.binding] : nullptr;
    }

    // The analysis of an entry's filter query (or why it does not parse), or
    // nullptr when the entry has no filter. Each query is analysed once, here.
    [[nodiscard]] const result<wql_analysis>* query_analysis(const subscription& s) const noexcept {
        return s.filter ? &analyses_[*s.filter] : nullptr;
    }

    // Entries in one state.
    [[nodiscard]] std::vector<const subscription*> in_state(subscription_state state) const {
        std::vector<const subscription*> out;
        for (const subscription& s : entries_) {
            if (s.state == state) out.push_back(&s);
        }
        return out;
    }

    // True when some binding produced more entries than max_entries_per_binding allows.
    [[nodiscard]] bool truncated() const noexcept { return truncated_; }

private:
    void build() {
        analyses_.reserve(snapshot_->filters.size());
        for (const event_filter& f : snapshot_->filters) analyses_.push_back(analyze_wql(f.query));
        index_objects();
        index_timers();
        std::vector<bool> filter_used(snapshot_->filters.size(), false);
        std::vector<bool> consumer_used(snapshot_->consumers.size(), false);
        for (std::size_t b = 0; b < snapshot_->bindings.size(); ++b) join_binding(b, filter_used, consumer_used);
        for (std::size_t f = 0; f < filter_used.size(); ++f) {
            if (filter_used[f]) continue;
            subscription s;
            s.state = subscription_state::orphan_filter;
            s.namespace_path = snapshot_->filters[f].namespace_path;
            s.filter = f;
            entries_.push_back(std::move(s));
        }
        for (std::size_t c = 0; c < consumer_used.size(); ++c) {
            if (consumer_used[c]) continue;
            subscription s;
            s.state = subscription_state::orphan_consumer;
            s.namespace_path = header_of(snapshot_->consumers[c]).namespace_path;
            s.consumer = c;
            entries_.push_back(std::move(s));
        }
        for (subscription& s : entries_) link_timers(s);
    }

    void index_objects() {
        filters_.reserve(snapshot_->filters.size());
        consumers_.reserve(snapshot_->consumers.size());
        for (std::size_t i = 0; i < snapshot_->filters.size(); ++i) {
            filters_.add(detail::local_identity_key(identity_of(snapshot_->filters[i])), i);
        }
        for (std::size_t i = 0; i < snapshot_->consumers.size(); ++i) {
            const consumer_header& h = header_of(snapshot_->consumers[i]);
            consumers_.add(detail::local_identity_key(identity_of(snapshot_->consumers[i])), i);
            std::string folded_class = fold_case(h.class_name);
            if (!consumer_keys_.contains(folded_class)) {
                consumer_keys_.emplace(std::move(folded_class), key_names_of(snapshot_->consumers[i]));
            }
        }
        filters_.finish();
        consumers_.finish();
        filter_keys_.try_emplace(fold_case(class_names::event_filter), std::vector<std::string>{"Name"});
    }

    void join_binding(std::size_t b, std::vector<bool>& filter_used, std::vector<bool>& consumer_used) {
        const wmisub::binding& bind = snapshot_->bindings[b];
        std::string filter_why;
        std::string consumer_why;
        const auto fs = detail::resolve_reference(bind.filter, bind.namespace_path, filters_, filter_keys_, filter_why);
        const auto cs = detail::resolve_reference(bind.consumer, bind.namespace_path, consumers_, consumer_keys_, consumer_why);
        for (std::size_t f : fs) filter_used[f] = true;
        for (std::size_t c : cs) consumer_used[c] = true;

        subscription base;
        base.state = fs.empty() || cs.empty() ? subscription_state::dangling_binding : subscription_state::bound;
        base.namespace_path = bind.namespace_path;
        base.binding = b;
        if (!filter_why.empty()) base.unresolved = "filter " + filter_why;
        if (!consumer_why.empty()) {
            base.unresolved += (base.unresolved.empty() ? "consumer " : "; consumer ") + consumer_why;
        }
        emit_combinations(base, fs, cs);
    }

    // One entry per (filter, consumer) pair; an unresolved side contributes one empty slot.
    void emit_combinations(const subscription& base, std::span<const std::size_t> fs, std::span<const std::size_t> cs) {
        const std::size_t f_slots = fs.empty() ? 1 : fs.size();
        const std::size_t c_slots = cs.empty() ? 1 : cs.size();
        std::size_t emitted = 0;
        for (std::size_t i = 0; i < f_slots; ++i) {
            for (std::size_t j = 0; j < c_slots; ++j) {
                if (emitted == max_entries_per_binding) {
                    truncated_ = true;
                    return;
                }
                subscription s = base;
                if (!fs.empty()) s.filter = fs[i];
                if (!cs.empty()) s.consumer = cs[j];
                entries_.push_back(std::move(s));
                ++emitted;
            }
        }
    }

    // Timer instructions by folded TimerId, so linking is linear in the snapshot.
    void index_timers() {
        for (std::size_t t = 0; t < snapshot_->timers.size(); ++t) {
            timers_[fold_case(snapshot_->timers[t].timer_id)].push_back(t);
        }
    }

    // A `__TimerEvent` filter fires only through the timer instruction with its TimerId.
    // Instructions in the namespace the events come from are preferred; others are
    // linked only when none is there, since timer events are namespace-local.
    void link_timers(subscription& s) const {
        if (!s.filter || timers_.empty()) return;
        const event_filter& f = snapshot_->filters[*s.filter];
        const auto& analysis = analyses_[*s.filter];
        if (!analysis || analysis->trigger.kind != trigger_kind::interval_timer || analysis->trigger.timer_id.empty()) return;
        const auto same_id = timers_.find(fold_case(analysis->trigger.timer_id));
        if (same_id == timers_.end()) return;
        const std::string event_ns = detail::normalize_namespace(
            f.event_namespace && !f.event_namespace->empty() ? *f.event_namespace : f.namespace_path);
        std::vector<std::size_t> elsewhere;
        for (std::size_t t : same_id->second) {
            if (iequals(detail::normalize_namespace(snapshot_->timers[t].namespace_path), event_ns)) {
                s.timers.push_back(t);
            } else {
                elsewhere.push_back(t);
            }
        }
        if (s.timers.empty()) s.timers = std::move(elsewhere);
    }

    const snapshot* snapshot_;
    std::vector<subscription> entries_;
    std::vector<result<wql_analysis>> analyses_;  // per snapshot filter
    detail::identity_index filters_;
    detail::identity_index consumers_;
    detail::class_keys filter_keys_;
    detail::class_keys consumer_keys_;
    std::unordered_map<std::string, std::vector<std::size_t>> timers_;  // folded TimerId -> snapshot::timers indices
    bool truncated_ = false;
};

WMISUB_NAMESPACE_END
