// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// PowerShell script text: behaviours from the keyword hits of the
// de-obfuscated text, and the commands, encoded data and files the script
// would run, decode or write, each analysed in turn. Also the helpers the
// VBScript/JScript analyzer shares: reading literal values and finding string
// literals that are whole command lines.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/argv.inl"
#include "wmisub/payload/impl/engine.inl"
#include "wmisub/payload/impl/literals.inl"
#include "wmisub/payload/impl/normalize.inl"
#include "wmisub/payload/impl/powershell.inl"
#include "wmisub/payload/impl/tables.inl"
#include "wmisub/payload/impl/text.inl"
#include "wmisub/text.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// The word of normalized text at pos (for evidence details).
[[nodiscard]] inline std::string_view word_at(std::string_view t, std::size_t pos) noexcept {
    if (pos >= t.size()) return {};
    std::size_t e = pos;
    while (e < t.size() && (is_word(t[e]) || t[e] == '.' || t[e] == '-') && e - pos < 64) ++e;
    return t.substr(pos, e - pos);
}

// A value in normalized script text at p: a literal's content, a parenthesised or
// comma-separated list of literals (joined with spaces), or a bare word. `end` is set past it.
[[nodiscard]] inline bool read_value(std::string_view t, std::size_t p, std::string& value, std::size_t& end) {
    p = skip_blanks(t, p);
    if (p < t.size() && (t[p] == '(' || (t[p] == '@' && p + 1 < t.size() && t[p + 1] == '('))) {
        const std::size_t q = t[p] == '@' ? p + 2 : p + 1;
        std::vector<std::string> items;
        const std::size_t e = read_literal_list(t, q, items);
        if (e != std::string_view::npos && e < t.size() && t[e] == ')') {
            for (std::size_t k = 0; k < items.size(); ++k) value += (k > 0 ? " " : "") + items[k];
            end = e + 1;
            return true;
        }
        return false;
    }
    if (p < t.size() && (t[p] == '\'' || t[p] == '"')) {
        std::vector<std::string> items;
        const std::size_t e = read_literal_list(t, p, items);
        if (e == std::string_view::npos) return false;
        for (std::size_t k = 0; k < items.size(); ++k) value += (k > 0 ? " " : "") + items[k];
        end = e;
        return true;
    }
    const std::size_t b = p;
    while (p < t.size() && !is_space(t[p]) && t[p] != ';' && t[p] != '|' && t[p] != ')' && t[p] != '(' && t[p] != ',') ++p;
    if (p == b) return false;
    value.assign(t.substr(b, p - b));
    end = p;
    return true;
}

// The end of the statement starting at p: ';', newline, '|' or '}' outside literals and parentheses.
[[nodiscard]] inline std::size_t statement_end(std::string_view t, std::size_t p) noexcept {
    int depth = 0;
    while (p < t.size()) {
        const char c = t[p];
        if (c == '\'' || c == '"') {
            const std::size_t e = read_literal(t, p, nullptr);
            if (e == std::string_view::npos) return t.size();
            p = e;
            continue;
        }
        if (c == '(' || c == '{') ++depth;
        if ((c == ')' || c == '}') && --depth < 0) return p;
        if (depth == 0 && (c == ';' || c == '\n' || c == '|')) return p;
        ++p;
    }
    return p;
}

