// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// IWYU pragma: private, include "wmisub/wql.hpp"
// Recursive-descent WQL parser. Recursion happens only at parentheses and NOT,
// and is bounded by WMISUB_MAX_NESTING; AND/OR chains are parsed iteratively.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/detail/wql_lexer.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql_ast.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// Documented limits of WMI (wbemcli.h WBEM_MAX_QUERY, WBEM_E_*_NAME_TOO_WIDE).
inline constexpr std::size_t wql_max_query_characters = 16384;
inline constexpr std::size_t wql_max_name_characters = 255;

namespace detail {

// Number of code points in UTF-8 text (continuation bytes are not counted).
[[nodiscard]] inline std::size_t utf8_length(std::string_view s) noexcept {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    return n;
}

// Keywords that may only appear as keywords in a condition position.
[[nodiscard]] inline bool wql_is_reserved(std::string_view word) noexcept {
    constexpr std::string_view reserved[] = {"AND", "OR", "NOT", "IS", "ISA", "LIKE", "WHERE", "FROM",
                                             "SELECT", "WITHIN", "GROUP", "BY", "HAVING"};
    for (std::string_view r : reserved) {
        if (ascii_iequals(word, r)) return true;
    }
    return false;
}

class wql_parser {
public:
    wql_parser(std::string_view text, wql_tokens tokens) : text_(text), lexed_(std::move(tokens)), tokens_(lexed_.tokens) {
        query_.nodes.reserve(tokens_.size() / 3);
    }

    [[nodiscard]] result<wql_query> run() {
        query_.text = std::string(text_);
        if (is_keyword("SELECT")) {
            if (auto r = select_statement(); !r) return r.error();
        } else if (is_keyword("ASSOCIATORS") || is_keyword("REFERENCES")) {
            if (auto r = association_statement(); !r) return r.error();
        } else {
            return fail("a query must start with SELECT, ASSOCIATORS OF or REFERENCES OF", "SELECT");
        }
        if (peek().kind != wql_token_kind::end) return fail("unexpected text after the end of the query", "end of query");
        return std::move(query_);
    }

private:
    // --- token helpers ---------------------------------------------------------------------------

    [[nodiscard]] const wql_token& peek(std::size_t ahead = 0) const noexcept {
        const std::size_t i = pos_ + ahead;
        return i < tokens_.size() ? tokens_[i] : tokens_.back();
    }
    const wql_token& take() noexcept {
        const wql_token& t = peek();
        if (pos_ + 1 < tokens_.size()) ++pos_;
        return t;
    }
    [[nodiscard]] bool is_keyword(std::string_view word, std::size_t ahead = 0) const noexcept {
        const wql_token& t = peek(ahead);
        return t.kind == wql_token_kind::identifier && ascii_iequals(t.text, word);
    }
    [[nodiscard]] bool is_symbol(std::string_view s) const noexcept {
        return peek().kind == wql_token_kind::symbol && peek().text == s;
    }
    bool accept_keyword(std::string_view word) noexcept {
        if (!is_keyword(word)) return false;
        take();
        return true;
    }

    // An error at the current token: "found X", with what was expected.
    [[nodiscard]] error fail(std::string message, std::string expected, errc code = errc::syntax_error) const {
        const wql_token& t = peek();
        if (t.kind == wql_token_kind::end) {
            code = code == errc::syntax_error ? errc::unexpected_end : code;
            message += " (found end of query)";
        } else {
            message += " (found '" + std::string(t.text) + "')";
        }
        error e = make_error(code, std::move(message), t.offset);
        e.expected = std::move(expected);
        return e;
    }

    [[nodiscard]] result<void> expect_keyword(std::string_view word) {
        if (accept_keyword(word)) return {};
        return fail("expected " + std::string(word), "'" + std::string(word) + "'");
    }

    [[nodiscard]] result<std::string> name(const char* what) {
        if (peek().kind != wql_token_kind::identifier) return fail(std::string("expected ") + what, what);
        if (utf8_length(peek().text) > wql_max_name_characters) {
            return fail(std::string(what) + " longer than 255 characters", what, errc::limit_exceeded);
        }
        return std::string(take().text);
    }

    [[nodiscard]] result<double> number(const char* what) {
        const wql_token& t = peek();
        if (t.kind != wql_token_kind::integer && t.kind != wql_token_kind::real) {
            return fail(std::string("expected ") + what, "a number of seconds");
        }
        auto literal = number_literal(t);
        if (!literal) return literal.error();
        if (literal->real < 0) return fail(std::string(what) + " must not be negative", "a positive number");
        take();
        return literal->real;
    }

