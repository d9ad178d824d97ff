// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/json/json.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Writers of the `wmisub.report/1` document (what `wmisub scan --format json`
// prints): a trigger with the parameters of its kind, an assessment with its
// objects, trigger, risk and findings, and the whole report.
#pragma once

#include "wmisub/assess.hpp"
#include "wmisub/config.hpp"
#include "wmisub/engine.hpp"
#include "wmisub/json/impl/model.inl"
#include "wmisub/json/impl/parse.inl"
#include "wmisub/json/json.hpp"
#include "wmisub/model.hpp"
#include "wmisub/wql/query.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

WMISUB_NAMESPACE_BEGIN
namespace detail {

inline constexpr const char* report_schema = "wmisub.report/1";

// Adds `key` when the list has items: kinds carry only the parameters that apply to them.
template <class List>
void json_put_list(json_value& out, const char* key, const List& items) {
    if (!items.empty()) out[key] = items;
}

[[nodiscard]] inline json_value json_write_schedule(const time_schedule& s) {
    json_value out = json_value::object();
    auto field = [&](const char* key, const std::optional<std::int64_t>& v) {
        if (v) out[key] = *v;
    };
    field("year", s.year);
    field("month", s.month);
    field("day", s.day);
    field("day_of_week", s.day_of_week);
    field("week_in_month", s.week_in_month);
    field("quarter", s.quarter);
    field("hour", s.hour);
    field("minute", s.minute);
    field("second", s.second);
    out["utc"] = s.utc;
    return out;
}

// The trigger's kind, its description and the parameters its kind has.
[[nodiscard]] inline json_value json_write_trigger(const trigger& t, std::optional<std::uint64_t> interval_ms) {
    json_value out{{"kind", std::string(to_string(t.kind))}, {"description", describe(t, interval_ms)}};
    if (t.uptime_min_seconds) out["uptime_min_seconds"] = *t.uptime_min_seconds;
    if (t.uptime_max_seconds) out["uptime_max_seconds"] = *t.uptime_max_seconds;
    if (!t.timer_id.empty()) out["timer_id"] = t.timer_id;
    if (t.kind == trigger_kind::time_of_day) out["schedule"] = json_write_schedule(t.schedule);
    json_put_list(out, "process_names", t.process_names);
    json_put_list(out, "service_names", t.service_names);
    json_put_list(out, "service_states", t.service_states);
    json_put_list(out, "registry_hives", t.registry_hives);
    json_put_list(out, "registry_paths", t.registry_paths);
    json_put_list(out, "registry_values", t.registry_values);
    json_put_list(out, "event_codes", t.event_codes);
    json_put_list(out, "event_logs", t.event_logs);
    json_put_list(out, "event_sources", t.event_sources);
    json_put_list(out, "logon_types", t.logon_types);
    json_put_list(out, "device_event_types", t.device_event_types);
    if (!t.watched_class.empty()) out["watched_class"] = t.watched_class;
    return out;
}

// The trigger of an entry as the report shows it: kind and parameters plus what the analysis found.
[[nodiscard]] inline json_value json_write_entry_trigger(const subscription_facts& f) {
    if (f.trigger == nullptr) return nullptr;
    const std::optional<std::uint64_t> interval = f.timer_interval_ms();
    json_value out = json_write_trigger(f.trigger->trigger, interval);
    out["event_class"] = f.trigger->event_class;
    out["category"] = std::string(to_string(f.trigger->category));
    out["target_class"] = f.trigger->target_class.empty() ? json_value(nullptr) : json_value(f.trigger->target_class);
    out["within_seconds"] = f.trigger->within_seconds ? json_value(*f.trigger->within_seconds) : json_value(nullptr);
    if (interval) out["timer_interval_ms"] = *interval;
    return out;
}

[[nodiscard]] inline json_value json_write_finding(const finding& fi) {
    json_value evidence = json_value::array();
    for (const wmisub::evidence& e : fi.evidence) {
        evidence.push_back({{"field", e.field}, {"excerpt", e.excerpt}, {"detail", e.detail}});
    }
    json_value techniques = json_value::array();
    for (const std::string& t : fi.techniques()) techniques.push_back(t);
    return {{"rule", fi.id()}, {"severity", std::string(to_string(fi.severity))}, {"title", fi.title()},
            {"techniques", std::move(techniques)}, {"evidence", std::move(evidence)}};
}

// One entry of `subscriptions`: state, namespace, objects, trigger, risk and findings.
[[nodiscard]] inline json_value json_write_assessment(const assessment& a) {
    const subscription_facts& f = a.facts;
    json_value out{{"state", std::string(to_string(f.entry->state))}, {"namespace", f.entry->namespace_path}};
    // Fingerprints from the graph's object table: computed once per object, shared with allow-lists and diffs.
    const object_key_table* keys = f.graph != nullptr ? &object_keys_of(*f.graph) : nullptr;
    const auto known = [&](const std::vector<object_keys> object_key_table::*kind, const std::optional<std::size_t>& at) {
        return keys != nullptr && at ? &((keys->*kind)[*at].fingerprint) : nullptr;
    };
    out["filter"] = f.filter != nullptr ? json_write_object(wmi_object{*f.filter}, known(&object_key_table::filters, f.entry->filter))
                                        : json_value(nullptr);
    out["consumer"] = f.consumer != nullptr
                          ? json_write_object(wmi_object{*f.consumer}, known(&object_key_table::consumers, f.entry->consumer))
                          : json_value(nullptr);
    out["binding"] = f.binding != nullptr
                         ? json_write_object(wmi_object{*f.binding}, known(&object_key_table::bindings, f.entry->binding))
                         : json_value(nullptr);
    out["trigger"] = json_write_entry_trigger(f);
    out["risk"] = {{"score", a.risk.score}, {"severity", std::string(to_string(a.risk.severity))}};
    out["allow_listed"] = a.allow_listed;
    if (!f.builtin.empty()) out["builtin"] = f.builtin;
    json_value findings = json_value::array();
    for (const finding& fi : a.findings) findings.push_back(json_write_finding(fi));
    out["findings"] = std::move(findings);
    return out;
}

[[nodiscard]] inline json_value json_write_report(std::span<const assessment> results, const snapshot& snap) {
    json_value subscriptions = json_value::array();
    for (const assessment& a : results) subscriptions.push_back(json_write_assessment(a));
    json_value errors = json_value::array();
    for (const collection_error& e : snap.errors) {
        errors.push_back({{"source", e.source}, {"namespace", e.namespace_path}, {"message", e.error.to_string()},
                          {"location", e.error.location.to_string()}});
    }
    return {{"schema", report_schema}, {"subscriptions", std::move(subscriptions)}, {"errors", std::move(errors)}};
}

// Cuts every string longer than `max_bytes` in place, at a UTF-8 character boundary,
// saying how much was left out.
inline void json_cap_strings(json_value& v, std::size_t max_bytes) {
    if (v.is_string()) {
        std::string& text = v.get_ref<std::string&>();
        if (text.size() <= max_bytes) return;
        std::size_t cut = max_bytes;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0u) == 0x80u) --cut;
        const std::size_t left_out = text.size() - cut;
        text.resize(cut);
        text += "\u2026 [" + std::to_string(left_out) + " more bytes]";
        return;
    }
    if (v.is_array() || v.is_object()) {
        for (json_value& item : v) json_cap_strings(item, max_bytes);
    }
}

