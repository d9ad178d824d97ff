// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/rules/catalog.hpp: wmisub's own rules, over
// the trigger (what makes the payload run), over the payload (what it does)
// and over the structure (where and how the objects are registered). Ids are
// stable and never reused. Included through rules/impl/catalog.inl only under
// WMISUB_INCLUDE_IMPLEMENTATION; not a header to include.
#pragma once

#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/detail/builtin_subscriptions.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/rules/catalog.hpp"
#include "wmisub/sid.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql/query.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

inline constexpr std::string_view t1546_003 = "T1546.003";

// Evidence text as rules quote it: at most `n` bytes, cut between words (see excerpt_at()).
[[nodiscard]] inline std::string clip_text(std::string_view s, std::size_t n = 200) { return excerpt_of(s, n); }

// Evidence pointing at the filter's query, explained by the trigger.
[[nodiscard]] inline evidence query_evidence(const subscription_facts& f) {
    evidence e{"Filter.Query", f.filter != nullptr ? clip_text(f.filter->query) : std::string(), {}};
    if (f.trigger) {
        std::optional<std::uint64_t> interval;
        if (!f.timers.empty() && f.timers.front()->interval_between_events) interval = *f.timers.front()->interval_between_events;
        e.detail = describe(f.trigger->trigger, interval);
    }
    return e;
}

[[nodiscard]] inline evidence indicator_evidence(const indicator& i) {
    return evidence{"Consumer." + i.field, clip_text(i.excerpt), clip_text(i.detail), i.offset};
}

// A rule over indicator kinds: fires when the payload shows any of them.
[[nodiscard]] inline rule payload_rule(std::string id, std::string title, severity s, std::vector<std::string> techniques,
                                       std::vector<indicator_kind> kinds, std::string description, std::string rationale) {
    std::array<bool, indicator_kind_count> wanted{};
    for (indicator_kind k : kinds) wanted[static_cast<std::size_t>(k)] = true;
    rule r{std::move(id), std::move(title), s, std::move(techniques), std::move(description), std::move(rationale), {}};
    // One pass over the payload's indicators; every rule runs on every entry.
    r.check = [wanted](const subscription_facts& f) -> std::optional<rule_hit> {
        if (!f.payload) return std::nullopt;
        rule_hit hit;
        for (const indicator& i : f.payload->indicators) {
            if (static_cast<std::size_t>(i.kind) >= wanted.size() || !wanted[static_cast<std::size_t>(i.kind)]) continue;
            hit.evidence.push_back(indicator_evidence(i));
            if (hit.evidence.size() == 8) break;
        }
        if (hit.evidence.empty()) return std::nullopt;
        return hit;
    };
    return r;
}

