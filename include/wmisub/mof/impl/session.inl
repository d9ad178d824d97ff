// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/mof/parser.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// State shared by the MOF parser across one input and its includes (the
// session: errors and limits, namespace in force, declared classes and how
// they type values), the token stream of one file with its error recovery,
// and the file and encoding helpers around them.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/limits.hpp"
#include "wmisub/mof/impl/lexer.inl"
#include "wmisub/mof/impl/schema.inl"
#include "wmisub/mof/parser.hpp"
#include "wmisub/result.hpp"
#include "wmisub/storage.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

inline constexpr std::size_t mof_npos = static_cast<std::size_t>(-1);

// True for a character MOF text never holds: NUL and other C0 controls besides whitespace.
[[nodiscard]] constexpr bool mof_is_control(char32_t c) noexcept {
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v';
}

// True when more than a tenth of the UTF-16 units in `bytes` are controls or
// unpaired surrogates: little-endian binary structures have a NUL in every
// other byte too, but do not read as text.
[[nodiscard]] inline bool mof_utf16_is_binary(std::string_view bytes, bool big_endian) noexcept {
    const std::size_t units = bytes.size() / 2;
    std::size_t bad = 0;
    const auto unit_at = [&](std::size_t i) { return utf16_byte_unit(bytes, i, big_endian); };
    for (std::size_t i = 0; i < units;) {
        const decode_step step = decode_utf16(units, i, unit_at);
        if (!step.valid || mof_is_control(step.code_point)) ++bad;
        i += step.length;
    }
    return bad * 10 > units;
}

// Why bytes are not MOF text, or nullptr when they look like text.
[[nodiscard]] inline const char* mof_binary_reason(std::string_view bytes) noexcept {
    // Binary MOF (mofcomp -B, WMI driver resources) starts "FOMB" then version 1
    // (pali/bmfdec, bmfdec.c: DS-compressed data behind a 16-byte header).
    if (bytes.substr(0, 4) == "FOMB") return "binary MOF (mofcomp -B output, signature FOMB) is not supported";
    if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) return nullptr;  // UTF-16 by declaration
    const std::string_view head = bytes.substr(0, 65536);
    const utf16_guess guess = guess_utf16(head);
    if (guess != utf16_guess::none) {
        return mof_utf16_is_binary(head, guess == utf16_guess::big_endian) ? "input is binary data, not MOF text" : nullptr;
    }
    if (std::memchr(head.data(), 0, head.size()) != nullptr) return "input is binary data (NUL bytes), not MOF text";
    std::size_t controls = 0;
    for (const char c : head) controls += mof_is_control(static_cast<unsigned char>(c)) ? 1u : 0u;
    return controls * 10 > head.size() ? "input is binary data (control characters), not MOF text" : nullptr;
}

// True for well-formed UTF-8; ASCII runs are checked eight bytes at a time (MOF is mostly ASCII).
[[nodiscard]] inline bool mof_valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        while (i + 8 <= s.size()) {
            std::uint64_t word = 0;
            std::memcpy(&word, s.data() + i, 8);
            if ((word & 0x8080808080808080ull) != 0) break;
            i += 8;
        }
        if (i >= s.size()) break;
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const decode_step step = decode_utf8(s, i);
        if (!step.valid) return false;
        i += step.length;
    }
    return true;
}

// Input as UTF-8 text. Input that already is well-formed UTF-8 without NULs
// (so not UTF-16 either) is used in place; anything else goes through
// decode_text. The result is what decode_text would give, without the copy.
struct mof_source_text {
    std::string storage;  // the decoded copy, when one was needed
    std::string_view text;
    text_encoding encoding = text_encoding::utf8;

    explicit mof_source_text(std::string_view bytes) {
        std::string_view body = bytes;
        if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
        const bool utf16_bom = bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF");
        if (!utf16_bom && std::memchr(body.data(), 0, body.size()) == nullptr && mof_valid_utf8(body)) {
            text = body;
            return;
        }
        decoded_text decoded = decode_text(bytes);
        storage = std::move(decoded.utf8);
        text = storage;
        encoding = decoded.encoding;
    }
    mof_source_text(const mof_source_text&) = delete;  // `text` may point into `storage`
    mof_source_text& operator=(const mof_source_text&) = delete;
};

