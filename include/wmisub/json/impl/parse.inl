// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/json/json.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Bounded JSON parsing on top of nlohmann/json's SAX interface, without
// exceptions: a document builder that enforces depth, value, array and object
// limits, rejects duplicate keys, and reports syntax errors with line, column
// and byte offset. Also: splitting concatenated documents (PowerShell `>>`,
// osquery with several queries), JSON pointers, and the canonical text that
// file checksums are computed over.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/detail/utf.hpp"
#include "wmisub/json/json.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

namespace detail {

// The location of a byte offset of `text`: 1-based line, 1-based column in characters.
[[nodiscard]] inline source_location json_location_at(std::string_view text, std::size_t offset,
                                                      std::string_view source) {
    source_location at;
    at.source = std::string(source);
    if (offset > text.size()) offset = text.size();
    at.offset = offset;
    // Counted in bulk (std::count vectorizes): a stop deep in a big file is located without a byte-by-byte walk.
    const std::string_view before = text.substr(0, offset);
    const std::size_t line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    const std::size_t last_newline = before.rfind('\n');
    const std::size_t line_start = last_newline == std::string_view::npos ? 0 : last_newline + 1;
    std::size_t column = 1;
    for (std::size_t i = line_start; i < offset; ++i) {
        if (!is_utf8_continuation(byte_at(text, i))) ++column;
    }
    at.line = line;
    at.column = column;
    return at;
}

// Incremental line/column for increasing offsets (one pass over a file's objects).
class json_line_counter {
public:
    explicit json_line_counter(std::string_view text) noexcept : text_(text) {}

    [[nodiscard]] source_location at(std::size_t offset, std::string_view source) {
        if (offset > text_.size()) offset = text_.size();
        if (offset < pos_) {
            pos_ = 0;
            line_ = 1;
            line_start_ = 0;
        }
        for (; pos_ < offset; ++pos_) {
            if (text_[pos_] == '\n') {
                ++line_;
                line_start_ = pos_ + 1;
            }
        }
        source_location out;
        out.source = std::string(source);
        out.offset = offset;
        out.line = line_;
        std::size_t column = 1;
        for (std::size_t i = line_start_; i < offset; ++i) {
            if (!is_utf8_continuation(byte_at(text_, i))) ++column;
        }
        out.column = column;
        return out;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    std::size_t line_start_ = 0;
};

// One JSON pointer reference token (RFC 6901): `~` and `/` escaped.
[[nodiscard]] inline std::string json_pointer_token(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    for (const char c : key) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

[[nodiscard]] inline std::string json_pointer(std::string_view base, std::string_view key) {
    std::string out(base);
    out += '/';
    out += json_pointer_token(key);
    return out;
}

[[nodiscard]] inline std::string json_pointer(std::string_view base, std::size_t index) {
    std::string out(base);
    out += '/';
    out += std::to_string(index);
    return out;
}

// `text` as well-formed UTF-8 (every string wmisub puts into a document goes
// through this, so dump() never meets invalid UTF-8 and checksums computed
// before writing match the text read back).
[[nodiscard]] inline std::string json_utf8(std::string_view text) {
    if (is_valid_utf8(text)) return std::string(text);
    std::string out;
    sanitize_utf8(out, text);
    return out;
}

// An input iterator over the text that records the last position nlohmann's
// lexer read, so SAX callbacks (which get no position) can report offsets.
class json_cursor_iterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    json_cursor_iterator() noexcept = default;
    json_cursor_iterator(const char* p, const char** cursor) noexcept : p_(p), cursor_(cursor) {}

    reference operator*() const noexcept {
        if (cursor_ != nullptr) *cursor_ = p_;
        return *p_;
    }
    json_cursor_iterator& operator++() noexcept {
        ++p_;
        return *this;
    }
    json_cursor_iterator operator++(int) noexcept {
        json_cursor_iterator old = *this;
        ++p_;
        return old;
    }
    friend bool operator==(const json_cursor_iterator& a, const json_cursor_iterator& b) noexcept {
        return a.p_ == b.p_;
    }
    friend bool operator!=(const json_cursor_iterator& a, const json_cursor_iterator& b) noexcept {
        return a.p_ != b.p_;
    }

private:
    const char* p_ = nullptr;
    const char** cursor_ = nullptr;
};

// What the builder produced: the document and the byte offsets (in the whole
// text) where each direct child of an array root starts.
struct json_parsed {
    json_value root;
    std::vector<std::size_t> item_offsets;
    std::size_t root_offset = 0;
};

// The SAX handler that builds a json_value within limits and never throws.
class json_bounded_builder {
public:
    using number_integer_t = json_value::number_integer_t;
    using number_unsigned_t = json_value::number_unsigned_t;
    using number_float_t = json_value::number_float_t;
    using string_t = json_value::string_t;
    using binary_t = json_value::binary_t;
    using members_t = json_value::object_t::Container;

