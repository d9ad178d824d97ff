// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Content fingerprints, baselines of approved objects, and field-level diffs.
//
// A fingerprint is the SHA-256 of an object's canonical form
// (detail/baseline_canonical.hpp): what the object does, not where it was read
// or how it was spelled. Provenance, property order, the case of property
// names, NULL versus absent, integer widths, system properties (`__PATH`,
// `__SERVER`) and respellings of the query, namespaces and object paths do not
// change it. CreatorSID does: a changed creator is a change worth reporting.
// Allow-lists key on fingerprints, never on names an attacker can copy.
//
// A baseline holds the approved objects with their identity (namespace, class,
// key properties, compared as WMI does), fingerprint and full properties. diff()
// matches a snapshot against it by identity and reports objects added, removed
// and modified (every changed field, old and new, typed and as text), and
// bindings re-pointed ("filter X now bound to consumer Y instead of Z"), in a
// stable order. Nothing here needs nlohmann/json; wmisub/json.hpp reads and
// writes baselines and diffs.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/detail/baseline_canonical.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/model.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/result.hpp"
#include "wmisub/sid.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// ---------------------------------------------------------------------------
// Objects of any kind
// ---------------------------------------------------------------------------

// What a subscription object is. Names are stable (JSON uses them).
// (GCC's -Wshadow mistakes the scoped enumerator `consumer` for a redeclaration of the type.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
enum class object_kind : std::uint8_t { filter, consumer, binding, timer, instance };
// Which end of a re-pointed binding stayed the same.
enum class rebinding_anchor : std::uint8_t { filter, consumer };
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// "filter", "consumer", "binding", "timer", "instance".
[[nodiscard]] constexpr std::string_view to_string(object_kind k) noexcept {
    switch (k) {
    case object_kind::filter: return "filter";
    case object_kind::consumer: return "consumer";
    case object_kind::binding: return "binding";
    case object_kind::timer: return "timer";
    case object_kind::instance: return "instance";
    }
    return "instance";
}

// The kind named by a stable name; nullopt for anything else.
[[nodiscard]] constexpr std::optional<object_kind> object_kind_from_string(std::string_view name) noexcept {
    for (const object_kind k : {object_kind::filter, object_kind::consumer, object_kind::binding, object_kind::timer,
                                object_kind::instance}) {
        if (name == to_string(k)) return k;
    }
    return std::nullopt;
}

// The kind of a typed object.
[[nodiscard]] inline object_kind kind_of(const wmi_object& o) noexcept {
    switch (o.index()) {
    case 0: return object_kind::filter;
    case 1: return object_kind::consumer;
    case 2: return object_kind::binding;
    case 3: return object_kind::timer;
    default: return object_kind::instance;
    }
}

// The namespace an object was found in.
[[nodiscard]] inline const std::string& namespace_of(const wmi_object& o) noexcept {
    return std::visit(
        [](const auto& typed) -> const std::string& {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, consumer>) return header_of(typed).namespace_path;
            else return typed.namespace_path;
        },
        o);
}

// The class of an object as the source spelled it.
[[nodiscard]] inline const std::string& class_name_of(const wmi_object& o) noexcept {
    return std::visit(
        [](const auto& typed) -> const std::string& {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, consumer>) return header_of(typed).class_name;
            else return typed.class_name;
        },
        o);
}

// Where an object was found.
[[nodiscard]] inline const provenance& origin_of(const wmi_object& o) noexcept {
    return std::visit(
        [](const auto& typed) -> const provenance& {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, consumer>) return header_of(typed).origin;
            else return typed.origin;
        },
        o);
}

// The properties of a generic instance (the counterpart of properties_of for typed objects).
[[nodiscard]] inline std::vector<property> properties_of(const instance& in) { return in.properties; }

// The properties of any object as WMI spells them.
[[nodiscard]] inline std::vector<property> properties_of(const wmi_object& o) {
    return std::visit(
        [](const auto& typed) -> std::vector<property> {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, instance>) return typed.properties;
            else if constexpr (std::is_same_v<T, consumer>) return properties_of(typed);
            else return properties_of<T>(typed);
        },
        o);
}

