// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/mof/parser.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The MOF lexer: turns decoded (UTF-8) MOF text into tokens. Comments and
// whitespace separate tokens anywhere; string and char16 literals are
// returned raw (the parser unescapes them, so adjacent literals can be
// concatenated into one buffer without copies); numbers are converted here.
//
// Offsets, lines and columns refer to the decoded UTF-8 text (a UTF-16 file
// is decoded before lexing). Columns count bytes from 1, so a tab is one column.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/detail/utf.hpp"

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// What a token is. Keywords are identifiers: MOF keywords are contextual and case-insensitive.
enum class mof_tok : std::uint8_t {
    end,           // end of input
    identifier,    // names, keywords, type names, true/false/null
    alias,         // `$name`; text is the name without `$`
    string,        // `"…"`; text is the raw body between the quotes
    char_literal,  // `'…'`; text is the raw body between the quotes
    integer,       // decimal, hex, octal or binary, with its sign
    real,          // floating-point literal
    lbrace,
    rbrace,
    lparen,
    rparen,
    lbracket,
    rbracket,
    semicolon,
    comma,
    equals,
    colon,
    directive,  // `#name` (`#pragma`, `#include`); text is the name
    invalid,    // a lexical error; `problem` says what
};

// Longest decoded text the lexer accepts: positions are 32-bit to keep tokens small
// (the parser copies them constantly), so 4 GiB of MOF, far beyond any input limit.
inline constexpr std::size_t mof_max_text = 0xFFFFFFF0u;

// One token. Positions are byte offsets into the decoded text.
struct mof_token {
    mof_tok kind = mof_tok::end;
    bool escaped = false;           // a string or char literal that contains a backslash
    bool negative = false;          // an integer written with a minus sign
    std::uint32_t offset = 0;       // first byte of the token
    std::uint32_t length = 0;       // bytes of the whole token
    std::uint32_t line = 1;         // 1-based
    std::uint32_t column = 1;       // 1-based, in bytes
    std::uint32_t text_offset = 0;  // payload (see mof_tok) start
    std::uint32_t text_length = 0;  // payload length
    std::uint64_t magnitude = 0;    // integer: absolute value
    double real = 0.0;              // real: value, sign applied
    const char* problem = nullptr;  // invalid: the reason
};

// Narrows a position already known to be below mof_max_text.
[[nodiscard]] constexpr std::uint32_t mof_u32(std::size_t v) noexcept { return static_cast<std::uint32_t>(v); }

// Character classes of the lexer, one table lookup per byte.
enum : std::uint8_t {
    mof_cc_space = 1,
    mof_cc_ident_start = 2,
    mof_cc_ident = 4,
    mof_cc_digit = 8,
    mof_cc_hex = 16,
    mof_cc_string_stop = 32,  // '"', '\\' or '\n' end a fast run inside a string literal
};

// The class table: letters, digits, `_` and every non-ASCII byte start names (WMI names may be Unicode).
[[nodiscard]] constexpr std::array<std::uint8_t, 256> make_mof_char_classes() noexcept {
    std::array<std::uint8_t, 256> t{};
    for (unsigned c = 0; c < 256; ++c) {
        std::uint8_t v = 0;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') v |= mof_cc_space;
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
        if (letter) v |= mof_cc_ident_start | mof_cc_ident;
        if (c >= '0' && c <= '9') v |= mof_cc_digit | mof_cc_ident | mof_cc_hex;
        if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= mof_cc_hex;
        if (c == '"' || c == '\\' || c == '\n') v |= mof_cc_string_stop;
        t[c] = v;
    }
    return t;
}

inline constexpr std::array<std::uint8_t, 256> mof_char_classes = make_mof_char_classes();

// True when c is in one of the classes `cls`.
[[nodiscard]] constexpr bool mof_is(char c, std::uint8_t cls) noexcept {
    return (mof_char_classes[static_cast<unsigned char>(c)] & cls) != 0;
}

// The value of a hex digit, or 16 for anything else.
[[nodiscard]] constexpr unsigned mof_hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    return 16;
}

