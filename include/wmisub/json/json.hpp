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
//   outputs) and osquery's wmi_* tables (json/impl/foreign.inl).
//
// Parsing uses nlohmann's SAX interface with a bounded builder
// (json/impl/parse.inl): input size, nesting depth, value, array and member
// counts are limited (json_limits) and syntax errors carry line, column and
// byte offset.
//
// In compiled mode (WMISUB_HEADER_ONLY=0) this header only declares the
// adapter's functions; the unit that defines WMISUB_IMPLEMENTATION includes it
// to compile them (json/impl/*.inl).
#pragma once

#include "wmisub/assess.hpp"
#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/engine.hpp"
#include "wmisub/limits.hpp"
#include "wmisub/model.hpp"
#include "wmisub/result.hpp"
#include "wmisub/storage.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"
#include "wmisub/wql/query.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// The JSON document type of the adapter. Key order is kept, so files read the
// way wmisub wrote them and properties keep the order WMI gave them.
using json_value = nlohmann::ordered_json;

// Limits applied to untrusted JSON input. Exceeding one is an error
// (errc::limit_exceeded) with the location where it happened.
struct json_limits {
    // Largest input, in bytes (after decoding UTF-16 to UTF-8).
    std::size_t max_bytes = WMISUB_MAX_INPUT_BYTES;
    // Deepest nesting of arrays and objects. Each embedded WMI object costs two
    // levels, so the default leaves room for WMISUB_MAX_NESTING embedded levels.
    std::size_t max_depth = 2 * static_cast<std::size_t>(WMISUB_MAX_NESTING) + 16;
    // Most values (scalars, arrays and objects) in one input.
    std::size_t max_values = std::size_t{1} << 22;
    // Most elements in one array.
    std::size_t max_array_elements = WMISUB_MAX_ARRAY_ELEMENTS;
    // Most members in one object (no WMI class has more than a few hundred properties).
    std::size_t max_object_members = 65536;
    // Most concatenated documents in one input.
    std::size_t max_documents = 65536;
};

// How JSON documents are read.
struct json_read_options {
    json_limits limits;
    // Name of the input (a file path) used in error locations and provenance.
    std::string source_name;
    // Snapshots: stop at the first bad object. By default a bad object (wrong
    // type, missing key) is recorded in the snapshot's errors with its JSON
    // pointer and the rest is read. Baselines are always read strictly.
    bool strict = false;
    // Refuse a document without a "checksum". Default: required for
    // baselines, checked when present for snapshots (which other tools and
    // scripts also write).
    std::optional<bool> require_checksum;
    // Namespace of PowerShell objects and osquery rows that do not name one.
    std::string default_namespace = "root\\subscription";
    // Stops reading (errc::cancelled, errc::timeout) once raised: looked at per MiB
    // of a file, every 4,096 JSON values, between documents and every 256 objects.
    // An input stopped midway gives its error and none of its objects.
    stop_signal stop;
};

// Schema tags of wmisub's JSON documents. The number after the slash is the
// major version: readers accept `/1` and `/1.<minor>` (additions only) and
// refuse other majors as unsupported.
inline constexpr std::string_view snapshot_schema = "wmisub.snapshot/1";
inline constexpr std::string_view baseline_schema = "wmisub.baseline/1";
inline constexpr std::string_view diff_schema = "wmisub.diff/1";

// What a JSON document is. Names are stable.
enum class json_format : std::uint8_t {
    unknown,          // none of the below
    wmisub_snapshot,  // `wmisub.snapshot/1`
    wmisub_baseline,  // `wmisub.baseline/1`
    wmisub_diff,      // `wmisub.diff/1` (a report: no objects to collect)
    powershell,       // Get-CimInstance / Get-WmiObject | ConvertTo-Json
    osquery,          // osqueryi --json of the wmi_* tables
    mixed,            // several documents of different formats
};

// "unknown", "wmisub_snapshot", "wmisub_baseline", "wmisub_diff", "powershell", "osquery", "mixed".
[[nodiscard]] constexpr std::string_view to_string(json_format f) noexcept {
    switch (f) {
    case json_format::unknown: return "unknown";
    case json_format::wmisub_snapshot: return "wmisub_snapshot";
    case json_format::wmisub_baseline: return "wmisub_baseline";
    case json_format::wmisub_diff: return "wmisub_diff";
    case json_format::powershell: return "powershell";
    case json_format::osquery: return "osquery";
    case json_format::mixed: return "mixed";
    }
    return "unknown";
}

