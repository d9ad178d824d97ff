// `--format ndjson`: one finding per line with Elastic Common Schema field
// names, so a SIEM ingests the output as it is. ECS puts ATT&CK technique ids
// in threat.technique.id and sub-technique ids in threat.technique.subtechnique.id.
#pragma once

#include "cli.hpp"

#include <wmisub/assess.hpp>
#include <wmisub/config.hpp>
#include <wmisub/datetime.hpp>

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wmisub_cli {

// What every line shares: when, and on which host.
struct ecs_context {
    std::string timestamp;  // ISO 8601, UTC
    std::string host;       // empty when unknown
};

[[nodiscard]] inline ecs_context make_ecs_context(const wmisub::snapshot& snap, std::string host_override) {
    const wmisub::timestamp when = snap.collected_at
                                       ? *snap.collected_at
                                       : std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    return {wmisub::to_iso8601(when), host_override.empty() ? snap.host : std::move(host_override)};
}

// ECS event.severity is a number: info 0 … critical 4.
[[nodiscard]] constexpr int ecs_severity(wmisub::severity s) noexcept { return static_cast<int>(s); }

// Technique ids ("T1546") and sub-technique ids ("T1546.003"), as ECS separates them.
[[nodiscard]] inline ojson ecs_threat(std::span<const std::string> ids) {
    ojson techniques = ojson::array();
    ojson subtechniques = ojson::array();
    auto add_once = [](ojson& list, const std::string& id) {
        for (const auto& known : list) {
            if (known == id) return;
        }
        list.push_back(id);
    };
    for (const std::string& id : ids) {
        const std::size_t dot = id.find('.');
        add_once(techniques, id.substr(0, dot));
        if (dot != std::string::npos) add_once(subtechniques, id);
    }
    ojson technique{{"id", techniques}};
    if (!subtechniques.empty()) technique["subtechnique"] = {{"id", subtechniques}};
    return {{"framework", "MITRE ATT&CK"}, {"technique", technique}};
}

// The subscription a finding belongs to, under the custom `wmisub` field set.
[[nodiscard]] inline ojson ecs_subscription(const wmisub::assessment& a) {
    const wmisub::subscription_facts& f = a.facts;
    ojson s{{"state", wmisub::to_string(f.entry->state)}, {"namespace", f.entry->namespace_path},
            {"score", a.risk.score}, {"severity", wmisub::to_string(a.risk.severity)}};
    if (f.filter != nullptr) s["filter"] = {{"name", f.filter->name}, {"query", f.filter->query}};
    if (f.consumer != nullptr) {
        const wmisub::consumer_header& h = wmisub::header_of(*f.consumer);
        s["consumer"] = {{"class", h.class_name}, {"name", h.name}};
    }
    if (f.trigger != nullptr) s["trigger"] = wmisub::to_string(f.trigger->trigger.kind);
    if (!f.builtin.empty()) s["builtin"] = f.builtin;
    return s;
}

// One NDJSON line for one finding of one subscription.
[[nodiscard]] inline ojson ecs_finding(const wmisub::assessment& a, const wmisub::finding& fi, const ecs_context& ctx) {
    ojson evidence = ojson::array();
    for (const wmisub::evidence& e : fi.evidence) evidence.push_back({{"field", e.field}, {"excerpt", e.excerpt}, {"detail", e.detail}});
    const wmisub::subscription_facts& f = a.facts;
    std::string message(fi.title());
    if (f.filter != nullptr) message += " (filter \"" + f.filter->name + "\")";
    if (f.consumer != nullptr) message += " (consumer \"" + wmisub::header_of(*f.consumer).name + "\")";
    ojson line{{"@timestamp", ctx.timestamp},
               {"message", message},
               {"event",
                {{"kind", "alert"},
                 {"category", {"configuration", "intrusion_detection"}},
                 {"type", {"info"}},
                 {"module", "wmisub"},
                 {"dataset", "wmisub.finding"},
                 {"provider", "wmisub"},
                 {"severity", ecs_severity(fi.severity)},
                 {"risk_score", a.risk.score}}},
               {"rule",
                {{"id", fi.id()}, {"name", fi.title()}, {"ruleset", "wmisub"}, {"version", WMISUB_VERSION_STRING}}},
               {"threat", ecs_threat(fi.techniques())}};
    if (!ctx.host.empty()) line["host"] = {{"name", ctx.host}};
    line["observer"] = {{"product", "wmisub"}, {"type", "scanner"}, {"version", WMISUB_VERSION_STRING}};
    line["wmisub"] = {{"finding", {{"severity", wmisub::to_string(fi.severity)}, {"evidence", evidence}}},
                      {"subscription", ecs_subscription(a)},
                      {"allow_listed", a.allow_listed}};
    return line;
}

}  // namespace wmisub_cli
