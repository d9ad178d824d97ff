// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/mof/parser.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The MOF declaration parser: pragmas and includes, qualifier declarations,
// classes and instances, one file at a time (an include parses its file
// with the same session), with recovery at the next declaration after an
// error and alias resolution when each file ends. Then the definitions of
// is_binary_mof(), parse_mof(), parse_mof_file() and to_snapshot().
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/mof/impl/lexer.inl"
#include "wmisub/mof/impl/resolve.inl"
#include "wmisub/mof/impl/session.inl"
#include "wmisub/mof/impl/values.inl"
#include "wmisub/mof/parser.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Parses the declarations of one file into the session's document.
class mof_file_parser {
public:
    // `path` is the file's own path (UTF-8) for resolving includes; may be empty.
    mof_file_parser(mof_session& session, std::string_view text, std::string source, std::string path)
        : session_(session), in_(text, std::move(source), session), values_(session, in_, scope_),
          path_(std::move(path)) {
        scope_.source = in_.source();
        scope_.first_instance = session_.doc().instances.size();
    }

    // Parses every declaration, recovering after errors, then resolves the file's aliases.
    void run() {
        while (!session_.stopped() && !in_.at(mof_tok::end)) {
            const std::size_t before = in_.consumed();
            if (!declaration()) in_.recover();
            if (in_.consumed() == before && !in_.at(mof_tok::end)) in_.take();  // always make progress
        }
        mof_resolver(session_, scope_).run();
    }

private:
    bool declaration() {
        const mof_token& first = in_.peek();
        if (first.kind == mof_tok::semicolon) {
            in_.skip();  // a stray ';' between declarations declares nothing
            return true;
        }
        if (!session_.count_declaration([&] { return in_.location(first); })) return false;
        if (first.kind == mof_tok::directive) return directive();
        std::vector<mof_qualifier> qualifiers;
        if (in_.at(mof_tok::lbracket) && !values_.read_qualifiers(qualifiers)) return false;
        if (in_.at_keyword("instance")) return instance_decl(std::move(qualifiers));
        if (in_.at_keyword("class")) return class_decl(std::move(qualifiers));
        if (in_.at_keyword("qualifier") && qualifiers.empty()) return qualifier_decl();
        return in_.unexpected("a declaration (instance of, class, qualifier or #pragma)");
    }

    // ---------------------------------------------------------------- instances

    bool instance_decl(std::vector<mof_qualifier> qualifiers) {
        const mof_token keyword = in_.take();
        if (!in_.at_keyword("of")) return in_.unexpected("'of'");
        in_.skip();
        if (!in_.at(mof_tok::identifier)) return in_.unexpected("a class name");
        mof_instance mi;
        mi.object.class_name = std::string(in_.payload(in_.take()));
        if (!read_alias_clause(mi.alias)) return false;
        if (!in_.at(mof_tok::lbrace)) return in_.unexpected("'{'");
        mi.object.namespace_path = session_.ns.path;
        mi.server = session_.ns.server;
        mi.object.origin.kind = source_kind::mof;
        mi.object.origin.where = in_.location(keyword);
        mi.qualifiers = std::move(qualifiers);
        const mof_class_view view = session_.view_of(mi.object.class_name);
        if (view.declared != mof_npos) {
            mi.object.derivation = session_.doc().classes[view.declared].derivation;
            mi.object.key_names = session_.doc().classes[view.declared].key_names;
        }
        values_.instance_index = session_.doc().instances.size();
        bool complete = true;
        const bool body_ok = values_.read_body(view, mi.object.class_name, 0, mi.object.properties, complete);
        values_.instance_index = mof_npos;
        mi.complete = body_ok && complete;
        const bool ok = body_ok && in_.expect(mof_tok::semicolon, "';' after the instance");
        if (!mi.complete) {
            // Kept with what was read; rules see that the source cut it short (WMISUB-STR-014).
            mi.object.origin.annotations.push_back(
                {annotation_kind::incomplete, mi.object.origin.where,
                 "the declaration is cut short or has properties that could not be read"});
        }
        check_keys(view, mi);
        add_instance(std::move(mi));
        return ok;
    }

