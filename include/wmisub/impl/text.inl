// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/text.hpp: UTF-8/UTF-16 conversion, text decoding, base64 and hashes of whole buffers.
// Included by that header only under WMISUB_INCLUDE_IMPLEMENTATION (header-only
// mode, or the one translation unit that defines WMISUB_IMPLEMENTATION); not a
// header to include.
#pragma once

#include "wmisub/text.hpp"
#include "wmisub/config.hpp"
#include "wmisub/detail/base64.hpp"
#include "wmisub/detail/case_fold.hpp"
#include "wmisub/detail/md5.hpp"
#include "wmisub/detail/sha256.hpp"
#include "wmisub/detail/utf.hpp"
#include "wmisub/result.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

WMISUB_NAMESPACE_BEGIN

WMISUB_API std::string fold_case(std::string_view s) noexcept {
    return detail::build_string<std::string>([s](std::string& out) { detail::append_folded(out, s); });
}

WMISUB_API std::u16string utf8_to_utf16(std::string_view utf8) noexcept {
    return detail::build_string<std::u16string>([utf8](std::u16string& out) {
        out.reserve(utf8.size());
        for (std::size_t pos = 0; pos < utf8.size();) {
            const detail::decode_step step = detail::decode_utf8(utf8, pos);
            detail::append_utf16(out, step.code_point);
            pos += step.length;
        }
    });
}

WMISUB_API std::string utf16_to_utf8(std::u16string_view utf16) noexcept {
    return detail::build_string<std::string>([utf16](std::string& out) {
        detail::utf16_units_to_utf8(out, utf16.size(), [utf16](std::size_t i) { return char32_t{utf16[i]}; });
    });
}

WMISUB_API std::string utf16le_to_utf8(std::string_view bytes) noexcept {
    return detail::build_string<std::string>(
        [bytes](std::string& out) { detail::utf16_bytes_to_utf8(out, bytes, false); });
}

WMISUB_API std::string utf16be_to_utf8(std::string_view bytes) noexcept {
    return detail::build_string<std::string>(
        [bytes](std::string& out) { detail::utf16_bytes_to_utf8(out, bytes, true); });
}

WMISUB_API std::string utf8_to_utf16le_bytes(std::string_view utf8) noexcept {
    return detail::build_string<std::string>([utf8](std::string& out) {
        const std::u16string units = utf8_to_utf16(utf8);
        out.reserve(units.size() * 2);
        for (const char16_t u : units) {
            out.push_back(static_cast<char>(u & 0xFFu));
            out.push_back(static_cast<char>((u >> 8) & 0xFFu));
        }
    });
}

WMISUB_API decoded_text decode_text(std::string_view bytes) noexcept {
    decoded_text out;
    text_encoding enc = text_encoding::utf8;
    if (bytes.starts_with("\xEF\xBB\xBF")) {
        bytes.remove_prefix(3);
        out.had_bom = true;
    } else if (bytes.starts_with("\xFF\xFE")) {
        bytes.remove_prefix(2);
        out.had_bom = true;
        enc = text_encoding::utf16le;
    } else if (bytes.starts_with("\xFE\xFF")) {
        bytes.remove_prefix(2);
        out.had_bom = true;
        enc = text_encoding::utf16be;
    } else {
        const detail::utf16_guess guess = detail::guess_utf16(bytes);
        if (guess == detail::utf16_guess::little_endian) enc = text_encoding::utf16le;
        if (guess == detail::utf16_guess::big_endian) enc = text_encoding::utf16be;
    }
    out.encoding = enc;
    if (enc == text_encoding::utf16le) {
        out.utf8 = utf16le_to_utf8(bytes);
    } else if (enc == text_encoding::utf16be) {
        out.utf8 = utf16be_to_utf8(bytes);
    } else {
        out.utf8 = detail::build_string<std::string>([bytes](std::string& s) { detail::sanitize_utf8(s, bytes); });
    }
    return out;
}

WMISUB_API result<std::string> base64_decode(std::string_view text) noexcept {
    if (text.size() > WMISUB_MAX_INPUT_BYTES) {
        return make_error(errc::limit_exceeded, "base64 input larger than WMISUB_MAX_INPUT_BYTES",
                          std::size_t{WMISUB_MAX_INPUT_BYTES});
    }
#if WMISUB_EXCEPTIONS
    try {
#endif
        std::string out;
        error err;
        if (!detail::base64_decode_into(out, text, err)) return err;
        return out;
#if WMISUB_EXCEPTIONS
    } catch (...) {
        return make_error(errc::limit_exceeded, "out of memory");
    }
#endif
}

