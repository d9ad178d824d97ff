// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Entry points of payload analysis and the per-class view of consumers:
// CommandLine (CreateProcess semantics), ActiveScript (engine, text, script
// file), LogFile (a file-write primitive), SMTP (where mail goes and what
// event data it carries), NTEventLog (normally benign) and custom classes
// (provider-run; every string property scanned).
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/engine.inl"
#include "wmisub/payload/impl/scan.inl"
#include "wmisub/payload/impl/text.inl"
#include "wmisub/text.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Inputs beyond WMISUB_MAX_INPUT_BYTES are analysed up to that size.
[[nodiscard]] inline std::string_view bounded_input(std::string_view s, payload_analysis& out) noexcept {
    if (s.size() <= WMISUB_MAX_INPUT_BYTES) return s;
    out.truncated = true;
    return utf8_prefix(s, WMISUB_MAX_INPUT_BYTES);
}

[[nodiscard]] inline frame root_frame(std::string_view field, std::string_view text) {
    frame f;
    f.field = field;
    f.origin = text;
    return f;
}

inline void analyzer::analyze_command_line_fields(std::string_view command_line_text, std::string_view cmd_field,
                                                  std::optional<std::string_view> executable, std::string_view exe_field) {
    const std::string_view cmd = bounded_input(command_line_text, out);
    const std::string_view exe = executable ? bounded_input(*executable, out) : std::string_view{};
    const frame cf = root_frame(cmd_field, cmd);
    const frame ef = root_frame(exe_field, exe);
    // Both texts outlive this call: their normalized paths may be kept for reuse until it returns.
    struct memo_scope {
        path_memo& memo;
        ~memo_scope() { memo.reset(); }
    } scope{paths};
    paths.stable = {cmd, exe};
    const bool has_cmd = !trim(cmd).empty();
    const bool has_exe = !trim(exe).empty();
    if (has_cmd) generic_scan(cmd, cf, scan_mode::command);
    if (has_exe) generic_scan(exe, ef, scan_mode::command);
    if (has_cmd && has_exe) {
        command_line(cmd, cf, &exe, &ef, true);
    } else if (has_cmd) {
        command_line(cmd, cf, nullptr, nullptr, true);
    } else if (has_exe) {
        command_line(exe, ef, nullptr, nullptr, true);  // a NULL CommandLineTemplate: ExecutablePath is the command line
    }
}

inline void analyzer::analyze_root_script(std::string_view text_in, std::string_view field, script_language lang) {
    const std::string_view text = bounded_input(text_in, out);
    const frame f = root_frame(field, text);
    generic_scan(text, f, scan_mode::script);
    if (lang == script_language::powershell) {
        powershell_text(text, f, true);
    } else if (lang == script_language::vbscript || lang == script_language::jscript) {
        script_text(text, lang, f, true);
    } else if (lang == script_language::cmd) {
        env_overrides vars;
        cmd_script(text, f, vars);
    } else {
        guess_text(text, f);
    }
}

inline void analyzer::analyze_engine_script(std::string_view text_in, std::string_view field, std::string_view engine) {
    const std::string_view text = bounded_input(text_in, out);
    const frame f = root_frame(field, text);
    const script_language lang = language_of_engine(engine);
    generic_scan(text, f, scan_mode::script);
    if (lang == script_language::unknown) {
        if (!trim(engine).empty()) emit_at(indicator_kind::unusual_script_engine, "ScriptingEngine", engine, 0, engine, 0);
        script_text(text, script_language::vbscript, f, true);
        script_text(text, script_language::jscript, f, true);
    } else if (lang == script_language::powershell) {
        powershell_text(text, f, true);
    } else {
        script_text(text, lang, f, true);
    }
}

// Templates whose value hands out whole event objects or sensitive properties.
[[nodiscard]] inline bool sensitive_template(std::string_view tmpl) noexcept {
    std::string_view name = tmpl;
    if (name.size() >= 2 && name.front() == '%' && name.back() == '%') name = name.substr(1, name.size() - 2);
    if (ieq(name, "TargetInstance") || ieq(name, "PreviousInstance") || ieq(name, "TargetEvent") || ieq(name, "TargetObject")) return true;
    const std::size_t dot = name.rfind('.');
    const std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
    for (std::string_view s : {"CommandLine", "ExecutablePath", "Password", "UserName", "User", "AccountName", "Domain",
                               "InsertionStrings", "Message", "CSName", "LogonId", "Sid", "Credentials", "Caption"}) {
        if (ieq(last, s)) return true;
    }
    return false;
}

