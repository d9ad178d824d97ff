// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The WQL syntax tree: what parse_wql() returns and analyze_wql() reads.
// Every node keeps the byte offset where it starts in the query text.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/object_path.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// The statement families of WQL.
enum class wql_query_kind : std::uint8_t {
    data,         // SELECT … FROM Win32_Process
    event,        // SELECT … FROM __InstanceCreationEvent WITHIN 5 …
    schema,       // SELECT * FROM meta_class …
    associators,  // ASSOCIATORS OF {path} WHERE …
    references,   // REFERENCES OF {path} WHERE …
};

[[nodiscard]] constexpr std::string_view to_string(wql_query_kind k) noexcept {
    switch (k) {
    case wql_query_kind::data: return "data";
    case wql_query_kind::event: return "event";
    case wql_query_kind::schema: return "schema";
    case wql_query_kind::associators: return "associators";
    case wql_query_kind::references: return "references";
    }
    return "data";
}

// Comparison operators; `<>` and `!=` are the same operator.
enum class wql_operator : std::uint8_t { equal, not_equal, less, less_equal, greater, greater_equal };

[[nodiscard]] constexpr std::string_view to_string(wql_operator op) noexcept {
    switch (op) {
    case wql_operator::equal: return "=";
    case wql_operator::not_equal: return "<>";
    case wql_operator::less: return "<";
    case wql_operator::less_equal: return "<=";
    case wql_operator::greater: return ">";
    case wql_operator::greater_equal: return ">=";
    }
    return "=";
}

// The operator that holds when the operands swap sides: `5 < x` is `x > 5`.
[[nodiscard]] constexpr wql_operator mirrored(wql_operator op) noexcept {
    switch (op) {
    case wql_operator::less: return wql_operator::greater;
    case wql_operator::less_equal: return wql_operator::greater_equal;
    case wql_operator::greater: return wql_operator::less;
    case wql_operator::greater_equal: return wql_operator::less_equal;
    default: return op;
    }
}

// A constant in a query.
struct wql_literal {
    enum class type : std::uint8_t { string, integer, real, boolean, null };

    type kind = type::null;
    std::string text;         // unescaped contents for strings; the digits for numbers
    std::size_t raw_length = 0;  // bytes of the source slice at `offset`, quotes included
    std::int64_t integer = 0;
    double real = 0.0;        // numbers of either kind, as a double
    bool boolean = false;
    std::size_t offset = 0;

    [[nodiscard]] bool is_number() const noexcept { return kind == type::integer || kind == type::real; }
};

// A property, possibly dotted into embedded objects: `TargetInstance.Name`.
// Kept as one dotted string (names never contain dots), split on demand.
struct wql_property {
    std::string path;  // as written
    std::size_t offset = 0;

    // Number of dotted parts.
    [[nodiscard]] std::size_t size() const noexcept {
        return path.empty() ? 0 : static_cast<std::size_t>(std::count(path.begin(), path.end(), '.')) + 1;
    }
    // The i-th dotted part; empty past the end.
    [[nodiscard]] std::string_view part(std::size_t i) const noexcept {
        std::string_view rest = path;
        for (; i > 0; --i) {
            const std::size_t dot = rest.find('.');
            if (dot == std::string_view::npos) return {};
            rest.remove_prefix(dot + 1);
        }
        return rest.substr(0, rest.find('.'));
    }
    // The dotted text as written.
    [[nodiscard]] const std::string& to_string() const noexcept { return path; }
};

// Kinds of expression nodes.
enum class wql_node_kind : std::uint8_t {
    any_of,   // OR of children
    all_of,   // AND of children
    negation, // NOT of one child
    compare,  // property op literal
    is_null,  // property IS [NOT] NULL
    isa,      // property ISA 'Class'
    like,     // property LIKE 'pattern'
};

// One node of a WHERE or HAVING expression. AND/OR are n-ary so long chains
// stay flat; nodes refer to each other by index into wql_query::nodes.
struct wql_node {
    wql_node_kind kind = wql_node_kind::compare;
    std::size_t offset = 0;
    std::vector<std::uint32_t> children;   // any_of, all_of, negation
    wql_property property;                 // predicates
    wql_operator op = wql_operator::equal; // compare
    bool operands_swapped = false;         // the constant was written first (`5 < x`)
    bool is_not = false;                   // IS NOT NULL
    wql_literal value;                     // compare value, ISA class, LIKE pattern
};

// `GROUP WITHIN n [BY …] [HAVING …]`.
struct wql_group {
    double within_seconds = 0.0;
    std::vector<wql_property> by;
    std::optional<std::uint32_t> having;  // index into wql_query::nodes
    std::size_t offset = 0;
};

// One `Keyword [= Value]` of an ASSOCIATORS OF / REFERENCES OF WHERE clause.
struct wql_association_clause {
    std::string keyword;  // as written
    std::string value;    // empty for flags such as ClassDefsOnly
    std::size_t offset = 0;
};

// A parsed query.
struct wql_query {
    wql_query_kind kind = wql_query_kind::data;
    std::string text;                       // the query as given
    std::vector<wql_property> select;       // empty means `*`
    std::string from_class;                 // SELECT queries
    std::size_t from_offset = 0;
    std::optional<double> within_seconds;   // polling interval
    std::vector<wql_node> nodes;            // WHERE and HAVING expressions
    std::optional<std::uint32_t> where;     // root of the WHERE expression
    std::optional<wql_group> group;
    object_path source_path;                // ASSOCIATORS OF / REFERENCES OF {path}
    std::vector<wql_association_clause> association_clauses;

};

WMISUB_NAMESPACE_END
