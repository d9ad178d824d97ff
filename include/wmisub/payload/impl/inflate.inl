// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// A small bounded DEFLATE decoder (RFC 1951) with the gzip (RFC 1952) and zlib
// (RFC 1950) wrappers, after the structure of zlib's puff.c. PowerShell
// stagers carry their real script as base64 of gzip or raw deflate data
// (IO.Compression.GzipStream/DeflateStream); decoding it lets the inner script
// be analysed. Output is capped; corrupt input yields nullopt, never UB.
#pragma once

#include "wmisub/config.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

WMISUB_NAMESPACE_BEGIN
namespace detail {

class inflater {
public:
    inflater(std::string_view in, std::size_t max_out) noexcept : in_(in), max_out_(max_out) {}

    // Decodes raw deflate data; false on corrupt input. Output past max_out is dropped and
    // `truncated` set, which still counts as success.
    [[nodiscard]] bool run(std::string& out) {
        out_ = &out;
        int last = 0;
        do {
            const int b = bits(1);
            if (b < 0) return false;
            last = b;
            const int type = bits(2);
            int rc = -1;
            if (type == 0) rc = stored();
            else if (type == 1) rc = fixed();
            else if (type == 2) rc = dynamic();
            if (rc < 0) return false;
            if (truncated) return true;
        } while (last == 0);
        return true;
    }

    bool truncated = false;
    std::size_t consumed() const noexcept { return pos_; }

private:
    static constexpr int max_bits = 15;
    struct huffman {
        std::array<std::int16_t, max_bits + 1> count{};
        std::array<std::int16_t, 320> symbol{};
    };

    // The next n bits (LSB first), or -1 at the end of input.
    int bits(int n) noexcept {
        std::uint32_t val = bitbuf_;
        while (bitcnt_ < n) {
            if (pos_ >= in_.size()) return -1;
            val |= static_cast<std::uint32_t>(static_cast<unsigned char>(in_[pos_++])) << bitcnt_;
            bitcnt_ += 8;
        }
        bitbuf_ = val >> n;
        bitcnt_ -= n;
        return static_cast<int>(val & ((1u << n) - 1u));
    }

    bool put(char c) {
        if (out_->size() >= max_out_) {
            truncated = true;
            return false;
        }
        out_->push_back(c);
        return true;
    }

    int stored() {
        bitbuf_ = 0;
        bitcnt_ = 0;
        if (pos_ + 4 > in_.size()) return -1;
        const unsigned len = static_cast<unsigned char>(in_[pos_]) | (static_cast<unsigned>(static_cast<unsigned char>(in_[pos_ + 1])) << 8);
        const unsigned nlen = static_cast<unsigned char>(in_[pos_ + 2]) | (static_cast<unsigned>(static_cast<unsigned char>(in_[pos_ + 3])) << 8);
        pos_ += 4;
        if (len != (~nlen & 0xFFFFu)) return -1;
        if (pos_ + len > in_.size()) return -1;
        for (unsigned i = 0; i < len; ++i) {
            if (!put(in_[pos_ + i])) return 0;
        }
        pos_ += len;
        return 0;
    }

    int decode(const huffman& h) noexcept {
        int code = 0;
        int first = 0;
        int index = 0;
        for (int len = 1; len <= max_bits; ++len) {
            const int b = bits(1);
            if (b < 0) return -1;
            code |= b;
            const int count = h.count[static_cast<std::size_t>(len)];
            if (code - count < first) return h.symbol[static_cast<std::size_t>(index + (code - first))];
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
        }
        return -1;
    }

