// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// IWYU pragma: private, include "wmisub/baseline.hpp"
// The canonical form content fingerprints are computed over, and the value
// comparison field-level diffs use. Both ignore what does not change what an
// object does: property order, the case of property names, NULL versus absent,
// integer widths, the spelling of the query (WQL canonical form), of namespaces
// and of object paths, and the case of values WMI itself compares without case
// (key values, QueryLanguage, ScriptingEngine). System properties (`__PATH`,
// `__SERVER`, ...) and provenance are volatile and left out. Everything else,
// CreatorSID included, is content: a changed creator is a change.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/model.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"
#include "wmisub/wql.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
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

}  // namespace detail
WMISUB_NAMESPACE_END
