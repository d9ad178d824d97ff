// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Text and path helpers for payload analysis: ASCII case folding, excerpts,
// the environment LocalSystem sees, path normalisation, user-writable and
// autostart locations, lenient base64 and what decoded bytes look like.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/detail/base64.hpp"
#include "wmisub/detail/case_fold.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/text.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// ---------------------------------------------------------------------------
// Characters
// ---------------------------------------------------------------------------

[[nodiscard]] constexpr char lc(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Character classes as bits of one table: the scanners test them for every
// character, and a table load is cheaper than a chain of range comparisons.
enum : std::uint16_t {
    cc_alpha = 1, cc_digit = 2, cc_underscore = 4, cc_hex = 8, cc_b64_sign = 16,
    cc_ip_glue = 32,    // word characters and . / : ] (an address right after one is not at a boundary)
    cc_line_blank = 64, // ' ', '\t', '\r', '\n' (end a CreateProcess module token)
    cc_b64_url = 128,   // '-', '_' (URL-safe base64 digits)
    cc_upper = 256,     // 'A'..'Z'
    cc_lower = 512,     // 'a'..'z'
};

[[nodiscard]] constexpr std::array<std::uint16_t, 256> make_char_classes() noexcept {
    std::array<std::uint16_t, 256> t{};
    for (unsigned c = 0; c < 256; ++c) {
        std::uint16_t v = 0;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) v |= cc_alpha;
        if (c >= 'A' && c <= 'Z') v |= cc_upper;
        if (c >= 'a' && c <= 'z') v |= cc_lower;
        if (c >= '0' && c <= '9') v |= cc_digit | cc_hex;
        if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= cc_hex;
        if (c == '_') v |= cc_underscore;
        if (c == '+' || c == '/') v |= cc_b64_sign;
        if ((v & (cc_alpha | cc_digit | cc_underscore)) != 0 || c == '.' || c == '/' || c == ':' || c == ']') v |= cc_ip_glue;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') v |= cc_line_blank;
        if (c == '-' || c == '_') v |= cc_b64_url;
        t[c] = v;
    }
    return t;
}
inline constexpr std::array<std::uint16_t, 256> char_classes = make_char_classes();

[[nodiscard]] constexpr bool char_is(char c, unsigned mask) noexcept {
    return (char_classes[static_cast<unsigned char>(c)] & mask) != 0;
}
[[nodiscard]] constexpr bool is_alpha(char c) noexcept { return char_is(c, cc_alpha); }
[[nodiscard]] constexpr bool is_digit(char c) noexcept { return char_is(c, cc_digit); }
[[nodiscard]] constexpr bool is_alnum(char c) noexcept { return char_is(c, cc_alpha | cc_digit); }
[[nodiscard]] constexpr bool is_word(char c) noexcept { return char_is(c, cc_alpha | cc_digit | cc_underscore); }
[[nodiscard]] constexpr bool is_hex(char c) noexcept { return char_is(c, cc_hex); }
[[nodiscard]] constexpr int hex_value(char c) noexcept {
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
[[nodiscard]] constexpr bool is_space(char c) noexcept { return is_ascii_space(c); }
[[nodiscard]] constexpr bool is_b64(char c) noexcept { return char_is(c, cc_alpha | cc_digit | cc_b64_sign); }

// starts_with for a literal prefix: its length is a constant, so the test is inlined
// (std::string_view::starts_with(const char*) costs a strlen and a memcmp call).
template <std::size_t N>
[[nodiscard]] constexpr bool has_prefix(std::string_view s, const char (&prefix)[N]) noexcept {
    if (s.size() < N - 1) return false;
    for (std::size_t i = 0; i + 1 < N; ++i) {
        if (s[i] != prefix[i]) return false;
    }
    return true;
}

// starts_with as an inline loop comparing from the end of the prefix: the path
// tables' entries share their start ("windows\\system32\\"), so a mismatch shows
// in the first characters compared, cheaper than a memcmp call.
[[nodiscard]] constexpr bool prefix_equal(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = prefix.size(); i > 0; --i) {
        if (s[i - 1] != prefix[i - 1]) return false;
    }
    return true;
}

// The order of std::string_view (bytes compared as unsigned char, then length)
// as an inline loop: table searches decide within a few bytes, without a memcmp call.
[[nodiscard]] constexpr bool sv_less(std::string_view a, std::string_view b) noexcept {
    const std::size_t n = a.size() < b.size() ? a.size() : b.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
    }
    return a.size() < b.size();
}

// ASCII-only case-insensitive equality (keywords and switches are ASCII).
[[nodiscard]] constexpr bool ieq(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lc(a[i]) != lc(b[i])) return false;
    }
    return true;
}

[[nodiscard]] constexpr bool istarts(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && ieq(s.substr(0, prefix.size()), prefix);
}

[[nodiscard]] constexpr bool iends(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && ieq(s.substr(s.size() - suffix.size()), suffix);
}

// The ASCII lower-case copy of s (other bytes unchanged, so offsets stay valid).
[[nodiscard]] inline std::string lower_copy(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lc(c);
    return out;
}