// The key property names of an instance: its known keys, else `Name` when it has one.
[[nodiscard]] inline std::vector<std::string> key_names_of(const instance& in) {
    if (!in.key_names.empty()) return in.key_names;
    if (in.get("Name") != nullptr) return {"Name"};
    return {};
}

// The key property names of any object.
[[nodiscard]] inline std::vector<std::string> key_names_of(const wmi_object& o) {
    switch (kind_of(o)) {
    case object_kind::filter: return {"Name"};
    case object_kind::consumer: return key_names_of(std::get<consumer>(o));
    case object_kind::binding: return {"Filter", "Consumer"};
    case object_kind::timer: return {"TimerId"};
    case object_kind::instance: return key_names_of(std::get<instance>(o));
    }
    return {};
}

// The identity of a generic instance: namespace, class and key properties
// (known keys, else `Name`); no keys when it has neither.
[[nodiscard]] inline object_path identity_of(const instance& in) {
    object_path p;
    p.namespace_path = in.namespace_path;
    p.class_name = in.class_name;
    for (const std::string& key : key_names_of(in)) {
        const value* v = in.get(key);
        path_key k;
        k.name = key;
        if (v == nullptr) {
            k.value = {};
        } else if (const std::string* s = v->as_string()) {
            k.value = *s;
        } else if (const auto b = v->as_bool()) {
            k.kind = key_value_kind::boolean;
            k.value = *b ? "TRUE" : "FALSE";
        } else if (const auto i = v->as_int(); i && is_integer(v->type())) {
            k.kind = key_value_kind::integer;
            k.value = std::to_string(*i);
        } else if (const auto u = v->as_uint(); u && is_integer(v->type())) {
            k.kind = key_value_kind::integer;
            k.value = std::to_string(*u);
        } else {
            k.value = to_display(*v);
        }
        p.keys.push_back(std::move(k));
    }
    return p;
}

// The identity of any object as an object path.
[[nodiscard]] inline object_path identity_of(const wmi_object& o) {
    return std::visit(
        [](const auto& typed) -> object_path { return identity_of(typed); }, o);
}

// ---------------------------------------------------------------------------
// Fingerprints
// ---------------------------------------------------------------------------

// The version of the canonical form; a new version means new fingerprints.
inline constexpr int fingerprint_version = 1;

// The canonical form of an object (see the header comment): the text its fingerprint hashes.
[[nodiscard]] inline std::string canonical_form(const wmi_object& o) {
    return detail::canonical_object(to_string(kind_of(o)), namespace_of(o), class_name_of(o), properties_of(o),
                                    key_names_of(o));
}

// The content fingerprint of an object: lower-case hex SHA-256 of its canonical form.
[[nodiscard]] inline std::string fingerprint(const wmi_object& o) { return sha256_hex(canonical_form(o)); }

// Fingerprints of the typed objects, for callers that hold one.
[[nodiscard]] inline std::string fingerprint(const event_filter& f) { return fingerprint(wmi_object{f}); }
[[nodiscard]] inline std::string fingerprint(const consumer& c) { return fingerprint(wmi_object{c}); }
[[nodiscard]] inline std::string fingerprint(const binding& b) { return fingerprint(wmi_object{b}); }
[[nodiscard]] inline std::string fingerprint(const timer_instruction& t) { return fingerprint(wmi_object{t}); }
[[nodiscard]] inline std::string fingerprint(const instance& in) { return fingerprint(wmi_object{in}); }

// The canonical identity of an object, the key baselines and diffs match on:
// compared as WMI compares (case, key order, path spellings, local server).
// An instance without key properties is identified by its content.
[[nodiscard]] inline std::string identity_key_of(const wmi_object& o) {
    const object_path path = identity_of(o);
    std::string key = detail::local_identity_key(path);
    if (path.keys.empty()) key += "#" + fingerprint(o);
    return key;
}

// ---------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------