// A path from UTF-8 text (std::filesystem would read a narrow string in the ANSI code page on Windows).
[[nodiscard]] inline std::filesystem::path mof_utf8_to_path(std::string_view utf8) {
    std::u8string text(utf8.size(), u8'\0');
    for (std::size_t i = 0; i < utf8.size(); ++i) text[i] = static_cast<char8_t>(utf8[i]);
    return std::filesystem::path(text);
}

// A path as UTF-8 text, with generic (forward) separators (declared in wmisub/mof/parser.hpp).
WMISUB_API std::string mof_path_to_utf8(const std::filesystem::path& path) {
    const std::u8string text = path.generic_u8string();
    std::string out(text.size(), '\0');
    for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<char>(text[i]);
    return out;
}

// Why a parse must stop now: the caller's cancel flag, then (reading the clock) the deadline.
[[nodiscard]] inline std::optional<error> mof_interruption(const mof_options& options) {
    return stop_signal{options.cancel, options.deadline}.why("MOF parse");
}

// Bytes lexed between two looks at the cancel flag and the clock.
inline constexpr std::size_t mof_check_every_bytes = std::size_t{1} << 20;

// The whole file, refusing files larger than max_bytes before reading them and
// looking at the cancel flag and the deadline of `interrupt` (when given) per MiB.
[[nodiscard]] inline result<std::string> mof_read_file(const std::filesystem::path& path, std::size_t max_bytes,
                                                        const mof_options* interrupt = nullptr) {
    const stop_signal stop = interrupt != nullptr ? stop_signal{interrupt->cancel, interrupt->deadline} : stop_signal{};
    return read_file_limited(path, max_bytes, stop);
}

// A namespace as the parser stores it: backslash separators, none leading or
// trailing, and the host of a `\\host\…` spelling apart.
struct mof_namespace {
    std::string server;  // "" when not written; "." local
    std::string path;
};

// True for a valid namespace name (letters, digits, '_', '-' and non-ASCII, as object_path accepts).
[[nodiscard]] inline bool mof_namespace_name_ok(std::string_view name) noexcept {
    if (name.empty()) return false;
    for (const char c : name) {
        if (!mof_is(c, mof_cc_ident) && c != '-') return false;
    }
    return true;
}

// Applies a `#pragma namespace` argument to the namespace in force. `\\host\ns`
// and `\ns` are absolute; so is a path whose first name is `root` (what people
// mean by "root\\cimv2"); anything else is relative to `current` (MSDN:
// "#pragma namespace("SMIR")"). Slashes of either kind. nullptr on success, else why not.
[[nodiscard]] inline const char* mof_apply_namespace(std::string_view text, mof_namespace& current) {
    std::string s(text);
    for (char& c : s) {
        if (c == '/') c = '\\';
    }
    mof_namespace next;
    std::string_view rest = s;
    if (rest.starts_with("\\\\")) {
        rest.remove_prefix(2);
        const std::size_t end = rest.find('\\');
        next.server = std::string(rest.substr(0, end));
        if (next.server.empty()) return "namespace path with an empty host name";
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        if (rest.empty()) return "namespace path names a host but no namespace";
    } else if (!rest.starts_with("\\")) {
        const std::string_view first = rest.substr(0, rest.find('\\'));
        if (!mof_keyword_is(first, "root")) {
            next = current;
            if (!next.path.empty()) next.path += '\\';
        }
    }
    while (rest.starts_with("\\")) rest.remove_prefix(1);
    while (rest.ends_with("\\")) rest.remove_suffix(1);
    if (rest.empty()) return "empty namespace path";
    std::size_t begin = 0;
    while (begin <= rest.size()) {
        const std::size_t end = std::min(rest.find('\\', begin), rest.size());
        if (!mof_namespace_name_ok(rest.substr(begin, end - begin))) return "invalid namespace name";
        begin = end + 1;
    }
    next.path += rest;
    current = std::move(next);
    return nullptr;
}

// How a property is declared: what its values are coerced to.
struct mof_prop_type {
    cim_type type = cim_type::empty;
    bool is_array = false;
    bool known = false;
    std::string_view ref_class;
};

