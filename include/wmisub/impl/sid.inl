// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/sid.hpp: SID text and binary forms.
// Included by that header only under WMISUB_INCLUDE_IMPLEMENTATION (header-only
// mode, or the one translation unit that defines WMISUB_IMPLEMENTATION); not a
// header to include.
#pragma once

#include "wmisub/sid.hpp"
#include "wmisub/config.hpp"
#include "wmisub/result.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN

namespace detail {

// Reads a decimal number up to `max` starting at text[pos]; advances pos.
[[nodiscard]] inline result<std::uint64_t> read_sid_number(std::string_view text, std::size_t& pos, std::uint64_t max) {
    const std::size_t start = pos;
    std::uint64_t v = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        v = v * 10 + static_cast<std::uint64_t>(text[pos] - '0');
        if (v > max) return make_error(errc::syntax_error, "SID component out of range", start);
        ++pos;
    }
    if (pos == start) return make_error(errc::syntax_error, "SID: expected a number", pos);
    return v;
}

// Reads `0x` and up to 12 hex digits (authorities of 2^32 and above); advances pos.
[[nodiscard]] inline result<std::uint64_t> read_sid_hex(std::string_view text, std::size_t& pos, std::uint64_t max) {
    pos += 2;
    const std::size_t start = pos;
    std::uint64_t v = 0;
    while (pos < text.size() && pos - start < 13) {
        const char c = text[pos];
        const int digit = c >= '0' && c <= '9' ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
        if (digit < 0) break;
        v = v * 16 + static_cast<std::uint64_t>(digit);
        if (v > max) return make_error(errc::syntax_error, "SID authority out of range", start);
        ++pos;
    }
    if (pos == start) return make_error(errc::syntax_error, "SID: expected hex digits", pos);
    return v;
}

}  // namespace detail

WMISUB_API result<std::string> format_sid(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 8) return make_error(errc::unexpected_end, "SID shorter than 8 bytes", bytes.size());
    if (bytes[0] != 1) return make_error(errc::syntax_error, "SID revision must be 1", 0);
    const std::size_t count = bytes[1];
    if (count > 15) return make_error(errc::syntax_error, "SID has more than 15 sub-authorities", 1);
    if (bytes.size() != 8 + 4 * count) {
        return make_error(bytes.size() < 8 + 4 * count ? errc::unexpected_end : errc::syntax_error,
                          "SID length does not match its sub-authority count", std::min(bytes.size(), 8 + 4 * count));
    }
    std::uint64_t authority = 0;
    for (std::size_t i = 2; i < 8; ++i) authority = (authority << 8) | bytes[i];
    std::string out = "S-1-";
    // Authorities of 2^32 and above print in hex, as ConvertSidToStringSid does.
    if (authority >= (std::uint64_t{1} << 32)) {
        constexpr char digits[] = "0123456789ABCDEF";
        std::string hex;
        for (std::size_t i = 2; i < 8; ++i) {
            hex += digits[bytes[i] >> 4];
            hex += digits[bytes[i] & 0xF];
        }
        out += "0x" + hex;
    } else {
        out += std::to_string(authority);
    }
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t at = 8 + 4 * i;
        const std::uint32_t sub = static_cast<std::uint32_t>(bytes[at]) | (static_cast<std::uint32_t>(bytes[at + 1]) << 8) |
                                  (static_cast<std::uint32_t>(bytes[at + 2]) << 16) |
                                  (static_cast<std::uint32_t>(bytes[at + 3]) << 24);
        out += '-' + std::to_string(sub);
    }
    return out;
}

WMISUB_API result<std::vector<std::uint8_t>> parse_sid(std::string_view text) {
    if (text.size() < 4 || (text[0] != 'S' && text[0] != 's') || text[1] != '-' || text[2] != '1' || text[3] != '-') {
        return make_error(errc::syntax_error, "SID must start with 'S-1-'", 0);
    }
    std::size_t pos = 4;
    auto authority = text.substr(pos, 2) == "0x" || text.substr(pos, 2) == "0X"
                         ? detail::read_sid_hex(text, pos, (std::uint64_t{1} << 48) - 1)
                         : detail::read_sid_number(text, pos, (std::uint64_t{1} << 48) - 1);
    if (!authority) return authority.error();
    std::vector<std::uint8_t> out{1, 0};
    for (int shift = 40; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(*authority >> shift));
    std::uint8_t count = 0;
    while (pos < text.size()) {
        if (text[pos] != '-') return make_error(errc::syntax_error, "SID: expected '-'", pos);
        ++pos;
        if (count == 15) return make_error(errc::limit_exceeded, "SID has more than 15 sub-authorities", pos);
        auto sub = detail::read_sid_number(text, pos, 0xFFFFFFFFu);
        if (!sub) return sub.error();
        for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(*sub >> shift));
        ++count;
    }
    out[1] = count;
    return out;
}

WMISUB_API std::string_view describe_sid(std::string_view sid) noexcept {
    if (sid == well_known_sid::local_system) return "NT AUTHORITY\\SYSTEM";
    if (sid == well_known_sid::local_service) return "NT AUTHORITY\\LOCAL SERVICE";
    if (sid == well_known_sid::network_service) return "NT AUTHORITY\\NETWORK SERVICE";
    if (sid == well_known_sid::administrators) return "BUILTIN\\Administrators";
    return {};
}

WMISUB_NAMESPACE_END
