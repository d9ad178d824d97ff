// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// De-obfuscation before matching. Each language is rewritten into a form
// where keywords are plain words: PowerShell ticks, `[char]NN`, string
// concatenation, the `-f` format operator, `-join`, `-replace` and indexing
// into well-known variables; VBScript `Chr()`, `StrReverse`, `Replace`; JScript
// escapes, `String.fromCharCode` and `split("").reverse().join("")`; cmd
// carets and `%VAR:~a,b%` substrings. String literals come out in one
// canonical syntax (quote, content with that quote doubled, quote) so later
// passes read them the same way in every language. Offset maps lead from the
// rewritten text back to the original, so evidence quotes what was written.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/payload/impl/text.inl"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Maps offsets of a rewritten text to the text it was rewritten from.
class offset_map {
public:
    // Output offset `out` corresponds to input offset `in`; following output bytes follow the input.
    void verbatim(std::size_t out, std::size_t in) {
        if (!segs_.empty()) {
            const seg& last = segs_.back();
            if (last.verbatim && last.in + (out - last.out) == in) return;
            if (last.out == out) {
                segs_.back() = {out, in, true};
                return;
            }
        }
        segs_.push_back({out, in, true});
    }
    // Output from `out` on was synthesised from the input construct starting at `in`.
    void synthetic(std::size_t out, std::size_t in) {
        if (!segs_.empty() && segs_.back().out == out) {
            segs_.back() = {out, in, false};
            return;
        }
        segs_.push_back({out, in, false});
    }
    [[nodiscard]] std::size_t to_source(std::size_t out) const noexcept {
        if (segs_.empty()) return out;
        auto it = std::upper_bound(segs_.begin(), segs_.end(), out, [](std::size_t o, const seg& s) { return o < s.out; });
        if (it == segs_.begin()) return segs_.front().in;
        --it;
        return it->verbatim ? it->in + (out - it->out) : it->in;
    }

private:
    struct seg {
        std::size_t out;
        std::size_t in;
        bool verbatim;
    };
    std::vector<seg> segs_;
};

// Builds a rewritten text and its map.
// Looks at a stop_signal from inside long passes: once every 65,536 steps of
// a loop (each step reads at least one byte), and on demand between stages.
// Once raised it stays raised, so every later pass and stage ends at once.
class stop_poll {
public:
    explicit stop_poll(const stop_signal* signal = nullptr) noexcept : signal_(signal) {}

    // One step of a long loop: true when the loop must end now.
    [[nodiscard]] bool tick() noexcept {
        if (raised_) return true;
        if (signal_ == nullptr || (++steps_ & 0xFFFFu) != 0) return false;
        return now();
    }
    // A look now (reads the clock when there is a deadline): between stages.
    [[nodiscard]] bool now() noexcept {
        if (!raised_ && signal_ != nullptr) raised_ = signal_->raised();
        return raised_;
    }
    [[nodiscard]] bool raised() const noexcept { return raised_; }

private:
    const stop_signal* signal_;
    std::uint32_t steps_ = 0;
    bool raised_ = false;
};

struct emitter {
    std::string text;
    offset_map map;
    stop_poll* poll = nullptr;  // the analysis' stop_signal; a halted pass leaves a prefix of its output

    // True when the pass writing through this emitter must end now.
    [[nodiscard]] bool halted() noexcept { return poll != nullptr && poll->tick(); }

    void copy(char c, std::size_t in) {
        map.verbatim(text.size(), in);
        text.push_back(c);
    }
    void copy(std::string_view s, std::size_t in) {
        if (s.empty()) return;
        map.verbatim(text.size(), in);
        text.append(s);
    }
    void synth(std::string_view s, std::size_t in) {
        if (s.empty()) return;
        map.synthetic(text.size(), in);
        text.append(s);
    }
    // A literal in canonical syntax with synthesised content.
    void literal(char quote, std::string_view content, std::size_t in) {
        map.synthetic(text.size(), in);
        text.push_back(quote);
        for (const char c : content) {
            if (c == quote) text.push_back(quote);
            text.push_back(c);
        }
        text.push_back(quote);
    }
};

