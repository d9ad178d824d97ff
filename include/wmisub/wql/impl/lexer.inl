// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/wql/query.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// WQL tokens. Keywords are not tokens of their own: WQL reserves them only in
// their grammatical places, so the parser compares identifiers case-insensitively.
// The lexer is pulled one token at a time by the parser: no token list is built.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

WMISUB_NAMESPACE_BEGIN
namespace detail {

enum class wql_token_kind : std::uint8_t {
    identifier,   // names and keywords: SELECT, TargetInstance, __CLASS
    string,       // 'x' or "x"
    integer,      // 42, -7
    real,         // 1.5, -2e3
    symbol,       // * , . ( ) = <> != < <= > >=
    braced_path,  // {object path} of ASSOCIATORS OF / REFERENCES OF, braces excluded
    end,
    invalid,      // after a lexical error; the lexer keeps the error
};

// One token: a slice of the source. Strings keep their quotes in `text`;
// `escaped` says whether the contents need wql_unescape().
struct wql_token {
    wql_token_kind kind = wql_token_kind::end;
    char quote = 0;        // for strings
    bool escaped = false;  // for strings holding a backslash
    std::string_view text;
    std::size_t offset = 0;

    // The contents of a string between its quotes, still escaped.
    [[nodiscard]] std::string_view contents() const noexcept { return {text.data() + 1, text.size() - 2}; }
};

// Backslash escapes any character: \\ \" \' are the documented ones.
[[nodiscard]] inline std::string wql_unescape(std::string_view contents) {
    std::string value;
    value.reserve(contents.size());
    for (std::size_t i = 0; i < contents.size(); ++i) {
        if (contents[i] == '\\' && i + 1 < contents.size()) ++i;
        value += contents[i];
    }
    return value;
}

// Byte classes, looked up once per byte in the lexer's loops.
enum wql_char_class : std::uint8_t { wql_ident_start = 1, wql_digit = 2, wql_space = 4 };

[[nodiscard]] constexpr std::array<std::uint8_t, 256> wql_make_char_classes() noexcept {
    std::array<std::uint8_t, 256> classes{};
    for (std::size_t i = 0; i < classes.size(); ++i) {
        const auto c = static_cast<unsigned char>(i);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80) classes[i] = wql_ident_start;
        if (c >= '0' && c <= '9') classes[i] = wql_digit;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') classes[i] = wql_space;
    }
    return classes;
}

inline constexpr std::array<std::uint8_t, 256> wql_char_classes = wql_make_char_classes();

[[nodiscard]] constexpr bool wql_is_ident_start(char c) noexcept {
    return (wql_char_classes[static_cast<unsigned char>(c)] & wql_ident_start) != 0;
}

[[nodiscard]] constexpr bool wql_is_ident_char(char c) noexcept {
    return (wql_char_classes[static_cast<unsigned char>(c)] & (wql_ident_start | wql_digit)) != 0;
}

[[nodiscard]] constexpr bool wql_is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

[[nodiscard]] constexpr bool wql_is_space(char c) noexcept {
    return (wql_char_classes[static_cast<unsigned char>(c)] & wql_space) != 0;
}

// The one-character symbols: * , . ( ) = < >
[[nodiscard]] constexpr bool wql_is_single_symbol(char c) noexcept {
    switch (c) {
    case '*': case ',': case '.': case '(': case ')': case '=': case '<': case '>': return true;
    default: return false;
    }
}

// Splits a query into tokens on demand. After an error every token is `invalid`
// and lexical_error() tells what went wrong, with the offset and what was expected.
// Tokens are written in place: copying a token just built byte by byte stalls on
// store forwarding, which made lexing a quarter of the parse.
class wql_lexer {
public:
    explicit wql_lexer(std::string_view text) noexcept : text_(text) {}

    void next(wql_token& t) {
        t.quote = 0;
        t.escaped = false;
        if (error_) return set(t, wql_token_kind::invalid, pos_, pos_);
        pos_ = skip_space(pos_);
        if (pos_ >= text_.size()) return set(t, wql_token_kind::end, text_.size(), text_.size());
        token(t);
    }

    // Lexes the rest, so that a lexical error anywhere in the query is reported
    // rather than a parse error before it (as when the whole query was lexed first).
    void finish() {
        wql_token t;
        for (next(t); t.kind != wql_token_kind::end && t.kind != wql_token_kind::invalid; next(t)) {
        }
    }

    [[nodiscard]] const std::optional<error>& lexical_error() const noexcept { return error_; }

private:
    // Hot loops work on locals: stores to pos_ would make the compiler reload text_.
    [[nodiscard]] std::size_t skip_space(std::size_t pos) const noexcept {
        const std::size_t size = text_.size();
        while (pos < size && wql_is_space(text_[pos])) ++pos;
        return pos;
    }

