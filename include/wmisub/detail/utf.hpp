// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// UTF-8 and UTF-16 decoding and encoding steps shared by the text API. Decoders
// report ill-formed input instead of guessing, so each caller decides whether
// it becomes U+FFFD (conversion) or compares byte-wise (case folding).
#pragma once

#include "wmisub/config.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

WMISUB_NAMESPACE_BEGIN
namespace detail {

inline constexpr char32_t replacement_char = 0xFFFD;
inline constexpr char32_t max_code_point = 0x10FFFF;

// The result of decoding one code point: its value when valid and how many
// units (bytes or UTF-16 code units) it consumed either way.
struct decode_step {
    char32_t code_point = replacement_char;
    std::size_t length = 1;
    bool valid = false;
};

// The byte at i as an unsigned value; char may be signed.
[[nodiscard]] constexpr std::uint8_t byte_at(std::string_view s, std::size_t i) noexcept {
    return static_cast<std::uint8_t>(s[i]);
}

// True for 10xxxxxx, the only bytes allowed after a UTF-8 lead byte.
[[nodiscard]] constexpr bool is_utf8_continuation(std::uint8_t b) noexcept { return (b & 0xC0u) == 0x80u; }

// True for code points reserved for UTF-16 surrogate pairs.
[[nodiscard]] constexpr bool is_surrogate(char32_t c) noexcept { return c >= 0xD800 && c <= 0xDFFF; }

// What a UTF-8 lead byte demands of the bytes after it. The narrowed first
// continuation range is how Unicode Table 3-7 rules out overlong forms,
// encoded surrogates and values above U+10FFFF without a second pass.
struct utf8_lead {
    std::size_t continuations = 0;  // 0 means the byte cannot start a sequence
    std::uint8_t first_low = 0x80;
    std::uint8_t first_high = 0xBF;
    char32_t payload = 0;
};

// Classifies a non-ASCII byte as a lead byte.
[[nodiscard]] constexpr utf8_lead classify_utf8_lead(std::uint8_t b) noexcept {
    if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF, char32_t{b} & 0x1Fu};
    if (b >= 0xE0 && b <= 0xEF) {
        const std::uint8_t low = b == 0xE0 ? 0xA0 : 0x80;
        const std::uint8_t high = b == 0xED ? 0x9F : 0xBF;
        return {2, low, high, char32_t{b} & 0x0Fu};
    }
    if (b >= 0xF0 && b <= 0xF4) {
        const std::uint8_t low = b == 0xF0 ? 0x90 : 0x80;
        const std::uint8_t high = b == 0xF4 ? 0x8F : 0xBF;
        return {3, low, high, char32_t{b} & 0x07u};
    }
    return {};
}

// Decodes the UTF-8 sequence starting at pos (pos < s.size()). An ill-formed
// sequence consumes its "maximal subpart" (Unicode 3.9, U+FFFD substitution
// of maximal subparts), which is also what WHATWG and ICU do, so one bad byte
// never swallows the valid character after it.
[[nodiscard]] constexpr decode_step decode_utf8(std::string_view s, std::size_t pos) noexcept {
    const std::uint8_t b0 = byte_at(s, pos);
    if (b0 < 0x80) return {b0, 1, true};
    const utf8_lead lead = classify_utf8_lead(b0);
    if (lead.continuations == 0) return {replacement_char, 1, false};
    char32_t cp = lead.payload;
    for (std::size_t i = 1; i <= lead.continuations; ++i) {
        if (pos + i >= s.size()) return {replacement_char, i, false};
        const std::uint8_t b = byte_at(s, pos + i);
        const std::uint8_t low = i == 1 ? lead.first_low : std::uint8_t{0x80};
        const std::uint8_t high = i == 1 ? lead.first_high : std::uint8_t{0xBF};
        if (b < low || b > high) return {replacement_char, i, false};
        cp = (cp << 6) | (char32_t{b} & 0x3Fu);
    }
    return {cp, lead.continuations + 1, true};
}

// Appends a Unicode scalar value as UTF-8. Anything else (a surrogate or a
// value past U+10FFFF) is written as U+FFFD so output is always well-formed.
inline void append_utf8(std::string& out, char32_t cp) {
    if (is_surrogate(cp) || cp > max_code_point) cp = replacement_char;
    const auto unit = [](char32_t v) { return static_cast<char>(static_cast<unsigned char>(v)); };
    if (cp < 0x80) {
        out.push_back(unit(cp));
    } else if (cp < 0x800) {
        out.push_back(unit(0xC0u | (cp >> 6)));
        out.push_back(unit(0x80u | (cp & 0x3Fu)));
    } else if (cp < 0x10000) {
        out.push_back(unit(0xE0u | (cp >> 12)));
        out.push_back(unit(0x80u | ((cp >> 6) & 0x3Fu)));
        out.push_back(unit(0x80u | (cp & 0x3Fu)));
    } else {
        out.push_back(unit(0xF0u | (cp >> 18)));
        out.push_back(unit(0x80u | ((cp >> 12) & 0x3Fu)));
        out.push_back(unit(0x80u | ((cp >> 6) & 0x3Fu)));
        out.push_back(unit(0x80u | (cp & 0x3Fu)));
    }
}