// True when literal text reads as a command line worth analysing (a known tool with arguments).
[[nodiscard]] inline bool plausible_command(std::string_view s) {
    s = trim(s);
    const cmd_word w = first_cmd_word(s);
    bool trick = false;
    const std::string word = unquote_word(w.word, trick);
    if (word.size() < 2) return false;
    const tool_entry* t = tool_for(word);
    if (t == nullptr) return false;
    const bool explicit_program = word.find('\\') != std::string::npos || word.ends_with(".exe");
    const std::string_view rest = trim(s.substr(std::min(w.rest, s.size())));
    if (rest.empty()) return false;  // a bare program name is a name, not an invocation
    if (t->handler == tool_handler::none || t->handler == tool_handler::copy_tool || t->handler == tool_handler::browser ||
        t->handler == tool_handler::interpreter) {
        return explicit_program && !rest.empty();
    }
    if (explicit_program) return true;
    const std::string second = lower_copy(first_cmd_word(rest).word);
    if (t->name == "net" || t->name == "net1") return second == "user" || second == "localgroup" || second == "group" || second == "stop" || second == "use";
    if (t->name == "reg") return second == "add" || second == "delete" || second == "save" || second == "export" || second == "import" || second == "query";
    if (t->name == "sc") return second == "create" || second == "config" || second == "stop" || second == "delete" || second == "failure";
    if (t->name == "at") return !second.empty() && is_digit(second[0]) && second.find(':') != std::string::npos;
    if (t->handler == tool_handler::discovery) return rest.empty() || rest[0] == '/' || rest[0] == '-';
    return t->role != stage_role::program && (!rest.empty() || t->role == stage_role::shell);
}

// Analyses string literals of normalized text that are whole command lines (`$c = "cmd /c ..."`).
inline void analyzer::literal_commands(const normalized_text& n, const frame& nf, std::vector<std::size_t>& done) {
    const std::string_view t = n.text;
    std::size_t analysed = 0;
    for (std::size_t p = 0; p < t.size() && analysed < 64 && !poll.tick();) {
        if (t[p] != '\'' && t[p] != '"') {
            ++p;
            continue;
        }
        std::string content;
        const std::size_t e = read_literal(t, p, &content);
        if (e == std::string_view::npos) break;
        const bool seen = std::find(done.begin(), done.end(), p) != done.end();
        if (!seen && content.size() >= 3 && content.size() <= 65536 && plausible_command(content)) {
            ++analysed;
            done.push_back(p);
            // The literal's content is the text between its quotes unless a quote was doubled.
            const std::string_view inner = t.substr(p + 1, e - p - 2);
            if (inner == content) {
                command_line(inner, nf.deeper(), nullptr, nullptr, false);
            } else {
                const frame tf = temp_frame(nf, t.data() + p);
                command_line(content, tf, nullptr, nullptr, false);
            }
        }
        p = e;
    }
}

// Runs a command extracted from a script: a view when it is literal text of `t`, else a temporary.
inline void run_extracted(analyzer& a, const frame& nf, std::string_view t, std::size_t at, const std::string& command) {
    if (trim(command).empty()) return;
    const std::size_t hit = t.find(command, at);
    if (hit != std::string_view::npos && hit - at < 8) {
        a.command_line(t.substr(hit, command.size()), nf.deeper(), nullptr, nullptr, false);
    } else {
        const frame tf = a.temp_frame(nf, t.data() + std::min(at, t.size()));
        a.command_line(command, tf, nullptr, nullptr, false);
    }
}

// `$name = 'literal'` assignments, for resolving variables passed to Process.Start and friends.
[[nodiscard]] inline std::vector<std::pair<std::string, std::string>> ps_assignments(std::string_view t, std::string_view lower) {
    std::vector<std::pair<std::string, std::string>> vars;
    for (std::size_t p = lower.find('$'); p != std::string_view::npos && vars.size() < 128; p = lower.find('$', p + 1)) {
        std::size_t q = p + 1;
        while (q < lower.size() && (is_word(lower[q]) || lower[q] == ':')) ++q;
        if (q == p + 1) continue;
        std::size_t eq = skip_blanks(lower, q);
        if (eq >= lower.size() || lower[eq] != '=' || (eq + 1 < lower.size() && lower[eq + 1] == '=')) continue;
        std::string value;
        const std::size_t vb = skip_blanks(t, eq + 1);
        if (vb < t.size() && (t[vb] == '\'' || t[vb] == '"') && read_literal(t, vb, &value) != std::string_view::npos) {
            vars.emplace_back(std::string(lower.substr(p, q - p)), std::move(value));
        }
    }
    return vars;
}