// Case-insensitive find of an ASCII needle.
// Case folding only maps letters to letters, so a needle without letters ("://")
// matches exactly where a plain search finds it; that search is much cheaper.
[[nodiscard]] inline std::size_t ifind_from(std::string_view hay, std::string_view needle, std::size_t from = 0) noexcept {
    if (from > hay.size()) return std::string_view::npos;
    bool letters = false;
    for (const char c : needle) letters = letters || is_alpha(c);
    if (!letters) return hay.find(needle, from);
    const std::size_t at = ascii_ifind(hay.substr(from), needle);
    return at == std::string_view::npos ? at : at + from;
}

[[nodiscard]] constexpr bool is_utf8_continuation(char c) noexcept {
    return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u;
}

// The longest prefix of s of at most max bytes that does not split a UTF-8 sequence.
[[nodiscard]] inline std::string_view utf8_prefix(std::string_view s, std::size_t max) noexcept {
    if (s.size() <= max) return s;
    std::size_t end = max;
    while (end > 0 && is_utf8_continuation(s[end])) --end;
    return s.substr(0, end);
}

// s cut to max bytes on a UTF-8 boundary.
[[nodiscard]] inline std::string clip(std::string_view s, std::size_t max) { return std::string(utf8_prefix(s, max)); }

// ---------------------------------------------------------------------------
// Environment of LocalSystem
// ---------------------------------------------------------------------------

struct env_default {
    std::string_view name;   // lower case
    std::string_view value;  // empty: known variable without a fixed value
};

// The variables of a 64-bit Windows 10/11 LocalSystem process (what consumers see), sorted by name.
inline constexpr std::array<env_default, 48> env_defaults = {{
    {"allusersprofile", "C:\\ProgramData"},
    {"appdata", "C:\\Windows\\system32\\config\\systemprofile\\AppData\\Roaming"},
    {"cd", ""},
    {"clientname", ""},
    {"cmdcmdline", ""},
    {"cmdextversion", "2"},
    {"commonprogramfiles", "C:\\Program Files\\Common Files"},
    {"commonprogramfiles(x86)", "C:\\Program Files (x86)\\Common Files"},
    {"commonprogramw6432", "C:\\Program Files\\Common Files"},
    {"computername", ""},
    {"comspec", "C:\\Windows\\system32\\cmd.exe"},
    {"date", ""},
    {"driverdata", "C:\\Windows\\System32\\Drivers\\DriverData"},
    {"errorlevel", ""},
    {"highestnumanodenumber", ""},
    {"homedrive", ""},
    {"homepath", ""},
    {"homeshare", ""},
    {"localappdata", "C:\\Windows\\system32\\config\\systemprofile\\AppData\\Local"},
    {"logonserver", ""},
    {"number_of_processors", ""},
    {"onedrive", ""},
    {"os", "Windows_NT"},
    {"path", "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\Wbem;C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\"},
    {"pathext", ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC"},
    {"processor_architecture", "AMD64"},
    {"processor_identifier", ""},
    {"processor_level", ""},
    {"processor_revision", ""},
    {"programdata", "C:\\ProgramData"},
    {"programfiles", "C:\\Program Files"},
    {"programfiles(x86)", "C:\\Program Files (x86)"},
    {"programw6432", "C:\\Program Files"},
    {"prompt", "$P$G"},
    {"psmodulepath", "C:\\Program Files\\WindowsPowerShell\\Modules;C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules"},
    {"public", "C:\\Users\\Public"},
    {"random", ""},
    {"sessionname", ""},
    {"systemdrive", "C:"},
    {"systemroot", "C:\\Windows"},
    {"temp", "C:\\Windows\\TEMP"},
    {"time", ""},
    {"tmp", "C:\\Windows\\TEMP"},
    {"userdnsdomain", ""},
    {"userdomain", ""},
    {"username", ""},
    {"userprofile", "C:\\Windows\\system32\\config\\systemprofile"},
    {"windir", "C:\\Windows"},
}};

[[nodiscard]] constexpr bool env_defaults_sorted() noexcept {
    for (std::size_t i = 1; i < env_defaults.size(); ++i) {
        if (!(env_defaults[i - 1].name < env_defaults[i].name)) return false;
    }
    return true;
}
static_assert(env_defaults_sorted(), "env_defaults must be sorted by name");

// The LocalSystem default of a variable (case-insensitive name), or nullptr when unknown.
[[nodiscard]] inline const env_default* find_env(std::string_view name) noexcept {
    if (name.empty() || name.size() > 32) return nullptr;
    std::array<char, 32> buf{};
    for (std::size_t i = 0; i < name.size(); ++i) buf[i] = lc(name[i]);
    const std::string_view key(buf.data(), name.size());
    const auto it = std::lower_bound(env_defaults.begin(), env_defaults.end(), key,
                                     [](const env_default& e, std::string_view k) { return sv_less(e.name, k); });
    return (it != env_defaults.end() && it->name == key) ? &*it : nullptr;
}

// Variables a payload set itself (cmd `set`), consulted before the defaults.
struct env_overrides {
    std::vector<std::pair<std::string, std::string>> vars;  // lower-case name, value

    [[nodiscard]] const std::string* find(std::string_view name) const noexcept {
        for (auto it = vars.rbegin(); it != vars.rend(); ++it) {
            if (ieq(it->first, name)) return &it->second;
        }
        return nullptr;
    }
    void set(std::string_view name, std::string_view value) {
        if (vars.size() >= 256) return;
        vars.emplace_back(lower_copy(name), std::string(value));
    }
};

// The value of a variable for expansion: payload-set, then default; nullopt when unknown or valueless.
[[nodiscard]] inline std::optional<std::string_view> env_value(std::string_view name, const env_overrides* extra) noexcept {
    if (extra != nullptr) {
        if (const std::string* v = extra->find(name)) return std::string_view(*v);
    }
    const env_default* d = find_env(name);
    if (d == nullptr || d->value.empty()) return std::nullopt;
    return d->value;
}

// Parses a (possibly negative) decimal integer; false when s is not one.
[[nodiscard]] inline bool parse_small_int(std::string_view s, long long& out) noexcept {
    s = std::string_view(s.data(), s.size());
    bool neg = false;
    std::size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        ++i;
    }
    if (i >= s.size()) return false;
    long long v = 0;
    for (; i < s.size(); ++i) {
        if (!is_digit(s[i])) return false;
        v = v * 10 + (s[i] - '0');
        if (v > 1000000) return false;
    }
    out = neg ? -v : v;
    return true;
}

// Applies cmd's `:~start,length` substring rules.
[[nodiscard]] inline std::string env_substring(std::string_view value, long long start, std::optional<long long> length) {
    const auto size = static_cast<long long>(value.size());
    if (start < 0) start = std::max(0LL, size + start);
    if (start > size) start = size;
    long long end = size;
    if (length) end = *length < 0 ? std::max(start, size + *length) : std::min(size, start + *length);
    if (end < start) end = start;
    return std::string(value.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start)));
}