// True when the payload names URLs and every one of them is this machine.
[[nodiscard]] inline bool only_loopback_urls(const payload_analysis& p) {
    bool any = false;
    for (const indicator& i : p.indicators) {
        if (i.kind != indicator_kind::url) continue;
        any = true;
        std::string_view host = i.detail;
        if (const std::size_t scheme = host.find("://"); scheme != std::string_view::npos) host.remove_prefix(scheme + 3);
        host = host.substr(0, host.find_first_of("/?#"));
        if (const std::size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
        if (!host.empty() && host.front() == '[') host = host.substr(1, host.find(']') - 1);
        else host = host.substr(0, host.find(':'));
        const bool loopback = ascii_iequals(host, "localhost") || host.starts_with("127.") || host == "::1";
        if (!loopback) return false;
    }
    return any;
}

// A rule that stays silent when `trusted(f)` holds (what the host declared makes its evidence moot).
template <class Trusted>
[[nodiscard]] rule unless(rule r, Trusted trusted) {
    r.check = [check = std::move(r.check), trusted](const subscription_facts& f) -> std::optional<rule_hit> {
        if (trusted(f)) return std::nullopt;
        return check(f);
    };
    return r;
}

// True when the host approves folders and the program or script file the consumer runs is in one.
[[nodiscard]] inline bool runs_from_approved_folder(const subscription_facts& f) {
    if (f.host == nullptr || f.host->approved_folders.empty() || f.consumer == nullptr) return false;
    if (f.payload != nullptr && f.payload->executable && !f.payload->executable->raw.empty()) {
        return f.host->in_approved_folder(f.payload->executable->raw);
    }
    const auto script = text_property(*f.consumer, "ScriptFileName");
    return script && f.host->in_approved_folder(script->text);
}

// The domain of every address on a To/Cc/Bcc line ("a@x.example; B <b@y.example>"), lower case;
// an address made from event data (a %template%) or without a domain yields an empty entry,
// which no host trusts.
[[nodiscard]] inline std::vector<std::string> mail_domains(std::string_view line) {
    std::vector<std::string> out;
    std::size_t begin = 0;
    while (begin < line.size()) {
        std::size_t end = line.find_first_of(",;", begin);
        if (end == std::string_view::npos) end = line.size();
        std::string_view address = trim(line.substr(begin, end - begin));
        begin = end + 1;
        if (address.empty()) continue;
        if (const std::size_t open = address.find('<'); open != std::string_view::npos) {
            address = address.substr(open + 1, address.find('>', open) == std::string_view::npos ? std::string_view::npos
                                                                                                 : address.find('>', open) - open - 1);
        }
        const std::size_t at = address.rfind('@');
        if (at == std::string_view::npos || address.find('%') != std::string_view::npos) {
            out.emplace_back();
            continue;
        }
        out.push_back(lower_copy(trim(address.substr(at + 1))));
    }
    return out;
}

// The recipients' domains and the mail server of an SMTP consumer (the server as written).
[[nodiscard]] inline std::vector<std::string> mail_destinations(const smtp_consumer& c) {
    std::vector<std::string> out;
    for (const auto* line : {&c.to_line, &c.cc_line, &c.bcc_line}) {
        if (!*line) continue;
        for (std::string& d : mail_domains(**line)) out.push_back(std::move(d));
    }
    if (c.smtp_server && !trim(*c.smtp_server).empty()) out.push_back(lower_copy(trim(*c.smtp_server)));
    return out;
}

// True when the host declared trusted domains and an SMTP consumer sends only inside them.
[[nodiscard]] inline bool mail_stays_in_trusted_domains(const subscription_facts& f) {
    if (f.host == nullptr || f.host->trusted_domains.empty() || f.consumer == nullptr) return false;
    const auto* mail = std::get_if<smtp_consumer>(f.consumer);
    if (mail == nullptr) return false;
    const std::vector<std::string> destinations = mail_destinations(*mail);
    return !destinations.empty() &&
           std::all_of(destinations.begin(), destinations.end(), [&](const std::string& d) { return !d.empty() && f.host->trusts_domain(d); });
}

// A rule whose hits take the severity `grade` gives them (the rule's severity stays its maximum).
template <class Grade>
[[nodiscard]] rule graded(rule r, Grade grade) {
    r.check = [check = std::move(r.check), grade](const subscription_facts& f) -> std::optional<rule_hit> {
        auto hit = check(f);
        if (hit && !hit->severity) hit->severity = grade(f);
        return hit;
    };
    return r;
}

// --- trigger rules ---------------------------------------------------------------------------------

// Process names of security, monitoring and analysis tools: a subscription that
// fires when one starts exists to blind or kill it.
inline constexpr std::string_view security_tools[] = {
    "procexp", "procmon", "processhacker", "systeminformer", "taskmgr", "autoruns", "tcpview", "wireshark",
    "dumpcap", "fiddler", "sysmon", "x64dbg", "x32dbg", "ollydbg", "windbg", "ida64", "idaq", "pestudio",
    "perfmon", "resmon", "procdump", "msmpeng", "mpcmdrun", "msseces", "mbam", "avp", "ekrn", "csfalcon",
    "sentinelagent", "cylancesvc", "xagt", "elastic-agent", "osqueryd", "velociraptor", "winlogbeat", "splunkd",
    "tanium", "sysinternals", "regshot", "apimonitor", "hollowshunter", "pe-sieve", "volatility", "eventvwr",
    "mmc", "regedit", "taskschd", "wmiexplorer", "wbemtest", "scrcons"};

// Password managers: a subscription that fires when one starts aims at its secrets.
inline constexpr std::string_view credential_stores[] = {"keepass", "keepassxc", "1password", "bitwarden", "lastpass",
                                                         "dashlane", "roboform", "enpass", "nordpass", "passwordsafe"};

// The process names a trigger watches, lower case, wildcards and paths removed.
[[nodiscard]] inline std::vector<std::string> watched_process_stems(const subscription_facts& f) {
    std::vector<std::string> out;
    if (!f.trigger) return out;
    for (const std::string& name : f.trigger->trigger.process_names) {
        std::string folded = fold_case(name);
        const std::size_t slash = folded.find_last_of("\\/");
        if (slash != std::string::npos) folded.erase(0, slash + 1);
        folded.erase(std::remove_if(folded.begin(), folded.end(), [](char c) { return c == '%' || c == '_'; }),
                     folded.end());
        out.push_back(std::move(folded));
    }
    return out;
}

template <std::size_t N>
[[nodiscard]] std::optional<std::string> watched_match(const subscription_facts& f, const std::string_view (&names)[N]) {
    for (const std::string& stem : watched_process_stems(f)) {
        for (std::string_view tool : names) {
            if (stem.find(tool) != std::string::npos) return stem;
        }
    }
    return std::nullopt;
}

[[nodiscard]] inline bool is_kind(const subscription_facts& f, trigger_kind k) noexcept {
    return f.trigger && f.trigger->trigger.kind == k;
}

// A process-start or process-stop trigger watching one of `names`, with the query as evidence.
// A consumer that runs no code (a log line, an event record, a mail) only reports what the trigger
// sees: judged by what it writes and where (PAY-016, PAY-021, CMB-007), the trigger alone is low.
[[nodiscard]] inline std::optional<severity> watcher_grade(const subscription_facts& f) noexcept {
    return f.executes_code() ? std::nullopt : std::optional<severity>(severity::low);
}

template <std::size_t N>
[[nodiscard]] std::optional<rule_hit> watched_process_hit(const subscription_facts& f, const std::string_view (&names)[N]) {
    const bool starts = is_kind(f, trigger_kind::process_start);
    if (!starts && !is_kind(f, trigger_kind::process_stop)) return std::nullopt;
    const auto tool = watched_match(f, names);
    if (!tool) return std::nullopt;
    evidence e = query_evidence(f);
    e.detail = "watches " + *tool + (starts ? " start" : " exit");
    return rule_hit{{e}, watcher_grade(f)};
}

// True when the trigger reads the Security event log.
[[nodiscard]] inline bool watches_security_log(const subscription_facts& f) {
    if (!is_kind(f, trigger_kind::event_log)) return false;
    const auto& logs = f.trigger->trigger.event_logs;
    return std::any_of(logs.begin(), logs.end(), [](const std::string& log) { return ascii_iequals(trim(log), "Security"); });
}

[[nodiscard]] inline std::vector<rule> trigger_rules() {
    std::vector<rule> out;
    out.push_back({"WMISUB-TRG-001", "Runs shortly after every boot", severity::medium, {std::string(t1546_003)},
                   "The filter watches the system uptime and fires in a window after boot.",
                   "Uptime windows (SystemUpTime between a few hundred seconds) are how PowerSploit, Empire, "
                   "Metasploit and Atomic Red Team make WMI a boot autostart; software with a legitimate need to run "
                   "at boot uses a service or a task. With a consumer that runs code the finding is high.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::startup)) return std::nullopt;
                       rule_hit hit{{query_evidence(f)}, {}};
                       if (f.executes_code()) hit.severity = severity::high;
                       return hit;
                   }});
    out.push_back({"WMISUB-TRG-002", "Runs on a short interval timer", severity::medium, {std::string(t1546_003)},
                   "A __TimerEvent filter fires through an interval timer instruction of an hour or less, or through "
                   "a timer instruction wmisub cannot see.",
                   "Beaconing and re-infection loops use interval timers; a timer instruction may also sit in another "
                   "namespace to make the filter look innocuous.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::interval_timer)) return std::nullopt;
                       rule_hit hit{{query_evidence(f)}, {}};
                       bool short_or_unknown = f.timers.empty();
                       for (const timer_instruction* t : f.timers) {
                           if (t->is_interval() && t->interval_between_events.value_or(0) <= 3'600'000u) short_or_unknown = true;
                           hit.evidence.push_back({"Timer." + t->timer_id, t->class_name,
                                                   t->interval_between_events
                                                       ? "every " + std::to_string(*t->interval_between_events) + " ms"
                                                       : std::string("absolute timer")});
                       }
                       if (!short_or_unknown) hit.severity = severity::low;
                       return hit;
                   }});
    out.push_back({"WMISUB-TRG-003", "Fires when a security or analysis tool starts or exits", severity::high,
                   {std::string(t1546_003), "T1562.001"},
                   "The filter fires when a process of a security, monitoring or analysis tool starts or exits; low "
                   "when the consumer runs no code.",
                   "Subscriptions that react to Process Explorer, Process Monitor, Task Manager or an EDR agent "
                   "exist to kill or blind it (a defence-evasion killer), or to act the moment the defence is gone.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> { return watched_process_hit(f, security_tools); }});
    out.push_back({"WMISUB-TRG-004", "Fires when a password manager starts or exits", severity::high,
                   {std::string(t1546_003), "T1555.005"},
                   "The filter fires when a password manager process starts or exits; low when the consumer runs no "
                   "code.",
                   "Tools such as KeeThief inject into or read from password managers when they run.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> { return watched_process_hit(f, credential_stores); }});
    out.push_back({"WMISUB-TRG-005", "Fires on failed logons or a chosen log message", severity::high,
                   {std::string(t1546_003), "T1205"},
                   "The filter fires on failed-logon events (4625, 4771, 4776, 529) or on event-log records whose "
                   "message matches a pattern; low when the consumer runs no code (an alert by log or mail).",
                   "A failed logon with a chosen user name is a remote knock: anyone who can attempt a logon can fire "
                   "the payload (Metasploit and Empire offer it).",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::event_log)) return std::nullopt;
                       const auto& codes = f.trigger->trigger.event_codes;
                       const bool failed_logon = std::any_of(codes.begin(), codes.end(), [](std::int64_t c) {
                           return c == 4625 || c == 4771 || c == 4776 || c == 529 || c == 4768;
                       });
                       bool message_match = false;
                       for (const wql_condition& c : f.trigger->conditions) {
                           message_match = message_match || (c.op == "LIKE" && ifind(c.property, "Message") != std::string::npos);
                       }
                       if (!failed_logon && !message_match) return std::nullopt;
                       return rule_hit{{query_evidence(f)}, watcher_grade(f)};
                   }});
    out.push_back({"WMISUB-TRG-006", "Runs at every logon", severity::medium, {std::string(t1546_003)},
                   "The filter fires when a logon session is created.",
                   "Logon triggers run the payload for every user session, as SYSTEM; used for credential capture "
                   "and logon logging by PowerLurk and Nishang.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::logon)) return std::nullopt;
                       return rule_hit{{query_evidence(f)}, {}};
                   }});
    out.push_back({"WMISUB-TRG-007", "Runs when removable media arrives", severity::medium,
                   {std::string(t1546_003), "T1091", "T1052.001"},
                   "The filter fires when a volume or USB device arrives.",
                   "Removable-media triggers copy data to or from USB drives, or infect them.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::removable_media)) return std::nullopt;
                       return rule_hit{{query_evidence(f)}, {}};
                   }});
    out.push_back({"WMISUB-TRG-008", "Watches WMI's own objects", severity::medium, {std::string(t1546_003)},
                   "The filter fires when subscriptions, consumers, classes or namespaces change.",
                   "A watchdog on WMI objects re-creates a removed subscription or reacts to investigation.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::wmi_object_change)) return std::nullopt;
                       return rule_hit{{query_evidence(f)}, f.executes_code() ? std::nullopt : std::optional(severity::low)};
                   }});
    out.push_back({"WMISUB-TRG-009", "Filter query does not parse", severity::medium, {std::string(t1546_003)},
                   "The filter's query is not valid WQL.",
                   "WMI refuses such filters, so the subscription is broken, or a tool wrote the object in a form "
                   "meant to defeat parsers. Either way it needs a look.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (f.filter == nullptr || !f.query_error) return std::nullopt;
                       return rule_hit{{{"Filter.Query", clip_text(f.filter->query), f.query_error->to_string()}}, {}};
                   }});
    out.push_back({"WMISUB-TRG-010", "Filter query language is not WQL", severity::medium, {std::string(t1546_003)},
                   "QueryLanguage is set to something other than WQL.",
                   "WMI only accepts WQL; another value is a broken or tampered object.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (f.filter == nullptr || !f.filter->query_language || ascii_iequals(trim(*f.filter->query_language), "WQL")) {
                           return std::nullopt;
                       }
                       return rule_hit{{{"Filter.QueryLanguage", *f.filter->query_language, {}}}, {}};
                   }});
    out.push_back({"WMISUB-TRG-011", "Filter cannot fire as written", severity::info, {std::string(t1546_003)},
                   "The query is valid but WMI would refuse it or it can never match (a polled class without WITHIN, "
                   "contradictory conditions, a data query).",
                   "An inert subscription runs nothing today, but it shows that someone registered one.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!f.trigger || !f.trigger->inert()) return std::nullopt;
                       rule_hit hit;
                       for (const wql_issue& i : f.trigger->issues) {
                           if (i.inert) hit.evidence.push_back({"Filter.Query", clip_text(f.filter->query), i.code + ": " + i.message});
                       }
                       return hit;
                   }});
    out.push_back({"WMISUB-TRG-012", "Runs on a clock schedule", severity::low, {std::string(t1546_003)},
                   "The filter fires at set times of day through Win32_LocalTime or Win32_UTCTime; medium when the "
                   "consumer runs code.",
                   "Scheduled execution through WMI avoids the Task Scheduler, where defenders look first.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::time_of_day)) return std::nullopt;
                       return rule_hit{{query_evidence(f)}, f.executes_code() ? std::optional(severity::medium) : std::nullopt};
                   }});
    out.push_back({"WMISUB-TRG-013", "Runs when a process starts", severity::low, {std::string(t1546_003)},
                   "The filter fires when a process (or a named one) starts; medium when the consumer runs code.",
                   "Process-start triggers piggy-back on user activity; combined with a payload that runs code they "
                   "give execution whenever the program is used.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::process_start)) return std::nullopt;
                       return rule_hit{{query_evidence(f)}, f.executes_code() ? std::optional(severity::medium) : std::nullopt};
                   }});
    out.push_back({"WMISUB-TRG-014", "Clock schedule with an aggregation window", severity::high, {std::string(t1546_003)},
                   "A Win32_LocalTime or Win32_UTCTime schedule is wrapped in GROUP WITHIN, which merges the clock's "
                   "events into one per window.",
                   "Aggregating a clock has no administrative meaning (a schedule already fires once per matching "
                   "second); it is how PowerShell Empire writes its WMI schedules, to work around repeated "
                   "firing. A tool's fingerprint: medium when the consumer runs nothing.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::time_of_day) || !f.trigger->group_within_seconds) return std::nullopt;
                       evidence e = query_evidence(f);
                       e.detail = "GROUP WITHIN " + std::to_string(static_cast<long long>(*f.trigger->group_within_seconds)) +
                                  " on a clock schedule";
                       return rule_hit{{std::move(e)}, f.executes_code() ? std::nullopt : std::optional(severity::medium)};
                   }});
    out.push_back({"WMISUB-TRG-015", "Re-runs code every minute or more often", severity::high, {std::string(t1546_003)},
                   "An interval timer of 60 seconds or less fires a consumer that runs code.",
                   "No administrative task needs SYSTEM code started by WMI every few seconds; implants do, to "
                   "beacon, to re-create what defenders delete, or to keep a payload running (SharpWMI, FileWriter and "
                   "similar tools default to 5 or 10 seconds). Longer timers stay with TRG-002.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::interval_timer) || !f.executes_code()) return std::nullopt;
                       for (const timer_instruction* timer : f.timers) {
                           if (!timer->is_interval() || timer->interval_between_events.value_or(60'001u) > 60'000u) continue;
                           rule_hit hit{{query_evidence(f)}, {}};
                           hit.evidence.push_back({"Timer." + timer->timer_id, timer->class_name,
                                                   "every " + std::to_string(*timer->interval_between_events) + " ms"});
                           return hit;
                       }
                       return std::nullopt;
                   }});
    return out;
}