WMISUB_API std::string base64_encode(std::string_view bytes) noexcept {
    return detail::build_string<std::string>([bytes](std::string& out) { detail::base64_encode_into(out, bytes); });
}

namespace detail {

[[nodiscard]] constexpr bool is_excerpt_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

[[nodiscard]] constexpr bool is_utf8_continuation_byte(char c) noexcept {
    return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u;
}

// The excerpt's first byte: after the last line break before `offset`, else after the first
// space in the first `slack` bytes, else `begin` itself; never a UTF-8 continuation byte.
[[nodiscard]] inline std::size_t excerpt_begin(std::string_view text, std::size_t begin, std::size_t offset, std::size_t slack) noexcept {
    if (begin == 0) return 0;
    std::size_t snapped = begin;
    for (std::size_t i = begin; i < offset; ++i) {
        if (text[i] == '\n') snapped = i + 1;
    }
    if (snapped == begin) {
        const std::size_t limit = std::min(offset, begin + slack);
        for (std::size_t i = begin; i < limit; ++i) {
            if (is_excerpt_space(text[i])) {
                snapped = i + 1;
                break;
            }
        }
    }
    while (snapped < text.size() && is_utf8_continuation_byte(text[snapped])) ++snapped;
    return snapped;
}

// One past the excerpt's last byte: at the last space in the final `slack` bytes (not before
// `keep`), else `end` itself; never splitting a UTF-8 sequence.
[[nodiscard]] inline std::size_t excerpt_end(std::string_view text, std::size_t end, std::size_t keep, std::size_t slack) noexcept {
    if (end >= text.size()) return text.size();
    const std::size_t floor = std::max(keep, end - std::min(end, slack));
    for (std::size_t i = end; i > floor; --i) {
        if (is_excerpt_space(text[i])) return i;  // text[end] itself: the window ends at a word's end
    }
    while (end > 0 && is_utf8_continuation_byte(text[end])) --end;
    return end;
}

}  // namespace detail

WMISUB_API excerpt_range excerpt_range_at(std::string_view text, std::size_t offset, std::size_t max) noexcept {
    if (text.size() <= max) return {0, text.size()};
    offset = std::min(offset, text.size());
    std::size_t begin = offset - std::min(offset, max / 5);
    if (text.size() - begin < max) begin = text.size() - max;  // near the end: show a full window
    const std::size_t slack = max / 4;
    begin = detail::excerpt_begin(text, begin, offset, slack);
    std::size_t end = detail::excerpt_end(text, std::min(text.size(), begin + max), std::min(offset + 1, text.size()), slack);
    while (end > begin && detail::is_excerpt_space(text[end - 1])) --end;  // no dangling blank before the mark
    if (end < begin) end = begin;
    return {begin, end};
}

WMISUB_API std::string excerpt_at(std::string_view text, std::size_t offset, std::size_t max) noexcept {
    const excerpt_range r = excerpt_range_at(text, offset, max);
    return detail::build_string<std::string>([&](std::string& out) {
        out.reserve(r.end - r.begin + 6);
        if (r.begin > 0) out += "\xE2\x80\xA6";
        out.append(text.substr(r.begin, r.end - r.begin));
        if (r.end < text.size()) out += "\xE2\x80\xA6";
    });
}

WMISUB_API sha256_digest sha256_of(std::string_view bytes) noexcept {
    detail::sha256_state state;
    state.update(bytes);
    return state.finish();
}

WMISUB_API md5_digest md5_of(std::string_view bytes) noexcept {
    detail::md5_state state;
    state.update(bytes);
    return state.finish();
}

WMISUB_API std::string to_hex(std::span<const std::uint8_t> bytes) noexcept {
    return detail::build_string<std::string>([bytes](std::string& out) {
        constexpr std::string_view digits = "0123456789abcdef";
        out.reserve(bytes.size() * 2);
        for (const std::uint8_t b : bytes) {
            out.push_back(digits[b >> 4]);
            out.push_back(digits[b & 0x0Fu]);
        }
    });
}

WMISUB_API std::string sha256_hex(std::string_view bytes) noexcept { return to_hex(sha256_of(bytes)); }

WMISUB_API std::string md5_hex(std::string_view bytes) noexcept { return to_hex(md5_of(bytes)); }

WMISUB_NAMESPACE_END