// Expands %VAR%, %VAR:~a,b% and %VAR:old=new% (cmd syntax). Unknown names and
// WMI templates stay as written; `%%` stays `%%`. Bounded: output at most 4x input + 4 KiB.
[[nodiscard]] inline std::string expand_env(std::string_view text, const env_overrides* extra, std::size_t* expansions = nullptr) {
    if (text.find('%') == std::string_view::npos) return std::string(text);  // nothing to expand: skip the scan
    std::string out;
    out.reserve(text.size());
    const std::size_t cap = text.size() * 4 + 4096;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c != '%') {
            // Text up to the next '%' is copied as one run (the cap only matters at a '%').
            const std::size_t next = std::min(text.find('%', i), text.size());
            out.append(text.substr(i, next - i));
            i = next;
            continue;
        }
        if (out.size() > cap) {
            out.push_back(c);
            ++i;
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '%') {
            out.append("%%");
            i += 2;
            continue;
        }
        const std::size_t close = text.find('%', i + 1);
        if (close == std::string_view::npos || close - i > 160) {
            out.push_back(c);
            ++i;
            continue;
        }
        const std::string_view inner = text.substr(i + 1, close - i - 1);
        const std::size_t colon = inner.find(':');
        const std::string_view name = inner.substr(0, colon);
        const auto value = env_value(name, extra);
        if (!value || name.empty()) {
            // Not a variable we know: leave the text and resume right after this '%' so a
            // following variable is still seen.
            out.push_back(c);
            ++i;
            continue;
        }
        if (colon == std::string_view::npos) {
            out.append(*value);
        } else {
            const std::string_view op = inner.substr(colon + 1);
            if (!op.empty() && op[0] == '~') {
                const std::string_view args = op.substr(1);
                const std::size_t comma = args.find(',');
                long long start = 0;
                long long len = 0;
                if (!parse_small_int(args.substr(0, comma), start)) {
                    out.push_back(c);
                    ++i;
                    continue;
                }
                std::optional<long long> length;
                if (comma != std::string_view::npos) {
                    if (!parse_small_int(args.substr(comma + 1), len)) {
                        out.push_back(c);
                        ++i;
                        continue;
                    }
                    length = len;
                }
                out.append(env_substring(*value, start, length));
            } else {
                const std::size_t eq = op.find('=');
                if (eq == std::string_view::npos) {
                    out.push_back(c);
                    ++i;
                    continue;
                }
                std::string_view from = op.substr(0, eq);
                const std::string_view to = op.substr(eq + 1);
                const bool leading_star = !from.empty() && from[0] == '*';
                if (leading_star) from.remove_prefix(1);
                std::string v(*value);
                if (!from.empty()) {
                    std::string replaced;
                    std::size_t pos = 0;
                    bool done = false;
                    while (!done) {
                        const std::size_t hit = ifind_from(v, from, pos);
                        if (hit == std::string_view::npos) {
                            replaced.append(v, pos);
                            done = true;
                        } else {
                            // `*x=y` replaces everything up to the first x.
                            if (!leading_star) replaced.append(v, pos, hit - pos);
                            replaced.append(to);
                            pos = hit + from.size();
                            if (leading_star) {
                                replaced.append(v, pos);
                                done = true;
                            }
                        }
                    }
                    v = std::move(replaced);
                }
                out.append(v);
            }
        }
        if (expansions != nullptr) ++*expansions;
        i = close + 1;
    }
    return out;
}

