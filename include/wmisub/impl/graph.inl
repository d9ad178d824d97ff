// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/graph.hpp: lookup keys of object paths, the
// identity index and the joining of bindings to filters and consumers.
// Included by graph.hpp only under WMISUB_INCLUDE_IMPLEMENTATION; not a header
// to include.
#pragma once

#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/impl/identity_keys.inl"
#include "wmisub/impl/payload_cache.inl"
#include "wmisub/model.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/analysis.inl"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql/query.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN

namespace detail {
// Groups equal keys, indices in snapshot order; call once after the last add and before any find.
WMISUB_API void identity_index::finish() {
    std::size_t capacity = 16;
    while (capacity < 2 * added_.size()) capacity *= 2;
    slots_.assign(capacity, no_group);
    groups_.reserve(added_.size());
    std::vector<std::size_t> group_of(added_.size());
    for (std::size_t i = 0; i < added_.size(); ++i) group_of[i] = group_for(added_[i]);
    std::size_t next = 0;  // prefix sums: where each group's indices start
    for (group& g : groups_) {
        g.first = next;
        next += g.count;
        g.count = 0;
    }
    indices_.resize(added_.size());
    for (std::size_t i = 0; i < added_.size(); ++i) {
        group& g = groups_[group_of[i]];
        indices_[g.first + g.count++] = added_[i].index;
    }
    added_ = {};
}

// The indices with this key, in snapshot order; empty when none.
WMISUB_API std::span<const std::size_t> identity_index::find(std::string_view key) const noexcept {
    if (slots_.empty()) return {};
    const std::size_t h = hash(key);
    for (std::size_t slot = h & (slots_.size() - 1);; slot = (slot + 1) & (slots_.size() - 1)) {
        if (slots_[slot] == no_group) return {};
        const group& g = groups_[slots_[slot]];
        if (g.hash == h && key_of(g.key) == key) return {indices_.data() + g.first, g.count};
    }
}

// The group of an added key, created on first sight; counts the key in it.
WMISUB_API std::size_t identity_index::group_for(const added_key& a) {
    const std::string_view key = key_of(a.key);
    const std::size_t h = hash(key);
    std::size_t slot = h & (slots_.size() - 1);
    while (slots_[slot] != no_group) {
        group& g = groups_[slots_[slot]];
        if (g.hash == h && key_of(g.key) == key) {
            ++g.count;
            return slots_[slot];
        }
        slot = (slot + 1) & (slots_.size() - 1);
    }
    slots_[slot] = groups_.size();
    groups_.push_back({h, a.key, 0, 1});
    return slots_[slot];
}

// The names a reference's server may give the machine the snapshot describes.
struct machine_names {
    std::vector<std::string_view> names;  // the snapshot's host and graph_options::local_names

    // True for no server, ".", "localhost", or a name of this machine.
    [[nodiscard]] bool local(std::string_view server) const noexcept {
        if (server.empty() || server == "." || iequals(server, "localhost")) return true;
        return std::any_of(names.begin(), names.end(), [server](std::string_view n) { return same_machine(server, n); });
    }
};

// The lookup key of a reference after a full parse; nullopt with `why` filled
// when it names nothing that could be looked up here.
[[nodiscard]] inline std::optional<std::string> parsed_reference_key(std::string_view text,
                                                                     std::string_view binding_namespace,
                                                                     const machine_names& machine, std::string& why) {
    auto parsed = parse_object_path(text);
    if (!parsed) {
        why = "unparseable object path '" + std::string(text) + "': " + parsed.error().to_string();
        return std::nullopt;
    }
    if (!machine.local(parsed->server)) {
        why = "'" + std::string(text) + "' names another machine";
        return std::nullopt;
    }
    if (parsed->is_relative()) parsed->namespace_path = std::string(binding_namespace);
    return local_identity_key(*parsed);
}

// The lookup key of a reference of a binding found in binding_namespace, valid
// until keys is used again; nullopt with `why` filled when the reference cannot
// name a local object. The usual spelling is read in place; any other goes
// through the full parser.
[[nodiscard]] inline std::optional<std::string_view> reference_key(std::string_view text,
                                                                   std::string_view binding_namespace,
                                                                   const machine_names& machine,
                                                                   local_key_builder& keys, std::string& why) {
    const auto simple = opath_read_simple(text);
    const bool local = simple && machine.local(simple->server);
    if (!local) {
        auto key = parsed_reference_key(text, binding_namespace, machine, why);
        if (!key) return std::nullopt;
        return keys.keep(std::move(*key));
    }
    const std::string_view ns = simple->namespace_path.empty() ? binding_namespace : simple->namespace_path;
    return keys.build(ns, simple->class_name, simple->value, ns);
}

// The class a reference names, however it is spelled; empty when it cannot be read.
[[nodiscard]] inline std::string reference_class(std::string_view text) {
    if (const auto simple = opath_read_simple(text)) return std::string(simple->class_name);
    auto parsed = parse_object_path(text);
    return parsed ? std::move(parsed->class_name) : std::string();
}

// Resolves one reference of a binding; fills `why` when it resolves to nothing.
[[nodiscard]] inline std::span<const std::size_t> resolve_reference(std::string_view text,
                                                                       std::string_view binding_namespace,
                                                                       const identity_index& index,
                                                                       const machine_names& machine,
                                                                       local_key_builder& keys, std::string& why) {
    const auto key = reference_key(text, binding_namespace, machine, keys, why);
    if (!key) return {};
    const auto found = index.find(*key);
    if (found.empty()) why = "'" + std::string(text) + "' matches no object";
    return found;
}

}  // namespace detail