// What the parser knows about the class of an instance.
struct mof_class_view {
    std::size_t declared = mof_npos;          // index into mof_document::classes
    const mof_std_class* standard = nullptr;  // standard class of that name, when not declared
    [[nodiscard]] bool known() const noexcept { return declared != mof_npos || standard != nullptr; }
};

// Per declared class: how its chain continues.
struct mof_class_meta {
    std::size_t super = mof_npos;             // declared superclass (index), when declared in the MOF
    const mof_std_class* std_base = nullptr;  // standard class the chain ends in
    bool complete = false;                    // every property of the chain is known
    std::size_t depth = 0;                    // declared classes in the chain, bounded
};

// State of one parse: the document being filled, limits, namespace and classes.
class mof_session {
public:
    mof_session(const mof_options& options, mof_document& doc) : options_(options), doc_(doc) {}

    [[nodiscard]] const mof_options& options() const noexcept { return options_; }
    [[nodiscard]] mof_document& doc() noexcept { return doc_; }
    [[nodiscard]] bool stopped() const noexcept { return stopped_; }

    mof_namespace ns;                        // namespace in force
    std::size_t ns_generation = 0;           // changes whenever `ns` does
    std::vector<std::string> include_stack;  // normalised paths of the files being parsed
    std::size_t include_count = 0;
    std::size_t total_bytes = 0;

    // Records an error. After max_errors, one final limit error says the rest are not
    // listed and parsing goes on: a thousand harmless warnings must not hide the
    // instance after them. Past max_errors + max_declarations errors in all (only a
    // recovery that stopped advancing could get there) the parse stops.
    void report(errc code, std::string message, source_location where) {
        if (stopped_) return;
        ++reported_;
        if (reported_ > options_.max_errors + options_.max_declarations) {
            stop(errc::limit_exceeded, "more than " + std::to_string(reported_ - 1) + " errors; parsing stopped",
                 std::move(where));
            return;
        }
        if (reported_ <= options_.max_errors) {
            doc_.errors.push_back(make_error(code, std::move(message), std::move(where)));
        } else if (reported_ == options_.max_errors + 1) {
            doc_.errors.push_back(make_error(errc::limit_exceeded,
                                             "more than " + std::to_string(options_.max_errors) +
                                                 " errors; the rest are not listed (parsing goes on)",
                                             std::move(where)));
        }
    }

    // Stops the parse with an error that is always recorded (limits, cancellation).
    void stop(errc code, std::string message, source_location where) {
        if (stopped_) return;
        doc_.errors.push_back(make_error(code, std::move(message), std::move(where)));
        stopped_ = true;
    }

    // Looks at the cancel flag and the clock; false (and the parse stops) when either says stop.
    bool keep_going(const source_location& where) {
        if (stopped_) return false;
        auto why = mof_interruption(options_);
        if (!why) return true;
        stop(why->code, std::move(why->message), where);
        return false;
    }

    // Counts one declaration; false (and the parse stops) past the limit, on
    // cancel or deadline. `where()` gives the location, built only when needed.
    template <class Where>
    bool count_declaration(Where&& where) {
        if (++declarations_ > options_.max_declarations) {
            stop(errc::limit_exceeded, "more than " + std::to_string(options_.max_declarations) + " declarations",
                 where());
            return false;
        }
        if (options_.cancel != nullptr && options_.cancel->load(std::memory_order_relaxed)) {
            stop(errc::cancelled, "MOF parse cancelled", where());
            return false;
        }
        // The clock is read on the first declaration and every 64th after it.
        if (options_.deadline && (declarations_ & 63u) == 1 && std::chrono::steady_clock::now() >= *options_.deadline) {
            stop(errc::timeout, "MOF parse deadline passed", where());
            return false;
        }
        return true;
    }

