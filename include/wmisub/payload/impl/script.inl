// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// VBScript and JScript, as ActiveScriptEventConsumer (scrcons.exe), mshta and
// rundll32 run them: de-obfuscated (Chr(), fromCharCode, escapes,
// concatenation, StrReverse), matched against COM and language keywords, and
// mined for what they run (WScript.Shell Run/Exec, Shell.Application
// ShellExecute, Win32_Process.Create), download, write and decode; those
// commands are analysed as command lines.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/engine.inl"
#include "wmisub/payload/impl/literals.inl"
#include "wmisub/payload/impl/normalize.inl"
#include "wmisub/payload/impl/powershell.inl"
#include "wmisub/payload/impl/ps_text.inl"
#include "wmisub/payload/impl/tables.inl"
#include "wmisub/payload/impl/text.inl"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// VBScript/JScript keywords, sorted by word (lower case).
inline constexpr std::array<keyword, 80> script_keywords = {{
    {"__eventconsumer", kid(kw::wmi_sub), kw_any},
    {"__eventfilter", kid(kw::wmi_sub), kw_any},
    {"__filtertoconsumerbinding", kid(kw::wmi_sub), kw_any},
    {"activescripteventconsumer", kid(kw::wmi_sub), kw_any},
    {"adodb.stream", kid(kw::adodb_stream), kw_any},
    {"amsiinitfailed", kid(kw::amsi), kw_any},
    {"amsiscanbuffer", kid(kw::amsi), kw_any},
    {"amsiutils", kid(kw::amsi), kw_any},
    {"atob", kid(kw::atob), kw_not_member | kw_call},
    {"bin.base64", kid(kw::bin_base64), kw_any},
    {"cleareventlog", kid(kw::eventlog_clear), kw_any},  // Win32_NTEventLogFile's method, called or named
    {"commandline", kid(kw::commandline_prop), kw_member},
    {"commandlineeventconsumer", kid(kw::wmi_sub), kw_any},
    {"comsvcs", kid(kw::dump), kw_any},
    {"connectserver", kid(kw::wmi), kw_member},
    {"copy", kid(kw::copyfile), kw_member},
    {"copyfile", kid(kw::copyfile), kw_member},
    {"copyfolder", kid(kw::copyfile), kw_member},
    {"create", kid(kw::create), kw_member},
    {"createtextfile", kid(kw::createtextfile), kw_member},
    {"delete", kid(kw::delete_method), kw_member},
    {"deletefile", kid(kw::deletefile), kw_member},
    {"deletefolder", kid(kw::deletefile), kw_member},
    {"eval", kid(kw::eval_word), kw_not_member},
    {"exec", kid(kw::exec_method), kw_member},
    {"execmethod_", kid(kw::execmethod), kw_member},
    {"execquery", kid(kw::wmi), kw_member},
    {"execute", kid(kw::execute_stmt), kw_not_member},
    {"executeglobal", kid(kw::executeglobal), kw_not_member},
    {"function", kid(kw::function_word), kw_any},
    {"getobject", kid(kw::getobject), kw_not_member},
    {"instancesof", kid(kw::wmi), kw_member},
    {"internetexplorer.application", kid(kw::ie_app), kw_any},
    {"logfileeventconsumer", kid(kw::wmi_sub), kw_any},
    {"lsadump", kid(kw::cred), kw_any},
    {"lsass", kid(kw::lsass), kw_any},
    {"microsoft.xmldom", kid(kw::domdoc), kw_any},
    {"microsoft.xmlhttp", kid(kw::xmlhttp), kw_any},
    {"mimikatz", kid(kw::cred), kw_any},
    {"minidump", kid(kw::dump), kw_any},
    {"move", kid(kw::copyfile), kw_member},
    {"movefile", kid(kw::copyfile), kw_member},
    {"movefolder", kid(kw::copyfile), kw_member},
    {"msxml2.domdocument", kid(kw::domdoc), kw_any},
    {"msxml2.serverxmlhttp", kid(kw::xmlhttp), kw_any},
    {"msxml2.xmlhttp", kid(kw::xmlhttp), kw_any},
    {"nodetypedvalue", kid(kw::nodetypedvalue), kw_member},
    {"nteventlogeventconsumer", kid(kw::wmi_sub), kw_any},
    {"opentextfile", kid(kw::opentextfile), kw_member},
    {"procdump", kid(kw::dump), kw_any},
    {"registertaskdefinition", kid(kw::registertask), kw_member},
    {"regwrite", kid(kw::regwrite), kw_member},
    {"responsebody", kid(kw::responsebody), kw_member},
    {"responsestream", kid(kw::responsebody), kw_member},
    {"run", kid(kw::run_method), kw_member},
    {"savetofile", kid(kw::savetofile), kw_member},
    {"schedule.service", kid(kw::schedule_service), kw_any},
    {"scripting.filesystemobject", kid(kw::fso), kw_any},
    {"sekurlsa", kid(kw::cred), kw_any},
    {"setbinaryvalue", kid(kw::stdregprov_set), kw_member},
    {"setdwordvalue", kid(kw::stdregprov_set), kw_member},
    {"setexpandedstringvalue", kid(kw::stdregprov_set), kw_member},
    {"setinterval", kid(kw::timer_word), kw_any},
    {"setmultistringvalue", kid(kw::stdregprov_set), kw_member},
    {"setstringvalue", kid(kw::stdregprov_set), kw_member},
    {"settimeout", kid(kw::timer_word), kw_any},
    {"shell.application", kid(kw::shell_app), kw_any},
    {"shellexecute", kid(kw::shellexecute), kw_member},
    {"smtpeventconsumer", kid(kw::wmi_sub), kw_any},
    {"spawninstance_", kid(kw::spawninstance), kw_member},
    {"swbemlocator", kid(kw::wmi), kw_any},
    {"targetevent", kid(kw::targetevent), kw_any},
    {"terminate", kid(kw::terminate), kw_member},
    {"wbemscripting.swbemlocator", kid(kw::wmi), kw_any},
    {"win32_process", kid(kw::win32_process), kw_any},
    {"winhttp.winhttprequest", kid(kw::xmlhttp), kw_any},
    {"winmgmts", kid(kw::winmgmts), kw_any},
    {"write", kid(kw::write_method), kw_member},
    {"writeline", kid(kw::write_method), kw_member},
    {"wscript.shell", kid(kw::wscript_shell), kw_any},
}};
static_assert(keywords_sorted(script_keywords), "script_keywords must be sorted");

