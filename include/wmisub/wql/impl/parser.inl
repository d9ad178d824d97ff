// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/wql/query.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Recursive-descent WQL parser. Recursion happens only at parentheses and NOT,
// and is bounded by WMISUB_MAX_NESTING; AND/OR chains are parsed iteratively.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql/ast.hpp"
#include "wmisub/wql/impl/classes.inl"
#include "wmisub/wql/impl/lexer.inl"
#include "wmisub/wql/query.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <forward_list>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Number of code points in UTF-8 text (continuation bytes are not counted).
[[nodiscard]] inline std::size_t utf8_length(std::string_view s) noexcept {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    return n;
}

// ascii_lower on the eight bytes of x at once: each byte in 'A'..'Z' gains 0x20.
// The additions stay within each byte (7-bit values plus less than 0x80).
[[nodiscard]] constexpr std::uint64_t wql_lower8(std::uint64_t x) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101u;
    const std::uint64_t low7 = x & (0x7F * ones);
    const std::uint64_t from_a = low7 + (0x80 - 'A') * ones;       // high bit set from 'A' up
    const std::uint64_t past_z = low7 + (0x80 - 'Z' - 1) * ones;   // high bit set past 'Z'
    const std::uint64_t upper = (from_a ^ past_z) & ~x & (0x80 * ones);
    return x | (upper >> 2);
}

// ascii_iequals on `size` bytes of each, eight at a time: class names are long
// and often share long prefixes (__Instance…, Win32_…).
[[nodiscard]] inline bool wql_iequals_bytes(const char* a, const char* b, std::size_t size) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t x = 0;
        std::uint64_t y = 0;
        std::memcpy(&x, a + i, 8);
        std::memcpy(&y, b + i, 8);
        if (x != y && wql_lower8(x) != wql_lower8(y)) return false;
    }
    for (; i < size; ++i) {
        if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

// ascii_iequals with the length test where the compiler inlines it: the parser and
// the analyser compare names with keywords and class lists all the time, and most
// comparisons fail on the length alone.
[[nodiscard]] inline bool wql_iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && wql_iequals_bytes(a.data(), b.data(), a.size());
}

// Keywords that may only appear as keywords in a condition position. Every
// property name is checked, so the length rules most names out first.
[[nodiscard]] inline bool wql_is_reserved(std::string_view word) noexcept {
    switch (word.size()) {
    case 2: return wql_iequals(word, "OR") || wql_iequals(word, "IS") || wql_iequals(word, "BY");
    case 3: return wql_iequals(word, "AND") || wql_iequals(word, "NOT") || wql_iequals(word, "ISA");
    case 4: return wql_iequals(word, "LIKE") || wql_iequals(word, "FROM");
    case 5: return wql_iequals(word, "WHERE") || wql_iequals(word, "GROUP");
    case 6: return wql_iequals(word, "SELECT") || wql_iequals(word, "WITHIN") || wql_iequals(word, "HAVING");
    default: return false;
    }
}

// Names longer than 255 characters are refused; only long byte strings can be.
[[nodiscard]] inline bool wql_name_too_long(std::string_view name) noexcept {
    return name.size() > wql_max_name_characters && utf8_length(name) > wql_max_name_characters;
}

// --- the syntax as views ---------------------------------------------------------------------------
// The parser's own tree: like wql_query, but its texts are views (of the query, of
// the strings the tree keeps, or of static text), so analysing a query text
// allocates nothing for the tree but its arrays. parse_wql() copies it into a wql_query.

// A constant; `text` as in wql_literal.
struct wql_literal_ref {
    wql_literal::type kind = wql_literal::type::null;
    std::string_view text;
    std::size_t raw_length = 0;
    std::int64_t integer = 0;
    double real = 0.0;
    bool boolean = false;
    std::size_t offset = 0;

    [[nodiscard]] bool is_number() const noexcept {
        return kind == wql_literal::type::integer || kind == wql_literal::type::real;
    }
    [[nodiscard]] wql_literal owned() const { return wql_literal{kind, std::string(text), raw_length, integer, real, boolean, offset}; }
};

// A dotted property as one view, spaces around dots removed.
struct wql_property_ref {
    std::string_view path;
    std::size_t offset = 0;

    [[nodiscard]] wql_property owned() const { return wql_property{std::string(path), offset}; }
};

inline constexpr std::uint32_t wql_no_node = UINT32_MAX;

