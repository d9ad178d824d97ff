// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The opt-in JSON adapter: the only part of wmisub that uses nlohmann/json,
// and not included by the umbrella header. Include it where JSON is wanted.
//
// - Conversions for every model type: values (typed, so a uint8[] stays a
//   uint8[] and a datetime a datetime), provenance, instances, filters, each
//   consumer class, bindings, timer instructions, errors, snapshots,
//   baselines and diffs. to_json() never fails; from_json<T>() returns a
//   located error (a JSON pointer such as `/consumers/3/properties/KillTimeout`
//   in error.location.source and the message) for a wrong type or a missing
//   field, tolerates unknown members, and never throws, also with
//   -fno-exceptions (nlohmann then needs JSON_NOEXCEPTION or detects it).
// - Reports: `wmisub.report/1` (report_to_json), the document `wmisub scan
//   --format json` prints, and its parts (to_json of an assessment, a trigger).
// - Documents `wmisub.snapshot/1`, `wmisub.baseline/1`, `wmisub.diff/1`, sealed
//   with a "checksum" member: "sha256:" over the canonical text of the rest
//   (members sorted, no white space), so reformatting keeps a file valid and
//   any change of content does not.
// - Files written atomically (wmisub/storage.hpp) and read back verified: a
//   truncated, corrupted or hand-edited file is errc::corrupt_data, never an
//   empty baseline.
// - Reading what other tools write: PowerShell ConvertTo-Json of
//   Get-CimInstance/Get-WmiObject (5.1 and 7, UTF-16 with BOM, concatenated
//   outputs) and osquery's wmi_* tables (detail/json_foreign.hpp).
//
// Parsing uses nlohmann's SAX interface with a bounded builder
// (detail/json_parse.hpp): input size, nesting depth, value, array and member
// counts are limited (json_limits) and syntax errors carry line, column and
// byte offset.
#pragma once

#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/detail/json_foreign.hpp"
#include "wmisub/detail/json_model.hpp"
#include "wmisub/detail/json_parse.hpp"
#include "wmisub/detail/json_report.hpp"
#include "wmisub/detail/json_value_codec.hpp"
#include "wmisub/model.hpp"
#include "wmisub/result.hpp"
#include "wmisub/storage.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

WMISUB_NAMESPACE_BEGIN

namespace detail {

// Runs a writer; on allocation failure (exceptions enabled) gives `fallback`.
template <class F, class R = std::invoke_result_t<F>>
[[nodiscard]] R json_guard(F&& f, R fallback) noexcept {
#if WMISUB_EXCEPTIONS
    try {
        return std::forward<F>(f)();
    } catch (...) {
        return fallback;
    }
#else
    (void)fallback;
    return std::forward<F>(f)();
#endif
}

// Runs a reader returning result<T>; exceptions (allocation) become errors.
template <class F>
[[nodiscard]] auto json_guard_result(F&& f) noexcept -> std::invoke_result_t<F> {
#if WMISUB_EXCEPTIONS
    try {
        return std::forward<F>(f)();
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "out of memory while handling JSON");
    } catch (...) {
        return make_error(errc::internal, "unexpected exception while handling JSON");
    }
#else
    return std::forward<F>(f)();
#endif
}