// ASCII case-insensitive equality; MOF keywords are ASCII, so no Unicode folding is needed.
[[nodiscard]] constexpr bool mof_keyword_is(std::string_view text, std::string_view keyword) noexcept {
    if (text.size() != keyword.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != keyword[i]) return false;
    }
    return true;
}

// Splits decoded MOF text into tokens on demand.
class mof_lexer {
public:
    explicit mof_lexer(std::string_view text) noexcept : text_(text) {
        // A BOM left in the text (after decoding, or mid-file from concatenated files) is whitespace.
        if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    }

    // Skips the rest of the input: every later token is `end` (the parse was stopped).
    void finish() noexcept { pos_ = text_.size(); }

    // The decoded text the tokens point into.
    [[nodiscard]] std::string_view text() const noexcept { return text_; }

    // The payload of a token (identifier, alias name, raw literal body, directive name).
    [[nodiscard]] std::string_view payload(const mof_token& t) const noexcept {
        return text_.substr(t.text_offset, t.text_length);
    }

    // The next token, written into t (in place: tokens are lexed straight into the
    // parser's lookahead buffer); `end` forever once the input is exhausted.
    void next(mof_token& t) noexcept {
        t = mof_token{};
        if (const char* problem = skip_trivia(t)) {
            t.kind = mof_tok::invalid;
            t.problem = problem;
            return;
        }
        start(t);
        if (pos_ >= text_.size()) return;
        const char c = text_[pos_];
        if (mof_is(c, mof_cc_ident_start)) return identifier(t, mof_tok::identifier, pos_);
        if (mof_is(c, mof_cc_digit) || ((c == '-' || c == '+' || c == '.') && starts_number(pos_))) return number(t);
        switch (c) {
        case '"': return quoted(t, '"', mof_tok::string);
        case '\'': return quoted(t, '\'', mof_tok::char_literal);
        case '$': return prefixed(t, mof_tok::alias, "'$' must be followed by an alias name");
        case '#': return prefixed(t, mof_tok::directive, "'#' must be followed by a directive name");
        case '{': return punct(t, mof_tok::lbrace);
        case '}': return punct(t, mof_tok::rbrace);
        case '(': return punct(t, mof_tok::lparen);
        case ')': return punct(t, mof_tok::rparen);
        case '[': return punct(t, mof_tok::lbracket);
        case ']': return punct(t, mof_tok::rbracket);
        case ';': return punct(t, mof_tok::semicolon);
        case ',': return punct(t, mof_tok::comma);
        case '=': return punct(t, mof_tok::equals);
        case ':': return punct(t, mof_tok::colon);
        default: break;
        }
        invalid_char(t);
    }

private:
    void start(mof_token& t) const noexcept {
        t.offset = mof_u32(pos_);
        t.line = mof_u32(line_);
        t.column = mof_u32(pos_ - line_start_ + 1);
    }

    void newline_at(std::size_t newline_pos) noexcept {
        ++line_;
        line_start_ = newline_pos + 1;
    }