// Entries in one state.
WMISUB_API std::vector<const subscription*> subscription_graph::in_state(subscription_state state) const {
    std::vector<const subscription*> out;
    for (const subscription& s : state_->entries) {
        if (s.state == state) out.push_back(&s);
    }
    return out;
}

// Key builders for the two references of bindings: each keeps the prefix its side repeats.
struct subscription_graph::reference_keys {
    detail::local_key_builder filter;
    detail::local_key_builder consumer;
    detail::machine_names machine;  // which servers a reference may name and still be local
};

WMISUB_API subscription_graph::subscription_graph(snapshot snap, const graph_options& options)
    : subscription_graph(std::make_shared<const snapshot>(std::move(snap)), options) {}

WMISUB_API subscription_graph::subscription_graph(std::shared_ptr<const snapshot> snap, const graph_options& options)
    : state_(std::make_shared<detail::graph_state>()) {
    state_->source = snap ? std::move(snap) : std::make_shared<const snapshot>();
    snapshot_ = state_->source.get();
    build(options);
}

// The analysis of a consumer's payload: the cache's when it has one, else made
// here (and given to the cache), or an empty one marked truncated once stopped.
template <class StopCheck>
std::shared_ptr<const payload_analysis> subscription_graph::shared_analysis(const std::string& key, const wmisub::consumer& c,
                                                                            const graph_options& options,
                                                                            const StopCheck& must_stop) {
    if (options.cache != nullptr) {
        if (auto cached = options.cache->find(key)) return cached;
    }
    if (!interrupted_ && must_stop()) interrupted_ = true;
    auto analysis = std::make_shared<payload_analysis>();
    if (interrupted_) {
        analysis->truncated = true;  // not analysed: the scan was stopped
        return analysis;
    }
    *analysis = analyze_consumer(c, options.payload, stop_signal{options.cancel, options.deadline});
    if (analysis->interrupted) interrupted_ = true;  // the cache keeps complete analyses only
    if (options.cache != nullptr) options.cache->keep(key, analysis);
    return analysis;
}

// The analysis of a query text: the cache's when it has one, else made here (and given to the cache).
WMISUB_API std::shared_ptr<const result<wql_analysis>> subscription_graph::shared_query_analysis(
    std::string_view query, const graph_options& options) {
    if (options.queries != nullptr) {
        if (auto cached = options.queries->find(query)) return cached;
    }
    auto analysis = std::make_shared<const result<wql_analysis>>(analyze_wql(query));
    if (options.queries != nullptr) options.queries->keep(query, analysis);
    return analysis;
}