// Expands PowerShell `$env:NAME` and `${env:NAME}` with the LocalSystem defaults.
[[nodiscard]] inline std::string expand_ps_env(std::string_view text) {
    if (text.find('$') == std::string_view::npos) return std::string(text);  // nothing to expand: skip the scan
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const bool braced = istarts(text.substr(i), "${env:");
        if (braced || istarts(text.substr(i), "$env:")) {
            const std::size_t start = i + (braced ? 6 : 5);
            std::size_t end = start;
            while (end < text.size() && (is_word(text[end]) || text[end] == '(' || text[end] == ')')) {
                if (text[end] == ')' && text.substr(start, end - start).find('(') == std::string_view::npos) break;
                ++end;
            }
            const auto value = env_value(text.substr(start, end - start), nullptr);
            if (value && (!braced || (end < text.size() && text[end] == '}'))) {
                out.append(*value);
                i = end + (braced ? 1 : 0);
                continue;
            }
        }
        out.push_back(text[i]);
        ++i;
    }
    return out;
}

// ---------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------

[[nodiscard]] constexpr std::string_view strip_quotes(std::string_view s) noexcept {
    while (s.size() >= 2 && ((s.front() == '"' && s.back() == '"') || (s.front() == '\'' && s.back() == '\''))) {
        s = s.substr(1, s.size() - 2);
    }
    while (!s.empty() && (s.front() == '"' || s.front() == '\'')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == '"' || s.back() == '\'')) s.remove_suffix(1);
    return s;
}

// Expands %VAR% and $env:VAR, skipping the work when neither can occur.
[[nodiscard]] inline std::string expand_path_variables(std::string_view s) {
    const bool cmd_vars = s.find('%') != std::string_view::npos;
    const bool ps_vars = s.find('$') != std::string_view::npos;
    if (!cmd_vars && !ps_vars) return std::string(s);
    std::string text = cmd_vars ? expand_env(s, nullptr) : std::string(s);
    if (ps_vars) return expand_ps_env(text);
    return text;  // returned as is (a conditional expression would copy it)
}

// Splits the root of a lower-cased, backslashed path into `out`; returns the rest.
// Every special prefix starts with '\\', so other paths skip straight to the drive check.
[[nodiscard]] inline std::string_view take_path_root(std::string_view v, std::string& out) {
    if (!v.empty() && v[0] == '\\') {
        if (has_prefix(v, "\\\\?\\unc\\")) {
            out = "\\\\";
            return v.substr(8);
        }
        if (has_prefix(v, "\\\\?\\") || has_prefix(v, "\\??\\")) {
            v.remove_prefix(4);
        } else if (has_prefix(v, "\\\\.\\") && v.size() >= 6 && is_alpha(v[4]) && v[5] == ':') {
            v.remove_prefix(4);
        } else if (has_prefix(v, "\\\\")) {
            out = "\\\\";
            return v.substr(2);
        }
    }
    if (v.size() >= 2 && is_alpha(v[0]) && v[1] == ':') {
        out.assign(v.substr(0, 2));
        v.remove_prefix(2);
        if (!v.empty() && v[0] == '\\') out.push_back('\\');
    } else if (!v.empty() && v[0] == '\\') {
        out = "\\";
    }
    return v;
}

// The long name of an 8.3 short name Windows always gives these folders.
[[nodiscard]] constexpr std::string_view long_folder_name(std::string_view part) noexcept {
    if (part == "progra~1") return "program files";
    if (part == "progra~2") return "program files (x86)";
    if (part == "progra~3") return "programdata";
    if (part == "docume~1") return "documents and settings";
    return part;
}

// True when normalize_path's component loop would copy v (the path after its root)
// unchanged: no empty, "." or ".." component (conservatively: none starting with a
// dot), none ending in a dot or space, no 8.3 name to expand ('~') and far fewer
// components than the loop's limit. Most paths are like this.
[[nodiscard]] constexpr bool is_plain_path_rest(std::string_view v) noexcept {
    std::size_t separators = 0;
    char prev = '\\';  // v starts a component
    for (const char c : v) {
        if (c == '~') return false;
        if (c == '\\') {
            if (prev == '\\' || prev == '.' || prev == ' ') return false;
            ++separators;
        } else if (c == '.' && prev == '\\') {
            return false;
        }
        prev = c;
    }
    return (v.empty() || (prev != '\\' && prev != '.' && prev != ' ')) && separators < 200;
}