// --- payload rules ---------------------------------------------------------------------------------

[[nodiscard]] inline std::vector<rule> payload_rules() {
    using ik = indicator_kind;
    const std::string t = std::string(t1546_003);
    std::vector<rule> out;
    out.push_back(payload_rule("WMISUB-PAY-001", "Downloads and runs code", severity::critical, {t, "T1105", "T1059"},
                               {ik::download_cradle, ik::remote_code_load},
                               "The payload fetches code from another machine and runs it (IEX of DownloadString, "
                               "mshta/regsvr32 of a URL, script from a UNC or WebDAV path).",
                               "Nothing legitimate runs remote code as SYSTEM from a WMI event."));
    out.push_back(payload_rule("WMISUB-PAY-002", "Runs an encoded command", severity::high, {t, "T1027", "T1059.001"},
                               {ik::encoded_command, ik::encoded_script},
                               "The payload runs a base64-encoded PowerShell command or an encoded script; wmisub "
                               "decodes it and analyses the result too.",
                               "Encoding hides the command from people and string matching; administrators write "
                               "commands in clear."));
    out.push_back(payload_rule("WMISUB-PAY-003", "Disables defences", severity::critical, {t, "T1562.001", "T1490", "T1070.001"},
                               {ik::amsi_bypass, ik::security_tool_tamper, ik::logging_tamper, ik::recovery_inhibition},
                               "The payload tampers with AMSI, security tools, event logging or recovery.",
                               "These are steps of an intrusion, never of maintenance run from WMI."));
    out.push_back(payload_rule("WMISUB-PAY-004", "Loads code into memory", severity::high, {t, "T1620", "T1055"},
                               {ik::in_memory_assembly, ik::process_injection, ik::embedded_binary},
                               "The payload loads an assembly from bytes, injects into a process or carries a binary.",
                               "Fileless execution avoids on-disk scanning."));
    out.push_back(payload_rule("WMISUB-PAY-005", "Runs code built at run time", severity::high, {t, "T1059"},
                               {ik::dynamic_code, ik::inline_script},
                               "The payload executes code it builds or receives at run time (IEX, Execute, eval, "
                               "mshta javascript:).",
                               "Dynamic execution is how obfuscated and staged payloads run."));
    out.push_back(graded(payload_rule("WMISUB-PAY-006", "Downloads or contacts another machine", severity::high, {t, "T1105", "T1071"},
                                      {ik::download, ik::network_request, ik::data_upload},
                                      "The payload downloads files, sends data or makes network requests: high when it "
                                      "fetches files or uploads data, medium for a request alone, low when every URL it "
                                      "names is this machine (localhost, 127.0.0.0/8, ::1).",
                                      "A SYSTEM payload talking to the network is a channel in or out; a request whose "
                                      "answer is neither saved nor run, or that stays on the machine, is how monitoring "
                                      "scripts report, and is only evidence with what else the payload does."),
                         [](const subscription_facts& f) {
                             if (f.payload->has(indicator_kind::download) || f.payload->has(indicator_kind::data_upload)) return severity::high;
                             return only_loopback_urls(*f.payload) ? severity::low : severity::medium;
                         }));
    out.push_back(payload_rule("WMISUB-PAY-007", "Opens a remote control channel", severity::critical, {t, "T1059", "T1205"},
                               {ik::reverse_shell, ik::signal_wait},
                               "The payload connects a shell to a socket or waits for a network signal (waitfor.exe).",
                               "Remote shells and remotely triggerable waits are backdoors."));
    out.push_back(payload_rule("WMISUB-PAY-008", "Proxy execution through a system binary", severity::high, {t, "T1218"},
                               {ik::proxy_execution, ik::lolbin},
                               "The payload uses a signed Windows binary (rundll32, regsvr32, mshta, msiexec, certutil, "
                               "...) to run or fetch something else.",
                               "Living-off-the-land binaries hide the real payload behind trusted names."));
    out.push_back(unless(payload_rule("WMISUB-PAY-009", "Runs from a user-writable or disguised location", severity::high,
                                      {t, "T1036.005"},
                                      {ik::runs_from_writable_path, ik::masqueraded_binary, ik::alternate_data_stream},
                                      "The program or script that runs lives where ordinary users can write, carries a "
                                      "system binary's name outside the system folders, or hides in an alternate data "
                                      "stream; silent for a program in a folder the host approves.",
                                      "Anyone who can replace that file runs code as SYSTEM."),
                         [](const subscription_facts& f) { return runs_from_approved_folder(f); }));
    out.push_back(payload_rule("WMISUB-PAY-010", "Hides its window or bypasses policy", severity::medium, {t, "T1564.003"},
                               {ik::hidden_window, ik::execution_policy_bypass},
                               "The payload hides its window or bypasses the PowerShell execution policy.",
                               "Common in attack tooling, unusual in maintenance jobs (which run in session 0 anyway)."));
    out.push_back(payload_rule("WMISUB-PAY-011", "Obfuscated or encoded content", severity::medium, {t, "T1027"},
                               {ik::obfuscation, ik::heavy_obfuscation, ik::encoded_blob, ik::base64_decode,
                                ik::compressed_payload},
                               "The payload is obfuscated (ticks, carets, concatenation, char codes), decodes base64 "
                               "or decompresses data at run time, or carries long encoded blobs.",
                               "Obfuscation exists to defeat inspection."));
    out.push_back(payload_rule("WMISUB-PAY-012", "Adds more persistence or accounts", severity::high, {t, "T1547.001", "T1053.005", "T1543.003", "T1136"},
                               {ik::autostart_registry_write, ik::scheduled_task, ik::service_install,
                                ik::wmi_subscription_change, ik::account_manipulation},
                               "The payload writes Run keys, creates tasks, services, WMI subscriptions or accounts.",
                               "Persistence that installs more persistence is an intrusion's re-infection loop."));
    out.push_back(payload_rule("WMISUB-PAY-013", "Accesses credentials", severity::critical, {t, "T1003"},
                               {ik::credential_access},
                               "The payload dumps credentials (LSASS, SAM, mimikatz).",
                               "Credential theft has no benign reason to run from WMI."));
    out.push_back(payload_rule("WMISUB-PAY-014", "A script starts processes", severity::high, {t, "T1059.005", "T1059.007"},
                               {ik::script_process_launch, ik::wmi_process_create, ik::remote_execution},
                               "An ActiveScript consumer or a payload script starts processes (WScript.Shell.Run, "
                               "Win32_Process.Create), locally or remotely.",
                               "Script consumers that only log or write files are the documented use; launching "
                               "programs from scrcons.exe is how attackers use them."));
    out.push_back(payload_rule("WMISUB-PAY-015", "Kills processes or stops services", severity::medium, {t, "T1489", "T1562.001"},
                               {ik::process_termination, ik::service_stop},
                               "The payload terminates processes or stops services.",
                               "With a process-start trigger this kills tools as they start."));
    out.push_back(payload_rule("WMISUB-PAY-016", "Writes executable files or autostart entries", severity::high, {t, "T1105", "T1547.001"},
                               {ik::executable_file_write, ik::autostart_file_write},
                               "The payload (or a LogFile consumer) writes a script, program or shortcut, or writes "
                               "into a Startup folder or the auto-compiled MOF folder.",
                               "A file-write primitive that drops code turns a harmless-looking consumer into an installer."));
    out.push_back(payload_rule("WMISUB-PAY-017", "Starts a shell or script interpreter", severity::medium, {t, "T1059"},
                               {ik::script_interpreter},
                               "The consumer starts cmd, PowerShell, a script host or another interpreter as SYSTEM.",
                               "Interpreters as SYSTEM from a WMI event are the usual shape of malicious consumers; "
                               "a vendor job would run its own program."));
    out.push_back(payload_rule("WMISUB-PAY-018", "Shell started only for what it loads by itself", severity::high, {t, "T1546.013", "T1546"},
                               {ik::implicit_profile_execution},
                               "PowerShell runs with no command, so only its profile scripts execute; cmd.exe runs with "
                               "no command, so only its Command Processor AutoRun commands execute.",
                               "Empire hides the real payload in profile.ps1 and has the subscription start an empty "
                               "PowerShell; the AutoRun value does the same for cmd.exe. A shell with nothing to do has "
                               "no administrative use: the code is elsewhere, or the subscription is a placeholder."));
    out.push_back(payload_rule("WMISUB-PAY-019", "Event data injected into a command", severity::medium, {t, "T1059"},
                               {ik::event_data_in_command},
                               "A %TargetInstance.X% template is substituted into the executed command line.",
                               "Data from the triggering event (a process name, a logon) becomes part of a SYSTEM "
                               "command: logging of user activity, or command injection."));
    out.push_back(payload_rule("WMISUB-PAY-020", "Uses WMI storage or network paths", severity::medium, {t, "T1027.011", "T1021.002"},
                               {ik::wmi_class_storage, ik::unc_path, ik::webdav_path},
                               "The payload reads or stores data in WMI class properties (fileless storage) or uses "
                               "paths on other machines.",
                               "Storage in WMI classes is POSHSPY/WannaMine tradecraft; UNC paths reach other hosts."));
    out.push_back(unless(payload_rule("WMISUB-PAY-021", "Sends event data out", severity::medium, {t, "T1048.003"},
                                      {ik::event_data_exfiltration, ik::email_send},
                                      "An SMTP consumer or the payload sends mail or event data to another machine; "
                                      "silent when the host declares trusted domains and every recipient and the "
                                      "mail server are in them.",
                                      "E-mail from a consumer is an exfiltration channel when it leaves the "
                                      "organisation; wmisub does not guess which domains are the organisation's."),
                         [](const subscription_facts& f) { return mail_stays_in_trusted_domains(f); }));
    out.push_back(payload_rule("WMISUB-PAY-022", "Unusual command construction", severity::medium, {t, "T1036"},
                               {ik::argv0_mismatch, ik::extension_mismatch, ik::script_as_command_line,
                                ik::unquoted_path_with_spaces, ik::unusual_script_engine},
                               "The command names one program but runs another, a file's extension does not match "
                               "what runs it, a path is ambiguous, or script source sits where a command line belongs.",
                               "Mismatches are how payloads disguise what runs, or broken tooling."));
    out.push_back(graded(payload_rule("WMISUB-PAY-023", "Hides or deletes files", severity::medium, {t, "T1070.004", "T1564.001"},
                                      {ik::file_hiding, ik::file_deletion},
                                      "The payload hides files (medium) or deletes files (low).",
                                      "Hidden system files and cleanup of dropped files and compiled MOFs are "
                                      "anti-forensics; deleting alone is also what log rotation does, so it weighs less."),
                         [](const subscription_facts& f) { return f.has_indicator(ik::file_hiding) ? severity::medium : severity::low; }));
    out.push_back(payload_rule("WMISUB-PAY-024", "Uses user-writable locations", severity::medium, {t, "T1074.001"},
                               {ik::user_writable_path},
                               "A SYSTEM payload reads, writes or runs files where ordinary users can write (%TEMP%, "
                               "AppData, C:\\Users\\Public, C:\\ProgramData, C:\\Temp).",
                               "Staging and logging by attack tools lands there; a SYSTEM process touching such paths "
                               "can also be redirected by the users who own them."));
    out.push_back({"WMISUB-PAY-025", "Command cannot run as written", severity::medium, {t},
                   "The consumer's command starts with a cmd.exe built-in (call, echo, set, start, ...) and no "
                   "ExecutablePath, which CreateProcess cannot run.",
                   "Such consumers are decoys (Empire registers one next to its real payload) or broken tooling; "
                   "either way someone registered them.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       const auto* cmd = f.consumer != nullptr ? std::get_if<command_line_consumer>(f.consumer) : nullptr;
                       if (cmd == nullptr || (cmd->executable_path && !cmd->executable_path->empty()) || !f.payload ||
                           !f.payload->executable) {
                           return std::nullopt;
                       }
                       std::string base = f.payload->executable->basename;
                       if (f.payload->executable->extension_implied && base.size() > 4) base.resize(base.size() - 4);
                       for (std::string_view builtin : {"call", "echo", "set", "start", "dir", "copy", "del", "type",
                                                        "move", "ren", "mkdir", "rmdir", "cd", "exit", "rem", "pause",
                                                        "goto", "if", "for", "ver", "cls", "title", "assoc"}) {
                           if (base == builtin) {
                               return rule_hit{{{"Consumer.CommandLineTemplate", clip_text(cmd->command_line_template.value_or("")),
                                                 "'" + base + "' is a cmd.exe built-in, not a program"}},
                                               {}};
                           }
                       }
                       return std::nullopt;
                   }});
    return out;
}