// One approved object.
struct baseline_entry {
    object_kind kind = object_kind::instance;
    std::string identity;      // the identity as an object path, for people: `root\subscription:__EventFilter.Name="x"`
    std::string identity_key;  // the canonical identity diffs match on
    std::string fingerprint;   // content fingerprint
    wmi_object object;         // the object itself, properties and provenance included

    // Builds an entry for an object, computing its identity and fingerprint.
    [[nodiscard]] static baseline_entry of(wmi_object o) {
        baseline_entry e;
        e.kind = kind_of(o);
        e.identity = to_string(identity_of(o));
        e.identity_key = identity_key_of(o);
        e.fingerprint = wmisub::fingerprint(o);
        e.object = std::move(o);
        return e;
    }
};

namespace detail {

[[nodiscard]] inline bool baseline_entry_less(const baseline_entry& a, const baseline_entry& b) noexcept {
    return std::tie(a.kind, a.identity_key, a.fingerprint) < std::tie(b.kind, b.identity_key, b.fingerprint);
}

// collect_options::wants_namespace, for the analysis layer.
[[nodiscard]] inline bool namespace_wanted(std::string_view ns, const std::vector<std::string>& wanted_list,
                                           bool recursive) {
    if (wanted_list.empty()) return true;
    const std::string have = canonical_namespace(ns);
    for (const std::string& wanted : wanted_list) {
        const std::string want = canonical_namespace(wanted);
        if (have == want) return true;
        if (recursive && have.size() > want.size() && have[want.size()] == '\\' && have.starts_with(want)) return true;
    }
    return false;
}

}  // namespace detail

// Approved objects and when, where and by what they were approved. An empty
// baseline (no entries) is valid and distinct from a baseline that could not
// be read, which is an error.
struct baseline {
    std::string host;                        // machine the approved state came from, when known
    std::optional<timestamp> created;        // when the baseline was made
    std::string tool_version = WMISUB_VERSION_STRING;  // wmisub version that made it
    std::string comment;                     // free text (ticket, who approved)
    std::vector<baseline_entry> entries;     // sorted by kind, identity key, fingerprint

    [[nodiscard]] bool empty() const noexcept { return entries.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return entries.size(); }

    // The first entry with this identity key, or nullptr.
    [[nodiscard]] const baseline_entry* find(std::string_view identity_key) const noexcept {
        const auto it = std::find_if(entries.begin(), entries.end(),
                                     [&](const baseline_entry& e) { return e.identity_key == identity_key; });
        return it != entries.end() ? &*it : nullptr;
    }

    // True when some approved object has exactly this content.
    [[nodiscard]] bool approves(std::string_view fingerprint_hex) const noexcept {
        return std::any_of(entries.begin(), entries.end(),
                           [&](const baseline_entry& e) { return e.fingerprint == fingerprint_hex; });
    }

    // Approves an object. The same identity with the same content is kept
    // once; the same identity with other content is kept too (two sources
    // disagreeing are both approved). Returns false when it was already there.
    bool add(wmi_object o) {
        baseline_entry e = baseline_entry::of(std::move(o));
        const auto at = std::lower_bound(entries.begin(), entries.end(), e, detail::baseline_entry_less);
        if (at != entries.end() && at->kind == e.kind && at->identity_key == e.identity_key &&
            at->fingerprint == e.fingerprint) {
            return false;
        }
        entries.insert(at, std::move(e));
        return true;
    }

    // Restores the canonical order after entries were edited directly.
    void sort() { std::sort(entries.begin(), entries.end(), detail::baseline_entry_less); }
};

// How make_baseline builds a baseline.
struct baseline_options {
    std::optional<timestamp> created;   // default: now
    std::string comment;
    bool include_other_objects = true;  // also approve the snapshot's other instances (provider registrations, ...)
};