    // Registers doc().classes[index] (just declared in the namespace in force):
    // links its superclass and fills its derivation and key names.
    void register_class(std::size_t index) {
        mof_class& cls = doc_.classes[index];
        mof_class_meta meta;
        if (!cls.superclass.empty()) {
            const mof_class_view super = view_of(cls.superclass);
            if (super.declared != mof_npos && meta_[super.declared].depth < 32) {
                const mof_class& s = doc_.classes[super.declared];
                meta.super = super.declared;
                meta.std_base = meta_[super.declared].std_base;
                meta.complete = meta_[super.declared].complete;
                meta.depth = meta_[super.declared].depth + 1;
                cls.derivation.push_back(s.name);
                cls.derivation.insert(cls.derivation.end(), s.derivation.begin(), s.derivation.end());
                cls.key_names = s.key_names;
            } else if (super.standard != nullptr) {
                meta.std_base = super.standard;
                meta.complete = mof_std_complete(super.standard);
                cls.derivation.emplace_back(super.standard->name);
                mof_append_std_derivation(super.standard, cls.derivation);
                mof_append_std_keys(super.standard, cls.key_names);
            } else {
                cls.derivation.push_back(cls.superclass);  // defined in the repository; beyond that unknown
            }
        } else {
            meta.complete = true;
        }
        for (const mof_property_decl& p : cls.properties) {
            if (!p.is_key) continue;
            bool present = false;
            for (const std::string& k : cls.key_names) present = present || mof_names_equal(k, p.name);
            if (!present) cls.key_names.push_back(p.name);
        }
        meta_.resize(doc_.classes.size());
        meta_[index] = meta;
        class_index_[class_key(ns.path, cls.name)] = index;
        cache_valid_ = false;
    }

    // The class called `name` in the namespace in force: declared in the MOF, else standard.
    [[nodiscard]] mof_class_view view_of(std::string_view name) {
        if (class_index_.empty()) return {mof_npos, mof_find_std_class(name)};
        if (cache_valid_ && cache_name_ == name && cache_ns_ == ns.path) return cache_view_;
        mof_class_view view;
        const auto found = class_index_.find(class_key(ns.path, name));
        if (found != class_index_.end()) {
            view.declared = found->second;
        } else {
            view.standard = mof_find_std_class(name);
        }
        cache_name_.assign(name);
        cache_ns_ = ns.path;
        cache_view_ = view;
        cache_valid_ = true;
        return view;
    }

    // How property `name` of the class is declared; known == false when nobody says.
    [[nodiscard]] mof_prop_type property_type(const mof_class_view& view, std::string_view name) const {
        const bool ascii = mof_is_ascii(name);
        const mof_std_class* standard = view.standard;
        for (std::size_t c = view.declared, guard = 0; c != mof_npos && guard <= 64; c = meta_[c].super, ++guard) {
            for (const mof_property_decl& p : doc_.classes[c].properties) {
                if (mof_names_equal(p.name, name)) return {p.type, p.is_array, true, p.ref_class};
            }
            standard = meta_[c].std_base;
        }
        if (const mof_std_property* p = mof_find_std_property(standard, name, ascii)) {
            return {p->type, p->is_array, true, p->ref_class};
        }
        return {};
    }

    // True when every property of the class is known, so an unknown name is an error.
    [[nodiscard]] bool complete(const mof_class_view& view) const noexcept {
        if (view.declared != mof_npos) return meta_[view.declared].complete;
        return mof_std_complete(view.standard);
    }

    // The key property names of the class, inherited first; empty when unknown.
    [[nodiscard]] std::vector<std::string> keys_of(const mof_class_view& view) const {
        if (view.declared != mof_npos) return doc_.classes[view.declared].key_names;
        std::vector<std::string> out;
        mof_append_std_keys(view.standard, out);
        return out;
    }

    // Calls f(name) for each key property of the class (without allocating; runs per instance).
    template <class F>
    void each_key(const mof_class_view& view, F&& f) const {
        if (view.declared != mof_npos) {
            for (const std::string& k : doc_.classes[view.declared].key_names) f(std::string_view(k));
            return;
        }
        for (const mof_std_class* cls = view.standard; cls != nullptr; cls = mof_std_super(cls)) {
            for (const mof_std_property& p : cls->properties) {
                if (p.is_key) f(p.name);
            }
        }
    }

private:
    [[nodiscard]] static std::string class_key(std::string_view ns_path, std::string_view name) {
        std::string key = fold_case(ns_path);
        key += '\x1f';
        append_folded(key, name);
        return key;
    }