    // Key properties must be set (creating-an-instance-using-mof.md); reported, the instance is kept.
    void check_keys(const mof_class_view& view, const mof_instance& mi) {
        session_.each_key(view, [&](std::string_view key) {
            for (const property& p : mi.object.properties) {
                if (mof_names_equal(p.name, key) && !(p.value.is_null() && !p.value.is_array())) return;
            }
            session_.report(errc::missing_field,
                            "instance of " + mi.object.class_name + " has no value for its key property " +
                                std::string(key),
                            mi.object.origin.where);
        });
    }

    void add_instance(mof_instance mi) {
        const std::size_t index = session_.doc().instances.size();
        if (!mi.alias.empty()) {
            mof_alias_target target{false, index, mi.object.origin.where.line, mi.object.origin.where.column,
                                    {},    false, session_.ns_generation};
            // Its path is known now unless a property holds an alias still to resolve (keys may).
            if (scope_.pending.empty() || scope_.pending.back().instance != index) {
                target.path = mof_relative_path(mi.object);
                // Over-long paths (references nested through keys) are left to the resolver, which reports them.
                target.path_ready = target.path.size() <= WMISUB_MAX_OBJECT_PATH_BYTES;
            }
            define_alias(mi.alias, std::move(target), mi.object.origin.where);
        }
        session_.doc().instances.push_back(std::move(mi));
    }

    void define_alias(const std::string& alias, mof_alias_target target, const source_location& where) {
        if (const mof_alias_target* first = scope_.aliases.insert(alias, std::move(target))) {
            session_.report(errc::syntax_error,
                            "alias $" + alias + " is already defined at line " + std::to_string(first->line) +
                                ", column " + std::to_string(first->column) + "; this one is ignored",
                            where);
        }
    }

    // `as $alias`, when present.
    bool read_alias_clause(std::string& alias) {
        if (!in_.at_keyword("as")) return true;
        in_.skip();
        if (!in_.at(mof_tok::alias)) return in_.unexpected("an alias ($name)");
        const mof_token t = in_.take();
        if (!alias.empty()) return in_.fail(t, errc::syntax_error, "a second alias for one declaration");
        alias = std::string(in_.payload(t));
        return true;
    }

    // ------------------------------------------------------------------ classes

    bool class_decl(std::vector<mof_qualifier> qualifiers) {
        const mof_token keyword = in_.take();
        if (!in_.at(mof_tok::identifier)) return in_.unexpected("a class name");
        mof_class cls;
        cls.name = std::string(in_.payload(in_.take()));
        if (!read_alias_clause(cls.alias)) return false;  // Microsoft: alias before the superclass
        if (in_.accept(mof_tok::colon)) {
            if (!in_.at(mof_tok::identifier)) return in_.unexpected("a superclass name");
            cls.superclass = std::string(in_.payload(in_.take()));
        }
        if (!read_alias_clause(cls.alias)) return false;  // DSP0004: alias after it
        cls.namespace_path = session_.ns.path;
        cls.server = session_.ns.server;
        cls.qualifiers = std::move(qualifiers);
        cls.where = in_.location(keyword);
        if (mof_names_equal(cls.name, cls.superclass)) {
            in_.fail(keyword, errc::syntax_error, "class " + cls.name + " cannot derive from itself");
            cls.superclass.clear();
        }
        if (!in_.expect(mof_tok::lbrace, "'{'")) return false;
        const bool ok = class_body(cls) && in_.expect(mof_tok::semicolon, "';' after the class");
        add_class(std::move(cls));
        return ok;
    }

    bool class_body(mof_class& cls) {
        const std::size_t body_depth = in_.depth();
        while (!in_.at(mof_tok::rbrace)) {
            if (session_.stopped()) return false;
            if (in_.at(mof_tok::end) || in_.at(mof_tok::directive) || in_.at_declaration_keyword())
                return in_.unexpected("'}'");
            if (!feature(cls) && !in_.skip_member(body_depth)) return false;
        }
        in_.skip();
        return true;
    }

    void add_class(mof_class cls) {
        const std::size_t index = session_.doc().classes.size();
        if (!cls.alias.empty()) {
            define_alias(cls.alias,
                         {true, index, cls.where.line, cls.where.column, cls.name, true, session_.ns_generation},
                         cls.where);
        }
        session_.doc().classes.push_back(std::move(cls));
        session_.register_class(index);
    }