// What reading an input found besides its objects.
struct json_input_summary {
    json_format format = json_format::unknown;
    text_encoding encoding = text_encoding::utf8;
    std::size_t documents = 0;       // JSON documents in the input (several when outputs were concatenated)
    std::size_t objects = 0;         // objects read
    bool checksum_verified = false;  // a wmisub file whose checksum matched
};

namespace detail {

// How readers report problems: strict readers stop at the first one; lenient
// readers record it (as a collection_error) and keep as much as they can.
struct json_read_context {
    std::string source;                         // file or source name for locations; may be empty
    std::vector<collection_error>* soft = nullptr;  // lenient sink; nullptr: strict
    std::string namespace_path;                 // for the lenient sink's entries
    std::size_t depth = 0;                      // embedded object nesting, bounded by WMISUB_MAX_NESTING
    const stop_signal* stop = nullptr;          // the reader's cancel flag and deadline, when it has them

    [[nodiscard]] bool lenient() const noexcept { return soft != nullptr; }

    // An error located at a JSON pointer: `file#/consumers/3/properties/KillTimeout`.
    [[nodiscard]] WMISUB_API error at(errc code, std::string_view pointer, std::string message,
                                      std::string expected = {}) const;

    // Records a recoverable problem in lenient mode.
    void note(error e) const {
        if (soft != nullptr) soft->push_back({source, namespace_path, std::move(e)});
    }
};

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

// The readers from_json<T>() dispatches to (json/impl/value_codec.inl and
// json/impl/model.inl); `pointer` is the JSON pointer of `j` in its document.
[[nodiscard]] WMISUB_API json_read_context json_context(const json_read_options& options);
[[nodiscard]] WMISUB_API result<value> json_read_value(const json_value& j, std::string_view pointer,
                                                       const json_read_context& ctx);
[[nodiscard]] WMISUB_API result<provenance> json_read_provenance(const json_value& j, std::string_view pointer,
                                                                 const json_read_context& ctx);
[[nodiscard]] WMISUB_API result<collection_error> json_read_collection_error(const json_value& j,
                                                                             std::string_view pointer,
                                                                             const json_read_context& ctx);
// `expected` is the kind the object's place implies (nullopt: any; "kind" decides).
[[nodiscard]] WMISUB_API result<wmi_object> json_read_object(const json_value& j, std::string_view pointer,
                                                             const json_read_context& ctx,
                                                             std::optional<object_kind> expected);
[[nodiscard]] WMISUB_API result<snapshot> json_read_snapshot(const json_value& doc, const json_read_context& base_ctx);
[[nodiscard]] WMISUB_API result<baseline> json_read_baseline(const json_value& doc, const json_read_context& base_ctx);
// True when the "checksum" member is present and right, false when absent and
// not required, corrupt_data otherwise.
[[nodiscard]] WMISUB_API result<bool> json_verify_seal(const json_value& doc, bool required, std::string_view what);

}  // namespace detail

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

// Parses exactly one JSON document within the limits. Syntax errors carry
// line, column and byte offset; duplicate keys are errors.
[[nodiscard]] WMISUB_API result<json_value> parse_json(std::string_view text, const json_limits& limits = {},
                                                       std::string_view source_name = {}) noexcept;

// A document as text (indent < 0: compact). Never throws; empty on allocation failure.
[[nodiscard]] WMISUB_API std::string dump_json(const json_value& doc, int indent = 2) noexcept;

// ---------------------------------------------------------------------------
// Writers: never fail (null on allocation failure)
// ---------------------------------------------------------------------------

// A value as {"type": "uint8[]", "value": [1, 2]}.
[[nodiscard]] WMISUB_API json_value to_json(const value& v) noexcept;

// {"kind", "source", "line", "column", "offset", "page", "record", "event_record_id", "created", "modified", "actor_sid"}.
[[nodiscard]] WMISUB_API json_value to_json(const provenance& p) noexcept;

// Any object: {"kind", "namespace", "class", …, "properties", "types", "identity", "fingerprint", "provenance"}.
[[nodiscard]] WMISUB_API json_value to_json(const wmi_object& o) noexcept;

