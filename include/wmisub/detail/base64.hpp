// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Base64 (RFC 4648) decoding and encoding. Decoding is lenient where real
// payloads vary (line breaks, URL-safe alphabet, missing padding) and strict
// where leniency would hide corruption (bad characters, wrong padding).
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/detail/utf.hpp"
#include "wmisub/result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

WMISUB_NAMESPACE_BEGIN
namespace detail {

inline constexpr std::string_view base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Marks bytes that are not base64 digits in the decode table.
inline constexpr std::int8_t base64_invalid = -1;

// Maps every byte to its 6-bit value, accepting both the standard ('+' '/')
// and the URL-safe ('-' '_') spellings of the last two digits.
[[nodiscard]] constexpr std::array<std::int8_t, 256> make_base64_decode_table() noexcept {
    std::array<std::int8_t, 256> table{};
    for (auto& v : table) v = base64_invalid;
    for (std::size_t i = 0; i < base64_alphabet.size(); ++i) {
        table[static_cast<unsigned char>(base64_alphabet[i])] = static_cast<std::int8_t>(i);
    }
    table[static_cast<unsigned char>('-')] = 62;
    table[static_cast<unsigned char>('_')] = 63;
    return table;
}

inline constexpr std::array<std::int8_t, 256> base64_decode_table = make_base64_decode_table();

// ASCII whitespace as C's isspace() in the "C" locale, without the locale.
[[nodiscard]] constexpr bool is_ascii_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Decoder state between characters.
struct base64_state {
    std::uint32_t bits = 0;         // pending sextets of the current quartet
    std::size_t digits = 0;         // sextets in the current quartet (0..3)
    std::size_t last_digit = 0;     // offset of the latest digit, for error reports
    std::size_t padding = 0;        // '=' seen so far
    std::size_t padding_needed = 0; // '=' the final quartet requires
};

// Appends the bytes carried by a partial final quartet of 2 or 3 digits.
inline void base64_flush_partial(std::string& out, const base64_state& st) {
    if (st.digits == 2) {
        out.push_back(static_cast<char>((st.bits >> 4) & 0xFFu));
    } else if (st.digits == 3) {
        out.push_back(static_cast<char>((st.bits >> 10) & 0xFFu));
        out.push_back(static_cast<char>((st.bits >> 2) & 0xFFu));
    }
}

// Handles one '=' at offset; returns false (and sets err) when misplaced.
// Padding is only meaningful after 2 or 3 digits of a quartet.
[[nodiscard]] inline bool base64_take_padding(base64_state& st, std::size_t offset, error& err) {
    if (st.padding == 0) {
        if (st.digits < 2) {
            err = make_error(errc::syntax_error, "base64 padding '=' where a digit is required", offset);
            return false;
        }
        st.padding_needed = 4 - st.digits;
    }
    if (st.padding >= st.padding_needed) {
        err = make_error(errc::syntax_error, "too much base64 padding", offset);
        return false;
    }
    ++st.padding;
    return true;
}

// Handles one non-space, non-'=' character; returns false (and sets err) when it is not a digit.
[[nodiscard]] inline bool base64_take_digit(std::string& out, base64_state& st, char c, std::size_t offset,
                                           error& err) {
    if (st.padding != 0) {
        err = make_error(errc::syntax_error, "base64 data after padding", offset);
        return false;
    }
    const std::int8_t v = base64_decode_table[static_cast<unsigned char>(c)];
    if (v == base64_invalid) {
        err = make_error(errc::invalid_encoding, "invalid base64 character", offset);
        return false;
    }
    st.bits = (st.bits << 6) | static_cast<std::uint32_t>(v);
    st.last_digit = offset;
    if (++st.digits == 4) {
        out.push_back(static_cast<char>((st.bits >> 16) & 0xFFu));
        out.push_back(static_cast<char>((st.bits >> 8) & 0xFFu));
        out.push_back(static_cast<char>(st.bits & 0xFFu));
        st.bits = 0;
        st.digits = 0;
    }
    return true;
}

// Checks the end of input; a lone final digit carries fewer than 8 bits.
[[nodiscard]] inline bool base64_finish(std::string& out, const base64_state& st, std::size_t size, error& err) {
    if (st.padding != 0 && st.padding < st.padding_needed) {
        err = make_error(errc::syntax_error, "incomplete base64 padding", size);
        return false;
    }
    if (st.digits == 1) {
        err = make_error(errc::syntax_error, "a single trailing base64 digit cannot encode a byte", st.last_digit);
        return false;
    }
    base64_flush_partial(out, st);
    return true;
}

// Decodes text into out or reports the first problem with its byte offset.
// Non-zero bits left over in a partial quartet are ignored (RFC 4648 3.5
// allows either), since encoders in the wild are not all canonical.
[[nodiscard]] inline bool base64_decode_into(std::string& out, std::string_view text, error& err) {
    out.reserve(text.size() / 4 * 3 + 3);
    base64_state st;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (is_ascii_space(c)) continue;
        const bool ok = c == '=' ? base64_take_padding(st, i, err) : base64_take_digit(out, st, c, i, err);
        if (!ok) return false;
    }
    return base64_finish(out, st, text.size(), err);
}

// Encodes bytes with the standard alphabet and '=' padding, no line breaks.
inline void base64_encode_into(std::string& out, std::string_view bytes) {
    out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
    const auto digit = [](std::uint32_t v) { return base64_alphabet[v & 0x3Fu]; };
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{byte_at(bytes, i)} << 16) | (std::uint32_t{byte_at(bytes, i + 1)} << 8) |
                                byte_at(bytes, i + 2);
        out.push_back(digit(v >> 18));
        out.push_back(digit(v >> 12));
        out.push_back(digit(v >> 6));
        out.push_back(digit(v));
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 0) return;
    std::uint32_t v = std::uint32_t{byte_at(bytes, i)} << 16;
    if (rest == 2) v |= std::uint32_t{byte_at(bytes, i + 1)} << 8;
    out.push_back(digit(v >> 18));
    out.push_back(digit(v >> 12));
    out.push_back(rest == 2 ? digit(v >> 6) : '=');
    out.push_back('=');
}

}  // namespace detail
WMISUB_NAMESPACE_END