    const mof_options& options_;
    mof_document& doc_;
    bool stopped_ = false;
    std::size_t reported_ = 0;  // errors reported, listed or not
    std::size_t declarations_ = 0;
    std::vector<mof_class_meta> meta_;
    std::unordered_map<std::string, std::size_t> class_index_;
    bool cache_valid_ = false;
    std::string cache_name_;
    std::string cache_ns_;
    mof_class_view cache_view_;
};

// The tokens of one file with lookahead, locations, brace depth and error recovery.
class mof_stream {
public:
    mof_stream(std::string_view text, std::string source, mof_session& session)
        : lexer_(text), source_(std::move(source)), session_(session) {}

    [[nodiscard]] const std::string& source() const noexcept { return source_; }
    [[nodiscard]] std::size_t consumed() const noexcept { return consumed_; }
    // Braces opened and not yet closed in this file.
    [[nodiscard]] std::size_t depth() const noexcept { return depth_; }

    // The k-th token ahead (k < 4) without consuming it.
    [[nodiscard]] const mof_token& peek(std::size_t k = 0) {
        if (count_ <= k) fill(k);
        return buffer_[(head_ + k) % buffer_.size()];
    }

    // Consumes the next token without copying it out.
    void skip() {
        const mof_token& t = peek();
        if (t.kind != mof_tok::end) {
            ++consumed_;
            before_previous_ = previous_;
            previous_ = t.kind;
        }
        if (t.kind == mof_tok::lbrace) ++depth_;
        if (t.kind == mof_tok::rbrace && depth_ > 0) --depth_;
        head_ = (head_ + 1) % buffer_.size();
        --count_;
    }

    // Consumes the next token.
    mof_token take() {
        mof_token t = peek();
        skip();  // at the end, peek() refills from the lexer, which keeps returning `end`
        return t;
    }

    [[nodiscard]] bool at(mof_tok kind, std::size_t k = 0) { return peek(k).kind == kind; }

    // True when the k-th token ahead is the identifier `keyword` (any case).
    [[nodiscard]] bool at_keyword(std::string_view keyword, std::size_t k = 0) {
        const mof_token& t = peek(k);
        return t.kind == mof_tok::identifier && mof_keyword_is(payload(t), keyword);
    }

    // Consumes the token when it has `kind`.
    bool accept(mof_tok kind) {
        if (!at(kind)) return false;
        skip();
        return true;
    }

    [[nodiscard]] std::string_view payload(const mof_token& t) const noexcept { return lexer_.payload(t); }
    // The token exactly as written.
    [[nodiscard]] std::string_view spelling(const mof_token& t) const noexcept {
        return lexer_.text().substr(t.offset, t.length);
    }

    [[nodiscard]] source_location location(const mof_token& t) const {
        return source_location{source_, t.line, t.column, t.offset};
    }

    // Reports a problem at token t and returns false.
    bool fail(const mof_token& t, errc code, std::string message) {
        session_.report(code, std::move(message), location(t));
        return false;
    }

    // Reports that the next token is not `what` (or the lexer's own problem) and returns false.
    bool unexpected(const char* what) {
        const mof_token& t = peek();
        if (t.kind == mof_tok::invalid) return fail(t, errc::syntax_error, t.problem);
        if (t.kind == mof_tok::end)
            return fail(t, errc::unexpected_end, std::string("expected ") + what + ", found the end of the input");
        return fail(t, errc::syntax_error, std::string("expected ") + what + ", found " + describe(t));
    }

    // Consumes a token of `kind` or reports that `what` was expected.
    bool expect(mof_tok kind, const char* what) {
        if (accept(kind)) return true;
        return unexpected(what);
    }

    // Skips to the next declaration: past a `;` at brace depth 0, or up to a
    // `#pragma`, `instance of`, `class X`, `qualifier X` or qualifier list that
    // starts one (never inside a value, where `instance of` is an embedded object).
    void recover() {
        while (!session_.stopped()) {
            const mof_token& t = peek();
            if (t.kind == mof_tok::end || starts_declaration()) break;
            const mof_tok kind = t.kind;
            skip();
            if (kind == mof_tok::semicolon && depth_ == 0) break;
        }
        depth_ = 0;
    }