// One analysis per distinct query text, one per distinct consumer payload.
WMISUB_API void subscription_graph::analyse_objects(const graph_options& options) {
    detail::graph_state& st = *state_;
    // Keys view the snapshot's query texts, which the state owns and never changes.
    std::unordered_map<std::string_view, std::size_t> query_index;
    query_index.reserve(snapshot_->filters.size());
    st.filter_query.reserve(snapshot_->filters.size());
    for (const event_filter& f : snapshot_->filters) {
        const auto [at, fresh] = query_index.try_emplace(f.query, st.analyses.size());
        if (fresh) st.analyses.push_back(shared_query_analysis(f.query, options));
        st.filter_query.push_back(at->second);
    }
    // Distinct payloads by a hash of their fields, each compared in place with the first consumer
    // of its content: the content key (a copy of every field) is built once per distinct payload,
    // for the engine's cache, not once per consumer.
    std::unordered_multimap<std::size_t, std::size_t> payload_index;  // hash -> index into st.payloads
    std::vector<const wmisub::consumer*> first_of_payload;
    payload_index.reserve(snapshot_->consumers.size());
    st.consumer_payload.reserve(snapshot_->consumers.size());
    const auto must_stop = [&options] {
        return (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) ||
               (options.deadline && std::chrono::steady_clock::now() >= *options.deadline);
    };
    for (const wmisub::consumer& c : snapshot_->consumers) {
        const std::size_t h = detail::payload_content_hash(c);
        std::optional<std::size_t> found;
        for (auto [it, end] = payload_index.equal_range(h); it != end && !found; ++it) {
            if (detail::same_payload_content(*first_of_payload[it->second], c)) found = it->second;
        }
        if (!found) {
            found = st.payloads.size();
            payload_index.emplace(h, *found);
            first_of_payload.push_back(&c);
            st.payloads.push_back(shared_analysis(payload_content_key(c), c, options, must_stop));
        }
        st.consumer_payload.push_back(*found);
    }
    if (options.fingerprints) (void)detail::object_keys_of(st);
}

namespace detail {

template <class Object>
[[nodiscard]] std::vector<object_keys> keys_of_all(const std::vector<Object>& objects) {
    std::vector<object_keys> out;
    out.reserve(objects.size());
    for (const Object& o : objects) out.push_back({typed_identity_key(o), fingerprint(o)});
    return out;
}

}  // namespace detail

WMISUB_API const object_key_table& detail::object_keys_of(const graph_state& state) {
    std::call_once(state.keys_once, [&state] {
        const snapshot& snap = *state.source;
        state.keys.filters = keys_of_all(snap.filters);
        state.keys.consumers = keys_of_all(snap.consumers);
        state.keys.bindings = keys_of_all(snap.bindings);
        state.keys.timers = keys_of_all(snap.timers);
    });
    return state.keys;
}

WMISUB_API void subscription_graph::build(const graph_options& options) {
    analyse_objects(options);
    index_objects();
    index_timers();
    std::vector<bool> filter_used(snapshot_->filters.size(), false);
    std::vector<bool> consumer_used(snapshot_->consumers.size(), false);
    state_->entries.reserve(snapshot_->bindings.size());
    reference_keys keys;
    if (!snapshot_->host.empty()) keys.machine.names.emplace_back(snapshot_->host);
    for (const std::string& name : options.local_names) keys.machine.names.emplace_back(name);
    for (std::size_t b = 0; b < snapshot_->bindings.size(); ++b) join_binding(b, keys, filter_used, consumer_used);
    const auto unused = [](const std::vector<bool>& used) {
        return static_cast<std::size_t>(std::count(used.begin(), used.end(), false));
    };
    state_->entries.reserve(state_->entries.size() + unused(filter_used) + unused(consumer_used));
    for (std::size_t f = 0; f < filter_used.size(); ++f) {
        if (filter_used[f]) continue;
        subscription s;
        s.state = subscription_state::orphan_filter;
        s.namespace_path = snapshot_->filters[f].namespace_path;
        s.filter = f;
        state_->entries.push_back(std::move(s));
    }
    for (std::size_t c = 0; c < consumer_used.size(); ++c) {
        if (consumer_used[c]) continue;
        subscription s;
        s.state = subscription_state::orphan_consumer;
        s.namespace_path = header_of(snapshot_->consumers[c]).namespace_path;
        s.consumer = c;
        state_->entries.push_back(std::move(s));
    }
    for (subscription& s : state_->entries) link_timers(s);
}

// Lookup keys of every filter and consumer. A reference with one key
// matches whatever that key is called (`Class="v"` shorthand included),
// since the class implies the name, so key names play no part here.
WMISUB_API void subscription_graph::index_objects() {
    filters_.reserve(snapshot_->filters.size());
    consumers_.reserve(snapshot_->consumers.size());
    detail::local_key_builder keys;
    for (std::size_t i = 0; i < snapshot_->filters.size(); ++i) {
        const event_filter& f = snapshot_->filters[i];
        filters_.add(keys.build(f.namespace_path, f.class_name, f.name, f.namespace_path), i);
    }
    for (std::size_t i = 0; i < snapshot_->consumers.size(); ++i) {
        consumers_.add(consumer_key(snapshot_->consumers[i], keys), i);
    }
    filters_.finish();
    consumers_.finish();
}

