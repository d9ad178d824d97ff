// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/mof/parser.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// MOF values: literals, arrays, alias references, embedded instances and
// qualifier lists, read from the token stream and given the CIM type the
// property's declaration asks for. A literal that does not fit its
// declaration keeps its own type and is reported: mofcomp would refuse the
// instance, but an analyst still wants to see what it tried to store.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/mof/impl/lexer.inl"
#include "wmisub/mof/impl/session.inl"
#include "wmisub/mof/parser.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <deque>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// What an alias names within its file.
struct mof_alias_target {
    bool is_class = false;
    std::size_t index = 0;  // into mof_document::instances or ::classes
    std::size_t line = 0;   // of the declaration, for "already defined at" messages
    std::size_t column = 0;
    // The relative object path, computed at the definition unless a key is itself an
    // alias reference; then a later use in the same namespace needs no resolution pass.
    std::string path;
    bool path_ready = false;
    std::size_t ns_generation = 0;  // mof_session::ns_generation at the definition
};

// An alias used in an instance value, resolved when its file ends (forward references are legal).
struct mof_pending_ref {
    std::size_t instance = 0;  // index into mof_document::instances
    std::size_t steps_begin =
        0;  // into mof_file_scope::steps: property index, then array element / embedded property indices
    std::size_t steps_size = 0;
    std::string alias;     // as written, without `$`
    std::size_t line = 0;  // where the alias is used
    std::size_t column = 0;
    std::size_t offset = 0;
};

// Aliases of one file, case-insensitive, in an open-addressing table: one
// lookup per alias use, without a node allocation per alias.
class mof_alias_table {
public:
    // The target of `name`, or nullptr.
    [[nodiscard]] const mof_alias_target* find(std::string_view name) const noexcept {
        if (slots_.empty()) return nullptr;
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = mof_name_hash(name) & mask;; i = (i + 1) & mask) {
            const std::uint32_t slot = slots_[i];
            if (slot == 0) return nullptr;
            if (mof_names_equal(entries_[slot - 1].name, name)) return &entries_[slot - 1].target;
        }
    }

    // Adds `name`; when it is already defined, keeps the first and returns it.
    const mof_alias_target* insert(std::string_view name, mof_alias_target target) {
        if (const mof_alias_target* existing = find(name)) return existing;
        if ((entries_.size() + 1) * 2 > slots_.size()) grow();
        entries_.push_back({std::string(name), std::move(target)});
        place(entries_.size() - 1);
        return nullptr;
    }

private:
    struct entry {
        std::string name;
        mof_alias_target target;
    };

    void place(std::size_t index) {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = mof_name_hash(entries_[index].name) & mask;
        while (slots_[i] != 0) i = (i + 1) & mask;
        slots_[i] = static_cast<std::uint32_t>(index + 1);
    }

    void grow() {
        slots_.assign(std::max<std::size_t>(64, slots_.size() * 2), 0);
        for (std::size_t i = 0; i < entries_.size(); ++i) place(i);
    }

    std::vector<entry> entries_;
    std::vector<std::uint32_t> slots_;  // 0: empty; else entry index + 1
};

// Aliases are scoped to their file (creating-an-alias.md), so each file has its own.
struct mof_file_scope {
    std::string source;              // the file, for locations
    std::size_t first_instance = 0;  // instances of this file have indices from here on
    mof_alias_table aliases;
    std::vector<mof_pending_ref> pending;
    std::vector<std::uint32_t> steps;  // pooled steps of the pending references

    [[nodiscard]] source_location where(const mof_pending_ref& ref) const {
        return source_location{source, ref.line, ref.column, ref.offset};
    }
};

// True when a qualifier list marks a key (`Key`, `Key(TRUE)`; not `Key(FALSE)`).
[[nodiscard]] inline bool mof_has_true_qualifier(const std::vector<mof_qualifier>& qualifiers, std::string_view name) {
    for (const mof_qualifier& q : qualifiers) {
        if (!mof_keyword_is(q.name, name)) continue;
        const auto b = q.argument.as_bool();
        return !b || *b;
    }
    return false;
}

