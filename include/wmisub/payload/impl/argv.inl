// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// How Windows takes command lines apart: the C runtime's argv rules (both the
// VC++ 2008+ runtime and CommandLineToArgvW), the module CreateProcess picks
// from an lpCommandLine, and cmd.exe's own parsing (/c, its quote rule,
// command separators, redirections).
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/text.inl"
#include "wmisub/text.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

[[nodiscard]] constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

// Characters that end a run of ordinary argument text: bit 1 always ('\\', '"'), bit 2 outside quotes (blanks).
inline constexpr std::uint8_t argv_stop_quoted = 1;
inline constexpr std::uint8_t argv_stop_any = 3;
[[nodiscard]] constexpr std::array<std::uint8_t, 256> make_argv_stops() noexcept {
    std::array<std::uint8_t, 256> t{};
    t[static_cast<unsigned char>('\\')] = 1;
    t[static_cast<unsigned char>('"')] = 1;
    t[static_cast<unsigned char>(' ')] = 2;
    t[static_cast<unsigned char>('\t')] = 2;
    return t;
}
inline constexpr std::array<std::uint8_t, 256> argv_stops = make_argv_stops();

// The VC++ 2008+ runtime (ucrt parse_command_line).
inline void tokenize_msvcrt(std::string_view s, std::vector<command_argument>& out) {
    std::size_t p = 0;
    // Program name: quotes toggle and are dropped; no backslash processing; ends at a blank outside quotes.
    {
        command_argument& a = out.emplace_back();  // built in place (no move); `out` does not grow meanwhile
        a.offset = 0;
        bool in_quotes = false;
        while (p < s.size()) {
            const char c = s[p];
            if (c == '"') {
                in_quotes = !in_quotes;
                ++p;
                continue;
            }
            if (!in_quotes && is_blank(c)) break;
            // Copy the run of characters up to the next quote (or blank outside quotes) in one go.
            std::size_t run = p + 1;
            while (run < s.size() && s[run] != '"' && (in_quotes || !is_blank(s[run]))) ++run;
            a.value.append(s.substr(p, run - p));
            p = run;
        }
        a.length = p;
        if (p < s.size()) ++p;  // the blank that ended the name
    }
    for (;;) {
        while (p < s.size() && is_blank(s[p])) ++p;
        if (p >= s.size()) break;
        command_argument& a = out.emplace_back();
        a.offset = p;
        bool in_quotes = false;
        for (;;) {
            std::size_t backslashes = 0;
            while (p < s.size() && s[p] == '\\') {
                ++p;
                ++backslashes;
            }
            bool copy = true;
            if (p < s.size() && s[p] == '"') {
                if (backslashes % 2 == 0) {
                    if (in_quotes && p + 1 < s.size() && s[p + 1] == '"') {
                        ++p;  // "" inside quotes: a literal quote, still quoting
                    } else {
                        copy = false;
                        in_quotes = !in_quotes;
                    }
                }
                backslashes /= 2;
            }
            if (backslashes > 0) a.value.append(backslashes, '\\');  // skips a library call in the common case
            if (p >= s.size() || (!in_quotes && is_blank(s[p]))) break;
            // This character (unless it was a quote that toggled quoting) and the run of ordinary
            // characters after it are appended in one go (a table lookup per character).
            const std::size_t from = copy ? p : p + 1;
            std::size_t run = p + 1;
            const std::uint8_t stop = in_quotes ? argv_stop_quoted : argv_stop_any;
            while (run < s.size() && (argv_stops[static_cast<unsigned char>(s[run])] & stop) == 0) ++run;
            a.value.append(s.substr(from, run - from));
            p = run;
        }
        a.length = p - a.offset;
    }
}