// Appends a Unicode scalar value as UTF-16 code units (U+FFFD for non-scalars).
inline void append_utf16(std::u16string& out, char32_t cp) {
    if (is_surrogate(cp) || cp > max_code_point) cp = replacement_char;
    if (cp < 0x10000) {
        out.push_back(static_cast<char16_t>(cp));
        return;
    }
    const char32_t v = cp - 0x10000;
    out.push_back(static_cast<char16_t>(0xD800u + (v >> 10)));
    out.push_back(static_cast<char16_t>(0xDC00u + (v & 0x3FFu)));
}

// Decodes one code point from count UTF-16 units, reading unit i through
// unit_at(i) so the same logic serves char16_t strings and raw LE/BE bytes.
// A lone surrogate of either kind consumes one unit and is reported invalid.
template <class UnitAt>
[[nodiscard]] constexpr decode_step decode_utf16(std::size_t count, std::size_t pos, UnitAt unit_at) noexcept {
    const char32_t u0 = unit_at(pos);
    if (!is_surrogate(u0)) return {u0, 1, true};
    if (u0 >= 0xDC00 || pos + 1 >= count) return {replacement_char, 1, false};
    const char32_t u1 = unit_at(pos + 1);
    if (u1 < 0xDC00 || u1 > 0xDFFF) return {replacement_char, 1, false};
    return {0x10000 + ((u0 - 0xD800) << 10) + (u1 - 0xDC00), 2, true};
}

// Converts UTF-16 units to UTF-8, appending to out; lone surrogates become U+FFFD.
template <class UnitAt>
void utf16_units_to_utf8(std::string& out, std::size_t count, UnitAt unit_at) {
    out.reserve(out.size() + count + count / 2);
    for (std::size_t pos = 0; pos < count;) {
        const decode_step step = decode_utf16(count, pos, unit_at);
        append_utf8(out, step.code_point);
        pos += step.length;
    }
}

// The UTF-16 unit at index i of raw bytes in the given byte order.
[[nodiscard]] constexpr char32_t utf16_byte_unit(std::string_view bytes, std::size_t i, bool big_endian) noexcept {
    const char32_t first = byte_at(bytes, 2 * i);
    const char32_t second = byte_at(bytes, 2 * i + 1);
    return big_endian ? ((first << 8) | second) : ((second << 8) | first);
}

// Converts raw UTF-16 bytes to UTF-8; an odd trailing byte cannot be a unit, so it becomes U+FFFD.
inline void utf16_bytes_to_utf8(std::string& out, std::string_view bytes, bool big_endian) {
    const std::size_t units = bytes.size() / 2;
    utf16_units_to_utf8(out, units, [&](std::size_t i) { return utf16_byte_unit(bytes, i, big_endian); });
    if (bytes.size() % 2 != 0) append_utf8(out, replacement_char);
}

// Converts UTF-8 to well-formed UTF-8, replacing each maximal ill-formed subpart with U+FFFD.
inline void sanitize_utf8(std::string& out, std::string_view utf8) {
    out.reserve(out.size() + utf8.size());
    std::size_t valid_from = 0;  // start of the valid bytes not appended yet: appended in runs, not per character
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        while (pos + 8 <= utf8.size()) {  // ASCII eight bytes at a time
            std::uint64_t word = 0;
            std::memcpy(&word, utf8.data() + pos, sizeof word);
            if ((word & 0x8080808080808080ULL) != 0) break;
            pos += 8;
        }
        if (pos >= utf8.size()) break;
        if (static_cast<unsigned char>(utf8[pos]) < 0x80) {
            ++pos;
            continue;
        }
        const decode_step step = decode_utf8(utf8, pos);
        if (!step.valid) {
            out.append(utf8.substr(valid_from, pos - valid_from));
            append_utf8(out, replacement_char);
            valid_from = pos + step.length;
        }
        pos += step.length;
    }
    out.append(utf8.substr(valid_from));
}

// Heuristic for BOM-less UTF-16: text that is mostly ASCII has a NUL in every
// unit's high byte. Counting pairs with exactly one NUL, and requiring a clear
// majority on one side, keeps UTF-8 and binary noise out.
enum class utf16_guess { none, little_endian, big_endian };

// Guesses whether BOM-less bytes are UTF-16 and in which byte order.
[[nodiscard]] constexpr utf16_guess guess_utf16(std::string_view bytes) noexcept {
    const std::size_t pairs = bytes.size() / 2;
    if (pairs == 0) return utf16_guess::none;
    std::size_t nul_odd = 0;
    std::size_t nul_even = 0;
    for (std::size_t i = 0; i < pairs; ++i) {
        const bool even_zero = bytes[2 * i] == '\0';
        const bool odd_zero = bytes[2 * i + 1] == '\0';
        if (odd_zero && !even_zero) ++nul_odd;
        if (even_zero && !odd_zero) ++nul_even;
    }
    // 40 % of units looking like ASCII-in-UTF-16 is far above what UTF-8
    // text (which has no NULs) or typical binary garbage produces.
    const auto enough = [pairs](std::size_t hits) { return hits * 5 >= pairs * 2; };
    if (nul_odd > nul_even && enough(nul_odd)) return utf16_guess::little_endian;
    if (nul_even > nul_odd && enough(nul_even)) return utf16_guess::big_endian;
    return utf16_guess::none;
}

}  // namespace detail
WMISUB_NAMESPACE_END