    json_bounded_builder(json_parsed& out, const json_limits& limits, std::string_view text, std::size_t doc_begin,
                         const char* const* cursor, std::string_view source)
        : out_(out), limits_(limits), text_(text), doc_begin_(doc_begin), cursor_(cursor), source_(source) {}

    // Looks at `stop` every 4,096 values; the parse then fails with its reason.
    void stop_on(const stop_signal& stop) noexcept { stop_ = &stop; }

    bool null() { return add(json_value(nullptr)) != nullptr; }
    bool boolean(bool v) { return add(json_value(v)) != nullptr; }
    bool number_integer(number_integer_t v) { return add(json_value(v)) != nullptr; }
    bool number_unsigned(number_unsigned_t v) { return add(json_value(v)) != nullptr; }
    bool number_float(number_float_t v, const string_t&) { return add(json_value(v)) != nullptr; }
    bool string(string_t& v) { return add(json_value(std::move(v))) != nullptr; }
    bool binary(binary_t&) { return fail(errc::syntax_error, "binary values are not JSON"); }

    bool start_object(std::size_t) { return open(json_value::value_t::object); }
    bool start_array(std::size_t) { return open(json_value::value_t::array); }

    bool key(string_t& k) {
        members_t* open_object = members_of(*stack_.back());
        if (open_object == nullptr) return fail(errc::internal, "JSON key outside an object");
        members_t& members = *open_object;
        if (members.size() >= limits_.max_object_members) {
            return fail(errc::limit_exceeded,
                        "object with more than " + std::to_string(limits_.max_object_members) + " members");
        }
        // Straight into the member vector: ordered_map::emplace searches linearly
        // for an equal key, which would make big objects quadratic. Duplicates
        // are rejected when the object closes.
        members.emplace_back(std::move(k), nullptr);
        slot_ = &members.back().second;
        return true;
    }

    bool end_object() {
        const members_t* open_object = members_of(*stack_.back());
        if (open_object == nullptr) return fail(errc::internal, "JSON object end outside an object");
        const members_t& members = *open_object;
        if (members.size() > 1) {
            std::vector<std::string_view> keys;
            keys.reserve(members.size());
            for (const auto& m : members) keys.emplace_back(m.first);
            std::sort(keys.begin(), keys.end());
            const auto dup = std::adjacent_find(keys.begin(), keys.end());
            if (dup != keys.end()) {
                return fail(errc::syntax_error, "duplicate key \"" + json_utf8(*dup) + "\" in an object");
            }
        }
        stack_.pop_back();
        return true;
    }

    bool end_array() {
        stack_.pop_back();
        return true;
    }