// CommandLineToArgvW (and runtimes before VC++ 2008).
inline void tokenize_shell32(std::string_view s, std::vector<command_argument>& out) {
    std::size_t p = 0;
    {
        command_argument a;
        if (!s.empty() && s[0] == '"') {
            const std::size_t close = s.find('"', 1);
            const std::size_t end = close == std::string_view::npos ? s.size() : close;
            a.value.assign(s.substr(1, end - 1));
            p = close == std::string_view::npos ? s.size() : close + 1;
        } else {
            while (p < s.size() && !is_blank(s[p])) ++p;
            a.value.assign(s.substr(0, p));
        }
        a.length = p;
        out.push_back(std::move(a));
    }
    while (p < s.size() && is_blank(s[p])) ++p;
    if (p >= s.size()) return;
    command_argument a;
    a.offset = p;
    bool open = true;
    std::size_t quotes = 0;       // Wine's qcount: 1 while quoting
    std::size_t backslashes = 0;
    auto close_arg = [&](std::size_t end) {
        a.length = end - a.offset;
        out.push_back(std::move(a));
        a = command_argument{};
        open = false;
    };
    while (p < s.size()) {
        const char c = s[p];
        if (is_blank(c) && quotes == 0) {
            close_arg(p);
            while (p < s.size() && is_blank(s[p])) ++p;
            if (p < s.size()) {
                a.offset = p;
                open = true;
            }
            backslashes = 0;
        } else if (c == '\\') {
            a.value.push_back(c);
            ++p;
            ++backslashes;
        } else if (c == '"') {
            if (backslashes % 2 == 0) {
                a.value.resize(a.value.size() - backslashes / 2);
                ++quotes;
            } else {
                a.value.resize(a.value.size() - backslashes / 2 - 1);
                a.value.push_back('"');
            }
            ++p;
            backslashes = 0;
            while (p < s.size() && s[p] == '"') {
                if (++quotes == 3) {
                    a.value.push_back('"');
                    quotes = 0;
                }
                ++p;
            }
            if (quotes == 2) quotes = 0;
        } else {
            a.value.push_back(c);
            ++p;
            backslashes = 0;
        }
    }
    if (open) close_arg(p);
}

// argv of a command line; an empty or blank command line has no arguments.
[[nodiscard]] inline std::vector<command_argument> tokenize_argv(std::string_view s, argv_dialect dialect) {
    std::vector<command_argument> out;
    bool blank = true;
    for (const char c : s) {
        if (!is_blank(c) && c != '\r' && c != '\n') {
            blank = false;
            break;
        }
    }
    if (blank) return out;
    out.reserve(16);  // most command lines have a few arguments: avoid regrowing from 1
    if (dialect == argv_dialect::shell32) {
        tokenize_shell32(s, out);
    } else {
        tokenize_msvcrt(s, out);
    }
    return out;
}

// The names CreateProcess tries for an unquoted module: at most 8, so a fixed
// array (no allocation for every command line analysed).
struct module_candidates {
    std::array<std::string_view, 8> items{};
    std::size_t count = 0;

    [[nodiscard]] std::size_t size() const noexcept { return count; }
    [[nodiscard]] bool empty() const noexcept { return count == 0; }
    void push_back(std::string_view v) noexcept {
        if (count < items.size()) items[count++] = v;
    }
    [[nodiscard]] std::string_view operator[](std::size_t i) const noexcept { return items[i]; }
    [[nodiscard]] const std::string_view* begin() const noexcept { return items.data(); }
    [[nodiscard]] const std::string_view* end() const noexcept { return items.data() + count; }
};

// The module token CreateProcess reads from lpCommandLine when lpApplicationName is NULL.
struct module_token {
    std::string_view text;     // without quotes
    std::size_t begin = 0;     // offset of the token (its opening quote when quoted)
    std::size_t end = 0;       // offset just past the token (past the closing quote)
    bool quoted = false;
    module_candidates candidates;  // unquoted with blanks after: names CreateProcess tries, in order
};

// At most `max_candidates` candidates are listed (at most 8; 0 for callers that only need the token).
[[nodiscard]] inline module_token createprocess_module(std::string_view s, std::size_t max_candidates = 8) {
    module_token t;
    std::size_t p = 0;
    while (p < s.size() && (is_blank(s[p]) || s[p] == '\r' || s[p] == '\n')) ++p;
    t.begin = p;
    if (p < s.size() && s[p] == '"') {
        const std::size_t close = s.find('"', p + 1);
        const std::size_t end = close == std::string_view::npos ? s.size() : close;
        t.text = s.substr(p + 1, end - p - 1);
        t.end = close == std::string_view::npos ? s.size() : close + 1;
        t.quoted = true;
        return t;
    }
    std::size_t e = p;
    while (e < s.size() && !char_is(s[e], cc_line_blank)) ++e;
    t.text = s.substr(p, e - p);
    t.end = e;
    // "c:\program files\sub dir\program name": CreateProcess tries c:\program, then
    // c:\program files\sub, ... until a file exists.
    std::size_t q = e;
    max_candidates = std::min<std::size_t>(max_candidates, 8);
    while (q < s.size() && t.candidates.size() < max_candidates) {
        while (q < s.size() && is_blank(s[q])) ++q;
        if (q >= s.size() || s[q] == '"' || s[q] == '\r' || s[q] == '\n') break;
        while (q < s.size() && !char_is(s[q], cc_line_blank)) ++q;
        if (t.candidates.empty()) t.candidates.push_back(t.text);
        t.candidates.push_back(s.substr(p, q - p));
    }
    return t;
}

