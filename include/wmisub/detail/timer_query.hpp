// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// IWYU pragma: private, include "wmisub/graph.hpp"
// Finds the TimerId a `__TimerEvent` filter waits for, so the graph can link
// the filter to its timer instruction. This reads only the tokens it needs;
// the full WQL parser and trigger analysis live in wmisub/wql.hpp.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/text.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// One WQL token, as far as timer linking needs: identifiers, string literals and punctuation.
struct timer_query_token {
    enum class kind { identifier, string, symbol } type;
    std::string text;  // unescaped for strings
};

// Reads a quoted WQL string at query[pos] (either quote, backslash escapes); advances pos.
[[nodiscard]] inline std::optional<std::string> read_wql_string(std::string_view query, std::size_t& pos) {
    const char quote = query[pos++];
    std::string out;
    while (pos < query.size()) {
        const char c = query[pos++];
        if (c == quote) return out;
        if (c == '\\' && pos < query.size()) {
            out += query[pos++];
            continue;
        }
        out += c;
    }
    return std::nullopt;  // unterminated: the query is broken, no TimerId
}

[[nodiscard]] inline bool is_wql_identifier_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           static_cast<unsigned char>(c) >= 0x80;
}

// Tokens of a query; nullopt when a string literal is unterminated.
[[nodiscard]] inline std::optional<std::vector<timer_query_token>> tokenize_timer_query(std::string_view query) {
    std::vector<timer_query_token> tokens;
    std::size_t pos = 0;
    while (pos < query.size()) {
        const char c = query[pos];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            ++pos;
        } else if (c == '\'' || c == '"') {
            auto s = read_wql_string(query, pos);
            if (!s) return std::nullopt;
            tokens.push_back({timer_query_token::kind::string, std::move(*s)});
        } else if (is_wql_identifier_char(c)) {
            const std::size_t start = pos;
            while (pos < query.size() && is_wql_identifier_char(query[pos])) ++pos;
            tokens.push_back({timer_query_token::kind::identifier, std::string(query.substr(start, pos - start))});
        } else {
            tokens.push_back({timer_query_token::kind::symbol, std::string(1, c)});
            ++pos;
        }
    }
    return tokens;
}

// True when tokens[i] is the identifier `name` (case-insensitive).
[[nodiscard]] inline bool is_identifier(const std::vector<timer_query_token>& tokens, std::size_t i,
                                        std::string_view name) {
    return i < tokens.size() && tokens[i].type == timer_query_token::kind::identifier && iequals(tokens[i].text, name);
}

// The TimerId compared with `=` in a query over `__TimerEvent`, in either operand order.
[[nodiscard]] inline std::optional<std::string> timer_id_of_query(std::string_view query) {
    const auto tokens = tokenize_timer_query(query);
    if (!tokens) return std::nullopt;
    const auto& t = *tokens;
    bool from_timer_event = false;
    for (std::size_t i = 0; i + 1 < t.size(); ++i) {
        if (is_identifier(t, i, "FROM") && is_identifier(t, i + 1, "__TimerEvent")) from_timer_event = true;
    }
    if (!from_timer_event) return std::nullopt;
    auto is_equals = [&](std::size_t i) { return i < t.size() && t[i].type == timer_query_token::kind::symbol && t[i].text == "="; };
    auto is_string = [&](std::size_t i) { return i < t.size() && t[i].type == timer_query_token::kind::string; };
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (!is_identifier(t, i, "TimerId")) continue;
        if (is_equals(i + 1) && is_string(i + 2)) return t[i + 2].text;
        if (i >= 2 && is_equals(i - 1) && is_string(i - 2)) return t[i - 2].text;
    }
    return std::nullopt;
}

}  // namespace detail
WMISUB_NAMESPACE_END
