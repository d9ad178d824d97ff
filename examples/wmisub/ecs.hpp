// `--format ndjson`: one document per subscription with Elastic Common Schema
// (ECS 8.11) field names, so a SIEM ingests the output as it is: every finding's
// rule in rule.*, its ATT&CK techniques in threat.*, the command a command-line
// consumer runs in process.*, and the rest under the custom `wmisub` field set.
// ECS puts technique ids in threat.technique.id and sub-technique ids in
// threat.technique.subtechnique.id; tests/ndjson_ecs.py checks every field name
// and type against the ECS field list.
#pragma once

#include "cli.hpp"

#include <wmisub/assess.hpp>
#include <wmisub/config.hpp>
#include <wmisub/datetime.hpp>
#include <wmisub/graph.hpp>
#include <wmisub/text.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wmisub_cli {

inline constexpr const char* ecs_version = "8.11.0";

// What every line shares: when, and on which host.
struct ecs_context {
    std::string timestamp;  // ISO 8601, UTC
    std::string host;       // empty when unknown
    std::optional<wmisub::severity> alert_from;  // --fail-on: event.kind is "alert" at or above it
};

[[nodiscard]] inline ecs_context make_ecs_context(const wmisub::snapshot& snap, std::string host_override,
                                                  std::optional<wmisub::severity> alert_from) {
    const wmisub::timestamp when = snap.collected_at
                                       ? *snap.collected_at
                                       : std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    return {wmisub::to_iso8601(when), host_override.empty() ? snap.host : std::move(host_override), alert_from};
}

// ECS event.severity is a number: info 0 … critical 4.
[[nodiscard]] constexpr int ecs_severity(wmisub::severity s) noexcept { return static_cast<int>(s); }

// ATT&CK names of the techniques the catalog cites (enterprise matrix, v16), and their parents.
[[nodiscard]] inline std::string_view attack_technique_name(std::string_view id) noexcept {
    struct entry {
        std::string_view id, name;
    };
    static constexpr entry names[] = {
        {"T1003", "OS Credential Dumping"},
        {"T1021", "Remote Services"},
        {"T1021.002", "SMB/Windows Admin Shares"},
        {"T1027", "Obfuscated Files or Information"},
        {"T1027.011", "Fileless Storage"},
        {"T1036", "Masquerading"},
        {"T1036.004", "Masquerade Task or Service"},
        {"T1036.005", "Match Legitimate Resource Name or Location"},
        {"T1048", "Exfiltration Over Alternative Protocol"},
        {"T1048.003", "Exfiltration Over Unencrypted Non-C2 Protocol"},
        {"T1052", "Exfiltration Over Physical Medium"},
        {"T1052.001", "Exfiltration over USB"},
        {"T1053", "Scheduled Task/Job"},
        {"T1053.005", "Scheduled Task"},
        {"T1055", "Process Injection"},
        {"T1059", "Command and Scripting Interpreter"},
        {"T1059.001", "PowerShell"},
        {"T1059.005", "Visual Basic"},
        {"T1059.007", "JavaScript"},
        {"T1070", "Indicator Removal"},
        {"T1070.001", "Clear Windows Event Logs"},
        {"T1070.004", "File Deletion"},
        {"T1071", "Application Layer Protocol"},
        {"T1074", "Data Staged"},
        {"T1074.001", "Local Data Staging"},
        {"T1078", "Valid Accounts"},
        {"T1087", "Account Discovery"},
        {"T1091", "Replication Through Removable Media"},
        {"T1105", "Ingress Tool Transfer"},
        {"T1136", "Create Account"},
        {"T1205", "Traffic Signaling"},
        {"T1218", "System Binary Proxy Execution"},
        {"T1489", "Service Stop"},
        {"T1490", "Inhibit System Recovery"},
        {"T1543", "Create or Modify System Process"},
        {"T1543.003", "Windows Service"},
        {"T1546", "Event Triggered Execution"},
        {"T1546.003", "Windows Management Instrumentation Event Subscription"},
        {"T1546.013", "PowerShell Profile"},
        {"T1547", "Boot or Logon Autostart Execution"},
        {"T1547.001", "Registry Run Keys / Startup Folder"},
        {"T1555", "Credentials from Password Stores"},
        {"T1555.005", "Password Managers"},
        {"T1562", "Impair Defenses"},
        {"T1562.001", "Disable or Modify Tools"},
        {"T1564", "Hide Artifacts"},
        {"T1564.001", "Hidden Files and Directories"},
        {"T1564.003", "Hidden Window"},
        {"T1620", "Reflective Code Loading"},
    };
    for (const entry& e : names) {
        if (e.id == id) return e.name;
    }
    return {};
}