// ---------------------------------------------------------------------------
// cmd.exe
// ---------------------------------------------------------------------------

// What cmd.exe's own switches say.
struct cmd_switches {
    bool has_command = false;   // /c, /k or /r seen
    bool keep = false;          // /k
    bool strip_s = false;       // /s: always strip the outer quotes
    bool delayed = false;       // /v:on
    bool no_autorun = false;    // /d: the AutoRun registry commands are not run
    std::size_t command_begin = 0;  // offset of the command text in the argument text
};

// Reads cmd's switches from the text after the program name.
[[nodiscard]] inline cmd_switches parse_cmd_switches(std::string_view args) noexcept {
    cmd_switches sw;
    std::size_t p = 0;
    while (p < args.size()) {
        while (p < args.size() && is_blank(args[p])) ++p;
        if (p >= args.size() || args[p] != '/') break;
        ++p;
        if (p >= args.size()) break;
        const char c = lc(args[p]);
        if (c == 'c' || c == 'k' || c == 'r') {
            sw.has_command = true;
            sw.keep = c == 'k';
            ++p;
            // "/c" may be glued to the command ("/ccalc") or to further switches ("/c/q" is rare; ignore).
            while (p < args.size() && is_blank(args[p])) ++p;
            sw.command_begin = p;
            return sw;
        }
        if (c == 's') sw.strip_s = true;
        if (c == 'd') sw.no_autorun = true;
        if (c == 'v' && p + 3 < args.size() && args[p + 1] == ':' && ieq(args.substr(p + 2, 2), "on")) sw.delayed = true;
        while (p < args.size() && !is_blank(args[p]) && args[p] != '/') ++p;
    }
    sw.command_begin = args.size();
    return sw;
}

// The command cmd runs after /c, with its quote rule applied: the outer quotes
// are kept only when there are exactly two, nothing special between them,
// blanks between them and no /s; otherwise the first and the last quote go.
// Returns the text (a view into `command`) and, when quotes were stripped, the
// text after the last quote is appended by the caller via `tail`.
struct cmd_command_text {
    std::string_view head;  // text between the stripped quotes (or the whole command)
    std::string_view tail;  // text after the last quote when stripped
};

[[nodiscard]] inline cmd_command_text cmd_strip_outer_quotes(std::string_view command, bool strip_s) noexcept {
    cmd_command_text out{command, {}};
    if (command.empty() || command[0] != '"') return out;
    std::size_t quotes = 0;
    for (const char c : command) quotes += c == '"' ? 1u : 0u;
    const std::size_t last = command.rfind('"');
    if (!strip_s && quotes == 2) {
        const std::string_view inner = command.substr(1, last - 1);
        bool special = false;
        bool blank = false;
        for (const char c : inner) {
            if (std::string_view("&<>()@^|").find(c) != std::string_view::npos) special = true;
            if (is_blank(c)) blank = true;
        }
        if (!special && blank) return out;
    }
    if (last == 0) {
        out.head = command.substr(1);
        return out;
    }
    out.head = command.substr(1, last - 1);
    out.tail = command.substr(last + 1);
    return out;
}

// One command of a cmd command line.
struct cmd_piece {
    std::string_view text;  // view into the split text, trimmed
    char op_before = 0;     // '&', '|' (pipe), 'a' (&&), 'o' (||), '\n' or 0 for the first
};