// Reads values, embedded instances and qualifier lists from one file's stream.
class mof_value_reader {
public:
    mof_value_reader(mof_session& session, mof_stream& in, mof_file_scope& scope) noexcept
        : session_(session), in_(in), scope_(scope) {}

    // Index of the instance whose values are being read, for alias placeholders;
    // mof_npos where aliases are not allowed (class defaults, qualifiers).
    std::size_t instance_index = mof_npos;
    // Steps from the instance to the value being read (see mof_pending_ref).
    std::vector<std::uint32_t> path;

    // One initializer for a property declared as `decl`.
    bool read(const mof_prop_type& decl, std::size_t depth, value& out) {
        const mof_token& t = in_.peek();
        if (decl.known && decl.is_array && t.kind != mof_tok::lbrace &&
            !(t.kind == mof_tok::identifier && mof_keyword_is(in_.payload(t), "null"))) {
            // A scalar where an array is declared: typed as one element, kept as a scalar.
            in_.fail(t, errc::type_mismatch, "a single value where an array is declared; kept as written");
            mof_prop_type element = decl;
            element.is_array = false;
            return read(element, depth, out);
        }
        switch (t.kind) {
        case mof_tok::lbrace: return read_array(decl, depth, out);
        case mof_tok::string: return read_string_value(decl, out);
        case mof_tok::integer: return read_integer(decl, out);
        case mof_tok::real: return read_real(decl, out);
        case mof_tok::char_literal: return read_char16(decl, out);
        case mof_tok::alias: return read_alias(decl, out);
        case mof_tok::identifier: return read_word(decl, depth, out);
        case mof_tok::invalid:
            if (is_unterminated_string(t)) return read_cut_string(decl, out);
            return in_.unexpected("a value");
        default: return in_.unexpected("a value");
        }
    }

    [[nodiscard]] static bool is_unterminated_string(const mof_token& t) noexcept {
        return t.problem != nullptr && std::string_view(t.problem) == "unterminated string literal";
    }

    // A string literal cut by the end of the input or of its line (a truncated file, a lost
    // quote): the text read so far is kept as the value, reported, so that what the object
    // says up to the cut is judged rather than dropped. The declaration is then incomplete.
    bool read_cut_string(const mof_prop_type& decl, value& out) {
        if (decl.known && decl.type != cim_type::string) return in_.unexpected("a value");
        const mof_token t = in_.take();
        const bool input_ends = in_.at(mof_tok::end);
        in_.fail(t, input_ends ? errc::unexpected_end : errc::syntax_error,
                 input_ends ? "the input ends inside a string literal; the text up to the cut is kept and the object "
                              "is marked incomplete"
                            : "unterminated string literal; the text up to the line break is kept and the object is "
                              "marked incomplete");
        std::string text;
        if (t.escaped) {
            issues_.clear();
            mof_append_unescaped(text, in_.payload(t), t.text_offset, session_.options().hex_escape_digits, &issues_);
        } else {
            text.assign(in_.payload(t));
        }
        out = value::string(std::move(text));
        return true;
    }

    // One or more adjacent string literals (comments and line breaks between them
    // are whitespace), unescaped into `out`. The stream is at a string token.
    void read_string(std::string& out) {
        out.clear();
        while (in_.at(mof_tok::string)) {
            const mof_token t = in_.take();
            const std::string_view body = in_.payload(t);
            if (!t.escaped) {
                out.append(body);
                continue;
            }
            issues_.clear();
            mof_append_unescaped(out, body, t.text_offset, session_.options().hex_escape_digits, &issues_);
            for (const mof_escape_issue& issue : issues_) {
                source_location at = in_.location(t);
                at.column += issue.offset - t.offset;  // a literal never spans lines
                at.offset = issue.offset;
                session_.report(errc::syntax_error, issue.message, std::move(at));
            }
        }
    }