// --- structure rules -------------------------------------------------------------------------------

[[nodiscard]] inline std::string consumer_label(const consumer& c) {
    const consumer_header& h = header_of(c);
    return h.class_name + ".Name=\"" + h.name + "\"";
}

[[nodiscard]] inline std::vector<std::pair<std::string, std::string>> creator_sids(const subscription_facts& f) {
    std::vector<std::pair<std::string, std::string>> out;
    auto add = [&](const char* what, const object_header* h) {
        if (h == nullptr) return;
        if (auto sid = h->creator_sid_string()) out.emplace_back(what, *sid);
    };
    add("Filter", f.filter);
    add("Consumer", f.consumer != nullptr ? &header_of(*f.consumer) : nullptr);
    add("Binding", f.binding);
    return out;
}

// True for a name a program made rather than a person: a GUID (braces optional), 16 or more hex
// digits, or 8 to 64 letters and digits that switch between the two at least four times with at
// least three of each ("a8Xk29Qz7", not "Win32Updater2").
[[nodiscard]] inline bool looks_generated(std::string_view name) noexcept {
    std::string_view n = trim(name);
    if (n.size() >= 2 && n.front() == '{' && n.back() == '}') n = n.substr(1, n.size() - 2);
    const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    if (n.size() == 36) {
        bool guid = true;
        for (std::size_t i = 0; i < n.size() && guid; ++i) {
            guid = (i == 8 || i == 13 || i == 18 || i == 23) ? n[i] == '-' : hex(n[i]);
        }
        if (guid) return true;
    }
    if (n.size() >= 16 && std::all_of(n.begin(), n.end(), hex) && std::any_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return true;
    }
    if (n.size() < 8 || n.size() > 64) return false;
    std::size_t digits = 0;
    std::size_t letters = 0;
    std::size_t switches = 0;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const char c = n[i];
        const bool digit = c >= '0' && c <= '9';
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!digit && !letter) return false;
        digits += digit ? 1u : 0u;
        letters += letter ? 1u : 0u;
        if (i > 0 && digit != (n[i - 1] >= '0' && n[i - 1] <= '9')) ++switches;
    }
    return digits >= 3 && letters >= 3 && switches >= 4;
}