// `name = "literal"` assignments (VBScript, JScript var/let/const), for resolving arguments.
[[nodiscard]] inline std::vector<std::pair<std::string, std::string>> script_assignments(std::string_view t, std::string_view lower) {
    std::vector<std::pair<std::string, std::string>> vars;
    for (std::size_t p = 0; p < t.size() && vars.size() < 128;) {
        if (t[p] != '\'' && t[p] != '"') {
            ++p;
            continue;
        }
        std::string content;
        const std::size_t e = read_literal(t, p, &content);
        if (e == std::string_view::npos) break;
        std::size_t q = p;
        while (q > 0 && (t[q - 1] == ' ' || t[q - 1] == '\t')) --q;
        if (q > 0 && t[q - 1] == '=' && (q < 2 || std::string_view("=!<>").find(t[q - 2]) == std::string_view::npos)) {
            std::size_t r = q - 1;
            while (r > 0 && (t[r - 1] == ' ' || t[r - 1] == '\t')) --r;
            std::size_t b = r;
            while (b > 0 && (is_word(t[b - 1]) || t[b - 1] == '$' || t[b - 1] == '.')) --b;
            if (b < r) vars.emplace_back(std::string(lower.substr(b, r - b)), std::move(content));
        }
        p = e;
    }
    return vars;
}

