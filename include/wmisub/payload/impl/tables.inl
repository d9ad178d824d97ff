// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Data tables of payload analysis: the programs it understands (shells,
// script hosts, LOLBins, administration and attack tools), the registry
// locations whose change matters, security product names and the rundll32
// exports that run something else.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/engine.inl"
#include "wmisub/payload/impl/text.inl"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Sorted by name; the lookup is a binary search.
inline constexpr std::array<tool_entry, 156> tool_table = {{
    {"adfind", stage_role::offensive_tool, tool_handler::discovery, "discovery"},
    {"arp", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"at", stage_role::system_tool, tool_handler::at, "legacy task scheduler"},
    {"attrib", stage_role::system_tool, tool_handler::attrib, "file attributes"},
    {"auditpol", stage_role::system_tool, tool_handler::auditpol, "audit policy"},
    {"bash", stage_role::lolbin, tool_handler::wsl, "Windows Subsystem for Linux"},
    {"bcdedit", stage_role::system_tool, tool_handler::bcdedit, "boot configuration"},
    {"bitsadmin", stage_role::lolbin, tool_handler::bitsadmin, "BITS administration"},
    {"calc", stage_role::program, tool_handler::none, "calculator"},
    {"certoc", stage_role::lolbin, tool_handler::certreq, "certificate tool"},
    {"certreq", stage_role::lolbin, tool_handler::certreq, "certificate request tool"},
    {"certutil", stage_role::lolbin, tool_handler::certutil, "certificate utility"},
    {"chisel", stage_role::offensive_tool, tool_handler::tunnel, "tunnel"},
    {"choice", stage_role::system_tool, tool_handler::none, "delay"},
    {"chrome", stage_role::program, tool_handler::browser, "browser"},
    {"cipher", stage_role::system_tool, tool_handler::cipher, "encryption utility"},
    {"cmd", stage_role::shell, tool_handler::cmd, "command interpreter"},
    {"cmdkey", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"cmstp", stage_role::lolbin, tool_handler::proxy_file, "connection manager profile installer"},
    {"conhost", stage_role::lolbin, tool_handler::conhost, "console host"},
    {"control", stage_role::lolbin, tool_handler::proxy_file, "control panel"},
    {"csc", stage_role::lolbin, tool_handler::none, "C# compiler"},
    {"cscript", stage_role::script_host, tool_handler::script_host, "Windows Script Host (console)"},
    {"curl", stage_role::lolbin, tool_handler::curl, "HTTP client"},
    {"desktopimgdownldr", stage_role::lolbin, tool_handler::desktopimgdownldr, "lock screen image downloader"},
    {"diskshadow", stage_role::lolbin, tool_handler::proxy_file, "shadow copy scripting"},
    {"dllhost", stage_role::program, tool_handler::none, "COM surrogate"},
    {"dnscmd", stage_role::system_tool, tool_handler::none, "DNS administration"},
    {"dsquery", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"esentutl", stage_role::lolbin, tool_handler::copy_tool, "database utility (file copy)"},
    {"expand", stage_role::lolbin, tool_handler::copy_tool, "cabinet expander"},
    {"explorer", stage_role::program, tool_handler::explorer, "Windows Explorer"},
    {"extrac32", stage_role::lolbin, tool_handler::copy_tool, "cabinet extractor"},
    {"finger", stage_role::lolbin, tool_handler::finger, "finger client"},
    {"firefox", stage_role::program, tool_handler::browser, "browser"},
    {"forfiles", stage_role::lolbin, tool_handler::forfiles, "file iterator"},
    {"fsutil", stage_role::system_tool, tool_handler::fsutil, "file system utility"},
    {"ftp", stage_role::lolbin, tool_handler::ftp, "FTP client"},
    {"getmac", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"gsecdump", stage_role::offensive_tool, tool_handler::credential_tool, "credential dumper"},
    {"hh", stage_role::lolbin, tool_handler::hh, "HTML help"},
    {"hostname", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"icacls", stage_role::system_tool, tool_handler::none, "ACL tool"},
    {"ie4uinit", stage_role::lolbin, tool_handler::proxy_file, "IE per-user setup"},
    {"ieexec", stage_role::lolbin, tool_handler::proxy_file, ".NET application downloader"},
    {"iexplore", stage_role::program, tool_handler::browser, "browser"},
    {"infdefaultinstall", stage_role::lolbin, tool_handler::proxy_file, "INF installer"},
    {"installutil", stage_role::lolbin, tool_handler::proxy_file, "installer utility"},
    {"ipconfig", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"java", stage_role::program, tool_handler::interpreter, "Java"},
    {"javaw", stage_role::program, tool_handler::interpreter, "Java"},
    {"jsc", stage_role::lolbin, tool_handler::none, "JScript.NET compiler"},
    {"klist", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"lazagne", stage_role::offensive_tool, tool_handler::credential_tool, "credential dumper"},
    {"makecab", stage_role::lolbin, tool_handler::copy_tool, "cabinet maker"},
    {"mavinject", stage_role::lolbin, tool_handler::mavinject, "App-V DLL injector"},
    {"mimikatz", stage_role::offensive_tool, tool_handler::credential_tool, "credential dumper"},
    {"mofcomp", stage_role::system_tool, tool_handler::mofcomp, "MOF compiler"},
    {"mpcmdrun", stage_role::system_tool, tool_handler::mpcmdrun, "Defender command line"},
    {"msbuild", stage_role::lolbin, tool_handler::proxy_file, "build engine (inline tasks)"},
    {"msdt", stage_role::lolbin, tool_handler::proxy_file, "diagnostics troubleshooter"},
    {"msedge", stage_role::program, tool_handler::browser, "browser"},
    {"mshta", stage_role::script_host, tool_handler::mshta, "HTML application host"},
    {"msiexec", stage_role::lolbin, tool_handler::msiexec, "Windows Installer"},
    {"msxsl", stage_role::lolbin, tool_handler::proxy_file, "XSL transformer"},
    {"nanodump", stage_role::offensive_tool, tool_handler::credential_tool, "credential dumper"},
    {"nc", stage_role::offensive_tool, tool_handler::netcat, "netcat"},
    {"nc64", stage_role::offensive_tool, tool_handler::netcat, "netcat"},
    {"ncat", stage_role::offensive_tool, tool_handler::netcat, "netcat"},
    {"net", stage_role::system_tool, tool_handler::net, "network/account tool"},
    {"net1", stage_role::system_tool, tool_handler::net, "network/account tool"},
    {"netcat", stage_role::offensive_tool, tool_handler::netcat, "netcat"},
    {"netsh", stage_role::system_tool, tool_handler::netsh, "network shell"},
    {"netstat", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"ngrok", stage_role::offensive_tool, tool_handler::tunnel, "tunnel"},
    {"nltest", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"node", stage_role::program, tool_handler::interpreter, "Node.js"},
    {"notepad", stage_role::program, tool_handler::none, "text editor"},
    {"nslookup", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"ntdsutil", stage_role::system_tool, tool_handler::ntdsutil, "AD database utility"},
    {"odbcad32", stage_role::lolbin, tool_handler::proxy_file, "ODBC administrator"},
    {"odbcconf", stage_role::lolbin, tool_handler::proxy_file, "ODBC configuration"},
    {"paexec", stage_role::offensive_tool, tool_handler::psexec, "remote execution"},
    {"pcalua", stage_role::lolbin, tool_handler::pcalua, "program compatibility assistant"},
    {"perl", stage_role::program, tool_handler::interpreter, "Perl"},
    {"php", stage_role::program, tool_handler::interpreter, "PHP"},
    {"ping", stage_role::system_tool, tool_handler::none, "network test"},
    {"plink", stage_role::offensive_tool, tool_handler::tunnel, "SSH client"},
    {"powershell", stage_role::powershell, tool_handler::powershell, "PowerShell"},
    {"powershell_ise", stage_role::powershell, tool_handler::powershell, "PowerShell ISE"},
    {"presentationhost", stage_role::lolbin, tool_handler::proxy_file, "XAML browser application host"},
    {"print", stage_role::lolbin, tool_handler::copy_tool, "print (file copy)"},
    {"procdump", stage_role::system_tool, tool_handler::procdump, "process dumper"},
    {"procdump64", stage_role::system_tool, tool_handler::procdump, "process dumper"},
    {"psexec", stage_role::offensive_tool, tool_handler::psexec, "remote execution"},
    {"psexec64", stage_role::offensive_tool, tool_handler::psexec, "remote execution"},
    {"pskill", stage_role::system_tool, tool_handler::taskkill, "process killer"},
    {"pskill64", stage_role::system_tool, tool_handler::taskkill, "process killer"},
    {"pwdump", stage_role::offensive_tool, tool_handler::credential_tool, "credential dumper"},
    {"pwsh", stage_role::powershell, tool_handler::powershell, "PowerShell 7"},
    {"py", stage_role::program, tool_handler::interpreter, "Python"},
    {"pypykatz", stage_role::offensive_tool, tool_handler::credential_tool, "credential dumper"},
    {"python", stage_role::program, tool_handler::interpreter, "Python"},
    {"python3", stage_role::program, tool_handler::interpreter, "Python"},
    {"pythonw", stage_role::program, tool_handler::interpreter, "Python"},
    {"quser", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"qwinsta", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"reg", stage_role::system_tool, tool_handler::reg, "registry tool"},
    {"regasm", stage_role::lolbin, tool_handler::proxy_file, "assembly registration"},
    {"regedit", stage_role::system_tool, tool_handler::regedit, "registry editor"},
    {"regini", stage_role::system_tool, tool_handler::regedit, "registry editor"},
    {"regsvcs", stage_role::lolbin, tool_handler::proxy_file, "assembly registration"},
    {"regsvr32", stage_role::lolbin, tool_handler::regsvr32, "COM registration"},
    {"replace", stage_role::lolbin, tool_handler::copy_tool, "file replacer"},
    {"robocopy", stage_role::system_tool, tool_handler::copy_tool, "file copy"},
    {"route", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"rubeus", stage_role::offensive_tool, tool_handler::credential_tool, "Kerberos abuse tool"},
    {"ruby", stage_role::program, tool_handler::interpreter, "Ruby"},
    {"runas", stage_role::system_tool, tool_handler::runas, "run as another user"},
    {"rundll32", stage_role::lolbin, tool_handler::rundll32, "DLL loader"},
    {"safetykatz", stage_role::offensive_tool, tool_handler::credential_tool, "credential dumper"},
    {"sc", stage_role::system_tool, tool_handler::sc, "service control"},
    {"schtasks", stage_role::system_tool, tool_handler::schtasks, "Task Scheduler"},
    {"scrcons", stage_role::program, tool_handler::none, "WMI script consumer host"},
    {"scriptrunner", stage_role::lolbin, tool_handler::scriptrunner, "App-V script runner"},
    {"sdelete", stage_role::system_tool, tool_handler::cipher, "secure delete"},
    {"sdelete64", stage_role::system_tool, tool_handler::cipher, "secure delete"},
    {"secretsdump", stage_role::offensive_tool, tool_handler::credential_tool, "credential dumper"},
    {"sethc", stage_role::program, tool_handler::none, "sticky keys"},
    {"socat", stage_role::offensive_tool, tool_handler::netcat, "socat"},
    {"ssh", stage_role::system_tool, tool_handler::tunnel, "SSH client"},
    {"syncappvpublishingserver", stage_role::lolbin, tool_handler::syncappv, "App-V publishing (PowerShell host)"},
    {"systeminfo", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"takeown", stage_role::system_tool, tool_handler::none, "ownership tool"},
    {"taskkill", stage_role::system_tool, tool_handler::taskkill, "process killer"},
    {"tasklist", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"tftp", stage_role::lolbin, tool_handler::tftp, "TFTP client"},
    {"timeout", stage_role::system_tool, tool_handler::none, "delay"},
    {"tskill", stage_role::system_tool, tool_handler::taskkill, "process killer"},
    {"vbc", stage_role::lolbin, tool_handler::none, "VB.NET compiler"},
    {"verclsid", stage_role::lolbin, tool_handler::proxy_file, "COM object verifier"},
    {"vssadmin", stage_role::system_tool, tool_handler::vssadmin, "shadow copy administration"},
    {"waitfor", stage_role::lolbin, tool_handler::waitfor, "network signal waiter"},
    {"wbadmin", stage_role::system_tool, tool_handler::wbadmin, "backup administration"},
    {"wce", stage_role::offensive_tool, tool_handler::credential_tool, "credential dumper"},
    {"wevtutil", stage_role::system_tool, tool_handler::wevtutil, "event log utility"},
    {"wget", stage_role::offensive_tool, tool_handler::curl, "HTTP client"},
    {"whoami", stage_role::system_tool, tool_handler::discovery, "discovery"},
    {"winrs", stage_role::system_tool, tool_handler::winrs, "remote shell"},
    {"wmic", stage_role::system_tool, tool_handler::wmic, "WMI command line"},
    {"wmiprvse", stage_role::program, tool_handler::none, "WMI provider host"},
    {"wscript", stage_role::script_host, tool_handler::script_host, "Windows Script Host"},
    {"wsl", stage_role::lolbin, tool_handler::wsl, "Windows Subsystem for Linux"},
    {"wuauclt", stage_role::lolbin, tool_handler::proxy_file, "Windows Update client"},
    {"xcopy", stage_role::system_tool, tool_handler::copy_tool, "file copy"},
    {"xwizard", stage_role::lolbin, tool_handler::proxy_file, "extensible wizard host"},
}};