    // `{ [qualifiers] Name = value; … }`, the body of an instance, into props.
    // Properties with errors are skipped (and `complete` cleared) so the rest is kept.
    bool read_body(const mof_class_view& view, std::string_view class_name, std::size_t depth,
                   std::vector<property>& props, bool& complete) {
        // Collected in a reused buffer, then moved into one allocation of the exact size.
        std::vector<property>& scratch = scratch_at(body_scratch_, depth);
        scratch.clear();
        const bool ok = read_body_into(view, class_name, depth, scratch, complete);
        props.reserve(props.size() + scratch.size());
        props.insert(props.end(), std::make_move_iterator(scratch.begin()), std::make_move_iterator(scratch.end()));
        scratch.clear();
        return ok;
    }

    // `[name(value) : flavor …, …]` into out. The stream is at '['. `depth` is the
    // embedding level, so array values here do not share a buffer with an enclosing array.
    bool read_qualifiers(std::vector<mof_qualifier>& out, std::size_t depth = 0) {
        in_.skip();
        const std::size_t saved = instance_index;
        instance_index = mof_npos;  // no aliases in qualifier values
        bool ok = read_qualifier_list(out, depth);
        instance_index = saved;
        return ok;
    }

private:
    // The reusable buffer for nesting level `depth`; a deque keeps outer levels in place while inner ones are added.
    template <class T>
    static std::vector<T>& scratch_at(std::deque<std::vector<T>>& buffers, std::size_t depth) {
        while (buffers.size() <= depth) buffers.emplace_back();
        return buffers[depth];
    }

    bool read_body_into(const mof_class_view& view, std::string_view class_name, std::size_t depth,
                        std::vector<property>& props, bool& complete) {
        if (!in_.expect(mof_tok::lbrace, "'{'")) return false;
        const std::size_t body_depth = in_.depth();
        while (!in_.at(mof_tok::rbrace)) {
            if (session_.stopped()) return false;
            const std::size_t before = in_.consumed();
            // A new declaration means the '}' is missing; stop here so it is parsed on its own.
            if (in_.at(mof_tok::end) || in_.at(mof_tok::directive) || in_.at_declaration_keyword()) {
                return in_.unexpected("'}'");
            }
            if (!read_property(view, class_name, depth, props)) {
                complete = false;
                if (!in_.skip_member(body_depth)) return false;
                if (in_.consumed() == before) in_.take();  // always make progress
            }
        }
        in_.skip();
        return true;
    }

    bool read_qualifier_list(std::vector<mof_qualifier>& out, std::size_t depth) {
        do {
            if (!in_.at(mof_tok::identifier)) return in_.unexpected("a qualifier name");
            mof_qualifier q;
            q.name = std::string(in_.payload(in_.take()));
            q.argument = value::boolean(true);
            if (in_.accept(mof_tok::lparen)) {
                if (!read({}, depth, q.argument) || !in_.expect(mof_tok::rparen, "')'")) return false;
            } else if (in_.at(mof_tok::lbrace)) {
                if (!read({}, depth, q.argument)) return false;
            }
            if (in_.accept(mof_tok::colon)) {
                while (in_.at(mof_tok::identifier)) q.flavors.emplace_back(in_.payload(in_.take()));
                if (q.flavors.empty()) return in_.unexpected("a qualifier flavor");
            }
            out.push_back(std::move(q));
        } while (in_.accept(mof_tok::comma));
        return in_.expect(mof_tok::rbracket, "',' or ']'");
    }

    bool read_property(const mof_class_view& view, std::string_view class_name, std::size_t depth,
                       std::vector<property>& props) {
        if (in_.at(mof_tok::lbracket)) {
            std::vector<mof_qualifier> ignored;  // property qualifiers of an instance change nothing stored
            if (!read_qualifiers(ignored, depth)) return false;
        }
        if (!in_.at(mof_tok::identifier)) return in_.unexpected("a property name");
        const mof_token name_token = in_.take();
        const std::string_view name = in_.payload(name_token);
        if (!in_.expect(mof_tok::equals, "'='")) return false;
        const mof_prop_type decl = session_.property_type(view, name);
        check_property_name(view, class_name, name, decl, name_token);
        std::size_t index = props.size();
        for (std::size_t i = 0; i < props.size(); ++i) {
            if (mof_names_equal(props[i].name, name)) index = i;
        }
        const std::size_t pending_before = scope_.pending.size();
        path.push_back(static_cast<std::uint32_t>(index));
        const bool duplicate = index < props.size();
        value v;
        if (!duplicate) props.push_back({std::string(name), value{}});
        const bool ok = read(decl, depth, duplicate ? v : props.back().value);  // read in place: no extra move
        path.pop_back();
        if (!ok) {
            if (!duplicate) props.pop_back();
            scope_.pending.resize(pending_before);
            return false;
        }
        if (duplicate) {
            in_.fail(name_token, errc::syntax_error,
                     "property " + std::string(name) + " is set twice; the last value is kept");
            props[index].value = std::move(v);
        }
        return in_.expect(mof_tok::semicolon, "';'");  // a value missing only its ';' is kept
    }

