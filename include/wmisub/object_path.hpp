// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// WMI object paths: `[\\server\ns1\ns2:]Class[.Key=value{,Key=value}]`,
// `Class=@` and `Class=value`. Bindings name their filter and consumer with
// such paths, written by hand, by WMI, or copied out of event logs, so the
// same object turns up spelled many ways. The parser accepts all of them and
// identity_key / operator== decide whether two spellings name one object.
//
// Parsing rules beyond the grammar (specs.md section 4):
// - `\` and `/` are both separators, mixed freely; `\\` or `//` starts a server.
// - Whitespace around `:`, `.`, `=`, `,` and at either end is skipped (tools
//   emit it); whitespace inside a name is an error.
// - In quoted values `\"`, `\'` and `\\` are escapes. Any other backslash is
//   kept as text, because hand-written Windows paths (`"C:\Temp"`) are far
//   more common in key values than C escapes like `\n`.
// - Integers are decimal or 0x-hex, normalised to decimal, and must fit in
//   64 bits (signed when negative). Booleans are TRUE/FALSE in any case.
// - Duplicate key names are rejected: WMI itself would, and a canonical
//   identity needs each key once.
// - A string value that is itself a reference is parsed once more to bound
//   how deeply references nest (WMISUB_MAX_NESTING).
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

static_assert(WMISUB_MAX_PATH_KEYS >= 1, "WMISUB_MAX_PATH_KEYS must allow at least one key");

WMISUB_NAMESPACE_BEGIN

// How a key value was written, which decides how it compares and prints.
enum class key_value_kind { string, integer, boolean };

// One `Key=value` binding of an instance path.
struct path_key {
    std::string name;  // empty for the `Class="v"` shorthand
    key_value_kind kind = key_value_kind::string;
    std::string value;  // unescaped text; decimal digits for integers; "TRUE"/"FALSE" for booleans

    // Exact (case-sensitive) equality of the parsed form; identity lives on object_path.
    friend bool operator==(const path_key&, const path_key&) = default;
};

// True when `server` (of an object path) names the machine called `host`:
// equal ignoring case, or one is the first DNS label of the other, as a
// NetBIOS name (`WS01`) is of the machine's DNS name (`ws01.corp.example`).
// False when either is empty.
[[nodiscard]] inline bool same_machine(std::string_view server, std::string_view host) noexcept {
    if (server.empty() || host.empty()) return false;
    if (iequals(server, host)) return true;
    const auto first_label = [](std::string_view name) { return name.substr(0, name.find('.')); };
    const bool server_short = server.find('.') == std::string_view::npos;
    const bool host_short = host.find('.') == std::string_view::npos;
    if (server_short == host_short) return false;  // two DNS names (or two NetBIOS names) must match whole
    return iequals(first_label(server), first_label(host));
}

// A parsed WMI object path: a namespace, class, singleton or instance path.
struct object_path {
    std::string server;          // "" when absent, "." for local
    std::string namespace_path;  // backslash-separated, no leading/trailing separator, case kept; "" when absent
    std::string class_name;      // "" for a pure namespace path
    bool singleton = false;      // Class=@
    std::vector<path_key> keys;  // in source order

    // True when the path names this machine: no server, ".", or "localhost".
    [[nodiscard]] bool is_local() const noexcept {
        return server.empty() || server == "." || iequals(server, "localhost");
    }

    // True when the path has no namespace, so it means "in the namespace it was found in".
    [[nodiscard]] bool is_relative() const noexcept { return namespace_path.empty(); }

    // The key called name (case-insensitive). The single unnamed key of the
    // `Class="v"` shorthand matches any name, since its real name is unknown here.
    [[nodiscard]] const path_key* find_key(std::string_view name) const noexcept WMISUB_LIFETIMEBOUND {
        for (const path_key& key : keys) {
            if (iequals(key.name, name)) return &key;
        }
        if (keys.size() == 1 && keys.front().name.empty()) return &keys.front();
        return nullptr;
    }
};

namespace detail {

[[nodiscard]] constexpr bool opath_is_separator(char c) noexcept { return c == '\\' || c == '/'; }
[[nodiscard]] constexpr bool opath_is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
[[nodiscard]] constexpr bool opath_is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Letters, digits, underscore and any non-ASCII byte (WMI names may be Unicode).
[[nodiscard]] constexpr bool opath_is_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || opath_is_digit(c) || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}

[[nodiscard]] constexpr bool opath_is_name_start(char c) noexcept { return opath_is_name_char(c) && !opath_is_digit(c); }

// Vendors put dashes in namespace names, so those are a little looser than class names.
[[nodiscard]] constexpr bool opath_is_namespace_char(char c) noexcept { return opath_is_name_char(c) || c == '-'; }
[[nodiscard]] constexpr bool opath_is_server_char(char c) noexcept {
    return opath_is_namespace_char(c) || c == '.';
}

// The value of a hex digit, or 16 for anything else.
[[nodiscard]] constexpr unsigned opath_hex_value(char c) noexcept {
    if (opath_is_digit(c)) return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    return 16;
}

}  // namespace detail

// Parses an object path; errors are syntax_error or limit_exceeded with the byte offset of the problem.
[[nodiscard]] WMISUB_API result<object_path> parse_object_path(std::string_view text);

// Escapes raw as a double-quoted key value (quotes included): the inverse of the parser's unescaping.
[[nodiscard]] WMISUB_API std::string quote_key_value(std::string_view raw) noexcept;

// Formats as WMI does, `\\server\ns:Class.Key="v",K2=3`; parse_object_path reads it back unchanged.
// A server without a namespace cannot be written and is left out. Empty on allocation failure.
[[nodiscard]] WMISUB_API std::string to_string(const object_path& path) noexcept;

// Canonical text with exactly the equivalence of operator==, for hashing and lookup:
// folded server (only when remote), namespace and class; keys sorted by folded
// name (the name dropped when there is one key, as the class implies it); string
// values folded, or canonicalised as paths when they are references (relative
// ones resolved against this path's namespace), down to WMISUB_MAX_NESTING levels.
// Kinds stay distinct: `K=1`, `K="1"` and `K=TRUE`/`K="TRUE"` differ.
// Empty only for an empty path or on allocation failure.
[[nodiscard]] WMISUB_API std::string identity_key(const object_path& path) noexcept;

// WMI identity: case-insensitive names and string values, key order ignored,
// integers by value, references compared as paths, server ignored when both
// are local. A relative path never equals an absolute one: resolve_relative first.
[[nodiscard]] WMISUB_API bool operator==(const object_path& a, const object_path& b) noexcept;

// Places a relative path in namespace_path (e.g. the namespace a binding was
// found in; separators of either kind), so it can be compared with absolute paths.
// Absolute paths are returned unchanged.
[[nodiscard]] WMISUB_API object_path resolve_relative(object_path path, std::string_view namespace_path);

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/object_path.inl"
#endif