[[nodiscard]] constexpr bool tool_table_sorted() noexcept {
    for (std::size_t i = 1; i < tool_table.size(); ++i) {
        if (!(tool_table[i - 1].name < tool_table[i].name)) return false;
    }
    return true;
}
static_assert(tool_table_sorted(), "tool_table must be sorted by name");

inline const tool_entry* find_tool(std::string_view name) noexcept {
    if (name.empty() || name.size() > 32) return nullptr;
    std::array<char, 32> buf{};
    for (std::size_t i = 0; i < name.size(); ++i) buf[i] = lc(name[i]);
    const std::string_view key(buf.data(), name.size());
    const auto it = std::lower_bound(tool_table.begin(), tool_table.end(), key,
                                     [](const tool_entry& e, std::string_view k) { return sv_less(e.name, k); });
    return (it != tool_table.end() && it->name == key) ? &*it : nullptr;
}

// ---------------------------------------------------------------------------
// Registry locations
// ---------------------------------------------------------------------------

// A registry location whose change matters, and what writing it does.
struct registry_rule {
    std::string_view needle;  // lower case, searched in "\" + the lower-case key
    indicator_kind kind;      // autostart_registry_write, security_tool_tamper, logging_tamper or credential_access
    std::string_view what;
};

// Most specific first.
inline constexpr std::array<registry_rule, 40> registry_rules = {{
    {"\\services\\eventlog", indicator_kind::logging_tamper, "event log service"},
    {"\\services\\sysmon", indicator_kind::logging_tamper, "Sysmon service"},
    {"\\services\\windefend", indicator_kind::security_tool_tamper, "Defender service"},
    {"\\services\\sense", indicator_kind::security_tool_tamper, "Defender for Endpoint service"},
    {"\\services\\wdboot", indicator_kind::security_tool_tamper, "Defender driver"},
    {"\\services\\wdfilter", indicator_kind::security_tool_tamper, "Defender driver"},
    {"\\services\\wdnissvc", indicator_kind::security_tool_tamper, "Defender network inspection"},
    {"\\services\\mpssvc", indicator_kind::security_tool_tamper, "Windows Firewall service"},
    {"\\control\\securityproviders\\wdigest", indicator_kind::credential_access, "WDigest (cleartext logon credentials)"},
    {"\\windows defender", indicator_kind::security_tool_tamper, "Windows Defender settings"},
    {"\\windows advanced threat protection", indicator_kind::security_tool_tamper, "Defender for Endpoint settings"},
    {"\\powershell\\scriptblocklogging", indicator_kind::logging_tamper, "PowerShell script block logging"},
    {"\\powershell\\modulelogging", indicator_kind::logging_tamper, "PowerShell module logging"},
    {"\\powershell\\transcription", indicator_kind::logging_tamper, "PowerShell transcription"},
    {"\\currentversion\\policies\\system", indicator_kind::security_tool_tamper, "UAC / remote administration policy"},
    {"\\windowsfirewall", indicator_kind::security_tool_tamper, "firewall policy"},
    {"\\currentversion\\run", indicator_kind::autostart_registry_write, "Run key"},
    {"\\explorer\\run", indicator_kind::autostart_registry_write, "policy Run key"},
    {"\\currentversion\\winlogon", indicator_kind::autostart_registry_write, "Winlogon (Userinit/Shell/Notify)"},
    {"\\image file execution options", indicator_kind::autostart_registry_write, "Image File Execution Options"},
    {"\\silentprocessexit", indicator_kind::autostart_registry_write, "SilentProcessExit monitor"},
    {"\\windows nt\\currentversion\\windows", indicator_kind::autostart_registry_write, "AppInit_DLLs / Load / Run"},
    {"\\command processor", indicator_kind::autostart_registry_write, "cmd.exe AutoRun"},
    {"userinitmprlogonscript", indicator_kind::autostart_registry_write, "logon script"},
    {"\\control\\session manager", indicator_kind::autostart_registry_write, "Session Manager (BootExecute, AppCertDlls)"},
    {"\\control\\lsa", indicator_kind::autostart_registry_write, "LSA packages"},
    {"\\control\\print\\monitors", indicator_kind::autostart_registry_write, "print monitor"},
    {"\\services\\", indicator_kind::autostart_registry_write, "service configuration"},
    {"\\microsoft\\netsh", indicator_kind::autostart_registry_write, "netsh helper DLL"},
    {"\\shell\\open\\command", indicator_kind::autostart_registry_write, "file handler (shell\\open\\command)"},
    {"\\active setup\\installed components", indicator_kind::autostart_registry_write, "Active Setup"},
    {"\\browser helper objects", indicator_kind::autostart_registry_write, "Browser Helper Object"},
    {"shellserviceobjectdelayload", indicator_kind::autostart_registry_write, "ShellServiceObjectDelayLoad"},
    {"\\terminal server\\wds\\rdpwd", indicator_kind::autostart_registry_write, "RDP startup programs"},
    {"\\user shell folders", indicator_kind::autostart_registry_write, "shell folders (Startup redirection)"},
    {"\\explorer\\shell folders", indicator_kind::autostart_registry_write, "shell folders (Startup redirection)"},
    {"\\inprocserver32", indicator_kind::autostart_registry_write, "COM server (COM hijack)"},
    {"\\localserver32", indicator_kind::autostart_registry_write, "COM server (COM hijack)"},
    {"\\wbem\\cimom", indicator_kind::autostart_registry_write, "WMI (autorecover MOFs)"},
    {"\\safeboot\\alternateshell", indicator_kind::autostart_registry_write, "SafeBoot AlternateShell"},
}};