// True for a SID that cannot be the owner of a logon token: anything but a user or computer account
// (S-1-5-21-…, S-1-12-1-… for Entra ID), SYSTEM, LocalService, NetworkService, the Administrators
// group, or a service SID (S-1-5-80-…); the domain groups no token owns by default (Domain Users,
// Guests, Computers, Controllers); and a SID that does not parse.
[[nodiscard]] inline bool impossible_creator(std::string_view sid) {
    if (!parse_sid(sid)) return true;
    if (sid == well_known_sid::local_system || sid == well_known_sid::local_service || sid == well_known_sid::network_service ||
        sid == well_known_sid::administrators) {
        return false;
    }
    if (ascii_istarts_with(sid, "S-1-5-21-")) {
        const std::string_view rid = sid.substr(sid.rfind('-') + 1);
        return rid == "513" || rid == "514" || rid == "515" || rid == "516";
    }
    return !ascii_istarts_with(sid, "S-1-12-1-") && !ascii_istarts_with(sid, "S-1-5-80-");
}

[[nodiscard]] inline bool is_standard_event_namespace(std::string_view ns) noexcept {
    for (std::string_view ok : {"root\\cimv2", "root\\default", "root\\subscription", "root\\wmi", "root"}) {
        if (namespace_is(ns, ok)) return true;
    }
    return false;
}

// Evidence for each annotation of `kinds` the entry's filter, consumer or binding carries.
[[nodiscard]] inline std::vector<evidence> annotation_evidence(const subscription_facts& f,
                                                               std::initializer_list<annotation_kind> kinds) {
    std::vector<evidence> out;
    auto add = [&](const char* what, const object_header* h) {
        if (h == nullptr) return;
        for (const annotation& a : h->origin.annotations) {
            if (std::find(kinds.begin(), kinds.end(), a.kind) == kinds.end()) continue;
            std::string at = a.where.to_string();
            out.push_back({std::string(what) + ".annotation", std::string(to_string(a.kind)),
                           clip_text(a.detail + (at.empty() ? std::string() : " at " + at))});
        }
    };
    add("Filter", f.filter);
    add("Consumer", f.consumer != nullptr ? &header_of(*f.consumer) : nullptr);
    add("Binding", f.binding);
    return out;
}