    // `type name`, `Class ref name`, `Class name` (embedded object) or `void`.
    bool read_typed_name(mof_property_decl& out, bool allow_void, bool& is_void) {
        if (!in_.at(mof_tok::identifier)) return in_.unexpected("a type");
        const mof_token type_token = in_.take();
        const std::string_view type_name = in_.payload(type_token);
        is_void = false;
        if (in_.at_keyword("ref") && in_.at(mof_tok::identifier, 1)) {
            in_.skip();
            out.type = cim_type::reference;
            out.ref_class = std::string(type_name);
        } else if (const auto t = cim_type_from_name(type_name); t && *t != cim_type::reference) {
            out.type = *t;
        } else if (mof_keyword_is(type_name, "void")) {
            if (!allow_void) return in_.fail(type_token, errc::syntax_error, "only a method can be void");
            is_void = true;
        } else {
            out.type = cim_type::object;  // a class name as the type: an embedded object
            out.ref_class = std::string(type_name);
        }
        if (!in_.at(mof_tok::identifier)) return in_.unexpected("a name");
        const mof_token name = in_.take();
        out.name = std::string(in_.payload(name));
        out.where = in_.location(name);
        return true;
    }

    // `[n]` or `[]` after a property or parameter name.
    bool read_array_suffix(mof_property_decl& decl) {
        if (!in_.accept(mof_tok::lbracket)) return true;
        decl.is_array = true;
        if (in_.at(mof_tok::integer)) decl.array_size = in_.take().magnitude;
        return in_.expect(mof_tok::rbracket, "']'");
    }

    bool read_default(mof_property_decl& decl) {
        if (!in_.accept(mof_tok::equals)) return true;
        value v;
        if (!values_.read({decl.type, decl.is_array, true, decl.ref_class}, 0, v)) return false;
        decl.default_value = std::move(v);
        return true;
    }

    bool feature(mof_class& cls) {
        mof_property_decl decl;
        if (in_.at(mof_tok::lbracket) && !values_.read_qualifiers(decl.qualifiers)) return false;
        bool is_void = false;
        if (!read_typed_name(decl, true, is_void)) return false;
        if (in_.accept(mof_tok::lparen)) return method(cls, std::move(decl), is_void);
        if (is_void) return in_.unexpected("'(' after a void method name");
        if (!read_array_suffix(decl) || !read_default(decl) || !in_.expect(mof_tok::semicolon, "';'")) return false;
        decl.is_key = mof_has_true_qualifier(decl.qualifiers, "key");
        cls.properties.push_back(std::move(decl));
        return true;
    }

    bool method(mof_class& cls, mof_property_decl head, bool is_void) {
        mof_method_decl m;
        m.name = std::move(head.name);
        m.return_type = is_void ? cim_type::empty : head.type;
        m.return_class = std::move(head.ref_class);
        m.qualifiers = std::move(head.qualifiers);
        m.where = std::move(head.where);
        if (!in_.at(mof_tok::rparen)) {
            do {
                mof_property_decl p;
                bool unused = false;
                if (in_.at(mof_tok::lbracket) && !values_.read_qualifiers(p.qualifiers)) return false;
                if (!read_typed_name(p, false, unused) || !read_array_suffix(p) || !read_default(p)) return false;
                m.parameters.push_back(std::move(p));
            } while (in_.accept(mof_tok::comma));
        }
        if (!in_.expect(mof_tok::rparen, "',' or ')'") || !in_.expect(mof_tok::semicolon, "';'")) return false;
        cls.methods.push_back(std::move(m));
        return true;
    }

    // --------------------------------------------------------------- qualifiers

    // `qualifier Name : type [= default], scope(…), flavor(…);` or the flavor
    // statement `qualifier Name : Flavor Flavor;`.
    bool qualifier_decl() {
        const mof_token keyword = in_.take();
        mof_qualifier_decl q;
        q.where = in_.location(keyword);
        if (!in_.at(mof_tok::identifier)) return in_.unexpected("a qualifier name");
        q.name = std::string(in_.payload(in_.take()));
        if (!in_.expect(mof_tok::colon, "':'")) return false;
        const auto type = in_.at(mof_tok::identifier) ? cim_type_from_name(in_.payload(in_.peek())) : std::nullopt;
        if (!type) {
            q.flavor_statement = true;
            while (in_.at(mof_tok::identifier)) q.flavors.emplace_back(in_.payload(in_.take()));
            if (q.flavors.empty()) return in_.unexpected("a type or a flavor");
        } else if (!qualifier_signature(q, *type)) {
            return false;
        }
        if (!in_.expect(mof_tok::semicolon, "';'")) return false;
        session_.doc().qualifier_decls.push_back(std::move(q));
        return true;
    }

