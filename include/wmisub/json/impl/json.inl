// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/json/json.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The definitions of the adapter's public functions: each runs the internal
// writer or reader of json/impl/*.inl under a guard, so nothing throws.
#pragma once

#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/json/impl/foreign.inl"
#include "wmisub/json/impl/model.inl"
#include "wmisub/json/impl/parse.inl"
#include "wmisub/json/impl/report.inl"
#include "wmisub/json/impl/time.inl"
#include "wmisub/json/impl/value_codec.inl"
#include "wmisub/json/json.hpp"
#include "wmisub/model.hpp"
#include "wmisub/result.hpp"
#include "wmisub/storage.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
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

WMISUB_API json_read_context json_context(const json_read_options& options) {
    json_read_context ctx;
    ctx.source = options.source_name;
    return ctx;
}

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

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

WMISUB_API result<json_value> parse_json(std::string_view text, const json_limits& limits,
                                         std::string_view source_name) noexcept {
    return detail::json_guard_result([&]() -> result<json_value> {
        auto parsed = detail::json_parse_range(text, 0, text.size(), limits, source_name);
        if (!parsed) return parsed.error();
        return std::move(parsed->root);
    });
}

WMISUB_API std::string dump_json(const json_value& doc, int indent) noexcept {
    return detail::json_guard([&] { return detail::json_dump(doc, indent); }, std::string{});
}

// ---------------------------------------------------------------------------
// Writers: never fail (null on allocation failure)
// ---------------------------------------------------------------------------

WMISUB_API json_value to_json(const value& v) noexcept {
    return detail::json_guard([&] { return detail::json_write_value(v); }, json_value{});
}

WMISUB_API json_value to_json(const provenance& p) noexcept {
    return detail::json_guard([&] { return detail::json_write_provenance(p); }, json_value{});
}

WMISUB_API json_value to_json(const wmi_object& o) noexcept {
    return detail::json_guard([&] { return detail::json_write_object(o); }, json_value{});
}

WMISUB_API json_value to_json(const instance& in) noexcept { return to_json(wmi_object{in}); }
WMISUB_API json_value to_json(const event_filter& f) noexcept { return to_json(wmi_object{f}); }
WMISUB_API json_value to_json(const consumer& c) noexcept { return to_json(wmi_object{c}); }
WMISUB_API json_value to_json(const binding& b) noexcept { return to_json(wmi_object{b}); }
WMISUB_API json_value to_json(const timer_instruction& t) noexcept { return to_json(wmi_object{t}); }

WMISUB_API json_value to_json(const error& e) noexcept {
    return detail::json_guard([&] { return detail::json_write_error(e); }, json_value{});
}

WMISUB_API json_value to_json(const collection_error& e) noexcept {
    return detail::json_guard([&] { return detail::json_write_collection_error(e); }, json_value{});
}

WMISUB_API json_value to_json(const snapshot& s) noexcept {
    return detail::json_guard([&] { return detail::json_write_snapshot(s); }, json_value{});
}

WMISUB_API json_value to_json(const baseline& b) noexcept {
    return detail::json_guard([&] { return detail::json_write_baseline(b); }, json_value{});
}

WMISUB_API json_value to_json(const baseline_diff& d) noexcept {
    return detail::json_guard([&] { return detail::json_write_diff(d); }, json_value{});
}

WMISUB_API json_value to_json(const trigger& t, std::optional<std::uint64_t> timer_interval_ms) noexcept {
    return detail::json_guard([&] { return detail::json_write_trigger(t, timer_interval_ms); }, json_value{});
}

WMISUB_API json_value to_json(const assessment& a) noexcept {
    return detail::json_guard([&] { return detail::json_write_assessment(a); }, json_value{});
}

WMISUB_API json_value report_to_json(std::span<const assessment> results, const snapshot& snap) noexcept {
    return detail::json_guard([&] { return detail::json_write_report(results, snap); }, json_value{});
}