    // --- SELECT -------------------------------------------------------------------------------------

    [[nodiscard]] result<void> select_statement() {
        take();  // SELECT
        if (auto r = select_list(); !r) return r;
        if (auto r = expect_keyword("FROM"); !r) return r;
        query_.from_offset = peek().offset;
        auto cls = name("a class name");
        if (!cls) return cls.error();
        query_.from_class = std::move(*cls);
        if (accept_keyword("WITHIN")) {
            auto within = number("the WITHIN interval");
            if (!within) return within.error();
            query_.within_seconds = *within;
        }
        if (accept_keyword("WHERE")) {
            auto root = expression(0);
            if (!root) return root.error();
            query_.where = *root;
        }
        if (is_keyword("GROUP")) {
            if (auto r = group_clause(); !r) return r;
        }
        classify_select();
        if (query_.kind == wql_query_kind::schema && !query_.select.empty()) {
            return make_error(errc::syntax_error, "schema queries must select *", query_.from_offset);
        }
        if (query_.kind == wql_query_kind::schema && (query_.within_seconds || query_.group)) {
            return make_error(errc::syntax_error, "schema queries take no WITHIN or GROUP", query_.from_offset);
        }
        return {};
    }

    [[nodiscard]] result<void> select_list() {
        if (is_symbol("*")) {
            take();
            return {};
        }
        while (true) {
            auto prop = property_path();
            if (!prop) return prop.error();
            query_.select.push_back(std::move(*prop));
            if (!is_symbol(",")) return {};
            take();
        }
    }

    [[nodiscard]] result<wql_property> property_path() {
        wql_property prop;
        prop.offset = peek().offset;
        const std::size_t first = pos_;
        while (true) {
            if (peek().kind != wql_token_kind::identifier || wql_is_reserved(peek().text)) {
                return fail("expected a property name", "a property name");
            }
            if (utf8_length(peek().text) > wql_max_name_characters) {
                return fail("a property name longer than 255 characters", "a property name", errc::limit_exceeded);
            }
            take();
            if (!is_symbol(".")) break;
            take();
        }
        // The tokens are adjacent names and dots; spaces around dots are dropped.
        for (std::size_t i = first; i < pos_; ++i) prop.path += tokens_[i].text;
        return prop;
    }

    [[nodiscard]] result<void> group_clause() {
        wql_group group;
        group.offset = peek().offset;
        take();  // GROUP
        if (!is_keyword("WITHIN")) {
            return fail("GROUP requires WITHIN (WBEM_E_MISSING_GROUP_WITHIN)", "'WITHIN'");
        }
        take();
        auto within = number("the GROUP WITHIN interval");
        if (!within) return within.error();
        group.within_seconds = *within;
        if (accept_keyword("BY")) {
            while (true) {
                auto prop = property_path();
                if (!prop) return prop.error();
                group.by.push_back(std::move(*prop));
                if (!is_symbol(",")) break;
                take();
            }
        }
        if (accept_keyword("HAVING")) {
            having_ = true;
            auto root = expression(0);
            having_ = false;
            if (!root) return root.error();
            group.having = *root;
        }
        query_.group = std::move(group);
        return {};
    }

    // Event queries read from an event class, or poll (WITHIN / GROUP).
    void classify_select() {
        const std::string_view cls = query_.from_class;
        if (ascii_iequals(cls, "meta_class")) {
            query_.kind = wql_query_kind::schema;
        } else if (query_.within_seconds || query_.group || ascii_iends_with(cls, "Event") || ascii_iends_with(cls, "Trace")) {
            query_.kind = wql_query_kind::event;
        } else {
            query_.kind = wql_query_kind::data;
        }
    }

    // --- expressions --------------------------------------------------------------------------------

    std::uint32_t add_node(wql_node node) {
        query_.nodes.push_back(std::move(node));
        return static_cast<std::uint32_t>(query_.nodes.size() - 1);
    }

    // OR binds looser than AND; both are parsed as flat n-ary lists.
    [[nodiscard]] result<std::uint32_t> expression(std::size_t depth) {
        return binary_chain(depth, "OR", wql_node_kind::any_of);
    }

