// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Payload analysis: what a consumer would do when its filter fires. Command
// lines are split as Windows splits them and the program that CreateProcess
// would start is worked out (ExecutablePath versus the first token, implied
// `.exe`, `%SystemRoot%`-style variables); interpreter and LOLBin chains are
// followed recursively (`cmd /c`, PowerShell and its encoded commands,
// mshta, rundll32, regsvr32, wscript, certutil, bitsadmin, schtasks, ...);
// PowerShell, VBScript and JScript are de-obfuscated (ticks, carets,
// concatenation, `[char]`, `-f`, `-join`, `Chr()`, `fromCharCode`) and
// scanned for behaviours; base64, gzip and deflate layers are decoded and
// analysed in turn. Every finding is an `indicator` with a stable kind name,
// the WMI property it came from and an excerpt of the original text.
//
// Analysis never throws, keeps no global state and does bounded work on any
// input: nesting depth, decoded bytes, sub-analyses, stages and indicators are
// capped by payload_options and `truncated` says when a cap was reached.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/limits.hpp"
#include "wmisub/model.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// ---------------------------------------------------------------------------
// Indicator kinds, strengths and capabilities
// ---------------------------------------------------------------------------

// How much one indicator says on its own. `strong`: a behaviour benign
// subscriptions do not show (an encoded command, a download cradle, a process
// launched from a script); `suspicious`: worth a point in a score but common
// enough in administration to need company; `info`: context (a URL, a file
// write, the interpreter used).
enum class indicator_strength : std::uint8_t { info, suspicious, strong };

// The stable name of a strength: "info", "suspicious", "strong".
[[nodiscard]] constexpr std::string_view to_string(indicator_strength s) noexcept {
    switch (s) {
    case indicator_strength::info: return "info";
    case indicator_strength::suspicious: return "suspicious";
    case indicator_strength::strong: return "strong";
    }
    return "info";
}

// What a payload is able to do, summarised over all its indicators.
enum class capability : std::uint32_t {
    launches_process = 1u << 0,    // starts a process (every CommandLine consumer does)
    network = 1u << 1,             // talks to another machine
    downloads = 1u << 2,           // fetches content from another machine
    writes_file = 1u << 3,         // creates or changes files
    dynamic_code = 1u << 4,        // runs code built or fetched at run time
    in_memory_code = 1u << 5,      // loads assemblies, PE images or shellcode into memory
    obfuscated = 1u << 6,          // hides its text (ticks, concatenation, char codes, ...)
    encoded = 1u << 7,             // carries base64/compressed/encoded content
    hidden_window = 1u << 8,       // hides what it runs
    persistence_change = 1u << 9,  // adds another autostart (Run key, task, service, subscription, account)
    defense_evasion = 1u << 10,    // disables or blinds security tools, logs or recovery
    credential_access = 1u << 11,  // reads credentials or dumps LSASS
    privilege_change = 1u << 12,   // creates accounts or changes group membership
    lateral_movement = 1u << 13,   // runs code on another machine
    wmi_access = 1u << 14,         // uses WMI itself
    registry_write = 1u << 15,     // writes the registry
    process_termination = 1u << 16,// kills processes
    data_exfiltration = 1u << 17,  // sends local data out (upload, e-mail)
    event_data_use = 1u << 18,     // uses data of the triggering event (`%TargetInstance.X%`)
    discovery = 1u << 19,          // gathers system or network information
};

// The stable snake_case name of one capability.
[[nodiscard]] constexpr std::string_view to_string(capability c) noexcept {
    switch (c) {
    case capability::launches_process: return "launches_process";
    case capability::network: return "network";
    case capability::downloads: return "downloads";
    case capability::writes_file: return "writes_file";
    case capability::dynamic_code: return "dynamic_code";
    case capability::in_memory_code: return "in_memory_code";
    case capability::obfuscated: return "obfuscated";
    case capability::encoded: return "encoded";
    case capability::hidden_window: return "hidden_window";
    case capability::persistence_change: return "persistence_change";
    case capability::defense_evasion: return "defense_evasion";
    case capability::credential_access: return "credential_access";
    case capability::privilege_change: return "privilege_change";
    case capability::lateral_movement: return "lateral_movement";
    case capability::wmi_access: return "wmi_access";
    case capability::registry_write: return "registry_write";
    case capability::process_termination: return "process_termination";
    case capability::data_exfiltration: return "data_exfiltration";
    case capability::event_data_use: return "event_data_use";
    case capability::discovery: return "discovery";
    }
    return "unknown";
}

// Every capability, in bit order (for iterating over a capability_set).
inline constexpr std::array<capability, 20> all_capabilities = {
    capability::launches_process, capability::network,          capability::downloads,
    capability::writes_file,      capability::dynamic_code,     capability::in_memory_code,
    capability::obfuscated,       capability::encoded,          capability::hidden_window,
    capability::persistence_change, capability::defense_evasion, capability::credential_access,
    capability::privilege_change, capability::lateral_movement, capability::wmi_access,
    capability::registry_write,   capability::process_termination, capability::data_exfiltration,
    capability::event_data_use,   capability::discovery};

// A set of capabilities (a bit mask over `capability`).
struct capability_set {
    std::uint32_t bits = 0;