// Approves everything a snapshot holds. The snapshot's errors are not part of
// a baseline: check them first, as a baseline of a partial collection reports
// the missing objects as added later.
[[nodiscard]] inline baseline make_baseline(const snapshot& snap, const baseline_options& options = {}) {
    baseline out;
    out.host = snap.host;
    out.created = options.created ? options.created
                                  : std::optional<timestamp>(std::chrono::time_point_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now()));
    out.comment = options.comment;
    std::vector<baseline_entry> entries;
    entries.reserve(snap.object_count() + (options.include_other_objects ? snap.other_objects.size() : 0));
    for (const event_filter& f : snap.filters) entries.push_back(baseline_entry::of(f));
    for (const consumer& c : snap.consumers) entries.push_back(baseline_entry::of(c));
    for (const binding& b : snap.bindings) entries.push_back(baseline_entry::of(b));
    for (const timer_instruction& t : snap.timers) entries.push_back(baseline_entry::of(t));
    if (options.include_other_objects) {
        for (const instance& in : snap.other_objects) entries.push_back(baseline_entry::of(in));
    }
    std::stable_sort(entries.begin(), entries.end(), detail::baseline_entry_less);
    for (baseline_entry& e : entries) {
        if (!out.entries.empty() && out.entries.back().kind == e.kind && out.entries.back().identity_key == e.identity_key &&
            out.entries.back().fingerprint == e.fingerprint) {
            continue;
        }
        out.entries.push_back(std::move(e));
    }
    return out;
}

// ---------------------------------------------------------------------------
// Diffs
// ---------------------------------------------------------------------------

// One changed property of a modified object. Absent and NULL are the same.
struct field_change {
    std::string field;                // WMI property name (as the new object spells it, else the old one)
    std::optional<value> old_value;   // nullopt: absent before
    std::optional<value> new_value;   // nullopt: absent now
    std::string old_text;             // for people: strings as they are, CreatorSID as `S-1-…`, "" when absent
    std::string new_text;
};

// An object present on one side only.
struct diff_object {
    object_kind kind = object_kind::instance;
    std::string identity;
    std::string identity_key;
    std::string fingerprint;
    wmi_object object;
};

// An object with the same identity on both sides and different content.
struct modified_object {
    object_kind kind = object_kind::instance;
    std::string identity;
    std::string identity_key;
    std::string old_fingerprint;
    std::string new_fingerprint;
    wmi_object old_object;
    wmi_object new_object;
    std::vector<field_change> changes;  // sorted by folded field name
};

// "filter" or "consumer".
[[nodiscard]] constexpr std::string_view to_string(rebinding_anchor a) noexcept {
    return a == rebinding_anchor::filter ? "filter" : "consumer";
}

// A binding removed and another added that share one end: the filter now
// triggers another consumer (anchor filter), or the consumer is now triggered
// by another filter (anchor consumer). Both bindings also appear in
// added/removed.
struct rebinding {
    rebinding_anchor anchor = rebinding_anchor::filter;
    std::string namespace_path;  // of the bindings
    std::string anchor_path;     // the filter (or consumer) that stayed, as the binding spells it
    std::string old_peer;        // what it was bound to
    std::string new_peer;        // what it is bound to now
    std::string old_binding;     // identity of the removed binding
    std::string new_binding;     // identity of the added binding
    std::string description;     // `filter "X" now bound to consumer CommandLineEventConsumer "Y" instead of … "Z"`
};

// What to compare.
struct diff_options {
    // Namespaces compared (and their children when recursive); empty: all. Use
    // the namespaces the snapshot was collected from, or every baseline object
    // outside them is reported removed.
    std::vector<std::string> namespaces;
    bool recursive = true;
    // Also compare instances of other classes (provider registrations, ...).
    bool include_other_objects = true;
};

// The result of diff(): every difference, in a stable order (kind, then identity).
struct baseline_diff {
    std::vector<diff_object> added;
    std::vector<diff_object> removed;
    std::vector<modified_object> modified;
    std::vector<rebinding> rebindings;
    std::size_t unchanged = 0;

    // The two sides, for reports.
    std::string baseline_host;
    std::optional<timestamp> baseline_created;
    std::string snapshot_host;
    std::optional<timestamp> snapshot_collected_at;

    // The snapshot's collection errors: an object reported removed may be one
    // that could not be read.
    std::vector<collection_error> errors;