    // After a broken member of a `{ … }` body (opened at body_depth): skips to its
    // `;` (consumed), the body's `}` or the next `Name =` (kept: a value never
    // holds '=', so that is the next member even when the `;` went missing or
    // sat inside an unterminated string). False when a declaration start or the
    // end comes first: the rest of the body is lost.
    bool skip_member(std::size_t body_depth) {
        while (!session_.stopped()) {
            const mof_token& t = peek();
            if (t.kind == mof_tok::end || t.kind == mof_tok::directive || depth_ < body_depth) return false;
            if (depth_ == body_depth && t.kind == mof_tok::rbrace) return true;
            if (depth_ == body_depth && t.kind == mof_tok::identifier && at(mof_tok::equals, 1)) return true;
            if (depth_ == body_depth && starts_declaration()) return false;
            const mof_tok kind = t.kind;
            skip();
            if (kind == mof_tok::semicolon && depth_ == body_depth) return true;
        }
        return false;
    }

    // True when the next tokens begin a top-level declaration.
    [[nodiscard]] bool starts_declaration() {
        const mof_tok k = peek().kind;
        if (k == mof_tok::directive) return true;
        // After '=', ',', '(' or "= {" an `instance of` is an embedded value, not a declaration.
        const bool value_context = previous_ == mof_tok::equals || previous_ == mof_tok::comma ||
                                   previous_ == mof_tok::lparen ||
                                   (previous_ == mof_tok::lbrace && before_previous_ == mof_tok::equals);
        if (value_context) return false;
        if (k == mof_tok::lbracket) return depth_ == 0;
        return at_declaration_keyword();
    }

    // True at `instance of`, `class X` or `qualifier X`: never the start of a property or value.
    [[nodiscard]] bool at_declaration_keyword() {
        if (!at(mof_tok::identifier)) return false;
        if (at_keyword("instance")) return at_keyword("of", 1);
        if (at_keyword("class") || at_keyword("qualifier")) return at(mof_tok::identifier, 1);
        return false;
    }

    // A short description of a token for messages.
    [[nodiscard]] std::string describe(const mof_token& t) const {
        switch (t.kind) {
        case mof_tok::end: return "the end of the input";
        case mof_tok::identifier: return "'" + std::string(payload(t).substr(0, 40)) + "'";
        case mof_tok::alias: return "alias $" + std::string(payload(t).substr(0, 40));
        case mof_tok::string: return "a string";
        case mof_tok::char_literal: return "a char16 literal";
        case mof_tok::integer: return "an integer";
        case mof_tok::real: return "a real number";
        case mof_tok::directive: return "#" + std::string(payload(t).substr(0, 40));
        case mof_tok::invalid: return "an invalid token";
        default: return "'" + std::string(lexer_.text().substr(t.offset, 1)) + "'";
        }
    }

private:
    // Lexes tokens until k is buffered (kept out of peek() so peek stays small enough to inline).
    void fill(std::size_t k) {
        while (count_ <= k) {
            mof_token& t = buffer_[(head_ + count_) % buffer_.size()];
            lexer_.next(t);
            ++count_;
            const std::uint32_t reached = t.offset + t.length;
            if (t.kind != mof_tok::end && (++tokens_ & 1023u) != 0 && reached - checked_at_ < mof_check_every_bytes) continue;
            checked_at_ = reached;
            if (t.kind == mof_tok::end || session_.keep_going({source_, t.line, t.column, t.offset})) continue;
            halt(t);
        }
    }

    // Ends the token stream here (the session has recorded why): this token and all after it are `end`.
    void halt(mof_token& t) noexcept {
        lexer_.finish();
        const mof_token at = t;
        t = mof_token{};
        t.offset = at.offset;
        t.line = at.line;
        t.column = at.column;
    }

    mof_lexer lexer_;
    std::string source_;
    mof_session& session_;
    std::array<mof_token, 4> buffer_{};
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::size_t consumed_ = 0;
    std::size_t depth_ = 0;
    mof_tok previous_ = mof_tok::semicolon;
    mof_tok before_previous_ = mof_tok::semicolon;
    std::size_t tokens_ = 0;        // lexed so far, for the periodic interruption check
    std::uint32_t checked_at_ = 0;  // offset of the last check
};

}  // namespace detail
WMISUB_NAMESPACE_END
