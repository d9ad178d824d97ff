// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The second de-obfuscation pass: literal algebra over the canonical text
// the first pass (normalize.inl) produced. Adjacent literals joined
// with + or & are merged; PowerShell's -f, -join, -replace, [string]::Join
// and .Replace over literals, VBScript's StrReverse/Replace and JScript's
// split("").reverse().join("") are evaluated. Repeated until nothing changes
// (at most three rounds).
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/normalize.inl"
#include "wmisub/payload/impl/text.inl"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// A canonical literal at p: quote, content (quote doubled), quote. Returns the end, or npos.
[[nodiscard]] inline std::size_t read_literal(std::string_view t, std::size_t p, std::string* content) {
    if (p >= t.size() || (t[p] != '\'' && t[p] != '"')) return std::string_view::npos;
    const char q = t[p];
    std::size_t k = p + 1;
    while (k < t.size()) {
        if (t[k] == q) {
            if (k + 1 < t.size() && t[k + 1] == q) {
                if (content != nullptr) content->push_back(q);
                k += 2;
                continue;
            }
            return k + 1;
        }
        if (content != nullptr) content->push_back(t[k]);
        ++k;
    }
    return std::string_view::npos;
}

// Reads `lit (, lit)*` at p; returns the end or npos.
[[nodiscard]] inline std::size_t read_literal_list(std::string_view t, std::size_t p, std::vector<std::string>& items) {
    for (;;) {
        p = skip_blanks(t, p);
        std::string item;
        const std::size_t end = read_literal(t, p, &item);
        if (end == std::string_view::npos || items.size() > 4096) return std::string_view::npos;
        items.push_back(std::move(item));
        p = skip_blanks(t, end);
        if (p < t.size() && t[p] == ',') {
            ++p;
            continue;
        }
        return p;
    }
}

// Applies a PowerShell/.NET composite format ("{1}{0}") to literal arguments; false when not static.
[[nodiscard]] inline bool apply_format(std::string_view fmt, const std::vector<std::string>& args, std::string& out) {
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        const char c = fmt[i];
        if (c == '{') {
            if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
                out.push_back('{');
                ++i;
                continue;
            }
            std::size_t p = i + 1;
            std::uint32_t idx = 0;
            if (!read_number(fmt, p, idx)) return false;
            p = skip_blanks(fmt, p);
            if (p >= fmt.size() || fmt[p] != '}' || idx >= args.size()) return false;
            out.append(args[idx]);
            i = p;
        } else if (c == '}') {
            if (i + 1 < fmt.size() && fmt[i + 1] == '}') ++i;
            out.push_back('}');
        } else {
            out.push_back(c);
        }
    }
    return true;
}

// Plain (non-regex) replacement of every occurrence; case-insensitive for PowerShell's -replace.
// `s` with every `from` replaced by `to`, cut at `limit` bytes (a replacement
// longer than what it replaces must not grow the text without bound).
[[nodiscard]] inline std::string replace_all(std::string_view s, std::string_view from, std::string_view to, bool icase,
                                             std::size_t limit = std::string::npos) {
    if (from.empty()) return std::string(s.substr(0, limit));
    std::string out;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t hit = icase ? ifind_from(s, from, pos) : s.find(from, pos);
        if (hit == std::string_view::npos) break;
        out.append(s.substr(pos, hit - pos));
        out.append(to);
        pos = hit + from.size();
        if (out.size() >= limit) break;
    }
    if (out.size() < limit) out.append(s.substr(pos));
    if (out.size() > limit) out.resize(limit);
    return out;
}

[[nodiscard]] inline bool has_regex_meta(std::string_view s) noexcept {
    return s.find_first_of("\\^$.|?*+()[]{}") != std::string_view::npos;
}