// A vector of trivially copyable T whose first N elements live inside it: a
// typical filter has a handful of nodes, so parsing one allocates no node array.
// Past N, all elements move to the heap for good.
template <class T, std::size_t N>
class wql_small_vector {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

public:
    [[nodiscard]] std::size_t size() const noexcept { return on_heap_ ? heap_.size() : size_; }
    [[nodiscard]] T& operator[](std::size_t i) noexcept { return data()[i]; }
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data()[i]; }

    T& emplace_back() {
        if (!on_heap_) {
            // Default-initialised: T's member initialisers set every field, and `T()` would
            // first zero the whole object with a slow `rep stos`.
            if (size_ < N) return *::new (static_cast<void*>(slots_.items + size_++)) T;
            spill();
        }
        return heap_.emplace_back();
    }
    void push_back(const T& value) {
        const T copy = value;  // `value` may be an element that spill() moves
        emplace_back() = copy;
    }
    void reserve(std::size_t capacity) {
        if (capacity <= N) return;
        spill();
        heap_.reserve(capacity);
    }

private:
    [[nodiscard]] T* data() noexcept { return on_heap_ ? heap_.data() : slots_.items; }
    [[nodiscard]] const T* data() const noexcept { return on_heap_ ? heap_.data() : slots_.items; }

    void spill() {
        if (on_heap_) return;
        heap_.reserve(2 * N);
        heap_.assign(slots_.items, slots_.items + size_);
        on_heap_ = true;
    }

    union slots {
        slots() noexcept {}  // elements are created one at a time by emplace_back
        T items[N];
    } slots_;
    std::size_t size_ = 0;  // inline elements
    bool on_heap_ = false;
    std::vector<T> heap_;
};

// A node. Children are a list linked through next_sibling (a node has one
// parent), so building the tree needs no array besides the nodes.
struct wql_node_ref {
    wql_node_kind kind = wql_node_kind::compare;
    wql_operator op = wql_operator::equal;
    bool operands_swapped = false;
    bool is_not = false;
    std::uint32_t first_child = wql_no_node;
    std::uint32_t next_sibling = wql_no_node;
    std::uint32_t child_count = 0;
    std::size_t offset = 0;
    wql_property_ref property;
    wql_literal_ref value;
};

struct wql_group_ref {
    double within_seconds = 0.0;
    std::vector<wql_property_ref> by;
    std::optional<std::uint32_t> having;
    std::size_t offset = 0;
};

struct wql_clause_ref {
    std::string_view keyword;
    std::string_view value;
    std::size_t offset = 0;
};

struct wql_syntax {
    wql_query_kind kind = wql_query_kind::data;
    std::vector<wql_property_ref> select;
    std::string_view from_class;
    std::size_t from_offset = 0;
    std::optional<double> within_seconds;
    wql_small_vector<wql_node_ref, 16> nodes;
    std::optional<std::uint32_t> where;
    std::optional<wql_group_ref> group;
    object_path source_path;
    std::vector<wql_clause_ref> association_clauses;
    std::forward_list<std::string> kept;  // texts that are no slice of the query; nodes never move

    // Calls f(index) for each child of n, in order.
    template <class F>
    void for_each_child(const wql_node_ref& n, F&& f) const {
        for (std::uint32_t c = n.first_child; c != wql_no_node; c = nodes[c].next_sibling) f(c);
    }
    // Keeps a text the views may point to (an unescaped string, a path written with spaces).
    [[nodiscard]] std::string_view keep(std::string s) {
        kept.push_front(std::move(s));
        return kept.front();
    }
};

// Parses one query into `out`. Tokens are pulled from the lexer as needed; a
// lexical error anywhere in the query is reported before any syntax error, as
// when the whole query was lexed first.
class wql_parser {
public:
    wql_parser(std::string_view text, wql_syntax& out) : text_(text), lexer_(text), out_(out) {
        lexer_.next(current_);
    }

    [[nodiscard]] result<void> run() {
        result<void> parsed = statement();
        if (!parsed) lexer_.finish();
        if (const auto& lexical = lexer_.lexical_error()) return *lexical;
        return parsed;
    }

private:
    [[nodiscard]] result<void> statement() {
        if (is_keyword("SELECT")) {
            if (auto r = select_statement(); !r) return r;
        } else if (is_keyword("ASSOCIATORS") || is_keyword("REFERENCES")) {
            if (auto r = association_statement(); !r) return r;
        } else {
            return fail("a query must start with SELECT, ASSOCIATORS OF or REFERENCES OF", "SELECT");
        }
        if (peek().kind != wql_token_kind::end) return fail("unexpected text after the end of the query", "end of query");
        return {};
    }

