// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// cmd.exe as it runs what follows /c: variables and carets resolved, the
// line split on &, &&, || and pipes, redirections turned into file writes
// (and what is echoed into a script analysed as that script), built-ins
// (set, call, start, if, for, copy, del, assoc/ftype) interpreted, every
// other command analysed as a command line.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/argv.inl"
#include "wmisub/payload/impl/engine.inl"
#include "wmisub/payload/impl/literals.inl"
#include "wmisub/payload/impl/normalize.inl"
#include "wmisub/payload/impl/text.inl"
#include "wmisub/text.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// The text an `echo` command prints (empty for anything else), without its redirections.
[[nodiscard]] inline std::string_view echo_text(std::string_view command) noexcept {
    std::string_view c = trim(command);
    while (!c.empty() && c.front() == '@') c.remove_prefix(1);
    if (c.size() < 5 || !ieq(c.substr(0, 4), "echo") || !(is_blank(c[4]) || c[4] == '.' || c[4] == '(')) return {};
    c.remove_prefix(5);
    const std::size_t redirect = c.find_first_of("<>");
    return trim(c.substr(0, redirect));
}

inline void analyzer::cmd_script(std::string_view text, const frame& f, env_overrides& vars) {
    if (!enter(f)) return;
    const normalized_text n = normalize(text, script_language::cmd, &vars, &poll);
    obfuscation_evidence(n.stats, f, text.data());
    frame nf = f;
    nf.parent = &f;
    nf.norm = &n;
    nf.norm_input = text;
    const std::vector<cmd_piece> pieces = split_cmd(n.text, 256);
    const tool_entry* previous = nullptr;
    std::string_view echoed;  // what the previous piece echoed, when it was an echo
    for (const cmd_piece& piece : pieces) {
        const tool_entry* t = cmd_command(piece.text, nf, vars);
        if (piece.op_before == '|' && !echoed.empty() && t != nullptr) piped_script(echoed, *t, nf, piece.text.data());
        echoed = echo_text(piece.text);
        if (piece.op_before == '|' && previous != nullptr && t != nullptr &&
            (previous->handler == tool_handler::curl || previous->handler == tool_handler::finger ||
             previous->handler == tool_handler::tftp) &&
            (t->role == stage_role::shell || t->role == stage_role::powershell || t->handler == tool_handler::interpreter)) {
            emit(indicator_kind::download_cradle, nf, piece.text.data(),
                 std::string(previous->name) + " piped into " + std::string(t->name));
        }
        previous = t;
    }
}

// `echo CODE | powershell -` (or cmd, or a script host reading standard input): the echoed
// text is the code the interpreter runs, so it is analysed as that language.
inline void analyzer::piped_script(std::string_view code, const tool_entry& reader, const frame& f, const char* where) {
    const bool powershell = reader.role == stage_role::powershell;
    const bool shell = reader.role == stage_role::shell;
    if (!powershell && !shell) return;
    emit(indicator_kind::inline_script, f, where, "code echoed into " + std::string(reader.name) + " through a pipe");
    add_stage(std::string(reader.name), reader.role, "runs code piped from echo", code, f);
    const frame c = f.deeper();
    if (powershell) {
        powershell_text(code, c);
    } else {
        env_overrides vars;
        cmd_script(code, c, vars);
    }
}

// The command with the variables set earlier in the line expanded (%x% and
// delayed !x!). Values may name variables again, so each step is capped: a
// line that re-expands itself grows at most to the limit and is marked truncated.
inline std::string analyzer::expand_set_variables(std::string_view command, const env_overrides& vars) {
    const std::size_t limit = std::min(opt.max_layer_bytes, command.size() * 4 + 4096);
    std::string expanded = expand_env(command, &vars);
    for (const auto& [var, value] : vars.vars) {
        if (expanded.size() > limit) break;
        expanded = replace_all(expanded, "!" + var + "!", value, true, limit + 1);
    }
    if (expanded.size() > limit) {
        expanded.resize(utf8_prefix(expanded, limit).size());
        out.truncated = true;
    }
    return expanded;
}