// See normalize_path in wmisub/payload/analysis.hpp. Components are appended to the
// output as they come; `..` removes the last one, so no list is built.
// Paths are normalized many times per analysis: short ones without variables
// are lower-cased in a stack buffer, and the result goes into `out`, whose
// capacity a caller can reuse from one path to the next.
inline void normalize_path_into(std::string_view raw, std::string& out) {
    out.clear();
    const std::string_view s = strip_quotes(trim(raw));
    std::string expanded;
    std::array<char, 512> small;
    char* text = small.data();
    std::string_view src = s;
    if (s.find('%') != std::string_view::npos || s.find('$') != std::string_view::npos) {
        expanded = expand_path_variables(s);
        src = expanded;
        text = expanded.data();
    } else if (s.size() > small.size()) {
        expanded.assign(s);
        text = expanded.data();
    }
    for (std::size_t i = 0; i < src.size(); ++i) {
        const char c = src[i];
        text[i] = c == '/' ? '\\' : lc(c);
    }
    out.reserve(src.size());
    std::string_view v = take_path_root(std::string_view(text, src.size()), out);
    if (is_plain_path_rest(v)) {
        out.append(v);
        return;
    }
    const bool rooted = !out.empty();
    const std::size_t root = out.size();
    std::size_t count = 0;
    std::size_t pos = 0;
    while (pos <= v.size() && count <= 256) {
        std::size_t next = v.find('\\', pos);
        if (next == std::string_view::npos) next = v.size();
        std::string_view part = v.substr(pos, next - pos);
        pos = next + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            const std::size_t last = out.rfind('\\');
            const std::size_t last_start = last == std::string::npos || last < root ? root : last + 1;
            if (count > 0 && std::string_view(out).substr(last_start) != "..") {
                out.resize(last_start > root ? last_start - 1 : root);
                --count;
                continue;
            }
            if (rooted) continue;
        } else {
            // Win32 drops trailing dots and spaces of each component ("cmd.exe." is cmd.exe).
            while (!part.empty() && (part.back() == '.' || part.back() == ' ')) part.remove_suffix(1);
            if (part.empty()) continue;
        }
        if (count > 0) out.push_back('\\');
        out.append(long_folder_name(part));
        ++count;
    }
}

// normalize_path_into with a fresh string.
[[nodiscard]] inline std::string normalize_path(std::string_view raw) {
    std::string out;
    normalize_path_into(raw, out);
    return out;
}

// The last component of a normalized path ("powershell.exe").
// A backward loop rather than find_last_of: that one calls memchr on the set for every character.
[[nodiscard]] constexpr std::string_view path_basename(std::string_view path) noexcept {
    std::size_t start = path.size();
    while (start > 0 && path[start - 1] != '\\' && path[start - 1] != '/') --start;
    std::string_view base = path.substr(start);
    // "C:name" (drive-relative) keeps only the name.
    if (base.size() >= 2 && base[1] == ':' && start == 0) base.remove_prefix(2);
    return base;
}

// The directory part of a normalized path, without the trailing separator ("" when none).
[[nodiscard]] constexpr std::string_view path_directory(std::string_view path) noexcept {
    const std::size_t slash = path.find_last_of('\\');
    return slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
}

// The extension of a file name with its dot, or "" ("x.tar.gz" -> ".gz"). Streams (`:x`) are ignored.
[[nodiscard]] constexpr std::string_view path_extension(std::string_view name) noexcept {
    name = path_basename(name);
    const std::size_t colon = name.find(':');
    if (colon != std::string_view::npos) name = name.substr(0, colon);
    const std::size_t dot = name.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : name.substr(dot);
}

// The stream name of `file:stream[:$DATA]` paths, or "" (drive letters and `::` are not streams).
[[nodiscard]] constexpr std::string_view path_stream(std::string_view path) noexcept {
    std::size_t after = path.size();  // just past the last separator, 0 when there is none
    while (after > 0 && path[after - 1] != '\\' && path[after - 1] != '/') --after;
    const std::size_t slash = after == 0 ? std::string_view::npos : after - 1;
    std::size_t start = after;
    if (slash == std::string_view::npos && path.size() >= 2 && path[1] == ':') start = 2;
    const std::string_view base = path.substr(start);
    const std::size_t colon = base.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 >= base.size() || base[colon + 1] == ':') return {};
    if (slash == std::string_view::npos && start == 0) return {};  // no directory: could be `scheme:` text
    return base.substr(colon + 1);
}

// True for "x:\..." and "\\host\..." paths.
[[nodiscard]] constexpr bool is_absolute_path(std::string_view normalized) noexcept {
    return (normalized.size() >= 3 && is_alpha(normalized[0]) && normalized[1] == ':' && normalized[2] == '\\') ||
           has_prefix(normalized, "\\\\");
}

// True for a UNC path to another machine (not `\\.\`, `\\?\`, `\\localhost\`).
[[nodiscard]] inline bool is_remote_unc(std::string_view normalized) noexcept {
    if (!has_prefix(normalized, "\\\\") || normalized.size() < 3) return false;
    const std::string_view rest = normalized.substr(2);
    const std::string_view host = rest.substr(0, rest.find('\\'));
    return !(host.empty() || host == "." || host == "?" || host == "localhost" || host == "127.0.0.1" ||
             host == "[::1]");
}

// The path below the drive ("windows\temp\x" for "c:\windows\temp\x"), or the path itself.
[[nodiscard]] constexpr std::string_view below_drive(std::string_view normalized) noexcept {
    if (normalized.size() >= 3 && is_alpha(normalized[0]) && normalized[1] == ':' && normalized[2] == '\\') {
        return normalized.substr(3);
    }
    if (has_prefix(normalized, "\\") && !has_prefix(normalized, "\\\\")) return normalized.substr(1);
    return normalized;
}