// A member's text at depth one of the document, ready to follow `{` or `,`.
[[nodiscard]] inline std::string json_report_member(std::string_view key, const json_value& v, int indent) {
    std::string out = indent < 0 ? std::string() : "\n" + std::string(static_cast<std::size_t>(indent), ' ');
    json_dump_into(out, json_value(std::string(key)), -1, 0);
    out += indent < 0 ? ":" : ": ";
    json_dump_into(out, v, indent, 1);
    return out;
}

// Appends one subscription as an element of the "subscriptions" array (two levels deep).
inline void json_report_item(std::string& out, const assessment& a, const report_writer_options& options) {
    json_value item = json_write_assessment(a);
    if (options.max_text_bytes != 0) json_cap_strings(item, options.max_text_bytes);
    if (options.indent >= 0) {
        out += '\n';
        out.append(2 * static_cast<std::size_t>(options.indent), ' ');
    }
    json_dump_into(out, item, options.indent, 2);
}

// The "summary" member: how the scan and the collection ended.
[[nodiscard]] inline json_value json_report_summary(const snapshot& snap, const scan_summary* summary) {
    json_value out = json_value::object();
    if (summary != nullptr) {
        out["status"] = std::string(to_string(summary->status));
        out["entries"] = summary->entries;
        out["assessed"] = summary->assessed;
        out["warnings"] = summary->warnings;
    }
    out["collection_stopped"] = snap.stopped ? json_value(snap.stopped->to_string()) : json_value(nullptr);
    out["partial"] = snap.partial() || (summary != nullptr && !summary->complete());
    return out;
}

}  // namespace detail

WMISUB_NAMESPACE_END
