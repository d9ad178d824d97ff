// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// PowerShell: powershell.exe/pwsh.exe switches exactly as their parameter
// parser matches them (every unambiguous prefix, '-', '/', '--' and Unicode
// dashes, -EncodedCommand decoding), and script text: de-obfuscated, matched
// against a keyword table, combined into behaviours (download cradles,
// dynamic code, AMSI and logging tampering, injection, persistence, ...), and
// mined for the commands it would run (native commands, Start-Process,
// Process.Start, ProcessStartInfo, COM Run, Win32_Process.Create), which are
// analysed recursively.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/engine.inl"
#include "wmisub/payload/impl/normalize.inl"
#include "wmisub/payload/impl/text.inl"
#include "wmisub/text.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Keyword ids of the PowerShell and VBScript/JScript tables.
enum class kw : std::uint8_t {
    webclient, dl_mem, dl_file, web_cmdlet, http_client, xmlhttp, socket, getstream,
    upload, outfile, infile, iex, scriptblock, create, newscriptblock, invokescript,
    invoke_method, invoke_command, frombase64, compression, amsi, etw, sbl, eventlog_clear,
    mppref, disable_param, exclusion_param, firewall_cmdlet, defender_feature, add_type, dllimport, native,
    inject, sched, new_service, reg_write, wmi_sub, wmi, win32_process, properties,
    put, list_param, account, adsi_winnt, setpassword, cred, lsass, dump,
    kill, kill_method, kill_alias, start_process, psi, wscript_shell, shell_app, run_method,
    exec_method, shellexecute, computername, pssession, hidden, windowstyle, createnowindow, bypass,
    executionpolicy, file_write, delete_item, stop_service, set_service, disabled, shadowcopy, remove_wmi,
    spawninstance, execmethod, commandline_prop, winmgmts, ie_app, domdoc, bin_base64, nodetypedvalue,
    adodb_stream, savetofile, responsebody, fso, createtextfile, opentextfile, write_method, copyfile,
    deletefile, delete_method, execute_stmt, executeglobal, eval_word, regwrite, stdregprov_set, schedule_service,
    registertask, terminate, targetevent, getobject, atob, assembly_word, process_type, function_word,
    offensive_stager, offensive_shell,
    timer_word, outstring,
    kw_count
};

[[nodiscard]] constexpr std::uint8_t kid(kw k) noexcept { return static_cast<std::uint8_t>(k); }
static_assert(static_cast<std::size_t>(kw::kw_count) <= 160, "keyword_hits holds 160 ids");

