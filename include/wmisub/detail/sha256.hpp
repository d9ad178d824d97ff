// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// SHA-256 (FIPS 180-4), used to fingerprint consumer scripts and binaries so
// reports can be matched against threat intelligence.
#pragma once

#include "wmisub/config.hpp"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// FIPS 180-4 4.2.2: fractional parts of the cube roots of the first 64 primes.
inline constexpr std::array<std::uint32_t, 64> sha256_k = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// FIPS 180-4 5.3.3: fractional parts of the square roots of the first 8 primes.
inline constexpr std::array<std::uint32_t, 8> sha256_initial = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

// Incremental SHA-256. Input is buffered into 64-byte blocks; finish() pads,
// returns the digest and starts over so one object can hash many inputs.
class sha256_state {
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

    // Pads the message (5.1.1), returns the big-endian digest and resets.
    constexpr std::array<std::uint8_t, 32> finish() noexcept {
        const std::uint64_t bit_length = total_ * 8;
        block_[used_++] = static_cast<char>(0x80);
        if (used_ > block_size - 8) {
            while (used_ < block_size) block_[used_++] = 0;
            compress();
            used_ = 0;
        }
        while (used_ < block_size - 8) block_[used_++] = 0;
        for (int shift = 56; shift >= 0; shift -= 8) block_[used_++] = static_cast<char>((bit_length >> shift) & 0xFFu);
        compress();
        std::array<std::uint8_t, 32> digest{};
        for (std::size_t i = 0; i < 8; ++i) {
            for (std::size_t j = 0; j < 4; ++j) {
                digest[4 * i + j] = static_cast<std::uint8_t>((h_[i] >> (24 - 8 * j)) & 0xFFu);
            }
        }
        *this = sha256_state{};
        return digest;
    }

private:
    // Big-endian word i of the current block.
    [[nodiscard]] constexpr std::uint32_t word(std::size_t i) const noexcept {
        std::uint32_t w = 0;
        for (std::size_t j = 0; j < 4; ++j) w = (w << 8) | static_cast<std::uint8_t>(block_[4 * i + j]);
        return w;
    }

    // The compression function of 6.2.2 over the buffered block.
    constexpr void compress() noexcept {
        std::array<std::uint32_t, 64> w{};
        for (std::size_t t = 0; t < 16; ++t) w[t] = word(t);
        for (std::size_t t = 16; t < 64; ++t) {
            const std::uint32_t s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
            const std::uint32_t s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        std::array<std::uint32_t, 8> v = h_;  // a, b, c, d, e, f, g, h
        for (std::size_t t = 0; t < 64; ++t) {
            const std::uint32_t e = v[4];
            const std::uint32_t a = v[0];
            const std::uint32_t big_s1 = std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25);
            const std::uint32_t ch = (e & v[5]) ^ (~e & v[6]);
            const std::uint32_t t1 = v[7] + big_s1 + ch + sha256_k[t] + w[t];
            const std::uint32_t big_s0 = std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22);
            const std::uint32_t maj = (a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]);
            for (std::size_t k = 7; k > 0; --k) v[k] = v[k - 1];
            v[4] += t1;
            v[0] = t1 + big_s0 + maj;
        }
        for (std::size_t i = 0; i < 8; ++i) h_[i] += v[i];
    }

    std::array<std::uint32_t, 8> h_ = sha256_initial;
    std::array<char, block_size> block_{};
    std::size_t used_ = 0;
    std::uint64_t total_ = 0;
};

}  // namespace detail
WMISUB_NAMESPACE_END
