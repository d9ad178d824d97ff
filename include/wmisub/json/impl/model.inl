// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/json/json.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// wmisub's own JSON documents: objects, provenance, errors, snapshots
// (`wmisub.snapshot/1`), baselines (`wmisub.baseline/1`) and diffs
// (`wmisub.diff/1`), and the checksums sealing stored files.
//
// An object is written as
//   { "kind", "namespace", "class", <convenience fields>, "properties", "types",
//     "identity", "fingerprint", "provenance" }
// where the convenience fields follow DESIGN.md ("name", "query",
// "query_language", "event_namespace", "creator_sid" for filters; "name" for
// consumers; "filter", "consumer" for bindings; "timer_id" for timers) and are
// derived from "properties", which is authoritative when reading. Readers
// ignore unknown members and use the convenience fields only for properties
// that are missing (hand-written files).
#pragma once

#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/impl/model_fields.inl"
#include "wmisub/json/impl/parse.inl"
#include "wmisub/json/impl/time.inl"
#include "wmisub/json/impl/value_codec.inl"
#include "wmisub/json/json.hpp"
#include "wmisub/model.hpp"
#include "wmisub/result.hpp"
#include "wmisub/sid.hpp"
#include "wmisub/storage.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN

namespace detail {

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

[[nodiscard]] inline json_value json_tool() {
    json_value out = json_value::object();
    json_append_member(out, "name", json_value("wmisub"));
    json_append_member(out, "version", json_value(WMISUB_VERSION_STRING));
    return out;
}

// `{ "total", "filters", "consumers", "bindings", "timers", "other" }`: objects counted as every command counts them.
[[nodiscard]] inline json_value json_object_counts(const object_counts& c) {
    json_value out = json_value::object();
    json_append_member(out, "total", json_value(static_cast<std::uint64_t>(c.total())));
    json_append_member(out, "filters", json_value(static_cast<std::uint64_t>(c.filters)));
    json_append_member(out, "consumers", json_value(static_cast<std::uint64_t>(c.consumers)));
    json_append_member(out, "bindings", json_value(static_cast<std::uint64_t>(c.bindings)));
    json_append_member(out, "timers", json_value(static_cast<std::uint64_t>(c.timers)));
    json_append_member(out, "other", json_value(static_cast<std::uint64_t>(c.other)));
    return out;
}

[[nodiscard]] inline json_value json_time_or_null(const std::optional<timestamp>& t) {
    return t ? json_value(to_iso8601(*t)) : json_value(nullptr);
}

[[nodiscard]] inline json_value json_write_position(const source_location& at) {
    json_value out = json_value::object();
    if (!at.source.empty()) json_append_member(out, "source", json_value(json_utf8(at.source)));
    if (at.line != 0) json_append_member(out, "line", json_value(static_cast<std::uint64_t>(at.line)));
    if (at.column != 0) json_append_member(out, "column", json_value(static_cast<std::uint64_t>(at.column)));
    if (at.offset != source_location::npos) {
        json_append_member(out, "offset", json_value(static_cast<std::uint64_t>(at.offset)));
    }
    return out;
}

// `"kind", "detail", "position"`: an annotation's members (an object_annotation adds "target").
inline void json_write_annotation_members(json_value& out, const annotation& a) {
    json_append_member(out, "kind", json_value(std::string(to_string(a.kind))));
    if (!a.detail.empty()) json_append_member(out, "detail", json_value(json_utf8(a.detail)));
    json_append_member(out, "position", json_write_position(a.where));
}

[[nodiscard]] inline json_value json_write_annotations(const std::vector<annotation>& notes) {
    json_value out = json_value::array();
    for (const annotation& a : notes) {
        json_value item = json_value::object();
        json_write_annotation_members(item, a);
        out.push_back(std::move(item));
    }
    return out;
}

[[nodiscard]] inline json_value json_write_provenance(const provenance& p) {
    json_value out = json_value::object();
    json_append_member(out, "kind", json_value(std::string(to_string(p.kind))));
    if (!p.where.source.empty()) json_append_member(out, "source", json_value(json_utf8(p.where.source)));
    if (p.where.line != 0) json_append_member(out, "line", json_value(static_cast<std::uint64_t>(p.where.line)));
    if (p.where.column != 0) json_append_member(out, "column", json_value(static_cast<std::uint64_t>(p.where.column)));
    if (p.where.offset != source_location::npos) {
        json_append_member(out, "offset", json_value(static_cast<std::uint64_t>(p.where.offset)));
    }
    if (p.page) json_append_member(out, "page", json_value(*p.page));
    if (p.record) json_append_member(out, "record", json_value(*p.record));
    if (p.event_record_id) json_append_member(out, "event_record_id", json_value(*p.event_record_id));
    if (p.created) json_append_member(out, "created", json_value(to_iso8601(*p.created)));
    if (p.modified) json_append_member(out, "modified", json_value(to_iso8601(*p.modified)));
    if (!p.actor_sid.empty()) json_append_member(out, "actor_sid", json_value(json_utf8(p.actor_sid)));
    if (!p.annotations.empty()) json_append_member(out, "annotations", json_write_annotations(p.annotations));
    return out;
}

// Error members, shared by errors and collection errors.
inline void json_write_error_members(json_value& out, const error& e) {
    json_append_member(out, "code", json_value(std::string(to_string(e.code))));
    json_append_member(out, "message", json_value(json_utf8(e.message)));
    json_append_member(out, "location", json_value(json_utf8(e.location.to_string())));
    json_append_member(out, "position", json_write_position(e.location));
    if (!e.expected.empty()) json_append_member(out, "expected", json_value(json_utf8(e.expected)));
}

[[nodiscard]] inline json_value json_write_error(const error& e) {
    json_value out = json_value::object();
    json_write_error_members(out, e);
    return out;
}

// `{ "source", "namespace", "code", "message", "location", "position", "expected" }`.
[[nodiscard]] inline json_value json_write_collection_error(const collection_error& e) {
    json_value out = json_value::object();
    json_append_member(out, "source", json_value(json_utf8(e.source)));
    json_append_member(out, "namespace", json_value(json_utf8(e.namespace_path)));
    json_write_error_members(out, e.error);
    return out;
}

[[nodiscard]] inline json_value json_strings(const std::vector<std::string>& items) {
    json_value out = json_value::array();
    for (const std::string& s : items) out.push_back(json_value(json_utf8(s)));
    return out;
}

[[nodiscard]] inline json_value json_optional_text(const std::optional<std::string>& s) {
    return s ? json_value(json_utf8(*s)) : json_value(nullptr);
}

[[nodiscard]] inline json_value json_creator_sid(const object_header& h) { return json_optional_text(h.creator_sid_string()); }

// An object of any kind (see the header comment).
[[nodiscard]] inline json_value json_write_object(const wmi_object& o, const std::string* known_fingerprint = nullptr) {
    json_value out = json_value::object();
    const object_kind kind = kind_of(o);
    json_append_member(out, "kind", json_value(std::string(to_string(kind))));
    json_append_member(out, "namespace", json_value(json_utf8(namespace_of(o))));
    json_append_member(out, "class", json_value(json_utf8(class_name_of(o))));
    switch (kind) {
    case object_kind::filter: {
        const auto& f = std::get<event_filter>(o);
        json_append_member(out, "name", json_value(json_utf8(f.name)));
        json_append_member(out, "query", json_value(json_utf8(f.query)));
        json_append_member(out, "query_language", json_optional_text(f.query_language));
        json_append_member(out, "event_namespace", json_optional_text(f.event_namespace));
        json_append_member(out, "creator_sid", json_creator_sid(f));
        break;
    }
    case object_kind::consumer: {
        const auto& c = std::get<consumer>(o);
        const consumer_header& h = header_of(c);
        json_append_member(out, "name", json_value(json_utf8(h.name)));
        json_append_member(out, "creator_sid", json_creator_sid(h));
        if (const auto* custom = std::get_if<custom_consumer>(&c)) {
            json_append_member(out, "key_names", json_strings(custom->key_names));
            json_append_member(out, "derivation", json_strings(custom->derivation));
        }
        break;
    }
    case object_kind::binding: {
        const auto& b = std::get<binding>(o);
        json_append_member(out, "filter", json_value(json_utf8(b.filter)));
        json_append_member(out, "consumer", json_value(json_utf8(b.consumer)));
        json_append_member(out, "creator_sid", json_creator_sid(b));
        break;
    }
    case object_kind::timer: {
        const auto& t = std::get<timer_instruction>(o);
        json_append_member(out, "timer_id", json_value(json_utf8(t.timer_id)));
        json_append_member(out, "creator_sid", json_creator_sid(t));
        break;
    }
    case object_kind::instance: {
        const auto& in = std::get<instance>(o);
        json_append_member(out, "key_names", json_strings(in.key_names));
        json_append_member(out, "derivation", json_strings(in.derivation));
        break;
    }
    }
    json_write_bag(out, properties_of(o), 0);
    json_append_member(out, "identity", json_value(json_utf8(to_string(identity_of(o)))));
    json_append_member(out, "fingerprint", json_value(known_fingerprint != nullptr ? *known_fingerprint : fingerprint(o)));
    json_append_member(out, "provenance", json_write_provenance(origin_of(o)));
    return out;
}

template <class Range>
[[nodiscard]] json_value json_write_objects(const Range& items) {
    json_value out = json_value::array();
    auto* list = out.get_ptr<json_value::array_t*>();
    list->reserve(items.size());
    for (const auto& item : items) list->push_back(json_write_object(wmi_object{item}));
    return out;
}

[[nodiscard]] inline json_value json_write_snapshot(const snapshot& s) {
    json_value out = json_value::object();
    json_append_member(out, "schema", json_value(std::string(snapshot_schema)));
    json_append_member(out, "tool", json_tool());
    json_append_member(out, "host", json_value(json_utf8(s.host)));
    json_append_member(out, "collected_at", json_time_or_null(s.collected_at));
    json_append_member(out, "filters", json_write_objects(s.filters));
    json_append_member(out, "consumers", json_write_objects(s.consumers));
    json_append_member(out, "bindings", json_write_objects(s.bindings));
    json_append_member(out, "timers", json_write_objects(s.timers));
    json_append_member(out, "other_objects", json_write_objects(s.other_objects));
    json_value errors = json_value::array();
    for (const collection_error& e : s.errors) errors.push_back(json_write_collection_error(e));
    json_append_member(out, "errors", std::move(errors));
    if (!s.annotations.empty()) {
        json_value notes = json_value::array();
        for (const object_annotation& a : s.annotations) {
            json_value item = json_value::object();
            json_append_member(item, "target", json_value(json_utf8(a.target)));
            json_write_annotation_members(item, a.note);
            notes.push_back(std::move(item));
        }
        json_append_member(out, "annotations", std::move(notes));
    }
    if (s.stopped) json_append_member(out, "stopped", json_write_error(*s.stopped));
    if (s.readable_consumer_classes) {
        json_value classes = json_value::array();
        for (const std::string& c : *s.readable_consumer_classes) classes.push_back(json_value(json_utf8(c)));
        json_append_member(out, "readable_consumer_classes", std::move(classes));
    }
    return out;
}

[[nodiscard]] inline json_value json_write_baseline(const baseline& b) {
    json_value out = json_value::object();
    json_append_member(out, "schema", json_value(std::string(baseline_schema)));
    json_value tool = json_tool();
    if (!b.tool_version.empty()) {
        // The version that made the baseline, which may be older than this one.
        tool = json_value::object();
        json_append_member(tool, "name", json_value("wmisub"));
        json_append_member(tool, "version", json_value(json_utf8(b.tool_version)));
    }
    json_append_member(out, "tool", std::move(tool));
    json_append_member(out, "fingerprint_version", json_value(static_cast<std::int64_t>(fingerprint_version)));
    json_append_member(out, "host", json_value(json_utf8(b.host)));
    json_append_member(out, "created", json_time_or_null(b.created));
    json_append_member(out, "comment", json_value(json_utf8(b.comment)));
    json_value entries = json_value::array();
    auto* list = entries.get_ptr<json_value::array_t*>();
    list->reserve(b.entries.size());
    for (const baseline_entry& e : b.entries) list->push_back(json_write_object(e.object));
    json_append_member(out, "entries", std::move(entries));
    return out;
}

[[nodiscard]] inline json_value json_write_change(const field_change& c) {
    json_value out = json_value::object();
    json_append_member(out, "field", json_value(json_utf8(c.field)));
    json_append_member(out, "old", c.old_value ? json_plain_of(*c.old_value) : json_value(nullptr));
    json_append_member(out, "new", c.new_value ? json_plain_of(*c.new_value) : json_value(nullptr));
    json_append_member(out, "old_type", c.old_value ? json_type_of(*c.old_value) : json_value(nullptr));
    json_append_member(out, "new_type", c.new_value ? json_type_of(*c.new_value) : json_value(nullptr));
    json_append_member(out, "old_text", json_value(json_utf8(c.old_text)));
    json_append_member(out, "new_text", json_value(json_utf8(c.new_text)));
    return out;
}

[[nodiscard]] inline json_value json_write_rebinding(const rebinding& r) {
    json_value out = json_value::object();
    const bool by_filter = r.anchor == rebinding_anchor::filter;
    json_append_member(out, "anchor", json_value(std::string(to_string(r.anchor))));
    json_append_member(out, "namespace", json_value(json_utf8(r.namespace_path)));
    json_append_member(out, by_filter ? "filter" : "consumer", json_value(json_utf8(r.anchor_path)));
    json_append_member(out, by_filter ? "old_consumer" : "old_filter", json_value(json_utf8(r.old_peer)));
    json_append_member(out, by_filter ? "new_consumer" : "new_filter", json_value(json_utf8(r.new_peer)));
    json_append_member(out, "old_binding", json_value(json_utf8(r.old_binding)));
    json_append_member(out, "new_binding", json_value(json_utf8(r.new_binding)));
    json_append_member(out, "description", json_value(json_utf8(r.description)));
    return out;
}

// `{ "schema": "wmisub.diff/1", "added": [object…], "removed": [object…],
//    "modified": [ { "object", "changes": [ { "field", "old", "new", … } ], … } ], "rebindings", … }`.
[[nodiscard]] inline json_value json_write_diff(const baseline_diff& d) {
    json_value out = json_value::object();
    json_append_member(out, "schema", json_value(std::string(diff_schema)));
    json_append_member(out, "tool", json_tool());
    json_value base = json_value::object();
    json_append_member(base, "host", json_value(json_utf8(d.baseline_host)));
    json_append_member(base, "created", json_time_or_null(d.baseline_created));
    json_append_member(out, "baseline", std::move(base));
    json_value snap = json_value::object();
    json_append_member(snap, "host", json_value(json_utf8(d.snapshot_host)));
    json_append_member(snap, "collected_at", json_time_or_null(d.snapshot_collected_at));
    json_append_member(out, "snapshot", std::move(snap));
    json_value summary = json_value::object();
    json_append_member(summary, "added", json_value(static_cast<std::uint64_t>(d.added.size())));
    json_append_member(summary, "removed", json_value(static_cast<std::uint64_t>(d.removed.size())));
    json_append_member(summary, "modified", json_value(static_cast<std::uint64_t>(d.modified.size())));
    json_append_member(summary, "rebindings", json_value(static_cast<std::uint64_t>(d.rebindings.size())));
    json_append_member(summary, "unchanged", json_value(static_cast<std::uint64_t>(d.unchanged)));
    json_append_member(summary, "repeated", json_value(static_cast<std::uint64_t>(d.repeated)));
    json_append_member(summary, "approved_objects", json_object_counts(d.approved));
    json_append_member(summary, "observed_objects", json_object_counts(d.observed));
    json_append_member(summary, "errors", json_value(static_cast<std::uint64_t>(d.errors.size())));
    json_append_member(out, "summary", std::move(summary));
    json_value added = json_value::array();
    for (const diff_object& a : d.added) added.push_back(json_write_object(a.object));
    json_append_member(out, "added", std::move(added));
    json_value removed = json_value::array();
    for (const diff_object& r : d.removed) removed.push_back(json_write_object(r.object));
    json_append_member(out, "removed", std::move(removed));
    json_value modified = json_value::array();
    for (const modified_object& m : d.modified) {
        json_value entry = json_value::object();
        json_append_member(entry, "kind", json_value(std::string(to_string(m.kind))));
        json_append_member(entry, "identity", json_value(json_utf8(m.identity)));
        json_append_member(entry, "fingerprint", json_value(m.new_fingerprint));
        json_append_member(entry, "old_fingerprint", json_value(m.old_fingerprint));
        json_append_member(entry, "object", json_write_object(m.new_object));
        json_append_member(entry, "old_object", json_write_object(m.old_object));
        json_value changes = json_value::array();
        for (const field_change& c : m.changes) changes.push_back(json_write_change(c));
        json_append_member(entry, "changes", std::move(changes));
        modified.push_back(std::move(entry));
    }
    json_append_member(out, "modified", std::move(modified));
    json_value rebindings = json_value::array();
    for (const rebinding& r : d.rebindings) rebindings.push_back(json_write_rebinding(r));
    json_append_member(out, "rebindings", std::move(rebindings));
    json_value errors = json_value::array();
    for (const collection_error& e : d.errors) errors.push_back(json_write_collection_error(e));
    json_append_member(out, "errors", std::move(errors));
    return out;
}

// ---------------------------------------------------------------------------
// Checksums
// ---------------------------------------------------------------------------

// The canonical text the checksum of a document covers: everything but its "checksum" member.
[[nodiscard]] inline std::string json_checksum_content(const json_value& doc) {
    std::string out;
    json_append_canonical(out, doc, "checksum", true);
    return out;
}

// Sets the document's "checksum" member (last) to the checksum of the rest.
inline void json_seal(json_value& doc) {
    if (!doc.is_object()) return;
    if (auto* members = doc.get_ptr<json_value::object_t*>()) members->erase(std::string("checksum"));
    json_append_member(doc, "checksum", json_value(content_checksum(json_checksum_content(doc))));
}

// Checks the "checksum" member: true when present and right, false when absent
// and not required, corrupt_data otherwise.
WMISUB_API result<bool> json_verify_seal(const json_value& doc, bool required, std::string_view what) {
    const json_value* stated = json_member(doc, "checksum");
    if (stated == nullptr || stated->is_null()) {
        if (!required) return false;
        return make_error(errc::corrupt_data, std::string(what) +
                                                  " has no checksum: it was not written by wmisub or was edited by hand");
    }
    const std::string* text = stated->get_ptr<const std::string*>();
    if (text == nullptr) return make_error(errc::corrupt_data, std::string(what) + " has a checksum that is not a string");
    auto ok = verify_content_checksum(*text, json_checksum_content(doc), what);
    if (!ok) return ok.error();
    return true;
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

// An optional string member: nullptr when absent or null; an error when of another type.
[[nodiscard]] inline result<const std::string*> json_opt_string(const json_value& object, std::string_view key,
                                                                std::string_view pointer, const json_read_context& ctx) {
    const json_value* v = json_member(object, key);
    if (v == nullptr || v->is_null()) return static_cast<const std::string*>(nullptr);
    const std::string* s = v->get_ptr<const std::string*>();
    if (s == nullptr) {
        return ctx.at(errc::type_mismatch, json_pointer(pointer, key), "expected a string, got " + json_kind_name(*v),
                      "a string");
    }
    return s;
}

// A required string member.
[[nodiscard]] inline result<const std::string*> json_req_string(const json_value& object, std::string_view key,
                                                                std::string_view pointer, const json_read_context& ctx) {
    auto s = json_opt_string(object, key, pointer, ctx);
    if (!s) return s;
    if (*s == nullptr) {
        return ctx.at(errc::missing_field, json_pointer(pointer, key), "missing required \"" + std::string(key) + "\"",
                      "a string");
    }
    return s;
}

[[nodiscard]] inline result<std::optional<std::uint64_t>> json_opt_uint(const json_value& object, std::string_view key,
                                                                        std::string_view pointer,
                                                                        const json_read_context& ctx) {
    const json_value* v = json_member(object, key);
    if (v == nullptr || v->is_null()) return std::optional<std::uint64_t>{};
    if (const auto* u = v->get_ptr<const json_value::number_unsigned_t*>()) return std::optional<std::uint64_t>{*u};
    if (const auto* i = v->get_ptr<const json_value::number_integer_t*>(); i != nullptr && *i >= 0) {
        return std::optional<std::uint64_t>{static_cast<std::uint64_t>(*i)};
    }
    return ctx.at(errc::type_mismatch, json_pointer(pointer, key),
                  "expected a non-negative integer, got " + json_kind_name(*v), "a non-negative integer");
}

[[nodiscard]] inline result<std::optional<timestamp>> json_opt_time(const json_value& object, std::string_view key,
                                                                    std::string_view pointer,
                                                                    const json_read_context& ctx) {
    auto s = json_opt_string(object, key, pointer, ctx);
    if (!s) return s.error();
    if (*s == nullptr) return std::optional<timestamp>{};
    const auto t = parse_iso8601_instant(**s);
    if (!t) {
        return ctx.at(errc::syntax_error, json_pointer(pointer, key), "invalid time \"" + json_utf8(**s) + "\"",
                      "ISO 8601 such as 2024-05-01T10:00:00.000000Z");
    }
    return std::optional<timestamp>{*t};
}

[[nodiscard]] inline result<std::vector<std::string>> json_opt_strings(const json_value& object, std::string_view key,
                                                                       std::string_view pointer,
                                                                       const json_read_context& ctx) {
    std::vector<std::string> out;
    const json_value* v = json_member(object, key);
    if (v == nullptr || v->is_null()) return out;
    const auto* list = v->get_ptr<const json_value::array_t*>();
    if (list == nullptr) {
        return ctx.at(errc::type_mismatch, json_pointer(pointer, key), "expected an array of strings, got " + json_kind_name(*v),
                      "an array of strings");
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string* s = (*list)[i].get_ptr<const std::string*>();
        if (s == nullptr) {
            return ctx.at(errc::type_mismatch, json_pointer(json_pointer(pointer, key), i),
                          "expected a string, got " + json_kind_name((*list)[i]), "a string");
        }
        out.push_back(*s);
    }
    return out;
}

[[nodiscard]] inline result<void> json_expect_object(const json_value& v, std::string_view pointer,
                                                     const json_read_context& ctx, std::string_view what) {
    if (v.is_object()) return {};
    return ctx.at(errc::type_mismatch, pointer, "expected " + std::string(what) + " (an object), got " + json_kind_name(v),
                  "an object");
}

[[nodiscard]] inline std::optional<source_kind> source_kind_from_string(std::string_view name) noexcept {
    for (const source_kind k : {source_kind::unknown, source_kind::mock, source_kind::mof, source_kind::snapshot,
                                source_kind::event_log, source_kind::repository, source_kind::com}) {
        if (name == to_string(k)) return k;
    }
    return std::nullopt;
}

[[nodiscard]] inline std::optional<errc> errc_from_string(std::string_view name) noexcept {
    for (auto c = static_cast<int>(errc::invalid_argument); c <= static_cast<int>(errc::internal); ++c) {
        const auto code = static_cast<errc>(c);
        if (name == to_string(code)) return code;
    }
    return std::nullopt;
}

// Reads {"source", "line", "column", "offset"} into a location.
[[nodiscard]] inline result<source_location> json_read_position(const json_value& j, std::string_view pointer,
                                                                 const json_read_context& ctx) {
    source_location at;
    if (auto ok = json_expect_object(j, pointer, ctx, "a position"); !ok) return ok.error();
    auto source = json_opt_string(j, "source", pointer, ctx);
    if (!source) return source.error();
    if (*source != nullptr) at.source = **source;
    for (const auto& [key, member] : {std::pair<std::string_view, std::size_t*>{"line", &at.line},
                                      std::pair<std::string_view, std::size_t*>{"column", &at.column},
                                      std::pair<std::string_view, std::size_t*>{"offset", &at.offset}}) {
        auto n = json_opt_uint(j, key, pointer, ctx);
        if (!n) return n.error();
        if (*n) *member = static_cast<std::size_t>(**n);
    }
    return at;
}

// An optional array member.
[[nodiscard]] inline result<const json_value::array_t*> json_opt_array(const json_value& object, std::string_view key,
                                                                      std::string_view pointer,
                                                                      const json_read_context& ctx) {
    const json_value* v = json_member(object, key);
    if (v == nullptr || v->is_null()) return static_cast<const json_value::array_t*>(nullptr);
    const auto* list = v->get_ptr<const json_value::array_t*>();
    if (list == nullptr) {
        return ctx.at(errc::type_mismatch, json_pointer(pointer, key), "expected an array, got " + json_kind_name(*v),
                      "an array");
    }
    return list;
}

// An annotation's members (after json_write_annotation_members), into `a`.
[[nodiscard]] inline result<void> json_read_annotation(const json_value& j, std::string_view pointer,
                                                       const json_read_context& ctx, annotation& a) {
    if (auto ok = json_expect_object(j, pointer, ctx, "an annotation"); !ok) return ok.error();
    auto kind = json_opt_string(j, "kind", pointer, ctx);
    if (!kind) return kind.error();
    bool known = false;
    for (annotation_kind k : {annotation_kind::autorecover, annotation_kind::deleted, annotation_kind::recovered,
                              annotation_kind::seen_in_event_log, annotation_kind::incomplete}) {
        if (*kind != nullptr && **kind == to_string(k)) {
            a.kind = k;
            known = true;
        }
    }
    if (!known) {
        return ctx.at(errc::type_mismatch, json_pointer(pointer, "kind"), "unknown or missing annotation kind",
                      "autorecover, deleted, recovered, seen_in_event_log or incomplete");
    }
    auto detail = json_opt_string(j, "detail", pointer, ctx);
    if (!detail) return detail.error();
    if (*detail != nullptr) a.detail = **detail;
    if (const json_value* position = json_member(j, "position"); position != nullptr && !position->is_null()) {
        auto at = json_read_position(*position, json_pointer(pointer, "position"), ctx);
        if (!at) return at.error();
        a.where = std::move(*at);
    }
    return {};
}

WMISUB_API result<provenance> json_read_provenance(const json_value& j, std::string_view pointer,
                                                   const json_read_context& ctx) {
    provenance p;
    if (auto ok = json_expect_object(j, pointer, ctx, "a provenance"); !ok) return ok.error();
    auto kind = json_opt_string(j, "kind", pointer, ctx);
    if (!kind) return kind.error();
    if (*kind != nullptr) {
        const auto k = source_kind_from_string(**kind);
        if (!k) {
            return ctx.at(errc::type_mismatch, json_pointer(pointer, "kind"), "unknown source kind \"" + json_utf8(**kind) + "\"",
                          "mock, mof, snapshot, event_log, repository, com or unknown");
        }
        p.kind = *k;
    }
    auto source = json_opt_string(j, "source", pointer, ctx);
    if (!source) return source.error();
    if (*source != nullptr) p.where.source = **source;
    for (const auto& [key, member] : {std::pair<std::string_view, std::size_t*>{"line", &p.where.line},
                                      std::pair<std::string_view, std::size_t*>{"column", &p.where.column},
                                      std::pair<std::string_view, std::size_t*>{"offset", &p.where.offset}}) {
        auto n = json_opt_uint(j, key, pointer, ctx);
        if (!n) return n.error();
        if (*n) *member = static_cast<std::size_t>(**n);
    }
    for (const auto& [key, member] : {std::pair<std::string_view, std::optional<std::uint64_t>*>{"page", &p.page},
                                      std::pair<std::string_view, std::optional<std::uint64_t>*>{"record", &p.record},
                                      std::pair<std::string_view, std::optional<std::uint64_t>*>{"event_record_id",
                                                                                                 &p.event_record_id}}) {
        auto n = json_opt_uint(j, key, pointer, ctx);
        if (!n) return n.error();
        *member = *n;
    }
    auto created = json_opt_time(j, "created", pointer, ctx);
    if (!created) return created.error();
    p.created = *created;
    auto modified = json_opt_time(j, "modified", pointer, ctx);
    if (!modified) return modified.error();
    p.modified = *modified;
    auto actor = json_opt_string(j, "actor_sid", pointer, ctx);
    if (!actor) return actor.error();
    if (*actor != nullptr) p.actor_sid = **actor;
    auto notes = json_opt_array(j, "annotations", pointer, ctx);
    if (!notes) return notes.error();
    if (*notes != nullptr) {
        const std::string notes_pointer = json_pointer(pointer, "annotations");
        for (std::size_t i = 0; i < (*notes)->size(); ++i) {
            annotation a;
            if (auto ok = json_read_annotation((**notes)[i], json_pointer(notes_pointer, i), ctx, a); !ok) return ok.error();
            p.annotations.push_back(std::move(a));
        }
    }
    return p;
}

// Reads an error's members into `e` (result<error> would be ambiguous).
[[nodiscard]] inline result<void> json_read_error(const json_value& j, std::string_view pointer,
                                                  const json_read_context& ctx, error& e) {
    if (auto ok = json_expect_object(j, pointer, ctx, "an error"); !ok) return ok.error();
    auto code = json_opt_string(j, "code", pointer, ctx);
    if (!code) return code.error();
    e.code = errc::internal;
    if (*code != nullptr) {
        // A code from a newer wmisub is kept as `internal` with its name in the message.
        if (const auto known = errc_from_string(**code)) {
            e.code = *known;
        } else {
            e.message = "[" + **code + "] ";
        }
    }
    auto message = json_opt_string(j, "message", pointer, ctx);
    if (!message) return message.error();
    if (*message != nullptr) e.message += **message;
    if (const json_value* position = json_member(j, "position"); position != nullptr && !position->is_null()) {
        auto at = json_read_position(*position, json_pointer(pointer, "position"), ctx);
        if (!at) return at.error();
        e.location = std::move(*at);
    } else {
        auto location = json_opt_string(j, "location", pointer, ctx);
        if (!location) return location.error();
        if (*location != nullptr) e.location.source = **location;
    }
    auto expected = json_opt_string(j, "expected", pointer, ctx);
    if (!expected) return expected.error();
    if (*expected != nullptr) e.expected = **expected;
    return {};
}

WMISUB_API result<collection_error> json_read_collection_error(const json_value& j, std::string_view pointer,
                                                               const json_read_context& ctx) {
    collection_error out;
    if (auto e = json_read_error(j, pointer, ctx, out.error); !e) return e.error();
    auto source = json_opt_string(j, "source", pointer, ctx);
    if (!source) return source.error();
    if (*source != nullptr) out.source = **source;
    auto ns = json_opt_string(j, "namespace", pointer, ctx);
    if (!ns) return ns.error();
    if (*ns != nullptr) out.namespace_path = **ns;
    return out;
}

// A property of a typed object that ended in `extra` although the model has a
// field of that name: its value had a type the field cannot take.
// Only properties without a "types" entry count: a typed value the model could
// not take was written that way on purpose (the source delivered it so, and
// the collection reported it then), so reading it again is not a new error.
template <class T>
[[nodiscard]] std::optional<std::pair<std::string, cim_type>> json_mistyped_field(const T& typed,
                                                                                  const std::vector<std::string>& untyped) {
    constexpr auto fields = model_fields<T>::list();
    for (const property& p : typed.extra) {
        if (p.value.is_null() && !p.value.is_array()) continue;
        if (std::find(untyped.begin(), untyped.end(), p.name) == untyped.end()) continue;
        if (iequals(p.name, "CreatorSID")) return std::pair<std::string, cim_type>{p.name, cim_type::uint8};
        std::optional<cim_type> expected;
        std::apply(
            [&](const auto&... f) {
                const auto check = [&](const auto& field) {
                    if (!expected && iequals(p.name, field.name)) expected = field.type;
                };
                (check(f), ...);
            },
            fields);
        if (expected) return std::pair<std::string, cim_type>{p.name, *expected};
    }
    return std::nullopt;
}

[[nodiscard]] inline std::optional<std::pair<std::string, cim_type>> json_mistyped(const wmi_object& o,
                                                                                   const std::vector<std::string>& untyped) {
    return std::visit(
        [&untyped](const auto& typed) -> std::optional<std::pair<std::string, cim_type>> {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, instance>) {
                return std::nullopt;
            } else if constexpr (std::is_same_v<T, consumer>) {
                return std::visit([&untyped](const auto& c) { return json_mistyped_field(c, untyped); }, typed);
            } else {
                return json_mistyped_field(typed, untyped);
            }
        },
        o);
}

// The model's expectation for a field, for messages: "uint32", "uint8[] or a SID string".
[[nodiscard]] inline std::string json_field_expectation(std::string_view name, cim_type t) {
    if (iequals(name, "CreatorSID")) return "uint8[] (SID bytes) or an S-1-... string";
    if (iequals(name, "InsertionStringTemplates") || iequals(name, "HeaderFields")) return "string[]";
    return std::string(to_string(t));
}

// Reads one object. `expected` is the kind its array implies (nullopt: any,
// as in baselines where "kind" decides). Instances are kept as they are;
// other kinds are typed by their class as every source does.
WMISUB_API result<wmi_object> json_read_object(const json_value& j, std::string_view pointer,
                                               const json_read_context& ctx,
                                               std::optional<object_kind> expected) {
    if (auto ok = json_expect_object(j, pointer, ctx, "a WMI object"); !ok) return ok.error();
    std::optional<object_kind> kind = expected;
    auto kind_text = json_opt_string(j, "kind", pointer, ctx);
    if (!kind_text) return kind_text.error();
    if (*kind_text != nullptr) {
        const auto named = object_kind_from_string(**kind_text);
        if (!named) {
            return ctx.at(errc::type_mismatch, json_pointer(pointer, "kind"), "unknown kind \"" + json_utf8(**kind_text) + "\"",
                          "filter, consumer, binding, timer or instance");
        }
        if (expected && *named != *expected) {
            return ctx.at(errc::type_mismatch, json_pointer(pointer, "kind"),
                          "a " + std::string(to_string(*named)) + " where a " + std::string(to_string(*expected)) +
                              " belongs",
                          std::string(to_string(*expected)));
        }
        kind = named;
    }
    if (!kind) {
        return ctx.at(errc::missing_field, json_pointer(pointer, "kind"), "missing \"kind\"",
                      "filter, consumer, binding, timer or instance");
    }
    instance in;
    auto ns = json_opt_string(j, "namespace", pointer, ctx);
    if (!ns) return ns.error();
    if (*ns != nullptr) in.namespace_path = **ns;
    auto cls = json_opt_string(j, "class", pointer, ctx);
    if (!cls) return cls.error();
    if (*cls != nullptr) {
        in.class_name = **cls;
    } else if (*kind == object_kind::filter) {
        in.class_name = std::string(class_names::event_filter);
    } else if (*kind == object_kind::binding) {
        in.class_name = std::string(class_names::binding);
    } else {
        return ctx.at(errc::missing_field, json_pointer(pointer, "class"), "missing the WMI class", "a class name");
    }
    auto derivation = json_opt_strings(j, "derivation", pointer, ctx);
    if (!derivation) return derivation.error();
    in.derivation = std::move(*derivation);
    auto key_names = json_opt_strings(j, "key_names", pointer, ctx);
    if (!key_names) return key_names.error();
    in.key_names = std::move(*key_names);
    std::vector<std::string> untyped;
    auto props = json_read_bag(j, pointer, ctx, &untyped);
    if (!props) return props.error();
    in.properties = std::move(*props);
    if (const json_value* prov = json_member(j, "provenance"); prov != nullptr && !prov->is_null()) {
        auto origin = json_read_provenance(*prov, json_pointer(pointer, "provenance"), ctx);
        if (!origin) return origin.error();
        in.origin = std::move(*origin);
    } else {
        // A hand-written object: it comes from this file.
        in.origin.kind = source_kind::snapshot;
        in.origin.where.source = ctx.source;
    }

    // Convenience fields stand in for properties a hand-written file left out.
    auto fallback = [&](std::string_view property_name, std::string_view key, bool reference) -> result<void> {
        if (in.get(property_name) != nullptr) return {};
        auto text = json_opt_string(j, key, pointer, ctx);
        if (!text) return text.error();
        if (*text != nullptr && !(*text)->empty()) {
            in.set(property_name, reference ? value::reference(**text) : value::string(**text));
            untyped.emplace_back(property_name);
        }
        return {};
    };
    // A custom consumer whose key is not Name writes "name" for people only.
    const bool name_is_key = in.key_names.empty() || std::any_of(in.key_names.begin(), in.key_names.end(), [](const std::string& k) {
                                 return iequals(k, "Name");
                             });
    result<void> filled;
    switch (*kind) {
    case object_kind::filter:
        if (filled = fallback("Name", "name", false); !filled) return filled.error();
        if (filled = fallback("Query", "query", false); !filled) return filled.error();
        if (filled = fallback("QueryLanguage", "query_language", false); !filled) return filled.error();
        if (filled = fallback("EventNamespace", "event_namespace", false); !filled) return filled.error();
        break;
    case object_kind::consumer:
        if (!name_is_key) break;
        if (filled = fallback("Name", "name", false); !filled) return filled.error();
        break;
    case object_kind::binding:
        if (filled = fallback("Filter", "filter", true); !filled) return filled.error();
        if (filled = fallback("Consumer", "consumer", true); !filled) return filled.error();
        break;
    case object_kind::timer:
        if (filled = fallback("TimerId", "timer_id", false); !filled) return filled.error();
        break;
    case object_kind::instance: break;
    }
    if (*kind != object_kind::instance && in.get("CreatorSID") == nullptr) {
        auto sid = json_opt_string(j, "creator_sid", pointer, ctx);
        if (!sid) return sid.error();
        if (*sid != nullptr) {
            auto bytes = parse_sid(**sid);
            if (!bytes) {
                return ctx.at(errc::syntax_error, json_pointer(pointer, "creator_sid"),
                              "invalid SID: " + bytes.error().message, "S-1-...");
            }
            in.set("CreatorSID", value::bytes(*bytes));
        }
    }

    if (*kind == object_kind::instance) return wmi_object{std::move(in)};
    if (*kind == object_kind::consumer && !is_consumer_class(in.class_name, in.derivation)) {
        // Listed as a consumer: its class derives from __EventConsumer even when the file does not say so.
        in.derivation.emplace_back(class_names::event_consumer);
    }
    auto typed = from_instance(in, nullptr);
    if (!typed) {
        const error& why = typed.error();
        std::string missing = "Name";
        if (*kind == object_kind::binding) {
            missing = in.get("Filter") == nullptr || in.get("Filter")->as_string() == nullptr ? "Filter" : "Consumer";
        } else if (*kind == object_kind::timer) {
            missing = "TimerId";
        }
        return ctx.at(why.code, json_pointer(json_pointer(pointer, "properties"), missing),
                      "missing or unusable key property " + missing, "a string");
    }
    if (kind_of(*typed) != *kind) {
        return ctx.at(errc::type_mismatch, json_pointer(pointer, "class"),
                      "class " + json_utf8(in.class_name) + " is a " + std::string(to_string(kind_of(*typed))) +
                          ", not a " + std::string(to_string(*kind)),
                      "a " + std::string(to_string(*kind)) + " class");
    }
    if (auto bad = json_mistyped(*typed, untyped)) {
        error e = ctx.at(errc::type_mismatch, json_pointer(json_pointer(pointer, "properties"), bad->first),
                         "value does not fit the " + json_field_expectation(bad->first, bad->second) + " property " +
                             json_utf8(bad->first) + " of " + json_utf8(in.class_name),
                         json_field_expectation(bad->first, bad->second));
        if (!ctx.lenient()) return e;
        ctx.note(std::move(e));  // kept in `extra`, as every source keeps such values
    }
    return typed;
}

// Checks a document's "schema": `family/1` or `family/1.<minor>`.
[[nodiscard]] inline result<void> json_check_schema(const json_value& doc, std::string_view family,
                                                    const json_read_context& ctx) {
    if (!doc.is_object()) {
        return ctx.at(errc::type_mismatch, "", "expected a " + std::string(family) + " document (an object), got " +
                                                   json_kind_name(doc), "an object");
    }
    auto schema = json_opt_string(doc, "schema", "", ctx);
    if (!schema) return schema.error();
    if (*schema == nullptr) {
        return ctx.at(errc::missing_field, "/schema", "missing \"schema\"", "\"" + std::string(family) + "/1\"");
    }
    const std::string& text = **schema;
    const std::string prefix = std::string(family) + "/";
    if (!text.starts_with(prefix)) {
        return ctx.at(errc::type_mismatch, "/schema", "a \"" + json_utf8(text) + "\" document, not " + std::string(family),
                      "\"" + std::string(family) + "/1\"");
    }
    const std::string_view version = std::string_view(text).substr(prefix.size());
    const std::string_view major = version.substr(0, version.find('.'));
    if (major != "1") {
        return ctx.at(errc::unsupported, "/schema",
                      "schema version " + json_utf8(version) + " is not supported by wmisub " WMISUB_VERSION_STRING
                      " (it reads version 1)",
                      "\"" + std::string(family) + "/1\"");
    }
    return {};
}

// A snapshot's "annotations" (about objects by path) and "stopped" (why the collection ended early).
[[nodiscard]] inline result<void> json_read_snapshot_extras(const json_value& doc, const json_read_context& ctx,
                                                            snapshot& out) {
    auto notes = json_opt_array(doc, "annotations", "", ctx);
    if (!notes) return notes.error();
    if (*notes != nullptr) {
        for (std::size_t i = 0; i < (*notes)->size(); ++i) {
            const json_value& item = (**notes)[i];
            const std::string item_pointer = json_pointer("/annotations", i);
            object_annotation a;
            if (auto ok = json_read_annotation(item, item_pointer, ctx, a.note); !ok) return ok.error();
            auto target = json_opt_string(item, "target", item_pointer, ctx);
            if (!target) return target.error();
            if (*target != nullptr) a.target = **target;
            out.annotations.push_back(std::move(a));
        }
    }
    if (const json_value* stopped = json_member(doc, "stopped"); stopped != nullptr && !stopped->is_null()) {
        error why;
        if (auto ok = json_read_error(*stopped, "/stopped", ctx, why); !ok) return ok.error();
        out.stopped = std::move(why);
    }
    auto classes = json_opt_array(doc, "readable_consumer_classes", "", ctx);
    if (!classes) return classes.error();
    if (*classes != nullptr) {
        std::vector<std::string> readable;
        for (std::size_t i = 0; i < (*classes)->size(); ++i) {
            const std::string* name = json_string(&(**classes)[i]);
            if (name == nullptr) {
                return ctx.at(errc::type_mismatch, json_pointer("/readable_consumer_classes", i),
                              "expected a class name, got " + json_kind_name((**classes)[i]), "a string");
            }
            readable.push_back(*name);
        }
        out.readable_consumer_classes = std::move(readable);
    }
    return {};
}

// Reads a `wmisub.snapshot/1` document. Strict contexts stop at the first bad
// object; lenient ones record it in the snapshot's errors and go on.
WMISUB_API result<snapshot> json_read_snapshot(const json_value& doc, const json_read_context& base_ctx) {
    if (auto ok = json_check_schema(doc, "wmisub.snapshot", base_ctx); !ok) return ok.error();
    snapshot out;
    std::vector<collection_error> problems;
    json_read_context ctx = base_ctx;
    if (base_ctx.lenient()) ctx.soft = &problems;
    auto host = json_opt_string(doc, "host", "", ctx);
    if (!host) return host.error();
    if (*host != nullptr) out.host = **host;
    auto collected = json_opt_time(doc, "collected_at", "", ctx);
    if (!collected) return collected.error();
    out.collected_at = *collected;

    const std::tuple<std::string_view, object_kind> arrays[] = {
        {"filters", object_kind::filter}, {"consumers", object_kind::consumer}, {"bindings", object_kind::binding},
        {"timers", object_kind::timer},   {"other_objects", object_kind::instance}};
    for (const auto& [key, kind] : arrays) {
        auto list = json_opt_array(doc, key, "", ctx);
        if (!list) return list.error();
        if (*list == nullptr) continue;
        const std::string array_pointer = json_pointer("", key);
        for (std::size_t i = 0; i < (*list)->size(); ++i) {
            const std::string item_pointer = json_pointer(array_pointer, i);
            if (auto why = json_poll_stop(ctx, i, item_pointer)) return std::move(*why);
            auto object = json_read_object((**list)[i], item_pointer, ctx, kind);
            if (object.has_value()) {
                out.add(std::move(*object));
                continue;
            }
            const error& why = object.error();
            if (!ctx.lenient() || why.code == errc::limit_exceeded) return why;
            ctx.note(why);
        }
    }
    auto errors = json_opt_array(doc, "errors", "", ctx);
    if (!errors) return errors.error();
    if (*errors != nullptr) {
        for (std::size_t i = 0; i < (*errors)->size(); ++i) {
            auto e = json_read_collection_error((**errors)[i], json_pointer("/errors", i), ctx);
            if (!e) {
                if (!ctx.lenient()) return e.error();
                ctx.note(e.error());
                continue;
            }
            out.errors.push_back(std::move(*e));
        }
    }
    if (auto read = json_read_snapshot_extras(doc, ctx, out); !read) return read.error();
    out.errors.insert(out.errors.end(), problems.begin(), problems.end());
    return out;
}

// Reads a `wmisub.baseline/1` document, always strictly: a baseline is trusted
// as a whole or not at all. Identities and fingerprints are recomputed.
WMISUB_API result<baseline> json_read_baseline(const json_value& doc, const json_read_context& base_ctx) {
    json_read_context ctx = base_ctx;
    ctx.soft = nullptr;
    if (auto ok = json_check_schema(doc, "wmisub.baseline", ctx); !ok) return ok.error();
    baseline out;
    out.tool_version.clear();
    if (const json_value* tool = json_member(doc, "tool"); tool != nullptr && !tool->is_null()) {
        if (auto ok = json_expect_object(*tool, "/tool", ctx, "the tool"); !ok) return ok.error();
        auto version = json_opt_string(*tool, "version", "/tool", ctx);
        if (!version) return version.error();
        if (*version != nullptr) out.tool_version = **version;
    }
    auto host = json_opt_string(doc, "host", "", ctx);
    if (!host) return host.error();
    if (*host != nullptr) out.host = **host;
    auto created = json_opt_time(doc, "created", "", ctx);
    if (!created) return created.error();
    out.created = *created;
    auto comment = json_opt_string(doc, "comment", "", ctx);
    if (!comment) return comment.error();
    if (*comment != nullptr) out.comment = **comment;
    auto entries = json_opt_array(doc, "entries", "", ctx);
    if (!entries) return entries.error();
    if (*entries == nullptr) {
        return ctx.at(errc::missing_field, "/entries", "missing \"entries\" (an empty baseline has an empty array)",
                      "an array");
    }
    out.entries.reserve((*entries)->size());
    for (std::size_t i = 0; i < (*entries)->size(); ++i) {
        if (auto why = json_poll_stop(ctx, i, json_pointer("/entries", i))) return std::move(*why);
        auto object = json_read_object((**entries)[i], json_pointer("/entries", i), ctx, std::nullopt);
        if (!object) return object.error();
        out.entries.push_back(baseline_entry::of(std::move(*object)));
    }
    out.sort();
    return out;
}

}  // namespace detail
WMISUB_NAMESPACE_END
