// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// IWYU pragma: private, include "wmisub/wql.hpp"
// WQL tokens. Keywords are not tokens of their own: WQL reserves them only in
// their grammatical places, so the parser compares identifiers case-insensitively.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/result.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

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
};

// One token. `text` is the source slice; `value` the unescaped string contents,
// which is a slice of the source too unless the string had escapes.
struct wql_token {
    wql_token_kind kind = wql_token_kind::end;
    std::string_view text;
    std::string_view value;
    std::size_t offset = 0;
    char quote = 0;  // for strings
};

// The tokens of a query, and the unescaped texts of strings that had escapes
// (a deque, so the views into it stay valid as it grows).
struct wql_tokens {
    std::vector<wql_token> tokens;
    std::deque<std::string> unescaped;
};

[[nodiscard]] constexpr bool wql_is_ident_start(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

[[nodiscard]] constexpr bool wql_is_ident_char(char c) noexcept { return wql_is_ident_start(c) || (c >= '0' && c <= '9'); }

[[nodiscard]] constexpr bool wql_is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

[[nodiscard]] constexpr bool wql_is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// Splits a query into tokens. Errors carry the offset and what was expected.
class wql_lexer {
public:
    explicit wql_lexer(std::string_view text) noexcept : text_(text) {}

    [[nodiscard]] result<wql_tokens> run() {
        out_.tokens.reserve(text_.size() / 4 + 2);
        while (true) {
            skip_space();
            if (pos_ >= text_.size()) break;
            auto token = next();
            if (!token) return token.error();
            out_.tokens.push_back(*token);
        }
        wql_token end;
        end.offset = text_.size();
        out_.tokens.push_back(end);
        return std::move(out_);
    }

private:
    void skip_space() noexcept {
        while (pos_ < text_.size() && wql_is_space(text_[pos_])) ++pos_;
    }

    [[nodiscard]] result<wql_token> next() {
        const char c = text_[pos_];
        if (c == '\'' || c == '"') return string_token();
        if (c == '{') return braced_path();
        if (wql_is_digit(c) || ((c == '-' || c == '+' || c == '.') && pos_ + 1 < text_.size() && wql_is_digit(text_[pos_ + 1]))) {
            return number();
        }
        if (wql_is_ident_start(c)) return identifier();
        return symbol();
    }

    [[nodiscard]] wql_token make(wql_token_kind kind, std::size_t start) const {
        wql_token t;
        t.kind = kind;
        t.offset = start;
        t.text = text_.substr(start, pos_ - start);
        return t;
    }

    [[nodiscard]] result<wql_token> identifier() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && wql_is_ident_char(text_[pos_])) ++pos_;
        return make(wql_token_kind::identifier, start);
    }

    // Backslash escapes any character: \\ \" \' are the documented ones.
    [[nodiscard]] result<wql_token> string_token() {
        const std::size_t start = pos_;
        const char quote = text_[pos_++];
        const std::size_t body = pos_;
        bool escaped = false;
        while (pos_ < text_.size() && text_[pos_] != quote) {
            if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
                escaped = true;
                ++pos_;
            }
            ++pos_;
        }
        if (pos_ >= text_.size()) {
            error e = make_error(errc::unexpected_end, "unterminated string", start);
            e.expected = std::string("closing ") + quote;
            return e;
        }
        const std::string_view contents = text_.substr(body, pos_ - body);
        ++pos_;
        wql_token t = make(wql_token_kind::string, start);
        t.value = escaped ? std::string_view(out_.unescaped.emplace_back(unescape(contents))) : contents;
        t.quote = quote;
        return t;
    }

    [[nodiscard]] static std::string unescape(std::string_view contents) {
        std::string value;
        value.reserve(contents.size());
        for (std::size_t i = 0; i < contents.size(); ++i) {
            if (contents[i] == '\\' && i + 1 < contents.size()) ++i;
            value += contents[i];
        }
        return value;
    }

    [[nodiscard]] result<wql_token> number() {
        const std::size_t start = pos_;
        if (text_[pos_] == '-' || text_[pos_] == '+') ++pos_;
        bool real = false;
        while (pos_ < text_.size() && wql_is_digit(text_[pos_])) ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '.' && pos_ + 1 < text_.size() && wql_is_digit(text_[pos_ + 1])) {
            real = true;
            ++pos_;
            while (pos_ < text_.size() && wql_is_digit(text_[pos_])) ++pos_;
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            std::size_t exp = pos_ + 1;
            if (exp < text_.size() && (text_[exp] == '-' || text_[exp] == '+')) ++exp;
            if (exp < text_.size() && wql_is_digit(text_[exp])) {
                real = true;
                pos_ = exp;
                while (pos_ < text_.size() && wql_is_digit(text_[pos_])) ++pos_;
            }
        }
        // WMI's lexer ends a number at the first non-digit: `WITHIN 3Where` is `WITHIN 3 Where`
        // (Atomic Red Team's T1546.003 MOF relies on it), so no separator is required here.
        return make(real ? wql_token_kind::real : wql_token_kind::integer, start);
    }

    // `{path}`: the path may hold quoted strings with braces; no nesting.
    [[nodiscard]] result<wql_token> braced_path() {
        const std::size_t start = pos_++;
        char quote = 0;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (quote != 0) {
                if (c == '\\' && pos_ + 1 < text_.size()) ++pos_;
                else if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '}') {
                wql_token t;
                t.kind = wql_token_kind::braced_path;
                t.offset = start;
                t.text = text_.substr(start + 1, pos_ - start - 1);
                ++pos_;
                return t;
            }
            ++pos_;
        }
        error e = make_error(errc::unexpected_end, "unterminated '{' object path", start);
        e.expected = "'}'";
        return e;
    }

    [[nodiscard]] result<wql_token> symbol() {
        const std::size_t start = pos_;
        const char c = text_[pos_++];
        const char n = pos_ < text_.size() ? text_[pos_] : '\0';
        if ((c == '<' && (n == '=' || n == '>')) || (c == '>' && n == '=') || (c == '!' && n == '=')) {
            ++pos_;
        } else if (c == '!' || std::string_view("*,.()=<>").find(c) == std::string_view::npos) {
            error e = make_error(errc::syntax_error, std::string("unexpected character '") + c + "'", start);
            e.expected = "a name, a literal or an operator";
            return e;
        }
        return make(wql_token_kind::symbol, start);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    wql_tokens out_;
};

}  // namespace detail
WMISUB_NAMESPACE_END
