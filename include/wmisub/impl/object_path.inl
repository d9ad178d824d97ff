// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/object_path.hpp: the object path parser, formatters and canonical forms.
// Included by that header only under WMISUB_INCLUDE_IMPLEMENTATION (header-only
// mode, or the one translation unit that defines WMISUB_IMPLEMENTATION); not a
// header to include.
#pragma once

#include "wmisub/object_path.hpp"
#include "wmisub/config.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

namespace detail {  // the parser and the formatters

// A reference is a path with a class and something beyond a bare class name.
// A bare identifier compares the same as a string or a path, so leaving it a
// string keeps plain names like "Updater" out of the nesting limit.
[[nodiscard]] inline bool opath_is_reference(const object_path& p) noexcept {
    return !p.class_name.empty() && (!p.namespace_path.empty() || p.singleton || !p.keys.empty());
}

// How the parser treats whitespace and nested references.
struct opath_mode {
    std::size_t depth = 0;      // how many references enclose this text
    bool lenient = true;        // skip whitespace around punctuation (top level only)
    bool check_nested = true;   // re-parse string values to enforce WMISUB_MAX_NESTING
};

// True when text holds one of a few chars: find_first_of, but a plain loop
// (libstdc++ calls memchr on the set for every character).
[[nodiscard]] constexpr bool opath_has_any_of(std::string_view text, std::string_view chars) noexcept {
    for (const char c : text) {
        for (const char wanted : chars) {
            if (c == wanted) return true;
        }
    }
    return false;
}

// A reference names a namespace (`:`), keys or a singleton (`=`); a value with
// neither is plain text, and most key values are, so this spares a parse.
[[nodiscard]] constexpr bool opath_could_be_reference(std::string_view text) noexcept {
    return opath_has_any_of(text, "=:");
}

// What a string value turned out to be when parsed as a path.
enum class opath_probe { plain, reference, too_deep };

// Recursive-descent parser for one object path. Each step returns false after recording an error.
class opath_parser {
public:
    opath_parser(std::string_view text, opath_mode mode) noexcept : text_(text), mode_(mode) {}

    // Parses the whole text.
    [[nodiscard]] result<object_path> run() {
        if (!parse_all() || !check_nested_values()) return std::move(error_);
        return std::move(path_);
    }

    // True when run() failed only because references nest too deeply.
    [[nodiscard]] bool too_deep() const noexcept { return too_deep_; }

    // Parses text as a reference found at depth, strictly (WMI writes references without spaces).
    [[nodiscard]] static opath_probe probe(std::string_view text, std::size_t depth) {
        if (!opath_could_be_reference(text)) return opath_probe::plain;
        const bool beyond = depth > static_cast<std::size_t>(WMISUB_MAX_NESTING);
        opath_parser inner(text, opath_mode{depth, false, !beyond});
        auto parsed = inner.run();
        if (!parsed) return inner.too_deep() ? opath_probe::too_deep : opath_probe::plain;
        if (!opath_is_reference(*parsed)) return opath_probe::plain;
        return beyond ? opath_probe::too_deep : opath_probe::reference;
    }

private:
    [[nodiscard]] bool at_end() const noexcept { return pos_ >= text_.size(); }
    [[nodiscard]] char peek() const noexcept { return at_end() ? '\0' : text_[pos_]; }
    [[nodiscard]] char peek_at(std::size_t at) const noexcept { return at < text_.size() ? text_[at] : '\0'; }

    void skip_space() noexcept {
        if (!mode_.lenient) return;
        while (!at_end() && opath_is_space(text_[pos_])) ++pos_;
    }

    bool fail(errc code, const char* message, std::size_t at) {
        error_ = make_error(code, message, at);
        return false;
    }
    bool syntax(const char* message, std::size_t at) { return fail(errc::syntax_error, message, at); }

    // Advances over characters accepted by pred and returns them.
    template <class Pred>
    std::string_view scan(Pred pred) noexcept {
        const std::size_t begin = pos_;
        while (!at_end() && pred(text_[pos_])) ++pos_;
        return text_.substr(begin, pos_ - begin);
    }