// Appends `value` to the array `list` unless it is there.
inline void ecs_add_once(ojson& list, const std::string& value) {
    for (const auto& known : list) {
        if (known == value) return;
    }
    list.push_back(value);
}

// threat.*: T1546.003 for every subscription (its tactics: persistence and privilege
// escalation), and every technique a finding cites; technique and sub-technique apart.
[[nodiscard]] inline ojson ecs_threat(const wmisub::assessment& a) {
    std::vector<std::string> ids{"T1546.003"};
    for (const wmisub::finding& fi : a.findings) {
        for (const std::string& id : fi.techniques()) ids.push_back(id);
    }
    ojson technique_ids = ojson::array();
    ojson technique_names = ojson::array();
    ojson sub_ids = ojson::array();
    ojson sub_names = ojson::array();
    for (const std::string& id : ids) {
        const std::size_t dot = id.find('.');
        const std::string parent = id.substr(0, dot);
        ecs_add_once(technique_ids, parent);
        ecs_add_once(technique_names, std::string(attack_technique_name(parent)));
        if (dot != std::string::npos) {
            ecs_add_once(sub_ids, id);
            ecs_add_once(sub_names, std::string(attack_technique_name(id)));
        }
    }
    ojson technique{{"id", technique_ids}, {"name", technique_names}};
    if (!sub_ids.empty()) technique["subtechnique"] = {{"id", sub_ids}, {"name", sub_names}};
    return {{"framework", "MITRE ATT&CK"},
            {"tactic", {{"id", {"TA0003", "TA0004"}}, {"name", {"Persistence", "Privilege Escalation"}}}},
            {"technique", technique}};
}

// event.id: the same for the same subscription content on every scan and host copy,
// so a SIEM can de-duplicate; from the fingerprints of its filter, consumer and binding.
[[nodiscard]] inline std::string ecs_event_id(const wmisub::subscription_graph& graph, const wmisub::subscription& entry) {
    const wmisub::object_key_table& keys = graph.object_keys();
    std::string joined = std::string(wmisub::to_string(entry.state)) + "|";
    if (entry.filter) joined += keys.filters[*entry.filter].fingerprint;
    joined += "|";
    if (entry.consumer) joined += keys.consumers[*entry.consumer].fingerprint;
    joined += "|";
    if (entry.binding) joined += keys.bindings[*entry.binding].fingerprint;
    return wmisub::sha256_hex(joined).substr(0, 32);
}

// The subscription under the custom `wmisub` field set: objects, trigger and every finding.
[[nodiscard]] inline ojson ecs_wmisub(const wmisub::assessment& a) {
    const wmisub::subscription_facts& f = a.facts;
    ojson s{{"state", wmisub::to_string(f.entry->state)}, {"namespace", f.entry->namespace_path},
            {"score", a.risk.score}, {"severity", wmisub::to_string(a.risk.severity)}, {"core_score", a.risk.core_score},
            {"context_only", a.risk.context_only}, {"allow_listed", a.allow_listed}};
    if (f.filter != nullptr) s["filter"] = {{"name", f.filter->name}, {"query", f.filter->query}};
    if (f.consumer != nullptr) {
        const wmisub::consumer_header& h = wmisub::header_of(*f.consumer);
        s["consumer"] = {{"class", h.class_name}, {"name", h.name}};
    }
    if (f.trigger != nullptr) {
        s["trigger"] = {{"kind", wmisub::to_string(f.trigger->trigger.kind)},
                        {"description", wmisub::describe(f.trigger->trigger)}};
    }
    if (!f.builtin.empty()) s["builtin"] = f.builtin;
    if (!f.entry->unresolved.empty()) s["unresolved"] = f.entry->unresolved;
    ojson findings = ojson::array();
    for (const wmisub::finding& fi : a.findings) {
        ojson evidence = ojson::array();
        for (const wmisub::evidence& e : fi.evidence) evidence.push_back({{"field", e.field}, {"excerpt", e.excerpt}, {"detail", e.detail}});
        findings.push_back({{"rule", fi.id()}, {"severity", wmisub::to_string(fi.severity)}, {"title", fi.title()},
                            {"class", wmisub::to_string(fi.rule ? fi.rule->evidence_class : wmisub::evidence_class::behaviour)},
                            {"evidence", evidence}});
    }
    s["findings"] = std::move(findings);
    return s;
}