WMISUB_API void to_json(json_value& j, const value& v) { j = to_json(v); }
WMISUB_API void to_json(json_value& j, const provenance& p) { j = to_json(p); }
WMISUB_API void to_json(json_value& j, const wmi_object& o) { j = to_json(o); }
WMISUB_API void to_json(json_value& j, const instance& in) { j = to_json(in); }
WMISUB_API void to_json(json_value& j, const event_filter& f) { j = to_json(f); }
WMISUB_API void to_json(json_value& j, const consumer& c) { j = to_json(c); }
WMISUB_API void to_json(json_value& j, const binding& b) { j = to_json(b); }
WMISUB_API void to_json(json_value& j, const timer_instruction& t) { j = to_json(t); }
WMISUB_API void to_json(json_value& j, const error& e) { j = to_json(e); }
WMISUB_API void to_json(json_value& j, const collection_error& e) { j = to_json(e); }
WMISUB_API void to_json(json_value& j, const snapshot& s) { j = to_json(s); }
WMISUB_API void to_json(json_value& j, const baseline& b) { j = to_json(b); }
WMISUB_API void to_json(json_value& j, const baseline_diff& d) { j = to_json(d); }

// ---------------------------------------------------------------------------
// Checksums
// ---------------------------------------------------------------------------

WMISUB_API std::string json_checksum(const json_value& doc) noexcept {
    return detail::json_guard([&] { return content_checksum(detail::json_checksum_content(doc)); }, std::string{});
}

WMISUB_API result<void> add_checksum(json_value& doc) noexcept {
    return detail::json_guard_result([&]() -> result<void> {
        if (!doc.is_object()) return make_error(errc::invalid_argument, "only an object can carry a checksum");
        detail::json_seal(doc);
        return {};
    });
}

WMISUB_API result<bool> verify_checksum(const json_value& doc, bool required, std::string_view what) noexcept {
    return detail::json_guard_result([&] { return detail::json_verify_seal(doc, required, what); });
}

// ---------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------

WMISUB_API json_format detect_json_format(const json_value& doc) noexcept { return detail::json_detect(doc); }

// ---------------------------------------------------------------------------
// Documents as text
// ---------------------------------------------------------------------------

WMISUB_API std::string to_json_text(const snapshot& s, int indent) noexcept {
    return detail::json_guard(
        [&] {
            json_value doc = detail::json_write_snapshot(s);
            detail::json_seal(doc);
            return detail::json_dump(doc, indent) + "\n";
        },
        std::string{});
}

WMISUB_API std::string to_json_text(const baseline& b, int indent) noexcept {
    return detail::json_guard(
        [&] {
            json_value doc = detail::json_write_baseline(b);
            detail::json_seal(doc);
            return detail::json_dump(doc, indent) + "\n";
        },
        std::string{});
}

WMISUB_API std::string to_json_text(const baseline_diff& d, int indent) noexcept {
    return detail::json_guard([&] { return detail::json_dump(detail::json_write_diff(d), indent) + "\n"; },
                              std::string{});
}

WMISUB_API result<snapshot> snapshot_from_json_text(std::string_view bytes, const json_read_options& options) noexcept {
    return detail::json_guard_result([&]() -> result<snapshot> {
        const decoded_text text = decode_text(bytes);
        auto doc = parse_json(text.utf8, options.limits, options.source_name);
        if (!doc) return doc.error();
        return from_json<snapshot>(*doc, options);
    });
}

WMISUB_API result<baseline> baseline_from_json_text(std::string_view bytes, const json_read_options& options) noexcept {
    return detail::json_guard_result([&]() -> result<baseline> {
        const decoded_text text = decode_text(bytes);
        auto doc = parse_json(text.utf8, options.limits, options.source_name);
        if (!doc) return doc.error();
        return from_json<baseline>(*doc, options);
    });
}