// Directories under %windir% that ordinary users may create files in (AppLocker bypass lists).
inline constexpr std::array<std::string_view, 22> windows_writable_dirs = {
    "windows\\tasks\\",
    "windows\\tracing\\",
    "windows\\system32\\spool\\drivers\\color\\",
    "windows\\system32\\spool\\printers\\",
    "windows\\system32\\spool\\servers\\",
    "windows\\system32\\tasks\\",
    "windows\\system32\\tasks_migrated\\",
    "windows\\system32\\microsoft\\crypto\\rsa\\machinekeys\\",
    "windows\\system32\\fxstmp\\",
    "windows\\system32\\com\\dmp\\",
    "windows\\syswow64\\tasks\\",
    "windows\\syswow64\\com\\dmp\\",
    "windows\\syswow64\\fxstmp\\",
    "windows\\syswow64\\tasks_migrated\\",
    "windows\\registration\\crmlog\\",
    "windows\\debug\\wia\\",
    "windows\\pla\\reports\\",
    "windows\\pla\\rules\\",
    "windows\\pla\\templates\\",
    "windows\\servicing\\packages\\",
    "windows\\system32\\logfiles\\wmi\\",
    "windows\\system32\\wbem\\logs\\",
};

// classify_writable tests the "windows\\" prefix once before this list, then the letter after it.
[[nodiscard]] constexpr bool windows_writable_dirs_prefixed() noexcept {
    for (std::string_view d : windows_writable_dirs) {
        if (!has_prefix(d, "windows\\") || d.size() <= 8) return false;
    }
    return true;
}
static_assert(windows_writable_dirs_prefixed(), "windows_writable_dirs entries must start with windows\\ and go on");

// Which profile a path below a profiles folder is in; `after` follows "users\\".
[[nodiscard]] inline std::optional<writable_location> classify_profile_path(std::string_view after) noexcept {
    const std::size_t slash = after.find('\\');
    if (slash == std::string_view::npos) return std::nullopt;  // the profile folder itself
    const std::string_view user = after.substr(0, slash);
    if (user == "public") return writable_location::public_profile;
    if (user == "all users") return writable_location::program_data;
    if (user == "default" || user == "default user" || user == "defaultapppool") return std::nullopt;
    return writable_location::user_profile;
}

// A path below "windows\\" that users can write to: Temp or one of windows_writable_dirs.
[[nodiscard]] inline std::optional<writable_location> classify_windows_path(std::string_view rest) noexcept {
    if (has_prefix(rest, "windows\\temp\\")) return writable_location::windows_temp;
    // Entries differ mostly in the letter after "windows\\": compare it before the whole prefix.
    const char after_windows = rest.size() > 8 ? rest[8] : '\0';
    for (std::string_view dir : windows_writable_dirs) {
        if (dir[8] == after_windows && prefix_equal(rest, dir)) return writable_location::windows_writable;
    }
    return std::nullopt;
}

// Where a normalized path points if ordinary users can write there.
[[nodiscard]] inline std::optional<writable_location> classify_writable(std::string_view normalized) noexcept {
    if (has_prefix(normalized, "\\\\")) return std::nullopt;
    if (has_prefix(normalized, "%temp%") || has_prefix(normalized, "%tmp%")) return writable_location::temp;
    const std::string_view rest = below_drive(normalized);
    // The locations' first letters tell them apart: test only the prefixes that can match.
    switch (rest.empty() ? '\0' : rest.front()) {
    case 'u':
        if (has_prefix(rest, "users\\")) return classify_profile_path(rest.substr(6));
        break;
    case 'd':
        if (has_prefix(rest, "documents and settings\\")) return classify_profile_path(rest.substr(23));
        break;
    case 'w':
        if (has_prefix(rest, "windows\\")) return classify_windows_path(rest);
        break;
    case 'p':
        if (has_prefix(rest, "programdata\\")) return writable_location::program_data;
        if (has_prefix(rest, "perflogs\\")) return writable_location::perflogs;
        break;
    case '$':
        if (has_prefix(rest, "$recycle.bin\\")) return writable_location::recycle_bin;
        break;
    case 'r':
        if (has_prefix(rest, "recycler\\")) return writable_location::recycle_bin;
        break;
    case 't':
        if (has_prefix(rest, "temp\\") || has_prefix(rest, "tmp\\")) return writable_location::root_temp;
        break;
    default: break;
    }
    return std::nullopt;
}

// True when a program in this writable location should count as running from a writable place.
// ProgramData holds vendor programs in locked-down folders; only files directly in it count.
[[nodiscard]] inline bool writable_for_execution(std::string_view normalized, writable_location w) noexcept {
    if (w != writable_location::program_data) return true;
    const std::string_view rest = below_drive(normalized);
    const std::string_view after = rest.substr(std::min(rest.size(), std::string_view("programdata\\").size()));
    return after.find('\\') == std::string_view::npos;
}