    // True when anything was added, removed or modified.
    [[nodiscard]] bool has_changes() const noexcept { return !added.empty() || !removed.empty() || !modified.empty(); }
};

namespace detail {

// Most approved variants of one identity a modified object is compared with.
inline constexpr std::size_t max_diff_candidates = 16;

// A value as text for people: strings as they are, datetimes as DMTF, CreatorSID as a SID.
[[nodiscard]] inline std::string diff_display(std::string_view name, const value& v) {
    if (iequals(name, "CreatorSID")) {
        if (auto bytes = v.as_bytes()) {
            if (auto sid = format_sid(*bytes)) return *sid;
        }
    }
    if (const dmtf_datetime* d = v.as_datetime()) return to_string(*d);
    return to_display(v);
}

// Every field whose canonical value differs between two objects of one identity.
[[nodiscard]] inline std::vector<field_change> field_changes(const wmi_object& before, const wmi_object& after) {
    struct side {
        const property* p = nullptr;
        std::string canonical;
    };
    std::map<std::string, std::pair<side, side>> fields;
    const std::vector<property> old_props = properties_of(before);
    const std::vector<property> new_props = properties_of(after);
    const std::vector<std::string> old_keys = key_names_of(before);
    const std::vector<std::string> new_keys = key_names_of(after);
    auto collect = [&fields](const std::vector<property>& props, const wmi_object& o,
                             const std::vector<std::string>& keys, bool is_new) {
        for (const property& p : props) {
            if (is_system_property(p.name)) continue;
            if (p.value.is_null() && !p.value.is_array()) continue;
            side& s = is_new ? fields[fold_case(p.name)].second : fields[fold_case(p.name)].first;
            if (s.p != nullptr) continue;  // a repeated name: the first one counts, as find_property does
            s.p = &p;
            s.canonical = canonical_property(class_name_of(o), namespace_of(o), p.name, p.value, keys);
        }
    };
    collect(old_props, before, old_keys, false);
    collect(new_props, after, new_keys, true);
    std::vector<field_change> out;
    for (const auto& [folded, sides] : fields) {
        const auto& [old_side, new_side] = sides;
        if (old_side.p != nullptr && new_side.p != nullptr && old_side.canonical == new_side.canonical) continue;
        field_change change;
        change.field = new_side.p != nullptr ? new_side.p->name : old_side.p->name;
        if (old_side.p != nullptr) {
            change.old_value = old_side.p->value;
            change.old_text = diff_display(old_side.p->name, old_side.p->value);
        }
        if (new_side.p != nullptr) {
            change.new_value = new_side.p->value;
            change.new_text = diff_display(new_side.p->name, new_side.p->value);
        }
        out.push_back(std::move(change));
    }
    return out;
}

[[nodiscard]] inline diff_object to_diff_object(const baseline_entry& e) {
    return diff_object{e.kind, e.identity, e.identity_key, e.fingerprint, e.object};
}

// A reference for people: `filter "X"`, `consumer CommandLineEventConsumer "Y"`, else the path text.
// Without the role word when `with_role` is false ("… instead of CommandLineEventConsumer "Z"").
[[nodiscard]] inline std::string describe_reference(std::string_view role, std::string_view text, bool with_role = true) {
    auto parsed = parse_object_path(text);
    std::string out;
    if (with_role) {
        out += role;
        out += ' ';
    }
    if (parsed && parsed->keys.size() == 1) {
        if (!(role == "filter" && iequals(parsed->class_name, class_names::event_filter))) {
            out += parsed->class_name;
            out += ' ';
        }
        out += '"';
        out += parsed->keys.front().value;
        out += '"';
        return out;
    }
    out += text;
    return out;
}

// Pairs removed and added bindings that share one end into rebindings.
[[nodiscard]] inline std::vector<rebinding> find_rebindings(const std::vector<diff_object>& removed,
                                                            const std::vector<diff_object>& added) {
    struct end {
        std::size_t index;
        std::string filter_key;
        std::string consumer_key;
        const binding* b;
    };
    auto ends_of = [](const std::vector<diff_object>& list) {
        std::vector<end> out;
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (list[i].kind != object_kind::binding) continue;
            const auto* b = std::get_if<binding>(&list[i].object);
            if (b == nullptr) continue;
            out.push_back({i, canonical_reference(b->filter, b->namespace_path),
                           canonical_reference(b->consumer, b->namespace_path), b});
        }
        return out;
    };
    const std::vector<end> gone = ends_of(removed);
    const std::vector<end> came = ends_of(added);
    std::vector<bool> gone_used(gone.size(), false);
    std::vector<bool> came_used(came.size(), false);
    std::vector<rebinding> out;
    auto pair_on = [&](rebinding_anchor anchor) {
        // anchor key -> indices, both sides; std::map keeps the order stable.
        std::map<std::string, std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> groups;
        for (std::size_t i = 0; i < gone.size(); ++i) {
            if (gone_used[i]) continue;
            groups[anchor == rebinding_anchor::filter ? gone[i].filter_key : gone[i].consumer_key].first.push_back(i);
        }
        for (std::size_t i = 0; i < came.size(); ++i) {
            if (came_used[i]) continue;
            groups[anchor == rebinding_anchor::filter ? came[i].filter_key : came[i].consumer_key].second.push_back(i);
        }
        for (auto& [key, sides] : groups) {
            auto& [olds, news] = sides;
            const auto peer_key = [&](const end& e) {
                return anchor == rebinding_anchor::filter ? e.consumer_key : e.filter_key;
            };
            std::sort(olds.begin(), olds.end(), [&](std::size_t a, std::size_t b) { return peer_key(gone[a]) < peer_key(gone[b]); });
            std::sort(news.begin(), news.end(), [&](std::size_t a, std::size_t b) { return peer_key(came[a]) < peer_key(came[b]); });
            const std::size_t pairs = std::min(olds.size(), news.size());
            for (std::size_t i = 0; i < pairs; ++i) {
                const end& o = gone[olds[i]];
                const end& n = came[news[i]];
                gone_used[olds[i]] = true;
                came_used[news[i]] = true;
                rebinding r;
                r.anchor = anchor;
                r.namespace_path = n.b->namespace_path;
                const bool by_filter = anchor == rebinding_anchor::filter;
                r.anchor_path = by_filter ? n.b->filter : n.b->consumer;
                r.old_peer = by_filter ? o.b->consumer : o.b->filter;
                r.new_peer = by_filter ? n.b->consumer : n.b->filter;
                r.old_binding = removed[o.index].identity;
                r.new_binding = added[n.index].identity;
                const std::string_view anchor_role = by_filter ? "filter" : "consumer";
                const std::string_view peer_role = by_filter ? "consumer" : "filter";
                r.description = describe_reference(anchor_role, r.anchor_path) + " now bound to " +
                                describe_reference(peer_role, r.new_peer) + " instead of " +
                                describe_reference(peer_role, r.old_peer, false);
                out.push_back(std::move(r));
            }
        }
    };
    pair_on(rebinding_anchor::filter);
    pair_on(rebinding_anchor::consumer);
    return out;
}

