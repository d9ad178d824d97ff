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

#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
    payload_analysis out;
    detail::run_guarded(out, [&](detail::analyzer& a) { a.analyze_root_script(script, "ScriptText", script_language::powershell); },
                        options);
    return out;
}

WMISUB_API payload_analysis analyze_script(std::string_view text, std::string_view engine, const payload_options& options) {
    payload_analysis out;
    detail::run_guarded(out, [&](detail::analyzer& a) { a.analyze_engine_script(text, "ScriptText", engine); }, options);
    return out;
}

WMISUB_API payload_analysis analyze_consumer(const consumer& c, const payload_options& options) {
    payload_analysis out;
    detail::run_guarded(out, [&](detail::analyzer& a) { a.analyze_consumer(c); }, options);
    return out;
}

WMISUB_NAMESPACE_END