    bool parse_all() {
        if (text_.size() > WMISUB_MAX_OBJECT_PATH_BYTES) {
            return fail(errc::limit_exceeded, "object path is longer than WMISUB_MAX_OBJECT_PATH_BYTES",
                        WMISUB_MAX_OBJECT_PATH_BYTES);
        }
        skip_space();
        if (at_end()) return syntax("empty object path", pos_);
        bool has_namespace = false;
        if (!parse_namespace_prefix(has_namespace)) return false;
        if (has_namespace) {
            skip_space();
            if (at_end()) return true;  // a namespace path: no class
            if (peek() != ':') return syntax("expected ':' or a separator after the namespace", pos_);
            ++pos_;
            skip_space();
        }
        if (!parse_class() || !parse_object_part()) return false;
        skip_space();
        return at_end() || syntax("unexpected characters after the object path", pos_);
    }

    // `\\server\ns`, `\ns`, `ns\ns` and `ns:` all start a namespace; anything else is a class.
    bool parse_namespace_prefix(bool& has_namespace) {
        if (opath_is_separator(peek()) && opath_is_separator(peek_at(pos_ + 1))) {
            pos_ += 2;
            has_namespace = true;
            return parse_server() && parse_namespace_names();
        }
        if (opath_is_separator(peek())) {
            ++pos_;
            has_namespace = true;
            return parse_namespace_names();
        }
        std::size_t end = pos_;
        while (end < text_.size() && opath_is_namespace_char(text_[end])) ++end;
        std::size_t after = end;
        while (mode_.lenient && after < text_.size() && opath_is_space(text_[after])) ++after;
        has_namespace = end > pos_ && (opath_is_separator(peek_at(end)) || peek_at(after) == ':');
        return !has_namespace || parse_namespace_names();
    }

    bool parse_server() {
        const std::size_t at = pos_;
        const std::string_view name = scan(opath_is_server_char);
        if (name.empty()) return syntax("expected a server name after '\\\\'", at);
        if (!opath_is_separator(peek())) return syntax("expected a separator after the server name", pos_);
        ++pos_;
        path_.server.assign(name);
        return true;
    }

    bool parse_namespace_names() {
        while (!at_end()) {
            const std::size_t at = pos_;
            const std::string_view name = scan(opath_is_namespace_char);
            if (name.empty()) return syntax("expected a namespace name", at);
            if (!path_.namespace_path.empty()) path_.namespace_path += '\\';
            path_.namespace_path.append(name);
            if (!opath_is_separator(peek())) return true;
            ++pos_;
        }
        return syntax("expected a namespace name", pos_);
    }

    bool parse_class() {
        if (!opath_is_name_start(peek())) return syntax("expected a class name", pos_);
        path_.class_name.assign(scan(opath_is_name_char));
        return true;
    }

    // Whatever follows the class: nothing, `=@`, `=value` or `.Key=value,...`.
    bool parse_object_part() {
        skip_space();
        if (peek() == '.') {
            ++pos_;
            return parse_key_list();
        }
        if (peek() != '=') return true;
        ++pos_;
        skip_space();
        if (peek() == '@') {
            ++pos_;
            path_.singleton = true;
            return true;
        }
        return parse_value(std::string{});
    }

    bool parse_key_list() {
        while (!at_end()) {
            skip_space();
            const std::size_t at = pos_;
            if (path_.keys.size() >= WMISUB_MAX_PATH_KEYS) {
                return fail(errc::limit_exceeded, "object path has more than WMISUB_MAX_PATH_KEYS keys", at);
            }
            if (!opath_is_name_start(peek())) return syntax("expected a key name", at);
            std::string name(scan(opath_is_name_char));
            if (has_key(name)) return syntax("duplicate key name", at);
            skip_space();
            if (peek() != '=') return syntax("expected '=' after the key name", pos_);
            ++pos_;
            skip_space();
            if (!parse_value(std::move(name))) return false;
            skip_space();
            if (peek() != ',') return true;
            ++pos_;
        }
        return syntax("expected a key name", pos_);
    }