// A generic instance (kind "instance").
[[nodiscard]] WMISUB_API json_value to_json(const instance& in) noexcept;
// A filter: {"kind": "filter", "name", "query", "query_language", "event_namespace", "creator_sid", …}.
[[nodiscard]] WMISUB_API json_value to_json(const event_filter& f) noexcept;
// A consumer of any class: {"kind": "consumer", "class", "name", "properties", …}.
[[nodiscard]] WMISUB_API json_value to_json(const consumer& c) noexcept;
// A binding: {"kind": "binding", "filter", "consumer", "properties", …}.
[[nodiscard]] WMISUB_API json_value to_json(const binding& b) noexcept;
// A timer instruction: {"kind": "timer", "timer_id", …}.
[[nodiscard]] WMISUB_API json_value to_json(const timer_instruction& t) noexcept;

// {"code", "message", "location": "file:3:14", "position": {…}, "expected"}.
[[nodiscard]] WMISUB_API json_value to_json(const error& e) noexcept;

// {"source", "namespace", "code", "message", "location", "position", "expected"}.
[[nodiscard]] WMISUB_API json_value to_json(const collection_error& e) noexcept;

// A `wmisub.snapshot/1` document, without checksum (to_json_text and save_snapshot add it).
[[nodiscard]] WMISUB_API json_value to_json(const snapshot& s) noexcept;

// A `wmisub.baseline/1` document, without checksum (to_json_text and save_baseline add it).
[[nodiscard]] WMISUB_API json_value to_json(const baseline& b) noexcept;

// A `wmisub.diff/1` document.
[[nodiscard]] WMISUB_API json_value to_json(const baseline_diff& d) noexcept;

// A trigger: its kind, its description (with the linked timer's interval when
// given) and the parameters of its kind, as reports and `wmisub wql` show it.
[[nodiscard]] WMISUB_API json_value to_json(const trigger& t,
                                            std::optional<std::uint64_t> timer_interval_ms = {}) noexcept;

// One assessed subscription as an entry of a `wmisub.report/1` document.
[[nodiscard]] WMISUB_API json_value to_json(const assessment& a) noexcept;

// A `wmisub.report/1` document: the assessments, in the order given, and the
// errors of the snapshot they were made from.
[[nodiscard]] WMISUB_API json_value report_to_json(std::span<const assessment> results, const snapshot& snap) noexcept;

// How a report_writer lays out and bounds its output.
struct report_writer_options {
    // Spaces per level, as nlohmann's dump(); -1 writes the document on one line.
    int indent = 2;
    // Longest string written (a script, a command line); longer ones are cut at a character
    // boundary and end with "… [N more bytes]". The assessment keeps the full text. 0: no cap.
    std::size_t max_text_bytes = limits{}.max_report_text_bytes;
};

// Writes a `wmisub.report/1` document piece by piece, as a scanner hands out
// assessments: each subscription is written and forgotten, so a report of any
// size never exists whole in memory (report_to_json builds the same document
// in memory). Subscriptions appear in the order written. The output function
// receives consecutive pieces of the text and returns false when it cannot
// take them (a full disk, a closed pipe); the writer then stops writing.
// Threads: one writer per document, used by one thread at a time.
class report_writer {
public:
    using output = std::function<bool(std::string_view piece)>;

    explicit report_writer(output out, report_writer_options options = {})
        : out_(std::move(out)), options_(options) {}

    // Writes one subscription (opening the document first); false when the output failed.
    WMISUB_API bool write(const assessment& a) noexcept;

    // Writes the snapshot's errors, the summary of the scan (when given; otherwise
    // the collection's state alone) and the end of the document. Fails when the
    // output failed at any point, or when called twice.
    [[nodiscard]] WMISUB_API result<void> finish(const snapshot& snap, const scan_summary* summary = nullptr) noexcept;

    // Subscriptions written so far.
    [[nodiscard]] std::size_t written() const noexcept { return written_; }

private:
    bool put(std::string_view piece);
    bool open();

    output out_;
    report_writer_options options_;
    std::string buffer_;  // the text of the subscription being written
    std::size_t written_ = 0;
    bool opened_ = false;
    bool finished_ = false;
    bool failed_ = false;
};