// Counts of the obfuscation removed, by technique.
struct obfuscation_stats {
    std::size_t ticks = 0;           // PowerShell backtick escapes inside words
    std::size_t carets = 0;          // cmd caret escapes inside words
    std::size_t concatenations = 0;  // short string literals joined with + or &
    std::size_t char_codes = 0;      // [char]NN, Chr(NN), fromCharCode
    std::size_t formats = 0;         // PowerShell -f with literal arguments
    std::size_t joins = 0;           // -join / [string]::join over literals
    std::size_t replaces = 0;        // literal -replace / .Replace / Replace()
    std::size_t reversals = 0;       // StrReverse, split("").reverse().join("")
    std::size_t env_tricks = 0;      // %VAR:~a,b%, $env:comspec[4,15,25]
    std::size_t escapes = 0;         // JScript \xHH / \uHHHH escapes
    std::size_t quote_tricks = 0;    // quotes inside command names (p""owershell), curly quotes, odd dashes

    [[nodiscard]] std::size_t total() const noexcept {
        return ticks + carets + concatenations + char_codes + formats + joins + replaces + reversals + env_tricks +
               escapes + quote_tricks;
    }
    [[nodiscard]] std::size_t techniques() const noexcept {
        std::size_t n = 0;
        for (const std::size_t v : {ticks, carets, concatenations, char_codes, formats, joins, replaces, reversals,
                                    env_tricks, escapes, quote_tricks}) {
            n += v != 0 ? 1u : 0u;
        }
        return n;
    }
    // True when enough was removed to call the text obfuscated.
    [[nodiscard]] bool obfuscated() const noexcept {
        return total() >= 3 || char_codes >= 2 || formats + joins + replaces + reversals + env_tricks + quote_tricks > 0;
    }
    // True for dense or layered obfuscation.
    [[nodiscard]] bool heavy() const noexcept {
        return (total() >= 20 && techniques() >= 2) || techniques() >= 4 || char_codes >= 40 || ticks >= 15 ||
               carets >= 15 || escapes >= 40;
    }
    void add(const obfuscation_stats& o) noexcept {
        ticks += o.ticks;
        carets += o.carets;
        concatenations += o.concatenations;
        char_codes += o.char_codes;
        formats += o.formats;
        joins += o.joins;
        replaces += o.replaces;
        reversals += o.reversals;
        env_tricks += o.env_tricks;
        escapes += o.escapes;
        quote_tricks += o.quote_tricks;
    }
    // "ticks=3 concatenations=2" for evidence details.
    [[nodiscard]] std::string describe() const {
        std::string out;
        auto add_one = [&out](std::string_view name, std::size_t v) {
            if (v == 0) return;
            if (!out.empty()) out.push_back(' ');
            out.append(name);
            out.push_back('=');
            out.append(std::to_string(v));
        };
        add_one("ticks", ticks);
        add_one("carets", carets);
        add_one("concatenations", concatenations);
        add_one("char_codes", char_codes);
        add_one("formats", formats);
        add_one("joins", joins);
        add_one("replaces", replaces);
        add_one("reversals", reversals);
        add_one("env_tricks", env_tricks);
        add_one("escapes", escapes);
        add_one("quote_tricks", quote_tricks);
        return out;
    }
};

// A rewritten text, its lower-case copy (same offsets) and the way back to the input.
struct normalized_text {
    std::string text;
    std::string lower;
    std::vector<offset_map> maps;  // applied last to first
    obfuscation_stats stats;

    [[nodiscard]] std::size_t to_source(std::size_t offset) const noexcept {
        for (auto it = maps.rbegin(); it != maps.rend(); ++it) offset = it->to_source(offset);
        return offset;
    }
};

