// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/baseline.hpp: the canonical form, fingerprints,
// baselines and diffs. Included by baseline.hpp only under
// WMISUB_INCLUDE_IMPLEMENTATION; not a header to include.
#pragma once

#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/impl/identity_keys.inl"
#include "wmisub/model.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/sid.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"
#include "wmisub/wql/query.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// ---------------------------------------------------------------------------
// The canonical form
// ---------------------------------------------------------------------------

// The canonical form content fingerprints are computed over, and the value
// comparison field-level diffs use. Both ignore what does not change what an
// object does: property order, the case of property names, NULL versus absent,
// integer widths, the spelling of the query (WQL canonical form), of namespaces
// and of object paths, and the case of values WMI itself compares without case
// (key values, QueryLanguage, ScriptingEngine). System properties (`__PATH`,
// `__SERVER`, ...) and provenance are volatile and left out. Everything else,
// CreatorSID included, is content: a changed creator is a change.
namespace detail {

// How a property's value is canonicalised, decided by its name and class.
enum class canonical_rule : std::uint8_t {
    exact,      // the value as it is (strings case-sensitive)
    folded,     // a string WMI compares without case (keys, QueryLanguage, ScriptingEngine)
    query,      // a WQL query: its canonical form, or the raw text when it does not parse
    name_space, // a namespace: separators and case normalised
    reference,  // an object path: compared as WMI identities
};

// A namespace as compared: backslashes, no server, no leading/trailing separators, folded.
[[nodiscard]] inline std::string canonical_namespace(std::string_view ns) { return fold_case(normalize_namespace(ns)); }

// An object path as compared; relative paths resolved against `base_namespace`.
// Text that does not parse is kept (folded), marked so it never equals a path.
[[nodiscard]] inline std::string canonical_reference(std::string_view text, std::string_view base_namespace) {
    auto parsed = parse_object_path(text);
    if (!parsed) return "raw:" + fold_case(text);
    object_path path = std::move(*parsed);
    if (path.is_relative()) path.namespace_path = std::string(base_namespace);
    if (path.is_local()) return "path:" + local_identity_key(std::move(path));
    path.namespace_path = normalize_namespace(path.namespace_path);
    return "path:" + identity_key(path);
}

// A WQL query as compared: its canonical form, or the exact text when it does not parse.
[[nodiscard]] inline std::string canonical_query(std::string_view text) {
    auto canonical = canonical_wql(text);
    if (canonical) return "wql:" + *canonical;
    return "text:" + std::string(text);
}

inline void append_length_prefixed(std::string& out, std::string_view s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
}

// Appends the canonical encoding of a value: self-delimiting, integer widths
// ignored, reals by their bits (portable across C libraries).
inline void append_canonical_value(std::string& out, const value& v, canonical_rule rule, std::string_view ns,
                                   std::size_t depth) {
    if (const value::array_type* items = v.as_array()) {
        out += 'a';
        out += std::to_string(items->size());
        out += '[';
        for (const value& item : *items) {
            append_canonical_value(out, item, rule, ns, depth + 1);
            out += ',';
        }
        out += ']';
        return;
    }
    if (v.is_null()) {
        out += 'n';
        return;
    }
    if (const auto b = v.as_bool()) {
        out += *b ? "b1" : "b0";
        return;
    }
    if (const dmtf_datetime* d = v.as_datetime()) {
        out += 'd';
        out += to_string(*d);
        return;
    }
    if (const embedded_object* o = v.as_object()) {
        if (depth >= static_cast<std::size_t>(WMISUB_MAX_NESTING)) {
            out += "o-deep";
            return;
        }
        out += 'o';
        append_length_prefixed(out, fold_case(o->class_name));
        std::vector<std::pair<std::string, std::string>> members;
        for (const property& p : o->properties) {
            if (p.value.is_null() && !p.value.is_array()) continue;
            std::string encoded;
            append_canonical_value(encoded, p.value, canonical_rule::exact, ns, depth + 1);
            members.emplace_back(fold_case(p.name), std::move(encoded));
        }
        std::sort(members.begin(), members.end());
        out += '{';
        for (const auto& [name, encoded] : members) {
            append_length_prefixed(out, name);
            out += '=';
            out += encoded;
            out += ';';
        }
        out += '}';
        return;
    }
    if (const std::string* s = v.as_string()) {
        if (v.type() == cim_type::reference || rule == canonical_rule::reference) {
            out += 'p';
            append_length_prefixed(out, canonical_reference(*s, ns));
            return;
        }
        switch (rule) {
        case canonical_rule::folded:
            out += 's';
            append_length_prefixed(out, fold_case(*s));
            return;
        case canonical_rule::query:
            out += 'q';
            append_length_prefixed(out, canonical_query(*s));
            return;
        case canonical_rule::name_space:
            out += 's';
            append_length_prefixed(out, canonical_namespace(*s));
            return;
        case canonical_rule::exact:
        case canonical_rule::reference:
        default:
            out += 's';
            append_length_prefixed(out, *s);
            return;
        }
    }
    const cim_type t = v.type();
    if (t == cim_type::real32 || t == cim_type::real64) {
        const double d = v.as_real().value_or(0.0);
        if (std::isnan(d)) {
            out += "rnan";
            return;
        }
        const auto bits = std::bit_cast<std::uint64_t>(d);
        constexpr std::string_view hex = "0123456789abcdef";
        out += 'r';
        for (int shift = 60; shift >= 0; shift -= 4) out += hex[(bits >> static_cast<unsigned>(shift)) & 0xFu];
        return;
    }
    if (t == cim_type::char16) {
        out += 'c';
        out += std::to_string(v.as_uint().value_or(0));
        return;
    }
    if (const auto i = v.as_int(); i && *i < 0) {
        out += 'i';
        out += std::to_string(*i);
        return;
    }
    if (const auto u = v.as_uint()) {
        out += 'i';
        out += std::to_string(*u);
        return;
    }
    out += '?';
}

// The rule for a property of a class: key values and WMI-compared strings fold,
// queries and namespaces normalise, binding references compare as paths.
[[nodiscard]] inline canonical_rule canonical_rule_for(std::string_view class_name, std::string_view property_name,
                                                       const std::vector<std::string>& key_names) {
    for (const std::string& key : key_names) {
        if (iequals(key, property_name)) {
            return iequals(class_name, class_names::binding) ? canonical_rule::reference : canonical_rule::folded;
        }
    }
    if (iequals(class_name, class_names::event_filter)) {
        if (iequals(property_name, "Query")) return canonical_rule::query;
        if (iequals(property_name, "QueryLanguage")) return canonical_rule::folded;
        if (iequals(property_name, "EventNamespace")) return canonical_rule::name_space;
    }
    if (iequals(property_name, "ScriptingEngine") && iequals(class_name, class_names::active_script)) {
        return canonical_rule::folded;
    }
    if (iequals(class_name, class_names::binding) &&
        (iequals(property_name, "Filter") || iequals(property_name, "Consumer"))) {
        return canonical_rule::reference;
    }
    return canonical_rule::exact;
}

// System properties (`__PATH`, `__SERVER`, `__GENUS`, ...) describe where an
// object was read, not what it does.
[[nodiscard]] inline bool is_system_property(std::string_view name) noexcept { return name.starts_with("__"); }

// The canonical encoding of one property value in its class and namespace.
[[nodiscard]] inline std::string canonical_property(std::string_view class_name, std::string_view ns,
                                                    std::string_view name, const value& v,
                                                    const std::vector<std::string>& key_names) {
    std::string out;
    append_canonical_value(out, v, canonical_rule_for(class_name, name, key_names), ns, 0);
    return out;
}

// The whole canonical form of an object given its parts. `kind` is the stable
// kind name ("filter", "consumer", ...). Properties are sorted by folded name;
// NULLs and system properties are left out.
[[nodiscard]] inline std::string canonical_object(std::string_view kind, std::string_view ns,
                                                  std::string_view class_name, const std::vector<property>& props,
                                                  const std::vector<std::string>& key_names) {
    std::vector<std::pair<std::string, std::string>> members;
    members.reserve(props.size());
    for (const property& p : props) {
        if (is_system_property(p.name)) continue;
        if (p.value.is_null() && !p.value.is_array()) continue;
        members.emplace_back(fold_case(p.name), canonical_property(class_name, ns, p.name, p.value, key_names));
    }
    std::sort(members.begin(), members.end());
    std::string out = "wmisub.fingerprint/1\n";
    out += "kind:";
    out += kind;
    out += "\nnamespace:";
    append_length_prefixed(out, canonical_namespace(ns));
    out += "\nclass:";
    append_length_prefixed(out, fold_case(class_name));
    out += '\n';
    for (const auto& [name, encoded] : members) {
        append_length_prefixed(out, name);
        out += '=';
        out += encoded;
        out += '\n';
    }
    return out;
}

// The fingerprint of the canonical form canonical_object() builds, hashed piece by
// piece instead of built whole: every object of every snapshot is fingerprinted,
// and a script consumer's canonical form is as large as its script. Members are
// sorted as canonical_object sorts them (by folded name, then by encoding).
[[nodiscard]] inline std::string canonical_object_fingerprint(std::string_view kind, std::string_view ns,
                                                              std::string_view class_name,
                                                              const std::vector<property>& props,
                                                              const std::vector<std::string>& key_names) {
    // A member's folded name: an ASCII name (nearly all) is folded byte by byte where it is
    // compared and written; only another one is folded into a string of its own.
    struct member {
        std::string_view name;
        std::string folded;  // fold_case(name) when the name is not ASCII
        std::size_t index;
        [[nodiscard]] bool ascii() const noexcept { return folded.empty(); }
    };
    const auto name_less = [](const member& a, const member& b) {
        if (a.ascii() && b.ascii()) {
            return std::lexicographical_compare(a.name.begin(), a.name.end(), b.name.begin(), b.name.end(),
                                                [](char x, char y) { return ascii_lower(x) < ascii_lower(y); });
        }
        return (a.ascii() ? fold_case(a.name) : a.folded) < (b.ascii() ? fold_case(b.name) : b.folded);
    };
    std::vector<member> members;
    members.reserve(props.size());
    for (std::size_t i = 0; i < props.size(); ++i) {
        const property& p = props[i];
        if (is_system_property(p.name)) continue;
        if (p.value.is_null() && !p.value.is_array()) continue;
        const bool ascii = std::all_of(p.name.begin(), p.name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
        members.push_back({p.name, ascii ? std::string() : fold_case(p.name), i});
    }
    const auto encode = [&](std::string& out, std::size_t i) {
        append_canonical_value(out, props[i].value, canonical_rule_for(class_name, props[i].name, key_names), ns, 0);
    };
    std::sort(members.begin(), members.end(), [&](const member& a, const member& b) {
        if (name_less(a, b)) return true;
        if (name_less(b, a)) return false;
        std::string ea;
        std::string eb;
        encode(ea, a.index);
        encode(eb, b.index);
        return ea < eb;
    });
    sha256 digest;
    std::string piece;
    piece.reserve(256);
    piece += "wmisub.fingerprint/1\nkind:";
    piece += kind;
    piece += "\nnamespace:";
    append_length_prefixed(piece, canonical_namespace(ns));
    piece += "\nclass:";
    append_length_prefixed(piece, fold_case(class_name));
    piece += '\n';
    digest.update(piece);
    for (const member& m : members) {
        piece.clear();  // one buffer for every member: it grows to the longest and stays
        if (m.ascii()) {
            piece += std::to_string(m.name.size());
            piece += ':';
            for (char c : m.name) piece += ascii_lower(c);
        } else {
            append_length_prefixed(piece, m.folded);
        }
        piece += '=';
        encode(piece, m.index);
        piece += '\n';
        digest.update(piece);
    }
    return to_hex(digest.finish());
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Objects of any kind
// ---------------------------------------------------------------------------

// The kind of a typed object.
WMISUB_API object_kind kind_of(const wmi_object& o) noexcept {
    switch (o.index()) {
    case 0: return object_kind::filter;
    case 1: return object_kind::consumer;
    case 2: return object_kind::binding;
    case 3: return object_kind::timer;
    default: return object_kind::instance;
    }
}

// The namespace an object was found in.
WMISUB_API const std::string& namespace_of(const wmi_object& o) noexcept {
    return std::visit(
        [](const auto& typed) -> const std::string& {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, consumer>) return header_of(typed).namespace_path;
            else return typed.namespace_path;
        },
        o);
}

// The class of an object as the source spelled it.
WMISUB_API const std::string& class_name_of(const wmi_object& o) noexcept {
    return std::visit(
        [](const auto& typed) -> const std::string& {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, consumer>) return header_of(typed).class_name;
            else return typed.class_name;
        },
        o);
}

// Where an object was found.
WMISUB_API const provenance& origin_of(const wmi_object& o) noexcept {
    return std::visit(
        [](const auto& typed) -> const provenance& {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, consumer>) return header_of(typed).origin;
            else return typed.origin;
        },
        o);
}