// nlohmann's ADL hooks, so `json_value j = snapshot;` works too.
WMISUB_API void to_json(json_value& j, const value& v);
WMISUB_API void to_json(json_value& j, const provenance& p);
WMISUB_API void to_json(json_value& j, const wmi_object& o);
WMISUB_API void to_json(json_value& j, const instance& in);
WMISUB_API void to_json(json_value& j, const event_filter& f);
WMISUB_API void to_json(json_value& j, const consumer& c);
WMISUB_API void to_json(json_value& j, const binding& b);
WMISUB_API void to_json(json_value& j, const timer_instruction& t);
WMISUB_API void to_json(json_value& j, const error& e);
WMISUB_API void to_json(json_value& j, const collection_error& e);
WMISUB_API void to_json(json_value& j, const snapshot& s);
WMISUB_API void to_json(json_value& j, const baseline& b);
WMISUB_API void to_json(json_value& j, const baseline_diff& d);

// ---------------------------------------------------------------------------
// Checksums
// ---------------------------------------------------------------------------

// "sha256:<hex>" over the canonical text of a document without its "checksum" member.
[[nodiscard]] WMISUB_API std::string json_checksum(const json_value& doc) noexcept;

// Sets (or replaces) the document's "checksum" member, as its last member.
WMISUB_API result<void> add_checksum(json_value& doc) noexcept;

// True when the document's checksum is present and right; false when absent
// and not required; errc::corrupt_data when wrong or required but absent.
[[nodiscard]] WMISUB_API result<bool> verify_checksum(const json_value& doc, bool required = true,
                                                      std::string_view what = "the document") noexcept;

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
[[nodiscard]] WMISUB_API json_format detect_json_format(const json_value& doc) noexcept;

// ---------------------------------------------------------------------------
// Documents as text
// ---------------------------------------------------------------------------

// A snapshot as a sealed `wmisub.snapshot/1` text. Empty on allocation failure.
[[nodiscard]] WMISUB_API std::string to_json_text(const snapshot& s, int indent = 2) noexcept;

// A baseline as a sealed `wmisub.baseline/1` text. Empty on allocation failure.
[[nodiscard]] WMISUB_API std::string to_json_text(const baseline& b, int indent = 2) noexcept;

// A diff as `wmisub.diff/1` text (a report: not sealed). Empty on allocation failure.
[[nodiscard]] WMISUB_API std::string to_json_text(const baseline_diff& d, int indent = 2) noexcept;

// Reads a `wmisub.snapshot/1` text (UTF-8 or UTF-16); the checksum is verified when present
// (required when options.require_checksum is set).
[[nodiscard]] WMISUB_API result<snapshot> snapshot_from_json_text(std::string_view bytes,
                                                                  const json_read_options& options = {}) noexcept;

// Reads a `wmisub.baseline/1` text; its checksum is required unless
// options.require_checksum is false.
[[nodiscard]] WMISUB_API result<baseline> baseline_from_json_text(std::string_view bytes,
                                                                  const json_read_options& options = {}) noexcept;

// Reads any supported input into a snapshot: wmisub snapshots and baselines,
// PowerShell ConvertTo-Json and osquery --json output, UTF-8 or UTF-16,
// single or concatenated documents. `summary` (optional) says what was found.
[[nodiscard]] WMISUB_API result<snapshot> read_json_snapshot(std::string_view bytes,
                                                             const json_read_options& options = {},
                                                             json_input_summary* summary = nullptr) noexcept;

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

// Writes a snapshot atomically as a sealed `wmisub.snapshot/1` file.
[[nodiscard]] WMISUB_API result<void> save_snapshot(const std::filesystem::path& path, const snapshot& s) noexcept;

// Writes a baseline atomically as a sealed `wmisub.baseline/1` file.
[[nodiscard]] WMISUB_API result<void> save_baseline(const std::filesystem::path& path, const baseline& b) noexcept;

// Reads a snapshot file written by save_snapshot (or any wmisub.snapshot/1
// file). A file that does not parse or whose checksum does not match is
// errc::corrupt_data.
[[nodiscard]] WMISUB_API result<snapshot> load_snapshot(const std::filesystem::path& path,
                                                        json_read_options options = {}) noexcept;

// Reads a baseline file written by save_baseline. Its checksum is required
// (unless options.require_checksum is false): a truncated, corrupted or
// hand-edited file is errc::corrupt_data, never an empty baseline. A valid
// baseline without entries is returned as such.
[[nodiscard]] WMISUB_API result<baseline> load_baseline(const std::filesystem::path& path,
                                                        json_read_options options = {}) noexcept;

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/json/impl/json.inl"
#endif