    // --- token helpers ---------------------------------------------------------------------------

    [[nodiscard]] const wql_token& peek() const noexcept { return current_; }
    // Moves on to the next token, unless at the end (or at a lexical error).
    // Read peek() first for what the token holds: the lexer overwrites it.
    void take() {
        if (current_.kind != wql_token_kind::end && current_.kind != wql_token_kind::invalid) lexer_.next(current_);
    }
    [[nodiscard]] bool is_keyword(std::string_view word) const noexcept {
        return current_.kind == wql_token_kind::identifier && wql_iequals(current_.text, word);
    }
    [[nodiscard]] bool is_symbol(char c) const noexcept {
        return current_.kind == wql_token_kind::symbol && current_.text.size() == 1 && current_.text[0] == c;
    }
    bool accept_keyword(std::string_view word) {
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

    [[nodiscard]] result<std::string_view> name(const char* what) {
        if (peek().kind != wql_token_kind::identifier) return fail(std::string("expected ") + what, what);
        if (wql_name_too_long(peek().text)) {
            return fail(std::string(what) + " longer than 255 characters", what, errc::limit_exceeded);
        }
        const std::string_view text = peek().text;
        take();
        return text;
    }

    [[nodiscard]] result<double> number(const char* what) {
        const wql_token& t = peek();
        if (t.kind != wql_token_kind::integer && t.kind != wql_token_kind::real) {
            return fail(std::string("expected ") + what, "a number of seconds");
        }
        wql_literal_ref literal;
        if (auto e = number_literal(t, literal)) return std::move(*e);
        if (literal.real < 0) return fail(std::string(what) + " must not be negative", "a positive number");
        take();
        return literal.real;
    }

    // --- SELECT -------------------------------------------------------------------------------------

    [[nodiscard]] result<void> select_statement() {
        take();  // SELECT
        if (auto r = select_list(); !r) return r;
        if (auto r = expect_keyword("FROM"); !r) return r;
        out_.from_offset = peek().offset;
        auto cls = name("a class name");
        if (!cls) return cls.error();
        out_.from_class = *cls;
        if (accept_keyword("WITHIN")) {
            auto within = number("the WITHIN interval");
            if (!within) return within.error();
            out_.within_seconds = *within;
        }
        if (accept_keyword("WHERE")) {
            auto root = expression(0);
            if (!root) return root.error();
            out_.where = *root;
        }
        if (is_keyword("GROUP")) {
            if (auto r = group_clause(); !r) return r;
        }
        classify_select();
        if (out_.kind == wql_query_kind::schema && !out_.select.empty()) {
            return make_error(errc::syntax_error, "schema queries must select *", out_.from_offset);
        }
        if (out_.kind == wql_query_kind::schema && (out_.within_seconds || out_.group)) {
            return make_error(errc::syntax_error, "schema queries take no WITHIN or GROUP", out_.from_offset);
        }
        return {};
    }

    [[nodiscard]] result<void> select_list() {
        if (is_symbol('*')) {
            take();
            return {};
        }
        while (true) {
            if (auto e = property_path(out_.select.emplace_back())) return std::move(*e);
            if (!is_symbol(',')) return {};
            take();
        }
    }

    // Fills `prop` in place: copying small structs just written field by field
    // stalls on store forwarding, which showed in profiles. The hot helpers
    // return the error, if any: cheaper than a result<void>, which builds one.
    [[nodiscard]] std::optional<error> property_path(wql_property_ref& prop) {
        prop.offset = peek().offset;
        std::size_t end = prop.offset;
        bool spaced = false;  // a token does not start where the one before it ended
        while (true) {
            spaced = spaced || peek().offset != end;
            if (peek().kind != wql_token_kind::identifier || wql_is_reserved(peek().text)) {
                return fail("expected a property name", "a property name");
            }
            if (wql_name_too_long(peek().text)) {
                return fail("a property name longer than 255 characters", "a property name", errc::limit_exceeded);
            }
            end = peek().offset + peek().text.size();
            take();
            if (!is_symbol('.')) break;
            spaced = spaced || peek().offset != end;
            end = peek().offset + 1;
            take();
        }
        prop.path = spaced ? unspaced(prop.offset, end) : std::string_view(text_.data() + prop.offset, end - prop.offset);
        return {};
    }

    // The source from `begin` to `end` holds names and dots, maybe with spaces
    // between them (the lexer skips nothing else): the path is that text unspaced.
    [[nodiscard]] std::string_view unspaced(std::size_t begin, std::size_t end) {
        const std::string_view slice = text_.substr(begin, end - begin);
        std::string path;
        for (char c : slice) {
            if (!wql_is_space(c)) path += c;
        }
        return out_.keep(std::move(path));
    }

    [[nodiscard]] result<void> group_clause() {
        wql_group_ref group;
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
                if (auto e = property_path(group.by.emplace_back())) return std::move(*e);
                if (!is_symbol(',')) break;
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
        out_.group = std::move(group);
        return {};
    }

    // Event queries poll (WITHIN / GROUP) or read from an event class. Only a class known to hold
    // data makes a data query: a name wmisub does not know may be an event class (classes.inl).
    void classify_select() {
        const std::string_view cls = out_.from_class;
        if (ascii_iequals(cls, "meta_class")) {
            out_.kind = wql_query_kind::schema;
        } else if (out_.within_seconds || out_.group || !is_known_data_class(cls)) {
            out_.kind = wql_query_kind::event;
        } else {
            out_.kind = wql_query_kind::data;
        }
    }

    // --- expressions --------------------------------------------------------------------------------

    // A new node at the end of the list; filled in place (see property_path).
    // Parents are added after their children, as wql_query lists them.
    std::uint32_t new_node(wql_node_kind kind, std::size_t offset) {
        wql_node_ref& node = out_.nodes.emplace_back();
        node.kind = kind;
        node.offset = offset;
        return static_cast<std::uint32_t>(out_.nodes.size() - 1);
    }

    // A node over the children listed from first_child through their next_sibling links.
    std::uint32_t new_parent(wql_node_kind kind, std::size_t offset, std::uint32_t first_child, std::uint32_t child_count) {
        const std::uint32_t index = new_node(kind, offset);
        out_.nodes[index].first_child = first_child;
        out_.nodes[index].child_count = child_count;
        return index;
    }

    // OR binds looser than AND; both are parsed as flat n-ary lists.
    [[nodiscard]] result<std::uint32_t> expression(std::size_t depth) {
        return binary_chain(depth, "OR", wql_node_kind::any_of);
    }

    [[nodiscard]] result<std::uint32_t> operand(std::size_t depth, wql_node_kind kind) {
        return kind == wql_node_kind::any_of ? binary_chain(depth, "AND", wql_node_kind::all_of) : unary(depth);
    }

    [[nodiscard]] result<std::uint32_t> binary_chain(std::size_t depth, std::string_view keyword, wql_node_kind kind) {
        const std::size_t offset = peek().offset;
        auto first = operand(depth, kind);
        if (!first) return first;
        if (!is_keyword(keyword)) return first;
        std::uint32_t last = *first;
        std::uint32_t count = 1;
        while (accept_keyword(keyword)) {
            auto next = operand(depth, kind);
            if (!next) return next;
            out_.nodes[last].next_sibling = *next;
            last = *next;
            ++count;
        }
        return new_parent(kind, offset, *first, count);
    }

    [[nodiscard]] result<std::uint32_t> unary(std::size_t depth) {
        if (depth >= WMISUB_MAX_NESTING) {
            return fail("conditions nested deeper than " + std::to_string(WMISUB_MAX_NESTING) + " levels",
                        "a shallower condition", errc::limit_exceeded);
        }
        if (is_keyword("NOT")) {
            const std::size_t offset = peek().offset;
            take();
            auto inner = unary(depth + 1);
            if (!inner) return inner;
            return new_parent(wql_node_kind::negation, offset, *inner, 1);
        }
        if (is_symbol('(')) {
            take();
            auto inner = expression(depth + 1);
            if (!inner) return inner;
            if (!is_symbol(')')) return fail("expected ')'", "')'");
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
               (wql_iequals(t.text, "TRUE") || wql_iequals(t.text, "FALSE") || wql_iequals(t.text, "NULL"));
    }

    [[nodiscard]] static std::optional<error> number_literal(const wql_token& t, wql_literal_ref& lit) {
        lit.offset = t.offset;
        lit.raw_length = t.text.size();
        std::string_view digits = t.text;
        if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
        lit.text = digits;
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
        return {};
    }

    // Reads the literal at the current token into `lit` (a fresh one) and moves on.
    [[nodiscard]] std::optional<error> literal(wql_literal_ref& lit) {
        const wql_token& t = peek();
        lit.offset = t.offset;
        lit.raw_length = t.text.size();
        if (t.kind == wql_token_kind::string) {
            lit.kind = wql_literal::type::string;
            lit.text = t.escaped ? out_.keep(wql_unescape(t.contents())) : t.contents();
        } else if (t.kind == wql_token_kind::integer || t.kind == wql_token_kind::real) {
            if (auto e = number_literal(t, lit)) return e;
        } else if (wql_iequals(t.text, "NULL")) {
            lit.kind = wql_literal::type::null;
        } else {
            lit.kind = wql_literal::type::boolean;
            lit.boolean = wql_iequals(t.text, "TRUE");
            lit.text = lit.boolean ? "TRUE" : "FALSE";
        }
        take();
        return {};
    }

    // A predicate has no sub-nodes, so its node can be added first and filled in place.
    [[nodiscard]] result<std::uint32_t> predicate() {
        if (at_literal()) return constant_first_comparison();
        const std::uint32_t index = new_node(wql_node_kind::compare, peek().offset);
        wql_node_ref& node = out_.nodes[index];  // no node is added before this one is done
        if (auto e = property_path(node.property)) return std::move(*e);
        if (having_ && !wql_iequals(node.property.path, "NumberOfEvents")) {
            return make_error(errc::syntax_error, "HAVING may only test NumberOfEvents", node.property.offset);
        }
        if (accept_keyword("IS")) return is_null_tail(index);
        if (accept_keyword("ISA")) return string_operand_tail(index, wql_node_kind::isa, "a class name in quotes");
        if (accept_keyword("LIKE")) return string_operand_tail(index, wql_node_kind::like, "a pattern in quotes");
        auto op = comparison_operator();
        if (!op) return op.error();
        if (!at_literal()) {
            if (peek().kind == wql_token_kind::identifier) {
                return fail("a property may only be compared with a constant", "a constant");
            }
            return fail("expected a constant", "a string, number, TRUE, FALSE or NULL");
        }
        if (auto e = literal(node.value)) return std::move(*e);
        return finish_comparison(index, *op, false);
    }

    [[nodiscard]] result<std::uint32_t> constant_first_comparison() {
        const std::uint32_t index = new_node(wql_node_kind::compare, peek().offset);
        wql_node_ref& node = out_.nodes[index];
        if (auto e = literal(node.value)) return std::move(*e);
        auto op = comparison_operator();
        if (!op) return op.error();
        if (at_literal()) return fail("two constants cannot be compared", "a property name");
        if (auto e = property_path(node.property)) return std::move(*e);
        return finish_comparison(index, mirrored(*op), true);
    }

    // Booleans accept only equality; NULL is not ordered (where-clause.md).
    [[nodiscard]] result<std::uint32_t> finish_comparison(std::uint32_t index, wql_operator op, bool swapped) {
        wql_node_ref& node = out_.nodes[index];
        const bool ordering = op != wql_operator::equal && op != wql_operator::not_equal;
        if (ordering && node.value.kind == wql_literal::type::boolean) {
            error e = make_error(errc::syntax_error, "TRUE and FALSE may only be compared with =, <> or !=", node.value.offset);
            e.expected = "'=', '<>' or '!='";
            return e;
        }
        if (ordering && node.value.kind == wql_literal::type::null) {
            error e = make_error(errc::syntax_error, "NULL cannot be ordered; use IS NULL or IS NOT NULL", node.value.offset);
            e.expected = "IS [NOT] NULL";
            return e;
        }
        node.op = op;
        node.operands_swapped = swapped;
        return index;
    }

    // One- or two-character operators; `<>` and `!=` are one operator.
    [[nodiscard]] result<wql_operator> comparison_operator() {
        const wql_token& t = peek();
        if (t.kind == wql_token_kind::symbol) {
            const char first = t.text[0];
            const char second = t.text.size() > 1 ? t.text[1] : '\0';
            wql_operator op = wql_operator::equal;
            bool known = true;
            if (first == '=') op = wql_operator::equal;
            else if ((first == '<' && second == '>') || first == '!') op = wql_operator::not_equal;
            else if (first == '<') op = second == '=' ? wql_operator::less_equal : wql_operator::less;
            else if (first == '>') op = second == '=' ? wql_operator::greater_equal : wql_operator::greater;
            else known = false;
            if (known) {
                take();
                return op;
            }
        }
        return fail("expected a comparison operator", "'=', '<>', '!=', '<', '<=', '>', '>=', IS, ISA or LIKE");
    }

    // IS is valid only with NULL (wql-operators.md).
    [[nodiscard]] result<std::uint32_t> is_null_tail(std::uint32_t index) {
        out_.nodes[index].kind = wql_node_kind::is_null;
        out_.nodes[index].is_not = accept_keyword("NOT");
        if (!accept_keyword("NULL")) return fail("IS must be followed by [NOT] NULL", "NULL");
        return index;
    }

    [[nodiscard]] result<std::uint32_t> string_operand_tail(std::uint32_t index, wql_node_kind kind, const char* expected) {
        if (peek().kind != wql_token_kind::string) return fail(std::string("expected ") + expected, expected);
        out_.nodes[index].kind = kind;
        if (auto e = literal(out_.nodes[index].value)) return std::move(*e);
        return index;
    }

    // --- ASSOCIATORS OF / REFERENCES OF ------------------------------------------------------------

    [[nodiscard]] result<void> association_statement() {
        const bool associators = is_keyword("ASSOCIATORS");
        out_.kind = associators ? wql_query_kind::associators : wql_query_kind::references;
        take();
        if (auto r = expect_keyword("OF"); !r) return r;
        if (peek().kind != wql_token_kind::braced_path) return fail("expected {object path}", "'{'");
        const wql_token braced = peek();
        take();
        auto path = parse_object_path(braced.text);
        if (!path) {
            error e = std::move(path).error();
            if (e.location.offset != source_location::npos) e.location.offset += braced.offset + 1;
            return e;
        }
        out_.source_path = std::move(*path);
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
            wql_clause_ref clause;
            clause.offset = peek().offset;
            clause.keyword = peek().text;
            take();
            bool known = false;
            for (std::string_view w : associators ? std::span<const std::string_view>(assoc_words)
                                                  : std::span<const std::string_view>(ref_words)) {
                known = known || ascii_iequals(w, clause.keyword);
            }
            if (!known) {
                error e = make_error(errc::syntax_error, "'" + std::string(clause.keyword) + "' is not valid here", clause.offset);
                e.expected = associators ? "AssocClass, ClassDefsOnly, RequiredAssocQualifier, RequiredQualifier, "
                                           "ResultClass, ResultRole, Role, KeysOnly or SchemaOnly"
                                         : "ClassDefsOnly, RequiredQualifier, ResultClass, Role, KeysOnly or SchemaOnly";
                return e;
            }
            const bool is_flag = ascii_iequals(clause.keyword, "ClassDefsOnly") || ascii_iequals(clause.keyword, "KeysOnly") ||
                                 ascii_iequals(clause.keyword, "SchemaOnly");
            if (!is_flag) {
                if (!is_symbol('=')) return fail("'" + std::string(clause.keyword) + "' takes '= value'", "'='");
                take();
                auto value = name("a class, role or qualifier name");
                if (!value) return value.error();
                clause.value = *value;
            }
            out_.association_clauses.push_back(clause);
        }
        return {};
    }

    [[nodiscard]] result<void> check_association_clauses() const {
        const wql_clause_ref* class_defs = nullptr;
        const wql_clause_ref* result_class = nullptr;
        const wql_clause_ref* schema_only = nullptr;
        const auto& clauses = out_.association_clauses;
        for (std::size_t i = 0; i < clauses.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j) {
                if (ascii_iequals(clauses[i].keyword, clauses[j].keyword)) {
                    return make_error(errc::syntax_error, "'" + std::string(clauses[i].keyword) + "' given twice", clauses[i].offset);
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
    wql_lexer lexer_;
    wql_token current_;
    wql_syntax& out_;
    bool having_ = false;
};

// --- between the views and wql_query -----------------------------------------------------------

// The owning query of a parse of `text`.
[[nodiscard]] inline wql_query to_query(std::string_view text, wql_syntax&& s) {
    wql_query q;
    q.kind = s.kind;
    q.text = std::string(text);
    q.select.reserve(s.select.size());
    for (const wql_property_ref& p : s.select) q.select.push_back(p.owned());
    q.from_class = std::string(s.from_class);
    q.from_offset = s.from_offset;
    q.within_seconds = s.within_seconds;
    q.nodes.resize(s.nodes.size());
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
        const wql_node_ref& from = s.nodes[i];
        wql_node& to = q.nodes[i];
        to.kind = from.kind;
        to.offset = from.offset;
        to.children.reserve(from.child_count);
        s.for_each_child(from, [&](std::uint32_t c) { to.children.push_back(c); });
        to.property = from.property.owned();
        to.op = from.op;
        to.operands_swapped = from.operands_swapped;
        to.is_not = from.is_not;
        to.value = from.value.owned();
    }
    q.where = s.where;
    if (s.group) {
        wql_group& g = q.group.emplace();
        g.within_seconds = s.group->within_seconds;
        for (const wql_property_ref& p : s.group->by) g.by.push_back(p.owned());
        g.having = s.group->having;
        g.offset = s.group->offset;
    }
    q.source_path = std::move(s.source_path);
    for (const wql_clause_ref& c : s.association_clauses) {
        q.association_clauses.push_back(wql_association_clause{std::string(c.keyword), std::string(c.value), c.offset});
    }
    return q;
}

// Links the children lists of `s` from those of `q`. A hand-built query may list
// a node under two parents; as a node has one next_sibling, the second listing
// links a copy, which shares the original's children. Indexes out of range are skipped.
inline void link_children(const wql_query& q, wql_syntax& s) {
    const std::size_t count = q.nodes.size();
    std::vector<bool> placed(count, false);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> copies;  // (copy, original)
    for (std::size_t i = 0; i < count; ++i) {
        std::uint32_t last = wql_no_node;
        for (std::uint32_t c : q.nodes[i].children) {
            if (c >= count) continue;
            std::uint32_t child = c;
            if (placed[c]) {
                child = static_cast<std::uint32_t>(s.nodes.size());
                s.nodes.push_back(s.nodes[c]);
                copies.emplace_back(child, c);
            }
            placed[c] = true;
            s.nodes[child].next_sibling = wql_no_node;
            (last == wql_no_node ? s.nodes[i].first_child : s.nodes[last].next_sibling) = child;
            last = child;
            ++s.nodes[i].child_count;
        }
    }
    for (const auto& [copy, original] : copies) {  // the originals' lists are complete now
        s.nodes[copy].first_child = s.nodes[original].first_child;
        s.nodes[copy].child_count = s.nodes[original].child_count;
    }
}

// Views of a wql_query (which must outlive them) for the analyser. The source
// path is not copied: nothing that reads views needs it.
[[nodiscard]] inline wql_syntax syntax_of(const wql_query& q) {
    wql_syntax s;
    s.kind = q.kind;
    for (const wql_property& p : q.select) s.select.push_back(wql_property_ref{p.path, p.offset});
    s.from_class = q.from_class;
    s.from_offset = q.from_offset;
    s.within_seconds = q.within_seconds;
    s.nodes.reserve(q.nodes.size());
    for (const wql_node& n : q.nodes) {
        wql_node_ref& to = s.nodes.emplace_back();
        to.kind = n.kind;
        to.op = n.op;
        to.operands_swapped = n.operands_swapped;
        to.is_not = n.is_not;
        to.offset = n.offset;
        to.property = wql_property_ref{n.property.path, n.property.offset};
        const wql_literal& v = n.value;
        to.value = wql_literal_ref{v.kind, v.text, v.raw_length, v.integer, v.real, v.boolean, v.offset};
    }
    link_children(q, s);
    s.where = q.where;
    if (q.group) {
        wql_group_ref& g = s.group.emplace();
        g.within_seconds = q.group->within_seconds;
        for (const wql_property& p : q.group->by) g.by.push_back(wql_property_ref{p.path, p.offset});
        g.having = q.group->having;
        g.offset = q.group->offset;
    }
    for (const wql_association_clause& c : q.association_clauses) {
        s.association_clauses.push_back(wql_clause_ref{c.keyword, c.value, c.offset});
    }
    return s;
}

}  // namespace detail
WMISUB_NAMESPACE_END