// The properties of a generic instance (the counterpart of properties_of for typed objects).
WMISUB_API std::vector<property> properties_of(const instance& in) { return in.properties; }

// The properties of any object as WMI spells them.
WMISUB_API std::vector<property> properties_of(const wmi_object& o) {
    return std::visit(
        [](const auto& typed) -> std::vector<property> {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, instance>) return typed.properties;
            else if constexpr (std::is_same_v<T, consumer>) return properties_of(typed);
            else return properties_of(typed);
        },
        o);
}

// The key property names of an instance: its known keys, else `Name` when it has one.
WMISUB_API std::vector<std::string> key_names_of(const instance& in) {
    if (!in.key_names.empty()) return in.key_names;
    if (in.get("Name") != nullptr) return {"Name"};
    return {};
}

// The key property names of any object.
WMISUB_API std::vector<std::string> key_names_of(const wmi_object& o) {
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
WMISUB_API object_path identity_of(const instance& in) {
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
WMISUB_API object_path identity_of(const wmi_object& o) {
    return std::visit(
        [](const auto& typed) -> object_path { return identity_of(typed); }, o);
}

// ---------------------------------------------------------------------------
// Fingerprints
// ---------------------------------------------------------------------------

// The canonical form of an object (see the header comment): the text its fingerprint hashes.
WMISUB_API std::string canonical_form(const wmi_object& o) {
    return detail::canonical_object(to_string(kind_of(o)), namespace_of(o), class_name_of(o), properties_of(o),
                                    key_names_of(o));
}

// The content fingerprint of an object: lower-case hex SHA-256 of its canonical form.
WMISUB_API std::string normalize_fingerprint(std::string_view text) {
    text = trim(text);
    if (text.size() >= 7 && ascii_iequals(text.substr(0, 7), "sha256:")) text = trim(text.substr(7));
    std::string out(text);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

WMISUB_API bool is_fingerprint(std::string_view text) {
    const std::string normal = normalize_fingerprint(text);
    return normal.size() == 64 && std::all_of(normal.begin(), normal.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

WMISUB_API std::string fingerprint(const wmi_object& o) {
    return detail::canonical_object_fingerprint(to_string(kind_of(o)), namespace_of(o), class_name_of(o), properties_of(o),
                                                key_names_of(o));
}

// Fingerprints of the typed objects, for callers that hold one: the same text as
// canonical_form() builds, without copying the object into a wmi_object first.
WMISUB_API std::string fingerprint(const event_filter& f) {
    return detail::canonical_object_fingerprint(to_string(object_kind::filter), f.namespace_path, f.class_name,
                                                properties_of(f), {"Name"});
}
WMISUB_API std::string fingerprint(const consumer& c) {
    const consumer_header& h = header_of(c);
    return detail::canonical_object_fingerprint(to_string(object_kind::consumer), h.namespace_path, h.class_name,
                                                properties_of(c), key_names_of(c));
}
WMISUB_API std::string fingerprint(const binding& b) {
    return detail::canonical_object_fingerprint(to_string(object_kind::binding), b.namespace_path, b.class_name,
                                                properties_of(b), {"Filter", "Consumer"});
}
WMISUB_API std::string fingerprint(const timer_instruction& t) {
    return detail::canonical_object_fingerprint(to_string(object_kind::timer), t.namespace_path, t.class_name,
                                                properties_of(t), {"TimerId"});
}
WMISUB_API std::string fingerprint(const instance& in) {
    return detail::canonical_object_fingerprint(to_string(object_kind::instance), in.namespace_path, in.class_name,
                                                in.properties, key_names_of(in));
}

// The canonical identity of an object, the key baselines and diffs match on:
// compared as WMI compares (case, key order, path spellings, local server).
// An instance without key properties is identified by its content.
WMISUB_API std::string identity_key_of(const wmi_object& o) {
    return std::visit([](const auto& typed) { return detail::typed_identity_key(typed); }, o);
}

// ---------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------

// Builds an entry for an object, computing its identity and fingerprint.
WMISUB_API baseline_entry baseline_entry::of(wmi_object o) {
    baseline_entry e;
    e.kind = kind_of(o);
    e.identity = to_string(identity_of(o));
    e.identity_key = identity_key_of(o);
    e.fingerprint = wmisub::fingerprint(o);
    e.object = std::move(o);
    return e;
}

namespace detail {

[[nodiscard]] inline bool baseline_entry_less(const baseline_entry& a, const baseline_entry& b) noexcept {
    return std::tie(a.kind, a.identity_key, a.fingerprint) < std::tie(b.kind, b.identity_key, b.fingerprint);
}

// True when two entries are copies: same kind, identity and content.
[[nodiscard]] inline bool same_entry(const baseline_entry& a, const baseline_entry& b) noexcept {
    return a.kind == b.kind && a.identity_key == b.identity_key && a.fingerprint == b.fingerprint;
}

// An entry for every object of a snapshot, copies included, in baseline order.
[[nodiscard]] inline std::vector<baseline_entry> entries_of(const snapshot& snap, bool include_other_objects) {
    std::vector<baseline_entry> entries;
    entries.reserve(snap.object_count() + (include_other_objects ? snap.other_objects.size() : 0));
    for (const event_filter& f : snap.filters) entries.push_back(baseline_entry::of(f));
    for (const consumer& c : snap.consumers) entries.push_back(baseline_entry::of(c));
    for (const binding& b : snap.bindings) entries.push_back(baseline_entry::of(b));
    for (const timer_instruction& t : snap.timers) entries.push_back(baseline_entry::of(t));
    if (include_other_objects) {
        for (const instance& in : snap.other_objects) entries.push_back(baseline_entry::of(in));
    }
    std::stable_sort(entries.begin(), entries.end(), baseline_entry_less);
    return entries;
}

// Counts one object of `kind`.
inline void count_kind(object_counts& counts, object_kind kind) noexcept {
    switch (kind) {
    case object_kind::filter: ++counts.filters; break;
    case object_kind::consumer: ++counts.consumers; break;
    case object_kind::binding: ++counts.bindings; break;
    case object_kind::timer: ++counts.timers; break;
    case object_kind::instance: ++counts.other; break;
    }
}

// The entries by kind, as snapshot::counts() counts objects.
[[nodiscard]] inline object_counts count_entries(const std::vector<const baseline_entry*>& entries) noexcept {
    object_counts out;
    for (const baseline_entry* e : entries) count_kind(out, e->kind);
    return out;
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

// The first entry with this identity key, or nullptr.
WMISUB_API const baseline_entry* baseline::find(std::string_view identity_key) const noexcept {
    const auto it = std::find_if(entries.begin(), entries.end(),
                                 [&](const baseline_entry& e) { return e.identity_key == identity_key; });
    return it != entries.end() ? &*it : nullptr;
}

// True when some approved object has exactly this content.
WMISUB_API bool baseline::approves(std::string_view fingerprint_hex) const noexcept {
    return std::any_of(entries.begin(), entries.end(),
                       [&](const baseline_entry& e) { return e.fingerprint == fingerprint_hex; });
}

// Approves an object. The same identity with the same content is kept
// once; the same identity with other content is kept too (two sources
// disagreeing are both approved). Returns false when it was already there.
WMISUB_API bool baseline::add(wmi_object o) {
    baseline_entry e = baseline_entry::of(std::move(o));
    const auto at = std::lower_bound(entries.begin(), entries.end(), e, detail::baseline_entry_less);
    if (at != entries.end() && at->kind == e.kind && at->identity_key == e.identity_key &&
        at->fingerprint == e.fingerprint) {
        return false;
    }
    entries.insert(at, std::move(e));
    return true;
}

WMISUB_API object_counts baseline::counts() const noexcept {
    object_counts out;
    for (const baseline_entry& e : entries) detail::count_kind(out, e.kind);
    return out;
}

// Restores the canonical order after entries were edited directly.
WMISUB_API void baseline::sort() { std::sort(entries.begin(), entries.end(), detail::baseline_entry_less); }

// Approves everything a snapshot holds. The snapshot's errors are not part of
// a baseline: check them first, as a baseline of a partial collection reports
// the missing objects as added later.
WMISUB_API baseline make_baseline(const snapshot& snap, const baseline_options& options) {
    baseline out;
    out.host = snap.host;
    out.created = options.created ? options.created
                                  : std::optional<timestamp>(std::chrono::time_point_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now()));
    out.comment = options.comment;
    std::vector<baseline_entry> entries = detail::entries_of(snap, options.include_other_objects);
    out.entries.reserve(entries.size());
    for (baseline_entry& e : entries) {
        if (!out.entries.empty() && detail::same_entry(out.entries.back(), e)) continue;
        out.entries.push_back(std::move(e));
    }
    return out;
}

// ---------------------------------------------------------------------------
// Diffs
// ---------------------------------------------------------------------------

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
WMISUB_API baseline_diff diff(const baseline& before, const baseline& after, const diff_options& options) {
    const std::vector<const baseline_entry*> approved = detail::diff_scope(before.entries, options);
    const std::vector<const baseline_entry*> observed = detail::diff_scope(after.entries, options);
    baseline_diff out = detail::diff_entries(approved, observed);
    out.approved = detail::count_entries(approved);
    out.observed = detail::count_entries(observed);
    out.baseline_host = before.host;
    out.baseline_created = before.created;
    out.snapshot_host = after.host;
    out.snapshot_collected_at = after.created;
    return out;
}

// Compares a snapshot with a baseline: what was added, removed and modified
// since the baseline was approved, field by field, and re-pointed bindings.
// Every observed object is counted; exact copies are compared once.
WMISUB_API baseline_diff diff(const baseline& approved, const snapshot& observed, const diff_options& options) {
    const std::vector<baseline_entry> entries = detail::entries_of(observed, options.include_other_objects);
    const std::vector<const baseline_entry*> in_scope = detail::diff_scope(entries, options);
    std::vector<const baseline_entry*> distinct;
    distinct.reserve(in_scope.size());
    for (const baseline_entry* e : in_scope) {
        if (distinct.empty() || !detail::same_entry(*distinct.back(), *e)) distinct.push_back(e);
    }
    const std::vector<const baseline_entry*> before = detail::diff_scope(approved.entries, options);
    baseline_diff out = detail::diff_entries(before, distinct);
    out.approved = detail::count_entries(before);
    out.observed = detail::count_entries(in_scope);
    out.repeated = in_scope.size() - distinct.size();
    out.baseline_host = approved.host;
    out.baseline_created = approved.created;
    out.snapshot_host = observed.host;
    out.snapshot_collected_at = observed.collected_at;
    out.errors = observed.errors;
    return out;
}

WMISUB_NAMESPACE_END