    bool parse_error(std::size_t position, const std::string& last_token, const json_value::exception& ex) {
        if (failed_) return false;
        // nlohmann counts characters read, the failing one included.
        std::size_t offset = doc_begin_ + (position > 0 ? position - 1 : 0);
        if (offset > text_.size()) offset = text_.size();
        std::string what = ex.what();
        // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error while parsing ..."
        if (const std::size_t bracket = what.find("] "); bracket != std::string::npos) what.erase(0, bracket + 2);
        if (const std::size_t colon = what.find(": "); what.starts_with("parse error") && colon != std::string::npos) {
            what.erase(0, colon + 2);
        }
        errc code = errc::syntax_error;
        if (what.find("unexpected end of input") != std::string::npos) code = errc::unexpected_end;
        if (what.find("UTF-8") != std::string::npos || what.find("surrogate") != std::string::npos) {
            code = errc::invalid_encoding;
        }
        if (what.find("number overflow") != std::string::npos) code = errc::limit_exceeded;
        (void)last_token;
        error_ = make_error(code, json_utf8(what), json_location_at(text_, offset, source_));
        failed_ = true;
        return false;
    }

    [[nodiscard]] bool failed() const noexcept { return failed_; }
    [[nodiscard]] const error& failure() const noexcept { return error_; }

private:
    static members_t* members_of(json_value& object) noexcept {
        json_value::object_t* members = object.get_ptr<json_value::object_t*>();
        return members != nullptr ? static_cast<members_t*>(members) : nullptr;
    }

    [[nodiscard]] std::size_t cursor_offset() const noexcept {
        if (cursor_ == nullptr || *cursor_ == nullptr) return doc_begin_;
        const auto offset = static_cast<std::size_t>(*cursor_ - text_.data());
        return offset <= text_.size() ? offset : text_.size();
    }

    void stop_with(error why) {
        if (failed_) return;
        why.location = json_location_at(text_, cursor_offset(), source_);
        error_ = std::move(why);
        failed_ = true;
    }

    bool fail(errc code, std::string message) {
        if (!failed_) {
            error_ = make_error(code, std::move(message), json_location_at(text_, cursor_offset(), source_));
            failed_ = true;
        }
        return false;
    }

    bool open(json_value::value_t type) {
        json_value* v = add(json_value(type));
        if (v == nullptr) return false;
        if (stack_.size() >= limits_.max_depth) {
            return fail(errc::limit_exceeded, "JSON nested deeper than " + std::to_string(limits_.max_depth) + " levels");
        }
        stack_.push_back(v);
        return true;
    }

    json_value* add(json_value&& v) {
        if (stop_ != nullptr && (values_ & 4095u) == 0) {
            if (auto why = stop_->why("JSON parse")) {
                stop_with(std::move(*why));
                return nullptr;
            }
        }
        if (++values_ > limits_.max_values) {
            fail(errc::limit_exceeded, "more than " + std::to_string(limits_.max_values) + " JSON values");
            return nullptr;
        }
        if (stack_.empty()) {
            out_.root = std::move(v);
            out_.root_offset = cursor_offset();
            return &out_.root;
        }
        if (stack_.size() == 1 && out_.root.is_array()) out_.item_offsets.push_back(cursor_offset());
        json_value& parent = *stack_.back();
        if (auto* items = parent.get_ptr<json_value::array_t*>()) {
            if (items->size() >= limits_.max_array_elements) {
                fail(errc::limit_exceeded,
                     "array with more than " + std::to_string(limits_.max_array_elements) + " elements");
                return nullptr;
            }
            items->push_back(std::move(v));
            return &items->back();
        }
        *slot_ = std::move(v);
        return slot_;
    }