// Pass 2 (all script languages): literal algebra over the canonical text. Returns the number of rewrites.
inline std::size_t literal_pass(std::string_view t, script_language lang, emitter& e, obfuscation_stats& st) {
    std::size_t rewrites = 0;
    const bool ps = lang == script_language::powershell;
    const bool vbs = lang == script_language::vbscript;
    const bool js = lang == script_language::jscript;
    std::size_t i = 0;
    auto ws_then = [&t](std::size_t p, std::string_view word) {
        p = skip_blanks(t, p);
        return istarts(t.substr(p), word) ? p : std::string_view::npos;
    };
    while (i < t.size() && !e.halted()) {
        const char c = t[i];
        if (c == '\'' || c == '"') {
            std::string content;
            std::size_t end = read_literal(t, i, &content);
            if (end == std::string_view::npos) {
                e.copy(t.substr(i), i);
                break;
            }
            bool changed = false;
            for (int guard = 0; guard < 4096; ++guard) {
                std::size_t p = skip_blanks(t, end);
                if (p < t.size() && (t[p] == '+' || (vbs && t[p] == '&'))) {
                    const std::size_t q = skip_blanks(t, p + 1);
                    std::string next;
                    const std::size_t next_end = read_literal(t, q, &next);
                    if (next_end != std::string_view::npos) {
                        if (content.size() <= 12 || next.size() <= 12) ++st.concatenations;
                        content += next;
                        end = next_end;
                        changed = true;
                        continue;
                    }
                }
                if (ps && p < t.size() && t[p] == '-' && istarts(t.substr(p), "-f") &&
                    (p + 2 >= t.size() || !is_word(t[p + 2]))) {
                    std::size_t q = skip_blanks(t, p + 2);
                    const bool paren = q < t.size() && t[q] == '(';
                    std::vector<std::string> args;
                    std::size_t list_end = read_literal_list(t, paren ? q + 1 : q, args);
                    if (list_end != std::string_view::npos && paren) {
                        list_end = (list_end < t.size() && t[list_end] == ')') ? list_end + 1 : std::string_view::npos;
                    }
                    std::string formatted;
                    if (list_end != std::string_view::npos && apply_format(content, args, formatted)) {
                        ++st.formats;
                        content = std::move(formatted);
                        end = list_end;
                        changed = true;
                        continue;
                    }
                }
                if (ps && p < t.size() && istarts(t.substr(p), "-replace") && (p + 8 >= t.size() || !is_word(t[p + 8]))) {
                    std::vector<std::string> args;
                    const std::size_t list_end = read_literal_list(t, p + 8, args);
                    if (list_end != std::string_view::npos && args.size() <= 2 && !has_regex_meta(args[0])) {
                        ++st.replaces;
                        content = replace_all(content, args[0], args.size() > 1 ? args[1] : "", true);
                        end = list_end;
                        changed = true;
                        continue;
                    }
                }
                if ((ps || js) && istarts(t.substr(p), ".replace(")) {
                    std::vector<std::string> args;
                    std::size_t list_end = read_literal_list(t, p + 9, args);
                    if (list_end != std::string_view::npos && args.size() == 2 && list_end < t.size() && t[list_end] == ')') {
                        ++st.replaces;
                        if (ps) {
                            content = replace_all(content, args[0], args[1], false);
                        } else if (const std::size_t hit = content.find(args[0]); hit != std::string::npos && !args[0].empty()) {
                            content.replace(hit, args[0].size(), args[1]);
                        }
                        end = list_end + 1;
                        changed = true;
                        continue;
                    }
                }
                if (js) {
                    static constexpr std::string_view rev1 = ".split(\"\").reverse().join(\"\")";
                    static constexpr std::string_view rev2 = ".split('').reverse().join('')";
                    if (istarts(t.substr(p), rev1) || istarts(t.substr(p), rev2)) {
                        ++st.reversals;
                        std::reverse(content.begin(), content.end());
                        end = p + rev1.size();
                        changed = true;
                        continue;
                    }
                }
                break;
            }
            if (changed) {
                ++rewrites;
                e.literal(t[i], content, i);
            } else {
                e.copy(t.substr(i, end - i), i);
            }
            i = end;
            continue;
        }
        // (lit, lit, ...) -join lit   and   -join (lit, ...)
        if (ps && c == '(') {
            std::vector<std::string> items;
            std::size_t p = read_literal_list(t, i + 1, items);
            if (p != std::string_view::npos && p < t.size() && t[p] == ')') {
                // ('i','e') + 'x' -join '': array concatenation before the join.
                std::size_t plus = skip_blanks(t, p + 1);
                while (plus < t.size() && t[plus] == '+') {
                    std::string more;
                    const std::size_t e2 = read_literal(t, skip_blanks(t, plus + 1), &more);
                    if (e2 == std::string_view::npos) break;
                    items.push_back(std::move(more));
                    p = e2 - 1;
                    plus = skip_blanks(t, e2);
                }
                const std::size_t j = ws_then(p + 1, "-join");
                if (j != std::string_view::npos && items.size() > 1) {
                    std::size_t q = skip_blanks(t, j + 5);
                    std::string sep;
                    std::size_t sep_end = read_literal(t, q, &sep);
                    if (sep_end == std::string_view::npos) sep_end = j + 5;
                    std::string joined;
                    for (std::size_t k = 0; k < items.size(); ++k) {
                        if (k > 0) joined += sep;
                        joined += items[k];
                    }
                    ++st.joins;
                    ++rewrites;
                    e.literal('\'', joined, i);
                    i = sep_end;
                    continue;
                }
            }
        }
        if (ps && c == '-' && istarts(t.substr(i), "-join") && (i + 5 >= t.size() || !is_word(t[i + 5]))) {
            std::size_t p = skip_blanks(t, i + 5);
            const bool paren = p < t.size() && t[p] == '(';
            std::vector<std::string> items;
            std::size_t end = read_literal_list(t, paren ? p + 1 : p, items);
            if (end != std::string_view::npos && paren) end = (end < t.size() && t[end] == ')') ? end + 1 : std::string_view::npos;
            if (end != std::string_view::npos && items.size() > 1) {
                std::string joined;
                for (const std::string& item : items) joined += item;
                ++st.joins;
                ++rewrites;
                e.literal('\'', joined, i);
                i = end;
                continue;
            }
        }
        if (ps && c == '[' && (istarts(t.substr(i), "[string]::join(") || istarts(t.substr(i), "[string]::concat("))) {
            const bool concat = istarts(t.substr(i), "[string]::concat(");
            std::vector<std::string> items;
            std::size_t end = read_literal_list(t, i + (concat ? 17 : 15), items);
            if (end == std::string_view::npos && !concat) {  // [string]::Join('', ('a','b'))
                items.clear();
                std::string sep;
                std::size_t p = read_literal(t, skip_blanks(t, i + 15), &sep);
                if (p != std::string_view::npos && (p = skip_blanks(t, p)) < t.size() && t[p] == ',' &&
                    (p = skip_blanks(t, p + 1)) < t.size() && t[p] == '(') {
                    items.push_back(sep);
                    p = read_literal_list(t, p + 1, items);
                    if (p != std::string_view::npos && p < t.size() && t[p] == ')') end = skip_blanks(t, p + 1);
                }
            }
            if (end != std::string_view::npos && end < t.size() && t[end] == ')' && items.size() >= (concat ? 1u : 2u)) {
                std::string joined;
                for (std::size_t k = concat ? 0 : 1; k < items.size(); ++k) {
                    if (!concat && k > 1) joined += items[0];
                    joined += items[k];
                }
                ++st.joins;
                ++rewrites;
                e.literal('\'', joined, i);
                i = end + 1;
                continue;
            }
        }
        if (vbs && (c == 's' || c == 'S' || c == 'r' || c == 'R') && (i == 0 || !is_word(t[i - 1]))) {
            const bool rev = istarts(t.substr(i), "strreverse(");
            const bool rep = istarts(t.substr(i), "replace(");
            if (rev || rep) {
                std::vector<std::string> items;
                const std::size_t end = read_literal_list(t, i + (rev ? 11 : 8), items);
                if (end != std::string_view::npos && end < t.size() && t[end] == ')' && items.size() == (rev ? 1u : 3u)) {
                    std::string value = items[0];
                    if (rev) {
                        std::reverse(value.begin(), value.end());
                        ++st.reversals;
                    } else {
                        value = replace_all(value, items[1], items[2], false);
                        ++st.replaces;
                    }
                    ++rewrites;
                    e.literal('"', value, i);
                    i = end + 1;
                    continue;
                }
            }
        }
        // Word characters following this one reach this point too (none starts a construct
        // above: not a quote, '(', '-' or '[', and not at a word start): copy them as one run.
        std::size_t run = i + 1;
        if (is_word(c)) {
            while (run < t.size() && is_word(t[run])) ++run;
        }
        e.copy(t.substr(i, run - i), i);
        i = run;
    }
    return rewrites;
}