// Appends a code point as UTF-8 (invalid values become U+FFFD).
inline void append_code_point(std::string& out, std::uint32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// Reads a number literal (decimal, 0x hex, VBScript &H hex / &O octal) at p; advances p.
[[nodiscard]] inline bool read_number(std::string_view s, std::size_t& p, std::uint32_t& value) noexcept {
    std::size_t q = p;
    std::uint64_t v = 0;
    int base = 10;
    if (q + 1 < s.size() && s[q] == '0' && (s[q + 1] == 'x' || s[q + 1] == 'X')) {
        base = 16;
        q += 2;
    } else if (q + 1 < s.size() && s[q] == '&' && (s[q + 1] == 'h' || s[q + 1] == 'H')) {
        base = 16;
        q += 2;
    } else if (q + 1 < s.size() && s[q] == '&' && (s[q + 1] == 'o' || s[q + 1] == 'O')) {
        base = 8;
        q += 2;
    }
    const std::size_t digits_begin = q;
    while (q < s.size() && q - digits_begin < 10) {
        const int d = hex_value(s[q]);
        if (d < 0 || d >= base) break;
        v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
        ++q;
    }
    if (q == digits_begin || v > 0x10FFFF) return false;
    if (q < s.size() && is_word(s[q])) return false;
    value = static_cast<std::uint32_t>(v);
    p = q;
    return true;
}

[[nodiscard]] inline std::size_t skip_blanks(std::string_view s, std::size_t p) noexcept {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t')) ++p;
    return p;
}

// Curly quotes PowerShell accepts as quotes: returns '\'' or '"' and the byte length, or 0.
[[nodiscard]] inline char curly_quote(std::string_view s, std::size_t p, std::size_t& len) noexcept {
    if (p + 2 < s.size() && static_cast<unsigned char>(s[p]) == 0xE2 && static_cast<unsigned char>(s[p + 1]) == 0x80) {
        const auto c = static_cast<unsigned char>(s[p + 2]);
        len = 3;
        if (c >= 0x98 && c <= 0x9B) return '\'';
        if (c >= 0x9C && c <= 0x9E) return '"';
    }
    len = 1;
    return 0;
}

// PowerShell's dash characters: '-', en dash, em dash, horizontal bar. Returns the byte length or 0.
[[nodiscard]] inline std::size_t ps_dash(std::string_view s, std::size_t p) noexcept {
    if (p < s.size() && s[p] == '-') return 1;
    if (p + 2 < s.size() && static_cast<unsigned char>(s[p]) == 0xE2 && static_cast<unsigned char>(s[p + 1]) == 0x80) {
        const auto c = static_cast<unsigned char>(s[p + 2]);
        if (c >= 0x93 && c <= 0x95) return 3;
    }
    return 0;
}

// Whitespace run at p: emits one '\n' when it holds a line break, else one ' '; returns the end.
inline std::size_t collapse_space(std::string_view s, std::size_t p, emitter& e) {
    const std::size_t b = p;
    bool newline = false;
    while (p < s.size() && is_space(s[p])) {
        newline = newline || s[p] == '\n' || s[p] == '\r';
        ++p;
    }
    if (!e.text.empty() && (e.text.back() == ' ' || e.text.back() == '\n')) {
        if (newline && e.text.back() == ' ') e.text.back() = '\n';
        return p;
    }
    e.copy(newline ? '\n' : ' ', b);
    return p;
}

// PowerShell variables with fixed values, for `$pshome[4]`-style index obfuscation.
[[nodiscard]] inline std::string_view ps_known_variable(std::string_view name) noexcept {
    struct known {
        std::string_view name;
        std::string_view value;
    };
    static constexpr std::array<known, 6> table = {{
        {"env:comspec", "C:\\WINDOWS\\system32\\cmd.exe"},
        {"pshome", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0"},
        {"shellid", "Microsoft.PowerShell"},
        {"verbosepreference", "SilentlyContinue"},
        {"env:public", "C:\\Users\\Public"},
        {"env:windir", "C:\\WINDOWS"},
    }};
    for (const known& k : table) {
        if (ieq(k.name, name)) return k.value;
    }
    return {};
}

// Tries `$name[ i, j, ... ]` (optionally `.ToString()` before the index) at p ('$').
[[nodiscard]] inline bool ps_variable_index(std::string_view s, std::size_t& p, std::string& chars) {
    std::size_t q = p + 1;
    while (q < s.size() && (is_word(s[q]) || s[q] == ':')) ++q;
    const std::string_view value = ps_known_variable(s.substr(p + 1, q - p - 1));
    if (value.empty()) return false;
    if (istarts(s.substr(q), ".tostring()")) q += 11;
    if (q >= s.size() || s[q] != '[') return false;
    ++q;
    std::string out;
    for (;;) {
        q = skip_blanks(s, q);
        bool neg = false;
        if (q < s.size() && s[q] == '-') {
            neg = true;
            ++q;
        }
        std::uint32_t idx = 0;
        if (!read_number(s, q, idx) || idx >= value.size() + (neg ? 1 : 0)) return false;
        if (neg && idx == 0) return false;
        out.push_back(neg ? value[value.size() - idx] : value[idx]);
        q = skip_blanks(s, q);
        if (q < s.size() && s[q] == ',') {
            ++q;
            continue;
        }
        if (q < s.size() && s[q] == ']') {
            ++q;
            break;
        }
        return false;
    }
    chars = std::move(out);
    p = q;
    return true;
}

// Pass 1 for PowerShell: comments, ticks, strings, [char]NN, known-variable indexing, dashes, whitespace.
inline void ps_pass1(std::string_view s, emitter& e, obfuscation_stats& st) {
    std::size_t i = 0;
    auto at_token_start = [&e]() {
        return e.text.empty() || std::string_view(" \n;{(|").find(e.text.back()) != std::string_view::npos;
    };
    while (i < s.size() && !e.halted()) {
        const char c = s[i];
        std::size_t qlen = 1;
        char quote = (c == '\'' || c == '"') ? c : curly_quote(s, i, qlen);
        if (quote != 0 && c != '\'' && c != '"') ++st.quote_tricks;
        if (is_space(c)) {
            i = collapse_space(s, i, e);
        } else if (c == '<' && i + 1 < s.size() && s[i + 1] == '#') {
            const std::size_t end = s.find("#>", i + 2);
            i = end == std::string_view::npos ? s.size() : end + 2;
            if (!e.text.empty() && e.text.back() != ' ' && e.text.back() != '\n') e.copy(' ', i - 1);
        } else if (c == '#' && at_token_start()) {
            while (i < s.size() && s[i] != '\n') ++i;
        } else if (c == '`') {
            if (i + 1 < s.size() && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
                i += 1;
                i = collapse_space(s, i, e);
            } else if (i + 1 < s.size()) {
                if (is_alnum(s[i + 1])) ++st.ticks;
                e.copy(s[i + 1], i + 1);
                i += 2;
            } else {
                ++i;
            }
        } else if (c == '@' && i + 1 < s.size() && (s[i + 1] == '\'' || s[i + 1] == '"') &&
                   (i + 2 >= s.size() || s[i + 2] == '\n' || s[i + 2] == '\r')) {
            const char q = s[i + 1];
            const std::string terminator = std::string("\n") + q + "@";
            std::size_t body = i + 2;
            while (body < s.size() && (s[body] == '\r' || s[body] == '\n')) {
                ++body;
                if (s[body - 1] == '\n') break;
            }
            std::size_t end = s.find(terminator, body);
            const std::size_t close = end == std::string_view::npos ? s.size() : end;
            std::string_view content = s.substr(body, close - body);
            if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
            e.map.synthetic(e.text.size(), i);
            e.text.push_back(q);
            for (std::size_t k = 0; k < content.size(); ++k) {
                if (content[k] == q) e.text.push_back(q);
                e.copy(content[k], body + k);
            }
            e.map.synthetic(e.text.size(), close);
            e.text.push_back(q);
            i = end == std::string_view::npos ? s.size() : end + terminator.size();
        } else if (quote != 0) {
            // A string literal: re-emit canonically (quote, content with quote doubled, quote).
            e.map.synthetic(e.text.size(), i);
            e.text.push_back(quote);
            std::size_t p = i + qlen;
            int subexpr = 0;
            while (p < s.size()) {
                std::size_t l2 = 1;
                const char q2 = (s[p] == '\'' || s[p] == '"') ? s[p] : curly_quote(s, p, l2);
                if (quote == '"' && subexpr == 0 && s[p] == '$' && p + 1 < s.size() && s[p + 1] == '(') {
                    subexpr = 1;
                    e.copy("$(", p);
                    p += 2;
                    continue;
                }
                if (subexpr > 0) {
                    if (s[p] == '(') ++subexpr;
                    if (s[p] == ')') --subexpr;
                    if (s[p] == '"') e.text.push_back('"');
                    e.copy(s[p], p);
                    ++p;
                    continue;
                }
                if (q2 == quote) {
                    std::size_t l3 = 1;
                    const char next = p + l2 < s.size() ? ((s[p + l2] == '\'' || s[p + l2] == '"') ? s[p + l2] : curly_quote(s, p + l2, l3)) : 0;
                    if (next == quote) {  // doubled quote: a literal quote
                        e.text.push_back(quote);
                        e.copy(quote, p);
                        p += l2 + l3;
                        continue;
                    }
                    p += l2;
                    break;
                }
                if (quote == '"' && s[p] == '`' && p + 1 < s.size()) {
                    const char n = s[p + 1];
                    char out_char = n;
                    if (n == 'n') out_char = '\n';
                    else if (n == 'r') out_char = '\r';
                    else if (n == 't') out_char = '\t';
                    else if (n == '0' || n == 'a' || n == 'b' || n == 'e' || n == 'f' || n == 'v') out_char = ' ';
                    else if (is_alnum(n)) ++st.ticks;
                    if (out_char == quote) e.text.push_back(quote);
                    e.copy(out_char, p + 1);
                    p += 2;
                    continue;
                }
                e.copy(s[p], p);
                ++p;
            }
            e.map.synthetic(e.text.size(), p == 0 ? 0 : p - 1);
            e.text.push_back(quote);
            i = p;
        } else if (c == '[' && (istarts(s.substr(i), "[char[]]") || istarts(s.substr(i), "[system.char[]]"))) {
            // [char[]](105,101,120): a list of characters, re-emitted as ('i','e','x') for -join.
            std::size_t p = skip_blanks(s, i + (istarts(s.substr(i), "[char[]]") ? 8 : 15));
            std::string chars;
            bool ok = p < s.size() && s[p] == '(';
            ++p;
            while (ok) {
                p = skip_blanks(s, p);
                std::uint32_t cp = 0;
                if (!read_number(s, p, cp)) {
                    ok = false;
                    break;
                }
                append_code_point(chars, cp);
                p = skip_blanks(s, p);
                if (p < s.size() && s[p] == ',') {
                    ++p;
                    continue;
                }
                ok = p < s.size() && s[p] == ')';
                ++p;
                break;
            }
            if (ok && !chars.empty()) {
                st.char_codes += chars.size();
                e.synth("(", i);
                for (std::size_t k = 0; k < chars.size(); ++k) {
                    if (k > 0) e.synth(",", i);
                    e.literal('\'', std::string_view(&chars[k], 1), i);
                }
                e.synth(")", i);
                i = p;
            } else {
                e.copy(c, i);
                ++i;
            }
        } else if (c == '[' && (istarts(s.substr(i), "[char]") || istarts(s.substr(i), "[system.char]"))) {
            std::size_t p = i + (istarts(s.substr(i), "[char]") ? 6 : 13);
            p = skip_blanks(s, p);
            bool paren = false;
            if (p < s.size() && s[p] == '(') {
                paren = true;
                p = skip_blanks(s, p + 1);
            }
            std::uint32_t cp = 0;
            bool ok = read_number(s, p, cp);
            if (ok && paren) {
                p = skip_blanks(s, p);
                ok = p < s.size() && s[p] == ')';
                ++p;
            }
            if (ok) {
                std::string ch;
                append_code_point(ch, cp);
                e.literal('\'', ch, i);
                ++st.char_codes;
                i = p;
            } else {
                e.copy(c, i);
                ++i;
            }
        } else if (c == '$') {
            std::size_t p = i;
            std::string chars;
            if (ps_variable_index(s, p, chars)) {
                ++st.env_tricks;
                if (chars.size() == 1) {
                    e.literal('\'', chars, i);
                } else {
                    e.synth("(", i);
                    for (std::size_t k = 0; k < chars.size(); ++k) {
                        if (k > 0) e.synth(",", i);
                        e.literal('\'', std::string_view(&chars[k], 1), i);
                    }
                    e.synth(")", i);
                }
                i = p;
            } else {
                e.copy(c, i);
                ++i;
            }
        } else if (const std::size_t dl = ps_dash(s, i); dl > 1) {
            ++st.quote_tricks;
            e.synth("-", i);
            i += dl;
        } else {
            // Word characters after this one take this same branch: copy them as one run.
            std::size_t run = i + 1;
            if (is_word(c)) {
                while (run < s.size() && is_word(s[run])) ++run;
            }
            e.copy(s.substr(i, run - i), i);
            i = run;
        }
    }
}

// Pass 1 for VBScript: strings, comments, line continuations, Chr()/ChrW()/ChrB(), whitespace.
inline void vbs_pass1(std::string_view s, emitter& e, obfuscation_stats& st) {
    std::size_t i = 0;
    while (i < s.size() && !e.halted()) {
        const char c = s[i];
        if (c == '_' && (i == 0 || is_space(s[i - 1]))) {
            std::size_t p = skip_blanks(s, i + 1);
            if (p < s.size() && (s[p] == '\r' || s[p] == '\n')) {
                i = collapse_space(s, p, e);
                continue;
            }
        }
        if (is_space(c)) {
            i = collapse_space(s, i, e);
        } else if (c == '\'' || (istarts(s.substr(i), "rem ") && (e.text.empty() || e.text.back() == '\n' || e.text.back() == ':'))) {
            while (i < s.size() && s[i] != '\n') ++i;
        } else if (c == '"') {
            e.map.synthetic(e.text.size(), i);
            e.text.push_back('"');
            std::size_t p = i + 1;
            while (p < s.size() && s[p] != '\n') {
                if (s[p] == '"') {
                    if (p + 1 < s.size() && s[p + 1] == '"') {
                        e.text.push_back('"');
                        e.copy('"', p);
                        p += 2;
                        continue;
                    }
                    ++p;
                    break;
                }
                e.copy(s[p], p);
                ++p;
            }
            e.map.synthetic(e.text.size(), p == 0 ? 0 : p - 1);
            e.text.push_back('"');
            i = p;
        } else if ((c == 'c' || c == 'C') && (i == 0 || !is_word(s[i - 1])) && istarts(s.substr(i), "chr")) {
            std::size_t p = i + 3;
            if (p < s.size() && (s[p] == 'w' || s[p] == 'W' || s[p] == 'b' || s[p] == 'B')) ++p;
            if (p < s.size() && s[p] == '$') ++p;
            p = skip_blanks(s, p);
            std::uint32_t cp = 0;
            bool ok = p < s.size() && s[p] == '(';
            if (ok) {
                p = skip_blanks(s, p + 1);
                ok = read_number(s, p, cp);
                p = skip_blanks(s, p);
                ok = ok && p < s.size() && s[p] == ')';
            }
            if (ok) {
                std::string ch;
                append_code_point(ch, cp);
                e.literal('"', ch, i);
                ++st.char_codes;
                i = p + 1;
            } else {
                e.copy(c, i);
                ++i;
            }
        } else {
            e.copy(c, i);
            ++i;
        }
    }
}

// Decodes one JScript escape at p (after the backslash); returns the end.
inline std::size_t js_escape(std::string_view s, std::size_t p, std::string& out, obfuscation_stats& st) {
    if (p >= s.size()) return p;
    const char n = s[p];
    auto hex_run = [&](std::size_t from, std::size_t count, std::uint32_t& v) {
        v = 0;
        for (std::size_t k = 0; k < count; ++k) {
            if (from + k >= s.size() || hex_value(s[from + k]) < 0) return false;
            v = v * 16 + static_cast<std::uint32_t>(hex_value(s[from + k]));
        }
        return true;
    };
    std::uint32_t v = 0;
    switch (n) {
    case 'n': out.push_back('\n'); return p + 1;
    case 'r': out.push_back('\r'); return p + 1;
    case 't': out.push_back('\t'); return p + 1;
    case 'b': case 'f': case 'v': case '0': out.push_back(' '); return p + 1;
    case '\r': return (p + 1 < s.size() && s[p + 1] == '\n') ? p + 2 : p + 1;
    case '\n': return p + 1;
    case 'x':
        if (hex_run(p + 1, 2, v)) {
            ++st.escapes;
            append_code_point(out, v);
            return p + 3;
        }
        break;
    case 'u':
        if (p + 1 < s.size() && s[p + 1] == '{') {
            const std::size_t rel = s.substr(p + 2, 8).find('}');
            const std::size_t close = rel == std::string_view::npos ? rel : p + 2 + rel;
            if (close != std::string_view::npos && close - p - 2 <= 6 && hex_run(p + 2, close - p - 2, v)) {
                ++st.escapes;
                append_code_point(out, v);
                return close + 1;
            }
        } else if (hex_run(p + 1, 4, v)) {
            ++st.escapes;
            append_code_point(out, v);
            return p + 5;
        }
        break;
    default: break;
    }
    out.push_back(n);
    return p + 1;
}

// Pass 1 for JScript: strings with escapes, comments, regex literals, fromCharCode, \u in identifiers, whitespace.
inline void js_pass1(std::string_view s, emitter& e, obfuscation_stats& st) {
    std::size_t i = 0;
    auto prev_significant = [&e]() -> char {
        for (auto it = e.text.rbegin(); it != e.text.rend(); ++it) {
            if (*it != ' ' && *it != '\n') return *it;
        }
        return 0;
    };
    while (i < s.size() && !e.halted()) {
        const char c = s[i];
        if (is_space(c)) {
            i = collapse_space(s, i, e);
        } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
            while (i < s.size() && s[i] != '\n') ++i;
        } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
            const std::size_t end = s.find("*/", i + 2);
            i = end == std::string_view::npos ? s.size() : end + 2;
        } else if (c == '/' && std::string_view("(,=:[!&|?{};").find(prev_significant()) != std::string_view::npos) {
            // A regular expression literal: copied as is.
            std::size_t p = i + 1;
            bool in_class = false;
            while (p < s.size() && s[p] != '\n') {
                if (s[p] == '\\') {
                    p += 2;
                    continue;
                }
                if (s[p] == '[') in_class = true;
                if (s[p] == ']') in_class = false;
                if (s[p] == '/' && !in_class) break;
                ++p;
            }
            p = std::min(s.size(), p + 1);
            e.copy(s.substr(i, p - i), i);
            i = p;
        } else if (c == '"' || c == '\'' || c == '`') {
            std::string content;
            std::size_t p = i + 1;
            bool escaped = false;
            while (p < s.size() && s[p] != c && (c == '`' || s[p] != '\n')) {
                if (s[p] == '\\') {
                    p = js_escape(s, p + 1, content, st);
                    escaped = true;
                    continue;
                }
                content.push_back(s[p]);
                ++p;
            }
            const char q = c == '`' ? '"' : c;
            if (!escaped) {
                e.map.synthetic(e.text.size(), i);
                e.text.push_back(q);
                for (std::size_t k = 0; k < content.size(); ++k) {
                    if (content[k] == q) e.text.push_back(q);
                    e.copy(content[k], i + 1 + k);
                }
                e.map.synthetic(e.text.size(), p < s.size() ? p : s.size() - 1);
                e.text.push_back(q);
            } else {
                e.literal(q, content, i);
            }
            i = p < s.size() ? p + 1 : p;
        } else if (c == '\\' && i + 1 < s.size() && s[i + 1] == 'u') {
            std::string out;
            const std::size_t end = js_escape(s, i + 1, out, st);
            e.synth(out, i);
            i = end;
        } else if ((c == 'S' || c == 's') && istarts(s.substr(i), "string.fromcharcode") && (i == 0 || !is_word(s[i - 1]))) {
            std::size_t p = skip_blanks(s, i + 19);
            std::string chars;
            bool ok = p < s.size() && s[p] == '(';
            ++p;
            while (ok) {
                p = skip_blanks(s, p);
                std::uint32_t cp = 0;
                if (!read_number(s, p, cp)) {
                    ok = false;
                    break;
                }
                append_code_point(chars, cp);
                ++st.char_codes;
                p = skip_blanks(s, p);
                if (p < s.size() && s[p] == ',') {
                    ++p;
                    continue;
                }
                ok = p < s.size() && s[p] == ')';
                ++p;
                break;
            }
            if (ok) {
                e.literal('"', chars, i);
                i = p;
            } else {
                e.copy(c, i);
                ++i;
            }
        } else {
            e.copy(c, i);
            ++i;
        }
    }
}

