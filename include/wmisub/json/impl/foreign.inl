// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/json/json.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// JSON that other tools write about WMI subscriptions, read into snapshots:
//
// PowerShell `Get-CimInstance … | ConvertTo-Json` and `Get-WmiObject … |
// ConvertTo-Json`, as Windows PowerShell 5.1 and PowerShell 7 write them: one
// object or an array; class and namespace from `CimSystemProperties`
// (`ClassName`, `Namespace` with forward slashes), from `__CLASS`,
// `__NAMESPACE`, `__PATH`, `__RELPATH`, or from `CimClass` as "ns:Class" when
// ConvertTo-Json's depth limit turned it into a string; superclasses from
// `__DERIVATION` or `CimClass.CimSuperClassName`; property types from
// `CimInstanceProperties[].CimType` or `Properties[].Type`/`IsArray` when the
// depth allowed them (else inferred); `CreatorSID` as a number array;
// datetimes as `/Date(ms)/` (5.1), ISO 8601 (7) or DMTF text (Get-WmiObject);
// a binding's Filter/Consumer as a path string or as the referenced
// CimInstance object; PowerShell's own members (`PSComputerName`, `CimClass`,
// `CimInstanceProperties`, `CimSystemProperties`, and 5.1's `Scope`, `Path`,
// `Options`, `ClassPath`, `Properties`, `SystemProperties`, `Qualifiers`,
// `Site`, `Container`) are not WMI properties and are left out.
//
// osquery `--json` output of `wmi_event_filters`, `wmi_cli_event_consumers`,
// `wmi_script_event_consumers` and `wmi_filter_consumer_binding`: an array of
// rows whose values are all strings; an empty string is a NULL property (osquery
// cannot tell them apart); columns that are not WMI properties are left out.
//
// The format is told from the content, never from a file name.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/json/impl/model.inl"
#include "wmisub/json/impl/parse.inl"
#include "wmisub/json/impl/time.inl"
#include "wmisub/json/impl/value_codec.inl"
#include "wmisub/json/json.hpp"
#include "wmisub/model.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