// The rule a registry key falls under, or nullptr. Hive abbreviations and PowerShell drives are fine.
[[nodiscard]] inline const registry_rule* classify_registry_key(std::string_view key) {
    std::string k = "\\";
    k += lower_copy(key);
    for (char& ch : k) ch = ch == '/' ? '\\' : ch;
    for (const registry_rule& r : registry_rules) {
        if (k.find(r.needle) != std::string::npos) return &r;
    }
    return nullptr;
}

// Names of security and monitoring products (services and processes), lower case.
inline constexpr std::array<std::string_view, 44> security_product_names = {
    "windefend", "msmpeng", "mssense", "sense", "wdnissvc", "nissrv", "mpssvc", "securityhealth", "wscsvc", "sysmon",
    "eventlog", "csfalcon", "csagent", "sentinel", "cbdefense", "carbonblack", "cylance", "mcshield", "masvc", "ekrn",
    "avp.exe", "savservice", "sophos", "tmbmsrv", "ntrtscan", "xagt", "elastic-agent", "elastic-endpoint", "winlogbeat",
    "splunkd", "osqueryd", "velociraptor", "wazuh", "ossec", "nxlog", "sepmasterservice", "symantec", "bdservicehost",
    "avastsvc", "avgsvc", "mbamservice", "procexp", "procmon", "wireshark",
};

