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
