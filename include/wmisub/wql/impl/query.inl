// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/wql/query.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The definitions of parse_wql(), analyze_wql(), canonical_wql(), wql_like(),
// like_pattern() and describe().
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql/ast.hpp"
#include "wmisub/wql/impl/canonical.inl"
#include "wmisub/wql/impl/lexer.inl"
#include "wmisub/wql/impl/like.inl"
#include "wmisub/wql/impl/parser.inl"
#include "wmisub/wql/impl/trigger.inl"
#include "wmisub/wql/query.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

WMISUB_NAMESPACE_BEGIN

namespace detail {

// Parses into views of `text` (see wql_syntax): what parse_wql() and
// analyze_wql() share. Enforces WMI's 16,384-character query limit.
[[nodiscard]] inline result<void> parse_wql_syntax(std::string_view text, wql_syntax& out) {
    // Only a text of more bytes than the limit can have more characters.
    if (text.size() > wql_max_query_characters && utf8_length(text) > wql_max_query_characters) {
        error e = make_error(errc::limit_exceeded, "query longer than 16384 characters (WBEM_MAX_QUERY)",
                             wql_max_query_characters);
        e.expected = "a shorter query";
        return e;
    }
    return wql_parser(text, out).run();
}

}  // namespace detail

WMISUB_API result<wql_query> parse_wql(std::string_view text) {
#if WMISUB_EXCEPTIONS
    try {
#endif
        detail::wql_syntax syntax;
        if (auto parsed = detail::parse_wql_syntax(text, syntax); !parsed) return parsed.error();
        return detail::to_query(text, std::move(syntax));
#if WMISUB_EXCEPTIONS
    } catch (...) {
        return make_error(errc::limit_exceeded, "out of memory while parsing a query");
    }
#endif
}

WMISUB_API wql_analysis analyze_wql(const wql_query& query) {
    wql_analysis out;
    detail::wql_analyzer(detail::syntax_of(query), out).run();
    return out;
}

WMISUB_API result<wql_analysis> analyze_wql(std::string_view text) {
    detail::wql_syntax syntax;
#if WMISUB_EXCEPTIONS
    try {
#endif
        if (auto parsed = detail::parse_wql_syntax(text, syntax); !parsed) return parsed.error();
#if WMISUB_EXCEPTIONS
    } catch (...) {
        return make_error(errc::limit_exceeded, "out of memory while parsing a query");
    }
#endif
    return detail::analyze_syntax(syntax);
}

WMISUB_API std::string canonical_wql(const wql_query& query) { return detail::wql_canonical_writer(query).run(); }

WMISUB_API result<std::string> canonical_wql(std::string_view text) {
    auto query = parse_wql(text);
    if (!query) return query.error();
    return canonical_wql(*query);
}

WMISUB_API bool wql_like(std::string_view pattern, std::string_view text) noexcept {
    return detail::like_match(pattern, text);
}

WMISUB_API std::string like_pattern(const wql_query& query, const wql_node& node, like_backslash mode) {
    if (mode == like_backslash::escape || node.value.raw_length < 2) return node.value.text;
    return query.text.substr(node.value.offset + 1, node.value.raw_length - 2);  // the source between the quotes
}

WMISUB_API std::string describe(const trigger& t, std::optional<std::uint64_t> timer_interval_ms) {
    return detail::describe_trigger(t, timer_interval_ms);
}

WMISUB_NAMESPACE_END