[[nodiscard]] inline bool diff_object_less(const diff_object& a, const diff_object& b) noexcept {
    return std::tie(a.kind, a.identity_key, a.fingerprint) < std::tie(b.kind, b.identity_key, b.fingerprint);
}

// The diff of two entry lists (old approved, new observed).
[[nodiscard]] inline baseline_diff diff_entries(const std::vector<const baseline_entry*>& before,
                                                const std::vector<const baseline_entry*>& after) {
    baseline_diff out;
    std::map<std::pair<object_kind, std::string>, std::pair<std::vector<const baseline_entry*>, std::vector<const baseline_entry*>>>
        groups;
    for (const baseline_entry* e : before) groups[{e->kind, e->identity_key}].first.push_back(e);
    for (const baseline_entry* e : after) groups[{e->kind, e->identity_key}].second.push_back(e);
    for (auto& [key, sides] : groups) {
        auto& [olds, news] = sides;
        if (news.empty()) {
            for (const baseline_entry* e : olds) out.removed.push_back(to_diff_object(*e));
            continue;
        }
        if (olds.empty()) {
            for (const baseline_entry* e : news) out.added.push_back(to_diff_object(*e));
            continue;
        }
        std::set<std::string_view> approved;
        for (const baseline_entry* e : olds) approved.insert(e->fingerprint);
        std::set<std::string_view> seen;
        for (const baseline_entry* e : news) seen.insert(e->fingerprint);
        for (const baseline_entry* now : news) {
            if (approved.count(now->fingerprint) != 0) {
                ++out.unchanged;
                continue;
            }
            // Compare with the approved variant that changed least, preferring one no longer present.
            // Only the first few variants are compared: a hostile snapshot could repeat one identity
            // thousands of times with different content.
            const baseline_entry* best = nullptr;
            std::vector<field_change> best_changes;
            bool best_absent = false;
            std::size_t compared = 0;
            for (const baseline_entry* was : olds) {
                if (compared++ == max_diff_candidates) break;
                std::vector<field_change> changes = field_changes(was->object, now->object);
                const bool absent = seen.count(was->fingerprint) == 0;
                if (best == nullptr || (absent && !best_absent) ||
                    (absent == best_absent && changes.size() < best_changes.size())) {
                    best = was;
                    best_changes = std::move(changes);
                    best_absent = absent;
                }
            }
            modified_object m;
            m.kind = now->kind;
            m.identity = now->identity;
            m.identity_key = now->identity_key;
            m.old_fingerprint = best->fingerprint;
            m.new_fingerprint = now->fingerprint;
            m.old_object = best->object;
            m.new_object = now->object;
            m.changes = std::move(best_changes);
            out.modified.push_back(std::move(m));
        }
    }
    std::sort(out.added.begin(), out.added.end(), diff_object_less);
    std::sort(out.removed.begin(), out.removed.end(), diff_object_less);
    std::sort(out.modified.begin(), out.modified.end(), [](const modified_object& a, const modified_object& b) {
        return std::tie(a.kind, a.identity_key, a.new_fingerprint) < std::tie(b.kind, b.identity_key, b.new_fingerprint);
    });
    out.rebindings = find_rebindings(out.removed, out.added);
    return out;
}

