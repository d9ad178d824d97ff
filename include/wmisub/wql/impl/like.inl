// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/wql/query.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// WQL LIKE patterns: `%`, `_`, `[set]`, `[^set]`, matched case-insensitively.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/text.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Code points of UTF-8 text (invalid bytes become U+FFFD via the UTF-16 round trip).
[[nodiscard]] inline std::vector<char32_t> code_points(std::string_view utf8) {
    const std::u16string units = utf8_to_utf16(utf8);
    std::vector<char32_t> out;
    out.reserve(units.size());
    for (std::size_t i = 0; i < units.size(); ++i) {
        const char16_t u = units[i];
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units.size()) {
            out.push_back(0x10000 + ((static_cast<char32_t>(u) - 0xD800) << 10) + (units[i + 1] - 0xDC00u));
            ++i;
        } else {
            out.push_back(u);
        }
    }
    return out;
}

// One element of a compiled LIKE pattern.
struct like_element {
    enum class type : std::uint8_t { any_run, any_one, literal, set } kind = type::literal;
    char32_t literal = 0;
    bool negated = false;
    std::vector<std::pair<char32_t, char32_t>> ranges;  // for sets

    [[nodiscard]] bool matches(char32_t c) const noexcept {
        switch (kind) {
        case type::any_run:
        case type::any_one: return true;
        case type::literal: return c == literal;
        case type::set: {
            bool in = false;
            for (const auto& [lo, hi] : ranges) in = in || (c >= lo && c <= hi);
            return in != negated;
        }
        }
        return false;
    }
};

// `[` … `]` starting at p[i]; returns the index after `]`, or i when unterminated (then `[` is literal).
[[nodiscard]] inline std::size_t compile_like_set(const std::vector<char32_t>& p, std::size_t i, like_element& out) {
    std::size_t j = i + 1;
    out.kind = like_element::type::set;
    if (j < p.size() && p[j] == U'^') {
        out.negated = true;
        ++j;
    }
    const std::size_t first = j;
    while (j < p.size() && (p[j] != U']' || j == first)) {
        if (j + 2 < p.size() && p[j + 1] == U'-' && p[j + 2] != U']') {
            out.ranges.emplace_back(p[j], p[j + 2]);
            j += 3;
        } else {
            out.ranges.emplace_back(p[j], p[j]);
            ++j;
        }
    }
    if (j >= p.size()) return i;
    return j + 1;
}

[[nodiscard]] inline std::vector<like_element> compile_like(std::string_view pattern) {
    const std::vector<char32_t> p = code_points(fold_case(pattern));
    std::vector<like_element> out;
    for (std::size_t i = 0; i < p.size();) {
        like_element e;
        if (p[i] == U'%') {
            e.kind = like_element::type::any_run;
            if (out.empty() || out.back().kind != like_element::type::any_run) out.push_back(e);
            ++i;
            continue;
        }
        if (p[i] == U'_') {
            e.kind = like_element::type::any_one;
        } else if (p[i] == U'[') {
            const std::size_t next = compile_like_set(p, i, e);
            if (next != i) {
                out.push_back(std::move(e));
                i = next;
                continue;
            }
            e = like_element{};
            e.literal = U'[';
        } else {
            e.literal = p[i];
        }
        out.push_back(std::move(e));
        ++i;
    }
    return out;
}

// Greedy matching with backtracking to the last `%` only: O(n·m) at worst.
[[nodiscard]] inline bool like_match(std::string_view pattern, std::string_view text) noexcept {
#if WMISUB_EXCEPTIONS
    try {
#endif
        const std::vector<like_element> p = compile_like(pattern);
        const std::vector<char32_t> t = code_points(fold_case(text));
        std::size_t pi = 0, ti = 0;
        std::size_t star = static_cast<std::size_t>(-1), star_text = 0;
        while (ti < t.size()) {
            if (pi < p.size() && p[pi].kind == like_element::type::any_run) {
                star = pi++;
                star_text = ti;
            } else if (pi < p.size() && p[pi].matches(t[ti])) {
                ++pi;
                ++ti;
            } else if (star != static_cast<std::size_t>(-1)) {
                pi = star + 1;
                ti = ++star_text;
            } else {
                return false;
            }
        }
        while (pi < p.size() && p[pi].kind == like_element::type::any_run) ++pi;
        return pi == p.size();
#if WMISUB_EXCEPTIONS
    } catch (...) {
        return false;
    }
#endif
}

}  // namespace detail
WMISUB_NAMESPACE_END