[[nodiscard]] inline bool names_security_product(std::string_view lower_text) noexcept {
    if (lower_text == "sense") return true;
    for (std::string_view n : security_product_names) {
        if (n != "sense" && lower_text.find(n) != std::string_view::npos) return true;
    }
    return false;
}

// rundll32 exports that run, open or dump something else.
struct rundll32_proxy {
    std::string_view dll;
    std::string_view entry;  // lower-case prefix of the export
    char action;             // 'r' runs its arguments, 'u' opens a URL, 'c' dumps credentials
};

inline constexpr std::array<rundll32_proxy, 24> rundll32_proxies = {{
    {"url.dll", "fileprotocolhandler", 'r'}, {"url.dll", "openurl", 'r'},
    {"ieframe.dll", "openurl", 'r'},         {"shdocvw.dll", "openurl", 'r'},
    {"shell32.dll", "shellexec_rundll", 'r'}, {"shell32.dll", "control_rundll", 'r'},
    {"shell32.dll", "openas_rundll", 'r'},   {"advpack.dll", "launchinfsection", 'r'},
    {"advpack.dll", "registerocx", 'r'},     {"ieadvpack.dll", "launchinfsection", 'r'},
    {"ieadvpack.dll", "registerocx", 'r'},   {"setupapi.dll", "installhinfsection", 'r'},
    {"syssetup.dll", "setupinfobjectinstallaction", 'r'}, {"zipfldr.dll", "routethecall", 'r'},
    {"pcwutl.dll", "launchapplication", 'r'}, {"dfshim.dll", "shopenverbapplication", 'u'},
    {"comsvcs.dll", "minidump", 'c'},        {"comsvcs.dll", "#24", 'c'},
    {"comsvcs.dll", "#+24", 'c'},            {"desk.cpl", "installscreensaver", 'r'},
    {"mshtml.dll", "printhtml", 'r'},        {"shimgvw.dll", "imageview_fullscreen", 'u'},
    {"photoviewer.dll", "imageview_fullscreen", 'u'}, {"davclnt.dll", "davsetcookie", 'u'},
}};

}  // namespace detail
WMISUB_NAMESPACE_END