// The value at p: a literal, or a variable with a literal assigned to it.
[[nodiscard]] inline std::string resolve_value(std::string_view t, std::string_view lower, std::size_t p,
                                               const std::vector<std::pair<std::string, std::string>>& vars) {
    p = skip_blanks(t, p);
    std::string value;
    if (p < t.size() && (t[p] == '\'' || t[p] == '"')) {
        if (read_literal(t, p, &value) != std::string_view::npos) return value;
        return {};
    }
    if (p < t.size() && t[p] == '$') {
        std::size_t q = p + 1;
        while (q < lower.size() && (is_word(lower[q]) || lower[q] == ':')) ++q;
        const std::string_view name = lower.substr(p, q - p);
        for (auto it = vars.rbegin(); it != vars.rend(); ++it) {
            if (it->first == name) return it->second;
        }
    }
    return {};
}

inline void analyzer::powershell_text(std::string_view text, const frame& f, bool text_scanned) {
    if (!enter(f)) return;
    const span_scope spans(*this);
    const normalized_text n = normalize(text, script_language::powershell, nullptr, &poll);
    obfuscation_evidence(n.stats, f, text.data());
    frame nf = f;
    nf.parent = &f;
    nf.norm = &n;
    nf.norm_input = text;
    const std::string_view t = n.text;
    const std::string_view l = n.lower;
    constexpr std::size_t npos = std::string_view::npos;
    keyword_hits h;
    scan_keywords(l, ps_keywords, h, ps_prefix_params, &poll);
    auto at = [&t](std::size_t pos) { return t.data() + std::min(pos, t.size()); };
    auto ev = [&](indicator_kind k, std::size_t pos, std::string_view detail) { emit(k, nf, at(pos), detail); };
    auto w = [&t](std::size_t pos) { return std::string(word_at(t, pos)); };
    auto phrase = [&l](std::initializer_list<std::string_view> list) {
        std::size_t best = npos;
        for (std::string_view s : list) best = std::min(best, l.find(s));
        return best;
    };

    // Behaviours.
    const std::size_t sb = (h.has(kw::scriptblock) && h.has(kw::create)) ? h.at(kw::scriptblock) : npos;
    const std::size_t exec = std::min({h.first(kw::iex, kw::newscriptblock, kw::invokescript), sb});
    const std::size_t fetch = h.has(kw::dl_mem) ? h.at(kw::dl_mem) : h.first(kw::web_cmdlet, kw::xmlhttp, kw::http_client);
    bool transfer = false;
    if (fetch != npos && exec != npos) {
        ev(indicator_kind::download_cradle, fetch, w(fetch) + " + " + w(exec));
        transfer = true;
    }
    const std::size_t to_file = h.has(kw::dl_file) ? h.at(kw::dl_file) : (h.has(kw::web_cmdlet) && h.has(kw::outfile)) ? h.at(kw::web_cmdlet) : npos;
    if (to_file != npos) {
        ev(indicator_kind::download, to_file, w(to_file));
        transfer = true;
    }
    if (h.has(kw::upload) || (h.has(kw::web_cmdlet) && h.has(kw::infile))) {
        const std::size_t p = h.first(kw::upload, kw::infile);
        ev(indicator_kind::data_upload, p, w(p));
        transfer = true;
    }
    const std::size_t net = h.first(kw::webclient, kw::dl_mem, kw::web_cmdlet, kw::http_client, kw::xmlhttp, kw::socket);
    if (h.has(kw::socket) && h.has(kw::getstream) && (exec != npos || h.has(kw::outstring))) {
        ev(indicator_kind::reverse_shell, h.at(kw::socket), w(h.at(kw::socket)) + " stream wired to a command interpreter");
        transfer = true;
    }
    if (!transfer && net != npos) ev(indicator_kind::network_request, net, w(net));
    if (exec != npos) ev(indicator_kind::dynamic_code, exec, w(exec));
    if (h.has(kw::frombase64)) ev(indicator_kind::base64_decode, h.at(kw::frombase64), w(h.at(kw::frombase64)));
    if (h.has(kw::compression)) ev(indicator_kind::compressed_payload, h.at(kw::compression), w(h.at(kw::compression)));
    if (const std::size_t p = h.has(kw::assembly_word)
                                  ? phrase({"assembly]::load(", "assembly]::load (", "assembly]::loadfile(", "assembly]::loadfrom(",
                                            "assembly]::unsafeloadfrom(", "currentdomain.load("})
                                  : npos;
        p != npos) {
        ev(indicator_kind::in_memory_assembly, p, "Assembly.Load");
    }
    if (h.has(kw::amsi)) ev(indicator_kind::amsi_bypass, h.at(kw::amsi), w(h.at(kw::amsi)));
    if (const std::size_t p = h.first(kw::etw, kw::sbl, kw::eventlog_clear); p != npos) ev(indicator_kind::logging_tamper, p, w(p));
    if (h.has(kw::mppref) && h.any(kw::disable_param, kw::exclusion_param)) {
        ev(indicator_kind::security_tool_tamper, h.at(kw::mppref), w(h.at(kw::mppref)) + " -" + w(h.first(kw::disable_param, kw::exclusion_param)));
    }
    if ((h.has(kw::firewall_cmdlet) && l.find("false") != npos) || (h.has(kw::defender_feature) && l.find("defender") != npos)) {
        const std::size_t p = h.first(kw::firewall_cmdlet, kw::defender_feature);
        ev(indicator_kind::security_tool_tamper, p, w(p));
    }
    if (h.any(kw::stop_service, kw::kill, kw::kill_alias, kw::set_service) && names_security_product(l)) {
        const std::size_t p = h.first(kw::stop_service, kw::kill, kw::kill_alias, kw::set_service);
        ev(indicator_kind::security_tool_tamper, p, w(p) + " of a security product");
    }
    if ((h.has(kw::add_type) && h.has(kw::dllimport)) || h.has(kw::native)) {
        const std::size_t p = h.first(kw::dllimport, kw::native);
        ev(indicator_kind::native_api_access, p, w(p));
    }
    if (h.has(kw::inject)) ev(indicator_kind::process_injection, h.at(kw::inject), w(h.at(kw::inject)));
    // Offensive frameworks' own functions (PowerSploit, Nishang, PowerPunch): named, they say what runs.
    if (h.has(kw::offensive_stager)) ev(indicator_kind::download_cradle, h.at(kw::offensive_stager), w(h.at(kw::offensive_stager)) + " (downloads and runs a stager)");
    if (h.has(kw::offensive_shell)) ev(indicator_kind::reverse_shell, h.at(kw::offensive_shell), w(h.at(kw::offensive_shell)) + " (reverse shell)");
    if (h.has(kw::sched)) ev(indicator_kind::scheduled_task, h.at(kw::sched), w(h.at(kw::sched)));
    if (h.has(kw::new_service)) ev(indicator_kind::service_install, h.at(kw::new_service), w(h.at(kw::new_service)));
    if (h.has(kw::reg_write)) registry_scan(l, t, nf, true);
    if (h.has(kw::wmi_sub)) ev(indicator_kind::wmi_subscription_change, h.at(kw::wmi_sub), w(h.at(kw::wmi_sub)));
    if (h.has(kw::wmi)) ev(indicator_kind::wmi_access, h.at(kw::wmi), w(h.at(kw::wmi)));
    if (h.has(kw::win32_process) && (h.has(kw::create) || phrase({"-name create", "-methodname create", "-n create"}) != npos)) {
        ev(indicator_kind::wmi_process_create, h.at(kw::win32_process), "Win32_Process.Create");
    }
    if (h.has(kw::wmi) && h.has(kw::properties)) ev(indicator_kind::wmi_class_storage, h.at(kw::properties), "WMI class properties");
    if (h.has(kw::account) || (h.has(kw::adsi_winnt) && (h.has(kw::create) || h.has(kw::setpassword) || l.find(".add(") != npos))) {
        const std::size_t p = h.first(kw::account, kw::adsi_winnt);
        ev(indicator_kind::account_manipulation, p, w(p));
    }
    if (h.has(kw::cred) || (h.has(kw::lsass) && h.has(kw::dump))) {
        const std::size_t p = h.first(kw::cred, kw::dump);
        ev(indicator_kind::credential_access, p, w(p));
    }
    if (const std::size_t p = h.first(kw::kill, kw::kill_method, kw::kill_alias); p != npos) ev(indicator_kind::process_termination, p, w(p));
    const std::size_t com_run = (h.has(kw::wscript_shell) && h.any(kw::run_method, kw::exec_method)) ? h.first(kw::run_method, kw::exec_method)
                                : (h.has(kw::shell_app) && h.has(kw::shellexecute))                ? h.at(kw::shellexecute)
                                                                                                   : npos;
    const std::size_t process_start = h.has(kw::process_type) ? l.find("process]::start(") : npos;
    const std::size_t launch = std::min({h.first(kw::start_process, kw::psi), process_start, com_run});
    if (launch != npos) ev(indicator_kind::script_process_launch, launch, w(launch));
    if ((h.has(kw::computername) && h.any(kw::invoke_command, kw::wmi)) || h.has(kw::pssession)) {
        const std::size_t p = h.first(kw::pssession, kw::computername);
        ev(indicator_kind::remote_execution, p, w(p));
    }
    if ((h.has(kw::windowstyle) && h.has(kw::hidden)) || (h.has(kw::createnowindow) && l.find("true", h.at(kw::createnowindow)) != npos)) {
        ev(indicator_kind::hidden_window, h.first(kw::windowstyle, kw::createnowindow), "hidden window");
    }
    if (h.has(kw::bypass) && h.has(kw::executionpolicy)) ev(indicator_kind::execution_policy_bypass, h.at(kw::executionpolicy), "execution policy bypass");
    if (h.has(kw::delete_item)) ev(indicator_kind::file_deletion, h.at(kw::delete_item), w(h.at(kw::delete_item)));
    if (h.has(kw::stop_service) || (h.has(kw::set_service) && h.has(kw::disabled))) {
        const std::size_t p = h.first(kw::stop_service, kw::set_service);
        ev(indicator_kind::service_stop, p, w(p));
    }
    if (h.has(kw::shadowcopy) && h.any(kw::delete_item, kw::remove_wmi)) ev(indicator_kind::recovery_inhibition, h.at(kw::shadowcopy), "Win32_ShadowCopy delete");
    // Paths with executable extensions or in autostart places named by the statements that write files.
    auto statement_paths = [&](std::size_t p) {
        const std::size_t end = statement_end(t, p);
        for (std::size_t r = p; r < end;) {
            if (t[r] != '\'' && t[r] != '"') {
                ++r;
                continue;
            }
            std::string content;
            const std::size_t e = read_literal(t, r, &content);
            if (e == npos) break;
            const std::string norm = normalize_path(content);
            if ((is_absolute_path(norm) || istarts(content, "$env:")) &&
                (is_executable_extension(path_extension(norm)) || !autostart_location(norm).empty())) {
                file_written(content, nf, at(r), "writes");
            }
            r = e;
        }
    };
    if (h.has(kw::file_write)) {
        ev(indicator_kind::file_write, h.at(kw::file_write), w(h.at(kw::file_write)));
        statement_paths(h.at(kw::file_write));
    }
    if (to_file != npos) statement_paths(to_file);
    if (h.has(kw::outfile)) {
        std::string v;
        std::size_t ve = 0;
        const std::size_t p = h.at(kw::outfile) + 7;
        if (read_value(t, p, v, ve)) file_written(v, nf, at(p), "downloads to");
    }

    // Commands the script runs.
    std::vector<std::size_t> done;
    const auto vars = ps_assignments(t, l);
    // Native commands at statement starts (`cmd /c ...`, `& schtasks.exe /create ...`, `powershell -enc ...`).
    std::size_t natives = 0;
    bool start = true;
    for (std::size_t p = 0; p < t.size() && natives < 64 && !poll.tick();) {
        const char c = t[p];
        if (c == '\'' || c == '"') {
            if (start) {
                std::string content;
                const std::size_t e = read_literal(t, p, &content);
                const std::size_t after = e == npos ? npos : skip_blanks(t, e);
                if (e != npos && after < t.size() && after > e && t[after] != ';' && t[after] != '\n' && t[after] != '|' &&
                    tool_for(content) != nullptr && p > 0 && (t[p - 1] == '&' || (p > 1 && t[p - 2] == '&'))) {
                    const std::size_t end = statement_end(t, after);
                    std::string cmd = content + " " + std::string(t.substr(after, end - after));
                    const frame tf = temp_frame(nf, at(p));
                    command_line(cmd, tf, nullptr, nullptr, false);
                    ++natives;
                }
            }
            const std::size_t e = read_literal(t, p, nullptr);
            p = e == npos ? t.size() : e;
            start = false;
            continue;
        }
        if (c == ';' || c == '\n' || c == '|' || c == '{' || c == '}' || c == '(' || c == '=' || c == '&') {
            start = true;
            ++p;
            continue;
        }
        if (c == ' ' || (c == '.' && start && p + 1 < t.size() && t[p + 1] == ' ')) {
            ++p;
            continue;
        }
        if (start && (is_word(c) || c == '\\')) {
            std::size_t e = p;
            while (e < t.size() && !is_space(t[e]) && t[e] != ';' && t[e] != '|' && t[e] != '(' && t[e] != ')' && t[e] != '\'' && t[e] != '"') ++e;
            const std::string_view word = l.substr(p, e - p);
            // PowerShell aliases that shadow programs of the same name.
            const bool alias = word == "sc" || word == "curl" || word == "wget" || word == "start" || word == "kill";
            const tool_entry* tool = alias ? nullptr : tool_for(word);
            if (tool != nullptr && (tool->role != stage_role::program || word.find('\\') != std::string_view::npos || word.ends_with(".exe"))) {
                const std::size_t end = statement_end(t, p);
                command_line(t.substr(p, end - p), nf.deeper(), nullptr, nullptr, false);
                ++natives;
                p = end;
                start = false;
                continue;
            }
            p = e;
        } else {
            ++p;
        }
        start = false;
    }
    // Start-Process <file> [-ArgumentList] <args> [-WindowStyle Hidden].
    for (std::size_t p = h.has(kw::start_process) ? phrase({"start-process", "saps "}) : npos; p != npos && done.size() < 64;
         p = l.find("start-process", p + 1)) {
        if (p > 0 && (is_word(l[p - 1]) || l[p - 1] == '-')) continue;
        const std::size_t end = statement_end(t, p);
        std::size_t q = p + (l.substr(p).starts_with("saps") ? 4 : 13);
        std::string file;
        std::string args;
        int positional = 0;
        while (q < end) {
            q = skip_blanks(t, q);
            if (q >= end) break;
            if (t[q] == '-' && q + 1 < end && is_alpha(t[q + 1])) {
                std::size_t e = q + 1;
                while (e < end && is_word(t[e])) ++e;
                const std::string_view name = l.substr(q + 1, e - q - 1);
                std::string v;
                std::size_t ve = e;
                const bool value_param = has_prefix(name, "f") || has_prefix(name, "pat") || has_prefix(name, "psp") || has_prefix(name, "a") ||
                                         has_prefix(name, "wi") || name == "w" || has_prefix(name, "wo") || has_prefix(name, "v") ||
                                         has_prefix(name, "c") || has_prefix(name, "r");
                if (value_param && read_value(t, e, v, ve)) {
                    if (has_prefix(name, "f") || has_prefix(name, "pat") || has_prefix(name, "psp")) file = v;
                    else if (has_prefix(name, "a")) args = v;
                    else if ((has_prefix(name, "wi") || name == "w") && ps_hidden_style(v)) ev(indicator_kind::hidden_window, q, "Start-Process -WindowStyle " + v);
                    q = ve;
                } else {
                    q = e;
                }
                continue;
            }
            std::string v;
            std::size_t ve = q;
            if (!read_value(t, q, v, ve) || ve <= q) break;
            if (positional == 0) file = v;
            else if (positional == 1) args = v;
            ++positional;
            q = ve;
        }
        if (!file.empty() && file[0] != '$') {
            done.push_back(p);
            run_extracted(*this, nf, t, p, args.empty() ? file : file + " " + args);
        }
    }
    // [Diagnostics.Process]::Start('file', 'args')
    for (std::size_t p = process_start; p != npos; p = l.find("process]::start(", p + 1)) {
        std::vector<std::string> items;
        if (read_literal_list(t, p + 16, items) == npos || items.empty()) continue;
        run_extracted(*this, nf, t, p, items.size() > 1 ? items[0] + " " + items[1] : items[0]);
    }
    // ProcessStartInfo: .FileName = ...; .Arguments = ...
    if (h.has(kw::psi)) {
        std::string file;
        std::string args;
        for (const auto& [prop, target] : {std::pair{std::string_view(".filename"), &file}, std::pair{std::string_view(".arguments"), &args}}) {
            for (std::size_t p = l.find(prop); p != npos; p = l.find(prop, p + 1)) {
                const std::size_t eq = skip_blanks(l, p + prop.size());
                if (eq < l.size() && l[eq] == '=') {
                    std::string v = resolve_value(t, l, eq + 1, vars);
                    if (!v.empty()) *target = std::move(v);
                }
            }
        }
        const std::string la = lower_copy(args);
        if (file.empty() && (la.find("-enc") != std::string::npos || la.find("-nop") != std::string::npos || la.find("-c ") != std::string::npos)) {
            file = "powershell.exe";
        }
        if (!file.empty()) run_extracted(*this, nf, t, h.at(kw::psi), args.empty() ? file : file + " " + args);
    }
    // COM: (New-Object -ComObject WScript.Shell).Run('...', 0) and Win32_Process Create('...').
    for (std::string_view method : {std::string_view(".run("), std::string_view(".exec("), std::string_view(".create("), std::string_view(".shellexecute(")}) {
        if (method == ".create(" && !h.has(kw::win32_process)) continue;
        if ((method == ".run(" || method == ".exec(") && !h.has(kw::wscript_shell)) continue;
        if (method == ".shellexecute(" && !h.has(kw::shellexecute)) continue;
        std::size_t count = 0;
        for (std::size_t p = l.find(method); p != npos && count < 16; p = l.find(method, p + 1), ++count) {
            const std::string v = resolve_value(t, l, p + method.size(), vars);
            if (!v.empty()) run_extracted(*this, nf, t, p + method.size(), v);
        }
    }
    if (h.has(kw::win32_process)) {
        for (std::string_view key : {std::string_view("-argumentlist"), std::string_view("commandline")}) {
            for (std::size_t p = l.find(key); p != npos; p = l.find(key, p + 1)) {
                std::size_t q = skip_blanks(l, p + key.size());
                if (q < l.size() && l[q] == '=') ++q;
                const std::string v = resolve_value(t, l, q, vars);
                if (!v.empty()) run_extracted(*this, nf, t, q, v);
            }
        }
    }
    // [Convert]::FromBase64String('...'): decode and analyse what comes out.
    for (std::size_t p = h.has(kw::frombase64) ? l.find("frombase64string(") : npos; p != npos; p = l.find("frombase64string(", p + 1)) {
        const std::size_t q = skip_blanks(t, p + 17);
        std::string b64;
        std::size_t lit_end = npos;
        if (q < t.size() && (t[q] == '\'' || t[q] == '"')) lit_end = read_literal(t, q, &b64);
        if (lit_end == npos) b64 = resolve_value(t, l, q, vars);
        if (b64.size() < 8) continue;
        if (lit_end != npos) decoded_spans.emplace_back(at(q), lit_end - q);
        if (auto bytes = decode_base64_lenient(b64, opt.max_layer_bytes)) {
            decoded_bytes(std::move(*bytes), "base64", nf, at(q), h.has(kw::compression), script_language::unknown);
        }
    }
    literal_commands(n, nf, done);
    decode_blobs(t, nf, h.has(kw::compression));
    if (!text_scanned || t != text) generic_scan(t, nf, scan_mode::script);
}

}  // namespace detail
WMISUB_NAMESPACE_END