inline void analyzer::analyze_consumer(const consumer& c) {
    std::visit(
        [this](const auto& typed) {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, command_line_consumer>) {
                // A view, not value_or(): that would copy the whole command line.
                const std::string_view command_line = typed.command_line_template ? std::string_view(*typed.command_line_template) : std::string_view{};
                analyze_command_line_fields(command_line, "CommandLineTemplate",
                                            typed.executable_path ? std::optional<std::string_view>(*typed.executable_path) : std::nullopt,
                                            "ExecutablePath");
                if (typed.run_interactively.value_or(false)) {
                    // A shell on the interactive desktop is a console for the person there (Microsoft's
                    // own samples open one), not a shell started for what it loads by itself.
                    std::erase_if(out.indicators, [](const indicator& i) { return i.kind == indicator_kind::implicit_profile_execution; });
                }
                if (typed.show_window_command && *typed.show_window_command == 0) {
                    emit_at(indicator_kind::hidden_window, "ShowWindowCommand", "0", 0, "ShowWindowCommand = SW_HIDE", 0);
                }
                if (typed.working_directory && !trim(*typed.working_directory).empty()) {
                    const std::string_view wd = *typed.working_directory;
                    const frame wf = root_frame("WorkingDirectory", wd);
                    generic_scan(wd, wf, scan_mode::script);
                    const std::string norm = normalize_path(wd);
                    const auto where = classify_writable(norm + "\\x");
                    if (where) {
                        // Relative scripts and programs on the command line resolve into the working directory.
                        for (std::size_t i = 1; i < out.argv.size(); ++i) {
                            const std::string& a = out.argv[i];
                            if (a.find('\\') == std::string::npos && a.find('/') == std::string::npos &&
                                is_executable_extension(path_extension(lower_copy(a)))) {
                                emit_at(indicator_kind::runs_from_writable_path, "WorkingDirectory", wd, 0,
                                        a + " in " + norm + " (" + std::string(to_string(*where)) + ")", 0);
                            }
                        }
                    }
                }
            } else if constexpr (std::is_same_v<T, active_script_consumer>) {
                const std::string engine = typed.scripting_engine.value_or(std::string());
                add_stage("scrcons.exe", stage_role::script_host, "ActiveScript consumer host, runs " + engine + " as LocalSystem",
                          engine, root_frame("ScriptingEngine", engine));
                const bool has_text = typed.script_text && !trim(*typed.script_text).empty();
                if (has_text) {
                    analyze_engine_script(*typed.script_text, "ScriptText", engine);
                } else if (language_of_engine(engine) == script_language::unknown && !trim(engine).empty()) {
                    emit_at(indicator_kind::unusual_script_engine, "ScriptingEngine", engine, 0, engine, 0);
                }
                if (typed.script_file_name && !trim(*typed.script_file_name).empty()) {
                    const std::string_view file = bounded_input(*typed.script_file_name, out);
                    const frame ff = root_frame("ScriptFileName", file);
                    generic_scan(file, ff, scan_mode::script);
                    add_stage("scrcons.exe", stage_role::script_host, "runs script file " + std::string(clip(file, 160)), file, ff);
                    executed_file(file, ff, file.data(), "script", file_role::script);
                }
            } else if constexpr (std::is_same_v<T, log_file_consumer>) {
                const std::string_view file = typed.filename ? bounded_input(*typed.filename, out) : std::string_view{};
                const std::string_view text = typed.text ? bounded_input(*typed.text, out) : std::string_view{};
                const frame ff = root_frame("Filename", file);
                const frame tf = root_frame("Text", text);
                if (!trim(file).empty()) {
                    generic_scan(file, ff, scan_mode::script);
                    file_written(file, ff, file.data(), "LogFileEventConsumer appends to");
                    add_stage("wbemcons.dll", stage_role::program, "appends event text to " + std::string(clip(file, 160)), text, ff);
                }
                if (!trim(text).empty()) {
                    generic_scan(text, tf, scan_mode::template_text);
                    const std::string normalized_file = normalize_path(file);
                    const std::string_view ext = path_extension(normalized_file);
                    if (ext == ".bat" || ext == ".cmd") {
                        env_overrides vars;
                        cmd_script(text, tf, vars);
                    } else if (ext == ".ps1" || ext == ".psm1") {
                        powershell_text(text, tf, true);  // the template scan above covers a script scan
                    } else if (ext == ".vbs" || ext == ".vbe") {
                        script_text(text, script_language::vbscript, tf, true);
                    } else if (ext == ".js" || ext == ".jse") {
                        script_text(text, script_language::jscript, tf, true);
                    } else if (is_executable_extension(ext)) {
                        guess_text(text, tf);
                    }
                }
            } else if constexpr (std::is_same_v<T, nt_event_log_consumer>) {
                const std::string source = typed.source_name.value_or(std::string());
                add_stage("wbemcons.dll", stage_role::program,
                          "writes an event log record (source \"" + source + "\", event " +
                              std::to_string(typed.event_id.value_or(0)) + ")",
                          source, root_frame("SourceName", source));
                if (typed.unc_server_name) {
                    const std::string_view server = trim(*typed.unc_server_name);
                    std::string host = lower_copy(server);
                    while (has_prefix(host, "\\")) host.erase(0, 1);
                    if (!host.empty() && host != "." && host != "localhost" && host != "127.0.0.1") {
                        emit_at(indicator_kind::remote_event_log, "UNCServerName", *typed.unc_server_name, 0, std::string(server), 0);
                    }
                }
                if (typed.insertion_string_templates) {
                    for (const std::string& s : *typed.insertion_string_templates) {
                        generic_scan(s, root_frame("InsertionStringTemplates", s), scan_mode::template_text);
                    }
                }
            } else if constexpr (std::is_same_v<T, smtp_consumer>) {
                std::string detail = "server=" + typed.smtp_server.value_or(std::string());
                const std::pair<std::string_view, const std::optional<std::string>*> lines[] = {
                    {"ToLine", &typed.to_line}, {"CcLine", &typed.cc_line}, {"BccLine", &typed.bcc_line},
                    {"FromLine", &typed.from_line}, {"ReplyToLine", &typed.reply_to_line}, {"Subject", &typed.subject},
                    {"Message", &typed.message}, {"SMTPServer", &typed.smtp_server}};
                for (const auto& [name, value] : lines) {
                    if (!*value || value->value().empty()) continue;
                    if (name == "ToLine" || name == "CcLine" || name == "BccLine") detail += "; " + std::string(name) + "=" + **value;
                }
                const std::string_view server_text = typed.smtp_server ? std::string_view(*typed.smtp_server) : std::string_view{};
                emit_at(indicator_kind::email_send, "SMTPServer", server_text, 0, detail, 0);
                add_stage("smtpcons.dll", stage_role::program, "sends e-mail through " + typed.smtp_server.value_or(std::string()),
                          detail, root_frame("SMTPServer", server_text));
                auto scan_field = [this](std::string_view name, std::string_view value) {
                    const frame f = root_frame(name, value);
                    generic_scan(value, f, scan_mode::template_text);
                    scan_hits templates;
                    scan_templates(value, templates, 64);
                    for (const scan_hit& t : templates) {
                        if (sensitive_template(t.detail) || name == "ToLine" || name == "CcLine" || name == "BccLine") {
                            emit(indicator_kind::event_data_exfiltration, f, value.data() + t.pos, std::string(name) + " carries " + t.detail);
                        }
                    }
                };
                for (const auto& [name, value] : lines) {
                    if (*value && !value->value().empty()) scan_field(name, bounded_input(**value, out));
                }
                if (typed.header_fields) {
                    for (const std::string& h : *typed.header_fields) scan_field("HeaderFields", h);
                }
            } else if constexpr (std::is_same_v<T, custom_consumer>) {
                std::string what = typed.class_name;
                if (!typed.derivation.empty()) what += " : " + typed.derivation.front();
                emit_at(indicator_kind::custom_consumer, "__CLASS", typed.class_name, 0, what + " (run by its consumer provider DLL)", 0);
                add_stage(typed.class_name, stage_role::program, "consumer provider handles the event", what, root_frame("__CLASS", typed.class_name));
                for (const property& p : typed.extra) {
                    std::vector<std::string> texts;
                    if (const std::string* s = p.value.as_string()) texts.push_back(*s);
                    else if (auto list = p.value.as_strings()) texts = std::move(*list);
                    for (const std::string& s : texts) {
                        if (trim(s).empty()) continue;
                        const frame pf = root_frame(p.name, s);
                        generic_scan(bounded_input(s, out), pf, scan_mode::template_text);
                        if (enter(pf)) guess_text(bounded_input(s, out), pf);
                    }
                }
            }
        },
        c);
}

// Runs one analysis; an exception (only allocation failure can throw) ends it with `truncated` set.
// The layers decoded before that are kept, as they were before layers moved into the analyzer.
template <class Fn>
void run_guarded(payload_analysis& out, Fn&& fn, const payload_options& options, const stop_signal* stop = nullptr) {
    analyzer a(options, out, stop != nullptr && !stop->empty() ? stop : nullptr);  // allocates nothing: cannot throw
#if WMISUB_EXCEPTIONS
    try {
        fn(a);
    } catch (...) {
        out.truncated = true;
    }
    try {
        a.layers.move_into(out.layers);  // the analysis is over: no frame views the layers any more
    } catch (...) {
        out.truncated = true;
    }
#else
    fn(a);
    a.layers.move_into(out.layers);
#endif
    if (a.poll.raised()) {
        out.interrupted = true;
        out.truncated = true;  // partial: never cached, never taken for the whole payload's verdict
    }
}

}  // namespace detail
WMISUB_NAMESPACE_END