// PowerShell keywords, sorted by word (lower case).
inline constexpr std::array<keyword, 257> ps_keywords = {{
    {"__eventconsumer", kid(kw::wmi_sub), kw_any},
    {"__eventfilter", kid(kw::wmi_sub), kw_any},
    {"__filtertoconsumerbinding", kid(kw::wmi_sub), kw_any},
    {"activescripteventconsumer", kid(kw::wmi_sub), kw_any},
    {"add-content", kid(kw::file_write), kw_not_member},
    {"add-localgroupmember", kid(kw::account), kw_not_member},
    {"add-mppreference", kid(kw::mppref), kw_not_member},
    {"add-type", kid(kw::add_type), kw_not_member},
    {"amsi.dll", kid(kw::amsi), kw_any},
    {"amsicontext", kid(kw::amsi), kw_any},
    {"amsiinitfailed", kid(kw::amsi), kw_any},
    {"amsiinitialize", kid(kw::amsi), kw_any},
    {"amsiopensession", kid(kw::amsi), kw_any},
    {"amsiscanbuffer", kid(kw::amsi), kw_any},
    {"amsisession", kid(kw::amsi), kw_any},
    {"amsiutils", kid(kw::amsi), kw_any},
    {"appendalltext", kid(kw::file_write), kw_member},
    {"assembly", kid(kw::assembly_word), kw_any},
    {"brotlistream", kid(kw::compression), kw_any},
    {"bypass", kid(kw::bypass), kw_any},
    {"cachedgrouppolicysettings", kid(kw::sbl), kw_any},
    {"clear-eventlog", kid(kw::eventlog_clear), kw_not_member},
    {"cleareventlog", kid(kw::eventlog_clear), kw_any},  // Win32_NTEventLogFile's method, called or named
    {"clearlog", kid(kw::eventlog_clear), kw_member},
    {"commandlineeventconsumer", kid(kw::wmi_sub), kw_any},
    {"computername", kid(kw::computername), kw_param},
    {"comsvcs", kid(kw::dump), kw_any},
    {"copy-item", kid(kw::file_write), kw_not_member},
    {"copyfile", kid(kw::file_write), kw_member},
    {"copyhere", kid(kw::file_write), kw_member},
    {"create", kid(kw::create), kw_member | kw_call},
    {"createdump", kid(kw::dump), kw_any},
    {"createnowindow", kid(kw::createnowindow), kw_any},
    {"createremotethread", kid(kw::inject), kw_any},
    {"createsubkey", kid(kw::reg_write), kw_member},
    {"createthread", kid(kw::inject), kw_any},
    {"curl", kid(kw::web_cmdlet), kw_not_member},
    {"currentdomain", kid(kw::assembly_word), kw_any},
    {"dcsync", kid(kw::cred), kw_any},
    {"definedynamicassembly", kid(kw::native), kw_any},
    {"definepinvokemethod", kid(kw::native), kw_any},
    {"deflatestream", kid(kw::compression), kw_any},
    {"del", kid(kw::delete_item), kw_not_member},
    {"delete", kid(kw::delete_item), kw_member | kw_call},
    {"deletefile", kid(kw::delete_item), kw_member},
    {"diagnostics.process", kid(kw::process_type), kw_any},
    {"disabled", kid(kw::disabled), kw_any},
    {"dllimport", kid(kw::dllimport), kw_any},
    {"downloaddata", kid(kw::dl_mem), kw_any},
    {"downloaddataasync", kid(kw::dl_mem), kw_any},
    {"downloaddatataskasync", kid(kw::dl_mem), kw_any},
    {"downloadfile", kid(kw::dl_file), kw_any},
    {"downloadfileasync", kid(kw::dl_file), kw_any},
    {"downloadfiletaskasync", kid(kw::dl_file), kw_any},
    {"downloadstring", kid(kw::dl_mem), kw_any},
    {"downloadstringasync", kid(kw::dl_mem), kw_any},
    {"downloadstringtaskasync", kid(kw::dl_mem), kw_any},
    {"dumpcreds", kid(kw::cred), kw_any},
    {"enablescriptblockinvocationlogging", kid(kw::sbl), kw_any},
    {"enablescriptblocklogging", kid(kw::sbl), kw_any},
    {"enter-pssession", kid(kw::pssession), kw_not_member},
    {"ep", kid(kw::executionpolicy), kw_param},
    {"etwprovider", kid(kw::etw), kw_any},
    {"exec", kid(kw::exec_method), kw_member},
    {"exec", kid(kw::executionpolicy), kw_param},
    {"executionpolicy", kid(kw::executionpolicy), kw_any},
    {"filestream", kid(kw::file_write), kw_any},
    {"frombase64chararray", kid(kw::frombase64), kw_any},
    {"frombase64string", kid(kw::frombase64), kw_any},
    {"frombase64transform", kid(kw::frombase64), kw_any},
    {"gcim", kid(kw::wmi), kw_not_member},
    {"get-cimclass", kid(kw::wmi), kw_not_member},
    {"get-ciminstance", kid(kw::wmi), kw_not_member},
    {"get-gpppassword", kid(kw::cred), kw_any},
    {"get-lsasecret", kid(kw::cred), kw_any},
    {"get-passhashes", kid(kw::cred), kw_any},
    {"get-wmiobject", kid(kw::wmi), kw_not_member},
    {"getbytearrayasync", kid(kw::dl_mem), kw_any},
    {"getdelegateforfunctionpointer", kid(kw::native), kw_any},
    {"getmodulehandle", kid(kw::native), kw_any},
    {"getprocaddress", kid(kw::native), kw_any},
    {"getresponsestream", kid(kw::dl_mem), kw_any},
    {"getstream", kid(kw::getstream), kw_member},
    {"getstreamasync", kid(kw::dl_mem), kw_any},
    {"getstringasync", kid(kw::dl_mem), kw_any},
    {"gwmi", kid(kw::wmi), kw_not_member},
    {"gzipstream", kid(kw::compression), kw_any},
    {"hidden", kid(kw::hidden), kw_any},
    {"httpclient", kid(kw::http_client), kw_any},
    {"httpwebrequest", kid(kw::http_client), kw_any},
    {"icm", kid(kw::invoke_command), kw_not_member},
    {"iex", kid(kw::iex), kw_not_member},
    {"infile", kid(kw::infile), kw_param},
    {"invoke", kid(kw::invoke_method), kw_member | kw_call},
    {"invoke-cimmethod", kid(kw::wmi), kw_not_member},
    {"invoke-command", kid(kw::invoke_command), kw_not_member},
    {"invoke-dcsync", kid(kw::cred), kw_any},
    {"invoke-dllinjection", kid(kw::inject), kw_any},
    {"invoke-expression", kid(kw::iex), kw_not_member},
    {"invoke-kerberoast", kid(kw::cred), kw_any},
    {"invoke-metasploitpayload", kid(kw::offensive_stager), kw_any},
    {"invoke-mimikatz", kid(kw::cred), kw_any},
    {"invoke-ninjacopy", kid(kw::cred), kw_any},
    {"invoke-powerdump", kid(kw::cred), kw_any},
    {"invoke-powershelltcp", kid(kw::offensive_shell), kw_any},
    {"invoke-psinject", kid(kw::inject), kw_any},
    {"invoke-reflectivepeinjection", kid(kw::inject), kw_any},
    {"invoke-restmethod", kid(kw::web_cmdlet), kw_not_member},
    {"invoke-shellcode", kid(kw::inject), kw_any},
    {"invoke-tokenmanipulation", kid(kw::cred), kw_any},
    {"invoke-webrequest", kid(kw::web_cmdlet), kw_not_member},
    {"invoke-wmimethod", kid(kw::wmi), kw_not_member},
    {"invokescript", kid(kw::invokescript), kw_member},
    {"irm", kid(kw::web_cmdlet), kw_not_member},
    {"iwmi", kid(kw::wmi), kw_not_member},
    {"iwr", kid(kw::web_cmdlet), kw_not_member},
    {"kill", kid(kw::kill_method), kw_member | kw_call},
    {"kill", kid(kw::kill_alias), kw_not_member},
    {"lazagne", kid(kw::cred), kw_any},
    {"list", kid(kw::list_param), kw_param},
    {"loadlibrary", kid(kw::native), kw_any},
    {"logfileeventconsumer", kid(kw::wmi_sub), kw_any},
    {"logonpasswords", kid(kw::cred), kw_any},
    {"lsadump", kid(kw::cred), kw_any},
    {"lsass", kid(kw::lsass), kw_any},
    {"m_enabled", kid(kw::etw), kw_any},
    {"managementclass", kid(kw::wmi), kw_any},
    {"managementobject", kid(kw::wmi), kw_any},
    {"managementobjectsearcher", kid(kw::wmi), kw_any},
    {"microsoft.xmlhttp", kid(kw::xmlhttp), kw_any},
    {"mimikatz", kid(kw::cred), kw_any},
    {"minidump", kid(kw::dump), kw_any},
    {"minidumpwritedump", kid(kw::cred), kw_any},
    {"move-item", kid(kw::file_write), kw_not_member},
    {"msxml2.serverxmlhttp", kid(kw::xmlhttp), kw_any},
    {"msxml2.xmlhttp", kid(kw::xmlhttp), kw_any},
    {"net.webclient", kid(kw::webclient), kw_any},
    {"new-ciminstance", kid(kw::wmi), kw_not_member},
    {"new-item", kid(kw::reg_write), kw_not_member},
    {"new-itemproperty", kid(kw::reg_write), kw_not_member},
    {"new-localuser", kid(kw::account), kw_not_member},
    {"new-pssession", kid(kw::pssession), kw_not_member},
    {"new-scheduledtask", kid(kw::sched), kw_not_member},
    {"new-scheduledtaskaction", kid(kw::sched), kw_not_member},
    {"new-service", kid(kw::new_service), kw_not_member},
    {"newscriptblock", kid(kw::newscriptblock), kw_member},
    {"ntallocatevirtualmemory", kid(kw::inject), kw_any},
    {"ntcreatethreadex", kid(kw::inject), kw_any},
    {"ntds.dit", kid(kw::cred), kw_any},
    {"nteventlogeventconsumer", kid(kw::wmi_sub), kw_any},
    {"ntmapviewofsection", kid(kw::inject), kw_any},
    {"ntwritevirtualmemory", kid(kw::inject), kw_any},
    {"openread", kid(kw::dl_mem), kw_any},
    {"openreadasync", kid(kw::dl_mem), kw_any},
    {"out-file", kid(kw::file_write), kw_not_member},
    {"out-minidump", kid(kw::cred), kw_any},
    {"out-string", kid(kw::outstring), kw_any},
    {"outfile", kid(kw::outfile), kw_param},
    {"procdump", kid(kw::dump), kw_any},
    {"processstartinfo", kid(kw::psi), kw_any},
    {"properties", kid(kw::properties), kw_member},
    {"psetwlogprovider", kid(kw::etw), kw_any},
    {"put", kid(kw::put), kw_member | kw_call},
    {"queueuserapc", kid(kw::inject), kw_any},
    {"readasstringasync", kid(kw::dl_mem), kw_any},
    {"register-cimindicationevent", kid(kw::wmi), kw_not_member},
    {"register-scheduledtask", kid(kw::sched), kw_not_member},
    {"register-wmievent", kid(kw::wmi), kw_not_member},
    {"registertaskdefinition", kid(kw::sched), kw_any},
    {"regwrite", kid(kw::reg_write), kw_member},
    {"remove-ciminstance", kid(kw::wmi), kw_not_member},
    {"remove-ciminstance", kid(kw::remove_wmi), kw_not_member},
    {"remove-eventlog", kid(kw::eventlog_clear), kw_not_member},
    {"remove-item", kid(kw::delete_item), kw_not_member},
    {"remove-windowsfeature", kid(kw::defender_feature), kw_not_member},
    {"remove-wmiobject", kid(kw::wmi), kw_not_member},
    {"remove-wmiobject", kid(kw::remove_wmi), kw_not_member},
    {"rtlcreateuserthread", kid(kw::inject), kw_any},
    {"rtlmovememory", kid(kw::inject), kw_any},
    {"rubeus", kid(kw::cred), kw_any},
    {"run", kid(kw::run_method), kw_member},
    {"rwmi", kid(kw::wmi), kw_not_member},
    {"rwmi", kid(kw::remove_wmi), kw_not_member},
    {"safetykatz", kid(kw::cred), kw_any},
    {"saps", kid(kw::start_process), kw_not_member},
    {"savetofile", kid(kw::file_write), kw_member},
    {"schedule.service", kid(kw::sched), kw_any},
    {"scriptblock", kid(kw::scriptblock), kw_any},
    {"scriptblocklogging", kid(kw::sbl), kw_any},
    {"sekurlsa", kid(kw::cred), kw_any},
    {"set-content", kid(kw::file_write), kw_not_member},
    {"set-executionpolicy", kid(kw::executionpolicy), kw_any},
    {"set-item", kid(kw::reg_write), kw_not_member},
    {"set-itemproperty", kid(kw::reg_write), kw_not_member},
    {"set-localuser", kid(kw::account), kw_not_member},
    {"set-mppreference", kid(kw::mppref), kw_not_member},
    {"set-netfirewallprofile", kid(kw::firewall_cmdlet), kw_not_member},
    {"set-scheduledtask", kid(kw::sched), kw_not_member},
    {"set-service", kid(kw::set_service), kw_not_member},
    {"set-wmiinstance", kid(kw::wmi), kw_not_member},
    {"setbinaryvalue", kid(kw::reg_write), kw_member},
    {"setdwordvalue", kid(kw::reg_write), kw_member},
    {"setexpandedstringvalue", kid(kw::reg_write), kw_member},
    {"setmultistringvalue", kid(kw::reg_write), kw_member},
    {"setpassword", kid(kw::setpassword), kw_member},
    {"setqwordvalue", kid(kw::reg_write), kw_member},
    {"setstringvalue", kid(kw::reg_write), kw_member},
    {"setthreadcontext", kid(kw::inject), kw_any},
    {"setvalue", kid(kw::reg_write), kw_member},
    {"shell.application", kid(kw::shell_app), kw_any},
    {"shellexecute", kid(kw::shellexecute), kw_member},
    {"smtpeventconsumer", kid(kw::wmi_sub), kw_any},
    {"sockets.socket", kid(kw::socket), kw_any},
    {"sp", kid(kw::reg_write), kw_not_member},
    {"spps", kid(kw::kill), kw_not_member},
    {"spsv", kid(kw::stop_service), kw_not_member},
    {"start-bitstransfer", kid(kw::dl_file), kw_not_member},
    {"start-process", kid(kw::start_process), kw_not_member},
    {"stop-process", kid(kw::kill), kw_not_member},
    {"stop-service", kid(kw::stop_service), kw_not_member},
    {"streamwriter", kid(kw::file_write), kw_any},
    {"swbemlocator", kid(kw::wmi), kw_any},
    {"swmi", kid(kw::wmi), kw_not_member},
    {"taskkill", kid(kw::kill), kw_not_member},
    {"tcpclient", kid(kw::socket), kw_any},
    {"tee-object", kid(kw::file_write), kw_not_member},
    {"terminate", kid(kw::kill_method), kw_member | kw_call},
    {"udpclient", kid(kw::socket), kw_any},
    {"uninstall-windowsfeature", kid(kw::defender_feature), kw_not_member},
    {"unrestricted", kid(kw::bypass), kw_any},
    {"uploaddata", kid(kw::upload), kw_any},
    {"uploaddataasync", kid(kw::upload), kw_any},
    {"uploadfile", kid(kw::upload), kw_any},
    {"uploadfileasync", kid(kw::upload), kw_any},
    {"uploadstring", kid(kw::upload), kw_any},
    {"uploadstringasync", kid(kw::upload), kw_any},
    {"uploadvalues", kid(kw::upload), kw_any},
    {"virtualalloc", kid(kw::inject), kw_any},
    {"virtualallocex", kid(kw::inject), kw_any},
    {"virtualprotect", kid(kw::inject), kw_any},
    {"webclient", kid(kw::webclient), kw_any},
    {"webrequest", kid(kw::http_client), kw_any},
    {"wget", kid(kw::web_cmdlet), kw_not_member},
    {"win32_process", kid(kw::win32_process), kw_any},
    {"win32_shadowcopy", kid(kw::shadowcopy), kw_any},
    {"windowstyle", kid(kw::windowstyle), kw_any},
    {"winhttp.winhttprequest", kid(kw::xmlhttp), kw_any},
    {"winmgmts", kid(kw::wmi), kw_any},
    {"winnt", kid(kw::adsi_winnt), kw_any},
    {"wmiclass", kid(kw::wmi), kw_any},
    {"wmisearcher", kid(kw::wmi), kw_any},
    {"writeallbytes", kid(kw::file_write), kw_member},
    {"writealllines", kid(kw::file_write), kw_member},
    {"writealltext", kid(kw::file_write), kw_member},
    {"writeprocessmemory", kid(kw::inject), kw_any},
    {"wscript.shell", kid(kw::wscript_shell), kw_any},
    {"zlibstream", kid(kw::compression), kw_any},
}};
static_assert(keywords_sorted(ps_keywords), "ps_keywords must be sorted");