    [[nodiscard]] result<std::uint32_t> binary_chain(std::size_t depth, std::string_view keyword, wql_node_kind kind) {
        const std::size_t offset = peek().offset;
        auto first = kind == wql_node_kind::any_of ? binary_chain(depth, "AND", wql_node_kind::all_of) : unary(depth);
        if (!first) return first;
        if (!is_keyword(keyword)) return first;
        wql_node node;
        node.kind = kind;
        node.offset = offset;
        node.children.push_back(*first);
        while (accept_keyword(keyword)) {
            auto next = kind == wql_node_kind::any_of ? binary_chain(depth, "AND", wql_node_kind::all_of) : unary(depth);
            if (!next) return next;
            node.children.push_back(*next);
        }
        return add_node(std::move(node));
    }

    [[nodiscard]] result<std::uint32_t> unary(std::size_t depth) {
        if (depth >= WMISUB_MAX_NESTING) {
            return fail("conditions nested deeper than " + std::to_string(WMISUB_MAX_NESTING) + " levels",
                        "a shallower condition", errc::limit_exceeded);
        }
        if (is_keyword("NOT")) {
            wql_node node;
            node.kind = wql_node_kind::negation;
            node.offset = take().offset;
            auto inner = unary(depth + 1);
            if (!inner) return inner;
            node.children.push_back(*inner);
            return add_node(std::move(node));
        }
        if (is_symbol("(")) {
            take();
            auto inner = expression(depth + 1);
            if (!inner) return inner;
            if (!is_symbol(")")) return fail("expected ')'", "')'");
            take();
            return inner;
        }
        return predicate();
    }

    [[nodiscard]] bool at_literal() const noexcept {
        const wql_token& t = peek();
        if (t.kind == wql_token_kind::string || t.kind == wql_token_kind::integer || t.kind == wql_token_kind::real) {
            return true;
        }
        return t.kind == wql_token_kind::identifier &&
               (ascii_iequals(t.text, "TRUE") || ascii_iequals(t.text, "FALSE") || ascii_iequals(t.text, "NULL"));
    }