[[nodiscard]] inline std::vector<rule> structure_rules() {
    const std::string t = std::string(t1546_003);
    std::vector<rule> out;
    out.push_back({"WMISUB-STR-001", "Runs code as SYSTEM on a WMI event", severity::low, {t},
                   "A bound CommandLine, ActiveScript or custom consumer runs code whenever its filter fires.",
                   "This is the persistence mechanism itself; administrators rarely need it, so every instance "
                   "deserves an owner.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!f.executes_code() || f.entry->state != subscription_state::bound) return std::nullopt;
                       return rule_hit{{{"Consumer", consumer_label(*f.consumer), {}}}, {}};
                   }});
    out.push_back({"WMISUB-STR-002", "Registered outside root\\subscription", severity::medium, {t},
                   "The subscription's objects live in a namespace other than root\\subscription.",
                   "Microsoft recommends root\\subscription for permanent subscriptions; tools that look only there "
                   "(most peers) miss others, which is why attackers use root\\cimv2, root\\default or new namespaces.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (namespace_is(f.entry->namespace_path, "root\\subscription")) return std::nullopt;
                       return rule_hit{{{"Namespace", f.entry->namespace_path, {}}}, {}};
                   }});
    out.push_back({"WMISUB-STR-003", "Unbound consumer that runs code", severity::low, {t},
                   "A consumer that runs code has no binding.",
                   "A staged or half-removed subscription: one binding away from running.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (f.entry->state != subscription_state::orphan_consumer || !f.executes_code()) return std::nullopt;
                       return rule_hit{{{"Consumer", consumer_label(*f.consumer), {}}}, {}};
                   }});
    out.push_back({"WMISUB-STR-004", "Binding points at nothing", severity::low, {t},
                   "A binding's filter or consumer reference resolves to no object.",
                   "Partly removed persistence, objects in a namespace wmisub could not read, or a reference "
                   "to another machine.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (f.entry->state != subscription_state::dangling_binding || f.binding == nullptr) return std::nullopt;
                       // A consumer the sources could not read is not missing (osquery has no table for three
                       // of the five standard classes): only a side that could have been seen counts.
                       if (f.entry->consumer_unreadable && f.filter != nullptr) return std::nullopt;
                       return rule_hit{{{"Binding", clip_text(f.binding->filter + " -> " + f.binding->consumer), f.entry->unresolved}}, {}};
                   }});
    out.push_back({"WMISUB-STR-005", "Unusual EventNamespace", severity::medium, {t},
                   "The filter takes its events from a namespace other than the usual ones, or from another machine.",
                   "Events from custom or remote namespaces hide where the trigger lives.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (f.filter == nullptr || !f.filter->event_namespace || f.filter->event_namespace->empty()) return std::nullopt;
                       if (is_standard_event_namespace(*f.filter->event_namespace)) return std::nullopt;
                       return rule_hit{{{"Filter.EventNamespace", *f.filter->event_namespace, {}}}, {}};
                   }});
    out.push_back({"WMISUB-STR-006", "Custom consumer class", severity::medium, {t, "T1546.003"},
                   "The consumer is of a class other than the five standard ones; a consumer provider DLL runs it.",
                   "A custom consumer means code registered as a WMI provider runs on every event: check the "
                   "__EventConsumerProviderRegistration and its DLL.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (f.consumer == nullptr || !std::holds_alternative<custom_consumer>(*f.consumer)) return std::nullopt;
                       return rule_hit{{{"Consumer", consumer_label(*f.consumer), {}}}, {}};
                   }});
    out.push_back({"WMISUB-STR-007", "Created by a non-administrator account", severity::medium, {t, "T1078"},
                   "A CreatorSID is neither SYSTEM nor the Administrators group.",
                   "WMI stores the Administrators SID when an administrator creates a subscription; a user SID means "
                   "the object was created or forged another way (impacket, direct repository edits).",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       rule_hit hit;
                       for (const auto& [what, sid] : creator_sids(f)) {
                           if (sid == well_known_sid::administrators || sid == well_known_sid::local_system) continue;
                           if (impossible_creator(sid)) continue;  // STR-015 says more
                           if (f.host != nullptr && f.host->expects_creator(sid)) continue;
                           hit.evidence.push_back({std::string(what) + ".CreatorSID", sid, {}});
                       }
                       if (hit.evidence.empty()) return std::nullopt;
                       return hit;
                   }});
    out.push_back({"WMISUB-STR-016", "Machine-made names", severity::medium, {t, "T1027"},
                   "The filter or consumer of a subscription that runs code is named with a GUID, a long hex string "
                   "or a random mix of letters and digits.",
                   "People name their automation after what it does; implants and offensive tools generate names "
                   "(SeaDuke's bot ids, uuids, random strings) so that no two hosts share one and no name-based "
                   "rule matches. Medium: some vendors generate names too, so it takes behaviour to reach high.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!f.executes_code()) return std::nullopt;
                       rule_hit hit;
                       if (f.filter != nullptr && looks_generated(f.filter->name)) {
                           hit.evidence.push_back({"Filter.Name", f.filter->name, "a generated name"});
                       }
                       if (f.consumer != nullptr && looks_generated(header_of(*f.consumer).name)) {
                           hit.evidence.push_back({"Consumer.Name", header_of(*f.consumer).name, "a generated name"});
                       }
                       if (hit.evidence.empty()) return std::nullopt;
                       return hit;
                   }});
    out.push_back({"WMISUB-STR-015", "Creator no logon can have", severity::high, {t, "T1036", "T1134"},
                   "A CreatorSID is a group or a well-known SID that cannot own a logon token (Everyone, Users, "
                   "Authenticated Users, Guests, Domain Users, NULL, a malformed SID).",
                   "WMI records the owner of the creating token: a user, SYSTEM, a service account, or the "
                   "Administrators group for an elevated administrator. Any other group was written by a tool that "
                   "forges the field (repository editing, crafted MOF or WMI protocol clients).",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       rule_hit hit;
                       for (const auto& [what, sid] : creator_sids(f)) {
                           if (impossible_creator(sid)) {
                               const std::string_view name = describe_sid(sid);
                               hit.evidence.push_back({std::string(what) + ".CreatorSID", sid,
                                                       name.empty() ? "cannot own a token" : std::string(name) + ": cannot own a token"});
                           }
                       }
                       if (hit.evidence.empty()) return std::nullopt;
                       return hit;
                   }});
    out.push_back({"WMISUB-STR-008", "Creator differs between filter, consumer and binding", severity::low, {t},
                   "The filter, consumer and binding of one subscription carry different CreatorSIDs.",
                   "WMI requires one creator for the three; a mismatch means objects were planted separately, or "
                   "the subscription does not work.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       const auto sids = creator_sids(f);
                       if (sids.size() < 2) return std::nullopt;
                       const bool same = std::all_of(sids.begin(), sids.end(), [&](const auto& s) { return s.second == sids.front().second; });
                       if (same) return std::nullopt;
                       rule_hit hit;
                       for (const auto& [what, sid] : sids) hit.evidence.push_back({std::string(what) + ".CreatorSID", sid, {}});
                       return hit;
                   }});
    out.push_back({"WMISUB-STR-009", "Built-in name on different content", severity::high, {t, "T1036.004"},
                   "A filter or consumer carries the name of a Windows built-in subscription (SCM Event Log, BVT) "
                   "or a close variant, but its content is not that built-in's.",
                   "Allow-lists keyed on names trust these; attackers copy the names to hide.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!f.builtin.empty()) return std::nullopt;
                       // Each half is compared with the built-ins' on its own: a genuine filter whose consumer
                       // is missing (a source that cannot read it) or was swapped is not itself disguised.
                       rule_hit hit;
                       if (f.filter != nullptr && looks_like_builtin_name(f.filter->name) && !is_builtin_filter(*f.filter)) {
                           hit.evidence.push_back({"Filter.Name", f.filter->name, "content differs from the built-in"});
                       }
                       if (f.consumer != nullptr && looks_like_builtin_name(header_of(*f.consumer).name) &&
                           !is_builtin_consumer(*f.consumer)) {
                           hit.evidence.push_back({"Consumer.Name", header_of(*f.consumer).name, "content differs from the built-in"});
                       }
                       if (hit.evidence.empty()) return std::nullopt;
                       return hit;
                   }});
    out.push_back({"WMISUB-STR-010", "Unbound filter", severity::info, {t},
                   "A filter has no binding.",
                   "Harmless on its own; often the remains of a removed subscription.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (f.entry->state != subscription_state::orphan_filter) return std::nullopt;
                       return rule_hit{{query_evidence(f)}, {}};
                   }});
    out.push_back({"WMISUB-STR-011", "Matches a Windows built-in by content", severity::info, {},
                   "The filter and consumer match a subscription Windows itself creates.",
                   "Recognised by query, class and consumer content, never by name.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (f.builtin.empty()) return std::nullopt;
                       return rule_hit{{{"Consumer", consumer_label(*f.consumer), f.builtin}}, {}};
                   }});
    out.push_back({"WMISUB-STR-012", "Re-created whenever the WMI repository is rebuilt", severity::low, {t},
                   "The MOF that declares a subscription running code is marked `#pragma autorecover`.",
                   "Windows recompiles autorecover MOFs into a rebuilt repository, so deleting the objects or "
                   "resetting the repository does not remove the persistence; the MOF file must go too.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!f.executes_code()) return std::nullopt;
                       auto found = annotation_evidence(f, {annotation_kind::autorecover});
                       if (found.empty()) return std::nullopt;
                       return rule_hit{std::move(found), {}};
                   }});
    out.push_back({"WMISUB-STR-013", "Removed, or removed by its own source", severity::medium, {t, "T1070"},
                   "A source deletes one of the subscription's objects (a MOF `#pragma deleteinstance`, a "
                   "deletion event), or the object was recovered from free space after its removal.",
                   "Attackers remove their subscription after use or ship a clean-up MOF with it; what is left "
                   "behind shows the persistence existed.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       auto found = annotation_evidence(f, {annotation_kind::deleted, annotation_kind::recovered});
                       if (found.empty()) return std::nullopt;
                       return rule_hit{std::move(found), {}};
                   }});
    out.push_back({"WMISUB-STR-014", "Object cut short in its source", severity::low, {t},
                   "The source holds only part of the filter, consumer or binding (a truncated MOF, a value whose "
                   "quote never closes): what was read is judged, and the rest is unknown.",
                   "A cut may be damage, or a way to make a scanner drop the payload; when the cut object is a "
                   "consumer that can run code, its command or script may be the part missing.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       auto found = annotation_evidence(f, {annotation_kind::incomplete});
                       if (found.empty()) return std::nullopt;
                       const bool consumer_cut = f.consumer != nullptr && header_of(*f.consumer).origin.has(annotation_kind::incomplete);
                       const bool may_run_code = f.consumer != nullptr && (std::holds_alternative<command_line_consumer>(*f.consumer) ||
                                                                           std::holds_alternative<active_script_consumer>(*f.consumer) ||
                                                                           std::holds_alternative<custom_consumer>(*f.consumer));
                       return rule_hit{std::move(found), consumer_cut && may_run_code ? std::optional<severity>(severity::medium) : std::nullopt};
                   }});
    return out;
}