    bool qualifier_signature(mof_qualifier_decl& q, cim_type type) {
        in_.skip();
        q.type = type;
        mof_property_decl shape;
        shape.type = type;
        if (!read_array_suffix(shape) || !read_default(shape)) return false;
        q.is_array = shape.is_array;
        q.default_value = std::move(shape.default_value);
        // `, scope(class, property)`, `, flavor(ToSubclass)` and any other group, commas optional.
        while (in_.accept(mof_tok::comma) || in_.at(mof_tok::identifier)) {
            if (!in_.at(mof_tok::identifier)) return in_.unexpected("scope(…) or flavor(…)");
            const std::string group(in_.payload(in_.take()));
            if (!in_.expect(mof_tok::lparen, "'('")) return false;
            std::vector<std::string>& into = mof_keyword_is(group, "flavor") ? q.flavors : q.scopes;
            while (in_.at(mof_tok::identifier)) {
                into.emplace_back(in_.payload(in_.take()));
                if (!in_.accept(mof_tok::comma)) break;
            }
            if (!in_.expect(mof_tok::rparen, "')'")) return false;
        }
        return true;
    }

    // --------------------------------------------------------------- directives

    bool directive() {
        const mof_token hash = in_.take();
        const std::string_view name = in_.payload(hash);
        mof_pragma p;
        p.where = in_.location(hash);
        if (mof_keyword_is(name, "include")) {
            if (!directive_arguments(p.arguments)) return false;
            return include(p.arguments, p.where);
        }
        if (!mof_keyword_is(name, "pragma")) {
            return in_.fail(hash, errc::syntax_error, "unknown directive #" + std::string(name));
        }
        if (!in_.at(mof_tok::identifier)) return in_.unexpected("a pragma name");
        p.name = std::string(in_.payload(in_.take()));
        if (!directive_arguments(p.arguments)) return false;
        const bool ok = apply_pragma(p);
        p.namespace_path = session_.ns.path;
        session_.doc().pragmas.push_back(std::move(p));
        return ok;
    }

    // `( "a" "b", IDENT, 12 )` or a bare string; nothing when neither follows.
    bool directive_arguments(std::vector<std::string>& out) {
        std::string text;
        if (in_.at(mof_tok::string)) {
            values_.read_string(text);
            out.push_back(std::move(text));
            return true;
        }
        if (!in_.accept(mof_tok::lparen)) return true;
        if (in_.accept(mof_tok::rparen)) return true;
        do {
            const mof_token& t = in_.peek();
            if (t.kind == mof_tok::string) {
                values_.read_string(text);
            } else if (t.kind == mof_tok::identifier || t.kind == mof_tok::integer || t.kind == mof_tok::real) {
                text.assign(in_.spelling(t));  // FAIL/NOFAIL and numbers as written
                in_.skip();
            } else {
                return in_.unexpected("a pragma argument");
            }
            out.push_back(std::move(text));
        } while (in_.accept(mof_tok::comma));
        return in_.expect(mof_tok::rparen, "')'");
    }

    bool apply_pragma(const mof_pragma& p) {
        const std::string_view name = p.name;
        const std::string_view first = p.arguments.empty() ? std::string_view{} : std::string_view(p.arguments[0]);
        if (mof_keyword_is(name, "namespace")) {
            if (p.arguments.empty())
                return fail_at(p.where, errc::syntax_error, "#pragma namespace needs a namespace path");
            if (const char* problem = mof_apply_namespace(first, session_.ns)) {
                return fail_at(p.where, errc::invalid_argument,
                               std::string(problem) + ": \"" + std::string(first) + "\"; namespace unchanged");
            }
            ++session_.ns_generation;
            return true;
        }
        if (mof_keyword_is(name, "autorecover")) {
            session_.doc().autorecover.push_back(p.where);
            return true;
        }
        if (mof_keyword_is(name, "include")) return include(p.arguments, p.where);
        if (mof_keyword_is(name, "deleteclass")) return deletion(p, mof_deletion_kind::class_definition);
        if (mof_keyword_is(name, "deleteinstance")) return deletion(p, mof_deletion_kind::instance);
        if (mof_keyword_is(name, "classflags"))
            return check_flags(p, {"createonly", "forceupdate", "safeupdate", "updateonly"});
        if (mof_keyword_is(name, "instanceflags")) return check_flags(p, {"createonly", "updateonly"});
        return true;  // locale, amendment, source, … and unknown pragmas: recorded as written
    }