    void token(wql_token& t) {
        const char c = text_[pos_];
        if (c == '\'' || c == '"') return string_token(t);
        if (c == '{') return braced_path(t);
        if (wql_is_digit(c) || ((c == '-' || c == '+' || c == '.') && pos_ + 1 < text_.size() && wql_is_digit(text_[pos_ + 1]))) {
            return number(t);
        }
        if (wql_is_ident_start(c)) return identifier(t);
        symbol(t);
    }

    // The token of kind `kind` over [start, end); the lexer goes on from `end`.
    void set(wql_token& t, wql_token_kind kind, std::size_t start, std::size_t end) noexcept {
        t.kind = kind;
        t.offset = start;
        t.text = std::string_view(text_.data() + start, end - start);  // within text_: no substr range check
        pos_ = end;
    }

    // Records the first error; the parser stops at the invalid token it gets.
    void fail(wql_token& t, errc code, std::string message, std::size_t offset, std::string expected) {
        error e = make_error(code, std::move(message), offset);
        e.expected = std::move(expected);
        error_ = std::move(e);
        set(t, wql_token_kind::invalid, pos_, pos_);
    }

    void identifier(wql_token& t) noexcept {
        const std::size_t start = pos_;
        const std::size_t size = text_.size();
        std::size_t pos = start + 1;
        while (pos < size && wql_is_ident_char(text_[pos])) ++pos;
        set(t, wql_token_kind::identifier, start, pos);
    }

    void string_token(wql_token& t) {
        const std::size_t start = pos_;
        const std::size_t size = text_.size();
        const char quote = text_[start];
        std::size_t pos = start + 1;
        bool escaped = false;
        while (pos < size && text_[pos] != quote) {
            if (text_[pos] == '\\' && pos + 1 < size) {
                escaped = true;
                ++pos;
            }
            ++pos;
        }
        if (pos >= size) {
            pos_ = pos;
            return fail(t, errc::unexpected_end, "unterminated string", start, std::string("closing ") + quote);
        }
        set(t, wql_token_kind::string, start, pos + 1);
        t.escaped = escaped;
        t.quote = quote;
    }

    void number(wql_token& t) noexcept {
        const std::size_t start = pos_;
        const std::size_t size = text_.size();
        std::size_t pos = start;
        if (text_[pos] == '-' || text_[pos] == '+') ++pos;
        bool real = false;
        while (pos < size && wql_is_digit(text_[pos])) ++pos;
        if (pos < size && text_[pos] == '.' && pos + 1 < size && wql_is_digit(text_[pos + 1])) {
            real = true;
            ++pos;
            while (pos < size && wql_is_digit(text_[pos])) ++pos;
        }
        if (pos < size && (text_[pos] == 'e' || text_[pos] == 'E')) {
            std::size_t exp = pos + 1;
            if (exp < size && (text_[exp] == '-' || text_[exp] == '+')) ++exp;
            if (exp < size && wql_is_digit(text_[exp])) {
                real = true;
                pos = exp;
                while (pos < size && wql_is_digit(text_[pos])) ++pos;
            }
        }
        // WMI's lexer ends a number at the first non-digit: `WITHIN 3Where` is `WITHIN 3 Where`
        // (Atomic Red Team's T1546.003 MOF relies on it), so no separator is required here.
        set(t, real ? wql_token_kind::real : wql_token_kind::integer, start, pos);
    }

    // `{path}`: the path may hold quoted strings with braces; no nesting. The text excludes the braces.
    void braced_path(wql_token& t) {
        const std::size_t start = pos_;
        const std::size_t size = text_.size();
        char quote = 0;
        for (std::size_t pos = start + 1; pos < size; ++pos) {
            const char c = text_[pos];
            if (quote != 0) {
                if (c == '\\' && pos + 1 < size) ++pos;
                else if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '}') {
                set(t, wql_token_kind::braced_path, start + 1, pos);
                t.offset = start;
                pos_ = pos + 1;
                return;
            }
        }
        pos_ = size;
        fail(t, errc::unexpected_end, "unterminated '{' object path", start, "'}'");
    }

    void symbol(wql_token& t) {
        const std::size_t start = pos_;
        const char c = text_[start];
        const char n = start + 1 < text_.size() ? text_[start + 1] : '\0';
        if ((c == '<' && (n == '=' || n == '>')) || (c == '>' && n == '=') || (c == '!' && n == '=')) {
            return set(t, wql_token_kind::symbol, start, start + 2);
        }
        if (!wql_is_single_symbol(c)) {
            pos_ = start + 1;
            return fail(t, errc::syntax_error, std::string("unexpected character '") + c + "'", start,
                        "a name, a literal or an operator");
        }
        set(t, wql_token_kind::symbol, start, start + 1);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::optional<error> error_;
};

}  // namespace detail
WMISUB_NAMESPACE_END