    [[nodiscard]] bool has_key(std::string_view name) const noexcept {
        return std::any_of(path_.keys.begin(), path_.keys.end(),
                           [name](const path_key& k) { return iequals(k.name, name); });
    }

    bool parse_value(std::string name) {
        const std::size_t at = pos_;
        path_key key{std::move(name), key_value_kind::string, {}};
        const char c = peek();
        bool ok = false;
        if (c == '"' || c == '\'') {
            ok = parse_quoted(key.value);
            string_offsets_.push_back(at);
        } else if (c == '-' || opath_is_digit(c)) {
            key.kind = key_value_kind::integer;
            ok = parse_integer(key.value);
        } else {
            key.kind = key_value_kind::boolean;
            ok = parse_boolean(key.value);
        }
        if (ok) path_.keys.push_back(std::move(key));
        return ok;
    }

    bool parse_quoted(std::string& out) {
        const std::size_t open = pos_;
        const char quote = text_[pos_++];
        while (!at_end()) {
            char c = text_[pos_++];
            if (c == quote) return true;
            const char next = peek();
            if (c == '\\' && (next == '"' || next == '\'' || next == '\\')) {
                c = next;
                ++pos_;
            }
            out += c;
        }
        return syntax("unterminated quoted string", open);
    }

    bool parse_integer(std::string& out) {
        const std::size_t at = pos_;
        const bool negative = peek() == '-';
        if (negative) ++pos_;
        unsigned base = 10;
        if (peek() == '0' && (peek_at(pos_ + 1) == 'x' || peek_at(pos_ + 1) == 'X')) {
            base = 16;
            pos_ += 2;
        }
        std::uint64_t magnitude = 0;
        if (!accumulate_digits(base, magnitude, at)) return false;
        if (opath_is_name_char(peek()) || peek() == '.') return syntax("malformed number", pos_);
        constexpr std::uint64_t min_magnitude = std::uint64_t{1} << 63;
        if (negative && magnitude > min_magnitude) return syntax("integer is out of range", at);
        out = (negative && magnitude != 0 ? "-" : "") + std::to_string(static_cast<unsigned long long>(magnitude));
        return true;
    }

    bool accumulate_digits(unsigned base, std::uint64_t& magnitude, std::size_t at) {
        const std::size_t first = pos_;
        constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
        while (!at_end()) {
            const unsigned digit = opath_hex_value(text_[pos_]);
            if (digit >= base) break;
            if (magnitude > (max - digit) / base) return syntax("integer is out of range", at);
            magnitude = magnitude * base + digit;
            ++pos_;
        }
        return pos_ > first || syntax("expected digits", pos_);
    }

    bool parse_boolean(std::string& out) {
        const std::size_t at = pos_;
        const std::string_view word = scan(opath_is_name_char);
        if (iequals(word, "true")) {
            out = "TRUE";
        } else if (iequals(word, "false")) {
            out = "FALSE";
        } else {
            return syntax("expected a quoted string, a number, TRUE or FALSE", at);
        }
        return true;
    }

    // Runs after the whole path parsed, so a syntax error anywhere wins over nesting depth.
    bool check_nested_values() {
        if (!mode_.check_nested) return true;
        std::size_t next = 0;
        for (const path_key& key : path_.keys) {
            if (key.kind != key_value_kind::string) continue;
            const std::size_t at = string_offsets_[next++];
            if (probe(key.value, mode_.depth + 1) == opath_probe::too_deep) {
                too_deep_ = true;
                return fail(errc::limit_exceeded, "object path references nest deeper than WMISUB_MAX_NESTING", at);
            }
        }
        return true;
    }