    // Skips whitespace and comments; returns a problem (and fills t's position)
    // for an unterminated block comment, which swallows the rest of the input.
    const char* skip_trivia(mof_token& t) noexcept {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (mof_is(c, mof_cc_space)) {
                if (c == '\n') newline_at(pos_);
                ++pos_;
            } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
                const std::size_t eol = text_.find('\n', pos_ + 2);
                pos_ = eol == std::string_view::npos ? text_.size() : eol;
            } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
                if (!skip_block_comment(t)) return "unterminated /* comment";
            } else if (c == '\xEF' && text_.substr(pos_, 3) == "\xEF\xBB\xBF") {
                pos_ += 3;  // U+FEFF (zero-width no-break space) is invisible; treat it as whitespace
            } else {
                return nullptr;
            }
        }
        return nullptr;
    }

    bool skip_block_comment(mof_token& t) noexcept {
        start(t);
        t.length = 2;
        for (std::size_t i = pos_ + 2; i < text_.size(); ++i) {
            if (text_[i] == '\n') newline_at(i);
            if (text_[i] == '*' && i + 1 < text_.size() && text_[i + 1] == '/') {
                pos_ = i + 2;
                return true;
            }
        }
        pos_ = text_.size();
        return false;
    }

    void finish(mof_token& t, mof_tok kind, std::size_t end) noexcept {
        t.kind = kind;
        t.length = mof_u32(end - t.offset);
        pos_ = end;
    }

    void punct(mof_token& t, mof_tok kind) noexcept { finish(t, kind, pos_ + 1); }

    [[nodiscard]] std::size_t scan_identifier(std::size_t from) const noexcept {
        while (from < text_.size() && mof_is(text_[from], mof_cc_ident)) ++from;
        return from;
    }

    void identifier(mof_token& t, mof_tok kind, std::size_t name_begin) noexcept {
        const std::size_t end = scan_identifier(name_begin);
        t.text_offset = mof_u32(name_begin);
        t.text_length = mof_u32(end - name_begin);
        finish(t, kind, end);
    }

    // `$alias` and `#directive`: a sigil, then an identifier (spaces allowed after '#', as in C).
    void prefixed(mof_token& t, mof_tok kind, const char* problem) noexcept {
        std::size_t name = pos_ + 1;
        if (kind == mof_tok::directive) {
            while (name < text_.size() && (text_[name] == ' ' || text_[name] == '\t')) ++name;
        }
        if (name < text_.size() && mof_is(text_[name], mof_cc_ident_start)) return identifier(t, kind, name);
        t.problem = problem;
        finish(t, mof_tok::invalid, pos_ + 1);
    }

    void invalid_char(mof_token& t) noexcept {
        t.problem = "unexpected character";
        std::size_t end = pos_ + 1;
        while (end < text_.size() && is_utf8_continuation(static_cast<std::uint8_t>(text_[end]))) ++end;
        finish(t, mof_tok::invalid, end);
    }

    // A string or char16 literal. A line break ends it with an error, so a missing
    // quote costs one line instead of the rest of the file.
    void quoted(mof_token& t, char quote, mof_tok kind) noexcept {
        std::size_t i = pos_ + 1;
        t.text_offset = mof_u32(i);
        while (i < text_.size()) {
            if (quote == '"') {  // fast run over ordinary characters
                while (i < text_.size() && !mof_is(text_[i], mof_cc_string_stop)) ++i;
                if (i >= text_.size()) break;
            }
            const char c = text_[i];
            if (c == quote) {
                t.text_length = mof_u32(i - t.text_offset);
                return finish(t, kind, i + 1);
            }
            if (c == '\n') break;
            if (c == '\\') {
                t.escaped = true;
                if (i + 1 < text_.size() && text_[i + 1] != '\n') ++i;
            }
            ++i;
        }
        t.text_length = mof_u32(i - t.text_offset);
        t.problem = quote == '"' ? "unterminated string literal" : "unterminated char16 literal";
        finish(t, mof_tok::invalid, i);
    }

    [[nodiscard]] bool starts_number(std::size_t at) const noexcept {
        std::size_t i = at;
        if (text_[i] == '-' || text_[i] == '+') ++i;
        if (i < text_.size() && text_[i] == '.') ++i;
        return i < text_.size() && mof_is(text_[i], mof_cc_digit);
    }

    [[nodiscard]] std::size_t scan_digits(std::size_t from, std::uint8_t cls) const noexcept {
        while (from < text_.size() && mof_is(text_[from], cls)) ++from;
        return from;
    }

    // Accumulates digits in `base`; false on overflow past 64 bits or a digit too large for the base.
    static bool accumulate(std::string_view digits, unsigned base, std::uint64_t& out) noexcept {
        // Up to this many digits cannot overflow, so the common short literal skips the division.
        const std::size_t safe = base == 2 ? 63 : base == 8 ? 21 : base == 10 ? 19 : 15;
        std::uint64_t v = 0;
        for (const char c : digits) {
            const unsigned d = mof_hex_value(c);
            if (d >= base) return false;
            if (digits.size() > safe && v > (std::numeric_limits<std::uint64_t>::max() - d) / base) return false;
            v = v * base + d;
        }
        out = v;
        return true;
    }

    void number(mof_token& t) noexcept {
        std::size_t i = pos_;
        if (text_[i] == '-' || text_[i] == '+') {
            t.negative = text_[i] == '-';
            ++i;
        }
        const std::size_t digits = i;
        if (text_[i] == '0' && i + 1 < text_.size() && (text_[i + 1] == 'x' || text_[i + 1] == 'X')) {
            const std::size_t end = scan_digits(i + 2, mof_cc_hex);
            if (end == i + 2) return bad_number(t, end, "hexadecimal literal without digits");
            return integer(t, text_.substr(i + 2, end - i - 2), 16, end);
        }
        const std::size_t int_end = scan_digits(i, mof_cc_digit);
        if (is_real_tail(int_end, int_end > digits)) return real(t, digits);
        if (int_end < text_.size() && (text_[int_end] == 'b' || text_[int_end] == 'B')) {
            return integer(t, text_.substr(digits, int_end - digits), 2, int_end + 1);
        }
        const std::string_view run = text_.substr(digits, int_end - digits);
        if (run.size() > 1 && run.front() == '0') return integer(t, run.substr(1), 8, int_end);
        return integer(t, run, 10, int_end);
    }

    // True when a '.' + digit or an exponent follows the integer part.
    [[nodiscard]] bool is_real_tail(std::size_t at, bool have_digits) const noexcept {
        if (at >= text_.size()) return false;
        if (text_[at] == '.') return at + 1 < text_.size() && mof_is(text_[at + 1], mof_cc_digit);
        if (!have_digits || (text_[at] != 'e' && text_[at] != 'E')) return false;
        std::size_t i = at + 1;
        if (i < text_.size() && (text_[i] == '+' || text_[i] == '-')) ++i;
        return i < text_.size() && mof_is(text_[i], mof_cc_digit);
    }

    void integer(mof_token& t, std::string_view digits, unsigned base, std::size_t end) noexcept {
        if (end < text_.size() && mof_is(text_[end], mof_cc_ident)) return bad_number(t, end, "malformed number");
        if (!accumulate(digits, base, t.magnitude)) {
            const char* why = base == 2   ? "binary literal with a digit other than 0 or 1"
                              : base == 8 ? "octal literal (leading 0) with a digit 8 or 9, or out of range"
                                          : "integer literal out of range";
            return bad_number(t, end, why);
        }
        finish(t, mof_tok::integer, end);
    }

    void real(mof_token& t, std::size_t digits) noexcept {
        std::size_t end = scan_digits(digits, mof_cc_digit);
        if (end < text_.size() && text_[end] == '.') end = scan_digits(end + 1, mof_cc_digit);
        if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
            std::size_t exp = end + 1;
            if (exp < text_.size() && (text_[exp] == '+' || text_[exp] == '-')) ++exp;
            const std::size_t exp_end = scan_digits(exp, mof_cc_digit);
            if (exp_end > exp) end = exp_end;
        }
        if (end < text_.size() && mof_is(text_[end], mof_cc_ident)) return bad_number(t, end, "malformed number");
        double v = 0.0;
        const char* first = text_.data() + digits;
        const auto parsed = std::from_chars(first, text_.data() + end, v);
        if (parsed.ec != std::errc{} || parsed.ptr != text_.data() + end)
            return bad_number(t, end, "real literal out of range");
        t.real = t.negative ? -v : v;
        t.negative = false;
        finish(t, mof_tok::real, end);
    }

    // Swallows the rest of a malformed number so it yields one error, not several.
    void bad_number(mof_token& t, std::size_t end, const char* problem) noexcept {
        end = scan_identifier(end);
        t.problem = problem;
        finish(t, mof_tok::invalid, end);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    std::size_t line_start_ = 0;
};