WMISUB_API result<snapshot> read_json_snapshot(std::string_view bytes, const json_read_options& options,
                                               json_input_summary* summary) noexcept {
    return detail::json_guard_result([&] { return detail::json_read_any(bytes, options, summary); });
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

WMISUB_API result<void> save_snapshot(const std::filesystem::path& path, const snapshot& s) noexcept {
    const std::string text = to_json_text(s);
    if (text.empty()) return make_error(errc::limit_exceeded, "out of memory while writing the snapshot");
    return write_file_atomic(path, text);
}

WMISUB_API result<void> save_baseline(const std::filesystem::path& path, const baseline& b) noexcept {
    const std::string text = to_json_text(b);
    if (text.empty()) return make_error(errc::limit_exceeded, "out of memory while writing the baseline");
    return write_file_atomic(path, text);
}

WMISUB_API result<snapshot> load_snapshot(const std::filesystem::path& path, json_read_options options) noexcept {
    return detail::json_guard_result([&]() -> result<snapshot> {
        if (options.source_name.empty()) options.source_name = detail::storage_path_text(path);
        auto bytes = read_file_limited(path, options.limits.max_bytes, options.stop);
        if (!bytes) return bytes.error();
        auto out = snapshot_from_json_text(*bytes, options);
        if (!out) return detail::json_as_corrupt(out.error(), "snapshot " + options.source_name);
        return out;
    });
}

WMISUB_API result<baseline> load_baseline(const std::filesystem::path& path, json_read_options options) noexcept {
    return detail::json_guard_result([&]() -> result<baseline> {
        if (options.source_name.empty()) options.source_name = detail::storage_path_text(path);
        auto bytes = read_file_limited(path, options.limits.max_bytes, options.stop);
        if (!bytes) return bytes.error();
        if (bytes->empty()) {
            return detail::storage_error(errc::corrupt_data, path, "baseline file is empty (truncated?)");
        }
        auto out = baseline_from_json_text(*bytes, options);
        if (!out) return detail::json_as_corrupt(out.error(), "baseline " + options.source_name);
        return out;
    });
}

// ---------------------------------------------------------------------------
// The streaming report writer
// ---------------------------------------------------------------------------

WMISUB_API bool report_writer::put(std::string_view piece) {
    if (failed_) return false;
    if (!out_ || !out_(piece)) failed_ = true;
    return !failed_;
}

WMISUB_API bool report_writer::open() {
    if (opened_) return !failed_;
    opened_ = true;
    const std::string schema = detail::json_report_member("schema", json_value(detail::report_schema), options_.indent);
    const std::string start = options_.indent < 0 ? "\"subscriptions\":[" : "\n" + std::string(static_cast<std::size_t>(options_.indent), ' ') + "\"subscriptions\": [";
    return put("{" + schema + ",") && put(start);
}

WMISUB_API bool report_writer::write(const assessment& a) noexcept {
    return detail::json_guard(
        [&] {
            if (finished_ || !open()) return false;
            buffer_.clear();  // reused: one allocation for the whole report once warm
            if (written_ != 0) buffer_ += ',';
            detail::json_report_item(buffer_, a, options_);
            if (!put(buffer_)) return false;
            ++written_;
            return true;
        },
        false);
}

WMISUB_API result<void> report_writer::finish(const snapshot& snap, const scan_summary* summary) noexcept {
    const bool ok = detail::json_guard(
        [&] {
            if (finished_ || !open()) return false;
            finished_ = true;
            const std::string inner = options_.indent < 0 ? "" : "\n" + std::string(static_cast<std::size_t>(options_.indent), ' ');
            json_value errors = json_value::array();
            for (const collection_error& e : snap.errors) {
                errors.push_back({{"source", e.source}, {"namespace", e.namespace_path}, {"message", e.error.to_string()},
                                  {"location", e.error.location.to_string()}});
            }
            std::string tail = (written_ == 0 ? std::string() : inner) + "],";
            tail += detail::json_report_member("errors", errors, options_.indent) + ",";
            tail += detail::json_report_member("origin", detail::json_report_origin(snap), options_.indent) + ",";
            tail += detail::json_report_member("summary", detail::json_report_summary(snap, summary), options_.indent);
            tail += options_.indent < 0 ? "}\n" : "\n}\n";
            return put(tail);
        },
        false);
    if (ok) return {};
    return make_error(failed_ ? errc::io_error : errc::invalid_argument,
                      failed_ ? "the report's output failed" : "the report was already finished");
}

WMISUB_NAMESPACE_END
