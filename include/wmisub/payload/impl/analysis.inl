// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The definitions of language_of_engine(), split_command_line(),
// tokenize_command_line(), expand_environment(), normalize_path(),
// classify_writable_path() and the analyze_*() entry points.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

// Every part of the analyzer, in dependency order: the analyzer's member
// functions are declared in engine.inl and defined in the parts after it.
#include "wmisub/payload/impl/text.inl"
#include "wmisub/payload/impl/argv.inl"
#include "wmisub/payload/impl/inflate.inl"
#include "wmisub/payload/impl/normalize.inl"
#include "wmisub/payload/impl/literals.inl"
#include "wmisub/payload/impl/scan.inl"
#include "wmisub/payload/impl/engine.inl"
#include "wmisub/payload/impl/cmd.inl"
#include "wmisub/payload/impl/tables.inl"
#include "wmisub/payload/impl/tools.inl"
#include "wmisub/payload/impl/powershell.inl"
#include "wmisub/payload/impl/ps_text.inl"
#include "wmisub/payload/impl/script.inl"
#include "wmisub/payload/impl/consumer.inl"
#include "wmisub/impl/model_fields.inl"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN

WMISUB_API script_language language_of_engine(std::string_view engine) noexcept {
    engine = trim(engine);
    for (std::string_view vbs : {"vbscript", "vbs", "vbscript.encode", "vbscript.1", "vbe"}) {
        if (iequals(engine, vbs)) return script_language::vbscript;
    }
    for (std::string_view js : {"jscript", "javascript", "jscript.encode", "ecmascript", "js", "jscript.compact", "jse",
                                "livescript", "javascript1.1", "javascript1.2", "javascript1.3"}) {
        if (iequals(engine, js)) return script_language::jscript;
    }
    if (iequals(engine, "powershell")) return script_language::powershell;
    return script_language::unknown;
}

// ---------------------------------------------------------------------------
// Command lines and paths
// ---------------------------------------------------------------------------

WMISUB_API std::vector<std::string> split_command_line(std::string_view command_line, argv_dialect dialect) {
    std::vector<std::string> out;
    for (command_argument& a : detail::tokenize_argv(command_line, dialect)) out.push_back(std::move(a.value));
    return out;
}

WMISUB_API std::vector<command_argument> tokenize_command_line(std::string_view command_line, argv_dialect dialect) {
    return detail::tokenize_argv(command_line, dialect);
}

WMISUB_API std::string expand_environment(std::string_view text) { return detail::expand_env(text, nullptr); }

WMISUB_API std::string normalize_path(std::string_view path) { return detail::normalize_path(path); }

WMISUB_API std::optional<writable_location> classify_writable_path(std::string_view path) {
    return detail::classify_writable(detail::normalize_path(path));
}

// ---------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------

WMISUB_API payload_analysis analyze_command_line(std::string_view command_line,
                                                 std::optional<std::string_view> executable_path,
                                                 const payload_options& options) {
    payload_analysis out;
    detail::run_guarded(out, [&](detail::analyzer& a) {
        a.analyze_command_line_fields(command_line, "CommandLineTemplate", executable_path, "ExecutablePath");
    }, options);
    return out;
}

WMISUB_API payload_analysis analyze_powershell(std::string_view script, const payload_options& options) {
    return analyze_powershell(script, options, stop_signal{});
}

WMISUB_API payload_analysis analyze_powershell(std::string_view script, const payload_options& options,
                                               const stop_signal& stop) {
    payload_analysis out;
    detail::run_guarded(out, [&](detail::analyzer& a) { a.analyze_root_script(script, "ScriptText", script_language::powershell); },
                        options, &stop);
    return out;
}

WMISUB_API payload_analysis analyze_script(std::string_view text, std::string_view engine, const payload_options& options) {
    return analyze_script(text, engine, options, stop_signal{});
}

WMISUB_API payload_analysis analyze_script(std::string_view text, std::string_view engine, const payload_options& options,
                                           const stop_signal& stop) {
    payload_analysis out;
    detail::run_guarded(out, [&](detail::analyzer& a) { a.analyze_engine_script(text, "ScriptText", engine); }, options, &stop);
    return out;
}

WMISUB_API payload_analysis analyze_consumer(const consumer& c, const payload_options& options) {
    return analyze_consumer(c, options, stop_signal{});
}

WMISUB_API payload_analysis analyze_consumer(const consumer& c, const payload_options& options, const stop_signal& stop) {
    payload_analysis out;
    detail::run_guarded(out, [&](detail::analyzer& a) { a.analyze_consumer(c); }, options, &stop);
    return out;
}