// A problem inside a literal's escapes, at a byte offset of the decoded text.
struct mof_escape_issue {
    std::size_t offset;
    const char* message;
};

// Reads up to max_digits hex digits at body[i]; returns how many were read.
[[nodiscard]] inline std::size_t mof_read_hex(std::string_view body, std::size_t i, unsigned max_digits,
                                              char32_t& value) noexcept {
    std::size_t n = 0;
    char32_t v = 0;
    while (n < max_digits && i + n < body.size()) {
        const unsigned d = mof_hex_value(body[i + n]);
        if (d >= 16) break;
        v = v * 16 + d;
        ++n;
    }
    value = v;
    return n;
}

// One escape sequence starting at body[i] == '\\'. Appends its character(s) and
// returns the number of bytes consumed.
inline std::size_t mof_unescape_one(std::string& out, std::string_view body, std::size_t i, std::size_t base_offset,
                                    unsigned max_hex, std::vector<mof_escape_issue>* issues) {
    const auto report = [&](const char* message) {
        if (issues != nullptr) issues->push_back({base_offset + i, message});
    };
    if (i + 1 >= body.size()) {
        report("backslash at the end of a literal");
        out.push_back('\\');
        return 1;
    }
    const char e = body[i + 1];
    switch (e) {
    case '\\': out.push_back('\\'); return 2;
    case '"': out.push_back('"'); return 2;
    case '\'': out.push_back('\''); return 2;
    case 'n': out.push_back('\n'); return 2;
    case 't': out.push_back('\t'); return 2;
    case 'b': out.push_back('\b'); return 2;
    case 'f': out.push_back('\f'); return 2;
    case 'r': out.push_back('\r'); return 2;
    case 'x':
    case 'X': break;
    default:
        // Kept verbatim: a hand-written "C:\Temp" means what it shows.
        report("unknown escape sequence; kept as written");
        out.push_back('\\');
        return 1;
    }
    char32_t v = 0;
    const std::size_t n = mof_read_hex(body, i + 2, max_hex, v);
    if (n == 0) {
        report("\\x without hexadecimal digits; kept as written");
        out.push_back('\\');
        return 1;
    }
    std::size_t used = 2 + n;
    if (max_hex <= 4 && v >= 0xD800 && v <= 0xDBFF) {
        // mofcomp works in UTF-16: two \x escapes may spell one surrogate pair.
        char32_t low = 0;
        const std::size_t j = i + used;
        if (j + 2 < body.size() && body[j] == '\\' && (body[j + 1] == 'x' || body[j + 1] == 'X')) {
            const std::size_t m = mof_read_hex(body, j + 2, max_hex, low);
            if (m > 0 && low >= 0xDC00 && low <= 0xDFFF) {
                append_utf8(out, 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00));
                return used + 2 + m;
            }
        }
    }
    if (is_surrogate(v) || v > max_code_point) report("\\x escape is not a Unicode character; replaced by U+FFFD");
    append_utf8(out, v);
    return used;
}