namespace detail {

// ---------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------

[[nodiscard]] inline bool ps_is_adapter_name(std::string_view key) noexcept {
    return key == "PSComputerName" || key == "PSShowComputerName" || key == "RunspaceId" || key == "CimClass" ||
           key == "CimInstanceProperties" || key == "CimSystemProperties";
}

// Windows PowerShell 5.1 adds these to Get-WmiObject's ManagementObjects.
[[nodiscard]] inline bool ps_is_wmi_adapter_name(std::string_view key) noexcept {
    return key == "Scope" || key == "Path" || key == "Options" || key == "ClassPath" || key == "Properties" ||
           key == "SystemProperties" || key == "Qualifiers" || key == "Site" || key == "Container";
}

[[nodiscard]] inline bool ps_is_known_wmi_name(std::string_view key) noexcept {
    constexpr std::array<std::string_view, 16> names = {
        "Name",           "Query",         "QueryLanguage",   "EventNamespace", "CommandLineTemplate", "ExecutablePath",
        "ScriptText",     "ScriptingEngine", "ScriptFileName", "Filter",         "Consumer",            "TimerId",
        "CreatorSID",     "Filename",      "SMTPServer",      "SourceName"};
    for (const std::string_view n : names) {
        if (key == n) return true;
    }
    return false;
}

[[nodiscard]] inline bool osquery_is_column(std::string_view key) noexcept {
    constexpr std::array<std::string_view, 16> columns = {
        "name",          "query",  "query_language", "class",       "relative_path",    "namespace",
        "command_line_template", "executable_path", "scripting_engine", "script_file_name", "script_text",
        "consumer",      "filter", "hash",           "authenticode", "path"};
    for (const std::string_view c : columns) {
        if (key == c) return true;
    }
    return false;
}

enum class json_row_kind : std::uint8_t { neither, powershell, osquery };

[[nodiscard]] inline json_row_kind json_row_format(const json_value& row) {
    const auto* members = row.get_ptr<const json_value::object_t*>();
    if (members == nullptr) return json_row_kind::neither;
    bool ps = false;
    bool osq_columns = false;
    bool all_lower_strings = true;
    for (const auto& [key, v] : *members) {
        if (key.starts_with("__") || ps_is_adapter_name(key) || ps_is_known_wmi_name(key)) ps = true;
        if (key == "relative_path" || key == "command_line_template" || key == "script_text" || key == "query" ||
            key == "consumer" || (key == "name" && osquery_is_column(key))) {
            osq_columns = true;
        }
        for (const char c : key) {
            if (c >= 'A' && c <= 'Z') all_lower_strings = false;
        }
        if (!v.is_string() && !v.is_null() && !v.is_number()) all_lower_strings = false;
    }
    if (osq_columns && all_lower_strings) return json_row_kind::osquery;
    if (ps) return json_row_kind::powershell;
    return json_row_kind::neither;
}

// The format of one parsed document, from its content.
[[nodiscard]] inline json_format json_detect(const json_value& doc) {
    if (doc.is_object()) {
        if (const std::string* schema = json_string(json_member(doc, "schema"))) {
            if (schema->starts_with("wmisub.snapshot/")) return json_format::wmisub_snapshot;
            if (schema->starts_with("wmisub.baseline/")) return json_format::wmisub_baseline;
            if (schema->starts_with("wmisub.diff/")) return json_format::wmisub_diff;
            if (schema->starts_with("wmisub.")) return json_format::unknown;
        }
        switch (json_row_format(doc)) {
        case json_row_kind::powershell: return json_format::powershell;
        case json_row_kind::osquery: return json_format::osquery;
        case json_row_kind::neither: return json_format::unknown;
        }
        return json_format::unknown;
    }
    const auto* list = doc.get_ptr<const json_value::array_t*>();
    if (list == nullptr) return json_format::unknown;
    if (list->empty()) return json_format::osquery;  // osqueryi prints [] for no rows
    std::size_t ps = 0;
    std::size_t osq = 0;
    std::size_t sampled = 0;
    for (const json_value& row : *list) {
        if (sampled++ == 16) break;
        switch (json_row_format(row)) {
        case json_row_kind::powershell: ++ps; break;
        case json_row_kind::osquery: ++osq; break;
        case json_row_kind::neither: break;
        }
    }
    if (ps > 0 && osq == 0) return json_format::powershell;
    if (osq > 0 && ps == 0) return json_format::osquery;
    return json_format::unknown;
}

// ---------------------------------------------------------------------------
// PowerShell
// ---------------------------------------------------------------------------

struct ps_hint {
    cim_type type = cim_type::empty;
    bool array = false;
};

// Microsoft.Management.Infrastructure.CimType, as a number or (-EnumsAsStrings) a name.
[[nodiscard]] inline std::optional<ps_hint> ps_cim_type(const json_value& t) {
    static constexpr std::array<cim_type, 16> order = {
        cim_type::boolean, cim_type::uint8,  cim_type::sint8,    cim_type::uint16,   cim_type::sint16,    cim_type::uint32,
        cim_type::sint32,  cim_type::uint64, cim_type::sint64,   cim_type::real32,   cim_type::real64,    cim_type::char16,
        cim_type::datetime, cim_type::string, cim_type::reference, cim_type::object};
    if (const auto* n = t.get_ptr<const json_value::number_unsigned_t*>()) {
        if (*n >= 1 && *n <= 16) return ps_hint{order[*n - 1], false};
        if (*n >= 17 && *n <= 32) return ps_hint{order[*n - 17], true};
        return std::nullopt;
    }
    const std::string* name = t.get_ptr<const std::string*>();
    if (name == nullptr) return std::nullopt;
    std::string_view text = *name;
    ps_hint out;
    if (text.ends_with("Array")) {
        out.array = true;
        text.remove_suffix(5);
    }
    if (iequals(text, "Instance")) {
        out.type = cim_type::object;
        return out;
    }
    if (iequals(text, "Reference")) {
        out.type = cim_type::reference;
        return out;
    }
    const auto type = cim_type_from_name(text);
    if (!type) return std::nullopt;
    out.type = *type;
    return out;
}

// System.Management.CimType (Get-WmiObject's PropertyData.Type), number or name.
[[nodiscard]] inline std::optional<cim_type> ps_wmi_type(const json_value& t) {
    if (const auto* n = t.get_ptr<const json_value::number_unsigned_t*>()) {
        switch (*n) {
        case 2: return cim_type::sint16;
        case 3: return cim_type::sint32;
        case 4: return cim_type::real32;
        case 5: return cim_type::real64;
        case 8: return cim_type::string;
        case 11: return cim_type::boolean;
        case 13: return cim_type::object;
        case 16: return cim_type::sint8;
        case 17: return cim_type::uint8;
        case 18: return cim_type::uint16;
        case 19: return cim_type::uint32;
        case 20: return cim_type::sint64;
        case 21: return cim_type::uint64;
        case 101: return cim_type::datetime;
        case 102: return cim_type::reference;
        case 103: return cim_type::char16;
        default: return std::nullopt;
        }
    }
    if (const std::string* name = t.get_ptr<const std::string*>()) {
        if (iequals(*name, "Object")) return cim_type::object;
        return cim_type_from_name(*name);
    }
    return std::nullopt;
}

using ps_hints = std::unordered_map<std::string, ps_hint>;  // by folded property name

// Property names and types PowerShell listed, when ConvertTo-Json's depth kept them.
[[nodiscard]] inline ps_hints ps_collect_hints(const json_value& obj, bool& declared) {
    ps_hints out;
    declared = false;
    if (const json_value* cim = json_member(obj, "CimInstanceProperties")) {
        if (const auto* list = cim->get_ptr<const json_value::array_t*>()) {
            for (const json_value& item : *list) {
                if (const std::string* text = item.get_ptr<const std::string*>()) {
                    // Depth-truncated CimProperty: "Name = value" or "Name".
                    const std::string_view name = std::string_view(*text).substr(0, text->find(" = "));
                    if (!name.empty()) {
                        out.emplace(fold_case(name), ps_hint{});
                        declared = true;
                    }
                    continue;
                }
                const std::string* name = json_string(json_member(item, "Name"));
                if (name == nullptr) continue;
                declared = true;
                ps_hint hint;
                if (const json_value* t = json_member(item, "CimType")) {
                    if (const auto h = ps_cim_type(*t)) hint = *h;
                }
                out.emplace(fold_case(*name), hint);
            }
        }
    }
    if (const json_value* props = json_member(obj, "Properties")) {
        if (const auto* list = props->get_ptr<const json_value::array_t*>()) {
            for (const json_value& item : *list) {
                const std::string* name = json_string(json_member(item, "Name"));
                if (name == nullptr) continue;
                declared = true;
                ps_hint hint;
                if (const json_value* t = json_member(item, "Type")) {
                    if (const auto type = ps_wmi_type(*t)) hint.type = *type;
                }
                if (const json_value* a = json_member(item, "IsArray")) {
                    if (const bool* b = a->get_ptr<const bool*>()) hint.array = *b;
                }
                out.emplace(fold_case(*name), hint);
            }
        }
    }
    return out;
}

[[nodiscard]] inline std::string ps_namespace(std::string_view ns) {
    std::string out(ns);
    for (char& c : out) {
        if (c == '/') c = '\\';
    }
    return out;
}

// "root/subscription:__EventFilter" (CimClass as ConvertTo-Json prints it when depth-truncated).
[[nodiscard]] inline std::pair<std::string, std::string> ps_split_class_text(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return {std::string{}, std::string(text)};
    return {ps_namespace(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

struct ps_identity {
    std::string namespace_path;
    std::string class_name;
    std::string server;
    std::string relpath;
    std::string path;
    std::vector<std::string> derivation;
};

// Class, namespace, server and superclasses of a PowerShell object.
[[nodiscard]] inline ps_identity ps_identity_of(const json_value& obj) {
    ps_identity id;
    if (const json_value* sys = json_member(obj, "CimSystemProperties"); sys != nullptr && sys->is_object()) {
        if (const std::string* s = json_string(json_member(*sys, "Namespace"))) id.namespace_path = ps_namespace(*s);
        if (const std::string* s = json_string(json_member(*sys, "ClassName"))) id.class_name = *s;
        if (const std::string* s = json_string(json_member(*sys, "ServerName"))) id.server = *s;
        if (const std::string* s = json_string(json_member(*sys, "Path"))) id.path = *s;
    }
    if (const std::string* s = json_string(json_member(obj, "__NAMESPACE")); s != nullptr && id.namespace_path.empty()) {
        id.namespace_path = ps_namespace(*s);
    }
    if (const std::string* s = json_string(json_member(obj, "__CLASS")); s != nullptr && id.class_name.empty()) {
        id.class_name = *s;
    }
    if (const std::string* s = json_string(json_member(obj, "__SERVER")); s != nullptr && id.server.empty()) id.server = *s;
    if (const std::string* s = json_string(json_member(obj, "__RELPATH"))) id.relpath = *s;
    if (const std::string* s = json_string(json_member(obj, "__PATH")); s != nullptr && id.path.empty()) id.path = *s;
    if (!id.path.empty() && (id.namespace_path.empty() || id.class_name.empty())) {
        if (auto parsed = parse_object_path(id.path)) {
            if (id.namespace_path.empty()) id.namespace_path = parsed->namespace_path;
            if (id.class_name.empty()) id.class_name = parsed->class_name;
            if (id.server.empty()) id.server = parsed->server;
        }
    }
    if (id.class_name.empty() && !id.relpath.empty()) {
        if (auto parsed = parse_object_path(id.relpath)) id.class_name = parsed->class_name;
    }
    if (const json_value* cim_class = json_member(obj, "CimClass")) {
        if (const std::string* text = cim_class->get_ptr<const std::string*>()) {
            auto [ns, cls] = ps_split_class_text(*text);
            if (id.namespace_path.empty()) id.namespace_path = ns;
            if (id.class_name.empty()) id.class_name = cls;
        } else if (cim_class->is_object()) {
            if (const std::string* s = json_string(json_member(*cim_class, "CimClassName")); s != nullptr && id.class_name.empty()) {
                id.class_name = *s;
            }
            // CimSuperClassName, then up the CimSuperClass chain as far as the depth kept it.
            const json_value* level = cim_class;
            for (int hops = 0; level != nullptr && level->is_object() && hops < WMISUB_MAX_NESTING; ++hops) {
                const std::string* super = json_string(json_member(*level, "CimSuperClassName"));
                if (super == nullptr || super->empty()) break;
                id.derivation.push_back(*super);
                level = json_member(*level, "CimSuperClass");
            }
        }
    }
    if (const json_value* derivation = json_member(obj, "__DERIVATION")) {
        if (const auto* list = derivation->get_ptr<const json_value::array_t*>()) {
            id.derivation.clear();
            for (const json_value& item : *list) {
                if (const std::string* s = item.get_ptr<const std::string*>()) id.derivation.push_back(*s);
            }
        }
    }
    if (id.server.empty()) {
        if (const std::string* s = json_string(json_member(obj, "PSComputerName"))) id.server = *s;
    }
    return id;
}

// The class an object without class information most likely has, from its properties.
[[nodiscard]] inline std::string ps_guess_class(const json_value& obj) {
    const auto has = [&](std::string_view key) { return json_member_i(obj, key) != nullptr; };
    if (has("Query")) return std::string(class_names::event_filter);
    if (has("Filter") && has("Consumer")) return std::string(class_names::binding);
    if (has("CommandLineTemplate") || has("ExecutablePath")) return std::string(class_names::command_line);
    if (has("ScriptText") || has("ScriptFileName") || has("ScriptingEngine")) return std::string(class_names::active_script);
    if (has("SMTPServer")) return std::string(class_names::smtp);
    if (has("SourceName") && has("EventID")) return std::string(class_names::nt_event_log);
    if (has("Filename") && has("Text")) return std::string(class_names::log_file);
    if (has("TimerId") && has("IntervalBetweenEvents")) return std::string(class_names::interval_timer);
    if (has("TimerId") && has("EventDateTime")) return std::string(class_names::absolute_timer);
    return {};
}

// A TimeSpan object ({Ticks, Days, ..., TotalMilliseconds}) as a DMTF interval.
[[nodiscard]] inline std::optional<dmtf_datetime> ps_timespan(const json_value& obj) {
    if (json_member(obj, "TotalMilliseconds") == nullptr) return std::nullopt;
    const json_value* ticks = json_member(obj, "Ticks");
    if (ticks == nullptr) return std::nullopt;
    std::uint64_t t = 0;
    if (const auto* u = ticks->get_ptr<const json_value::number_unsigned_t*>()) {
        t = *u;
    } else {
        return std::nullopt;
    }
    dmtf_datetime d;
    d.is_interval = true;
    const std::uint64_t micro_total = t / 10u;
    const std::uint64_t seconds = micro_total / 1000000u;
    const std::uint64_t days = seconds / 86400u;
    if (days > 99999999u) return std::nullopt;
    d.days = static_cast<std::int64_t>(days);
    d.hour = static_cast<std::int32_t>((seconds / 3600u) % 24u);
    d.minute = static_cast<std::int32_t>((seconds / 60u) % 60u);
    d.second = static_cast<std::int32_t>(seconds % 60u);
    d.microsecond = static_cast<std::int32_t>(micro_total % 1000000u);
    d.microsecond_digits = 6;
    return d;
}

// A datetime from any of PowerShell's spellings; nullopt when it is none.
[[nodiscard]] inline std::optional<dmtf_datetime> ps_datetime(const json_value& v) {
    if (const std::string* s = v.get_ptr<const std::string*>()) {
        if (auto d = parse_ms_date(*s)) return d;
        if (auto d = parse_iso8601(*s)) return d;
        if (auto d = parse_dmtf_datetime(*s)) return *d;
        return std::nullopt;
    }
    if (v.is_object()) {
        if (auto span = ps_timespan(v)) return span;
        // Get-Date objects in 5.1: {"value": "/Date(…)/", "DisplayHint": 2, "DateTime": "…"}.
        if (const json_value* inner = json_member(v, "value")) return ps_datetime(*inner);
    }
    return std::nullopt;
}

[[nodiscard]] inline bool ps_is_cim_object(const json_value& v) {
    return v.is_object() && (json_member(v, "CimSystemProperties") != nullptr || json_member(v, "CimClass") != nullptr ||
                             json_member(v, "__CLASS") != nullptr);
}

// The object path of a reference PowerShell printed as the referenced CimInstance.
[[nodiscard]] inline std::optional<std::string> ps_reference_path(const json_value& v) {
    if (!v.is_object()) return std::nullopt;
    const ps_identity id = ps_identity_of(v);
    if (!id.relpath.empty()) return id.namespace_path.empty() ? id.relpath : id.namespace_path + ":" + id.relpath;
    if (!id.path.empty()) return id.path;
    if (id.class_name.empty()) return std::nullopt;
    const std::string* name = json_string(json_member(v, "Name"));
    if (name == nullptr) return std::nullopt;
    std::string out = id.namespace_path.empty() ? std::string{} : id.namespace_path + ":";
    out += id.class_name;
    out += ".Name=";
    out += quote_key_value(*name);
    return out;
}

[[nodiscard]] inline bool ps_skip_member(std::string_view key, const json_value& v, bool wmi_shape,
                                         const ps_hints& hints, bool declared) {
    if (key.starts_with("__")) return true;  // system properties: used for identity, volatile as content
    const bool listed = hints.find(fold_case(key)) != hints.end();
    if (declared && listed) return false;
    if (ps_is_adapter_name(key)) return true;
    if (wmi_shape && ps_is_wmi_adapter_name(key)) {
        // An adapter member is an object, array, null or a .NET type name; a
        // plain value under that name is a real property of a custom class.
        const std::string* s = v.get_ptr<const std::string*>();
        return v.is_null() || v.is_object() || v.is_array() || (s != nullptr && s->starts_with("System."));
    }
    return false;
}

[[nodiscard]] inline value ps_value(const json_value& v, const ps_hint* hint, std::string_view name, std::size_t depth);

// An embedded object PowerShell printed (a CimInstance or any object).
[[nodiscard]] inline value ps_embedded(const json_value& obj, std::size_t depth) {
    embedded_object o;
    const ps_identity id = ps_identity_of(obj);
    o.class_name = id.class_name;
    bool declared = false;
    const ps_hints hints = ps_collect_hints(obj, declared);
    const bool wmi_shape = json_member(obj, "__CLASS") != nullptr || json_member(obj, "__GENUS") != nullptr;
    const auto* members = obj.get_ptr<const json_value::object_t*>();
    if (members == nullptr) return value::object(std::move(o));
    for (const auto& [key, item] : *members) {
        if (item.is_null() || ps_skip_member(key, item, wmi_shape, hints, declared)) continue;
        const auto found = hints.find(fold_case(key));
        o.properties.push_back({key, ps_value(item, found != hints.end() ? &found->second : nullptr, key, depth + 1)});
    }
    return value::object(std::move(o));
}

[[nodiscard]] inline value ps_infer(const json_value& v, std::string_view name, std::size_t depth) {
    if (depth >= static_cast<std::size_t>(WMISUB_MAX_NESTING)) return json_infer(v, depth);
    if (const std::string* s = v.get_ptr<const std::string*>()) {
        if (auto d = parse_ms_date(*s)) return value::datetime(*d);
        return value::string(*s);
    }
    if (v.is_object()) {
        if (auto span = ps_timespan(v)) return value::datetime(*span);
        return ps_embedded(v, depth);
    }
    if (const auto* list = v.get_ptr<const json_value::array_t*>()) {
        value::array_type items;
        items.reserve(list->size());
        for (const json_value& item : *list) items.push_back(ps_infer(item, name, depth + 1));
        return json_infer_array(std::move(items));
    }
    return json_infer(v, depth);
}

// One element converted to a hinted scalar type; falls back to inference.
[[nodiscard]] inline value ps_scalar(const json_value& v, cim_type t, std::string_view name, std::size_t depth) {
    if (v.is_null()) return value::null(t);
    switch (t) {
    case cim_type::datetime:
        if (auto d = ps_datetime(v)) return value::datetime(*d);
        break;
    case cim_type::reference:
        if (const std::string* s = v.get_ptr<const std::string*>()) return value::reference(*s);
        if (auto path = ps_reference_path(v)) return value::reference(*path);
        break;
    case cim_type::object:
        if (v.is_object() && depth < static_cast<std::size_t>(WMISUB_MAX_NESTING)) return ps_embedded(v, depth);
        break;
    case cim_type::empty: break;
    case cim_type::boolean:
    case cim_type::sint8:
    case cim_type::uint8:
    case cim_type::sint16:
    case cim_type::uint16:
    case cim_type::sint32:
    case cim_type::uint32:
    case cim_type::sint64:
    case cim_type::uint64:
    case cim_type::real32:
    case cim_type::real64:
    case cim_type::char16:
    case cim_type::string:
    default: {
        json_read_context quiet;
        auto typed = json_read_scalar(v, t, "", quiet);
        if (typed) return std::move(*typed);
        break;
    }
    }
    return ps_infer(v, name, depth);
}

[[nodiscard]] inline value ps_value(const json_value& v, const ps_hint* hint, std::string_view name, std::size_t depth) {
    if (hint != nullptr && hint->type != cim_type::empty) {
        if (hint->array) {
            if (const auto* list = v.get_ptr<const json_value::array_t*>()) {
                value::array_type items;
                items.reserve(list->size());
                for (const json_value& item : *list) items.push_back(ps_scalar(item, hint->type, name, depth + 1));
                return value::array(hint->type, std::move(items));
            }
            if (v.is_null()) return value::null(hint->type);
            return ps_infer(v, name, depth);
        }
        return ps_scalar(v, hint->type, name, depth);
    }
    return ps_infer(v, name, depth);
}

// One PowerShell object as an instance; the error when its class cannot be told.
[[nodiscard]] inline result<instance> ps_read_instance(const json_value& obj, std::string_view pointer,
                                                       const json_read_context& ctx, std::string_view default_ns,
                                                       std::string& host) {
    if (!obj.is_object()) {
        return ctx.at(errc::type_mismatch, pointer, "expected a PowerShell object, got " + json_kind_name(obj), "an object");
    }
    ps_identity id = ps_identity_of(obj);
    if (id.class_name.empty()) id.class_name = ps_guess_class(obj);
    if (id.class_name.empty()) {
        return ctx.at(errc::missing_field, pointer,
                      "cannot tell the WMI class of this object (no CimSystemProperties, __CLASS, __PATH or "
                      "recognisable properties)",
                      "CimSystemProperties.ClassName or __CLASS");
    }
    if (host.empty() && !id.server.empty() && id.server != ".") host = id.server;
    instance in;
    in.namespace_path = id.namespace_path.empty() ? std::string(default_ns) : id.namespace_path;
    in.class_name = id.class_name;
    in.derivation = std::move(id.derivation);
    if (!id.relpath.empty()) {
        if (auto parsed = parse_object_path(id.relpath)) {
            for (const path_key& k : parsed->keys) {
                if (!k.name.empty()) in.key_names.push_back(k.name);
            }
        }
    }
    bool declared = false;
    const ps_hints hints = ps_collect_hints(obj, declared);
    const bool wmi_shape = json_member(obj, "__CLASS") != nullptr || json_member(obj, "__GENUS") != nullptr;
    const bool is_binding = iequals(in.class_name, class_names::binding);
    const bool is_timer = iequals(in.class_name, class_names::absolute_timer);
    const auto* members = obj.get_ptr<const json_value::object_t*>();
    if (members == nullptr) return in;
    for (const auto& [key, item] : *members) {
        // PowerShell lists every property of the class; a NULL one is simply not set.
        if (item.is_null() || ps_skip_member(key, item, wmi_shape, hints, declared)) continue;
        const auto found = hints.find(fold_case(key));
        ps_hint hint = found != hints.end() ? found->second : ps_hint{};
        if (is_binding && (iequals(key, "Filter") || iequals(key, "Consumer"))) hint = {cim_type::reference, false};
        if (is_timer && iequals(key, "EventDateTime")) hint = {cim_type::datetime, false};
        in.properties.push_back({key, ps_value(item, hint.type != cim_type::empty ? &hint : nullptr, key, 0)});
    }
    return in;
}

// ---------------------------------------------------------------------------
// osquery
// ---------------------------------------------------------------------------

// The WMI property an osquery column holds; empty for columns that are none.
[[nodiscard]] inline std::string_view osquery_property(std::string_view column) noexcept {
    constexpr std::array<std::pair<std::string_view, std::string_view>, 11> map = {{
        {"name", "Name"},
        {"query", "Query"},
        {"query_language", "QueryLanguage"},
        {"command_line_template", "CommandLineTemplate"},
        {"executable_path", "ExecutablePath"},
        {"scripting_engine", "ScriptingEngine"},
        {"script_file_name", "ScriptFileName"},
        {"script_text", "ScriptText"},
        {"consumer", "Consumer"},
        {"filter", "Filter"},
        {"event_namespace", "EventNamespace"},
    }};
    for (const auto& [col, prop] : map) {
        if (column == col) return prop;
    }
    return {};
}

[[nodiscard]] inline std::optional<std::string> osquery_text(const json_value& v) {
    if (const std::string* s = v.get_ptr<const std::string*>()) return *s;
    if (v.is_number() || v.is_boolean()) return json_dump(v, -1);
    return std::nullopt;
}

// One osquery row as an instance.
[[nodiscard]] inline result<instance> osquery_read_row(const json_value& row, std::string_view pointer,
                                                       const json_read_context& ctx, std::string_view default_ns) {
    if (!row.is_object()) {
        return ctx.at(errc::type_mismatch, pointer, "expected an osquery row (an object), got " + json_kind_name(row),
                      "an object");
    }
    instance in;
    const std::string* cls = json_string(json_member(row, "class"));
    if (cls != nullptr && !cls->empty()) {
        in.class_name = *cls;
    } else if (json_member(row, "query") != nullptr) {
        in.class_name = std::string(class_names::event_filter);
    } else if (json_member(row, "command_line_template") != nullptr || json_member(row, "executable_path") != nullptr) {
        in.class_name = std::string(class_names::command_line);
    } else if (json_member(row, "script_text") != nullptr || json_member(row, "scripting_engine") != nullptr ||
               json_member(row, "script_file_name") != nullptr) {
        in.class_name = std::string(class_names::active_script);
    } else if (json_member(row, "consumer") != nullptr && json_member(row, "filter") != nullptr) {
        in.class_name = std::string(class_names::binding);
    } else {
        return ctx.at(errc::missing_field, pointer,
                      "not a row of wmi_event_filters, wmi_cli_event_consumers, wmi_script_event_consumers or "
                      "wmi_filter_consumer_binding",
                      "a \"class\" column");
    }
    const std::string* ns = json_string(json_member(row, "namespace"));
    in.namespace_path = ns != nullptr && !ns->empty() ? ps_namespace(*ns) : std::string(default_ns);
    const bool is_binding = iequals(in.class_name, class_names::binding);
    const auto* columns = row.get_ptr<const json_value::object_t*>();
    if (columns == nullptr) return in;
    for (const auto& [column, v] : *columns) {
        const std::string_view property = osquery_property(column);
        if (property.empty()) continue;
        const auto text = osquery_text(v);
        if (!text) continue;
        if (text->empty() && property != "Name") continue;  // osquery prints NULL as ""
        const bool reference = is_binding && (property == "Consumer" || property == "Filter");
        in.set(property, reference ? value::reference(*text) : value::string(*text));
    }
    return in;
}

// ---------------------------------------------------------------------------
// Any input
// ---------------------------------------------------------------------------

// Where an array item (or the root object) of a parsed document starts.
[[nodiscard]] inline std::size_t json_item_offset(const json_parsed& parsed, std::size_t index) noexcept {
    if (!parsed.root.is_array()) return parsed.root_offset;
    return index < parsed.item_offsets.size() ? parsed.item_offsets[index] : parsed.root_offset;
}

// Reads the objects of a PowerShell or osquery document into `out`.
inline result<std::size_t> json_read_foreign(const json_parsed& parsed, json_format format, std::size_t document,
                                             const json_read_context& base_ctx, const json_read_options& options,
                                             json_line_counter& lines, snapshot& out) {
    const json_value& doc = parsed.root;
    std::vector<const json_value*> items;
    if (const auto* list = doc.get_ptr<const json_value::array_t*>()) {
        items.reserve(list->size());
        for (const json_value& item : *list) items.push_back(&item);
    } else {
        items.push_back(&doc);
    }
    // Documents after the first (concatenated outputs) are named in error locations: `file (document 2)#/3`.
    json_read_context ctx = base_ctx;
    if (document != 0) ctx.source = base_ctx.source + " (document " + std::to_string(document + 1) + ")";
    std::size_t read = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string pointer = doc.is_array() ? json_pointer("", i) : std::string{};
        if (auto why = json_poll_stop(ctx, i, pointer)) return std::move(*why);
        std::string host = out.host;
        auto in = format == json_format::osquery ? osquery_read_row(*items[i], pointer, ctx, options.default_namespace)
                                                 : ps_read_instance(*items[i], pointer, ctx, options.default_namespace, host);
        if (!in) {
            if (!ctx.lenient()) return in.error();
            ctx.note(in.error());
            continue;
        }
        if (out.host.empty()) out.host = host;
        in->origin.kind = source_kind::snapshot;
        in->origin.where = lines.at(json_item_offset(parsed, i), base_ctx.source);
        if (doc.is_array()) in->origin.record = i;
        out.add(*in, base_ctx.source);
        ++read;
    }
    return read;
}

// The consumer classes osquery can show: it has tables for these two only
// (wmi_cli_event_consumers, wmi_script_event_consumers), none for LogFile,
// NTEventLog, SMTP or custom consumers.
[[nodiscard]] inline std::optional<std::vector<std::string>> osquery_readable_consumer_classes() {
    return std::vector<std::string>{"CommandLineEventConsumer", "ActiveScriptEventConsumer"};
}

// Reads any supported input: wmisub snapshots and baselines (checksums
// verified), PowerShell and osquery JSON, each document of a concatenation on
// its own. The bytes may be UTF-8 or UTF-16 (with or without BOM).
[[nodiscard]] inline result<snapshot> json_read_any(std::string_view bytes, const json_read_options& options,
                                                    json_input_summary* summary) {
    json_input_summary local;
    json_input_summary& info = summary != nullptr ? *summary : local;
    info = {};
    if (bytes.size() > options.limits.max_bytes) {
        return make_error(errc::limit_exceeded,
                          "input larger than " + std::to_string(options.limits.max_bytes) + " bytes",
                          source_location{options.source_name, 0, 0, source_location::npos});
    }
    const decoded_text decoded = decode_text(bytes);
    info.encoding = decoded.encoding;
    const std::string_view text = decoded.utf8;
    if (text.size() > options.limits.max_bytes) {
        return make_error(errc::limit_exceeded, "decoded input larger than " + std::to_string(options.limits.max_bytes) + " bytes",
                          source_location{options.source_name, 0, 0, source_location::npos});
    }
    auto ranges = json_split_documents(text, options.limits, options.source_name);
    if (!ranges) return ranges.error();
    if (ranges->empty()) {
        return make_error(errc::unexpected_end, "empty input: no JSON document",
                          source_location{options.source_name, 0, 0, source_location::npos});
    }
    snapshot out;
    json_read_context ctx;
    ctx.source = options.source_name;
    ctx.soft = options.strict ? nullptr : &out.errors;
    json_line_counter lines(text);
    std::size_t readable_documents = 0;
    std::optional<error> first_failure;
    ctx.stop = options.stop.empty() ? nullptr : &options.stop;
    // What the documents together could read: each declares its part (see json_declare_coverage).
    bool coverage_declared = false;
    std::optional<std::vector<std::string>> readable;
    const auto declare = [&](const std::optional<std::vector<std::string>>& part) {
        if (!coverage_declared) {
            readable = part;
            coverage_declared = true;
        } else {
            unite_readable_classes(readable, part);
        }
    };
    for (std::size_t d = 0; d < ranges->size(); ++d) {
        auto fail = [&](error e) -> bool {
            if (!first_failure) first_failure = e;
            if (ctx.lenient()) ctx.note(std::move(e));
            return ctx.lenient();
        };
        if (auto why = options.stop.why("JSON read")) {
            why->location = json_location_at(text, (*ranges)[d].first, options.source_name);
            return std::move(*why);
        }
        auto parsed = json_parse_range(text, (*ranges)[d].first, (*ranges)[d].second, options.limits,
                                       options.source_name, ctx.stop);
        ++info.documents;
        if (!parsed) {
            if (json_stopped(parsed.error()) || !fail(parsed.error())) return parsed.error();
            continue;
        }
        const json_format format = json_detect(parsed->root);
        info.format = info.format == json_format::unknown || info.format == format ? format : json_format::mixed;
        switch (format) {
        case json_format::wmisub_snapshot:
        case json_format::wmisub_baseline: {
            const bool is_baseline = format == json_format::wmisub_baseline;
            const bool required = options.require_checksum.value_or(is_baseline);
            auto sealed = json_verify_seal(parsed->root, required, options.source_name.empty() ? "the input" : options.source_name);
            if (!sealed) {
                error e = sealed.error();
                e.location = json_location_at(text, (*ranges)[d].first, options.source_name);
                if (!fail(std::move(e))) return *first_failure;
                continue;
            }
            info.checksum_verified = info.checksum_verified || *sealed;
            if (is_baseline) {
                auto b = json_read_baseline(parsed->root, ctx);
                if (!b) {
                    if (json_stopped(b.error()) || !fail(b.error())) return b.error();
                    continue;
                }
                if (out.host.empty()) out.host = b->host;
                declare(std::nullopt);
                for (baseline_entry& e : b->entries) {
                    out.add(std::move(e.object));
                    ++info.objects;
                }
            } else {
                auto s = json_read_snapshot(parsed->root, ctx);
                if (!s) {
                    if (json_stopped(s.error()) || !fail(s.error())) return s.error();
                    continue;
                }
                info.objects += s->object_count() + s->other_objects.size();
                declare(s->readable_consumer_classes);
                out.merge(std::move(*s));
            }
            ++readable_documents;
            break;
        }
        case json_format::powershell:
        case json_format::osquery: {
            auto n = json_read_foreign(*parsed, format, d, ctx, options, lines, out);
            if (!n) {
                if (json_stopped(n.error()) || !fail(n.error())) return n.error();
                continue;
            }
            info.objects += *n;
            declare(format == json_format::osquery ? osquery_readable_consumer_classes()
                                                   : std::optional<std::vector<std::string>>());
            ++readable_documents;
            break;
        }
        case json_format::wmisub_diff:
        case json_format::unknown:
        case json_format::mixed:
        default: {
            const std::string* schema = json_string(json_member(parsed->root, "schema"));
            std::string why = schema != nullptr
                                  ? "a \"" + json_utf8(*schema) + "\" document holds no objects to collect"
                                  : "neither a wmisub snapshot or baseline nor PowerShell ConvertTo-Json or osquery "
                                    "--json output of WMI subscription objects";
            error e = make_error(errc::unsupported, std::move(why), json_location_at(text, (*ranges)[d].first, options.source_name));
            if (!fail(std::move(e))) return *first_failure;
            break;
        }
        }
    }
    if (readable_documents == 0) {
        if (first_failure) return *first_failure;
        return make_error(errc::unsupported, "no JSON document could be read",
                          source_location{options.source_name, 0, 0, source_location::npos});
    }
    out.readable_consumer_classes = std::move(readable);
    return out;
}

}  // namespace detail
WMISUB_NAMESPACE_END