    // Builds a canonical Huffman table; returns < 0 for an over-subscribed set.
    static int construct(huffman& h, const std::int16_t* length, int n) noexcept {
        h.count.fill(0);
        for (int s = 0; s < n; ++s) h.count[static_cast<std::size_t>(length[s])]++;
        if (h.count[0] == n) return 0;
        int left = 1;
        for (int len = 1; len <= max_bits; ++len) {
            left <<= 1;
            left -= h.count[static_cast<std::size_t>(len)];
            if (left < 0) return left;
        }
        std::array<std::int16_t, max_bits + 1> offs{};
        offs[1] = 0;
        for (int len = 1; len < max_bits; ++len) {
            offs[static_cast<std::size_t>(len + 1)] =
                static_cast<std::int16_t>(offs[static_cast<std::size_t>(len)] + h.count[static_cast<std::size_t>(len)]);
        }
        for (int s = 0; s < n; ++s) {
            if (length[s] != 0) {
                h.symbol[static_cast<std::size_t>(offs[static_cast<std::size_t>(length[s])]++)] = static_cast<std::int16_t>(s);
            }
        }
        return left;
    }

    int codes(const huffman& lencode, const huffman& distcode) {
        static constexpr std::array<std::int16_t, 29> lbase = {3,  4,  5,  6,  7,  8,  9,  10,  11,  13,  15,  17,  19,  23, 27,
                                                               31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
        static constexpr std::array<std::int16_t, 29> lext = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                              2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
        static constexpr std::array<std::int16_t, 30> dbase = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,
                                                               33,  49,  65,  97,  129, 193,  257,  385,  513,  769,
                                                               1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
        static constexpr std::array<std::int16_t, 30> dext = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
                                                              6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
        for (;;) {
            int symbol = decode(lencode);
            if (symbol < 0) return symbol;
            if (symbol < 256) {
                if (!put(static_cast<char>(symbol))) return 0;
            } else if (symbol == 256) {
                return 0;
            } else {
                symbol -= 257;
                if (symbol >= 29) return -1;
                const int e = bits(lext[static_cast<std::size_t>(symbol)]);
                if (e < 0) return -1;
                const int len = lbase[static_cast<std::size_t>(symbol)] + e;
                const int dsym = decode(distcode);
                if (dsym < 0 || dsym >= 30) return -1;
                const int de = bits(dext[static_cast<std::size_t>(dsym)]);
                if (de < 0) return -1;
                const auto dist = static_cast<std::size_t>(dbase[static_cast<std::size_t>(dsym)] + de);
                if (dist > out_->size()) return -1;
                for (int i = 0; i < len; ++i) {
                    if (!put((*out_)[out_->size() - dist])) return 0;
                }
            }
        }
    }

    int fixed() {
        huffman lencode;
        huffman distcode;
        std::array<std::int16_t, 288> lengths{};
        int s = 0;
        for (; s < 144; ++s) lengths[static_cast<std::size_t>(s)] = 8;
        for (; s < 256; ++s) lengths[static_cast<std::size_t>(s)] = 9;
        for (; s < 280; ++s) lengths[static_cast<std::size_t>(s)] = 7;
        for (; s < 288; ++s) lengths[static_cast<std::size_t>(s)] = 8;
        construct(lencode, lengths.data(), 288);
        for (s = 0; s < 30; ++s) lengths[static_cast<std::size_t>(s)] = 5;
        construct(distcode, lengths.data(), 30);
        return codes(lencode, distcode);
    }

    int dynamic() {
        static constexpr std::array<std::int16_t, 19> order = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
        std::array<std::int16_t, 320> lengths{};
        const int nlen = bits(5);
        const int ndist = bits(5);
        const int ncode = bits(4);
        if (nlen < 0 || ndist < 0 || ncode < 0) return -1;
        const int nl = nlen + 257;
        const int nd = ndist + 1;
        const int nc = ncode + 4;
        if (nl > 286 || nd > 30) return -1;
        int index = 0;
        for (; index < nc; ++index) {
            const int b = bits(3);
            if (b < 0) return -1;
            lengths[static_cast<std::size_t>(order[static_cast<std::size_t>(index)])] = static_cast<std::int16_t>(b);
        }
        for (; index < 19; ++index) lengths[static_cast<std::size_t>(order[static_cast<std::size_t>(index)])] = 0;
        huffman lencode;
        huffman distcode;
        if (construct(lencode, lengths.data(), 19) != 0) return -1;
        index = 0;
        while (index < nl + nd) {
            int symbol = decode(lencode);
            if (symbol < 0) return -1;
            if (symbol < 16) {
                lengths[static_cast<std::size_t>(index++)] = static_cast<std::int16_t>(symbol);
            } else {
                int len = 0;
                int rep = 0;
                if (symbol == 16) {
                    if (index == 0) return -1;
                    len = lengths[static_cast<std::size_t>(index - 1)];
                    rep = bits(2);
                    if (rep < 0) return -1;
                    rep += 3;
                } else if (symbol == 17) {
                    rep = bits(3);
                    if (rep < 0) return -1;
                    rep += 3;
                } else {
                    rep = bits(7);
                    if (rep < 0) return -1;
                    rep += 11;
                }
                if (index + rep > nl + nd) return -1;
                while (rep-- > 0) lengths[static_cast<std::size_t>(index++)] = static_cast<std::int16_t>(len);
            }
        }
        if (lengths[256] == 0) return -1;
        const int err = construct(lencode, lengths.data(), nl);
        if (err < 0 || (err > 0 && nl - lencode.count[0] != 1)) return -1;
        const int derr = construct(distcode, lengths.data() + nl, nd);
        if (derr < 0 || (derr > 0 && nd - distcode.count[0] != 1)) return -1;
        return codes(lencode, distcode);
    }

    std::string_view in_;
    std::size_t max_out_;
    std::size_t pos_ = 0;
    std::uint32_t bitbuf_ = 0;
    int bitcnt_ = 0;
    std::string* out_ = nullptr;
};

// What was decompressed and how it was wrapped.
struct inflated {
    std::string data;
    std::string_view format;  // "gzip", "zlib" or "deflate"
    bool truncated = false;
};

// Raw deflate data to bytes, at most max_out; nullopt when corrupt or empty.
[[nodiscard]] inline std::optional<inflated> inflate_raw(std::string_view in, std::size_t max_out, std::string_view format = "deflate") {
    inflated r;
    r.format = format;
    inflater inf(in, max_out);
#if WMISUB_EXCEPTIONS
    try {
#endif
        if (!inf.run(r.data) || r.data.empty()) return std::nullopt;
#if WMISUB_EXCEPTIONS
    } catch (...) {
        return std::nullopt;
    }
#endif
    r.truncated = inf.truncated;
    return r;
}

// gzip (1f 8b), zlib (78 xx with a valid check) or, when allow_raw, raw deflate data.
[[nodiscard]] inline std::optional<inflated> inflate_any(std::string_view in, std::size_t max_out, bool allow_raw) {
    if (in.size() >= 18 && static_cast<unsigned char>(in[0]) == 0x1F && static_cast<unsigned char>(in[1]) == 0x8B &&
        in[2] == 8) {
        const auto flags = static_cast<unsigned char>(in[3]);
        std::size_t p = 10;
        if ((flags & 0x04u) != 0) {  // FEXTRA
            if (p + 2 > in.size()) return std::nullopt;
            const std::size_t xlen = static_cast<unsigned char>(in[p]) | (static_cast<std::size_t>(static_cast<unsigned char>(in[p + 1])) << 8);
            p += 2 + xlen;
        }
        for (unsigned bit : {0x08u, 0x10u}) {  // FNAME, FCOMMENT
            if ((flags & bit) == 0) continue;
            while (p < in.size() && in[p] != '\0') ++p;
            ++p;
        }
        if ((flags & 0x02u) != 0) p += 2;  // FHCRC
        if (p >= in.size()) return std::nullopt;
        return inflate_raw(in.substr(p), max_out, "gzip");
    }
    if (in.size() >= 3 && (static_cast<unsigned char>(in[0]) & 0x0Fu) == 8 &&
        ((static_cast<unsigned>(static_cast<unsigned char>(in[0])) << 8) | static_cast<unsigned char>(in[1])) % 31 == 0) {
        if (auto r = inflate_raw(in.substr(2), max_out, "zlib")) return r;
    }
    if (allow_raw) return inflate_raw(in, max_out, "deflate");
    return std::nullopt;
}

}  // namespace detail
WMISUB_NAMESPACE_END