inline const tool_entry* analyzer::cmd_command(std::string_view text, const frame& f, env_overrides& vars) {
    const cmd_redirects redirects = parse_redirects(text);
    std::size_t cut = text.size();
    for (const cmd_redirect& r : redirects.targets) {
        std::size_t b = r.offset;
        while (b > 0 && text[b - 1] != '>' && text[b - 1] != '<') --b;
        while (b > 0 && (text[b - 1] == '>' || text[b - 1] == '<' || is_digit(text[b - 1]))) --b;
        cut = std::min(cut, b);
    }
    std::string_view cmdpart = trim(text.substr(0, cut));
    while (!cmdpart.empty() && (cmdpart.front() == '@' || cmdpart.front() == '(')) cmdpart.remove_prefix(1);
    while (!cmdpart.empty() && cmdpart.back() == ')' && std::count(cmdpart.begin(), cmdpart.end(), '(') <
                                                           std::count(cmdpart.begin(), cmdpart.end(), ')')) {
        cmdpart.remove_suffix(1);
    }
    cmdpart = trim(cmdpart);
    const cmd_word w = first_cmd_word(cmdpart);
    bool trick = false;
    const std::string name = unquote_word(w.word, trick);
    if (trick) {
        emit(indicator_kind::obfuscation, f, cmdpart.data(), "quotes inside a command name");
    }
    const std::string_view rest = cmdpart.substr(std::min(w.rest, cmdpart.size()));
    const bool echo = name == "echo" || has_prefix(name, "echo.") || has_prefix(name, "echo(");
    for (const cmd_redirect& r : redirects.targets) {
        if (r.input) continue;
        file_written(r.target, f, text.data() + r.offset, r.append ? "appends to" : "writes", echo ? rest : std::string_view{});
    }
    if (name.empty()) return nullptr;
    frame c = f.deeper();

    // Variables set earlier in the same line (DOSfuscation: set x=...&&call %x%).
    if (!vars.vars.empty() && (cmdpart.find('%') != std::string_view::npos || cmdpart.find('!') != std::string_view::npos)) {
        std::string expanded = expand_set_variables(cmdpart, vars);
        if (expanded != cmdpart && enter(c)) {
            const frame t = temp_frame(f, cmdpart.data());
            emit(indicator_kind::obfuscation, f, cmdpart.data(), "command built from variables set in the same line");
            return cmd_command(expanded, t, vars);
        }
    }

    if (name == "set") {
        std::string_view a = rest;
        while (a.size() >= 2 && a[0] == '/' && (lc(a[1]) == 'a' || lc(a[1]) == 'p')) a = trim(a.substr(2));
        a = strip_quotes(a);
        const std::size_t eq = a.find('=');
        if (eq != std::string_view::npos && eq > 0) vars.set(trim(a.substr(0, eq)), a.substr(eq + 1));
        return nullptr;
    }
    if (name == "call") {
        if (!rest.empty() && rest[0] != ':') cmd_script(rest, c, vars);
        return nullptr;
    }
    if (name == "start") {
        std::string_view r = rest;
        bool first = true;
        for (int guard = 0; guard < 32 && !r.empty(); ++guard) {
            const cmd_word opt_word = first_cmd_word(r);
            const std::string_view ow = opt_word.word;
            if (first && !ow.empty() && ow.front() == '"') {  // the window title
                r = r.substr(opt_word.rest);
                first = false;
                continue;
            }
            first = false;
            if (ow.empty() || ow[0] != '/') break;
            if (ieq(ow, "/min")) emit(indicator_kind::hidden_window, f, ow.data(), "start /min");
            r = r.substr(opt_word.rest);
            if (ieq(ow, "/d") || ieq(ow, "/node") || ieq(ow, "/affinity")) r = r.substr(first_cmd_word(r).rest);
        }
        add_stage("start", stage_role::shell_builtin, "starts a program", r, f);
        if (!trim(r).empty()) return command_line(r, c, nullptr, nullptr, false);
        return nullptr;
    }
    if (name == "if") {
        std::string_view r = rest;
        for (int guard = 0; guard < 8; ++guard) {
            const cmd_word t = first_cmd_word(r);
            const std::string lw = lower_copy(t.word);
            if (lw == "/i" || lw == "not") {
                r = r.substr(t.rest);
                continue;
            }
            if (lw == "exist" || lw == "defined" || lw == "errorlevel" || lw == "cmdextversion") {
                r = r.substr(t.rest);
                r = r.substr(first_cmd_word(r).rest);
                break;
            }
            if (lw.find("==") != std::string::npos) {
                r = r.substr(t.rest);
                break;
            }
            const cmd_word op = first_cmd_word(r.substr(t.rest));
            r = r.substr(t.rest);
            r = r.substr(op.rest);
            r = r.substr(first_cmd_word(r).rest);
            break;
        }
        if (!trim(r).empty()) cmd_script(r, c, vars);
        return nullptr;
    }
    if (name == "for") {
        if (const std::size_t in = ifind_from(rest, " in ("); in != std::string_view::npos) {
            const std::size_t open = rest.find('(', in);
            const std::size_t close = rest.find(')', open);
            if (open != std::string_view::npos && close != std::string_view::npos) {
                const std::string_view set = trim(rest.substr(open + 1, close - open - 1));
                if (set.size() > 2 && (set.front() == '\'' || set.front() == '`')) {
                    cmd_script(set.substr(1, set.size() - 2), c, vars);
                }
            }
        }
        if (const std::size_t d = ifind_from(rest, " do "); d != std::string_view::npos) cmd_script(rest.substr(d + 4), c, vars);
        return nullptr;
    }
    if (name == "copy" || name == "move" || name == "ren" || name == "rename" || name == "mklink") {
        const std::vector<command_argument> args = tokenize_argv(std::string(name) + " " + std::string(rest), argv_dialect::msvcrt);
        std::string_view dest;
        for (std::size_t i = 1; i < args.size(); ++i) {
            if (!args[i].value.empty() && args[i].value[0] != '/') dest = args[i].value;
        }
        if (!dest.empty() && args.size() > 2) {
            const std::size_t at = ifind_from(rest, dest);
            file_written(dest, f, at == std::string_view::npos ? rest.data() : rest.data() + at, name);
        }
        return nullptr;
    }
    if (name == "del" || name == "erase" || name == "rd" || name == "rmdir") {
        emit(indicator_kind::file_deletion, f, cmdpart.data(), clip(rest, 120));
        return nullptr;
    }
    if (name == "assoc" || name == "ftype") {
        if (rest.find('=') != std::string_view::npos && rest.find('=') + 1 < rest.size()) {
            emit(indicator_kind::autostart_registry_write, f, cmdpart.data(), "file association " + std::string(clip(rest, 120)));
        }
        return nullptr;
    }
    static constexpr std::array<std::string_view, 24> quiet_builtins = {
        "echo", "cd", "chdir", "pushd", "popd", "cls", "title", "color", "setlocal", "endlocal", "exit", "goto",
        "rem", "pause", "ver", "vol", "verify", "prompt", "path", "shift", "break", "dir", "md", "mkdir"};
    for (std::string_view b : quiet_builtins) {
        if (name == b) return nullptr;
    }
    if (echo || has_prefix(name, "::") || has_prefix(name, ":") || name == "type" || name == "date" || name == "time") return nullptr;
    return command_line(cmdpart, c, nullptr, nullptr, false);
}

}  // namespace detail
WMISUB_NAMESPACE_END