// Places whose files run automatically, found anywhere in a normalized path.
struct autostart_rule {
    std::string_view needle;
    std::string_view what;
};
inline constexpr std::array<autostart_rule, 14> autostart_rules = {{
    {"\\start menu\\programs\\startup\\", "Startup folder"},
    {"\\windows\\system32\\wbem\\mof\\", "WMI MOF auto-compile directory"},
    {"\\windows\\syswow64\\wbem\\mof\\", "WMI MOF auto-compile directory"},
    {"\\grouppolicy\\machine\\scripts\\", "Group Policy scripts"},
    {"\\grouppolicy\\user\\scripts\\", "Group Policy scripts"},
    {"\\windows\\tasks\\", "Task Scheduler job folder"},
    {"\\windows\\system32\\tasks\\", "Task Scheduler task folder"},
    {"\\windowspowershell\\v1.0\\profile.ps1", "PowerShell all-users profile"},
    {"\\windowspowershell\\v1.0\\microsoft.powershell_profile.ps1", "PowerShell all-users profile"},
    {"\\windowspowershell\\profile.ps1", "PowerShell profile"},
    {"\\windowspowershell\\microsoft.powershell_profile.ps1", "PowerShell profile"},
    {"\\powershell\\microsoft.powershell_profile.ps1", "PowerShell profile"},
    {"\\microsoft\\word\\startup\\", "Office startup folder"},
    {"\\microsoft\\excel\\xlstart\\", "Office startup folder"},
}};

// What autostart location a normalized path is in, or "" when none.
[[nodiscard]] inline std::string_view autostart_location(std::string_view normalized) noexcept {
    for (const autostart_rule& r : autostart_rules) {
        if (normalized.find(r.needle) != std::string_view::npos) return r.what;
    }
    const std::string_view rest = below_drive(normalized);
    if (has_prefix(rest, "windows\\system32\\") || has_prefix(rest, "windows\\syswow64\\")) {
        const std::string_view base = path_basename(rest);
        for (std::string_view b : {"sethc.exe", "utilman.exe", "osk.exe", "magnify.exe", "narrator.exe",
                                   "displayswitch.exe", "atbroker.exe"}) {
            if (base == b && path_directory(rest).size() == std::string_view("windows\\system32").size()) {
                return "accessibility binary (logon-screen backdoor)";
            }
        }
    }
    return {};
}

// autostart_location(normalized + "\\") for a path in which autostart_location(normalized)
// found nothing, without building that string: then only a needle ending in '\\' can
// match, and only at the very end (the accessibility check needs a file name).
[[nodiscard]] inline std::string_view autostart_directory_location(std::string_view normalized) noexcept {
    for (const autostart_rule& r : autostart_rules) {
        if (r.needle.back() == '\\' && normalized.ends_with(r.needle.substr(0, r.needle.size() - 1))) return r.what;
    }
    return {};
}

// True for directories Windows ships system binaries in.
[[nodiscard]] inline bool is_windows_directory(std::string_view normalized_dir) noexcept {
    const std::string_view rest = below_drive(normalized_dir);
    return rest == "windows" || has_prefix(rest, "windows\\");
}

// Extensions of files that run code when opened, loaded or executed.
inline constexpr std::array<std::string_view, 37> executable_extensions = {
    ".exe", ".dll", ".scr", ".com", ".pif", ".cpl", ".ocx", ".sys", ".bat", ".cmd", ".ps1", ".psm1", ".vbs",
    ".vbe", ".js", ".jse", ".wsf", ".wsh", ".hta", ".sct", ".lnk", ".url", ".msi", ".msp", ".jar", ".inf",
    ".reg", ".xll", ".chm", ".scf", ".application", ".mof", ".xsl", ".job", ".appref-ms", ".gadget", ".drv",
};

[[nodiscard]] inline bool is_executable_extension(std::string_view ext) noexcept {
    for (std::string_view e : executable_extensions) {
        if (ieq(e, ext)) return true;
    }
    return false;
}

// System binaries attackers name their programs after (masquerading, T1036.005).
inline constexpr std::array<std::string_view, 44> protected_binaries = {
    "svchost.exe",  "lsass.exe",        "csrss.exe",     "winlogon.exe",   "services.exe",  "smss.exe",
    "wininit.exe",  "explorer.exe",     "taskhost.exe",  "taskhostw.exe",  "spoolsv.exe",   "dllhost.exe",
    "conhost.exe",  "rundll32.exe",     "regsvr32.exe",  "cmd.exe",        "powershell.exe", "wmiprvse.exe",
    "scrcons.exe",  "lsm.exe",          "ctfmon.exe",    "sihost.exe",     "searchindexer.exe", "runtimebroker.exe",
    "dwm.exe",      "audiodg.exe",      "wuauclt.exe",   "mshta.exe",      "wscript.exe",   "cscript.exe",
    "msiexec.exe",  "taskmgr.exe",      "userinit.exe",  "notepad.exe",    "certutil.exe",  "schtasks.exe",
    "sc.exe",       "net.exe",          "reg.exe",       "wmic.exe",       "werfault.exe",  "consent.exe",
    "fontdrvhost.exe", "lsaiso.exe",
};

[[nodiscard]] inline bool is_protected_binary(std::string_view basename) noexcept {
    for (std::string_view b : protected_binaries) {
        if (b == basename) return true;
    }
    return false;
}