    // True when c is in the set.
    [[nodiscard]] constexpr bool has(capability c) const noexcept {
        return (bits & static_cast<std::uint32_t>(c)) != 0;
    }
    // Adds c to the set.
    constexpr void add(capability c) noexcept { bits |= static_cast<std::uint32_t>(c); }
    // Adds every capability of other.
    constexpr void add(capability_set other) noexcept { bits |= other.bits; }
    // True when the set is empty.
    [[nodiscard]] constexpr bool empty() const noexcept { return bits == 0; }
    // The stable names of the capabilities in the set, in bit order.
    [[nodiscard]] std::vector<std::string_view> names() const {
        std::vector<std::string_view> out;
        for (const capability c : all_capabilities) {
            if (has(c)) out.push_back(to_string(c));
        }
        return out;
    }
    friend constexpr bool operator==(capability_set, capability_set) = default;
};

// Builds a set from capabilities.
[[nodiscard]] constexpr capability_set make_capabilities(std::initializer_list<capability> list) noexcept {
    capability_set s;
    for (const capability c : list) s.add(c);
    return s;
}

// What an indicator says. Names (to_string) are stable: rules and JSON
// reports key on them, and a name once shipped is never reused.
enum class indicator_kind : std::uint8_t {
    // evidence found in the text
    url,                         // an http/https/ftp URL
    ip_address,                  // an IPv4 or IPv6 address (not a version number)
    unc_path,                    // a path on another machine: \\host\share
    webdav_path,                 // a WebDAV path (\\host@SSL\..., DavWWWRoot): files fetched over HTTP
    user_writable_path,          // a path into a location ordinary users can write (%TEMP%, AppData, \Users\Public, ...)
    alternate_data_stream,       // a file:stream path (code or data hidden in an NTFS alternate data stream)
    event_data_template,         // a %TargetInstance.X% / %Prop% template: event data flows into the output
    event_data_in_command,       // a template inside an executed command line: event data injected into a command
    event_data_exfiltration,     // whole event objects or sensitive properties sent out (e-mail)
    // what runs
    script_interpreter,          // a shell or script host runs the payload (cmd, powershell, wscript, mshta, ...)
    lolbin,                      // a Windows binary known for proxy execution or downloads is used
    proxy_execution,             // a signed binary launches another program, DLL or project for the payload
    inline_script,               // script code given inline on a command line (mshta/rundll32 javascript:, python -c)
    remote_code_load,            // code loaded straight from a URL, UNC or WebDAV path (Squiblydoo, mshta http://)
    runs_from_writable_path,     // the program, script or DLL run lives in a user-writable location
    masqueraded_binary,          // a system binary's name run from outside the system directories
    argv0_mismatch,              // ExecutablePath runs a different program than the command line names
    unquoted_path_with_spaces,   // an unquoted path with spaces: CreateProcess may run C:\Program.exe first
    relative_executable,         // the program is found through the search path (hijackable)
    extension_mismatch,          // a script or DLL with an extension that does not match what runs it
    script_as_command_line,      // CommandLineTemplate holds script source, not a command line
    implicit_profile_execution,  // a shell started with no command: only its profile scripts (PowerShell) or AutoRun (cmd.exe) run
    hidden_window,               // the payload hides its window (-w hidden, Run x,0, conhost --headless)
    execution_policy_bypass,     // PowerShell execution policy bypassed
    // encoding and obfuscation
    encoded_command,             // a base64 command is executed (powershell -EncodedCommand)
    encoded_script,              // a Script Encoder (VBScript.Encode/JScript.Encode) script
    encoded_blob,                // a long base64/hex blob inside a script
    base64_decode,               // the payload decodes base64 at run time
    compressed_payload,          // the payload decompresses embedded data (GzipStream, DeflateStream)
    embedded_binary,             // a PE image or shellcode bytes embedded in the payload
    obfuscation,                 // obfuscation was removed before matching (ticks, carets, concatenation, char codes)
    heavy_obfuscation,           // dense or layered obfuscation, as produced by obfuscation frameworks
    // behaviours
    dynamic_code,                // code built at run time is executed (IEX, Execute, eval, ScriptBlock::Create)
    download,                    // content is downloaded to disk (certutil -urlcache, bitsadmin, DownloadFile, curl -o)
    download_cradle,             // content is downloaded and executed (IEX (New-Object Net.WebClient).DownloadString)
    network_request,             // an HTTP request or socket without evidence of what is done with the reply
    data_upload,                 // local data is sent to another machine (UploadString, curl -T, certreq -Post)
    reverse_shell,               // a socket connected to a command interpreter
    signal_wait,                 // waitfor.exe: waits for a network signal, a remotely triggerable backdoor
    in_memory_assembly,          // a .NET assembly is loaded from bytes (Reflection.Assembly::Load)
    native_api_access,           // native APIs are declared from script (Add-Type DllImport, P/Invoke)
    process_injection,           // memory of this or another process is written and run (VirtualAlloc, CreateRemoteThread)
    script_process_launch,       // a script starts a process (WScript.Shell.Run, ShellExecute, Start-Process)
    wmi_process_create,          // a process is created through WMI (Win32_Process.Create, wmic process call create)
    remote_execution,            // code is run on another machine (wmic /node, psexec, Invoke-Command -ComputerName)
    amsi_bypass,                 // AMSI is tampered with
    security_tool_tamper,        // security tools are disabled (Set-MpPreference -Disable*, firewall off)
    logging_tamper,              // event logs, auditing or ETW are cleared or disabled
    recovery_inhibition,         // shadow copies, backups or recovery are deleted or disabled
    process_termination,         // processes are killed (taskkill, Stop-Process, Terminate())
    service_stop,                // a service is stopped or disabled
    file_hiding,                 // files are hidden (attrib +h +s)
    autostart_registry_write,    // an autostart registry location is written (Run keys, Winlogon, IFEO, services)
    registry_write,              // the registry is written
    scheduled_task,              // a scheduled task is created or changed
    service_install,             // a service is created or its binary changed
    wmi_subscription_change,     // WMI subscriptions are created or deleted from inside a payload (mofcomp too)
    account_manipulation,        // accounts are created or added to groups (net user /add)
    credential_access,           // credentials are dumped (LSASS, SAM, mimikatz)
    file_write,                  // a file is written (redirection, FileSystemObject, Out-File, LogFile consumer)
    executable_file_write,       // a file with an executable or script extension is written or copied
    autostart_file_write,        // a file is written into an autostart location (Startup folder, wbem\mof)
    file_deletion,               // files are deleted
    wmi_access,                  // the payload uses WMI (GetObject("winmgmts:"), Get-WmiObject)
    wmi_class_storage,           // data is read from or stored in WMI class properties (fileless storage)
    discovery,                   // system or network discovery commands (whoami, systeminfo, nltest)
    // consumer classes
    email_send,                  // an SMTP consumer sends e-mail (detail: server and recipients)
    remote_event_log,            // an NTEventLog consumer writes to another machine's log
    custom_consumer,             // a consumer class run by a third-party consumer provider DLL
    unusual_script_engine,       // an ActiveScript engine other than VBScript/JScript
};