// A standard consumer's one key is its Name; a custom class may have other or several keys.
WMISUB_API std::string_view subscription_graph::consumer_key(const wmisub::consumer& c,
                                                             detail::local_key_builder& keys) {
    if (std::holds_alternative<custom_consumer>(c)) return keys.keep(detail::local_identity_key(identity_of(c)));
    const consumer_header& h = header_of(c);
    return keys.build(h.namespace_path, h.class_name, h.name, h.namespace_path);
}

WMISUB_API void subscription_graph::join_binding(std::size_t b, reference_keys& keys, std::vector<bool>& filter_used,
                                                 std::vector<bool>& consumer_used) {
    const wmisub::binding& bind = snapshot_->bindings[b];
    std::string filter_why;
    std::string consumer_why;
    const auto fs =
        detail::resolve_reference(bind.filter, bind.namespace_path, filters_, keys.machine, keys.filter, filter_why);
    const auto cs = detail::resolve_reference(bind.consumer, bind.namespace_path, consumers_, keys.machine,
                                              keys.consumer, consumer_why);
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
    if (cs.empty() && consumer_why.ends_with("matches no object")) {
        const std::string cls = detail::reference_class(bind.consumer);
        if (!cls.empty() && !snapshot_->can_read_consumer_class(cls)) {
            base.consumer_unreadable = true;
            base.unresolved += " (the sources cannot read " + cls + " objects, so it may well exist)";
        }
    }
    emit_combinations(base, fs, cs);
}

// One entry per (filter, consumer) pair; an unresolved side contributes one empty slot.
// The last one takes `base` itself rather than a copy.
WMISUB_API void subscription_graph::emit_combinations(subscription& base, std::span<const std::size_t> fs,
                                                      std::span<const std::size_t> cs) {
    const std::size_t f_slots = fs.empty() ? 1 : fs.size();
    const std::size_t c_slots = cs.empty() ? 1 : cs.size();
    std::size_t emitted = 0;
    for (std::size_t i = 0; i < f_slots; ++i) {
        for (std::size_t j = 0; j < c_slots; ++j) {
            if (emitted == max_entries_per_binding) {
                truncated_ = true;
                return;
            }
            const bool last = i + 1 == f_slots && j + 1 == c_slots;
            subscription s;
            if (last) {
                s = std::move(base);
            } else {
                s = base;
            }
            if (!fs.empty()) s.filter = fs[i];
            if (!cs.empty()) s.consumer = cs[j];
            state_->entries.push_back(std::move(s));
            ++emitted;
        }
    }
}

// Timer instructions by folded TimerId, so linking is linear in the snapshot.
WMISUB_API void subscription_graph::index_timers() {
    timers_.reserve(snapshot_->timers.size());
    for (std::size_t t = 0; t < snapshot_->timers.size(); ++t) {
        timers_.emplace_back(fold_case(snapshot_->timers[t].timer_id), t);
    }
    std::stable_sort(timers_.begin(), timers_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}

// A `__TimerEvent` filter fires only through the timer instruction with its TimerId.
// Instructions in the namespace the events come from are preferred; others are
// linked only when none is there, since timer events are namespace-local.
WMISUB_API void subscription_graph::link_timers(subscription& s) const {
    if (!s.filter || timers_.empty()) return;
    const event_filter& f = snapshot_->filters[*s.filter];
    const auto& analysis = *state_->analyses[state_->filter_query[*s.filter]];
    if (!analysis || analysis->trigger.kind != trigger_kind::interval_timer || analysis->trigger.timer_id.empty()) return;
    const std::string id = fold_case(analysis->trigger.timer_id);
    auto same_id = std::lower_bound(timers_.begin(), timers_.end(), id,
                                    [](const auto& entry, const std::string& key) { return entry.first < key; });
    if (same_id == timers_.end() || same_id->first != id) return;
    const std::string event_ns = detail::normalize_namespace(
        f.event_namespace && !f.event_namespace->empty() ? *f.event_namespace : f.namespace_path);
    std::vector<std::size_t> elsewhere;
    for (; same_id != timers_.end() && same_id->first == id; ++same_id) {
        const std::size_t t = same_id->second;
        if (iequals(detail::normalize_namespace(snapshot_->timers[t].namespace_path), event_ns)) {
            s.timers.push_back(t);
        } else {
            elsewhere.push_back(t);
        }
    }
    if (s.timers.empty()) s.timers = std::move(elsewhere);
}

WMISUB_NAMESPACE_END