// Rewrites text in `lang` for matching (see the file comment).
// `poll`, when given, can end a pass early: the text is then a prefix of the whole normalization.
[[nodiscard]] inline normalized_text normalize(std::string_view input, script_language lang, const env_overrides* vars = nullptr,
                                               stop_poll* poll = nullptr) {
    normalized_text out;
    emitter first;
    first.poll = poll;
    first.text.reserve(input.size() + 16);
    switch (lang) {
    case script_language::powershell: ps_pass1(input, first, out.stats); break;
    case script_language::vbscript: vbs_pass1(input, first, out.stats); break;
    case script_language::jscript: js_pass1(input, first, out.stats); break;
    case script_language::cmd: cmd_pass1(input, first, out.stats, vars); break;
    case script_language::unknown: first.copy(input, 0); break;
    }
    out.text = std::move(first.text);
    out.maps.push_back(std::move(first.map));
    if (lang == script_language::powershell || lang == script_language::vbscript || lang == script_language::jscript) {
        for (int round = 0; round < 3 && !(poll != nullptr && poll->raised()); ++round) {
            emitter next;
            next.poll = poll;
            next.text.reserve(out.text.size());
            if (literal_pass(out.text, lang, next, out.stats) == 0) break;
            out.text = std::move(next.text);
            out.maps.push_back(std::move(next.map));
        }
    }
    // cmd text is matched through `text` alone (cmd.inl never reads `lower`): skip the copy.
    if (lang != script_language::cmd) out.lower = lower_copy(out.text);
    return out;
}

}  // namespace detail
WMISUB_NAMESPACE_END
