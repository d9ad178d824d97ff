// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Windows security identifiers. Subscription objects store their creator as
// binary SID bytes (`CreatorSID`, uint8[]); responders read them as `S-1-…`.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/result.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// Well-known SIDs that matter when judging who created a subscription.
namespace well_known_sid {
inline constexpr std::string_view local_system = "S-1-5-18";
inline constexpr std::string_view local_service = "S-1-5-19";
inline constexpr std::string_view network_service = "S-1-5-20";
inline constexpr std::string_view administrators = "S-1-5-32-544";
}  // namespace well_known_sid

// Renders binary SID bytes (revision, count, 6-byte big-endian authority,
// little-endian 32-bit sub-authorities) as `S-1-5-32-544`. Rejects truncated
// or trailing bytes and revisions other than 1 with the offending offset.
[[nodiscard]] WMISUB_API result<std::string> format_sid(std::span<const std::uint8_t> bytes);

// Parses `S-1-5-21-…` (case-insensitive `S`; a `0x…` authority too) back into binary SID bytes.
[[nodiscard]] WMISUB_API result<std::vector<std::uint8_t>> parse_sid(std::string_view text);

// A readable name for the well-known SIDs subscriptions carry; empty otherwise.
[[nodiscard]] WMISUB_API std::string_view describe_sid(std::string_view sid) noexcept;

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/sid.inl"
#endif
