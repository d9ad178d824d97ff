// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// What each program's arguments mean: which switch downloads, which runs
// another command (followed recursively), which writes an autostart, kills a
// process or dumps credentials; and how registry writes are judged. The
// tables live in tables.inl.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/argv.inl"
#include "wmisub/payload/impl/engine.inl"
#include "wmisub/payload/impl/tables.inl"
#include "wmisub/payload/impl/text.inl"
#include "wmisub/text.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

inline void analyzer::registry_key(std::string_view key, const frame& f, const char* where, bool write,
                                   std::string_view data) {
    if (!write) return;
    const std::string k(clip(trim(key), 160));
    emit(indicator_kind::registry_write, f, where, k);
    if (const registry_rule* r = classify_registry_key(key)) {
        emit(r->kind, f, where, std::string(r->what) + ": " + k);
    }
    const std::string_view d = strip_quotes(trim(data));
    if (d.empty()) return;
    const cmd_word w = first_cmd_word(d);
    bool trick = false;
    const std::string first = unquote_word(w.word, trick);
    if (tool_for(first) != nullptr || iends(first, ".exe") || iends(first, ".dll") || iends(first, ".bat") ||
        iends(first, ".vbs") || iends(first, ".ps1")) {
        command_line(d, f.deeper(), nullptr, nullptr, false);
    }
}

inline void analyzer::registry_scan(std::string_view lower, std::string_view text, const frame& f, bool write) {
    if (!write) return;
    for (const registry_rule& r : registry_rules) {
        const std::size_t at = lower.find(r.needle);
        if (at == std::string_view::npos) continue;
        std::size_t b = at;
        while (b > 0 && at - b < 160 && lower[b - 1] != '"' && lower[b - 1] != '\'' && lower[b - 1] != ' ' && lower[b - 1] != '(') --b;
        std::size_t e = at + r.needle.size();
        while (e < lower.size() && e - at < 160 && lower[e] != '"' && lower[e] != '\'' && lower[e] != ' ' && lower[e] != ')' && lower[e] != ',') ++e;
        emit(r.kind, f, text.data() + b, std::string(r.what) + ": " + std::string(text.substr(b, e - b)));
    }
}

// ---------------------------------------------------------------------------
// Tool handlers
// ---------------------------------------------------------------------------

// cmd.exe: the command after /c or /k, with cmd's quote rule, run as cmd runs it.
inline void analyzer::cmd_args(tool_call& call) {
    const frame& f = *call.f;
    const std::string_view after_module = call.text.substr(std::min(call.text.size(), createprocess_module(call.text, 0).end));
    emit(indicator_kind::script_interpreter, f, call.ptr(0), "cmd.exe");
    const cmd_switches sw = parse_cmd_switches(after_module);
    if (!sw.has_command) {
        add_stage(call.basename, call.tool->role, "interactive shell without /c (runs only its AutoRun)", call.text, f);
        // With no console and no command, cmd.exe does nothing of its own: what runs is the
        // Command Processor AutoRun value (HKLM/HKCU\Software\Microsoft\Command Processor).
        if (!sw.no_autorun) {
            emit(indicator_kind::implicit_profile_execution, f, call.ptr(0),
                 call.basename + " without /c, /k or /d: only the Command Processor AutoRun commands run");
        }
        return;
    }
    const cmd_command_text cmdtext = cmd_strip_outer_quotes(after_module.substr(sw.command_begin), sw.strip_s);
    add_stage(call.basename, call.tool->role, sw.keep ? "runs a command and stays (/k)" : "runs a command (/c)", call.text, f);
    env_overrides vars;
    const frame c = f.deeper();
    cmd_script(cmdtext.head, c, vars);
    if (!trim(cmdtext.tail).empty()) cmd_script(cmdtext.tail, c, vars);
}