// Number of indicator kinds.
inline constexpr std::size_t indicator_kind_count = static_cast<std::size_t>(indicator_kind::unusual_script_engine) + 1;

namespace detail {

// One row of the indicator catalog.
struct indicator_kind_info {
    indicator_kind kind;
    std::string_view name;
    indicator_strength strength;
    capability_set capabilities;
    std::string_view description;
    std::string_view attack;  // the closest ATT&CK technique, or "" for plain evidence
};

inline constexpr std::array<indicator_kind_info, indicator_kind_count> indicator_catalog = {{
    {indicator_kind::url, "url", indicator_strength::info, {}, "an http/https/ftp URL", ""},
    {indicator_kind::ip_address, "ip_address", indicator_strength::info, {}, "an IPv4 or IPv6 address", ""},
    {indicator_kind::unc_path, "unc_path", indicator_strength::suspicious, make_capabilities({capability::network}), "a path on another machine (\\\\host\\share)", ""},
    {indicator_kind::webdav_path, "webdav_path", indicator_strength::suspicious, make_capabilities({capability::network}), "a WebDAV path: files fetched over HTTP", ""},
    {indicator_kind::user_writable_path, "user_writable_path", indicator_strength::suspicious, {}, "a path into a location ordinary users can write", ""},
    {indicator_kind::alternate_data_stream, "alternate_data_stream", indicator_strength::strong, make_capabilities({capability::defense_evasion}),
     "a file:stream path (NTFS alternate data stream)", "T1564.004"},
    {indicator_kind::event_data_template, "event_data_template", indicator_strength::info, make_capabilities({capability::event_data_use}),
     "a %TargetInstance.X% template: event data flows into the output", ""},
    {indicator_kind::event_data_in_command, "event_data_in_command", indicator_strength::suspicious, make_capabilities({capability::event_data_use}),
     "event data is substituted into an executed command line", "T1546.003"},
    {indicator_kind::event_data_exfiltration, "event_data_exfiltration", indicator_strength::suspicious,
     make_capabilities({capability::event_data_use, capability::data_exfiltration}), "whole event objects or sensitive properties are sent out", "T1048"},
    {indicator_kind::script_interpreter, "script_interpreter", indicator_strength::info, make_capabilities({capability::launches_process}),
     "a shell or script host runs the payload", "T1059"},
    {indicator_kind::lolbin, "lolbin", indicator_strength::suspicious, make_capabilities({capability::launches_process}),
     "a Windows binary known for proxy execution or downloads is used", "T1218"},
    {indicator_kind::proxy_execution, "proxy_execution", indicator_strength::strong, make_capabilities({capability::launches_process, capability::defense_evasion}),
     "a signed binary launches another program, DLL or project", "T1218"},
    {indicator_kind::inline_script, "inline_script", indicator_strength::strong, make_capabilities({capability::dynamic_code, capability::launches_process}),
     "script code given inline on a command line", "T1218"},
    {indicator_kind::remote_code_load, "remote_code_load", indicator_strength::strong, make_capabilities({capability::network, capability::downloads, capability::launches_process}),
     "code is loaded straight from a URL, UNC or WebDAV path", "T1105"},
    {indicator_kind::runs_from_writable_path, "runs_from_writable_path", indicator_strength::strong, make_capabilities({capability::launches_process}),
     "the program, script or DLL run lives in a user-writable location", ""},
    {indicator_kind::masqueraded_binary, "masqueraded_binary", indicator_strength::strong, make_capabilities({capability::defense_evasion}),
     "a system binary's name run from outside the system directories", "T1036.005"},
    {indicator_kind::argv0_mismatch, "argv0_mismatch", indicator_strength::suspicious, make_capabilities({capability::defense_evasion}),
     "ExecutablePath runs a different program than the command line names", "T1036"},
    {indicator_kind::unquoted_path_with_spaces, "unquoted_path_with_spaces", indicator_strength::suspicious, {},
     "an unquoted program path with spaces (CreateProcess search ambiguity)", "T1574.009"},
    {indicator_kind::relative_executable, "relative_executable", indicator_strength::info, {}, "the program is found through the search path", "T1574.008"},
    {indicator_kind::extension_mismatch, "extension_mismatch", indicator_strength::suspicious, make_capabilities({capability::defense_evasion}),
     "a script or DLL whose extension does not match what runs it", "T1036.008"},
    {indicator_kind::script_as_command_line, "script_as_command_line", indicator_strength::suspicious, {},
     "CommandLineTemplate holds script source, not a command line", ""},
    {indicator_kind::implicit_profile_execution, "implicit_profile_execution", indicator_strength::strong, make_capabilities({capability::launches_process}),
     "PowerShell started with no command: only its profile scripts run", "T1546.013"},
    {indicator_kind::hidden_window, "hidden_window", indicator_strength::suspicious, make_capabilities({capability::hidden_window}), "the payload hides its window", "T1564.003"},
    {indicator_kind::execution_policy_bypass, "execution_policy_bypass", indicator_strength::suspicious, make_capabilities({capability::defense_evasion}),
     "the PowerShell execution policy is bypassed", "T1059.001"},
    {indicator_kind::encoded_command, "encoded_command", indicator_strength::strong, make_capabilities({capability::encoded, capability::obfuscated}),
     "a base64-encoded command is executed", "T1027.010"},
    {indicator_kind::encoded_script, "encoded_script", indicator_strength::strong, make_capabilities({capability::encoded, capability::obfuscated}),
     "a Script Encoder (VBScript.Encode/JScript.Encode) script", "T1027"},
    {indicator_kind::encoded_blob, "encoded_blob", indicator_strength::suspicious, make_capabilities({capability::encoded}), "a long base64 or hex blob inside a script", "T1027"},
    {indicator_kind::base64_decode, "base64_decode", indicator_strength::suspicious, make_capabilities({capability::encoded}), "base64 is decoded at run time", "T1140"},
    {indicator_kind::compressed_payload, "compressed_payload", indicator_strength::suspicious, make_capabilities({capability::encoded, capability::obfuscated}),
     "embedded data is decompressed at run time", "T1140"},
    {indicator_kind::embedded_binary, "embedded_binary", indicator_strength::strong, make_capabilities({capability::encoded, capability::in_memory_code}),
     "a PE image or shellcode bytes are embedded in the payload", "T1027.009"},
    {indicator_kind::obfuscation, "obfuscation", indicator_strength::suspicious, make_capabilities({capability::obfuscated}),
     "obfuscation was removed before matching", "T1027.010"},
    {indicator_kind::heavy_obfuscation, "heavy_obfuscation", indicator_strength::strong, make_capabilities({capability::obfuscated}),
     "dense or layered obfuscation as produced by obfuscation frameworks", "T1027.010"},
    {indicator_kind::dynamic_code, "dynamic_code", indicator_strength::strong, make_capabilities({capability::dynamic_code}), "code built at run time is executed", "T1059"},
    {indicator_kind::download, "download", indicator_strength::strong, make_capabilities({capability::network, capability::downloads, capability::writes_file}),
     "content is downloaded to disk", "T1105"},
    {indicator_kind::download_cradle, "download_cradle", indicator_strength::strong, make_capabilities({capability::network, capability::downloads, capability::dynamic_code}),
     "content is downloaded and executed", "T1105"},
    {indicator_kind::network_request, "network_request", indicator_strength::suspicious, make_capabilities({capability::network}),
     "an HTTP request or socket connection", "T1071.001"},
    {indicator_kind::data_upload, "data_upload", indicator_strength::suspicious, make_capabilities({capability::network, capability::data_exfiltration}),
     "local data is sent to another machine", "T1041"},
    {indicator_kind::reverse_shell, "reverse_shell", indicator_strength::strong, make_capabilities({capability::network, capability::dynamic_code, capability::launches_process}),
     "a socket is connected to a command interpreter", "T1059"},
    {indicator_kind::signal_wait, "signal_wait", indicator_strength::strong, make_capabilities({capability::network}),
     "waitfor.exe waits for a network signal (remotely triggerable)", ""},
    {indicator_kind::in_memory_assembly, "in_memory_assembly", indicator_strength::strong, make_capabilities({capability::in_memory_code}),
     "a .NET assembly is loaded from bytes", "T1620"},
    {indicator_kind::native_api_access, "native_api_access", indicator_strength::suspicious, make_capabilities({capability::in_memory_code}),
     "native APIs are declared from script", "T1106"},
    {indicator_kind::process_injection, "process_injection", indicator_strength::strong, make_capabilities({capability::in_memory_code, capability::defense_evasion}),
     "process memory is written and executed", "T1055"},
    {indicator_kind::script_process_launch, "script_process_launch", indicator_strength::strong, make_capabilities({capability::launches_process}),
     "a script starts a process", "T1059"},
    {indicator_kind::wmi_process_create, "wmi_process_create", indicator_strength::strong, make_capabilities({capability::launches_process, capability::wmi_access}),
     "a process is created through WMI", "T1047"},
    {indicator_kind::remote_execution, "remote_execution", indicator_strength::strong, make_capabilities({capability::lateral_movement, capability::launches_process}),
     "code is run on another machine", "T1021"},
    {indicator_kind::amsi_bypass, "amsi_bypass", indicator_strength::strong, make_capabilities({capability::defense_evasion}), "AMSI is tampered with", "T1562.001"},
    {indicator_kind::security_tool_tamper, "security_tool_tamper", indicator_strength::strong, make_capabilities({capability::defense_evasion}),
     "security tools are disabled", "T1562.001"},
    {indicator_kind::logging_tamper, "logging_tamper", indicator_strength::strong, make_capabilities({capability::defense_evasion}),
     "event logs, auditing or ETW are cleared or disabled", "T1562.002"},
    {indicator_kind::recovery_inhibition, "recovery_inhibition", indicator_strength::strong, make_capabilities({capability::defense_evasion}),
     "shadow copies, backups or recovery are deleted or disabled", "T1490"},
    {indicator_kind::process_termination, "process_termination", indicator_strength::strong,
     make_capabilities({capability::process_termination, capability::defense_evasion}), "processes are killed", "T1489"},
    {indicator_kind::service_stop, "service_stop", indicator_strength::suspicious, make_capabilities({capability::defense_evasion}),
     "a service is stopped or disabled", "T1489"},
    {indicator_kind::file_hiding, "file_hiding", indicator_strength::suspicious, make_capabilities({capability::defense_evasion}), "files are hidden", "T1564.001"},
    {indicator_kind::autostart_registry_write, "autostart_registry_write", indicator_strength::strong,
     make_capabilities({capability::persistence_change, capability::registry_write}), "an autostart registry location is written", "T1547.001"},
    {indicator_kind::registry_write, "registry_write", indicator_strength::info, make_capabilities({capability::registry_write}), "the registry is written", "T1112"},
    {indicator_kind::scheduled_task, "scheduled_task", indicator_strength::strong, make_capabilities({capability::persistence_change}),
     "a scheduled task is created or changed", "T1053.005"},
    {indicator_kind::service_install, "service_install", indicator_strength::strong, make_capabilities({capability::persistence_change}),
     "a service is created or its binary changed", "T1543.003"},
    {indicator_kind::wmi_subscription_change, "wmi_subscription_change", indicator_strength::strong,
     make_capabilities({capability::persistence_change, capability::wmi_access}), "WMI subscriptions are created or deleted by the payload", "T1546.003"},
    {indicator_kind::account_manipulation, "account_manipulation", indicator_strength::strong,
     make_capabilities({capability::persistence_change, capability::privilege_change}), "accounts are created or added to groups", "T1136"},
    {indicator_kind::credential_access, "credential_access", indicator_strength::strong, make_capabilities({capability::credential_access}),
     "credentials are dumped", "T1003"},
    {indicator_kind::file_write, "file_write", indicator_strength::info, make_capabilities({capability::writes_file}), "a file is written", ""},
    {indicator_kind::executable_file_write, "executable_file_write", indicator_strength::strong, make_capabilities({capability::writes_file}),
     "a file with an executable or script extension is written", "T1105"},
    {indicator_kind::autostart_file_write, "autostart_file_write", indicator_strength::strong, make_capabilities({capability::writes_file, capability::persistence_change}),
     "a file is written into an autostart location", "T1547.001"},
    {indicator_kind::file_deletion, "file_deletion", indicator_strength::info, {}, "files are deleted", "T1070.004"},
    {indicator_kind::wmi_access, "wmi_access", indicator_strength::info, make_capabilities({capability::wmi_access}), "the payload uses WMI", "T1047"},
    {indicator_kind::wmi_class_storage, "wmi_class_storage", indicator_strength::suspicious, make_capabilities({capability::wmi_access}),
     "data is read from or stored in WMI class properties", "T1027.011"},
    {indicator_kind::discovery, "discovery", indicator_strength::info, make_capabilities({capability::discovery}), "system or network discovery", "T1082"},
    {indicator_kind::email_send, "email_send", indicator_strength::info, make_capabilities({capability::network, capability::data_exfiltration}), "e-mail is sent", "T1048"},
    {indicator_kind::remote_event_log, "remote_event_log", indicator_strength::info, make_capabilities({capability::network}),
     "an event log record is written on another machine", ""},
    {indicator_kind::custom_consumer, "custom_consumer", indicator_strength::info, {}, "a consumer class run by a consumer provider DLL", "T1546.003"},
    {indicator_kind::unusual_script_engine, "unusual_script_engine", indicator_strength::suspicious, {},
     "an ActiveScript engine other than VBScript or JScript", ""},
}};

[[nodiscard]] constexpr bool indicator_catalog_is_ordered() noexcept {
    for (std::size_t i = 0; i < indicator_catalog.size(); ++i) {
        if (static_cast<std::size_t>(indicator_catalog[i].kind) != i) return false;
    }
    return true;
}
static_assert(indicator_catalog_is_ordered(), "indicator_catalog must list the kinds in enum order");

[[nodiscard]] constexpr const indicator_kind_info& info_of(indicator_kind k) noexcept {
    return indicator_catalog[static_cast<std::size_t>(k)];
}

}  // namespace detail

