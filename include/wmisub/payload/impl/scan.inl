// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Language-independent scanners over any payload text: URLs, IPv4/IPv6
// addresses (not version numbers), UNC and WebDAV paths, paths into
// user-writable places, alternate data streams, WMI string templates, and
// candidate encoded blobs (base64, hex, byte arrays). Each runs in one pass.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/literals.inl"
#include "wmisub/payload/impl/normalize.inl"
#include "wmisub/payload/impl/text.inl"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// One finding of a scanner: where it is in the scanned text and what it is.
struct scan_hit {
    indicator_kind kind = indicator_kind::url;
    std::size_t pos = 0;
    std::size_t len = 0;
    std::string detail;
};

using scan_hits = std::vector<scan_hit>;

// Appends a hit. The first reserves room for several: a text with one hit usually
// has more, and growing 1, 2, 4 costs an allocation each time.
inline void add_hit(scan_hits& out, scan_hit&& hit) {
    if (out.capacity() == 0) out.reserve(8);
    out.push_back(std::move(hit));
}

[[nodiscard]] constexpr bool url_stop(char c) noexcept {
    return is_space(c) || c == '"' || c == '\'' || c == '<' || c == '>' || c == '|' || c == '^' || c == '`' ||
           c == '{' || c == '}' || c == '\\' || c == ',' || c == ';' || c == 0;
}

// Parses a dotted-quad IPv4 address at p; returns its length or 0.
[[nodiscard]] inline std::size_t ipv4_at(std::string_view s, std::size_t p) noexcept {
    std::size_t q = p;
    for (int octet = 0; octet < 4; ++octet) {
        if (octet > 0) {
            if (q >= s.size() || s[q] != '.') return 0;
            ++q;
        }
        const std::size_t b = q;
        unsigned v = 0;
        while (q < s.size() && is_digit(s[q]) && q - b < 4) {
            v = v * 10 + static_cast<unsigned>(s[q] - '0');
            ++q;
        }
        if (q == b || q - b > 3 || v > 255) return 0;
        if (q - b > 1 && s[b] == '0') return 0;  // leading zeros: not how addresses are written
    }
    return q - p;
}

// Parses an IPv6 address at p (hex groups with at most one "::"); returns its length or 0.
[[nodiscard]] inline std::size_t ipv6_at(std::string_view s, std::size_t p) noexcept {
    std::size_t q = p;
    std::size_t groups = 0;
    bool compressed = false;
    bool digits_any = false;
    if (q + 1 < s.size() && s[q] == ':' && s[q + 1] == ':') {
        compressed = true;
        q += 2;
    }
    while (q < s.size() && groups < 9) {
        const std::size_t b = q;
        while (q < s.size() && is_hex(s[q]) && q - b < 5) ++q;
        if (q == b) break;
        if (q - b > 4) return 0;
        digits_any = true;
        ++groups;
        if (q + 1 < s.size() && s[q] == ':' && s[q + 1] == ':') {
            if (compressed) return 0;
            compressed = true;
            q += 2;
            continue;
        }
        if (q + 1 < s.size() && s[q] == ':' && is_hex(s[q + 1])) {
            ++q;
            continue;
        }
        break;
    }
    if (!digits_any) return 0;
    if (compressed ? groups > 7 : groups != 8) return 0;
    return q - p;
}

// True when text before p reads like a version ("Version=", "v", "ver ").
[[nodiscard]] inline bool version_context(std::string_view s, std::size_t p) noexcept {
    const std::size_t from = p >= 12 ? p - 12 : 0;
    const std::string_view before = s.substr(from, p - from);
    if (ifind_from(before, "version") != std::string_view::npos || ifind_from(before, "ver ") != std::string_view::npos) return true;
    return p > 0 && (s[p - 1] == 'v' || s[p - 1] == 'V');
}