[[nodiscard]] inline std::vector<const baseline_entry*> diff_scope(const std::vector<baseline_entry>& entries,
                                                                   const diff_options& options) {
    std::vector<const baseline_entry*> out;
    out.reserve(entries.size());
    for (const baseline_entry& e : entries) {
        if (!options.include_other_objects && e.kind == object_kind::instance) continue;
        if (!namespace_wanted(namespace_of(e.object), options.namespaces, options.recursive)) continue;
        out.push_back(&e);
    }
    return out;
}

}  // namespace detail

// Compares two baselines (an approved state with another host's, or an older one).
[[nodiscard]] inline baseline_diff diff(const baseline& before, const baseline& after, const diff_options& options = {}) {
    baseline_diff out = detail::diff_entries(detail::diff_scope(before.entries, options),
                                             detail::diff_scope(after.entries, options));
    out.baseline_host = before.host;
    out.baseline_created = before.created;
    out.snapshot_host = after.host;
    out.snapshot_collected_at = after.created;
    return out;
}

// Compares a snapshot with a baseline: what was added, removed and modified
// since the baseline was approved, field by field, and re-pointed bindings.
[[nodiscard]] inline baseline_diff diff(const baseline& approved, const snapshot& observed,
                                        const diff_options& options = {}) {
    baseline_options as_observed;
    as_observed.created = observed.collected_at.value_or(timestamp{});
    as_observed.include_other_objects = options.include_other_objects;
    const baseline now = make_baseline(observed, as_observed);
    baseline_diff out = diff(approved, now, options);
    out.snapshot_collected_at = observed.collected_at;
    out.errors = observed.errors;
    return out;
}

WMISUB_NAMESPACE_END