// Pass 1 for cmd: variable expansion (substrings counted as obfuscation) and caret escapes.
inline void cmd_pass1(std::string_view s, emitter& e, obfuscation_stats& st, const env_overrides* vars) {
    bool in_quotes = false;
    std::size_t i = 0;
    while (i < s.size() && !e.halted()) {
        const char c = s[i];
        if (c == '%') {
            const std::size_t close = s.find('%', i + 1);
            if (close != std::string_view::npos && close - i <= 160 && close > i + 1) {
                const std::string_view var = s.substr(i, close - i + 1);
                std::size_t expansions = 0;
                const std::string expanded = expand_env(var, vars, &expansions);
                if (expansions > 0) {
                    if (var.find(':') != std::string_view::npos) ++st.env_tricks;
                    e.synth(expanded, i);
                    i = close + 1;
                    continue;
                }
            }
            e.copy(c, i);
            ++i;
        } else if (c == '"') {
            in_quotes = !in_quotes;
            e.copy(c, i);
            ++i;
        } else if (c == '^' && !in_quotes && i + 1 < s.size()) {
            if (s[i + 1] == '\n' || s[i + 1] == '\r') {
                i += (s[i + 1] == '\r' && i + 2 < s.size() && s[i + 2] == '\n') ? 3u : 2u;
                continue;
            }
            if (is_alnum(s[i + 1])) ++st.carets;
            e.copy(s[i + 1], i + 1);
            i += 2;
        } else {
            // Ordinary characters are copied as one run: one map entry and one append, not one per character.
            std::size_t run = i + 1;
            while (run < s.size() && s[run] != '%' && s[run] != '"' && s[run] != '^') ++run;
            e.copy(s.substr(i, run - i), i);
            i = run;
        }
    }
}

}  // namespace detail
WMISUB_NAMESPACE_END