namespace detail {

// Length-prefixed, so no two different field lists give the same key.
inline void append_key_part(std::string& out, std::string_view text) {
    out += std::to_string(text.size());
    out += ':';
    out += text;
}

inline void append_key_member(std::string& out, const std::string& s) { append_key_part(out, s); }
inline void append_key_member(std::string& out, const std::optional<std::string>& s) {
    if (s) append_key_part(out, *s);
    else out += '-';
}
inline void append_key_member(std::string& out, const std::optional<bool>& b) { out += !b ? '-' : (*b ? 't' : 'f'); }
template <class Int>
void append_key_member(std::string& out, const std::optional<Int>& i) {
    if (i) append_key_part(out, std::to_string(*i));
    else out += '-';
}
inline void append_key_member(std::string& out, const std::optional<std::vector<std::string>>& items) {
    if (!items) {
        out += '-';
        return;
    }
    out += std::to_string(items->size());
    out += '[';
    for (const std::string& item : *items) append_key_part(out, item);
}

// The header fields (Name, MachineName, MaximumQueueSize) the analyzer never reads.
[[nodiscard]] inline bool consumer_header_field(std::string_view name) noexcept {
    return name == "Name" || name == "MachineName" || name == "MaximumQueueSize";
}

// Every modelled field of a standard consumer but the header ones, in table order.
template <class T>
void append_modelled_fields(std::string& out, const T& typed) {
    std::apply(
        [&](const auto&... f) {
            (
                [&] {
                    if (consumer_header_field(f.name)) return;
                    out += f.name;
                    out += '=';
                    append_key_member(out, typed.*(f.member));
                }(),
                ...);
        },
        model_fields<T>::list());
}

// Hashes of the modelled fields, consistent with append_key_member: equal keys, equal hashes.
inline void hash_key_member(std::size_t& seed, std::size_t h) noexcept { seed ^= h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2); }
inline void hash_key_member(std::size_t& seed, const std::string& s) noexcept { hash_key_member(seed, std::hash<std::string_view>{}(s)); }
inline void hash_key_member(std::size_t& seed, const std::optional<std::string>& s) noexcept {
    hash_key_member(seed, s ? std::hash<std::string_view>{}(*s) : std::size_t{1});
}
inline void hash_key_member(std::size_t& seed, const std::optional<bool>& b) noexcept {
    hash_key_member(seed, std::size_t{!b ? 2U : (*b ? 3U : 4U)});
}
template <class Int>
void hash_key_member(std::size_t& seed, const std::optional<Int>& i) noexcept {
    hash_key_member(seed, i ? static_cast<std::size_t>(*i) * 31U + 5U : std::size_t{6});
}
inline void hash_key_member(std::size_t& seed, const std::optional<std::vector<std::string>>& items) noexcept {
    if (!items) return hash_key_member(seed, std::size_t{7});
    hash_key_member(seed, items->size());
    for (const std::string& item : *items) hash_key_member(seed, item);
}

// What payload_content_key compares, read in place: the fields of a standard consumer, hashed
// and compared without building the key (a graph looks up every consumer; most repeat).
template <class T>
[[nodiscard]] std::size_t modelled_fields_hash(const T& typed) noexcept {
    std::size_t seed = 0;
    std::apply([&](const auto&... f) { ((consumer_header_field(f.name) ? void() : hash_key_member(seed, typed.*(f.member))), ...); },
               model_fields<T>::list());
    return seed;
}

template <class T>
[[nodiscard]] bool same_modelled_fields(const T& a, const T& b) noexcept {
    return std::apply([&](const auto&... f) { return ((consumer_header_field(f.name) || a.*(f.member) == b.*(f.member)) && ...); },
                      model_fields<T>::list());
}

// A hash of payload_content_key(c), computed without building it.
[[nodiscard]] inline std::size_t payload_content_hash(const consumer& c) {
    return std::visit(
        [&](const auto& typed) -> std::size_t {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, custom_consumer>) {
                return std::hash<std::string>{}(payload_content_key(c));  // rare: the key itself
            } else {
                return modelled_fields_hash(typed) ^ c.index();
            }
        },
        c);
}

// payload_content_key(a) == payload_content_key(b), decided without building either.
[[nodiscard]] inline bool same_payload_content(const consumer& a, const consumer& b) {
    if (a.index() != b.index()) return false;
    return std::visit(
        [&](const auto& typed) -> bool {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, custom_consumer>) {
                return payload_content_key(a) == payload_content_key(b);
            } else {
                return same_modelled_fields(typed, std::get<T>(b));
            }
        },
        a);
}

}  // namespace detail

WMISUB_API std::string payload_content_key(const consumer& c) {
    std::string key;
    key += static_cast<char>('0' + c.index());
    std::visit(
        [&](const auto& typed) {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, custom_consumer>) {
                // A provider-run class: its name, superclasses and every property it carries are scanned.
                detail::append_key_part(key, typed.class_name);
                key += std::to_string(typed.derivation.size());
                for (const std::string& d : typed.derivation) detail::append_key_part(key, d);
                key += std::to_string(typed.extra.size());
                for (const property& p : typed.extra) {
                    detail::append_key_part(key, p.name);
                    detail::append_key_part(key, to_mof(p.value));
                    key += static_cast<char>('A' + static_cast<int>(p.value.type()) % 64);
                    key += p.value.is_array() ? 'a' : 's';
                }
            } else {
                detail::append_modelled_fields(key, typed);
            }
        },
        c);
    return key;
}

WMISUB_NAMESPACE_END