    bool fail_at(const source_location& where, errc code, std::string message) {
        session_.report(code, std::move(message), where);
        return true;  // the pragma itself was well-formed: no recovery needed
    }

    bool check_flags(const mof_pragma& p, std::initializer_list<std::string_view> known) {
        for (const std::string& flag : p.arguments) {
            bool ok = false;
            for (const std::string_view k : known) ok = ok || mof_keyword_is(flag, k);
            if (!ok) fail_at(p.where, errc::invalid_argument, "unknown flag \"" + flag + "\" in #pragma " + p.name);
        }
        return true;
    }

    // `#pragma deleteclass("C", FAIL)` / `#pragma deleteinstance("C.k='v'", NOFAIL)`.
    bool deletion(const mof_pragma& p, mof_deletion_kind kind) {
        mof_deletion d;
        d.kind = kind;
        d.namespace_path = session_.ns.path;
        d.server = session_.ns.server;
        d.where = p.where;
        if (p.arguments.empty()) return fail_at(p.where, errc::syntax_error, "#pragma " + p.name + " needs a target");
        d.target = p.arguments[0];
        if (p.arguments.size() < 2 ||
            (!mof_keyword_is(p.arguments[1], "fail") && !mof_keyword_is(p.arguments[1], "nofail"))) {
            fail_at(p.where, errc::syntax_error, "#pragma " + p.name + " needs FAIL or NOFAIL after the target");
        } else {
            d.fail_if_missing = mof_keyword_is(p.arguments[1], "fail");
        }
        if (kind == mof_deletion_kind::instance && !parse_object_path(d.target)) {
            fail_at(p.where, errc::invalid_argument,
                    "#pragma deleteinstance target is not an object path: " + d.target);
        }
        session_.doc().deletions.push_back(std::move(d));
        return true;
    }

    // ----------------------------------------------------------------- includes

    bool include(const std::vector<std::string>& arguments, const source_location& where) {
        if (arguments.empty()) return fail_at(where, errc::syntax_error, "include needs a file name");
        mof_include rec;
        rec.requested = arguments[0];
        rec.where = where;
        std::string requested = rec.requested;
        for (char& c : requested) {
            if (c == '\\') c = '/';  // MOF files are written on Windows
        }
        const std::filesystem::path base = mof_utf8_to_path(path_).parent_path();
        rec.resolved = mof_path_to_utf8((base / mof_utf8_to_path(requested)).lexically_normal());
        const std::size_t index = session_.doc().includes.size();
        session_.doc().includes.push_back(rec);
        if (auto bytes = read_include(rec.resolved, where)) {
            session_.doc().includes[index].followed = true;
            session_.include_stack.push_back(rec.resolved);
            const mof_source_text text(*bytes);
            mof_file_parser nested(session_, text.text, rec.resolved, rec.resolved);
            nested.run();
            session_.include_stack.pop_back();
        }
        return true;
    }

    // The bytes of an included file, or nothing after reporting why not.
    std::optional<std::string> read_include(const std::string& resolved, const source_location& where) {
        const mof_options& options = session_.options();
        const auto refuse = [&](errc code, std::string why) -> std::optional<std::string> {
            session_.report(code, "include \"" + resolved + "\" not followed: " + why, where);
            return std::nullopt;
        };
        if (!options.include_reader)
            return refuse(errc::unsupported, "the input is not a file and no include reader was given");
        if (session_.include_stack.size() > options.max_include_depth) {
            return refuse(errc::limit_exceeded,
                          "includes nested deeper than " + std::to_string(options.max_include_depth));
        }
        for (const std::string& open : session_.include_stack) {
            if (iequals(open, resolved))
                return refuse(errc::invalid_argument, "include cycle (the file is already being read)");
        }
        if (++session_.include_count > options.max_includes) {
            return refuse(errc::limit_exceeded, "more than " + std::to_string(options.max_includes) + " includes");
        }
        auto bytes = options.include_reader(resolved);
        if (!bytes) {
            error why = std::move(bytes).error();
            return refuse(why.code, std::move(why.message));
        }
        if (bytes->size() > options.max_input_bytes - std::min(options.max_input_bytes, session_.total_bytes)) {
            return refuse(errc::limit_exceeded,
                          "the input and its includes exceed " + std::to_string(options.max_input_bytes) + " bytes");
        }
        if (const char* why = mof_binary_reason(*bytes)) return refuse(errc::unsupported, why);
        if (bytes->size() > mof_max_text / 2) return refuse(errc::limit_exceeded, "included file larger than 2 GiB");
        session_.total_bytes += bytes->size();
        return std::move(*bytes);
    }

