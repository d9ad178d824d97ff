// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/datetime.hpp: parsing and formatting DMTF datetimes, conversions to and from timestamps.
// Included by that header only under WMISUB_INCLUDE_IMPLEMENTATION (header-only
// mode, or the one translation unit that defines WMISUB_IMPLEMENTATION); not a
// header to include.
#pragma once

#include "wmisub/datetime.hpp"
#include "wmisub/config.hpp"
#include "wmisub/result.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

WMISUB_NAMESPACE_BEGIN

namespace detail {

// Reads `width` digits at text[pos]; all asterisks yields wildcard; a mix is an error.
[[nodiscard]] inline result<std::int64_t> read_dmtf_field(std::string_view text, std::size_t pos, std::size_t width,
                                                          const char* field) {
    std::int64_t out = 0;
    std::size_t stars = 0;
    for (std::size_t i = 0; i < width; ++i) {
        const char c = text[pos + i];
        if (c == '*') {
            ++stars;
        } else if (c >= '0' && c <= '9') {
            out = out * 10 + (c - '0');
        } else {
            return make_error(errc::syntax_error, std::string("DMTF datetime: bad character in ") + field, pos + i);
        }
    }
    if (stars == width) return std::int64_t{dmtf_datetime::wildcard};
    if (stars != 0) return make_error(errc::syntax_error, std::string("DMTF datetime: partial wildcard in ") + field, pos);
    return out;
}

// Microseconds allow trailing wildcards only: `12****` is 120000 with 2 digits.
[[nodiscard]] inline result<void> read_dmtf_microseconds(std::string_view text, std::size_t pos, dmtf_datetime& out) {
    std::int32_t value = 0;
    std::int32_t digits = 0;
    bool in_stars = false;
    for (std::size_t i = 0; i < 6; ++i) {
        const char c = text[pos + i];
        if (c == '*') {
            in_stars = true;
        } else if (c >= '0' && c <= '9' && !in_stars) {
            value = value * 10 + (c - '0');
            ++digits;
        } else {
            return make_error(errc::syntax_error, "DMTF datetime: bad microseconds", pos + i);
        }
    }
    for (std::int32_t i = digits; i < 6; ++i) value *= 10;
    out.microsecond = digits == 0 ? dmtf_datetime::wildcard : value;
    out.microsecond_digits = digits;
    return {};
}

[[nodiscard]] constexpr bool is_leap_year(std::int64_t y) noexcept {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

[[nodiscard]] constexpr std::int32_t days_in_month(std::int32_t year, std::int32_t month) noexcept {
    constexpr std::int32_t table[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && (year == dmtf_datetime::wildcard || is_leap_year(year))) return 29;
    return table[month - 1];
}

// Checks a field that is either a wildcard or within [lo, hi].
[[nodiscard]] inline result<void> check_range(std::int64_t v, std::int64_t lo, std::int64_t hi, const char* field,
                                              std::size_t offset) {
    if (v == dmtf_datetime::wildcard || (v >= lo && v <= hi)) return {};
    return make_error(errc::syntax_error, std::string("DMTF datetime: ") + field + " out of range", offset);
}

[[nodiscard]] inline result<void> check_time_of_day(const dmtf_datetime& d) {
    if (auto r = check_range(d.hour, 0, 23, "hour", 8); !r) return r;
    if (auto r = check_range(d.minute, 0, 59, "minute", 10); !r) return r;
    return check_range(d.second, 0, 60, "second", 12);  // 60: leap second
}

[[nodiscard]] inline result<void> check_timestamp(const dmtf_datetime& d) {
    if (auto r = check_range(d.month, 1, 12, "month", 4); !r) return r;
    const std::int32_t month_days = d.month == dmtf_datetime::wildcard ? 31 : days_in_month(d.year, d.month);
    if (auto r = check_range(d.day, 1, month_days, "day", 6); !r) return r;
    return check_time_of_day(d);
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

// Appends `v` zero-padded to `width`, or `width` asterisks for a wildcard.
inline void append_dmtf_field(std::string& out, std::int64_t v, std::size_t width) {
    if (v == dmtf_datetime::wildcard) {
        out.append(width, '*');
        return;
    }
    std::string digits = std::to_string(v);
    if (digits.size() < width) out.append(width - digits.size(), '0');
    out += digits;
}

}  // namespace detail

WMISUB_API result<dmtf_datetime> parse_dmtf_datetime(std::string_view text) {
    if (text.size() != 25) {
        return make_error(errc::syntax_error,
                          "DMTF datetime must be 25 characters, got " + std::to_string(text.size()),
                          std::min<std::size_t>(text.size(), 25));
    }
    if (text[14] != '.') return make_error(errc::syntax_error, "DMTF datetime: expected '.'", 14);
    dmtf_datetime d;
    const char sign = text[21];
    d.is_interval = sign == ':';
    if (!d.is_interval && sign != '+' && sign != '-') {
        return make_error(errc::syntax_error, "DMTF datetime: expected '+', '-' or ':'", 21);
    }
    auto field = [&](std::size_t pos, std::size_t width, const char* name) {
        return detail::read_dmtf_field(text, pos, width, name);
    };
    if (d.is_interval) {
        auto days = field(0, 8, "days");
        if (!days) return days.error();
        d.days = *days;
    } else {
        auto year = field(0, 4, "year");
        auto month = field(4, 2, "month");
        auto day = field(6, 2, "day");
        if (!year) return year.error();
        if (!month) return month.error();
        if (!day) return day.error();
        d.year = static_cast<std::int32_t>(*year);
        d.month = static_cast<std::int32_t>(*month);
        d.day = static_cast<std::int32_t>(*day);
    }
    auto hour = field(8, 2, "hour");
    auto minute = field(10, 2, "minute");
    auto second = field(12, 2, "second");
    if (!hour) return hour.error();
    if (!minute) return minute.error();
    if (!second) return second.error();
    d.hour = static_cast<std::int32_t>(*hour);
    d.minute = static_cast<std::int32_t>(*minute);
    d.second = static_cast<std::int32_t>(*second);
    if (auto r = detail::read_dmtf_microseconds(text, 15, d); !r) return r.error();
    if (d.is_interval) {
        if (text.substr(22) != "000") return make_error(errc::syntax_error, "DMTF interval must end in ':000'", 22);
        if (auto r = detail::check_time_of_day(d); !r) return r.error();
        return d;
    }
    auto offset = field(22, 3, "UTC offset");
    if (!offset) return offset.error();
    d.has_utc_offset_wildcard = *offset == dmtf_datetime::wildcard;
    d.utc_offset_minutes = d.has_utc_offset_wildcard ? 0 : static_cast<std::int32_t>(sign == '-' ? -*offset : *offset);
    if (auto r = detail::check_timestamp(d); !r) return r.error();
    return d;
}

WMISUB_API std::string to_string(const dmtf_datetime& d) {
    std::string out;
    out.reserve(25);
    if (d.is_interval) {
        detail::append_dmtf_field(out, d.days, 8);
    } else {
        detail::append_dmtf_field(out, d.year, 4);
        detail::append_dmtf_field(out, d.month, 2);
        detail::append_dmtf_field(out, d.day, 2);
    }
    detail::append_dmtf_field(out, d.hour, 2);
    detail::append_dmtf_field(out, d.minute, 2);
    detail::append_dmtf_field(out, d.second, 2);
    out += '.';
    std::string micro;
    detail::append_dmtf_field(micro, d.microsecond == dmtf_datetime::wildcard ? 0 : d.microsecond, 6);
    for (std::size_t i = static_cast<std::size_t>(d.microsecond_digits); i < 6; ++i) micro[i] = '*';
    out += micro;
    if (d.is_interval) {
        out += ":000";
        return out;
    }
    out += d.utc_offset_minutes < 0 ? '-' : '+';
    if (d.has_utc_offset_wildcard) {
        out += "***";
    } else {
        detail::append_dmtf_field(out, d.utc_offset_minutes < 0 ? -d.utc_offset_minutes : d.utc_offset_minutes, 3);
    }
    return out;
}

WMISUB_API std::optional<timestamp> to_timestamp(const dmtf_datetime& d) noexcept {
    constexpr auto w = dmtf_datetime::wildcard;
    if (d.is_interval || d.year == w || d.month == w || d.day == w || d.hour == w || d.minute == w ||
        d.second == w || d.has_utc_offset_wildcard) {
        return std::nullopt;
    }
    const std::int64_t days = detail::days_from_civil(d.year, d.month, d.day);
    const std::int64_t seconds = days * 86400 + d.hour * 3600 + d.minute * 60 + d.second - d.utc_offset_minutes * 60;
    const std::int64_t micros = d.microsecond == w ? 0 : d.microsecond;
    return timestamp{std::chrono::microseconds{seconds * 1'000'000 + micros}};
}

WMISUB_API std::optional<std::chrono::microseconds> to_duration(const dmtf_datetime& d) noexcept {
    constexpr auto w = dmtf_datetime::wildcard;
    if (!d.is_interval || d.days == w || d.hour == w || d.minute == w || d.second == w) return std::nullopt;
    const std::int64_t seconds = d.days * 86400 + d.hour * 3600 + d.minute * 60 + d.second;
    return std::chrono::microseconds{seconds * 1'000'000 + (d.microsecond == w ? 0 : d.microsecond)};
}

WMISUB_API dmtf_datetime to_dmtf(timestamp t) noexcept {
    using namespace std::chrono;
    const auto day_point = floor<days>(t);
    const year_month_day ymd{day_point};
    const auto in_day = t - day_point;
    const hh_mm_ss<microseconds> hms{duration_cast<microseconds>(in_day)};
    dmtf_datetime d;
    d.year = static_cast<std::int32_t>(ymd.year());
    d.month = static_cast<std::int32_t>(static_cast<unsigned>(ymd.month()));
    d.day = static_cast<std::int32_t>(static_cast<unsigned>(ymd.day()));
    d.hour = static_cast<std::int32_t>(hms.hours().count());
    d.minute = static_cast<std::int32_t>(hms.minutes().count());
    d.second = static_cast<std::int32_t>(hms.seconds().count());
    d.microsecond = static_cast<std::int32_t>(hms.subseconds().count());
    d.utc_offset_minutes = 0;
    return d;
}

WMISUB_API std::string to_iso8601(timestamp t) {
    const dmtf_datetime d = to_dmtf(t);
    std::string out;
    detail::append_dmtf_field(out, d.year, 4);
    out += '-';
    detail::append_dmtf_field(out, d.month, 2);
    out += '-';
    detail::append_dmtf_field(out, d.day, 2);
    out += 'T';
    detail::append_dmtf_field(out, d.hour, 2);
    out += ':';
    detail::append_dmtf_field(out, d.minute, 2);
    out += ':';
    detail::append_dmtf_field(out, d.second, 2);
    out += '.';
    detail::append_dmtf_field(out, d.microsecond, 6);
    out += 'Z';
    return out;
}

WMISUB_NAMESPACE_END
