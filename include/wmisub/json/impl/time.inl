// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/json/json.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Time stamps as JSON writers spell them: ISO 8601 (wmisub's own files,
// PowerShell 7's ConvertTo-Json) and `/Date(milliseconds)/` (Windows
// PowerShell 5.1's ConvertTo-Json).
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

WMISUB_NAMESPACE_BEGIN
namespace detail {

[[nodiscard]] constexpr bool json_time_digits(std::string_view s, std::size_t pos, std::size_t n,
                                              std::int32_t& out) noexcept {
    if (pos + n > s.size()) return false;
    std::int32_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

// `YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM]` as a DMTF timestamp
// keeping the written UTC offset (none written: UTC). Fractions past six
// digits (.NET writes seven) are truncated to microseconds.
[[nodiscard]] inline std::optional<dmtf_datetime> parse_iso8601(std::string_view s) noexcept {
    dmtf_datetime d;
    if (!json_time_digits(s, 0, 4, d.year) || s.size() < 19 || s[4] != '-' || !json_time_digits(s, 5, 2, d.month) ||
        s[7] != '-' || !json_time_digits(s, 8, 2, d.day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !json_time_digits(s, 11, 2, d.hour) || s[13] != ':' || !json_time_digits(s, 14, 2, d.minute) ||
        s[16] != ':' || !json_time_digits(s, 17, 2, d.second)) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    d.microsecond = 0;
    d.microsecond_digits = 6;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::int32_t micro = 0;
        std::size_t digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 6) micro = micro * 10 + (s[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (std::size_t i = digits; i < 6; ++i) micro *= 10;
        d.microsecond = micro;
    }
    d.utc_offset_minutes = 0;
    if (pos < s.size()) {
        if (s[pos] == 'Z' || s[pos] == 'z') {
            ++pos;
        } else if (s[pos] == '+' || s[pos] == '-') {
            const int sign = s[pos] == '-' ? -1 : 1;
            std::int32_t hh = 0;
            std::int32_t mm = 0;
            if (!json_time_digits(s, pos + 1, 2, hh)) return std::nullopt;
            pos += 3;
            if (pos < s.size() && s[pos] == ':') ++pos;
            if (!json_time_digits(s, pos, 2, mm)) return std::nullopt;
            pos += 2;
            if (hh > 23 || mm > 59) return std::nullopt;
            d.utc_offset_minutes = sign * (hh * 60 + mm);
        }
    }
    if (pos != s.size()) return std::nullopt;
    if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in_month(d.year, d.month) || d.hour > 23 ||
        d.minute > 59 || d.second > 60) {
        return std::nullopt;
    }
    return d;
}

// An ISO 8601 text as an instant (the offset applied).
[[nodiscard]] inline std::optional<timestamp> parse_iso8601_instant(std::string_view s) noexcept {
    const auto d = parse_iso8601(s);
    if (!d) return std::nullopt;
    return to_timestamp(*d);
}

// `/Date(1700000000000)/` or `/Date(1700000000000+0100)/` (the offset only says
// how the time was displayed; the number is UTC milliseconds since 1970), as
// a UTC DMTF timestamp. Years outside 1..9999 are refused (DMTF has four digits).
[[nodiscard]] inline std::optional<dmtf_datetime> parse_ms_date(std::string_view s) noexcept {
    if (!s.starts_with("/Date(") || !s.ends_with(")/")) return std::nullopt;
    std::string_view body = s.substr(6, s.size() - 8);
    if (const std::size_t sign = body.find_first_of("+-", 1); sign != std::string_view::npos) {
        const std::string_view offset = body.substr(sign + 1);
        if (offset.size() != 4) return std::nullopt;
        for (const char c : offset) {
            if (c < '0' || c > '9') return std::nullopt;
        }
        body = body.substr(0, sign);
    }
    bool negative = false;
    if (!body.empty() && body.front() == '-') {
        negative = true;
        body.remove_prefix(1);
    }
    if (body.empty() || body.size() > 15) return std::nullopt;
    std::int64_t ms = 0;
    for (const char c : body) {
        if (c < '0' || c > '9') return std::nullopt;
        ms = ms * 10 + (c - '0');
    }
    if (negative) ms = -ms;
    constexpr std::int64_t min_ms = -62135596800000LL;  // 0001-01-01T00:00:00Z
    constexpr std::int64_t max_ms = 253402300799999LL;  // 9999-12-31T23:59:59.999Z
    if (ms < min_ms || ms > max_ms) return std::nullopt;
    return to_dmtf(timestamp{std::chrono::microseconds{ms * 1000}});
}

}  // namespace detail
WMISUB_NAMESPACE_END