// True when the document is an alert: at or above --fail-on and not allow-listed.
[[nodiscard]] inline bool ecs_is_alert(const wmisub::assessment& a, const ecs_context& ctx) noexcept {
    return ctx.alert_from && !a.allow_listed && a.risk.severity >= *ctx.alert_from;
}

// One NDJSON document for one subscription.
[[nodiscard]] inline ojson ecs_subscription(const wmisub::subscription_graph& graph, const wmisub::assessment& a,
                                            const ecs_context& ctx) {
    const wmisub::subscription_facts& f = a.facts;
    std::string message = "WMI subscription";
    if (f.filter != nullptr) message += " filter \"" + f.filter->name + "\"";
    if (f.consumer != nullptr) message += (f.filter != nullptr ? " ->" : "") + std::string(" consumer \"") + wmisub::header_of(*f.consumer).name + "\"";
    message += ": score " + std::to_string(a.risk.score) + " (" + std::string(wmisub::to_string(a.risk.severity)) + ")";
    if (!a.findings.empty()) message += ", " + std::string(a.findings.front().title());
    ojson rule_ids = ojson::array();
    ojson rule_names = ojson::array();
    for (const wmisub::finding& fi : a.findings) {
        ecs_add_once(rule_ids, std::string(fi.id()));
        ecs_add_once(rule_names, std::string(fi.title()));
    }
    ojson line{{"@timestamp", ctx.timestamp},
               {"message", message},
               {"ecs", {{"version", ecs_version}}},
               {"event",
                {{"kind", ecs_is_alert(a, ctx) ? "alert" : "event"},
                 {"category", {"configuration", "intrusion_detection"}},
                 {"type", {"info"}},
                 {"id", ecs_event_id(graph, *f.entry)},
                 {"module", "wmisub"},
                 {"dataset", "wmisub.subscription"},
                 {"provider", "wmisub"},
                 {"severity", ecs_severity(a.risk.severity)},
                 {"risk_score", a.risk.score}}},
               {"threat", ecs_threat(a)}};
    if (!rule_ids.empty()) {
        line["rule"] = {{"id", rule_ids}, {"name", rule_names}, {"ruleset", "wmisub"}, {"version", WMISUB_VERSION_STRING}};
    }
    if (!ctx.host.empty()) line["host"] = {{"name", ctx.host}};
    if (f.consumer != nullptr) {
        if (const auto* cmd = std::get_if<wmisub::command_line_consumer>(f.consumer)) {
            ojson process = ojson::object();
            if (cmd->command_line_template) process["command_line"] = *cmd->command_line_template;
            if (f.payload != nullptr && f.payload->executable) process["executable"] = f.payload->executable->raw;
            if (!process.empty()) line["process"] = std::move(process);
        }
        const std::string& source = wmisub::header_of(*f.consumer).origin.where.source;
        if (!source.empty()) line["file"] = {{"path", source}};
    }
    line["observer"] = {{"product", "wmisub"}, {"type", "scanner"}, {"version", WMISUB_VERSION_STRING}};
    line["wmisub"] = {{"subscription", ecs_wmisub(a)}};
    return line;
}

}  // namespace wmisub_cli