    mof_session& session_;
    mof_stream in_;
    mof_file_scope scope_;
    mof_value_reader values_;
    std::string path_;
};

// Parses one top-level input into doc (see parse_mof).
inline void mof_parse_top(std::string_view bytes, const mof_options& options, mof_document& doc) {
    const source_location start{options.source_name, 0, 0, 0};
    if (bytes.size() > options.max_input_bytes) {
        doc.errors.push_back(make_error(
            errc::limit_exceeded, "input larger than " + std::to_string(options.max_input_bytes) + " bytes", start));
        return;
    }
    if (const char* why = mof_binary_reason(bytes)) {
        doc.errors.push_back(make_error(errc::unsupported, why, start));
        return;
    }
    const mof_source_text decoded(bytes);
    doc.encoding = decoded.encoding;
    if (decoded.text.size() > mof_max_text) {
        doc.errors.push_back(make_error(errc::limit_exceeded, "decoded input larger than 4 GiB", start));
        return;
    }
    // About one instance per 200 bytes in real files; reserving avoids re-moving them all as the vector grows.
    doc.instances.reserve(std::min(bytes.size() / 200, options.max_declarations));
    mof_session session(options, doc);
    session.total_bytes = bytes.size();
    if (const char* problem = mof_apply_namespace(options.default_namespace, session.ns)) {
        doc.errors.push_back(make_error(errc::invalid_argument, std::string("default namespace: ") + problem, start));
        session.ns = {"", "root\\default"};
    }
    session.include_stack.push_back(mof_path_to_utf8(mof_utf8_to_path(options.source_name).lexically_normal()));
    mof_file_parser(session, decoded.text, options.source_name, options.source_name).run();
}

}  // namespace detail

// ---------------------------------------------------------------------------
// The public functions of wmisub/mof/parser.hpp
// ---------------------------------------------------------------------------

WMISUB_API bool is_binary_mof(std::string_view bytes) noexcept { return detail::mof_binary_reason(bytes) != nullptr; }

WMISUB_API mof_document parse_mof(std::string_view bytes, const mof_options& options) noexcept {
    mof_document doc;
#if WMISUB_EXCEPTIONS
    try {
        detail::mof_parse_top(bytes, options, doc);
    } catch (...) {
        doc.errors.push_back(make_error(errc::limit_exceeded, "out of memory while parsing MOF",
                                        source_location{options.source_name, 0, 0, source_location::npos}));
    }
#else
    detail::mof_parse_top(bytes, options, doc);
#endif
    return doc;
}

WMISUB_API mof_document parse_mof_file(const std::filesystem::path& path, mof_options options) noexcept {
    mof_document doc;
#if WMISUB_EXCEPTIONS
    try {
#endif
        if (options.source_name.empty()) options.source_name = detail::mof_path_to_utf8(path);
        if (!options.include_reader) {
            const std::size_t limit = options.max_input_bytes;
            options.include_reader = [limit](const std::string& p) {
                return detail::mof_read_file(detail::mof_utf8_to_path(p), limit);
            };
        }
        auto bytes = detail::mof_read_file(path, options.max_input_bytes, &options);
        if (!bytes) {
            error e = std::move(bytes).error();
            e.location.source = options.source_name;
            doc.errors.push_back(std::move(e));
            return doc;
        }
        return parse_mof(*bytes, options);
#if WMISUB_EXCEPTIONS
    } catch (...) {
        doc.errors.push_back(make_error(errc::limit_exceeded, "out of memory while reading MOF",
                                        source_location{options.source_name, 0, 0, source_location::npos}));
    }
    return doc;
#endif
}

WMISUB_API snapshot to_snapshot(const mof_document& doc) {
    snapshot out;
    for (const mof_instance& in : doc.instances) out.add(in.object, in.object.origin.where.source);
    for (const error& e : doc.errors) out.errors.push_back({e.location.source, {}, e});
    return out;
}

WMISUB_NAMESPACE_END