// --- combinations ----------------------------------------------------------------------------------

// True for "c:\x.exe": a program directly at the root of a drive, where no installer puts one.
[[nodiscard]] inline bool is_drive_root_program(std::string_view normalized) noexcept {
    return normalized.size() > 3 && normalized[1] == ':' && normalized[2] == '\\' &&
           normalized.find('\\', 3) == std::string_view::npos;
}

// True for a logon trigger, or an event-log trigger on the records every logon writes (Security 4624
// and 4648, Winlogon's 6000 and 6001, the System log's 7001 user logon notification, 528 and 540
// before Vista): the same moment, reached another way.
[[nodiscard]] inline bool fires_at_logon(const subscription_facts& f) {
    if (is_kind(f, trigger_kind::logon)) return true;
    if (!is_kind(f, trigger_kind::event_log)) return false;
    const auto& codes = f.trigger->trigger.event_codes;
    return !codes.empty() && std::all_of(codes.begin(), codes.end(), [](std::int64_t c) {
        return c == 4624 || c == 4648 || c == 6000 || c == 6001 || c == 7001 || c == 528 || c == 540;
    });
}

// The program (or script file) the consumer runs when it sits at the root of a drive.
[[nodiscard]] inline std::optional<std::string> drive_root_program(const subscription_facts& f) {
    if (f.payload->executable && is_drive_root_program(f.payload->executable->normalized)) return f.payload->executable->raw;
    if (f.consumer == nullptr) return std::nullopt;
    if (const auto script = text_property(*f.consumer, "ScriptFileName")) {
        if (is_drive_root_program(normalize_path(script->text))) return std::string(script->text);
    }
    return std::nullopt;
}

// True when the consumer's text uses the drive the event reports (Win32_VolumeChangeEvent.DriveName,
// Win32_LogicalDisk.DeviceID or Name): where a removable-media payload writes to the device itself.
[[nodiscard]] inline bool names_arriving_drive(const consumer& c) {
    for (const std::string_view property : {"ScriptText", "CommandLineTemplate", "Filename"}) {
        const auto text = text_property(c, property);
        if (!text) continue;
        for (const std::string_view name : {"DriveName", "DeviceID", "TargetInstance.Name", "TargetInstance.Caption"}) {
            if (ascii_ifind(text->text, name) != std::string_view::npos) return true;
        }
    }
    return false;
}

// The user_writable_path indicator of a file the payload writes (a file_write naming the same path), or nullptr.
[[nodiscard]] inline const indicator* writable_file_written(const payload_analysis& p) {
    for (const indicator& place : p.indicators) {
        if (place.kind != indicator_kind::user_writable_path) continue;
        const std::string_view path = std::string_view(place.detail).substr(0, place.detail.find(" ("));
        if (path.empty()) continue;
        for (const indicator& write : p.indicators) {
            if (write.kind != indicator_kind::file_write && write.kind != indicator_kind::executable_file_write) continue;
            if (ascii_ifind(write.detail, path) != std::string_view::npos) return &place;
        }
    }
    return nullptr;
}

[[nodiscard]] inline std::vector<rule> combination_rules() {
    const std::string t = std::string(t1546_003);
    std::vector<rule> out;
    out.push_back({"WMISUB-CMB-001", "Kills processes as they start", severity::critical, {t, "T1562.001"},
                   "A process-start trigger is bound to a payload that terminates processes.",
                   "This is a defence-evasion killer: whatever the trigger watches dies as soon as it starts.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::process_start) || !f.payload || !f.payload->has(indicator_kind::process_termination)) {
                           return std::nullopt;
                       }
                       return rule_hit{{query_evidence(f), indicator_evidence(*f.payload->find(indicator_kind::process_termination))}, {}};
                   }});
    out.push_back({"WMISUB-CMB-003", "Runs a program from a place no installer uses", severity::high,
                   {t, "T1036.005", "T1091"},
                   "At boot, at every logon (a logon trigger or the event-log records of a logon) or whenever a "
                   "program starts, the consumer runs a program or script kept at the root of a drive; or, at boot "
                   "or logon, one kept in a user-writable folder (a profile, Public, a temporary folder, ProgramData).",
                   "Installers put programs under Program Files or Windows; a payload dropped in a temporary or "
                   "public folder, or copied to the root of a drive, and started as SYSTEM at every boot or logon is "
                   "how droppers and removable-media worms make themselves persistent.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!f.payload || !f.executes_code() || runs_from_approved_folder(f)) return std::nullopt;
                       rule_hit hit{{query_evidence(f)}, {}};
                       const bool boot_or_logon = is_kind(f, trigger_kind::startup) || fires_at_logon(f);
                       const indicator* writable = f.payload->find(indicator_kind::runs_from_writable_path);
                       if (boot_or_logon && writable != nullptr) {
                           hit.evidence.push_back(indicator_evidence(*writable));
                           return hit;
                       }
                       // Microsoft's own samples run c:\asec2.vbs when calc.exe exits: a drive root alone is
                       // a test's habit. On every boot, logon or program start it is a dropper's.
                       if (!boot_or_logon && !is_kind(f, trigger_kind::process_start)) return std::nullopt;
                       if (const std::optional<std::string> root = drive_root_program(f)) {
                           hit.evidence.push_back({"Consumer", *root, "a program or script at the root of a drive"});
                       } else {
                           return std::nullopt;
                       }
                       return hit;
                   }});
    out.push_back({"WMISUB-CMB-004", "Stages data where any user can read or replace it", severity::medium, {t, "T1074.001", "T1119"},
                   "On every event, the consumer (running as SYSTEM) writes a file in a user-writable location.",
                   "Collected activity (process names, logons, device arrivals) written by SYSTEM into a temporary or "
                   "public folder is staging for collection, and a file any user can replace that SYSTEM writes is an "
                   "escalation path. Admin scripts log to C:\\Temp too (PowerEvents' USB log does exactly what "
                   "PowerLurk's demo payload does), so this is medium context: it takes behaviour to reach high.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!f.payload || f.consumer == nullptr) return std::nullopt;
                       const indicator* place = writable_file_written(*f.payload);
                       if (place == nullptr) return std::nullopt;
                       return rule_hit{{indicator_evidence(*place)}, {}};
                   }});
    out.push_back({"WMISUB-CMB-005", "Writes onto a drive as it arrives", severity::high, {t, "T1091"},
                   "A removable-media trigger is bound to a payload that writes files, and the payload uses the "
                   "arriving drive (the event's DriveName or DeviceID).",
                   "Replication through removable media: the subscription copies itself, a program or an autorun "
                   "file to every drive plugged in. Admin automation that logs device arrival writes to its own log "
                   "folder, not onto the device.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!is_kind(f, trigger_kind::removable_media) || !f.payload || f.consumer == nullptr) return std::nullopt;
                       const indicator* write = f.payload->find(indicator_kind::executable_file_write);
                       if (write == nullptr) write = f.payload->find(indicator_kind::autostart_file_write);
                       if (write == nullptr) write = f.payload->find(indicator_kind::file_write);
                       if (write == nullptr || !names_arriving_drive(*f.consumer)) return std::nullopt;
                       return rule_hit{{query_evidence(f), indicator_evidence(*write)}, {}};
                   }});
    out.push_back({"WMISUB-CMB-006", "Decodes data and writes it to disk", severity::high, {t, "T1027", "T1105"},
                   "The payload decodes base64 or other encoded data and writes files.",
                   "A dropper: the file it writes travels inside the subscription, encoded so that the text shows "
                   "nothing, and appears on disk only when the event fires.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!f.payload) return std::nullopt;
                       const indicator* decode = f.payload->find(indicator_kind::base64_decode);
                       if (decode == nullptr) decode = f.payload->find(indicator_kind::embedded_binary);
                       if (decode == nullptr) return std::nullopt;
                       const indicator* write = f.payload->find(indicator_kind::executable_file_write);
                       if (write == nullptr) write = f.payload->find(indicator_kind::file_write);
                       if (write == nullptr) return std::nullopt;
                       return rule_hit{{indicator_evidence(*decode), indicator_evidence(*write)}, {}};
                   }});
    out.push_back({"WMISUB-CMB-007", "Mails outside the domains the host trusts", severity::high, {t, "T1048.003"},
                   "The host declares its trusted domains (host_context::trusted_domains) and an SMTP consumer sends "
                   "to an address or through a server outside them, or to an address built from event data.",
                   "Mail to the organisation's own SOC is monitoring; the same consumer mailing event data anywhere "
                   "else is exfiltration. Without a declared list wmisub does not guess, and PAY-021 stays medium.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (f.host == nullptr || f.host->trusted_domains.empty() || f.consumer == nullptr) return std::nullopt;
                       const auto* mail = std::get_if<smtp_consumer>(f.consumer);
                       if (mail == nullptr) return std::nullopt;
                       rule_hit hit;
                       for (const std::string& d : mail_destinations(*mail)) {
                           if (d.empty()) {
                               hit.evidence.push_back({"Consumer.ToLine", mail->to_line.value_or(""), "an address built from event data or without a domain"});
                           } else if (!f.host->trusts_domain(d)) {
                               hit.evidence.push_back({"Consumer", d, "not a trusted domain of this host"});
                           }
                           if (hit.evidence.size() == 8) break;
                       }
                       if (hit.evidence.empty()) return std::nullopt;
                       return hit;
                   }});
    out.push_back({"WMISUB-CMB-002", "Mails Security-log events out", severity::high, {t, "T1048.003", "T1087"},
                   "An event-log trigger on the Security log is bound to a consumer that sends e-mail or event "
                   "data to another machine.",
                   "Logons, account changes and credential events leaving by WMI mail are reconnaissance or "
                   "exfiltration; organisations forward the Security log through their log pipeline, not SMTP.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (!watches_security_log(f) || !f.payload) return std::nullopt;
                       const indicator* sent = f.payload->find(indicator_kind::event_data_exfiltration);
                       if (sent == nullptr) sent = f.payload->find(indicator_kind::email_send);
                       if (sent == nullptr) return std::nullopt;
                       return rule_hit{{query_evidence(f), indicator_evidence(*sent)}, {}};
                   }});
    return out;
}

