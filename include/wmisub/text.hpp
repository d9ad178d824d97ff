// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Text utilities every other part of wmisub builds on: WMI-style
// case-insensitive comparison, UTF-8/UTF-16 conversion that never fails,
// encoding detection for raw files, base64 (PowerShell -EncodedCommand) and
// the SHA-256 / MD5 fingerprints that reports carry.
//
// Nothing here throws. Functions that return a std::string return an empty
// one if memory runs out (only reachable with exceptions enabled); the
// alternative, a bad_alloc escaping into an agent, is worse.
#pragma once

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

namespace detail {

// Runs fill(out) on a fresh string and returns it; an allocation failure
// yields an empty string instead of an exception (see the file comment).
template <class String, class Fill>
[[nodiscard]] String build_string(Fill&& fill) noexcept {
    String out;
#if WMISUB_EXCEPTIONS
    try {
        std::forward<Fill>(fill)(out);
    } catch (...) {
        return String{};
    }
#else
    std::forward<Fill>(fill)(out);
#endif
    return out;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Case-insensitive comparison
//
// WMI compares class, property, namespace and key names without regard to
// case. All functions below fold ASCII plus Unicode simple case folding of
// UTF-8 input (so "ÉCOLE" equals "école" and "ΣΊΣΥΦΟΣ" equals "σίσυφος");
// bytes that are not valid UTF-8 compare byte-wise and never equal a
// character. They agree with each other: iequals(a, b) holds exactly when
// fold_case(a) == fold_case(b), which implies ihash(a) == ihash(b), and iless
// orders by the same folded sequence.
// ---------------------------------------------------------------------------

// Lower-cases an ASCII letter; every other byte is returned unchanged.
[[nodiscard]] constexpr char ascii_lower(char c) noexcept { return detail::ascii_fold(c); }

// True when a and b are the same name ignoring case.
[[nodiscard]] inline bool iequals(std::string_view a, std::string_view b) noexcept {
    // Names are nearly always ASCII, where folding is one byte to one byte: decide
    // those without decoding, and fall back to full folding at the first non-ASCII byte.
    if (a.size() == b.size()) {
        for (std::size_t i = 0; i < a.size(); ++i) {
            const char ca = a[i];
            const char cb = b[i];
            if (((static_cast<unsigned char>(ca) | static_cast<unsigned char>(cb)) & 0x80u) != 0) {
                return detail::compare_folded(a.substr(i), b.substr(i)) == 0;
            }
            if (ca != cb && ascii_lower(ca) != ascii_lower(cb)) return false;
        }
        return true;
    }
    // Simple folding maps each character (1 to 4 bytes) to one character: equal strings are at
    // most 4 times each other's length. Decides a long text against a short name without a scan.
    if (a.size() > 4 * b.size() || b.size() > 4 * a.size()) return false;
    if (detail::is_ascii(a) && detail::is_ascii(b)) return false;
    return detail::compare_folded(a, b) == 0;
}

// Case-insensitive equality for ASCII letters only; other bytes compare exactly.
// For matching input against known ASCII keywords and class names, where it is
// both faster and stricter (a Kelvin sign is not a `K` in a WQL keyword).
[[nodiscard]] constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

// ascii_iequals on the first prefix.size() bytes.
[[nodiscard]] constexpr bool ascii_istarts_with(std::string_view text, std::string_view prefix) noexcept {
    return text.size() >= prefix.size() && ascii_iequals(text.substr(0, prefix.size()), prefix);
}

// ascii_iequals on the last suffix.size() bytes.
[[nodiscard]] constexpr bool ascii_iends_with(std::string_view text, std::string_view suffix) noexcept {
    return text.size() >= suffix.size() && ascii_iequals(text.substr(text.size() - suffix.size()), suffix);
}

// True when text begins with prefix ignoring case (compared by whole characters).
[[nodiscard]] inline bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
    return detail::starts_with_folded(text, prefix);
}

// True when text ends with suffix ignoring case (compared by whole characters).
[[nodiscard]] inline bool iends_with(std::string_view text, std::string_view suffix) noexcept {
    return detail::ends_with_folded(text, suffix);
}

// Byte offset of the first occurrence of needle in haystack folding ASCII
// letters only, or std::string_view::npos; an empty needle is found at 0.
// ASCII is enough for the keywords callers look for and keeps offsets exact.
[[nodiscard]] inline std::size_t ifind(std::string_view haystack, std::string_view needle) noexcept {
    return detail::ascii_ifind(haystack, needle);
}

// The folded (lower-case) form that iequals and ihash compare; invalid UTF-8 bytes are kept as they are.
[[nodiscard]] WMISUB_API std::string fold_case(std::string_view s) noexcept;

// Hash consistent with iequals, for unordered containers keyed by WMI names.
[[nodiscard]] inline std::size_t ihash(std::string_view s) noexcept {
    return static_cast<std::size_t>(detail::hash_folded(s));
}

// Transparent equality functor for unordered containers keyed case-insensitively.
struct iequal_to {
    using is_transparent = void;
    // Same as iequals.
    [[nodiscard]] bool operator()(std::string_view a, std::string_view b) const noexcept { return iequals(a, b); }
};

// Transparent hash functor to pair with iequal_to.
struct ihasher {
    using is_transparent = void;
    // Same as ihash.
    [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept { return ihash(s); }
};

// Transparent strict weak order for ordered containers; equivalent keys are exactly the iequals ones.
struct iless {
    using is_transparent = void;
    // Orders by folded characters, invalid bytes after all characters.
    [[nodiscard]] bool operator()(std::string_view a, std::string_view b) const noexcept {
        return detail::compare_folded(a, b) < 0;
    }
};

// s without leading and trailing ASCII whitespace.
[[nodiscard]] constexpr std::string_view trim(std::string_view s WMISUB_LIFETIMEBOUND) noexcept {
    std::size_t begin = 0;
    std::size_t end = s.size();
    while (begin < end && detail::is_ascii_space(s[begin])) ++begin;
    while (end > begin && detail::is_ascii_space(s[end - 1])) --end;
    return s.substr(begin, end - begin);
}

// ---------------------------------------------------------------------------
// UTF conversion
//
// Conversions never fail: each maximal ill-formed UTF-8 subpart (overlong
// form, encoded surrogate, value above U+10FFFF, truncated sequence, stray
// continuation byte) and each lone UTF-16 surrogate becomes U+FFFD.
// ---------------------------------------------------------------------------

// UTF-8 to UTF-16 (as Windows APIs take it).
[[nodiscard]] WMISUB_API std::u16string utf8_to_utf16(std::string_view utf8) noexcept;

// UTF-16 (as Windows APIs return it) to UTF-8.
[[nodiscard]] WMISUB_API std::string utf16_to_utf8(std::u16string_view utf16) noexcept;

// True when s is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
[[nodiscard]] constexpr bool is_valid_utf8(std::string_view s) noexcept {
    for (std::size_t pos = 0; pos < s.size();) {
        if (static_cast<unsigned char>(s[pos]) < 0x80) {  // ASCII, nearly all of every text: no decoding
            ++pos;
            continue;
        }
        const detail::decode_step step = detail::decode_utf8(s, pos);
        if (!step.valid) return false;
        pos += step.length;
    }
    return true;
}

// The encoding decode_text found.
enum class text_encoding { utf8, utf16le, utf16be };

// Raw file bytes converted to UTF-8, with how they were encoded.
struct decoded_text {
    std::string utf8;
    text_encoding encoding = text_encoding::utf8;
    bool had_bom = false;
};

// Raw little-endian UTF-16 bytes to UTF-8; an odd trailing byte becomes U+FFFD.
[[nodiscard]] WMISUB_API std::string utf16le_to_utf8(std::string_view bytes) noexcept;

// Raw big-endian UTF-16 bytes to UTF-8; an odd trailing byte becomes U+FFFD.
[[nodiscard]] WMISUB_API std::string utf16be_to_utf8(std::string_view bytes) noexcept;

// UTF-8 to raw UTF-16LE bytes, as PowerShell -EncodedCommand expects before base64.
[[nodiscard]] WMISUB_API std::string utf8_to_utf16le_bytes(std::string_view utf8) noexcept;

// Decodes raw file bytes (MOF sources, scripts, exports) to UTF-8. A UTF-8,
// UTF-16LE (FF FE) or UTF-16BE (FE FF) byte order mark decides and is
// stripped; without one, mostly-ASCII UTF-16 is recognised by its NUL bytes
// at odd (LE) or even (BE) offsets, and anything else is read as UTF-8.
// The result is always well-formed UTF-8: bad sequences become U+FFFD.
[[nodiscard]] WMISUB_API decoded_text decode_text(std::string_view bytes) noexcept;

// ---------------------------------------------------------------------------
// Base64
// ---------------------------------------------------------------------------

// Decodes RFC 4648 base64 (standard or URL-safe digits, ASCII whitespace
// ignored, padding optional but checked when present) into raw bytes. Errors:
// invalid_encoding at a character that is no digit; syntax_error at
// misplaced, excess or data-following padding, at a lone final digit, or at
// the end for incomplete padding; limit_exceeded past WMISUB_MAX_INPUT_BYTES.
[[nodiscard]] WMISUB_API result<std::string> base64_decode(std::string_view text) noexcept;

// Encodes bytes as standard base64 with padding and no line breaks.
[[nodiscard]] WMISUB_API std::string base64_encode(std::string_view bytes) noexcept;

// ---------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------

// A SHA-256 digest, most significant byte first as usually printed.
using sha256_digest = std::array<std::uint8_t, 32>;
// An MD5 digest in RFC 1321 byte order.
using md5_digest = std::array<std::uint8_t, 16>;

// Incremental SHA-256 (FIPS 180-4) for input that arrives in pieces.
class sha256 {
public:
    // Starts an empty message.
    sha256() noexcept = default;
    // Appends bytes to the message.
    void update(std::string_view bytes) noexcept { state_.update(bytes); }
    // The digest of everything appended; the object then starts a new message.
    [[nodiscard]] sha256_digest finish() noexcept { return state_.finish(); }

private:
    detail::sha256_state state_;
};

// Incremental MD5 (RFC 1321) for input that arrives in pieces.
class md5 {
public:
    // Starts an empty message.
    md5() noexcept = default;
    // Appends bytes to the message.
    void update(std::string_view bytes) noexcept { state_.update(bytes); }
    // The digest of everything appended; the object then starts a new message.
    [[nodiscard]] md5_digest finish() noexcept { return state_.finish(); }

private:
    detail::md5_state state_;
};

// SHA-256 of a whole buffer.
[[nodiscard]] WMISUB_API sha256_digest sha256_of(std::string_view bytes) noexcept;

// MD5 of a whole buffer.
[[nodiscard]] WMISUB_API md5_digest md5_of(std::string_view bytes) noexcept;

// Lower-case hexadecimal, two digits per byte, as hashes are reported.
[[nodiscard]] WMISUB_API std::string to_hex(std::span<const std::uint8_t> bytes) noexcept;

// Lower-case hex SHA-256 of a buffer, the form reports and IOC feeds use.
[[nodiscard]] WMISUB_API std::string sha256_hex(std::string_view bytes) noexcept;

// Lower-case hex MD5 of a buffer.
[[nodiscard]] WMISUB_API std::string md5_hex(std::string_view bytes) noexcept;

// ---------------------------------------------------------------------------
// Excerpts
//
// Evidence quotes the text it comes from. A quote cut inside a word or a
// UTF-8 sequence misleads ("powershell -enc SQBFAF" reads as a whole
// argument), so excerpts are cut between words where there are words, and
// each cut end is marked with U+2026 ("…").
// ---------------------------------------------------------------------------

// The byte range of `text` an excerpt shows.
struct excerpt_range {
    std::size_t begin = 0;
    std::size_t end = 0;
};

// Where an excerpt of at most `max` bytes around `offset` begins and ends: a
// fifth of it before `offset` for context, both ends moved to a line or word
// boundary when one lies within a quarter of `max` (a text without one, such
// as a base64 blob, is cut where the window ends), never inside a UTF-8
// sequence. The whole text when it fits.
[[nodiscard]] WMISUB_API excerpt_range excerpt_range_at(std::string_view text, std::size_t offset, std::size_t max) noexcept;

// The excerpt of excerpt_range_at(), with "…" at each end that cuts the text
// (so up to max + 6 bytes).
[[nodiscard]] WMISUB_API std::string excerpt_at(std::string_view text, std::size_t offset, std::size_t max) noexcept;

// The start of `text` up to `max` bytes, cut as excerpt_at() cuts.
[[nodiscard]] inline std::string excerpt_of(std::string_view text, std::size_t max) noexcept { return excerpt_at(text, 0, max); }

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/text.inl"
#endif