// The value at p (after an optional '('): a literal, or a variable with a literal assigned. `end` is set past it.
[[nodiscard]] inline std::string script_value(std::string_view t, std::string_view lower, std::size_t p,
                                              const std::vector<std::pair<std::string, std::string>>& vars, std::size_t& end) {
    p = skip_blanks(t, p);
    if (p < t.size() && t[p] == '(') p = skip_blanks(t, p + 1);
    end = p;
    std::string value;
    if (p < t.size() && (t[p] == '\'' || t[p] == '"')) {
        const std::size_t e = read_literal(t, p, &value);
        if (e != std::string_view::npos) end = e;
        return value;
    }
    std::size_t q = p;
    while (q < t.size() && (is_word(t[q]) || t[q] == '$' || t[q] == '.')) ++q;
    if (q == p) return {};
    end = q;
    const std::string_view name = lower.substr(p, q - p);
    for (auto it = vars.rbegin(); it != vars.rend(); ++it) {
        if (it->first == name) return it->second;
    }
    return {};
}

inline void analyzer::script_text(std::string_view text, script_language lang, const frame& f, bool text_scanned) {
    if (!enter(f)) return;
    const span_scope spans(*this);
    add_stage(to_string(lang), stage_role::script_engine, "runs script", text, f);
    if (const std::size_t enc = text.find("#@~^"); enc != std::string_view::npos) {
        emit(indicator_kind::encoded_script, f, text.data() + enc, "Script Encoder data (#@~^ ... ^#~@)");
        if (!text_scanned) generic_scan(text, f, scan_mode::script);
        return;
    }
    const normalized_text n = normalize(text, lang, nullptr, &poll);
    obfuscation_evidence(n.stats, f, text.data());
    frame nf = f;
    nf.parent = &f;
    nf.norm = &n;
    nf.norm_input = text;
    const std::string_view t = n.text;
    const std::string_view l = n.lower;
    constexpr std::size_t npos = std::string_view::npos;
    keyword_hits h;
    scan_keywords(l, script_keywords, h, {}, &poll);
    auto at = [&t](std::size_t pos) { return t.data() + std::min(pos, t.size()); };
    auto ev = [&](indicator_kind k, std::size_t pos, std::string_view detail) { emit(k, nf, at(pos), detail); };
    auto w = [&t](std::size_t pos) { return std::string(word_at(t, pos)); };
    auto phrase = [&l](std::initializer_list<std::string_view> list) {
        std::size_t best = npos;
        for (std::string_view s : list) best = std::min(best, l.find(s));
        return best;
    };

    const std::size_t launch = (h.has(kw::wscript_shell) && h.any(kw::run_method, kw::exec_method)) ? h.first(kw::run_method, kw::exec_method)
                               : (h.has(kw::shell_app) && h.has(kw::shellexecute))                  ? h.at(kw::shellexecute)
                                                                                                    : npos;
    if (launch != npos) ev(indicator_kind::script_process_launch, launch, w(launch));
    if (h.has(kw::win32_process) && h.any(kw::create, kw::spawninstance, kw::execmethod)) {
        ev(indicator_kind::wmi_process_create, h.at(kw::win32_process), "Win32_Process.Create");
    }
    std::size_t dyn = h.first(kw::execute_stmt, kw::executeglobal, kw::eval_word);
    if (h.has(kw::function_word)) dyn = std::min(dyn, phrase({"new function(", "function(\"", "function('"}));
    if (h.has(kw::timer_word)) dyn = std::min(dyn, phrase({"settimeout(\"", "settimeout('", "setinterval(\"", "setinterval('"}));
    if (dyn != npos) ev(indicator_kind::dynamic_code, dyn, w(dyn));
    std::size_t net = h.first(kw::xmlhttp, kw::ie_app);
    if (net == npos && h.has(kw::domdoc)) net = phrase({".load(\"http", ".load('http"});
    if (net != npos) {
        if (h.has(kw::adodb_stream) && h.has(kw::savetofile)) ev(indicator_kind::download, net, w(net) + " + ADODB.Stream.SaveToFile");
        if (dyn != npos) ev(indicator_kind::download_cradle, net, w(net) + " + " + w(dyn));
        if (!(h.has(kw::adodb_stream) && h.has(kw::savetofile)) && dyn == npos) ev(indicator_kind::network_request, net, w(net));
    }
    if (const std::size_t p = h.first(kw::bin_base64, kw::atob); p != npos) ev(indicator_kind::base64_decode, p, w(p));
    if ((h.has(kw::fso) && h.any(kw::createtextfile, kw::opentextfile, kw::copyfile)) || (h.has(kw::adodb_stream) && h.has(kw::savetofile))) {
        const std::size_t p = h.first(kw::createtextfile, kw::opentextfile, kw::copyfile, kw::savetofile);
        ev(indicator_kind::file_write, p, w(p));
    }
    if (h.has(kw::deletefile) || (h.has(kw::fso) && h.has(kw::delete_method))) {
        const std::size_t p = h.first(kw::deletefile, kw::delete_method);
        ev(indicator_kind::file_deletion, p, w(p));
    }
    if (const std::size_t p = h.first(kw::winmgmts, kw::wmi); p != npos) ev(indicator_kind::wmi_access, p, w(p));
    if (h.has(kw::wmi_sub)) ev(indicator_kind::wmi_subscription_change, h.at(kw::wmi_sub), w(h.at(kw::wmi_sub)));
    if (h.has(kw::terminate)) {
        ev(indicator_kind::process_termination, h.at(kw::terminate), "Terminate()");
        if (names_security_product(l)) ev(indicator_kind::security_tool_tamper, h.at(kw::terminate), "terminates a security product");
    }
    if (h.any(kw::regwrite, kw::stdregprov_set)) {
        const std::size_t p = h.first(kw::regwrite, kw::stdregprov_set);
        ev(indicator_kind::registry_write, p, w(p));
        registry_scan(l, t, nf, true);
    }
    if (h.has(kw::schedule_service) && h.has(kw::registertask)) ev(indicator_kind::scheduled_task, h.at(kw::registertask), "Schedule.Service");
    if (h.has(kw::targetevent)) ev(indicator_kind::event_data_template, h.at(kw::targetevent), "TargetEvent");
    if (h.has(kw::cred) || (h.has(kw::lsass) && h.has(kw::dump))) ev(indicator_kind::credential_access, h.first(kw::cred, kw::dump), "credential dumping");
    if (h.has(kw::amsi)) ev(indicator_kind::amsi_bypass, h.at(kw::amsi), w(h.at(kw::amsi)));
    if (h.has(kw::eventlog_clear)) ev(indicator_kind::logging_tamper, h.at(kw::eventlog_clear), "clears event logs (Win32_NTEventLogFile.ClearEventLog)");
    // A script that carries the base64 alphabet decodes base64 by hand: what VBScript droppers
    // do when they have no decoder of their own (MSXML's bin.base64 is the other way, above).
    if (const std::size_t p = t.find("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"); p != npos) {
        ev(indicator_kind::base64_decode, p, "hand-written base64 decoder");
    }

    // What the script runs, writes and loads.
    const auto vars = script_assignments(t, l);
    std::vector<std::size_t> done;
    auto run_at = [&](std::size_t p, const std::string& command) {
        done.push_back(p);
        run_extracted(*this, nf, t, p, command);
    };
    struct method {
        std::string_view name;
        char what;  // 'r' Run/Exec, 's' ShellExecute, 'c' Create, 'l' CommandLine =, 'w'/'W' file write, 'g' GetObject, 'k' RegWrite
        kw gate;    // searched only when this keyword was seen
    };
    static constexpr std::array<method, 12> methods = {{
        {".run", 'r', kw::run_method}, {".exec", 'r', kw::exec_method}, {".shellexecute", 's', kw::shellexecute},
        {".create", 'c', kw::create}, {".commandline", 'l', kw::commandline_prop}, {".createtextfile", 'w', kw::createtextfile},
        {".opentextfile", 'w', kw::opentextfile}, {".savetofile", 'w', kw::savetofile}, {".copyfile", 'W', kw::copyfile},
        {".movefile", 'W', kw::copyfile}, {"getobject", 'g', kw::getobject}, {".regwrite", 'k', kw::regwrite},
    }};
    for (const method& m : methods) {
        if (!h.has(m.gate)) continue;
        if (m.what == 'r' && launch == npos) continue;
        if (m.what == 'c' && !h.has(kw::win32_process)) continue;
        std::size_t count = 0;
        for (std::size_t p = l.find(m.name); p != npos && count < 16; p = l.find(m.name, p + 1), ++count) {
            const std::size_t after = p + m.name.size();
            if (after < l.size() && is_word(l[after])) continue;
            std::size_t q = after;
            if (m.what == 'l') {
                q = skip_blanks(l, q);
                if (q >= l.size() || l[q] != '=') continue;
                ++q;
            }
            std::size_t end = q;
            const std::string value = script_value(t, l, q, vars, end);
            if (m.what == 'g') {
                const std::string lv = lower_copy(value);
                if (has_prefix(lv, "script:")) {
                    const std::string_view target = std::string_view(value).substr(7);
                    const bool remote = istarts(target, "http") || is_remote_unc(normalize_path(target));
                    ev(remote ? indicator_kind::remote_code_load : indicator_kind::proxy_execution, p, "scriptlet moniker " + std::string(target));
                }
                continue;
            }
            if (value.empty()) continue;
            if (m.what == 'w' || m.what == 'W' || m.what == 'k') {
                std::string target = value;
                std::size_t where = q;
                if (m.what == 'W' || m.what == 'k') {  // CopyFile(src, dst): the destination; RegWrite(key, data)
                    std::size_t comma = skip_blanks(t, end);
                    if (comma < t.size() && t[comma] == ',') {
                        std::size_t e2 = comma;
                        const std::string second = script_value(t, l, comma + 1, vars, e2);
                        if (m.what == 'k') {
                            registry_key(value, nf, at(q), true, second);
                            continue;
                        }
                        if (!second.empty()) {
                            target = second;
                            where = comma + 1;
                        }
                    } else if (m.what == 'k') {
                        registry_key(value, nf, at(q), true, {});
                        continue;
                    }
                }
                if (m.name == ".opentextfile") {  // OpenTextFile(path, 1) only reads; 2 and 8 write and append
                    const std::size_t comma = skip_blanks(t, end);
                    const std::size_t mode = comma < t.size() && t[comma] == ',' ? skip_blanks(t, comma + 1) : npos;
                    if (mode == npos || mode >= t.size() || (t[mode] != '2' && t[mode] != '8')) continue;
                }
                file_written(target, nf, at(where), m.name.substr(1));
                continue;
            }
            std::string command = value;
            std::size_t tail = skip_blanks(t, end);
            if (m.what == 's') {  // ShellExecute file, args, dir, verb, show
                std::string args;
                const std::size_t a = tail < t.size() && t[tail] == ',' ? skip_blanks(t, tail + 1) : npos;
                if (a != npos && read_literal(t, a, &args) != npos && !args.empty()) command += " " + args;
                if (l.find(", 0)", end) != npos && l.find(", 0)", end) < end + 200) ev(indicator_kind::hidden_window, p, "ShellExecute with SW_HIDE");
            }
            if (m.what == 'r' && tail < t.size() && t[tail] == ',') {
                const std::size_t style = skip_blanks(t, tail + 1);
                if (style < t.size() && t[style] == '0' && (style + 1 >= t.size() || !is_word(t[style + 1]))) {
                    ev(indicator_kind::hidden_window, style, "Run with window style 0 (hidden)");
                }
            }
            run_at(q, command);
        }
    }
    literal_commands(n, nf, done);
    decode_blobs(t, nf, false);
    if (!text_scanned || t != text) generic_scan(t, nf, scan_mode::script);
}

}  // namespace detail
WMISUB_NAMESPACE_END