// URLs (http, https, ftp, ftps, ws, wss and the defanged hxxp forms) and the IPv4 hosts in them.
inline void scan_urls(std::string_view s, scan_hits& out, std::size_t cap) {
    std::size_t from = 0;
    while (out.size() < cap) {
        const std::size_t mark = s.find("://", from);
        if (mark == std::string_view::npos) return;
        from = mark + 3;
        std::size_t b = mark;
        while (b > 0 && is_alpha(s[b - 1]) && mark - b < 6) --b;
        const std::string_view scheme = s.substr(b, mark - b);
        bool known = false;
        for (std::string_view k : {"http", "https", "ftp", "ftps", "ws", "wss", "hxxp", "hxxps", "sftp", "tftp"}) {
            known = known || ieq(scheme, k);
        }
        if (!known || (b > 0 && is_word(s[b - 1]))) continue;
        std::size_t e = mark + 3;
        int parens = 0;
        while (e < s.size() && !url_stop(s[e])) {
            if (s[e] == '(') ++parens;
            if (s[e] == ')' && --parens < 0) break;
            ++e;
        }
        while (e > mark + 3 && (s[e - 1] == '.' || s[e - 1] == ';' || s[e - 1] == ':')) --e;
        if (e <= mark + 3) continue;
        const std::string_view url = s.substr(b, e - b);
        std::string_view host = s.substr(mark + 3, e - mark - 3);
        std::size_t host_end = 0;  // find_first_of("/?#") without a memchr call per character
        while (host_end < host.size() && host[host_end] != '/' && host[host_end] != '?' && host[host_end] != '#') ++host_end;
        host = host.substr(0, host_end);
        if (const std::size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
        bool host_ok = !host.empty() && host[0] != '.';
        bool alnum = false;
        for (const char c : host) {
            alnum = alnum || is_alnum(c);
            host_ok = host_ok && (is_word(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '%' ||
                                  static_cast<unsigned char>(c) >= 0x80);
        }
        if (!host_ok || !alnum) {
            from = e;
            continue;
        }
        add_hit(out, {indicator_kind::url, b, e - b, std::string(url.substr(0, 512))});
        if (ipv4_at(host, 0) > 0) {
            const std::size_t len = ipv4_at(host, 0);
            add_hit(out, {indicator_kind::ip_address, static_cast<std::size_t>(host.data() - s.data()), len,
                           std::string(host.substr(0, len))});
        } else if (!host.empty() && host[0] == '[') {
            const std::size_t close = host.find(']');
            if (close != std::string_view::npos && ipv6_at(host, 1) == close - 1) {
                add_hit(out, {indicator_kind::ip_address, static_cast<std::size_t>(host.data() - s.data()) + 1, close - 1,
                               std::string(host.substr(1, close - 1))});
            }
        } else {
            const std::string_view name = host.substr(0, host.find(':'));
            bool numeric = name.size() >= 8;
            for (const char c : name) numeric = numeric && (is_digit(c) || c == 'x' || c == 'X' || is_hex(c));
            if (numeric && (is_digit(name[0]))) {
                add_hit(out, {indicator_kind::obfuscation, b, e - b, "numeric IP address in URL host"});
            }
        }
        from = e;
    }
}

// False when no address can be in s: IPv4 needs three dots between digits, IPv6 "::"
// or seven colons. Most texts fail this, and memchr finds it out faster than the scan.
[[nodiscard]] inline bool may_hold_ip(std::string_view s) noexcept {
    std::size_t digit_dots = 0;
    for (std::size_t p = s.find('.'); p != std::string_view::npos; p = s.find('.', p + 1)) {
        if (p > 0 && p + 1 < s.size() && is_digit(s[p - 1]) && is_digit(s[p + 1]) && ++digit_dots >= 3) return true;
    }
    std::size_t colons = 0;
    for (std::size_t p = s.find(':'); p != std::string_view::npos; p = s.find(':', p + 1)) {
        if ((p + 1 < s.size() && s[p + 1] == ':') || ++colons >= 7) return true;
    }
    return false;
}

// IPv4 and IPv6 addresses outside URLs.
// `out` grows only where a hit is pushed, so the cap is checked there, not for every character.
inline void scan_ips(std::string_view s, scan_hits& out, std::size_t cap) {
    if (out.size() >= cap || !may_hold_ip(s)) return;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool boundary = i == 0 || !char_is(s[i - 1], cc_ip_glue);  // one table lookup per character
        if (!boundary || !(is_hex(c) || c == ':')) continue;
        if (is_digit(c)) {
            if (const std::size_t len = ipv4_at(s, i); len > 0) {
                const std::size_t end = i + len;
                const bool more = end < s.size() && (is_word(s[end]) || (s[end] == '.' && end + 1 < s.size() && is_digit(s[end + 1])));
                if (!more && !version_context(s, i)) {
                    const std::string_view ip = s.substr(i, len);
                    if (ip != "0.0.0.0" && ip != "255.255.255.255") add_hit(out, {indicator_kind::ip_address, i, len, std::string(ip)});
                    if (out.size() >= cap) return;
                }
                i = end;
                continue;
            }
        }
        const std::size_t len = ipv6_at(s, i);
        if (len >= 3) {
            const std::size_t end = i + len;
            const bool more = end < s.size() && (is_word(s[end]) || s[end] == ':' || s[end] == '.');
            const std::string_view ip = s.substr(i, len);
            std::size_t colons = 0;
            std::size_t run = 0;
            std::size_t longest = 0;
            for (const char ch : ip) {
                colons += ch == ':' ? 1u : 0u;
                run = ch == ':' ? 0 : run + 1;
                longest = std::max(longest, run);
            }
            // "a::b" is more often code than an address: want a 4-digit group, three groups or a "::" edge.
            const bool plausible = longest == 4 || colons >= 3 || has_prefix(ip, "::") || ip.ends_with("::");
            if (!more && colons >= 2 && ip != "::" && plausible) add_hit(out, {indicator_kind::ip_address, i, len, std::string(ip)});
            if (out.size() >= cap) return;
            i = end;
            continue;
        }
        while (i + 1 < s.size() && (is_word(s[i + 1]) || s[i + 1] == '.')) ++i;
    }
}

// UNC and WebDAV paths to other machines (\\host\share, \\host@SSL\..., DavWWWRoot).
inline void scan_unc(std::string_view s, scan_hits& out, std::size_t cap) {
    std::size_t from = 0;
    while (out.size() < cap) {
        const std::size_t mark = s.find("\\\\", from);
        if (mark == std::string_view::npos) return;
        std::size_t p = mark;
        while (p < s.size() && s[p] == '\\') ++p;
        from = p;
        if (mark > 0 && (is_word(s[mark - 1]) || std::string_view(":\\./$!{}").find(s[mark - 1]) != std::string_view::npos)) continue;
        const std::size_t host_begin = p;
        while (p < s.size() && (is_word(s[p]) || s[p] == '.' || s[p] == '-' || s[p] == '@' || s[p] == '$')) ++p;
        const std::string_view host = s.substr(host_begin, p - host_begin);
        if (host.empty() || p >= s.size() || s[p] != '\\') continue;
        std::size_t q = p;
        while (q < s.size() && s[q] == '\\') ++q;
        const std::size_t share_begin = q;
        while (q < s.size() && !url_stop(s[q]) && s[q] != ';' && s[q] != ')') ++q;
        if (q == share_begin) continue;
        std::size_t e = q;
        while (e < s.size() && (s[e] == '\\' || !url_stop(s[e])) && s[e] != ';' && s[e] != ')' && s[e] != '"' && s[e] != '\'') {
            if (is_space(s[e])) break;
            ++e;
        }
        const std::string_view share = s.substr(share_begin, q - share_begin);
        const std::string lower_host = lower_copy(host);
        if (lower_host == "." || lower_host == "?" || lower_host == "localhost" || lower_host == "127.0.0.1" || lower_host == "root") continue;
        if (ieq(share, "root") || istarts(share, "root\\")) continue;  // a WMI namespace path, not a file share
        const std::string path = std::string(s.substr(mark, e - mark)).substr(0, 512);
        const bool webdav = lower_host.find("@ssl") != std::string::npos || lower_host.find('@') != std::string::npos ||
                            ifind_from(path, "davwwwroot") != std::string_view::npos;
        add_hit(out, {webdav ? indicator_kind::webdav_path : indicator_kind::unc_path, mark, e - mark, path});
        from = e;
    }
}

// A file-system path token starting at b, ending at a delimiter (or the closing quote when quoted).
[[nodiscard]] inline std::size_t path_token_end(std::string_view s, std::size_t b, bool quoted_by_double, bool quoted_by_single) noexcept {
    std::size_t e = b;
    while (e < s.size()) {
        const char c = s[e];
        if (c == '\n' || c == '\r' || c == '<' || c == '>' || c == '|' || c == '"' || c == '`' || c == '\t') break;
        if (c == '\'' ) break;
        if (c == ' ' && !quoted_by_double && !quoted_by_single) break;
        if ((c == ',' || c == ';' || c == ')' || c == '(') && !quoted_by_double && !quoted_by_single) break;
        ++e;
    }
    while (e > b && (s[e - 1] == '.' || s[e - 1] == ' ')) --e;
    return e;
}

// The first position from `from` on where a path scan_paths looks for can start:
// the letter before a ':' (a drive), a '%' or a '$'. Skipping to it costs far
// less per character than testing every position.
[[nodiscard]] inline std::size_t next_path_start(std::string_view s, std::size_t from) noexcept {
    for (std::size_t j = from; j < s.size(); ++j) {
        const char c = s[j];
        if (c == '%' || c == '$') return j;
        if (c == ':' && j > from) return j - 1;  // a ':' at `from` belongs to a position already passed
    }
    return s.size();
}

// normalize_path results kept for reuse within one analysis. The command line's
// program is normalized by the path scan and again when it is run; the second
// time takes the first result instead. Only paths inside `stable` texts (which
// outlive the memo's entries) are kept, so a key never dangles; lookups compare
// text, so any view with the same characters finds the entry.
struct path_memo {
    struct entry {
        std::string_view raw;
        std::string norm;
    };
    std::array<entry, 4> entries{};
    std::size_t count = 0;
    std::array<std::string_view, 2> stable{};
    std::string scratch;  // the normalized form of paths that are not kept

    [[nodiscard]] bool keeps(std::string_view raw) const noexcept {
        if (count >= entries.size()) return false;
        for (const std::string_view t : stable) {
            if (!t.empty() && raw.data() >= t.data() && raw.data() + raw.size() <= t.data() + t.size()) return true;
        }
        return false;
    }
    // The normalized form of raw, kept when raw is a stable text; valid until the next call.
    const std::string& normalize(std::string_view raw) {
        if (!keeps(raw)) {
            normalize_path_into(raw, scratch);
            return scratch;
        }
        entry& e = entries[count++];
        e.raw = raw;
        normalize_path_into(raw, e.norm);
        return e.norm;
    }
    // normalize_path(raw), moved out of a kept entry when there is one (each entry is taken once).
    [[nodiscard]] std::string take(std::string_view raw) {
        for (std::size_t i = 0; i < count; ++i) {
            entry& e = entries[i];
            if (e.raw.data() == nullptr || e.raw != raw) continue;
            e.raw = {};
            return std::move(e.norm);
        }
        return normalize_path(raw);
    }
    // Forgets every entry and stable text.
    void reset() noexcept {
        count = 0;
        stable = {};
    }
};

// Paths into user-writable places, and file:stream paths. `memo`, when given,
// normalizes the paths (keeping the program's for reuse) without allocating each time.
inline void scan_paths(std::string_view s, scan_hits& out, std::size_t cap, path_memo* memo = nullptr) {
    std::string own;
    auto consider = [&](std::size_t b, std::size_t e) {
        if (e <= b || out.size() >= cap) return;
        const std::string_view token = s.substr(b, std::min<std::size_t>(e - b, 1024));
        if (memo == nullptr) normalize_path_into(token, own);
        const std::string& norm = memo != nullptr ? memo->normalize(token) : own;
        if (const auto where = classify_writable(norm)) {
            const std::string_view name = to_string(*where);
            std::string detail;
            detail.reserve(norm.size() + name.size() + 3);  // one allocation for "norm (name)"
            detail += norm;
            detail += " (";
            detail += name;
            detail += ')';
            add_hit(out, {indicator_kind::user_writable_path, b, e - b, std::move(detail)});
        }
        const std::string_view stream = path_stream(token);
        if (!stream.empty() && !ieq(stream, "$data") && token.find("://") == std::string_view::npos &&
            token.find('%') == std::string_view::npos) {
            add_hit(out, {indicator_kind::alternate_data_stream, b, e - b, std::string(token)});
        }
    };
    // Most texts have none of the characters a path starts at: memchr tells that fastest.
    const bool candidates = s.find(':') != std::string_view::npos || s.find('%') != std::string_view::npos ||
                            s.find('$') != std::string_view::npos;
    if (out.size() >= cap || !candidates) return;
    // out grows only in consider(): the cap is checked after it.
    for (std::size_t i = next_path_start(s, 0); i + 2 < s.size(); i = next_path_start(s, i + 1)) {
        const char c = s[i];
        std::size_t b = std::string_view::npos;
        if (s[i + 1] == ':' && is_alpha(c) && (s[i + 2] == '\\' || s[i + 2] == '/') && (i == 0 || !is_word(s[i - 1]))) {
            b = i;
        } else if (c == '%' && (i == 0 || s[i - 1] != '%')) {
            const std::size_t close = s.substr(i + 1, 40).find('%');
            if (close != std::string_view::npos && close > 0 && i + close + 2 < s.size() && s[i + close + 2] == '\\' &&
                find_env(s.substr(i + 1, close)) != nullptr) {
                b = i;
            }
        } else if (c == '$' && istarts(s.substr(i), "$env:")) {
            b = i;
        }
        if (b == std::string_view::npos) continue;
        const bool dq = b > 0 && s[b - 1] == '"';
        const bool sq = b > 0 && s[b - 1] == '\'';
        const std::size_t e = path_token_end(s, b, dq, sq);
        consider(b, e);
        if (out.size() >= cap) return;
        i = e > i ? e - 1 : i;
    }
}

// A WMI standard string template (%Prop%, %TargetInstance.Name%) at p, or 0. Environment variables are not templates.
[[nodiscard]] inline std::size_t template_at(std::string_view s, std::size_t p) noexcept {
    if (p >= s.size() || s[p] != '%' || p + 2 >= s.size()) return 0;
    if (p > 0 && s[p - 1] == '%') return 0;
    std::size_t q = p + 1;
    if (!(is_alpha(s[q]) || s[q] == '_')) return 0;
    while (q < s.size() && (is_word(s[q]) || s[q] == '.') && q - p < 128) ++q;
    if (q >= s.size() || s[q] != '%') return 0;
    const std::string_view name = s.substr(p + 1, q - p - 1);
    if (name.find('.') == std::string_view::npos && find_env(name) != nullptr) return 0;
    return q - p + 1;
}

inline void scan_templates(std::string_view s, scan_hits& out, std::size_t cap) {
    std::size_t from = 0;
    while (out.size() < cap) {
        const std::size_t p = s.find('%', from);
        if (p == std::string_view::npos) return;
        const std::size_t len = template_at(s, p);
        if (len == 0) {
            from = p + 1;
            continue;
        }
        add_hit(out, {indicator_kind::event_data_template, p, len, std::string(s.substr(p, len))});
        from = p + len;
    }
}

// A run of text that may be encoded data.
struct blob {
    std::size_t pos = 0;
    std::size_t len = 0;
    bool hex = false;     // hex digits (else base64)
    bool bytes = false;   // a 0x41,0x42 / 65,66 byte list
};

// Candidate base64 (>= min_b64 digits, mixed classes), hex (>= min_hex digits) and byte-list runs.
inline void scan_blobs(std::string_view s, std::vector<blob>& out, std::size_t min_b64, std::size_t cap) {
    std::size_t i = 0;
    while (i < s.size() && out.size() < cap) {
        constexpr unsigned run_chars = cc_alpha | cc_digit | cc_b64_sign | cc_b64_url;  // base64 digits, '-', '_'
        if (!char_is(s[i], run_chars)) {
            ++i;
            continue;
        }
        const std::size_t b = i;
        // The classes seen in the run (any) and shared by all of it (all), from one table load per character.
        unsigned any = 0;
        unsigned all = cc_hex;
        while (i < s.size() && char_is(s[i], run_chars)) {
            const unsigned cls = char_classes[static_cast<unsigned char>(s[i])];
            any |= cls;
            all &= cls;
            ++i;
        }
        const bool upper = (any & cc_upper) != 0;
        const bool lower = (any & cc_lower) != 0;
        const bool digit = (any & cc_digit) != 0;
        const bool slash_or_plus = (any & cc_b64_sign) != 0;
        const bool all_hex = (all & cc_hex) != 0;
        std::size_t e = i;
        while (e < s.size() && s[e] == '=' && e - i < 2) ++e;
        const std::size_t len = e - b;
        if (all_hex && len >= 64 && len % 2 == 0) {
            // Hashes (32/40/64 digits) are excluded by the length floor except SHA-256; keep only longer runs.
            if (len > 64) out.push_back({b, len, true, false});
        } else if (len >= min_b64 && upper && lower && (digit || slash_or_plus)) {
            // Paths ("/usr/...") and identifiers rarely have all three classes over this length.
            std::size_t slashes = 0;
            for (std::size_t k = b; k < b + len; ++k) slashes += s[k] == '/' ? 1u : 0u;
            if (slashes * 8 < len) out.push_back({b, len, false, false});
        }
        i = e > i ? e : i;
    }
}

// Byte lists: at least min_count comma-separated 0xNN or decimal 0-255 values ([Byte[]] $buf = 0xfc,0xe8,...).
inline void scan_byte_lists(std::string_view s, std::vector<blob>& out, std::size_t min_count, std::size_t cap) {
    std::size_t i = 0;
    while (i < s.size() && out.size() < cap) {
        if (!is_digit(s[i]) || (i > 0 && is_word(s[i - 1]))) {
            ++i;
            continue;
        }
        const std::size_t b = i;
        std::size_t count = 0;
        std::size_t p = i;
        std::size_t last_end = i;
        for (;;) {
            std::size_t q = p;
            std::uint32_t v = 0;
            if (!read_number(s, q, v) || v > 255) break;
            ++count;
            last_end = q;
            q = skip_blanks(s, q);
            if (q < s.size() && s[q] == ',') {
                p = skip_blanks(s, q + 1);
                continue;
            }
            break;
        }
        if (count >= min_count) out.push_back({b, last_end - b, false, true});
        i = last_end > i ? last_end : i + 1;
    }
}

}  // namespace detail
WMISUB_NAMESPACE_END