// PowerShell parameters that start with these words (-DisableRealtimeMonitoring, -ExclusionPath, ...).
inline constexpr std::array<std::pair<std::string_view, std::uint8_t>, 2> ps_prefix_params = {{
    {"disable", kid(kw::disable_param)},
    {"exclusion", kid(kw::exclusion_param)},
}};

// ---------------------------------------------------------------------------
// powershell.exe / pwsh.exe switches
// ---------------------------------------------------------------------------

enum class ps_switch : std::uint8_t {
    version, help, noexit, noprofile, nologo, noninteractive, server, interactive, configuration, command,
    windowstyle, file, executionpolicy, encodedcommand, encodedarguments, settings, sta, mta, workingdirectory,
    inputformat, outputformat, psconsolefile, importsystemmodules,
};

struct ps_switch_entry {
    std::string_view name;  // full name
    std::string_view min;   // shortest accepted prefix
    ps_switch id;
    bool takes_value;
};

// In the order the console host's parser tries them (CommandLineParameterParser):
// the first entry whose name starts with the given key, at least `min` long, wins.
inline constexpr std::array<ps_switch_entry, 34> ps_switches = {{
    {"version", "v", ps_switch::version, true},
    {"help", "h", ps_switch::help, false},
    {"?", "?", ps_switch::help, false},
    {"noexit", "noe", ps_switch::noexit, false},
    {"noprofile", "nop", ps_switch::noprofile, false},
    {"nologo", "nol", ps_switch::nologo, false},
    {"noninteractive", "noni", ps_switch::noninteractive, false},
    {"socketservermode", "so", ps_switch::server, false},
    {"servermode", "s", ps_switch::server, false},
    {"namedpipeservermode", "nam", ps_switch::server, false},
    {"sshservermode", "sshs", ps_switch::server, false},
    {"interactive", "i", ps_switch::interactive, false},
    {"configurationfile", "configurationfile", ps_switch::configuration, true},
    {"configurationname", "config", ps_switch::configuration, true},
    {"custompipename", "cus", ps_switch::configuration, true},
    {"command", "c", ps_switch::command, false},
    {"windowstyle", "w", ps_switch::windowstyle, true},
    {"file", "f", ps_switch::file, false},
    {"executionpolicy", "ex", ps_switch::executionpolicy, true},
    {"ep", "ep", ps_switch::executionpolicy, true},
    {"encodedcommand", "e", ps_switch::encodedcommand, true},
    {"ec", "e", ps_switch::encodedcommand, true},
    {"encodedarguments", "encodeda", ps_switch::encodedarguments, true},
    {"ea", "ea", ps_switch::encodedarguments, true},
    {"settingsfile", "settings", ps_switch::settings, true},
    {"sta", "sta", ps_switch::sta, false},
    {"mta", "mta", ps_switch::mta, false},
    {"workingdirectory", "wo", ps_switch::workingdirectory, true},
    {"wd", "wd", ps_switch::workingdirectory, true},
    {"inputformat", "in", ps_switch::inputformat, true},
    {"if", "if", ps_switch::inputformat, true},
    {"outputformat", "o", ps_switch::outputformat, true},
    {"of", "of", ps_switch::outputformat, true},
    {"psconsolefile", "psconsolefile", ps_switch::psconsolefile, true},
}};