// ---------------------------------------------------------------------------
// Decoding helpers
// ---------------------------------------------------------------------------

// Base64 as real payloads carry it: whitespace, quotes and stray characters
// skipped, padding optional, URL-safe digits accepted. Decodes at most
// max_out bytes; nullopt when fewer than 4 digits remain.
[[nodiscard]] inline std::optional<std::string> decode_base64_lenient(std::string_view text, std::size_t max_out) {
    // One pass straight from the text (no copy of the digits); a lone final digit is dropped afterwards.
    const std::size_t limit = max_out / 3 * 4 + 4;
    std::string out(std::min(text.size(), limit) / 4 * 3 + 3, '\0');
    std::size_t count = 0;
    std::size_t o = 0;
    std::uint32_t bits = 0;
    for (const char c : text) {
        if (char_is(c, cc_alpha | cc_digit | cc_b64_sign | cc_b64_url)) {
            bits = (bits << 6) | static_cast<std::uint32_t>(base64_decode_table[static_cast<unsigned char>(c)]);
            if (++count % 4 == 0) {
                out[o++] = static_cast<char>((bits >> 16) & 0xFFu);
                out[o++] = static_cast<char>((bits >> 8) & 0xFFu);
                out[o++] = static_cast<char>(bits & 0xFFu);
                bits = 0;
            }
            if (count >= limit) break;
        } else if (c == '=') {
            break;
        }
    }
    if (count % 4 == 1) --count;  // a lone final digit carries no whole byte
    if (count < 4) return std::nullopt;
    if (count % 4 == 2) {
        out[o++] = static_cast<char>((bits >> 4) & 0xFFu);
    } else if (count % 4 == 3) {
        out[o++] = static_cast<char>((bits >> 10) & 0xFFu);
        out[o++] = static_cast<char>((bits >> 2) & 0xFFu);
    }
    out.resize(std::min(o, max_out));
    return out;
}

// Hex digits (optionally 0x- or \x-prefixed pairs, separators skipped) to bytes.
[[nodiscard]] inline std::string decode_hex_lenient(std::string_view text, std::size_t max_out) {
    std::string out;
    int pending = -1;
    for (std::size_t i = 0; i < text.size() && out.size() < max_out; ++i) {
        const char c = text[i];
        if ((c == 'x' || c == 'X') && pending == 0 && i > 0 && text[i - 1] == '0') {
            pending = -1;  // "0x" prefix
            continue;
        }
        const int v = hex_value(c);
        if (v < 0) {
            pending = -1;
            continue;
        }
        if (pending < 0) {
            pending = v;
        } else {
            out.push_back(static_cast<char>((pending << 4) | v));
            pending = -1;
        }
    }
    return out;
}

// True when bytes look like mostly-ASCII UTF-16LE text (NULs at odd offsets).
[[nodiscard]] inline bool looks_utf16le(std::string_view bytes) noexcept {
    if (bytes.size() < 4) return false;
    const std::size_t units = std::min<std::size_t>(bytes.size() / 2, 2048);
    std::size_t ascii = 0;
    for (std::size_t i = 0; i < units; ++i) {
        const auto lo = static_cast<unsigned char>(bytes[2 * i]);
        const auto hi = static_cast<unsigned char>(bytes[2 * i + 1]);
        if (hi == 0 && lo != 0) ++ascii;
    }
    return ascii * 10 >= units * 7;
}

// Share (0..100) of bytes in the first 4 KiB that are printable ASCII, whitespace or UTF-8 multibyte.
[[nodiscard]] inline unsigned printable_percent(std::string_view text) noexcept {
    const std::size_t n = std::min<std::size_t>(text.size(), 4096);
    if (n == 0) return 0;
    std::size_t good = 0;
    const std::string_view head = text.substr(0, n);
    for (std::size_t i = 0; i < n;) {
        const auto c = static_cast<unsigned char>(head[i]);
        if (c < 0x80) {
            if ((c >= 0x20 && c < 0x7F) || c == '\n' || c == '\r' || c == '\t') ++good;
            ++i;
            continue;
        }
        const decode_step step = decode_utf8(head, i);
        if (step.valid) good += step.length;
        i += step.length == 0 ? 1 : step.length;
    }
    return static_cast<unsigned>(good * 100 / n);
}

// True for a Windows PE image (MZ header whose e_lfanew points at "PE\0\0"), or an MZ stub with the DOS message.
[[nodiscard]] inline bool looks_pe(std::string_view bytes) noexcept {
    if (bytes.size() < 64 || bytes[0] != 'M' || bytes[1] != 'Z') return false;
    const std::uint32_t lfanew = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[60])) |
                                 (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[61])) << 8) |
                                 (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[62])) << 16) |
                                 (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[63])) << 24);
    if (lfanew + 4 <= bytes.size() && bytes.substr(lfanew, 4) == std::string_view("PE\0\0", 4)) return true;
    return bytes.substr(0, 512).find("program cannot be run in DOS mode") != std::string_view::npos;
}

}  // namespace detail
WMISUB_NAMESPACE_END