    std::string_view text_;
    opath_mode mode_;
    std::size_t pos_ = 0;
    object_path path_;
    std::vector<std::size_t> string_offsets_;  // where each string value starts, in key order
    wmisub::error error_;
    bool too_deep_ = false;
};

// Parses text as if it were a reference nested depth levels deep; lenient allows whitespace.
// parse_object_path is the depth-0 case; tests use this to reach the nesting limit.
[[nodiscard]] inline result<object_path> parse_object_path_at(std::string_view text, std::size_t depth,
                                                              bool lenient = true) {
    const bool check = depth <= static_cast<std::size_t>(WMISUB_MAX_NESTING);
    return opath_parser(text, opath_mode{depth, lenient, check}).run();
}

// Backslash separators, no leading or trailing separator: the stored namespace form.
[[nodiscard]] inline std::string opath_normalise_namespace(std::string_view ns) {
    std::size_t begin = 0;
    std::size_t end = ns.size();
    while (begin < end && opath_is_separator(ns[begin])) ++begin;
    while (end > begin && opath_is_separator(ns[end - 1])) --end;
    std::string out(ns.substr(begin, end - begin));
    std::replace(out.begin(), out.end(), '/', '\\');
    return out;
}

// Appends raw as a double-quoted key value.
inline void opath_append_quoted(std::string& out, std::string_view raw) {
    out += '"';
    for (const char c : raw) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
}

// Strings are quoted; integers and booleans are already in their printed form.
inline void opath_append_value(std::string& out, const path_key& key) {
    if (key.kind == key_value_kind::string) {
        opath_append_quoted(out, key.value);
    } else {
        out += key.value;
    }
}

// The text behind to_string; the namespace is normalised so hand-built paths read back too.
inline void opath_format(std::string& out, const object_path& p) {
    const std::string ns = opath_normalise_namespace(p.namespace_path);
    if (!p.server.empty() && !ns.empty()) {
        out += "\\\\";
        out += p.server;
        out += '\\';
    } else if (p.class_name.empty() && !ns.empty() && ns.find('\\') == std::string::npos) {
        out += '\\';  // a one-name namespace path would otherwise read back as a class
    }
    out += ns;
    if (p.class_name.empty()) return;
    if (!ns.empty()) out += ':';
    out += p.class_name;
    if (p.singleton) {
        out += "=@";
        return;
    }
    const bool shorthand = p.keys.size() == 1 && p.keys.front().name.empty();
    for (std::size_t i = 0; i < p.keys.size(); ++i) {
        out += shorthand ? "=" : (i == 0 ? "." : ",");
        out += p.keys[i].name;
        if (!shorthand) out += '=';
        opath_append_value(out, p.keys[i]);
    }
}

// Declared early because key values recurse into it.
inline void opath_append_canonical(std::string& out, const object_path& p, std::size_t depth);
inline void opath_append_canonical_as(std::string& out, const object_path& p, std::size_t depth, std::string_view server,
                                      std::string_view namespace_path);

// The canonical text of a string key value. A string that is a reference is
// canonicalised as a path, relative ones placed in holder_namespace, the
// namespace of the path holding them (that is where WMI looks them up).
inline void opath_append_canonical_string(std::string& out, std::string_view value, std::string_view holder_namespace,
                                          std::size_t depth) {
    if (depth < static_cast<std::size_t>(WMISUB_MAX_NESTING) && opath_could_be_reference(value)) {
        auto nested = opath_parser(value, opath_mode{depth + 1, false, false}).run();
        if (nested && opath_is_reference(*nested)) {
            if (nested->namespace_path.empty()) nested->namespace_path = holder_namespace;
            std::string inner;
            opath_append_canonical(inner, *nested, depth + 1);
            opath_append_quoted(out, inner);
            return;
        }
    }
    if (opath_has_any_of(value, "\"\\")) {
        opath_append_quoted(out, fold_case(value));
        return;
    }
    out += '"';  // nothing to escape: fold straight into place
    append_folded(out, value);
    out += '"';
}

// The canonical text of one key value: integers and booleans as printed, strings as above.
inline void opath_append_canonical_value(std::string& out, const path_key& key, const object_path& holder,
                                         std::size_t depth) {
    if (key.kind != key_value_kind::string) {
        append_folded(out, key.value);
        return;
    }
    opath_append_canonical_string(out, key.value, holder.namespace_path, depth);
}

[[nodiscard]] inline std::string opath_canonical_value(const path_key& key, const object_path& holder, std::size_t depth) {
    std::string out;
    opath_append_canonical_value(out, key, holder, depth);
    return out;
}

// Keys sorted by folded name; the value breaks ties so duplicates (only
// possible in hand-built paths) still give one order.
inline void opath_append_canonical_keys(std::string& out, const object_path& p, std::size_t depth) {
    if (p.keys.size() == 1) {  // a single key's name is implied by the class: `C="v"` == `C.Name="v"`
        out += '=';
        opath_append_canonical_value(out, p.keys.front(), p, depth);
        return;
    }
    std::vector<std::pair<std::string, std::string>> keys;
    keys.reserve(p.keys.size());
    for (const path_key& key : p.keys) keys.emplace_back(fold_case(key.name), opath_canonical_value(key, p, depth));
    std::sort(keys.begin(), keys.end());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        out += i == 0 ? '.' : ',';
        out += keys[i].first;
        out += '=';
        out += keys[i].second;
    }
}