    void check_property_name(const mof_class_view& view, std::string_view class_name, std::string_view name,
                             const mof_prop_type& decl, const mof_token& at) {
        if (name.starts_with("__")) {
            in_.fail(at, errc::invalid_argument, "system property " + std::string(name) + " cannot be set in MOF");
        } else if (!decl.known && session_.complete(view)) {
            in_.fail(at, errc::not_found, std::string(name) + " is not a property of class " + std::string(class_name));
        }
    }

    bool mismatch(const mof_token& at, const mof_prop_type& decl, const char* found) {
        std::string expected(to_string(decl.type));
        if (decl.is_array) expected += "[]";
        in_.fail(at, errc::type_mismatch,
                 "value of type " + std::string(found) + " where " + expected + " is declared; kept as written");
        return true;
    }

    bool read_array(const mof_prop_type& decl, std::size_t depth, value& out) {
        const mof_token open = in_.take();
        if (decl.known && !decl.is_array) mismatch(open, decl, "array");
        mof_prop_type element = decl;
        element.is_array = false;
        value::array_type& items = scratch_at(array_scratch_, depth);  // arrays never nest directly: one per level
        items.clear();
        if (!in_.at(mof_tok::rbrace)) {
            do {
                if (items.size() >= session_.options().max_array_elements) {
                    return in_.fail(in_.peek(), errc::limit_exceeded,
                                    "array with more than " + std::to_string(session_.options().max_array_elements) +
                                        " elements");
                }
                if (in_.at(mof_tok::lbrace)) return in_.fail(in_.peek(), errc::syntax_error, "arrays cannot be nested");
                path.push_back(static_cast<std::uint32_t>(items.size()));
                const bool ok = read(element, depth, items.emplace_back());
                path.pop_back();
                if (!ok) return false;
            } while (in_.accept(mof_tok::comma));
        }
        if (!in_.expect(mof_tok::rbrace, "',' or '}'")) return false;
        const cim_type type = element_type(decl, items, open);
        out = value::array(
            type, value::array_type(std::make_move_iterator(items.begin()), std::make_move_iterator(items.end())));
        items.clear();
        return true;
    }