    [[nodiscard]] result<wql_literal> number_literal(const wql_token& t) const {
        wql_literal lit;
        lit.offset = t.offset;
        lit.raw_length = t.text.size();
        std::string_view digits = t.text;
        if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
        lit.text = std::string(digits);
        if (t.kind == wql_token_kind::integer) {
            lit.kind = wql_literal::type::integer;
            const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), lit.integer);
            if (ec != std::errc{} || ptr != digits.data() + digits.size()) {
                error e = make_error(errc::limit_exceeded, "integer out of 64-bit range", t.offset);
                e.expected = "an integer that fits 64 bits";
                return e;
            }
            lit.real = static_cast<double>(lit.integer);
        } else {
            lit.kind = wql_literal::type::real;
            // from_chars, unlike strtod, ignores the host's locale.
            const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), lit.real);
            if (ec != std::errc{} || ptr != digits.data() + digits.size()) {
                error e = make_error(errc::limit_exceeded, "real number out of range", t.offset);
                e.expected = "a representable number";
                return e;
            }
        }
        return lit;
    }

    [[nodiscard]] result<wql_literal> literal() {
        const wql_token& t = peek();
        wql_literal lit;
        lit.offset = t.offset;
        lit.raw_length = t.text.size();
        if (t.kind == wql_token_kind::string) {
            lit.kind = wql_literal::type::string;
            lit.text = std::string(t.value);
        } else if (t.kind == wql_token_kind::integer || t.kind == wql_token_kind::real) {
            auto number = number_literal(t);
            if (!number) return number;
            lit = std::move(*number);
        } else if (ascii_iequals(t.text, "NULL")) {
            lit.kind = wql_literal::type::null;
        } else {
            lit.kind = wql_literal::type::boolean;
            lit.boolean = ascii_iequals(t.text, "TRUE");
            lit.text = lit.boolean ? "TRUE" : "FALSE";
        }
        take();
        return lit;
    }

    [[nodiscard]] result<std::uint32_t> predicate() {
        if (at_literal()) return constant_first_comparison();
        auto prop = property_path();
        if (!prop) return prop.error();
        if (having_ && !ascii_iequals(prop->path, "NumberOfEvents")) {
            return make_error(errc::syntax_error, "HAVING may only test NumberOfEvents", prop->offset);
        }
        wql_node node;
        node.offset = prop->offset;
        node.property = std::move(*prop);
        if (accept_keyword("IS")) return is_null_tail(std::move(node));
        if (accept_keyword("ISA")) return string_operand_tail(std::move(node), wql_node_kind::isa, "a class name in quotes");
        if (accept_keyword("LIKE")) return string_operand_tail(std::move(node), wql_node_kind::like, "a pattern in quotes");
        auto op = comparison_operator();
        if (!op) return op.error();
        if (!at_literal()) {
            if (peek().kind == wql_token_kind::identifier) {
                return fail("a property may only be compared with a constant", "a constant");
            }
            return fail("expected a constant", "a string, number, TRUE, FALSE or NULL");
        }
        auto value = literal();
        if (!value) return value.error();
        return finish_comparison(std::move(node), *op, std::move(*value), false);
    }

    [[nodiscard]] result<std::uint32_t> constant_first_comparison() {
        auto value = literal();
        if (!value) return value.error();
        auto op = comparison_operator();
        if (!op) return op.error();
        if (at_literal()) return fail("two constants cannot be compared", "a property name");
        auto prop = property_path();
        if (!prop) return prop.error();
        wql_node node;
        node.offset = value->offset;
        node.property = std::move(*prop);
        return finish_comparison(std::move(node), mirrored(*op), std::move(*value), true);
    }

    // Booleans accept only equality; NULL is not ordered (where-clause.md).
    [[nodiscard]] result<std::uint32_t> finish_comparison(wql_node node, wql_operator op, wql_literal value, bool swapped) {
        const bool ordering = op != wql_operator::equal && op != wql_operator::not_equal;
        if (ordering && value.kind == wql_literal::type::boolean) {
            error e = make_error(errc::syntax_error, "TRUE and FALSE may only be compared with =, <> or !=", value.offset);
            e.expected = "'=', '<>' or '!='";
            return e;
        }
        if (ordering && value.kind == wql_literal::type::null) {
            error e = make_error(errc::syntax_error, "NULL cannot be ordered; use IS NULL or IS NOT NULL", value.offset);
            e.expected = "IS [NOT] NULL";
            return e;
        }
        node.kind = wql_node_kind::compare;
        node.op = op;
        node.value = std::move(value);
        node.operands_swapped = swapped;
        return add_node(std::move(node));
    }

    [[nodiscard]] result<wql_operator> comparison_operator() {
        const wql_token& t = peek();
        if (t.kind == wql_token_kind::symbol) {
            const std::string_view s = t.text;
            wql_operator op = wql_operator::equal;
            bool known = true;
            if (s == "=") op = wql_operator::equal;
            else if (s == "<>" || s == "!=") op = wql_operator::not_equal;
            else if (s == "<") op = wql_operator::less;
            else if (s == "<=") op = wql_operator::less_equal;
            else if (s == ">") op = wql_operator::greater;
            else if (s == ">=") op = wql_operator::greater_equal;
            else known = false;
            if (known) {
                take();
                return op;
            }
        }
        return fail("expected a comparison operator", "'=', '<>', '!=', '<', '<=', '>', '>=', IS, ISA or LIKE");
    }

    // IS is valid only with NULL (wql-operators.md).
    [[nodiscard]] result<std::uint32_t> is_null_tail(wql_node node) {
        node.kind = wql_node_kind::is_null;
        node.is_not = accept_keyword("NOT");
        if (!accept_keyword("NULL")) return fail("IS must be followed by [NOT] NULL", "NULL");
        return add_node(std::move(node));
    }

    [[nodiscard]] result<std::uint32_t> string_operand_tail(wql_node node, wql_node_kind kind, const char* expected) {
        if (peek().kind != wql_token_kind::string) return fail(std::string("expected ") + expected, expected);
        auto value = literal();
        if (!value) return value.error();
        node.kind = kind;
        node.value = std::move(*value);
        return add_node(std::move(node));
    }

    // --- ASSOCIATORS OF / REFERENCES OF ------------------------------------------------------------

    [[nodiscard]] result<void> association_statement() {
        const bool associators = is_keyword("ASSOCIATORS");
        query_.kind = associators ? wql_query_kind::associators : wql_query_kind::references;
        take();
        if (auto r = expect_keyword("OF"); !r) return r;
        if (peek().kind != wql_token_kind::braced_path) return fail("expected {object path}", "'{'");
        const wql_token& braced = take();
        auto path = parse_object_path(braced.text);
        if (!path) {
            error e = std::move(path).error();
            if (e.location.offset != source_location::npos) e.location.offset += braced.offset + 1;
            return e;
        }
        query_.source_path = std::move(*path);
        if (accept_keyword("WHERE")) {
            if (auto r = association_clauses(associators); !r) return r;
        }
        return check_association_clauses();
    }

    // Sub-clauses are separated by whitespace only; `=` is the only operator.
    [[nodiscard]] result<void> association_clauses(bool associators) {
        constexpr std::string_view assoc_words[] = {"AssocClass", "ClassDefsOnly", "RequiredAssocQualifier",
                                                    "RequiredQualifier", "ResultClass", "ResultRole", "Role",
                                                    "KeysOnly", "SchemaOnly"};
        constexpr std::string_view ref_words[] = {"ClassDefsOnly", "RequiredQualifier", "ResultClass", "Role",
                                                  "KeysOnly", "SchemaOnly"};
        if (peek().kind == wql_token_kind::end) return fail("expected a WHERE keyword", "a keyword such as ResultClass");
        while (peek().kind != wql_token_kind::end) {
            if (is_keyword("AND") || is_keyword("OR")) return fail("AND and OR are not allowed here", "whitespace");
            if (peek().kind != wql_token_kind::identifier) return fail("expected a keyword", "a keyword such as ResultClass");
            wql_association_clause clause;
            clause.offset = peek().offset;
            clause.keyword = std::string(take().text);
            bool known = false;
            for (std::string_view w : associators ? std::span<const std::string_view>(assoc_words)
                                                  : std::span<const std::string_view>(ref_words)) {
                known = known || ascii_iequals(w, clause.keyword);
            }
            if (!known) {
                error e = make_error(errc::syntax_error, "'" + clause.keyword + "' is not valid here", clause.offset);
                e.expected = associators ? "AssocClass, ClassDefsOnly, RequiredAssocQualifier, RequiredQualifier, "
                                           "ResultClass, ResultRole, Role, KeysOnly or SchemaOnly"
                                         : "ClassDefsOnly, RequiredQualifier, ResultClass, Role, KeysOnly or SchemaOnly";
                return e;
            }
            const bool is_flag = ascii_iequals(clause.keyword, "ClassDefsOnly") || ascii_iequals(clause.keyword, "KeysOnly") ||
                                 ascii_iequals(clause.keyword, "SchemaOnly");
            if (!is_flag) {
                if (!is_symbol("=")) return fail("'" + clause.keyword + "' takes '= value'", "'='");
                take();
                auto value = name("a class, role or qualifier name");
                if (!value) return value.error();
                clause.value = std::move(*value);
            }
            query_.association_clauses.push_back(std::move(clause));
        }
        return {};
    }

    [[nodiscard]] result<void> check_association_clauses() const {
        const wql_association_clause* class_defs = nullptr;
        const wql_association_clause* result_class = nullptr;
        const wql_association_clause* schema_only = nullptr;
        const auto& clauses = query_.association_clauses;
        for (std::size_t i = 0; i < clauses.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j) {
                if (ascii_iequals(clauses[i].keyword, clauses[j].keyword)) {
                    return make_error(errc::syntax_error, "'" + clauses[i].keyword + "' given twice", clauses[i].offset);
                }
            }
            if (ascii_iequals(clauses[i].keyword, "ClassDefsOnly")) class_defs = &clauses[i];
            if (ascii_iequals(clauses[i].keyword, "ResultClass")) result_class = &clauses[i];
            if (ascii_iequals(clauses[i].keyword, "SchemaOnly")) schema_only = &clauses[i];
        }
        if (class_defs != nullptr && result_class != nullptr) {
            const auto& later = class_defs->offset > result_class->offset ? *class_defs : *result_class;
            return make_error(errc::syntax_error, "ClassDefsOnly and ResultClass cannot be combined", later.offset);
        }
        if (class_defs != nullptr && schema_only != nullptr) {
            const auto& later = class_defs->offset > schema_only->offset ? *class_defs : *schema_only;
            return make_error(errc::syntax_error, "ClassDefsOnly is not valid in a SchemaOnly query", later.offset);
        }
        return {};
    }

    std::string_view text_;
    wql_tokens lexed_;
    const std::vector<wql_token>& tokens_;
    std::size_t pos_ = 0;
    bool having_ = false;
    wql_query query_;
};

}  // namespace detail
WMISUB_NAMESPACE_END