    json_parsed& out_;
    const json_limits& limits_;
    std::string_view text_;
    std::size_t doc_begin_;
    const char* const* cursor_;
    std::string_view source_;
    const stop_signal* stop_ = nullptr;  // nullptr: nothing stops the parse but its limits
    std::vector<json_value*> stack_;
    json_value* slot_ = nullptr;
    std::size_t values_ = 0;
    bool failed_ = false;
    error error_;
};

// True for the errors of a stop_signal: a read stopped from outside, never a problem of the input.
[[nodiscard]] inline bool json_stopped(const error& e) noexcept {
    return e.code == errc::cancelled || e.code == errc::timeout;
}

// Every 256th object of a reader's loop: why the read must stop now, located at `pointer`.
[[nodiscard]] inline std::optional<error> json_poll_stop(const json_read_context& ctx, std::size_t index,
                                                         std::string_view pointer) {
    if (ctx.stop == nullptr || (index & 255u) != 0) return std::nullopt;
    auto why = ctx.stop->why("JSON read");
    if (why) why = ctx.at(why->code, pointer, std::move(why->message));
    return why;
}

// Parses text[begin, end) as exactly one JSON document. Locations refer to `text`.
[[nodiscard]] inline result<json_parsed> json_parse_range(std::string_view text, std::size_t begin, std::size_t end,
                                                          const json_limits& limits, std::string_view source,
                                                          const stop_signal* stop = nullptr) {
    if (end - begin > limits.max_bytes) {
        return make_error(errc::limit_exceeded,
                          "JSON input larger than " + std::to_string(limits.max_bytes) + " bytes",
                          json_location_at(text, begin, source));
    }
#if WMISUB_EXCEPTIONS
    try {
#endif
        json_parsed out;
        const char* cursor = nullptr;
        json_bounded_builder builder(out, limits, text, begin, &cursor, source);
        if (stop != nullptr && !stop->empty()) builder.stop_on(*stop);
        const json_cursor_iterator first(text.data() + begin, &cursor);
        const json_cursor_iterator last(text.data() + end, &cursor);
        const bool ok = json_value::sax_parse(first, last, &builder, json_value::input_format_t::json, true, false);
        if (builder.failed()) return builder.failure();
        if (!ok) return make_error(errc::syntax_error, "invalid JSON", json_location_at(text, begin, source));
        return out;
#if WMISUB_EXCEPTIONS
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "out of memory while parsing JSON", json_location_at(text, begin, source));
    } catch (...) {
        return make_error(errc::internal, "unexpected exception while parsing JSON", json_location_at(text, begin, source));
    }
#endif
}

[[nodiscard]] constexpr bool json_is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Splits text holding one or more JSON documents written one after another
// (`ConvertTo-Json >> file`, several osquery queries) into [begin, end)
// ranges. Brackets are matched outside strings only; a document that never
// closes runs to the end, where the parser reports it as truncated. A U+FEFF
// between documents (a BOM of an appended part) counts as white space.
[[nodiscard]] inline result<std::vector<std::pair<std::size_t, std::size_t>>> json_split_documents(
    std::string_view text, const json_limits& limits, std::string_view source) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t pos = 0;
    while (true) {
        while (pos < text.size()) {
            if (json_is_space(text[pos])) {
                ++pos;
            } else if (text.substr(pos).starts_with("\xEF\xBB\xBF")) {
                pos += 3;
            } else {
                break;
            }
        }
        if (pos >= text.size()) break;
        if (out.size() >= limits.max_documents) {
            return make_error(errc::limit_exceeded,
                              "more than " + std::to_string(limits.max_documents) + " JSON documents in one input",
                              json_location_at(text, pos, source));
        }
        const char open = text[pos];
        if (open != '{' && open != '[') {
            if (!out.empty()) {
                return make_error(errc::syntax_error, "text after the end of a JSON document",
                                  json_location_at(text, pos, source));
            }
            out.emplace_back(pos, text.size());  // a scalar or garbage: the parser says what is wrong
            break;
        }
        std::size_t depth = 0;
        bool in_string = false;
        std::size_t i = pos;
        for (; i < text.size(); ++i) {
            if (in_string) {
                // Straight to the next quote; it closes the string unless an odd run of backslashes escapes it.
                const void* quote = std::memchr(text.data() + i, '"', text.size() - i);
                if (quote == nullptr) {
                    i = text.size();
                    break;
                }
                i = static_cast<std::size_t>(static_cast<const char*>(quote) - text.data());
                std::size_t backslashes = 0;
                while (text[i - backslashes - 1] == '\\') ++backslashes;  // stops at the opening quote at the latest
                in_string = backslashes % 2 != 0;
                continue;
            }
            const char c = text[i];
            if (c == '"') {
                in_string = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) break;
            }
        }
        const std::size_t end = i < text.size() ? i + 1 : text.size();
        out.emplace_back(pos, end);
        pos = end;
    }
    return out;
}