// Appends the unescaped body of a string literal. The common no-escape case is one append.
inline void mof_append_unescaped(std::string& out, std::string_view body, std::size_t body_offset, unsigned max_hex,
                                 std::vector<mof_escape_issue>* issues) {
    std::size_t i = 0;
    while (i < body.size()) {
        const void* hit = std::memchr(body.data() + i, '\\', body.size() - i);
        const std::size_t stop =
            hit == nullptr ? body.size() : static_cast<std::size_t>(static_cast<const char*>(hit) - body.data());
        out.append(body.data() + i, stop - i);
        if (stop >= body.size()) return;
        i = stop + mof_unescape_one(out, body, stop, body_offset, max_hex, issues);
    }
}

// The UTF-16 code unit a char16 literal body denotes, or false with a reason.
[[nodiscard]] inline bool mof_char16_value(std::string_view body, unsigned max_hex, char16_t& out,
                                           const char*& problem) {
    if (body.empty()) {
        problem = "empty char16 literal";
        return false;
    }
    char32_t cp = 0;
    std::size_t used = 0;
    if (body[0] == '\\' && body.size() > 2 && (body[1] == 'x' || body[1] == 'X')) {
        used = 2 + mof_read_hex(body, 2, max_hex, cp);  // a lone surrogate is a valid char16 here
    } else if (body[0] == '\\') {
        std::string decoded;
        used = mof_unescape_one(decoded, body, 0, 0, max_hex, nullptr);
        cp = static_cast<unsigned char>(decoded.empty() ? '\0' : decoded[0]);
    } else {
        const decode_step step = decode_utf8(body, 0);
        cp = step.code_point;
        used = step.length;
    }
    if (used != body.size()) {
        problem = "char16 literal holds more than one character";
        return false;
    }
    if (cp > 0xFFFF) {
        problem = "char16 literal outside the Basic Multilingual Plane";
        return false;
    }
    out = static_cast<char16_t>(cp);
    return true;
}

}  // namespace detail
WMISUB_NAMESPACE_END