// --- baseline ----------------------------------------------------------------------------------------

// A line of evidence per changed field of the entry's modified objects.
[[nodiscard]] inline std::vector<evidence> change_evidence(const entry_changes& changes) {
    std::vector<evidence> out;
    for (const modified_object* m : changes.modified) {
        const std::string kind(to_string(m->kind));
        for (const field_change& c : m->changes) {
            out.push_back({kind + "." + c.field, clip_text(c.new_text, 120), "was: " + clip_text(c.old_text, 120)});
        }
    }
    return out;
}

// Rules that need a baseline: they see subscription_facts::changes only when a scan compares one.
[[nodiscard]] inline std::vector<rule> baseline_rules() {
    std::vector<rule> out;
    out.push_back({"WMISUB-BSL-001", "Changed since the baseline", severity::medium, {std::string(t1546_003)},
                   "The filter, consumer or binding of this subscription differs from the approved baseline "
                   "(fires only when a scan compares one).",
                   "Attackers reuse existing, approved subscriptions by changing their query or payload; a "
                   "changed field of an approved object is worth a look even when the new content looks benign.",
                   [](const subscription_facts& f) -> std::optional<rule_hit> {
                       if (f.changes == nullptr || f.changes->modified.empty()) return std::nullopt;
                       return rule_hit{change_evidence(*f.changes), {}};
                   }});
    return out;
}

// The rules whose findings are not behaviour, and why. Everything else a built-in rule finds is
// what the payload does (or, for TRG-003/004, whom the trigger lies in wait for).
struct rule_class_row {
    std::string_view id;
    evidence_class kind;
};
inline constexpr rule_class_row rule_classes[] = {
    // A tool's fingerprint: the uptime window PowerSploit, Empire, Metasploit and Atomic Red Team
    // share, and Empire's aggregated clock.
    {"WMISUB-TRG-001", evidence_class::provenance},
    {"WMISUB-TRG-014", evidence_class::provenance},
    // When it fires: admin automation runs on timers, at logon, on devices and processes too.
    {"WMISUB-TRG-002", evidence_class::context},
    {"WMISUB-TRG-005", evidence_class::context},  // failed-logon alerts are what SOCs subscribe to
    {"WMISUB-TRG-006", evidence_class::context},
    {"WMISUB-TRG-007", evidence_class::context},
    {"WMISUB-TRG-008", evidence_class::context},
    {"WMISUB-TRG-009", evidence_class::context},
    {"WMISUB-TRG-010", evidence_class::context},
    {"WMISUB-TRG-011", evidence_class::context},
    {"WMISUB-TRG-012", evidence_class::context},
    {"WMISUB-TRG-013", evidence_class::context},
    // Where and how the payload runs, not what it does.
    {"WMISUB-PAY-009", evidence_class::context},
    {"WMISUB-PAY-010", evidence_class::context},
    {"WMISUB-PAY-014", evidence_class::context},
    {"WMISUB-PAY-017", evidence_class::context},
    {"WMISUB-PAY-019", evidence_class::context},
    {"WMISUB-PAY-020", evidence_class::context},
    {"WMISUB-PAY-022", evidence_class::context},
    {"WMISUB-PAY-024", evidence_class::context},
    {"WMISUB-PAY-025", evidence_class::context},
    // The shape of the subscription.
    {"WMISUB-STR-001", evidence_class::context},
    {"WMISUB-STR-002", evidence_class::context},
    {"WMISUB-STR-003", evidence_class::context},
    {"WMISUB-STR-004", evidence_class::context},
    {"WMISUB-STR-005", evidence_class::context},
    {"WMISUB-STR-006", evidence_class::context},
    {"WMISUB-STR-010", evidence_class::context},
    {"WMISUB-STR-011", evidence_class::context},
    {"WMISUB-STR-014", evidence_class::context},
    // SYSTEM writing a file any user can replace: admin logs in C:\Temp look the same.
    {"WMISUB-CMB-004", evidence_class::context},
    // Who made it and how.
    {"WMISUB-STR-007", evidence_class::provenance},
    {"WMISUB-STR-008", evidence_class::provenance},
    {"WMISUB-STR-009", evidence_class::provenance},
    {"WMISUB-STR-012", evidence_class::provenance},
    {"WMISUB-STR-013", evidence_class::provenance},
    {"WMISUB-STR-015", evidence_class::provenance},
    {"WMISUB-STR-016", evidence_class::provenance},
    {"WMISUB-BSL-001", evidence_class::provenance},
};

[[nodiscard]] inline std::vector<rule> builtin_rules() {
    std::vector<rule> all = trigger_rules();
    for (auto* group : {&payload_rules, &structure_rules, &combination_rules, &baseline_rules}) {
        auto rules = (*group)();
        all.insert(all.end(), std::make_move_iterator(rules.begin()), std::make_move_iterator(rules.end()));
    }
    for (rule& r : all) {
        for (const rule_class_row& row : rule_classes) {
            if (r.id == row.id) r.evidence_class = row.kind;
        }
    }
    return all;
}

}  // namespace detail
WMISUB_NAMESPACE_END