// Appends `s` as a JSON string literal (the canonical escaping: `"` `\` and
// control characters only; other characters as UTF-8).
inline void json_append_string(std::string& out, std::string_view s) {
    constexpr std::string_view hex = "0123456789abcdef";
    out += '"';
    for (const char c : s) {
        const auto b = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (b < 0x20) {
                out += "\\u00";
                out += hex[b >> 4];
                out += hex[b & 0x0Fu];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

// The canonical text of a document: members sorted by key (bytewise), no
// white space, strings as UTF-8. At the root, the member named `skip_root_key`
// is left out (the checksum itself). Two documents with the same content have
// the same canonical text however they were formatted or their keys ordered.
inline void json_append_canonical(std::string& out, const json_value& v, std::string_view skip_root_key, bool root) {
    switch (v.type()) {
    case json_value::value_t::object: {
        const auto* members = v.get_ptr<const json_value::object_t*>();
        if (members == nullptr) return;
        std::vector<const std::pair<const std::string, json_value>*> sorted;
        sorted.reserve(members->size());
        for (const auto& m : *members) {
            if (root && !skip_root_key.empty() && m.first == skip_root_key) continue;
            sorted.push_back(&m);
        }
        std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
        out += '{';
        for (std::size_t i = 0; i < sorted.size(); ++i) {
            if (i != 0) out += ',';
            json_append_string(out, json_utf8(sorted[i]->first));
            out += ':';
            json_append_canonical(out, sorted[i]->second, {}, false);
        }
        out += '}';
        return;
    }
    case json_value::value_t::array: {
        const auto* items = v.get_ptr<const json_value::array_t*>();
        if (items == nullptr) return;
        out += '[';
        for (std::size_t i = 0; i < items->size(); ++i) {
            if (i != 0) out += ',';
            json_append_canonical(out, (*items)[i], {}, false);
        }
        out += ']';
        return;
    }
    case json_value::value_t::string:
        if (const auto* s = v.get_ptr<const std::string*>()) json_append_string(out, json_utf8(*s));
        return;
    case json_value::value_t::boolean:
        if (const auto* b = v.get_ptr<const bool*>()) out += *b ? "true" : "false";
        return;
    case json_value::value_t::number_integer:
        if (const auto* i = v.get_ptr<const json_value::number_integer_t*>()) out += std::to_string(*i);
        return;
    case json_value::value_t::number_unsigned:
        if (const auto* u = v.get_ptr<const json_value::number_unsigned_t*>()) out += std::to_string(*u);
        return;
    case json_value::value_t::number_float:
        out += v.dump(-1, ' ', false, json_value::error_handler_t::replace);
        return;
    case json_value::value_t::null:
    case json_value::value_t::discarded:
    case json_value::value_t::binary:
    default: out += "null"; return;
    }
}

// Text of a document for files and reports; invalid UTF-8 (never produced by
// wmisub's writers) is replaced instead of making dump() throw.
[[nodiscard]] inline std::string json_dump(const json_value& v, int indent) {
    return v.dump(indent, ' ', false, json_value::error_handler_t::replace);
}

// Appends the text of `v` to `out` as dump(indent) would write it `depth` levels deep in a
// document (its nested lines indented by depth * indent more): streamed documents are
// written a piece at a time without re-indenting text. nlohmann's serializer takes the
// starting indent that dump() hides.
inline void json_dump_into(std::string& out, const json_value& v, int indent, unsigned depth) {
    using serializer = nlohmann::detail::serializer<json_value>;
    serializer writer(nlohmann::detail::output_adapter<char, std::string>(out), ' ', json_value::error_handler_t::replace);
    if (indent < 0) {
        writer.dump(v, false, false, 0);
    } else {
        const auto step = static_cast<unsigned>(indent);
        writer.dump(v, true, false, step, step * depth);
    }
}

}  // namespace detail

WMISUB_NAMESPACE_END