// Splits cmd text on &, &&, ||, | and newlines outside quotes; ^ escapes the next character.
[[nodiscard]] inline std::vector<cmd_piece> split_cmd(std::string_view s, std::size_t max_pieces) {
    std::vector<cmd_piece> out;
    bool in_quotes = false;
    std::size_t start = 0;
    char op = 0;
    auto emit = [&](std::size_t end, char next_op) {
        std::string_view piece = trim(s.substr(start, end - start));
        if (!piece.empty() && out.size() < max_pieces) out.push_back({piece, op});
        op = next_op;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '"') {
            in_quotes = !in_quotes;
        } else if (c == '\n' || c == '\r') {
            in_quotes = false;
            emit(i, '\n');
            start = i + 1;
            if (out.size() >= max_pieces) return out;
        } else if (in_quotes) {
            continue;
        } else if (c == '^') {
            ++i;
        } else if (c == '&' || c == '|') {
            // ">&1" / "2>&1" / "<&" are redirections, not separators.
            if (c == '&' && i > 0 && (s[i - 1] == '>' || s[i - 1] == '<')) continue;
            const bool doubled = i + 1 < s.size() && s[i + 1] == c;
            emit(i, c == '&' ? (doubled ? 'a' : '&') : (doubled ? 'o' : '|'));
            i += doubled ? 1 : 0;
            start = i + 1;
            if (out.size() >= max_pieces) return out;  // out only grows in emit
        }
    }
    emit(s.size(), 0);
    return out;
}

// A redirection target of one command.
struct cmd_redirect {
    std::string_view target;  // without quotes
    std::size_t offset = 0;   // in the command text
    bool append = false;
    bool input = false;       // "<"
};

// The redirection targets of a command.
struct cmd_redirects {
    std::vector<cmd_redirect> targets;
};

[[nodiscard]] inline cmd_redirects parse_redirects(std::string_view s) {
    cmd_redirects out;
    bool in_quotes = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '"') in_quotes = !in_quotes;
        if (in_quotes) continue;
        if (c == '^') {
            ++i;
            continue;
        }
        if (c != '>' && c != '<') continue;
        cmd_redirect r;
        r.input = c == '<';
        std::size_t p = i + 1;
        if (!r.input && p < s.size() && s[p] == '>') {
            r.append = true;
            ++p;
        }
        if (p < s.size() && s[p] == '&') {  // 2>&1
            ++p;
            while (p < s.size() && is_digit(s[p])) ++p;
            i = p - 1;
            continue;
        }
        while (p < s.size() && is_blank(s[p])) ++p;
        std::size_t t_begin = p;
        std::size_t t_end = p;
        if (p < s.size() && s[p] == '"') {
            const std::size_t close = s.find('"', p + 1);
            t_begin = p + 1;
            t_end = close == std::string_view::npos ? s.size() : close;
            p = close == std::string_view::npos ? s.size() : close + 1;
        } else {
            while (p < s.size() && !is_blank(s[p]) && s[p] != '>' && s[p] != '<') ++p;
            t_end = p;
        }
        r.target = s.substr(t_begin, t_end - t_begin);
        r.offset = t_begin;
        if (!r.target.empty() && out.targets.size() < 16) out.targets.push_back(r);
        i = p == 0 ? 0 : p - 1;
    }
    return out;
}

// The first blank-separated word of cmd text (quotes kept) and where the rest starts.
struct cmd_word {
    std::string_view word;
    std::size_t rest = 0;
};

[[nodiscard]] inline cmd_word first_cmd_word(std::string_view s) noexcept {
    std::size_t p = 0;
    while (p < s.size() && (is_blank(s[p]) || s[p] == '@' || s[p] == '(')) ++p;
    const std::size_t b = p;
    bool in_quotes = false;
    while (p < s.size()) {
        if (s[p] == '"') in_quotes = !in_quotes;
        if (!in_quotes && (is_blank(s[p]) || s[p] == '(' || s[p] == ')' || s[p] == ',' || s[p] == ';' || s[p] == '=')) break;
        ++p;
    }
    cmd_word w{s.substr(b, p - b), p};
    while (w.rest < s.size() && is_blank(s[w.rest])) ++w.rest;
    return w;
}

// Removes the quotes cmd ignores in a command name ("p""ower""shell").
[[nodiscard]] inline std::string unquote_word(std::string_view w, bool& trick) {
    std::string out;
    std::size_t quotes = 0;
    for (const char c : w) {
        if (c == '"') {
            ++quotes;
            continue;
        }
        out.push_back(lc(c));
    }
    trick = quotes > 2 || (quotes == 2 && !(w.front() == '"' && w.back() == '"'));
    return out;
}

}  // namespace detail
WMISUB_NAMESPACE_END