// Appends the namespace without leading or trailing separators, '/' as '\\', folded.
inline void opath_append_folded_namespace(std::string& out, std::string_view ns) {
    std::size_t begin = 0;
    std::size_t end = ns.size();
    while (begin < end && opath_is_separator(ns[begin])) ++begin;
    while (end > begin && opath_is_separator(ns[end - 1])) --end;
    const std::size_t start = out.size();
    append_folded(out, ns.substr(begin, end - begin));
    std::replace(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(), '/', '\\');
}

// Canonical text: remote server, folded namespace and class, canonical keys.
// A namespace path ends in ':' so it can never equal a class path.
inline void opath_append_canonical(std::string& out, const object_path& p, std::size_t depth) {
    opath_append_canonical_as(out, p, depth, p.is_local() ? std::string_view{} : std::string_view(p.server), p.namespace_path);
}

// The canonical text of `p` as if its server and namespace were `server`
// (empty: local) and `namespace_path`, without copying the path.
inline void opath_append_canonical_as(std::string& out, const object_path& p, std::size_t depth, std::string_view server,
                                      std::string_view namespace_path) {
    if (!server.empty()) {
        out += "\\\\";
        append_folded(out, server);
        out += '\\';
    }
    const std::size_t before = out.size();
    opath_append_folded_namespace(out, namespace_path);
    if (out.size() != before) out += ':';
    append_folded(out, p.class_name);
    if (p.singleton) {
        out += "=@";
    } else if (!p.keys.empty()) {
        opath_append_canonical_keys(out, p, depth);
    }
}

// The parts of a reference spelled the way WMI and most tools write one:
// `[\\server\ns\ns:]Class.Key="v"` or `Class='v'`: one quoted key, no spaces
// outside the quotes, no backslash in the value, and a value that cannot be a
// nested reference. Views into the text; separators of either kind kept.
struct opath_simple_reference {
    std::string_view server;          // empty when absent
    std::string_view namespace_path;  // empty when relative
    std::string_view class_name;
    std::string_view value;           // the key value: no escapes, so the text between the quotes
};

// Advances over `name(sep name)*` of namespace names; false when a name is empty.
[[nodiscard]] constexpr bool opath_skip_namespace_names(std::string_view text, std::size_t& pos) noexcept {
    while (true) {
        const std::size_t begin = pos;
        while (pos < text.size() && opath_is_namespace_char(text[pos])) ++pos;
        if (pos == begin) return false;
        if (pos == text.size() || !opath_is_separator(text[pos])) return true;
        ++pos;
    }
}