[[nodiscard]] inline json_read_context json_context(const json_read_options& options) {
    json_read_context ctx;
    ctx.source = options.source_name;
    return ctx;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

// Parses exactly one JSON document within the limits. Syntax errors carry
// line, column and byte offset; duplicate keys are errors.
[[nodiscard]] inline result<json_value> parse_json(std::string_view text, const json_limits& limits = {},
                                                   std::string_view source_name = {}) noexcept {
    return detail::json_guard_result([&]() -> result<json_value> {
        auto parsed = detail::json_parse_range(text, 0, text.size(), limits, source_name);
        if (!parsed) return parsed.error();
        return std::move(parsed->root);
    });
}

// A document as text (indent < 0: compact). Never throws; empty on allocation failure.
[[nodiscard]] inline std::string dump_json(const json_value& doc, int indent = 2) noexcept {
    return detail::json_guard([&] { return detail::json_dump(doc, indent); }, std::string{});
}

// ---------------------------------------------------------------------------
// Writers: never fail (null on allocation failure)
// ---------------------------------------------------------------------------

// A value as {"type": "uint8[]", "value": [1, 2]}.
[[nodiscard]] inline json_value to_json(const value& v) noexcept {
    return detail::json_guard([&] { return detail::json_write_value(v); }, json_value{});
}

// {"kind", "source", "line", "column", "offset", "page", "record", "event_record_id", "created", "modified", "actor_sid"}.
[[nodiscard]] inline json_value to_json(const provenance& p) noexcept {
    return detail::json_guard([&] { return detail::json_write_provenance(p); }, json_value{});
}

// Any object: {"kind", "namespace", "class", …, "properties", "types", "identity", "fingerprint", "provenance"}.
[[nodiscard]] inline json_value to_json(const wmi_object& o) noexcept {
    return detail::json_guard([&] { return detail::json_write_object(o); }, json_value{});
}

// A generic instance (kind "instance").
[[nodiscard]] inline json_value to_json(const instance& in) noexcept { return to_json(wmi_object{in}); }
// A filter: {"kind": "filter", "name", "query", "query_language", "event_namespace", "creator_sid", …}.
[[nodiscard]] inline json_value to_json(const event_filter& f) noexcept { return to_json(wmi_object{f}); }
// A consumer of any class: {"kind": "consumer", "class", "name", "properties", …}.
[[nodiscard]] inline json_value to_json(const consumer& c) noexcept { return to_json(wmi_object{c}); }
// A binding: {"kind": "binding", "filter", "consumer", "properties", …}.
[[nodiscard]] inline json_value to_json(const binding& b) noexcept { return to_json(wmi_object{b}); }
// A timer instruction: {"kind": "timer", "timer_id", …}.
[[nodiscard]] inline json_value to_json(const timer_instruction& t) noexcept { return to_json(wmi_object{t}); }

// {"code", "message", "location": "file:3:14", "position": {…}, "expected"}.
[[nodiscard]] inline json_value to_json(const error& e) noexcept {
    return detail::json_guard([&] { return detail::json_write_error(e); }, json_value{});
}

// {"source", "namespace", "code", "message", "location", "position", "expected"}.
[[nodiscard]] inline json_value to_json(const collection_error& e) noexcept {
    return detail::json_guard([&] { return detail::json_write_collection_error(e); }, json_value{});
}

// A `wmisub.snapshot/1` document, without checksum (to_json_text and save_snapshot add it).
[[nodiscard]] inline json_value to_json(const snapshot& s) noexcept {
    return detail::json_guard([&] { return detail::json_write_snapshot(s); }, json_value{});
}

// A `wmisub.baseline/1` document, without checksum (to_json_text and save_baseline add it).
[[nodiscard]] inline json_value to_json(const baseline& b) noexcept {
    return detail::json_guard([&] { return detail::json_write_baseline(b); }, json_value{});
}

// A `wmisub.diff/1` document.
[[nodiscard]] inline json_value to_json(const baseline_diff& d) noexcept {
    return detail::json_guard([&] { return detail::json_write_diff(d); }, json_value{});
}

// A trigger: its kind, its description (with the linked timer's interval when
// given) and the parameters of its kind, as reports and `wmisub wql` show it.
[[nodiscard]] inline json_value to_json(const trigger& t, std::optional<std::uint64_t> timer_interval_ms = {}) noexcept {
    return detail::json_guard([&] { return detail::json_write_trigger(t, timer_interval_ms); }, json_value{});
}

// One assessed subscription as an entry of a `wmisub.report/1` document.
[[nodiscard]] inline json_value to_json(const assessment& a) noexcept {
    return detail::json_guard([&] { return detail::json_write_assessment(a); }, json_value{});
}

// A `wmisub.report/1` document: the assessments, in the order given, and the
// errors of the snapshot they were made from.
[[nodiscard]] inline json_value report_to_json(std::span<const assessment> results, const snapshot& snap) noexcept {
    return detail::json_guard([&] { return detail::json_write_report(results, snap); }, json_value{});
}

// nlohmann's ADL hooks, so `json_value j = snapshot;` works too.
inline void to_json(json_value& j, const value& v) { j = to_json(v); }
inline void to_json(json_value& j, const provenance& p) { j = to_json(p); }
inline void to_json(json_value& j, const wmi_object& o) { j = to_json(o); }
inline void to_json(json_value& j, const instance& in) { j = to_json(in); }
inline void to_json(json_value& j, const event_filter& f) { j = to_json(f); }
inline void to_json(json_value& j, const consumer& c) { j = to_json(c); }
inline void to_json(json_value& j, const binding& b) { j = to_json(b); }
inline void to_json(json_value& j, const timer_instruction& t) { j = to_json(t); }
inline void to_json(json_value& j, const error& e) { j = to_json(e); }
inline void to_json(json_value& j, const collection_error& e) { j = to_json(e); }
inline void to_json(json_value& j, const snapshot& s) { j = to_json(s); }
inline void to_json(json_value& j, const baseline& b) { j = to_json(b); }
inline void to_json(json_value& j, const baseline_diff& d) { j = to_json(d); }

// ---------------------------------------------------------------------------
// Checksums
// ---------------------------------------------------------------------------

// "sha256:<hex>" over the canonical text of a document without its "checksum" member.
[[nodiscard]] inline std::string json_checksum(const json_value& doc) noexcept {
    return detail::json_guard([&] { return content_checksum(detail::json_checksum_content(doc)); }, std::string{});
}

// Sets (or replaces) the document's "checksum" member, as its last member.
inline result<void> add_checksum(json_value& doc) noexcept {
    return detail::json_guard_result([&]() -> result<void> {
        if (!doc.is_object()) return make_error(errc::invalid_argument, "only an object can carry a checksum");
        detail::json_seal(doc);
        return {};
    });
}

// True when the document's checksum is present and right; false when absent
// and not required; errc::corrupt_data when wrong or required but absent.
[[nodiscard]] inline result<bool> verify_checksum(const json_value& doc, bool required = true,
                                                  std::string_view what = "the document") noexcept {
    return detail::json_guard_result([&] { return detail::json_verify_seal(doc, required, what); });
}

// ---------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------

// Reads a T from JSON written by to_json (or by hand: unknown members are
// ignored, missing "types" entries inferred). T is one of value, provenance,
// collection_error, instance, event_filter, consumer, binding,
// timer_instruction, wmi_object, snapshot, baseline. Errors carry the JSON
// pointer of the offending member. Snapshots and baselines also have their
// checksum verified (options.require_checksum; default: required for baselines).
template <class T>
[[nodiscard]] result<T> from_json(const json_value& j, const json_read_options& options = {}) noexcept {
    return detail::json_guard_result([&]() -> result<T> {
        detail::json_read_context ctx = detail::json_context(options);
        if constexpr (std::is_same_v<T, value>) {
            return detail::json_read_value(j, "", ctx);
        } else if constexpr (std::is_same_v<T, provenance>) {
            return detail::json_read_provenance(j, "", ctx);
        } else if constexpr (std::is_same_v<T, collection_error>) {
            return detail::json_read_collection_error(j, "", ctx);
        } else if constexpr (std::is_same_v<T, wmi_object>) {
            return detail::json_read_object(j, "", ctx, std::nullopt);
        } else if constexpr (std::is_same_v<T, instance> || std::is_same_v<T, event_filter> ||
                             std::is_same_v<T, consumer> || std::is_same_v<T, binding> ||
                             std::is_same_v<T, timer_instruction>) {
            object_kind kind = object_kind::instance;
            if constexpr (std::is_same_v<T, event_filter>) kind = object_kind::filter;
            if constexpr (std::is_same_v<T, consumer>) kind = object_kind::consumer;
            if constexpr (std::is_same_v<T, binding>) kind = object_kind::binding;
            if constexpr (std::is_same_v<T, timer_instruction>) kind = object_kind::timer;
            auto o = detail::json_read_object(j, "", ctx, kind);
            if (!o) return o.error();
            return std::get<T>(std::move(*o));
        } else if constexpr (std::is_same_v<T, snapshot>) {
            auto sealed = detail::json_verify_seal(j, options.require_checksum.value_or(false),
                                                   options.source_name.empty() ? "the snapshot" : options.source_name);
            if (!sealed) return sealed.error();
            std::vector<collection_error> notes;
            if (!options.strict) ctx.soft = &notes;
            return detail::json_read_snapshot(j, ctx);
        } else if constexpr (std::is_same_v<T, baseline>) {
            auto sealed = detail::json_verify_seal(j, options.require_checksum.value_or(true),
                                                   options.source_name.empty() ? "the baseline" : options.source_name);
            if (!sealed) return sealed.error();
            return detail::json_read_baseline(j, ctx);
        } else {
            static_assert(!std::is_same_v<T, T>, "from_json: unsupported type");
        }
    });
}

// The format of a parsed document, from its content.
[[nodiscard]] inline json_format detect_json_format(const json_value& doc) noexcept { return detail::json_detect(doc); }

// ---------------------------------------------------------------------------
// Documents as text
// ---------------------------------------------------------------------------

// A snapshot as a sealed `wmisub.snapshot/1` text. Empty on allocation failure.
[[nodiscard]] inline std::string to_json_text(const snapshot& s, int indent = 2) noexcept {
    return detail::json_guard(
        [&] {
            json_value doc = detail::json_write_snapshot(s);
            detail::json_seal(doc);
            return detail::json_dump(doc, indent) + "\n";
        },
        std::string{});
}

// A baseline as a sealed `wmisub.baseline/1` text. Empty on allocation failure.
[[nodiscard]] inline std::string to_json_text(const baseline& b, int indent = 2) noexcept {
    return detail::json_guard(
        [&] {
            json_value doc = detail::json_write_baseline(b);
            detail::json_seal(doc);
            return detail::json_dump(doc, indent) + "\n";
        },
        std::string{});
}

// A diff as `wmisub.diff/1` text (a report: not sealed). Empty on allocation failure.
[[nodiscard]] inline std::string to_json_text(const baseline_diff& d, int indent = 2) noexcept {
    return detail::json_guard([&] { return detail::json_dump(detail::json_write_diff(d), indent) + "\n"; },
                              std::string{});
}

// Reads a `wmisub.snapshot/1` text (UTF-8 or UTF-16); the checksum is verified when present
// (required when options.require_checksum is set).
[[nodiscard]] inline result<snapshot> snapshot_from_json_text(std::string_view bytes,
                                                              const json_read_options& options = {}) noexcept {
    return detail::json_guard_result([&]() -> result<snapshot> {
        const decoded_text text = decode_text(bytes);
        auto doc = parse_json(text.utf8, options.limits, options.source_name);
        if (!doc) return doc.error();
        return from_json<snapshot>(*doc, options);
    });
}

// Reads a `wmisub.baseline/1` text; its checksum is required unless
// options.require_checksum is false.
[[nodiscard]] inline result<baseline> baseline_from_json_text(std::string_view bytes,
                                                              const json_read_options& options = {}) noexcept {
    return detail::json_guard_result([&]() -> result<baseline> {
        const decoded_text text = decode_text(bytes);
        auto doc = parse_json(text.utf8, options.limits, options.source_name);
        if (!doc) return doc.error();
        return from_json<baseline>(*doc, options);
    });
}

// Reads any supported input into a snapshot: wmisub snapshots and baselines,
// PowerShell ConvertTo-Json and osquery --json output, UTF-8 or UTF-16,
// single or concatenated documents. `summary` (optional) says what was found.
[[nodiscard]] inline result<snapshot> read_json_snapshot(std::string_view bytes, const json_read_options& options = {},
                                                         json_input_summary* summary = nullptr) noexcept {
    return detail::json_guard_result([&] { return detail::json_read_any(bytes, options, summary); });
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

namespace detail {

// A stored file that does not parse is damaged (truncated, overwritten),
// whatever the parser's reason. Content errors keep their code: a sealed file
// with wrong content fails its checksum first, and a snapshot given where a
// baseline belongs is a type_mismatch, not damage.
[[nodiscard]] inline error json_as_corrupt(error e, std::string_view what) {
    if (e.code == errc::syntax_error || e.code == errc::unexpected_end || e.code == errc::invalid_encoding) {
        e.message = std::string(what) + " is truncated or corrupted (" + std::string(to_string(e.code)) + ": " +
                    e.message + ")";
        e.code = errc::corrupt_data;
    }
    return e;
}

}  // namespace detail

// Writes a snapshot atomically as a sealed `wmisub.snapshot/1` file.
[[nodiscard]] inline result<void> save_snapshot(const std::filesystem::path& path, const snapshot& s) noexcept {
    const std::string text = to_json_text(s);
    if (text.empty()) return make_error(errc::limit_exceeded, "out of memory while writing the snapshot");
    return write_file_atomic(path, text);
}

// Writes a baseline atomically as a sealed `wmisub.baseline/1` file.
[[nodiscard]] inline result<void> save_baseline(const std::filesystem::path& path, const baseline& b) noexcept {
    const std::string text = to_json_text(b);
    if (text.empty()) return make_error(errc::limit_exceeded, "out of memory while writing the baseline");
    return write_file_atomic(path, text);
}

// Reads a snapshot file written by save_snapshot (or any wmisub.snapshot/1
// file). A file that does not parse or whose checksum does not match is
// errc::corrupt_data.
[[nodiscard]] inline result<snapshot> load_snapshot(const std::filesystem::path& path,
                                                    json_read_options options = {}) noexcept {
    return detail::json_guard_result([&]() -> result<snapshot> {
        if (options.source_name.empty()) options.source_name = detail::storage_path_text(path);
        auto bytes = read_file_limited(path, options.limits.max_bytes);
        if (!bytes) return bytes.error();
        auto out = snapshot_from_json_text(*bytes, options);
        if (!out) return detail::json_as_corrupt(out.error(), "snapshot " + options.source_name);
        return out;
    });
}

// Reads a baseline file written by save_baseline. Its checksum is required
// (unless options.require_checksum is false): a truncated, corrupted or
// hand-edited file is errc::corrupt_data, never an empty baseline. A valid
// baseline without entries is returned as such.
[[nodiscard]] inline result<baseline> load_baseline(const std::filesystem::path& path,
                                                    json_read_options options = {}) noexcept {
    return detail::json_guard_result([&]() -> result<baseline> {
        if (options.source_name.empty()) options.source_name = detail::storage_path_text(path);
        auto bytes = read_file_limited(path, options.limits.max_bytes);
        if (!bytes) return bytes.error();
        if (bytes->empty()) {
            return detail::storage_error(errc::corrupt_data, path, "baseline file is empty (truncated?)");
        }
        auto out = baseline_from_json_text(*bytes, options);
        if (!out) return detail::json_as_corrupt(out.error(), "baseline " + options.source_name);
        return out;
    });
}

WMISUB_NAMESPACE_END
