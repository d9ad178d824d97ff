// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/wql/query.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The canonical text of a query, so that spellings that WMI treats alike
// (keyword and name case, quotes, spacing, operand order, AND/OR order) give
// one content fingerprint.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql/ast.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Numbers print the same whatever their spelling: 60, 60.0 and 6e1 are "60".
[[nodiscard]] inline std::string canonical_number(double v) {
    if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 9.0e15) {
        return std::to_string(static_cast<std::int64_t>(v));
    }
    char buffer[64];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
    return ec == std::errc{} ? std::string(buffer, end) : std::string("0");
}

class wql_canonical_writer {
public:
    explicit wql_canonical_writer(const wql_query& query) : q_(query) {}

    [[nodiscard]] std::string run() const {
        if (q_.kind == wql_query_kind::associators || q_.kind == wql_query_kind::references) return association();
        std::string out = "SELECT " + select_list() + " FROM " + fold_case(q_.from_class);
        if (q_.within_seconds) out += " WITHIN " + canonical_number(*q_.within_seconds);
        if (q_.where) out += " WHERE " + expression(*q_.where);
        if (q_.group) out += group();
        return out;
    }

private:
    [[nodiscard]] static std::string property(const wql_property& p) { return fold_case(p.to_string()); }

    [[nodiscard]] std::string select_list() const {
        if (q_.select.empty()) return "*";
        std::vector<std::string> names;
        for (const wql_property& p : q_.select) names.push_back(property(p));
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        return join(names, ", ");
    }

    [[nodiscard]] std::string group() const {
        std::string out = " GROUP WITHIN " + canonical_number(q_.group->within_seconds);
        if (!q_.group->by.empty()) {
            std::vector<std::string> names;
            for (const wql_property& p : q_.group->by) names.push_back(property(p));
            out += " BY " + join(names, ", ");  // BY order decides the grouping key order: keep it
        }
        if (q_.group->having) out += " HAVING " + expression(*q_.group->having);
        return out;
    }

    [[nodiscard]] static std::string join(const std::vector<std::string>& parts, const char* separator) {
        std::string out;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (i != 0) out += separator;
            out += parts[i];
        }
        return out;
    }

    [[nodiscard]] static std::string literal(const wql_literal& v) {
        switch (v.kind) {
        case wql_literal::type::string: {
            std::string out = "'";
            for (char c : fold_case(v.text)) {
                if (c == '\'' || c == '\\') out += '\\';
                out += c;
            }
            return out + "'";
        }
        case wql_literal::type::integer: return std::to_string(v.integer);
        case wql_literal::type::real: return canonical_number(v.real);
        case wql_literal::type::boolean: return v.boolean ? "TRUE" : "FALSE";
        case wql_literal::type::null: return "NULL";
        }
        return "NULL";
    }

    // Children of an AND/OR, flattening nested nodes of the same kind (from parentheses).
    void collect_operands(std::uint32_t index, wql_node_kind kind, std::vector<std::string>& out) const {
        const wql_node& n = q_.nodes[index];
        for (std::uint32_t child : n.children) {
            if (q_.nodes[child].kind == kind) {
                collect_operands(child, kind, out);
            } else {
                out.push_back(operand(child, kind));
            }
        }
    }

    // An operand in the context of `parent`: OR inside AND or NOT needs parentheses.
    [[nodiscard]] std::string operand(std::uint32_t index, wql_node_kind parent) const {
        const wql_node_kind kind = effective_kind(index);
        const bool needs_parens = (kind == wql_node_kind::any_of && parent != wql_node_kind::any_of) ||
                                  (kind == wql_node_kind::all_of && parent == wql_node_kind::negation);
        const std::string text = expression(index);
        return needs_parens ? "(" + text + ")" : text;
    }

    // NOT NOT x is x.
    [[nodiscard]] std::uint32_t skip_double_negation(std::uint32_t index) const {
        while (q_.nodes[index].kind == wql_node_kind::negation &&
               q_.nodes[q_.nodes[index].children[0]].kind == wql_node_kind::negation) {
            index = q_.nodes[q_.nodes[index].children[0]].children[0];
        }
        return index;
    }

    [[nodiscard]] wql_node_kind effective_kind(std::uint32_t index) const {
        return q_.nodes[skip_double_negation(index)].kind;
    }

    [[nodiscard]] std::string expression(std::uint32_t index) const {
        index = skip_double_negation(index);
        const wql_node& n = q_.nodes[index];
        switch (n.kind) {
        case wql_node_kind::any_of:
        case wql_node_kind::all_of: {
            std::vector<std::string> parts;
            collect_operands(index, n.kind, parts);
            std::sort(parts.begin(), parts.end());
            return join(parts, n.kind == wql_node_kind::any_of ? " OR " : " AND ");
        }
        case wql_node_kind::negation: return "NOT " + operand(n.children[0], wql_node_kind::negation);
        case wql_node_kind::compare:
            return property(n.property) + " " + std::string(to_string(n.op)) + " " + literal(n.value);
        case wql_node_kind::is_null: return property(n.property) + (n.is_not ? " IS NOT NULL" : " IS NULL");
        case wql_node_kind::isa: return property(n.property) + " ISA " + literal(n.value);
        case wql_node_kind::like: return property(n.property) + " LIKE " + literal(n.value);
        }
        return {};
    }

    [[nodiscard]] std::string association() const {
        object_path path = q_.source_path;
        path.server = path.is_local() ? std::string() : fold_case(path.server);
        path.namespace_path = fold_case(path.namespace_path);
        path.class_name = fold_case(path.class_name);
        for (path_key& key : path.keys) {
            key.name = fold_case(key.name);
            if (key.kind == key_value_kind::string) key.value = fold_case(key.value);
        }
        std::sort(path.keys.begin(), path.keys.end(),
                  [](const path_key& a, const path_key& b) { return a.name < b.name; });
        std::string out = q_.kind == wql_query_kind::associators ? "ASSOCIATORS OF {" : "REFERENCES OF {";
        out += to_string(path) + "}";
        std::vector<std::string> clauses;
        for (const wql_association_clause& c : q_.association_clauses) {
            clauses.push_back(fold_case(c.keyword) + (c.value.empty() ? "" : " = " + fold_case(c.value)));
        }
        std::sort(clauses.begin(), clauses.end());
        if (!clauses.empty()) out += " WHERE " + join(clauses, " ");
        return out;
    }

    const wql_query& q_;
};

}  // namespace detail
WMISUB_NAMESPACE_END