// Reads the `[\\server\]ns:` prefix, if any; false when the text does not fit the simple form.
[[nodiscard]] constexpr bool opath_read_simple_prefix(std::string_view text, std::size_t& pos,
                                                      opath_simple_reference& out) noexcept {
    const auto at = [text](std::size_t i) { return i < text.size() ? text[i] : '\0'; };
    std::size_t names = 0;
    if (opath_is_separator(at(0)) && opath_is_separator(at(1))) {
        pos = 2;
        while (opath_is_server_char(at(pos))) ++pos;
        out.server = text.substr(2, pos - 2);
        if (out.server.empty() || !opath_is_separator(at(pos))) return false;
        names = ++pos;
    } else if (opath_is_separator(at(0))) {
        names = pos = 1;
    } else {
        std::size_t end = 0;
        while (opath_is_namespace_char(at(end))) ++end;
        if (end == 0 || (!opath_is_separator(at(end)) && at(end) != ':')) return true;  // no namespace
    }
    if (!opath_skip_namespace_names(text, pos) || at(pos) != ':') return false;
    out.namespace_path = text.substr(names, pos - names);
    ++pos;
    return true;
}

// The parts of text when it has the simple form, read without allocating;
// nullopt otherwise. Where it answers, parse_object_path gives a path with
// exactly these parts (namespace names joined by `\`) and one string key.
[[nodiscard]] constexpr std::optional<opath_simple_reference> opath_read_simple(std::string_view text) noexcept {
    if (text.size() > WMISUB_MAX_OBJECT_PATH_BYTES) return std::nullopt;
    opath_simple_reference out;
    std::size_t pos = 0;
    if (!opath_read_simple_prefix(text, pos, out)) return std::nullopt;
    const auto name_end = [text](std::size_t from) {
        if (from >= text.size() || !opath_is_name_start(text[from])) return from;
        while (from < text.size() && opath_is_name_char(text[from])) ++from;
        return from;
    };
    const std::size_t class_end = name_end(pos);
    if (class_end == pos) return std::nullopt;
    out.class_name = text.substr(pos, class_end - pos);
    pos = class_end;
    if (pos < text.size() && text[pos] == '.') {
        const std::size_t key_end = name_end(pos + 1);
        if (key_end == pos + 1) return std::nullopt;
        pos = key_end;
    }
    if (pos + 1 >= text.size() || text[pos] != '=') return std::nullopt;
    const char quote = text[pos + 1];
    if (quote != '"' && quote != '\'') return std::nullopt;
    const std::size_t close = text.find(quote, pos + 2);
    // Unterminated, or more follows the value.
    if (close == std::string_view::npos || close + 1 != text.size()) return std::nullopt;
    out.value = text.substr(pos + 2, close - pos - 2);
    if (opath_has_any_of(out.value, "\\=:")) return std::nullopt;
    return out;
}

}  // namespace detail

WMISUB_API result<object_path> parse_object_path(std::string_view text) {
#if WMISUB_EXCEPTIONS
    try {
        return detail::parse_object_path_at(text, 0);
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "out of memory while parsing an object path");
    }
#else
    return detail::parse_object_path_at(text, 0);
#endif
}

WMISUB_API std::string quote_key_value(std::string_view raw) noexcept {
    return detail::build_string<std::string>([raw](std::string& out) {
        out.reserve(raw.size() + 2);
        detail::opath_append_quoted(out, raw);
    });
}

WMISUB_API std::string to_string(const object_path& path) noexcept {
    return detail::build_string<std::string>([&path](std::string& out) { detail::opath_format(out, path); });
}

WMISUB_API std::string identity_key(const object_path& path) noexcept {
    return detail::build_string<std::string>(
        [&path](std::string& out) { detail::opath_append_canonical(out, path, 0); });
}

WMISUB_API bool operator==(const object_path& a, const object_path& b) noexcept {
    const std::string ka = identity_key(a);
    const std::string kb = identity_key(b);
    if (!ka.empty()) return ka == kb;
    // An empty key is an empty path or an allocation failure; only the first may match.
    const auto blank = [](const object_path& p) {
        return p.is_local() && p.namespace_path.empty() && p.class_name.empty() && !p.singleton && p.keys.empty();
    };
    return kb.empty() && blank(a) && blank(b);
}

WMISUB_API object_path resolve_relative(object_path path, std::string_view namespace_path) {
    if (path.is_relative()) path.namespace_path = detail::opath_normalise_namespace(namespace_path);
    return path;
}

WMISUB_NAMESPACE_END
