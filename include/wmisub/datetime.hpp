// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// DMTF datetimes and intervals, the two textual time forms of CIM
// (`yyyymmddHHMMSS.mmmmmmsUUU` and `ddddddddHHMMSS.mmmmmm:000`), and the
// timestamps wmisub uses for provenance.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/result.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

WMISUB_NAMESPACE_BEGIN

// A point in time, UTC, with microsecond resolution.
using timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// A DMTF datetime: either a timestamp or an interval. Fields written as
// asterisks in the text (DMTF wildcards, used by absolute timers) hold
// `wildcard`. Microseconds may be partly significant: `123***` keeps 3 digits.
struct dmtf_datetime {
    static constexpr std::int32_t wildcard = -1;

    bool is_interval = false;
    std::int32_t year = wildcard;    // timestamps only
    std::int32_t month = wildcard;   // timestamps only
    std::int32_t day = wildcard;     // timestamps only
    std::int64_t days = wildcard;    // intervals only, up to 99,999,999
    std::int32_t hour = wildcard;
    std::int32_t minute = wildcard;
    std::int32_t second = wildcard;
    std::int32_t microsecond = wildcard;         // the significant digits scaled to microseconds
    std::int32_t microsecond_digits = 6;         // how many microsecond digits were not wildcards
    std::int32_t utc_offset_minutes = 0;         // timestamps only; wildcard when `+***`
    bool has_utc_offset_wildcard = false;

    friend bool operator==(const dmtf_datetime&, const dmtf_datetime&) = default;
};

// Parses the 25-character DMTF form. Timestamps: `20160707123000.000000+000`;
// intervals: `00000001020304.000000:000`. Errors carry the offset of the bad character.
[[nodiscard]] WMISUB_API result<dmtf_datetime> parse_dmtf_datetime(std::string_view text);

// Formats back to the 25-character DMTF form; parse(to_string(d)) == d.
[[nodiscard]] WMISUB_API std::string to_string(const dmtf_datetime& d);

// The UTC instant of a fully specified timestamp; nullopt for intervals and wildcards.
[[nodiscard]] WMISUB_API std::optional<timestamp> to_timestamp(const dmtf_datetime& d) noexcept;

// The length of a fully specified interval; nullopt for timestamps and wildcards.
[[nodiscard]] WMISUB_API std::optional<std::chrono::microseconds> to_duration(const dmtf_datetime& d) noexcept;

// A timestamp as DMTF text in UTC (`+000`).
[[nodiscard]] WMISUB_API dmtf_datetime to_dmtf(timestamp t) noexcept;

// A Windows FILETIME (100 ns ticks since 1601-01-01 UTC), as in __Event.TIME_CREATED.
[[nodiscard]] constexpr timestamp from_filetime(std::uint64_t ticks) noexcept {
    constexpr std::int64_t epoch_shift_us = 11'644'473'600LL * 1'000'000LL;
    return timestamp{std::chrono::microseconds{static_cast<std::int64_t>(ticks / 10u) - epoch_shift_us}};
}

// ISO 8601 in UTC with microseconds: `2016-07-07T12:30:00.000000Z`.
[[nodiscard]] WMISUB_API std::string to_iso8601(timestamp t);

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/datetime.inl"
#endif