    // The element type: declared, else the elements' own (integers widened to
    // sint64 when any is negative; path strings mixed with aliases become references).
    cim_type element_type(const mof_prop_type& decl, value::array_type& items, const mof_token& at) {
        if (decl.known) return decl.type;
        cim_type type = cim_type::empty;
        bool mixed = false;
        bool any_signed = false;
        bool any_reference = false;
        for (const value& v : items) {
            if (v.type() == cim_type::empty) continue;
            any_signed = any_signed || v.type() == cim_type::sint64;
            any_reference = any_reference || v.type() == cim_type::reference;
            const bool both_int = is_integer(v.type()) && is_integer(type);
            const bool both_text = (v.type() == cim_type::string || v.type() == cim_type::reference) &&
                                   (type == cim_type::string || type == cim_type::reference);
            if (type == cim_type::empty)
                type = v.type();
            else if (v.type() != type && !both_int && !both_text)
                mixed = true;
        }
        if (mixed) in_.fail(at, errc::type_mismatch, "array elements of different types");
        if (any_reference && !mixed) return as_references(items);
        if (!any_signed || !is_integer(type) || mixed) return type;
        for (value& v : items) {
            if (v.type() != cim_type::uint64) continue;
            const auto u = v.as_uint();
            if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                in_.fail(at, errc::type_mismatch, "array mixes negative integers with one too large for sint64");
                return cim_type::sint64;
            }
            v = value::sint(static_cast<std::int64_t>(*u));
        }
        return cim_type::sint64;
    }

    // A reference array is an array of object paths (mof-arrays.md): strings among aliases are paths too.
    static cim_type as_references(value::array_type& items) {
        for (value& v : items) {
            if (const std::string* s = v.as_string(); s != nullptr && v.type() == cim_type::string)
                v = value::reference(std::string(*s));
        }
        return cim_type::reference;
    }

    bool read_string_value(const mof_prop_type& decl, value& out) {
        const mof_token first = in_.peek();
        std::string s;
        read_string(s);
        if (!decl.known || decl.type == cim_type::string) {
            out = value::string(std::move(s));
        } else if (decl.type == cim_type::reference) {
            if (!parse_object_path(s))
                in_.fail(first, errc::type_mismatch, "reference is not a valid object path; kept as written");
            out = value::reference(std::move(s));
        } else if (decl.type == cim_type::datetime) {
            auto parsed = parse_dmtf_datetime(s);
            if (parsed) {
                out = value::datetime(*parsed);
            } else {
                in_.fail(first, errc::type_mismatch,
                         "not a DMTF datetime: " + parsed.error().message + "; kept as a string");
                out = value::string(std::move(s));
            }
        } else if (decl.type == cim_type::char16 && string_is_one_unit(s)) {
            out = value::char16(utf8_to_utf16(s).front());
        } else {
            mismatch(first, decl, "string");
            out = value::string(std::move(s));
        }
        return true;
    }

    [[nodiscard]] static bool string_is_one_unit(std::string_view s) {
        if (s.empty()) return false;
        const decode_step step = decode_utf8(s, 0);
        return step.length == s.size() && step.code_point <= 0xFFFF;
    }

    // Integers take the declared width; undeclared ones are sint64 when negative, uint64 otherwise.
    bool read_integer(const mof_prop_type& decl, value& out) {
        const mof_token& t = in_.peek();
        constexpr std::uint64_t int64_limit = std::uint64_t{1} << 63;
        if (t.negative && t.magnitude > int64_limit) {
            in_.fail(t, errc::syntax_error, "integer literal below the sint64 range");
            in_.skip();
            return false;
        }
        const std::uint64_t magnitude = t.magnitude;
        const bool negative = t.negative && magnitude != 0;
        const std::int64_t signed_value = !negative ? static_cast<std::int64_t>(magnitude & (int64_limit - 1))
                                          : magnitude == int64_limit ? std::numeric_limits<std::int64_t>::min()
                                                                     : -static_cast<std::int64_t>(magnitude);
        if (decl.known && is_integer(decl.type) && fits(decl.type, negative, magnitude)) {
            out =
                is_signed_integer(decl.type) ? value::sint(signed_value, decl.type) : value::uint(magnitude, decl.type);
        } else if (decl.known && (decl.type == cim_type::real32 || decl.type == cim_type::real64)) {
            out = value::real(negative ? static_cast<double>(signed_value) : static_cast<double>(magnitude), decl.type);
        } else {
            if (decl.known && is_integer(decl.type)) {
                in_.fail(t, errc::type_mismatch,
                         "integer out of range for " + std::string(to_string(decl.type)) + "; kept as written");
            } else if (decl.known) {
                mismatch(t, decl, "integer");
            }
            out = negative ? value::sint(signed_value) : value::uint(magnitude);
        }
        in_.skip();
        return true;
    }

    [[nodiscard]] static bool fits(cim_type type, bool negative, std::uint64_t magnitude) noexcept {
        const integer_range range = range_of(type);
        if (!negative) return magnitude <= range.max;
        return range.min < 0 && magnitude - 1 <= static_cast<std::uint64_t>(-(range.min + 1));
    }

    bool read_real(const mof_prop_type& decl, value& out) {
        const mof_token t = in_.take();
        if (decl.known && (decl.type == cim_type::real32 || decl.type == cim_type::real64)) {
            out = value::real(t.real, decl.type);
            return true;
        }
        if (decl.known) mismatch(t, decl, "real");
        out = value::real(t.real);
        return true;
    }

    bool read_char16(const mof_prop_type& decl, value& out) {
        const mof_token t = in_.take();
        char16_t c = 0;
        const char* problem = nullptr;
        if (!mof_char16_value(in_.payload(t), session_.options().hex_escape_digits, c, problem)) {
            return in_.fail(t, errc::syntax_error, problem);
        }
        if (decl.known && decl.type != cim_type::char16) mismatch(t, decl, "char16");
        out = value::char16(c);
        return true;
    }

    // `$alias`: a reference placeholder, replaced by the object path when the file ends.
    bool read_alias(const mof_prop_type& decl, value& out) {
        const mof_token t = in_.take();
        const std::string_view name = in_.payload(t);
        if (decl.known && decl.type != cim_type::reference) mismatch(t, decl, "reference");
        if (instance_index == mof_npos) {
            out = value::reference("$" + std::string(name));
            return in_.fail(t, errc::syntax_error,
                            "alias $" + std::string(name) + " can only be used in instance values");
        }
        // Defined earlier in this namespace (the usual case): the path is known already.
        if (const mof_alias_target* target = scope_.aliases.find(name);
            target != nullptr && target->path_ready && target->ns_generation == session_.ns_generation) {
            out = value::reference(target->path);
            return true;
        }
        out = value::reference("$" + std::string(name));
        scope_.pending.push_back(
            {instance_index, scope_.steps.size(), path.size(), std::string(name), t.line, t.column, t.offset});
        scope_.steps.insert(scope_.steps.end(), path.begin(), path.end());
        return true;
    }

    // TRUE, FALSE, NULL (any case) or an embedded `instance of`.
    bool read_word(const mof_prop_type& decl, std::size_t depth, value& out) {
        if (in_.at_keyword("instance") && in_.at_keyword("of", 1)) return read_embedded(decl, depth, out);
        const mof_token t = in_.peek();
        const std::string_view word = in_.payload(t);
        if (mof_keyword_is(word, "null")) {
            in_.skip();
            out = value::null(decl.known ? decl.type : cim_type::empty);
            return true;
        }
        const bool is_true = mof_keyword_is(word, "true");
        if (!is_true && !mof_keyword_is(word, "false")) return in_.unexpected("a value");
        in_.skip();
        if (decl.known && decl.type != cim_type::boolean) mismatch(t, decl, "boolean");
        out = value::boolean(is_true);
        return true;
    }

    bool read_embedded(const mof_prop_type& decl, std::size_t depth, value& out) {
        const mof_token at = in_.take();
        in_.skip();  // of
        if (depth + 1 > session_.options().max_nesting) {
            return in_.fail(at, errc::limit_exceeded,
                            "embedded instances nested deeper than " + std::to_string(session_.options().max_nesting));
        }
        if (decl.known && decl.type != cim_type::object && decl.type != cim_type::string) mismatch(at, decl, "object");
        if (!in_.at(mof_tok::identifier)) return in_.unexpected("a class name");
        embedded_object object;
        object.class_name = std::string(in_.payload(in_.take()));
        if (in_.at_keyword("as") && in_.at(mof_tok::alias, 1)) {
            in_.skip();
            in_.fail(in_.take(), errc::syntax_error, "an embedded instance cannot have an alias; ignored");
        }
        const mof_class_view view = session_.view_of(object.class_name);
        bool complete = true;
        if (!read_body(view, object.class_name, depth + 1, object.properties, complete)) return false;
        if (!complete) return false;
        out = value::object(std::move(object));
        return true;
    }

    mof_session& session_;
    mof_stream& in_;
    mof_file_scope& scope_;
    std::vector<mof_escape_issue> issues_;
    std::deque<std::vector<property>> body_scratch_;
    std::deque<value::array_type> array_scratch_;
};

}  // namespace detail
WMISUB_NAMESPACE_END