inline void analyzer::run_tool(tool_call& call) {
    const tool_entry& t = *call.tool;
    const frame& f = *call.f;
    const frame c = f.deeper();
    const std::size_t n = call.size();
    constexpr std::size_t npos = std::string_view::npos;
    // Handlers that read no arguments return before the argument tables below are built.
    if (t.handler == tool_handler::cmd) {
        cmd_args(call);
        return;
    }
    if (t.handler == tool_handler::powershell) {
        powershell_args(call);
        return;
    }
    if (t.handler == tool_handler::none) {
        add_stage(call.basename, t.role, t.what, call.text, f);
        return;
    }
    if (t.handler == tool_handler::discovery) {
        emit(indicator_kind::discovery, f, call.ptr(0), clip(call.text, 120));
        add_stage(call.basename, t.role, "discovery", call.text, f);
        return;
    }
    if (t.handler == tool_handler::credential_tool) {
        emit(indicator_kind::credential_access, f, call.ptr(0), call.basename);
        add_stage(call.basename, t.role, t.what, call.text, f);
        return;
    }
    // Lower-case arguments share one buffer sized up front (views stay valid): one allocation, not one per argument.
    std::string la_buf;
    std::size_t la_total = 0;
    for (std::size_t i = 0; i < n; ++i) la_total += call.arg(i).size();
    la_buf.resize(la_total);
    for (std::size_t i = 0, at = 0; i < n; ++i) {
        for (const char ch : call.arg(i)) la_buf[at++] = lc(ch);
    }
    std::vector<std::string_view> la;
    la.reserve(n);
    for (std::size_t i = 0, at = 0; i < n; at += call.arg(i).size(), ++i) la.push_back(std::string_view(la_buf).substr(at, call.arg(i).size()));
    // The lower-case command line is needed by few handlers: built on first use.
    std::string all_buf;
    bool all_ready = false;
    auto all = [&]() -> const std::string& {
        if (!all_ready) {
            all_buf = lower_copy(call.text);
            all_ready = true;
        }
        return all_buf;
    };
    auto bare = [&la](std::size_t i) -> std::string_view {
        if (i >= la.size()) return {};
        std::string_view a = la[i];
        if (has_prefix(a, "--")) return a.substr(2);
        if (!a.empty() && (a[0] == '-' || a[0] == '/')) return a.substr(1);
        return {};
    };
    auto find_sw = [&](std::initializer_list<std::string_view> names, std::size_t from = 1) -> std::size_t {
        for (std::size_t i = from; i < n; ++i) {
            const std::string_view b = bare(i);
            for (std::string_view name : names) {
                if (b == name) return i;
            }
        }
        return npos;
    };
    // "/name:value", "-name:value" or "/name=value": the index and the value.
    auto sw_value = [&](std::string_view name, std::string_view& value) -> std::size_t {
        for (std::size_t i = 1; i < n; ++i) {
            const std::string_view b = bare(i);
            if (b.size() > name.size() && b.starts_with(name) && (b[name.size()] == ':' || b[name.size()] == '=')) {
                const std::string_view orig = call.arg(i);
                value = orig.substr(orig.size() - (b.size() - name.size() - 1));
                return i;
            }
        }
        return npos;
    };
    auto is_url = [](std::string_view a) {
        return ifind_from(a, "://") != npos && (istarts(a, "http") || istarts(a, "ftp") || istarts(a, "hxxp"));
    };
    auto url_arg = [&](std::size_t from = 1) -> std::size_t {
        for (std::size_t i = from; i < n; ++i) {
            if (is_url(strip_quotes(call.arg(i)))) return i;
        }
        return npos;
    };
    auto positional = [&](std::size_t from = 1) {
        std::vector<std::size_t> out_idx;
        for (std::size_t i = from; i < n; ++i) {
            if (!la[i].empty() && la[i][0] != '/' && la[i][0] != '-') out_idx.push_back(i);
        }
        return out_idx;
    };
    auto stage_of = [&](std::string_view action) { add_stage(call.basename, t.role, action, call.text, f); };
    auto has = [&all](std::string_view needle) { return all().find(needle) != std::string::npos; };
    auto run_rest = [&](std::size_t i) {
        if (i < n) command_line(call.raw_from(i), c, nullptr, nullptr, false);
    };
    auto run_value = [&](std::size_t i) {
        if (i < n) command_line(strip_quotes(trim(call.raw(i))), c, nullptr, nullptr, false);
    };

    switch (t.handler) {
    case tool_handler::script_host: {
        emit(indicator_kind::script_interpreter, f, call.ptr(0), call.basename);
        for (std::size_t i = 1; i < n; ++i) {
            if (has_prefix(la[i], "//")) continue;
            stage_of("runs script " + std::string(call.arg(i)));
            executed_file(call.arg(i), f, call.ptr(i), "script", file_role::script);
            return;
        }
        stage_of("no script given");
        return;
    }
    case tool_handler::mshta: {
        emit(indicator_kind::script_interpreter, f, call.ptr(0), "mshta.exe");
        const std::string_view rest = call.raw_from(1);
        const std::string lrest = lower_copy(rest.substr(0, std::min<std::size_t>(rest.size(), 24)));
        for (const auto& [prefix, lang] : {std::pair{std::string_view("javascript:"), script_language::jscript},
                                           std::pair{std::string_view("vbscript:"), script_language::vbscript},
                                           std::pair{std::string_view("about:"), script_language::jscript}}) {
            const std::size_t at = lrest.find(prefix);
            if (at == npos || at > 2) continue;
            const std::string_view code = rest.substr(at + prefix.size());
            emit(indicator_kind::inline_script, f, rest.data() + at, clip(code, 160));
            stage_of("runs inline " + std::string(to_string(lang)));
            script_text(code, lang, c);
            return;
        }
        if (n > 1) {
            stage_of("runs HTML application " + std::string(call.arg(1)));
            executed_file(call.arg(1), f, call.ptr(1), "HTML application", file_role::script);
        }
        return;
    }
    case tool_handler::rundll32: {
        if (n < 2) return;
        const std::string_view rest = call.raw_from(1);
        const std::string lrest = lower_copy(rest.substr(0, std::min<std::size_t>(rest.size(), 64)));
        const std::size_t js = lrest.find("javascript:");
        const std::size_t vb = lrest.find("vbscript:");
        if ((js != npos && js < 3) || (vb != npos && vb < 3) || has("runhtmlapplication")) {
            const bool is_vb = vb != npos && vb < 3;
            const std::size_t at = is_vb ? vb + 9 : (js != npos ? js + 11 : 0);
            emit(indicator_kind::inline_script, f, rest.data(), clip(rest, 160));
            stage_of("runs inline script through mshtml RunHTMLApplication");
            script_text(rest.substr(at), is_vb ? script_language::vbscript : script_language::jscript, c);
            return;
        }
        std::string_view a1 = call.arg(1);
        const std::size_t comma = a1.find(',');
        const std::string_view dll = trim(a1.substr(0, comma));
        std::string entry = lower_copy(trim(comma == npos ? std::string_view{} : a1.substr(comma + 1)));
        std::size_t target = 2;
        if (entry.empty() && n > 2) {
            entry = la[2];
            target = 3;
        }
        std::string dllbase(path_basename(normalize_path(dll)));
        if (path_extension(dllbase).empty()) dllbase += ".dll";
        stage_of("loads " + dllbase + (entry.empty() ? std::string() : "," + entry));
        for (const rundll32_proxy& p : rundll32_proxies) {
            if (dllbase != p.dll || !entry.starts_with(p.entry)) continue;
            if (p.action == 'c') {
                emit(indicator_kind::credential_access, f, call.ptr(1), dllbase + "," + entry + " (process memory dump)");
            } else if (p.action == 'u') {
                const std::size_t u = url_arg(target);
                if (u != npos) emit(indicator_kind::remote_code_load, f, call.ptr(u), std::string(call.arg(u)));
                else emit(indicator_kind::proxy_execution, f, call.ptr(1), dllbase + "," + entry);
            } else {
                emit(indicator_kind::proxy_execution, f, call.ptr(1), dllbase + "," + entry);
                if (target < n) {
                    if (is_url(call.arg(target))) emit(indicator_kind::network_request, f, call.ptr(target), std::string(call.arg(target)));
                    else run_rest(target);
                }
            }
            return;
        }
        executed_file(dll, f, call.ptr(1), "DLL", file_role::dll);
        return;
    }
    case tool_handler::regsvr32: {
        std::string_view ival;
        const std::size_t i = sw_value("i", ival);
        std::string dlls;
        for (const std::size_t p : positional()) {
            if (!dlls.empty()) dlls += ' ';
            dlls += std::string(call.arg(p));
            if (path_basename(normalize_path(call.arg(p))) != "scrobj.dll") executed_file(call.arg(p), f, call.ptr(p), "DLL", file_role::dll);
        }
        stage_of("registers " + dlls);
        if (i != npos && !trim(ival).empty()) {
            const std::string_view v = strip_quotes(trim(ival));
            const std::string norm = normalize_path(v);
            if (is_url(v) || is_remote_unc(norm)) {
                emit(indicator_kind::remote_code_load, f, call.ptr(i), "scriptlet " + std::string(v) + " (Squiblydoo)");
            } else {
                emit(indicator_kind::proxy_execution, f, call.ptr(i), "regsvr32 /i:" + std::string(v));
                executed_file(v, f, call.ptr(i), "scriptlet", file_role::document);
            }
        }
        return;
    }
    case tool_handler::certutil: {
        const std::size_t u = url_arg();
        const std::size_t cache = find_sw({"urlcache", "verifyctl", "url"});
        std::string out_path;
        if (u != npos) {
            const auto pos = positional(u + 1);
            if (!pos.empty()) out_path = std::string(call.arg(pos.back()));
            emit(indicator_kind::download, f, call.ptr(u), std::string(call.arg(u)) + (out_path.empty() ? "" : " -> " + out_path));
            if (!pos.empty()) file_written(call.arg(pos.back()), f, call.ptr(pos.back()), "certutil download to");
            stage_of("downloads " + std::string(call.arg(u)));
        } else if (cache != npos) {
            stage_of("URL cache operation");
        }
        if (const std::size_t d = find_sw({"decode", "decodehex"}); d != npos) {
            const auto pos = positional(d + 1);
            const std::string from = pos.empty() ? std::string() : std::string(call.arg(pos.front()));
            const std::string to = pos.size() < 2 ? std::string() : std::string(call.arg(pos[1]));
            emit(indicator_kind::base64_decode, f, call.ptr(d), "certutil -" + std::string(bare(d)) + " " + from + " -> " + to);
            if (pos.size() >= 2) file_written(call.arg(pos[1]), f, call.ptr(pos[1]), "certutil decode to");
            stage_of("decodes a file");
        }
        return;
    }
    case tool_handler::bitsadmin: {
        const std::size_t u = url_arg();
        const bool upload = find_sw({"upload"}) != npos;
        if (u != npos) {
            const auto pos = positional(u + 1);
            const std::string local = pos.empty() ? std::string() : std::string(call.arg(pos.front()));
            emit(upload ? indicator_kind::data_upload : indicator_kind::download, f, call.ptr(u),
                 std::string(call.arg(u)) + (local.empty() ? "" : (upload ? " <- " : " -> ") + local));
            if (!upload && !pos.empty()) file_written(call.arg(pos.front()), f, call.ptr(pos.front()), "BITS download to");
            stage_of(upload ? "uploads a file" : "downloads " + std::string(call.arg(u)));
        }
        if (const std::size_t s = find_sw({"setnotifycmdline"}); s != npos && s + 2 < n) {
            emit(indicator_kind::proxy_execution, f, call.ptr(s), "BITS job notification runs " + std::string(call.arg(s + 2)));
            std::string cmd(call.arg(s + 2));
            if (s + 3 < n && !ieq(call.arg(s + 3), "NULL")) cmd += " " + std::string(call.arg(s + 3));
            const frame tf = temp_frame(f, call.ptr(s + 2));
            command_line(cmd, tf, nullptr, nullptr, false);
        }
        return;
    }
    case tool_handler::msiexec: {
        const std::size_t p = find_sw({"i", "package", "a", "j", "x", "fa", "fp", "update"});
        if (p != npos && p + 1 < n) {
            stage_of("installs " + std::string(call.arg(p + 1)));
            executed_file(call.arg(p + 1), f, call.ptr(p + 1), "installer package", file_role::installer);
        }
        if (const std::size_t y = find_sw({"y", "z"}); y != npos && y + 1 < n) {
            emit(indicator_kind::proxy_execution, f, call.ptr(y), "msiexec /" + std::string(bare(y)) + " " + std::string(call.arg(y + 1)));
            executed_file(call.arg(y + 1), f, call.ptr(y + 1), "DLL", file_role::dll);
        }
        for (std::size_t i = 1; i < n; ++i) {
            const std::string_view b = bare(i);
            if (b == "q" || b == "qn" || b == "quiet" || has_prefix(b, "qn")) {
                emit(indicator_kind::hidden_window, f, call.ptr(i), "msiexec quiet install");
                break;
            }
        }
        return;
    }
    case tool_handler::wmic: {
        emit(indicator_kind::wmi_access, f, call.ptr(0), "wmic");
        std::string_view node;
        if (const std::size_t i = sw_value("node", node); i != npos) {
            const std::string host = lower_copy(strip_quotes(node));
            if (host != "." && host != "localhost" && host != "127.0.0.1") {
                emit(indicator_kind::remote_execution, f, call.ptr(i), "wmic /node:" + host);
            }
        }
        std::string_view format;
        if (const std::size_t i = sw_value("format", format); i != npos) {
            const std::string_view fv = strip_quotes(format);
            if (is_url(fv)) emit(indicator_kind::remote_code_load, f, call.ptr(i), "XSL script " + std::string(fv));
            else if (iends(fv, ".xsl")) emit(indicator_kind::proxy_execution, f, call.ptr(i), "XSL script " + std::string(fv));
        }
        const std::size_t create = [&]() {
            for (std::size_t i = 1; i + 1 < n; ++i) {
                if (la[i] == "call" && la[i + 1] == "create") return i + 1;
            }
            return npos;
        }();
        if (has("process") && create != npos) {
            emit(indicator_kind::wmi_process_create, f, call.ptr(create), "wmic process call create");
            stage_of("creates a process through WMI");
            run_value(create + 1);
            return;
        }
        if (has("shadowcopy") && has("delete")) emit(indicator_kind::recovery_inhibition, f, call.ptr(0), "wmic shadowcopy delete");
        if (has("process") && (has(" delete") || has("terminate"))) {
            emit(indicator_kind::process_termination, f, call.ptr(0), clip(call.text, 120));
            if (names_security_product(all())) emit(indicator_kind::security_tool_tamper, f, call.ptr(0), clip(call.text, 120));
        }
        if (has("service") && (has("stopservice") || has("changestartmode"))) emit(indicator_kind::service_stop, f, call.ptr(0), clip(call.text, 120));
        if ((has("eventfilter") || has("eventconsumer") || has("filtertoconsumerbinding")) && (has("create") || has("delete"))) {
            emit(indicator_kind::wmi_subscription_change, f, call.ptr(0), clip(call.text, 120));
        }
        stage_of("WMI command line");
        return;
    }
    case tool_handler::schtasks: {
        const std::size_t create = find_sw({"create", "change"});
        std::string_view host;
        const std::size_t s = find_sw({"s"});
        if (s != npos && s + 1 < n) host = call.arg(s + 1);
        if (create != npos) {
            const std::size_t tn = find_sw({"tn"});
            emit(indicator_kind::scheduled_task, f, call.ptr(create),
                 "schtasks /" + std::string(bare(create)) + (tn != npos && tn + 1 < n ? " " + std::string(call.arg(tn + 1)) : std::string()));
            if (!host.empty()) emit(indicator_kind::remote_execution, f, call.ptr(s), "scheduled task on " + std::string(host));
            if (const std::size_t tr = find_sw({"tr"}); tr != npos && tr + 1 < n) {
                stage_of("schedules " + std::string(call.arg(tr + 1)));
                run_value(tr + 1);
                return;
            }
        }
        if (find_sw({"query"}) != npos) emit(indicator_kind::discovery, f, call.ptr(0), "schtasks /query");
        stage_of("Task Scheduler");
        return;
    }
    case tool_handler::at: {
        for (std::size_t i = 1; i < n; ++i) {
            if (la[i].find(':') != npos && !la[i].empty() && is_digit(la[i][0])) {
                emit(indicator_kind::scheduled_task, f, call.ptr(i), "at " + std::string(call.arg(i)));
                std::size_t k = i + 1;
                while (k < n && !la[k].empty() && la[k][0] == '/') ++k;  // la entries are views: test emptiness first
                stage_of("schedules a command");
                run_rest(k);
                return;
            }
        }
        stage_of("lists scheduled jobs");
        return;
    }
    case tool_handler::reg: {
        const std::string_view sub = n > 1 ? std::string_view(la[1]) : std::string_view{};
        const std::string_view key = call.arg(2);
        stage_of("registry " + std::string(sub));
        if (sub == "add" || sub == "copy") {
            std::string full(key);
            if (const std::size_t v = find_sw({"v"}); v != npos && v + 1 < n) full += "\\" + std::string(call.arg(v + 1));
            const std::size_t d = find_sw({"d"});
            registry_key(full, f, call.ptr(2), true, d != npos && d + 1 < n ? call.raw(d + 1) : std::string_view{});
        } else if (sub == "delete") {
            emit(indicator_kind::registry_write, f, call.ptr(2), "delete " + std::string(key));
        } else if (sub == "save" || sub == "export") {
            const std::string k = lower_copy(key);
            if (k.find("\\sam") != npos || k.find("\\security") != npos || ((has_prefix(k, "hklm\\system") || has_prefix(k, "hkey_local_machine\\system")) && k.find("\\", 5) == k.rfind('\\'))) {
                emit(indicator_kind::credential_access, f, call.ptr(2), "reg " + std::string(sub) + " " + std::string(key));
            }
        } else if (sub == "import" || sub == "restore" || sub == "load") {
            emit(indicator_kind::registry_write, f, call.ptr(2), "reg " + std::string(sub) + " " + std::string(key));
        } else if (sub == "query" && has("password")) {
            emit(indicator_kind::credential_access, f, call.ptr(0), "registry search for passwords");
        }
        return;
    }
    case tool_handler::regedit: {
        for (const std::size_t p : positional()) {
            emit(indicator_kind::registry_write, f, call.ptr(p), "imports " + std::string(call.arg(p)));
            executed_file(call.arg(p), f, call.ptr(p), "registry file", file_role::document);
        }
        stage_of("imports registry file");
        return;
    }
    case tool_handler::net: {
        const auto pos = positional();
        const std::string_view sub = pos.empty() ? std::string_view{} : std::string_view(la[pos[0]]);
        const bool add = find_sw({"add"}) != npos;
        stage_of("net " + std::string(sub));
        if (sub == "user" || sub == "users") {
            if (add || pos.size() >= 3 || has("/active:yes")) emit(indicator_kind::account_manipulation, f, call.ptr(pos[0]), clip(call.text, 120));
            else emit(indicator_kind::discovery, f, call.ptr(pos[0]), clip(call.text, 120));
        } else if (sub == "localgroup" || sub == "group") {
            if (add) emit(indicator_kind::account_manipulation, f, call.ptr(pos[0]), clip(call.text, 120));
            else emit(indicator_kind::discovery, f, call.ptr(pos[0]), clip(call.text, 120));
        } else if (sub == "stop") {
            const std::string svc(pos.size() > 1 ? la[pos[1]] : std::string_view{});
            emit(indicator_kind::service_stop, f, call.ptr(pos[0]), "net stop " + svc);
            if (names_security_product(svc)) emit(indicator_kind::security_tool_tamper, f, call.ptr(pos[0]), "net stop " + svc);
        } else if (sub == "view" || sub == "accounts" || sub == "config" || sub == "session" || (sub == "share" && pos.size() == 1)) {
            emit(indicator_kind::discovery, f, call.ptr(pos[0]), clip(call.text, 120));
        }
        return;
    }
    case tool_handler::sc: {
        std::size_t idx = 1;
        std::string_view host;
        if (n > 1 && call.arg(1).starts_with("\\\\")) {
            host = call.arg(1);
            idx = 2;
        }
        const std::string_view sub = idx < n ? std::string_view(la[idx]) : std::string_view{};
        const std::string svc(idx + 1 < n ? la[idx + 1] : std::string_view{});
        stage_of("sc " + std::string(sub) + " " + svc);
        auto value_of = [&](std::string_view name) -> std::size_t {  // "binPath=" "x" or "binPath=x"
            for (std::size_t i = idx + 1; i < n; ++i) {
                if (la[i] == name && i + 1 < n) return i + 1;
                if (la[i].size() > name.size() && la[i].starts_with(name)) return i;
            }
            return npos;
        };
        if (!host.empty() && (sub == "create" || sub == "config" || sub == "start")) {
            emit(indicator_kind::remote_execution, f, call.ptr(1), "service on " + std::string(host));
        }
        if (sub == "create" || sub == "config" || sub == "failure") {
            const std::size_t b = value_of(sub == "failure" ? "command=" : "binpath=");
            if (b != npos) {
                std::string_view v = call.arg(b);
                const std::size_t eq = v.find('=');
                if (la[b].starts_with(sub == "failure" ? "command=" : "binpath=") && eq != npos) v = v.substr(eq + 1);
                emit(indicator_kind::service_install, f, call.ptr(b), svc + ": " + std::string(v));
                const frame tf = temp_frame(f, call.ptr(b));
                command_line(std::string(v), tf, nullptr, nullptr, false);
            }
            const std::size_t st = value_of("start=");
            if (st != npos && (la[st] == "disabled" || la[st] == "start=disabled")) {
                emit(indicator_kind::service_stop, f, call.ptr(st), svc + " disabled");
                if (names_security_product(svc)) emit(indicator_kind::security_tool_tamper, f, call.ptr(st), svc + " disabled");
            }
        } else if (sub == "stop" || sub == "delete") {
            emit(indicator_kind::service_stop, f, call.ptr(idx), std::string(sub) + " " + svc);
            if (names_security_product(svc)) emit(indicator_kind::security_tool_tamper, f, call.ptr(idx), std::string(sub) + " " + svc);
        } else if (sub == "query" || sub == "qc" || sub == "queryex") {
            emit(indicator_kind::discovery, f, call.ptr(idx), "sc " + std::string(sub));
        }
        return;
    }
    case tool_handler::wsl: {
        const std::size_t e = find_sw({"c", "e", "exec", "", "command"});
        const std::size_t from = e != npos ? e + 1 : 1;
        if (from < n) {
            emit(indicator_kind::proxy_execution, f, call.ptr(from), call.basename + " runs " + std::string(clip(call.raw_from(from), 120)));
            stage_of("runs a Linux command");
        }
        return;
    }
    case tool_handler::forfiles: {
        if (const std::size_t i = find_sw({"c"}); i != npos && i + 1 < n) {
            emit(indicator_kind::proxy_execution, f, call.ptr(i), "forfiles /c " + std::string(clip(call.arg(i + 1), 120)));
            stage_of("runs a command per file");
            run_value(i + 1);
        }
        return;
    }
    case tool_handler::conhost: {
        std::size_t i = 1;
        while (i < n && has_prefix(la[i], "-")) {
            if (la[i] == "--headless") emit(indicator_kind::hidden_window, f, call.ptr(i), "conhost --headless");
            ++i;
        }
        if (i < n) {
            emit(indicator_kind::proxy_execution, f, call.ptr(i), "conhost runs " + std::string(call.arg(i)));
            stage_of("hosts a console program");
            run_rest(i);
        }
        return;
    }
    case tool_handler::curl: {
        const std::size_t u = url_arg();
        std::size_t o = find_sw({"o", "output", "outfile", "output-document"});
        const bool remote_name = find_sw({"remote-name", "remote-name-all"}) != npos || (o != npos && call.arg(o) == "-O" && t.name == "curl");
        bool upload = find_sw({"t", "upload-file"}) != npos;
        for (std::size_t i = 1; i < n && !upload; ++i) {
            if ((la[i] == "-d" || la[i] == "--data" || la[i] == "--data-binary" || la[i] == "-f" || la[i] == "--form" ||
                 la[i] == "--post-file") && i + 1 < n && (la[i + 1].find('@') != npos || la[i] == "--post-file")) {
                upload = true;
            }
        }
        if (u == npos) return;
        const std::string url(call.arg(u));
        stage_of("fetches " + url);
        if (upload) emit(indicator_kind::data_upload, f, call.ptr(u), url);
        if (remote_name || o != npos || t.name == "wget") {
            std::string dest = o != npos && o + 1 < n && !remote_name ? std::string(call.arg(o + 1)) : std::string();
            emit(indicator_kind::download, f, call.ptr(u), url + (dest.empty() ? "" : " -> " + dest));
            if (!dest.empty() && dest != "-") file_written(dest, f, call.ptr(o + 1), "downloads to");
        } else if (!upload) {
            emit(indicator_kind::network_request, f, call.ptr(u), url);
        }
        return;
    }
    case tool_handler::waitfor: {
        const auto pos = positional();
        const std::string signal = pos.empty() ? std::string() : std::string(call.arg(pos.back()));
        if (find_sw({"si"}) != npos) {
            emit(indicator_kind::network_request, f, call.ptr(0), "sends signal " + signal);
            stage_of("sends a network signal");
        } else {
            emit(indicator_kind::signal_wait, f, call.ptr(0), "waits for signal " + signal);
            stage_of("waits for a network signal " + signal);
        }
        return;
    }
    case tool_handler::taskkill: {
        std::string targets;
        for (std::size_t i = 1; i + 1 < n; ++i) {
            if (bare(i) == "im" || bare(i) == "pid") targets += (targets.empty() ? "" : " ") + std::string(call.arg(i + 1));
        }
        if (targets.empty()) {
            for (const std::size_t p : positional()) targets += (targets.empty() ? "" : " ") + std::string(call.arg(p));
        }
        emit(indicator_kind::process_termination, f, call.ptr(0), call.basename + " " + targets);
        if (names_security_product(lower_copy(targets))) emit(indicator_kind::security_tool_tamper, f, call.ptr(0), "kills " + targets);
        stage_of("kills " + targets);
        return;
    }
    case tool_handler::vssadmin:
        if ((has("delete") && has("shadows")) || (has("resize") && has("shadowstorage"))) {
            emit(indicator_kind::recovery_inhibition, f, call.ptr(0), clip(call.text, 120));
        }
        stage_of("shadow copy administration");
        return;
    case tool_handler::wevtutil: {
        const std::string_view sub = n > 1 ? std::string_view(la[1]) : std::string_view{};
        if (sub == "cl" || sub == "clear-log" || ((sub == "sl" || sub == "set-log") && (has("/e:false") || has("/enabled:false")))) {
            emit(indicator_kind::logging_tamper, f, call.ptr(1), "wevtutil " + std::string(sub) + " " + std::string(call.arg(2)));
        }
        stage_of("event log utility");
        return;
    }
    case tool_handler::bcdedit:
        if ((has("recoveryenabled") && has("no")) || (has("bootstatuspolicy") && has("ignoreallfailures"))) {
            emit(indicator_kind::recovery_inhibition, f, call.ptr(0), clip(call.text, 120));
        }
        if ((has("testsigning") || has("nointegritychecks")) && has(" on")) emit(indicator_kind::security_tool_tamper, f, call.ptr(0), clip(call.text, 120));
        stage_of("boot configuration");
        return;
    case tool_handler::wbadmin:
        if (has("delete") && (has("catalog") || has("backup"))) emit(indicator_kind::recovery_inhibition, f, call.ptr(0), clip(call.text, 120));
        stage_of("backup administration");
        return;
    case tool_handler::netsh:
        if (has("firewall") && (has("state off") || has("opmode disable") || has("opmode mode=disable"))) {
            emit(indicator_kind::security_tool_tamper, f, call.ptr(0), "firewall disabled");
        }
        if (has("add helper")) {
            emit(indicator_kind::autostart_registry_write, f, call.ptr(0), "netsh helper DLL");
            const auto pos = positional();
            if (!pos.empty()) executed_file(call.arg(pos.back()), f, call.ptr(pos.back()), "helper DLL", file_role::dll);
        }
        if (has("portproxy") && has("add")) emit(indicator_kind::network_request, f, call.ptr(0), "port forwarding");
        if (has("wlan") && has("key=clear")) emit(indicator_kind::credential_access, f, call.ptr(0), "Wi-Fi keys in clear text");
        stage_of("network shell");
        return;
    case tool_handler::auditpol:
        if (has("/clear") || has("/remove") || has(":disable")) emit(indicator_kind::logging_tamper, f, call.ptr(0), clip(call.text, 120));
        stage_of("audit policy");
        return;
    case tool_handler::attrib:
        for (std::size_t i = 1; i < n; ++i) {
            if (la[i] == "+h" || la[i] == "+s") {
                emit(indicator_kind::file_hiding, f, call.ptr(i), clip(call.raw_from(1), 120));
                break;
            }
        }
        stage_of("changes file attributes");
        return;
    case tool_handler::mofcomp: {
        const auto pos = positional();
        const std::string mof = pos.empty() ? std::string() : std::string(call.arg(pos.back()));
        emit(indicator_kind::wmi_subscription_change, f, call.ptr(0), "mofcomp " + mof);
        if (!pos.empty()) executed_file(mof, f, call.ptr(pos.back()), "MOF file", file_role::document);
        stage_of("compiles MOF " + mof);
        return;
    }
    case tool_handler::psexec:
    case tool_handler::winrs: {
        std::size_t i = 1;
        for (; i < n; ++i) {
            const std::string_view a = call.arg(i);
            if (has_prefix(a, "\\\\")) {
                emit(indicator_kind::remote_execution, f, call.ptr(i), call.basename + " " + std::string(a));
                continue;
            }
            std::string_view host;
            if (has_prefix(la[i], "-r:") || has_prefix(la[i], "/r:") || has_prefix(la[i], "-remote:") || has_prefix(la[i], "/remote:")) {
                host = a.substr(a.find(':') + 1);
                emit(indicator_kind::remote_execution, f, call.ptr(i), call.basename + " " + std::string(host));
                continue;
            }
            if (!la[i].empty() && (la[i][0] == '-' || la[i][0] == '/')) {
                if ((la[i] == "-u" || la[i] == "-p" || la[i] == "-w" || la[i] == "-c" || la[i] == "-f" || la[i] == "-n") && i + 1 < n) ++i;
                continue;
            }
            break;
        }
        stage_of("runs a command remotely or as another user");
        run_rest(i);
        return;
    }
    case tool_handler::procdump:
        if (has("lsass")) emit(indicator_kind::credential_access, f, call.ptr(0), "LSASS memory dump");
        stage_of("dumps process memory");
        return;
    case tool_handler::ntdsutil:
        if (has("ifm") || has("create full") || has("snapshot")) emit(indicator_kind::credential_access, f, call.ptr(0), "Active Directory database copy");
        stage_of("AD database utility");
        return;
    case tool_handler::proxy_file: {
        const auto pos = positional();
        if (pos.empty()) return;
        if (t.name == "msdt" && !(has("it_browseforfile") || has("/af") || has("pcwdiagnostic"))) return;
        if (t.name == "wuauclt" && !has("updatedeploymentprovider")) return;
        emit(indicator_kind::proxy_execution, f, call.ptr(pos.front()), call.basename + " " + std::string(clip(call.raw_from(1), 120)));
        stage_of(std::string(t.what) + " runs " + std::string(call.arg(pos.front())));
        const file_role role = (t.name == "installutil" || t.name == "regasm" || t.name == "regsvcs" || t.name == "wuauclt")
                                   ? file_role::dll
                                   : file_role::document;
        for (const std::size_t p : pos) {
            if (is_url(call.arg(p))) emit(indicator_kind::remote_code_load, f, call.ptr(p), std::string(call.arg(p)));
            else if (call.arg(p).find_first_of("\\/.") != npos) executed_file(call.arg(p), f, call.ptr(p), t.what, role);
        }
        return;
    }
    case tool_handler::pcalua:
        if (const std::size_t a = find_sw({"a"}); a != npos && a + 1 < n) {
            emit(indicator_kind::proxy_execution, f, call.ptr(a), "pcalua -a " + std::string(call.arg(a + 1)));
            stage_of("runs " + std::string(call.arg(a + 1)));
            run_value(a + 1);
        }
        return;
    case tool_handler::syncappv: {
        const std::string_view rest = call.raw_from(1);
        const std::size_t semi = rest.find(';');
        if (semi == npos) return;
        const std::string_view code = strip_quotes(trim(rest.substr(semi + 1)));
        emit(indicator_kind::proxy_execution, f, rest.data() + semi, "SyncAppvPublishingServer runs PowerShell");
        emit(indicator_kind::inline_script, f, rest.data() + semi, clip(code, 120));
        stage_of("runs inline PowerShell");
        powershell_text(code, c);
        return;
    }
    case tool_handler::mavinject:
        if (find_sw({"injectrunning"}) != npos) {
            emit(indicator_kind::process_injection, f, call.ptr(0), clip(call.raw_from(1), 120));
            const auto pos = positional();
            if (!pos.empty()) executed_file(call.arg(pos.back()), f, call.ptr(pos.back()), "injected DLL", file_role::dll);
        }
        stage_of("injects a DLL");
        return;
    case tool_handler::hh: {
        const std::size_t u = url_arg();
        if (u != npos) emit(indicator_kind::remote_code_load, f, call.ptr(u), "compiled help from " + std::string(call.arg(u)));
        else if (n > 1) executed_file(call.arg(1), f, call.ptr(1), "compiled help", file_role::document);
        stage_of("opens compiled help");
        return;
    }
    case tool_handler::ftp: {
        std::string_view script;
        if (const std::size_t s = sw_value("s", script); s != npos) {
            emit(indicator_kind::proxy_execution, f, call.ptr(s), "ftp script " + std::string(script));
            executed_file(script, f, call.ptr(s), "ftp script", file_role::document);
        }
        for (const std::size_t p : positional()) emit(indicator_kind::network_request, f, call.ptr(p), "ftp " + std::string(call.arg(p)));
        stage_of("FTP client");
        return;
    }
    case tool_handler::tftp: {
        const auto pos = positional();
        if (has(" get ") && !pos.empty()) {
            emit(indicator_kind::download, f, call.ptr(pos.front()), "tftp " + std::string(clip(call.raw_from(1), 120)));
        }
        stage_of("TFTP client");
        return;
    }
    case tool_handler::finger:
        for (const std::size_t p : positional()) {
            if (call.arg(p).find('@') != npos) emit(indicator_kind::network_request, f, call.ptr(p), "finger " + std::string(call.arg(p)));
        }
        stage_of("finger client");
        return;
    case tool_handler::desktopimgdownldr: {
        std::string_view url;
        if (const std::size_t i = sw_value("lockscreenurl", url); i != npos) emit(indicator_kind::download, f, call.ptr(i), std::string(url));
        stage_of("downloads an image");
        return;
    }
    case tool_handler::mpcmdrun:
        if (has("downloadfile")) {
            const std::size_t u = url_arg();
            emit(indicator_kind::download, f, call.ptr(u != npos ? u : 0), u != npos ? std::string(call.arg(u)) : "MpCmdRun -DownloadFile");
        }
        if (has("removedefinitions") || has("disableservice")) emit(indicator_kind::security_tool_tamper, f, call.ptr(0), clip(call.text, 120));
        stage_of("Defender command line");
        return;
    case tool_handler::certreq:
        if (has("-post") || has("/post")) {
            const std::size_t u = url_arg();
            emit(indicator_kind::data_upload, f, call.ptr(u != npos ? u : 0), u != npos ? std::string(call.arg(u)) : clip(call.text, 120));
        }
        stage_of("certificate request");
        return;
    case tool_handler::netcat: {
        const bool exec = find_sw({"e", "c", "exec", "sh-exec", "lua-exec"}) != npos || has("exec:");
        emit(exec ? indicator_kind::reverse_shell : indicator_kind::network_request, f, call.ptr(0), clip(call.text, 120));
        stage_of(exec ? "connects a shell to the network" : "network connection");
        return;
    }
    case tool_handler::tunnel:
        if (t.name == "chisel" || t.name == "ngrok" || find_sw({"r", "l", "d"}) != npos) {
            emit(indicator_kind::network_request, f, call.ptr(0), "tunnel " + std::string(clip(call.text, 100)));
        }
        stage_of("network tunnel");
        return;
    case tool_handler::interpreter: {
        const std::size_t i = find_sw({"c", "e", "eval", "r", "command"});
        if (i != npos && i + 1 < n) {
            emit(indicator_kind::inline_script, f, call.ptr(i + 1), call.basename + " " + std::string(clip(call.arg(i + 1), 120)));
            stage_of("runs inline code");
            return;
        }
        const std::size_t jar = find_sw({"jar"});
        const auto pos = positional(jar != npos ? jar + 1 : 1);
        if (!pos.empty()) {
            executed_file(call.arg(pos.front()), f, call.ptr(pos.front()), "script", file_role::document);
            stage_of("runs " + std::string(call.arg(pos.front())));
        }
        return;
    }
    case tool_handler::browser:
        for (std::size_t i = 1; i < n; ++i) {
            if (la[i] == "--headless" || has_prefix(la[i], "--headless=")) emit(indicator_kind::hidden_window, f, call.ptr(i), "headless browser");
            if (has_prefix(la[i], "--dump-dom")) emit(indicator_kind::download, f, call.ptr(i), "browser --dump-dom");
        }
        if (const std::size_t u = url_arg(); u != npos) emit(indicator_kind::network_request, f, call.ptr(u), std::string(call.arg(u)));
        stage_of("web browser");
        return;
    case tool_handler::copy_tool: {
        const auto pos = positional();
        std::string_view dest;
        std::size_t di = npos;
        std::string_view dv;
        if (const std::size_t d = sw_value("d", dv); d != npos && !dv.empty()) {
            dest = dv;
            di = d;
        } else if (const std::size_t d2 = find_sw({"d"}); d2 != npos && d2 + 1 < n) {
            dest = call.arg(d2 + 1);
            di = d2 + 1;
        } else if (pos.size() >= 2) {
            dest = call.arg(pos.back());
            di = pos.back();
        }
        if (!dest.empty()) file_written(dest, f, call.ptr(di), call.basename + " copies to");
        stage_of("copies files");
        return;
    }
    case tool_handler::runas: {
        const auto pos = positional();
        stage_of("runs a program as another user");
        if (!pos.empty()) run_value(pos.back());
        return;
    }
    case tool_handler::fsutil:
        if (has("usn") && has("deletejournal")) emit(indicator_kind::logging_tamper, f, call.ptr(0), "USN journal deleted");
        stage_of("file system utility");
        return;
    case tool_handler::cipher:
        if (t.name != "cipher" || find_sw({"w"}) != npos || has("/w:")) emit(indicator_kind::file_deletion, f, call.ptr(0), clip(call.text, 120));
        stage_of("wipes data");
        return;
    case tool_handler::explorer: {
        const auto pos = positional();
        if (!pos.empty() && is_executable_extension(path_extension(normalize_path(call.arg(pos.front()))))) {
            emit(indicator_kind::proxy_execution, f, call.ptr(pos.front()), "explorer runs " + std::string(call.arg(pos.front())));
            stage_of("runs " + std::string(call.arg(pos.front())));
            run_rest(pos.front());
            return;
        }
        stage_of("Windows Explorer");
        return;
    }
    case tool_handler::scriptrunner:
        if (const std::size_t a = find_sw({"appvscript"}); a != npos && a + 1 < n) {
            emit(indicator_kind::proxy_execution, f, call.ptr(a), "ScriptRunner -appvscript " + std::string(call.arg(a + 1)));
            stage_of("runs " + std::string(call.arg(a + 1)));
            run_rest(a + 1);
        }
        return;
    case tool_handler::cmd:
    case tool_handler::powershell:
    case tool_handler::none:
    case tool_handler::discovery:
    case tool_handler::credential_tool: return;  // handled before the argument tables are built
    }
}

}  // namespace detail
WMISUB_NAMESPACE_END