// The stable snake_case name of an indicator kind.
[[nodiscard]] constexpr std::string_view to_string(indicator_kind k) noexcept { return detail::info_of(k).name; }

// How much an indicator of this kind says on its own.
[[nodiscard]] constexpr indicator_strength strength_of(indicator_kind k) noexcept { return detail::info_of(k).strength; }

// True for kinds benign subscriptions do not show (strength `strong`).
[[nodiscard]] constexpr bool is_strong(indicator_kind k) noexcept { return strength_of(k) == indicator_strength::strong; }

// The capabilities an indicator of this kind implies.
[[nodiscard]] constexpr capability_set capabilities_of(indicator_kind k) noexcept { return detail::info_of(k).capabilities; }

// A one-line description of the kind, for reports and rule catalogs.
[[nodiscard]] constexpr std::string_view describe(indicator_kind k) noexcept { return detail::info_of(k).description; }

// The ATT&CK technique the kind is evidence of ("T1027.010"), or "" for plain evidence (a URL, an IP address).
[[nodiscard]] constexpr std::string_view attack_technique(indicator_kind k) noexcept { return detail::info_of(k).attack; }

// The kind with this stable name, or nullopt.
[[nodiscard]] constexpr std::optional<indicator_kind> indicator_kind_from_string(std::string_view name) noexcept {
    for (const auto& row : detail::indicator_catalog) {
        if (row.name == name) return row.kind;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

// One piece of evidence.
struct indicator {
    indicator_kind kind = indicator_kind::url;
    // The WMI property the evidence comes from ("CommandLineTemplate", "ScriptText"), followed
    // for decoded layers by one ">encoding" per layer ("CommandLineTemplate>base64_utf16le>gzip").
    std::string field;
    std::string excerpt;  // the original text around the evidence: at most excerpt_bytes, cut between words, "…" at each cut
    std::string detail;   // what was found: the URL, the tool, the decoded command, the registry key, ...
    std::size_t offset = 0;  // byte offset of the evidence in the text `field` names
    std::uint8_t depth = 0;  // 0: the property itself; n: n tools or decoding steps deep

    // strength_of(kind).
    [[nodiscard]] constexpr indicator_strength strength() const noexcept { return strength_of(kind); }
    friend bool operator==(const indicator&, const indicator&) = default;
};

// Where a path points that ordinary (non-admin) users can write to.
enum class writable_location : std::uint8_t {
    user_profile,      // C:\Users\<name>\... (AppData, Downloads, Desktop, ...)
    public_profile,    // C:\Users\Public\...
    temp,              // %TEMP%, %TMP% (symbolic)
    windows_temp,      // C:\Windows\Temp
    windows_writable,  // other Windows directories users can write (Tasks, Tracing, spool\drivers\color, ...)
    program_data,      // C:\ProgramData
    perflogs,          // C:\PerfLogs
    recycle_bin,       // $Recycle.Bin, RECYCLER
    root_temp,         // C:\Temp, C:\Tmp
};

// The stable name of a writable location.
[[nodiscard]] constexpr std::string_view to_string(writable_location w) noexcept {
    switch (w) {
    case writable_location::user_profile: return "user_profile";
    case writable_location::public_profile: return "public_profile";
    case writable_location::temp: return "temp";
    case writable_location::windows_temp: return "windows_temp";
    case writable_location::windows_writable: return "windows_writable";
    case writable_location::program_data: return "program_data";
    case writable_location::perflogs: return "perflogs";
    case writable_location::recycle_bin: return "recycle_bin";
    case writable_location::root_temp: return "root_temp";
    }
    return "unknown";
}

// The program a command line starts.
struct executable_info {
    std::string raw;           // as written (quotes removed): ExecutablePath, or the command line's first token
    std::string expanded;      // environment variables expanded with Windows defaults for LocalSystem
    std::string normalized;    // lower case, '\' separators, `.`/`..` resolved, implied `.exe` added
    std::string basename;      // lower-case file name with extension ("powershell.exe")
    std::string field;         // "ExecutablePath" or "CommandLineTemplate"
    bool extension_implied = false;  // CreateProcess appends ".exe" to a name without extension
    bool relative = false;           // no directory: found through the search path
    bool ambiguous = false;          // unquoted path with spaces: CreateProcess tries several candidates
    std::vector<std::string> candidates;  // what CreateProcess tries, in order, when ambiguous
    std::optional<writable_location> writable;  // set when the program lives in a user-writable place
    friend bool operator==(const executable_info&, const executable_info&) = default;
};

// What kind of program a stage is.
enum class stage_role : std::uint8_t {
    program,        // an ordinary program
    shell,          // cmd.exe
    shell_builtin,  // a cmd built-in (start, call, echo > file, set, ...)
    powershell,     // powershell.exe / pwsh.exe, or PowerShell script text
    script_host,    // wscript, cscript, mshta
    script_engine,  // VBScript/JScript text (ActiveScript consumers, mshta/rundll32 inline script)
    lolbin,         // a Windows binary used for proxy execution or downloads
    system_tool,    // a Windows administration tool (reg, sc, schtasks, net, wmic, ...)
    offensive_tool, // a tool made for attacks (mimikatz, psexec, netcat, ...)
    decoder,        // a decoding step (base64, gzip, deflate, char codes)
};

// The stable name of a stage role.
[[nodiscard]] constexpr std::string_view to_string(stage_role r) noexcept {
    switch (r) {
    case stage_role::program: return "program";
    case stage_role::shell: return "shell";
    case stage_role::shell_builtin: return "shell_builtin";
    case stage_role::powershell: return "powershell";
    case stage_role::script_host: return "script_host";
    case stage_role::script_engine: return "script_engine";
    case stage_role::lolbin: return "lolbin";
    case stage_role::system_tool: return "system_tool";
    case stage_role::offensive_tool: return "offensive_tool";
    case stage_role::decoder: return "decoder";
    }
    return "program";
}

// One step of the interpreter chain: a tool and what it does.
struct stage {
    std::string tool;     // "cmd.exe", "powershell.exe", "vbscript", "base64_utf16le", ...
    stage_role role = stage_role::program;
    std::string action;   // "runs a command", "decodes -EncodedCommand", "downloads http://x to C:\y"
    std::string command;  // the text this stage received (at most excerpt_bytes)
    std::string field;    // as indicator::field
    std::uint8_t depth = 0;
    friend bool operator==(const stage&, const stage&) = default;
};

// Text recovered by decoding part of the payload.
struct decoded_layer {
    std::string field;         // the name indicators use for this text ("ScriptText>base64_utf8")
    std::string parent_field;  // the text it was decoded from
    std::string encoding;      // "base64_utf16le", "base64_utf8", "gzip", "deflate", "zlib", "hex", ...
    std::string text;          // the decoded text, UTF-8 (binary layers are not kept as text)
    std::size_t offset = 0;    // where the encoded data starts in the parent text
    std::uint8_t depth = 0;
    bool truncated = false;    // the decoded text was cut at payload_options::max_layer_bytes
    friend bool operator==(const decoded_layer&, const decoded_layer&) = default;
};

// The language a script is written in.
enum class script_language : std::uint8_t { unknown, vbscript, jscript, powershell, cmd };

// The stable name of a script language.
[[nodiscard]] constexpr std::string_view to_string(script_language l) noexcept {
    switch (l) {
    case script_language::unknown: return "unknown";
    case script_language::vbscript: return "vbscript";
    case script_language::jscript: return "jscript";
    case script_language::powershell: return "powershell";
    case script_language::cmd: return "cmd";
    }
    return "unknown";
}

// The language an ActiveScript `ScriptingEngine` value selects: "VBScript", "VBS",
// "VBScript.Encode" -> vbscript; "JScript", "JavaScript", "JScript.Encode", "ECMAScript" -> jscript.
[[nodiscard]] WMISUB_API script_language language_of_engine(std::string_view engine) noexcept;

// Everything payload analysis found.
struct payload_analysis {
    std::optional<executable_info> executable;  // the program started (command lines only)
    std::vector<std::string> argv;              // the command line as the program's C runtime splits it
    std::vector<stage> chain;                   // tools and interpreters, outermost first (depth-first order)
    std::vector<decoded_layer> layers;          // decoded texts, in the order they were found
    std::vector<indicator> indicators;          // evidence, in the order found; no two share kind, field and detail
    capability_set capabilities;                // what the payload can do, over all indicators and stages
    bool truncated = false;                     // a limit of payload_options stopped part of the analysis
    bool interrupted = false;                   // a stop_signal ended it early (truncated is then set too)

    // True when an indicator of kind k was found.
    [[nodiscard]] bool has(indicator_kind k) const noexcept { return find(k) != nullptr; }
    // True when the payload has capability c.
    [[nodiscard]] bool has(capability c) const noexcept { return capabilities.has(c); }
    // The first indicator of kind k, or nullptr.
    [[nodiscard]] const indicator* find(indicator_kind k) const noexcept WMISUB_LIFETIMEBOUND {
        for (const indicator& i : indicators) {
            if (i.kind == k) return &i;
        }
        return nullptr;
    }
    // Number of indicators of kind k.
    [[nodiscard]] std::size_t count(indicator_kind k) const noexcept {
        std::size_t n = 0;
        for (const indicator& i : indicators) n += i.kind == k ? 1u : 0u;
        return n;
    }
    // The strongest indicator strength found (info when there are none).
    [[nodiscard]] indicator_strength max_strength() const noexcept {
        indicator_strength best = indicator_strength::info;
        for (const indicator& i : indicators) {
            if (i.strength() > best) best = i.strength();
        }
        return best;
    }
    // True when any indicator is strong.
    [[nodiscard]] bool has_strong() const noexcept { return max_strength() == indicator_strength::strong; }
};

// payload_options (the limits of one analysis) lives in wmisub/limits.hpp.

// How a program's C runtime splits its command line into argv.
enum class argv_dialect : std::uint8_t {
    msvcrt,   // the Visual C++ 2008+ runtime (ucrt): `""` inside quotes is a literal quote and quoting continues
    shell32,  // CommandLineToArgvW and pre-2008 runtimes: `""` inside quotes is a literal quote and quoting ends
};

// One argument of a command line and where it came from.
struct command_argument {
    std::string value;        // the argument after quote and backslash processing
    std::size_t offset = 0;   // byte offset of its first character in the command line
    std::size_t length = 0;   // bytes it spans there, quotes included
    friend bool operator==(const command_argument&, const command_argument&) = default;
};


// ---------------------------------------------------------------------------
// Command lines and paths
// ---------------------------------------------------------------------------

// Splits a command line into argv exactly as the program's C runtime would
// (msvcrt: the VC++ 2008+ rules; shell32: CommandLineToArgvW). Backslashes are
// literal unless they precede a quote: 2n backslashes + `"` give n backslashes
// and a quote that opens or closes quoting; 2n+1 give n backslashes and a
// literal `"`. argv[0] follows the program-name rules (quotes only, no escapes).
[[nodiscard]] WMISUB_API std::vector<std::string> split_command_line(std::string_view command_line,
                                                                     argv_dialect dialect = argv_dialect::msvcrt);

// As split_command_line, with the byte range each argument came from.
[[nodiscard]] WMISUB_API std::vector<command_argument> tokenize_command_line(std::string_view command_line,
                                                                             argv_dialect dialect = argv_dialect::msvcrt);

// Expands `%VAR%` environment variables with the values Windows gives
// LocalSystem (the account consumers run as): %SystemRoot% -> C:\Windows,
// %ComSpec% -> C:\Windows\system32\cmd.exe, %TEMP% -> C:\Windows\TEMP, ...
// Also `%VAR:~start,length%` substrings and `%VAR:old=new%` substitutions.
// Unknown variables and WMI templates (`%TargetInstance.Name%`) are kept.
[[nodiscard]] WMISUB_API std::string expand_environment(std::string_view text);

// A path in the form used for matching: variables expanded, quotes removed,
// lower case, '\' separators, `\\?\` and `\??\` prefixes removed, `.` and `..`
// resolved, trailing dots and spaces of components dropped, well-known 8.3
// names (PROGRA~1) expanded. UNC paths keep their leading `\\`.
[[nodiscard]] WMISUB_API std::string normalize_path(std::string_view path);

// Where a path points if ordinary users can write there, else nullopt.
// Takes a raw or normalized path.
[[nodiscard]] WMISUB_API std::optional<writable_location> classify_writable_path(std::string_view path);

// ---------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------

// Analyses a CommandLineEventConsumer payload: the command line (as
// CommandLineTemplate) and, when given, the program (as ExecutablePath, which
// CreateProcess runs instead of the command line's first token). Indicators
// name the fields "CommandLineTemplate" and "ExecutablePath".
[[nodiscard]] WMISUB_API payload_analysis analyze_command_line(std::string_view command_line,
                                                               std::optional<std::string_view> executable_path = {},
                                                               const payload_options& options = {});

// Analyses PowerShell script text (as it would run after -Command or inside a
// .ps1). Indicators name the field "ScriptText".
[[nodiscard]] WMISUB_API payload_analysis analyze_powershell(std::string_view script, const payload_options& options = {});

// Analyses an ActiveScript consumer's script. `engine` is the ScriptingEngine
// value ("VBScript", "JScript", "VBScript.Encode", ...); an engine wmisub does
// not know is reported and the text is scanned with both VBScript and JScript
// rules. Indicators name the field "ScriptText".
[[nodiscard]] WMISUB_API payload_analysis analyze_script(std::string_view text, std::string_view engine,
                                                         const payload_options& options = {});

// Analyses any consumer: CommandLine (command line and executable),
// ActiveScript (ScriptText, ScriptFileName, engine), LogFile (what and where it
// writes), SMTP (where mail goes, what event data it carries), NTEventLog
// (normally benign; remote servers noted) and custom classes (provider-run;
// every string property scanned).
[[nodiscard]] WMISUB_API payload_analysis analyze_consumer(const consumer& c, const payload_options& options = {});

// The analyses above, ended early once `stop` is raised: it is looked at
// between stages (each nested command, script, decoded layer and scanner) and
// every 65,536 steps inside the normalization and keyword passes, the ones
// whose cost grows with the script. What was found before is kept and the
// result is marked `interrupted` and `truncated`.
[[nodiscard]] WMISUB_API payload_analysis analyze_consumer(const consumer& c, const payload_options& options,
                                                           const stop_signal& stop);
[[nodiscard]] WMISUB_API payload_analysis analyze_powershell(std::string_view script, const payload_options& options,
                                                             const stop_signal& stop);
[[nodiscard]] WMISUB_API payload_analysis analyze_script(std::string_view text, std::string_view engine,
                                                         const payload_options& options, const stop_signal& stop);

// What analyze_consumer reads of a consumer, as one string: its class and
// every property that carries behaviour, but not its name, namespace,
// creator, provenance, MachineName or MaximumQueueSize. Consumers with equal
// keys have equal analyses, so one analysis serves every copy of a payload
// (an attack's many names, a fleet's identical hosts).
[[nodiscard]] WMISUB_API std::string payload_content_key(const consumer& c);

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/payload/impl/analysis.inl"
#endif
