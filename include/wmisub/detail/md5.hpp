// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// MD5 (RFC 1321). Broken for security, but still the hash many threat
// intelligence feeds and older EDR exports key on, so reports carry it.
#pragma once

#include "wmisub/config.hpp"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// RFC 1321 3.4: floor(abs(sin(i + 1)) * 2^32).
inline constexpr std::array<std::uint32_t, 64> md5_k = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// Per-step left rotation amounts, four per round.
inline constexpr std::array<int, 16> md5_shifts = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

// Incremental MD5 with the same contract as sha256_state: finish() returns
// the digest and resets.
class md5_state {
public:
    static constexpr std::size_t block_size = 64;

    // Absorbs more message bytes.
    constexpr void update(std::string_view bytes) noexcept {
        for (const char c : bytes) {
            block_[used_++] = c;
            if (used_ == block_size) {
                compress();
                used_ = 0;
            }
        }
        total_ += bytes.size();
    }

    // Pads (RFC 1321 3.1-3.2, length little-endian), returns the digest and resets.
    constexpr std::array<std::uint8_t, 16> finish() noexcept {
        const std::uint64_t bit_length = total_ * 8;
        block_[used_++] = static_cast<char>(0x80);
        if (used_ > block_size - 8) {
            while (used_ < block_size) block_[used_++] = 0;
            compress();
            used_ = 0;
        }
        while (used_ < block_size - 8) block_[used_++] = 0;
        for (int shift = 0; shift < 64; shift += 8) block_[used_++] = static_cast<char>((bit_length >> shift) & 0xFFu);
        compress();
        std::array<std::uint8_t, 16> digest{};
        for (std::size_t i = 0; i < 4; ++i) {
            for (std::size_t j = 0; j < 4; ++j) digest[4 * i + j] = static_cast<std::uint8_t>((h_[i] >> (8 * j)) & 0xFFu);
        }
        *this = md5_state{};
        return digest;
    }

private:
    // Little-endian word i of the current block.
    [[nodiscard]] constexpr std::uint32_t word(std::size_t i) const noexcept {
        std::uint32_t w = 0;
        for (std::size_t j = 4; j > 0; --j) w = (w << 8) | static_cast<std::uint8_t>(block_[4 * i + j - 1]);
        return w;
    }

    // The round function and message word index of step i (RFC 1321 3.4).
    [[nodiscard]] static constexpr std::uint32_t mix(std::size_t i, std::uint32_t b, std::uint32_t c,
                                                     std::uint32_t d) noexcept {
        switch (i / 16) {
        case 0: return (b & c) | (~b & d);
        case 1: return (d & b) | (~d & c);
        case 2: return b ^ c ^ d;
        default: return c ^ (b | ~d);
        }
    }

    // Which of the 16 block words step i reads.
    [[nodiscard]] static constexpr std::size_t word_index(std::size_t i) noexcept {
        switch (i / 16) {
        case 0: return i;
        case 1: return (5 * i + 1) % 16;
        case 2: return (3 * i + 5) % 16;
        default: return (7 * i) % 16;
        }
    }

    // The 64 steps over the buffered block.
    constexpr void compress() noexcept {
        std::uint32_t a = h_[0];
        std::uint32_t b = h_[1];
        std::uint32_t c = h_[2];
        std::uint32_t d = h_[3];
        for (std::size_t i = 0; i < 64; ++i) {
            const std::uint32_t f = mix(i, b, c, d) + a + md5_k[i] + word(word_index(i));
            a = d;
            d = c;
            c = b;
            b += std::rotl(f, md5_shifts[(i / 16) * 4 + i % 4]);
        }
        h_[0] += a;
        h_[1] += b;
        h_[2] += c;
        h_[3] += d;
    }

    std::array<std::uint32_t, 4> h_ = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    std::array<char, block_size> block_{};
    std::size_t used_ = 0;
    std::uint64_t total_ = 0;
};

}  // namespace detail
WMISUB_NAMESPACE_END