// The switch a key (without its dash) selects, or nullptr.
[[nodiscard]] inline const ps_switch_entry* match_ps_switch(std::string_view key) noexcept {
    if (key.empty()) return nullptr;
    for (const ps_switch_entry& e : ps_switches) {
        if (key.size() >= e.min.size() && key.size() <= e.name.size() && istarts(e.name, key)) return &e;
    }
    if (istarts("importsystemmodules", key) && key.size() >= 6) {
        static constexpr ps_switch_entry import{"importsystemmodules", "import", ps_switch::importsystemmodules, false};
        return &import;
    }
    return nullptr;
}

// True when a -WindowStyle value hides the window ("Hidden", any prefix of it, or 1).
[[nodiscard]] inline bool ps_hidden_style(std::string_view v) noexcept {
    v = strip_quotes(trim(v));
    return v == "1" || (!v.empty() && istarts("hidden", v));
}

inline void analyzer::powershell_args(tool_call& call) {
    const frame& f = *call.f;
    const frame c = f.deeper();
    const std::size_t n = call.size();
    constexpr std::size_t npos = std::string_view::npos;
    const bool pwsh = call.tool->name == "pwsh";
    emit(indicator_kind::script_interpreter, f, call.ptr(0), call.basename);
    bool noprofile = false;
    bool from_stdin = false;
    std::size_t command = npos;
    std::size_t file = npos;
    std::size_t encoded = npos;
    for (std::size_t i = 1; i < n; ++i) {
        const std::string_view a = trim(call.arg(i));
        if (a.empty()) continue;
        std::size_t dash = ps_dash(a, 0);
        if (dash == 0 && a[0] != '/') {
            (pwsh ? file : command) = i;
            break;
        }
        if (dash > 1) emit(indicator_kind::obfuscation, f, call.ptr(i), "Unicode dash in a PowerShell switch");
        std::string_view key = a.substr(dash == 0 ? 1 : dash);
        if (const std::size_t second = ps_dash(key, 0); second > 0) key.remove_prefix(second);
        if (key.empty()) {
            from_stdin = true;
            break;
        }
        std::string_view inline_value;
        bool has_inline = false;
        const std::size_t colon = key.find(':');
        if (colon != npos) {
            inline_value = key.substr(colon + 1);
            key = key.substr(0, colon);
            has_inline = true;
        }
        const ps_switch_entry* sw = match_ps_switch(key);
        if (sw == nullptr) {
            (pwsh ? file : command) = i;
            break;
        }
        std::string_view value;
        std::size_t value_index = i;
        if (sw->takes_value) {
            if (has_inline) {
                value = inline_value;
            } else if (i + 1 < n) {
                value = call.arg(i + 1);
                value_index = ++i;
            }
        }
        switch (sw->id) {
        case ps_switch::noprofile: noprofile = true; break;
        case ps_switch::command: command = i + 1; i = n; break;
        case ps_switch::file: file = i + 1; i = n; break;
        case ps_switch::encodedcommand: encoded = value_index; break;
        case ps_switch::windowstyle:
            if (ps_hidden_style(value)) emit(indicator_kind::hidden_window, f, call.ptr(value_index), "-WindowStyle " + std::string(value));
            break;
        case ps_switch::executionpolicy:
            if (istarts(strip_quotes(value), "bypass") || istarts(strip_quotes(value), "unrestricted")) {
                emit(indicator_kind::execution_policy_bypass, f, call.ptr(value_index), "-ExecutionPolicy " + std::string(value));
            }
            break;
        case ps_switch::version:
            if (pwsh) --i;  // pwsh -Version takes no value
            else if (!value.empty() && value[0] == '2') {
                emit(indicator_kind::logging_tamper, f, call.ptr(value_index), "PowerShell 2.0 downgrade (no AMSI, no script block logging)");
            }
            break;
        case ps_switch::encodedarguments:
            if (auto bytes = decode_base64_lenient(value, opt.max_layer_bytes)) {
                if (bytes->size() % 2 != 0) bytes->pop_back();
                add_layer(f, "base64_utf16le", utf16le_to_utf8(*bytes), call.ptr(value_index), false);
            }
            break;
        default: break;
        }
    }
    if (encoded != npos && encoded < n) {
        const std::string_view b64 = call.arg(encoded);
        decoded_spans.emplace_back(call.ptr(encoded), call.argv[encoded].length);
        std::string text;
        if (auto bytes = decode_base64_lenient(b64, opt.max_layer_bytes * 2)) {
            if (bytes->size() % 2 != 0) bytes->pop_back();
            text = utf16le_to_utf8(*bytes);
        }
        emit(indicator_kind::encoded_command, f, call.ptr(encoded), text.empty() ? "undecodable -EncodedCommand" : clip(text, 160));
        add_stage(call.basename, stage_role::powershell, "runs -EncodedCommand", b64, f);
        if (!text.empty()) {
            if (const decoded_layer* layer = add_layer(f, "base64_utf16le", std::move(text), call.ptr(encoded), false)) {
                const frame lf = layer_frame(*layer);
                if (enter(lf)) {
                    generic_scan(layer->text, lf, scan_mode::script);
                    powershell_text(layer->text, lf, true);
                }
            }
        }
        return;
    }
    if (command != npos && command < n) {
        std::string joined;
        for (std::size_t k = command; k < n; ++k) {
            if (k > command) joined.push_back(' ');
            joined += call.arg(k);
        }
        if (trim(joined) == "-") {
            add_stage(call.basename, stage_role::powershell, "reads commands from standard input", joined, f);
            return;
        }
        add_stage(call.basename, stage_role::powershell, "runs -Command", joined, f);
        // Analyse a view of the command line when the joined text is written there verbatim.
        const std::string_view raw = trim(call.raw_from(command));
        std::string_view view;
        if (raw == joined) view = raw;
        else if (command + 1 == n && raw.size() >= 2 && raw.front() == '"' && raw.substr(1, raw.size() - 2) == joined) view = raw.substr(1, raw.size() - 2);
        if (!view.empty()) {
            powershell_text(view, c);
        } else {
            const frame tf = temp_frame(f, call.ptr(command));
            powershell_text(joined, tf);
        }
        return;
    }
    if (file != npos && file < n) {
        const std::string_view script = call.arg(file);
        add_stage(call.basename, stage_role::powershell, "runs script file " + std::string(script), call.text, f);
        if (script != "-") executed_file(script, f, call.ptr(file), "script", file_role::script);
        return;
    }
    if (from_stdin) {
        add_stage(call.basename, stage_role::powershell, "reads commands from standard input", call.text, f);
        return;
    }
    add_stage(call.basename, stage_role::powershell, noprofile ? "starts without a command" : "starts without a command (runs profile scripts only)", call.text, f);
    if (!noprofile) {
        emit(indicator_kind::implicit_profile_execution, f, call.ptr(0),
             call.basename + " without -Command, -File or -NoProfile: only $PROFILE scripts run");
    }
}

}  // namespace detail
WMISUB_NAMESPACE_END
