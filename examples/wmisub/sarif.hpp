// `--format sarif`: SARIF 2.1.0 for code-scanning pipelines that review MOF files
// in repositories. One run; the tool's rules are the whole catalog (id, title,
// description, rationale, default level, ATT&CK tags and a security-severity
// that GitHub code scanning reads); one result per finding, located at the
// object its evidence names (file, line, column), with a partial fingerprint that
// stays the same while the subscription's content does. tests/sarif_check.py
// checks the output against the parts of the SARIF 2.1.0 schema it uses.
#pragma once

#include "cli.hpp"
#include "ecs.hpp"

#include <wmisub/assess.hpp>
#include <wmisub/config.hpp>
#include <wmisub/graph.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <system_error>

namespace wmisub_cli {

// SARIF levels: error for high and critical, warning for medium, note below.
[[nodiscard]] inline const char* sarif_level(wmisub::severity s) noexcept {
    return s >= wmisub::severity::high ? "error" : s == wmisub::severity::medium ? "warning" : "note";
}

// GitHub code scanning's security-severity (0.0–10.0) for a severity.
[[nodiscard]] inline const char* sarif_security_severity(wmisub::severity s) noexcept {
    switch (s) {
    case wmisub::severity::critical: return "9.5";
    case wmisub::severity::high: return "8.0";
    case wmisub::severity::medium: return "5.5";
    case wmisub::severity::low: return "3.0";
    case wmisub::severity::info: return "0.0";
    }
    return "0.0";
}

// tool.driver.rules: every rule of the catalog, in catalog order (results refer to them by index).
[[nodiscard]] inline ojson sarif_rules(const wmisub::rule_catalog& catalog, std::map<std::string, std::size_t>& index) {
    ojson rules = ojson::array();
    for (const auto& shared : catalog.rules()) {
        const wmisub::rule& r = *shared;
        index[r.id] = rules.size();
        ojson tags = ojson::array({"security", "wmi-persistence"});
        for (const std::string& t : r.techniques) tags.push_back("external/attack/" + t);
        rules.push_back({{"id", r.id},
                         {"name", r.title},
                         {"shortDescription", {{"text", r.title}}},
                         {"fullDescription", {{"text", r.description}}},
                         {"help", {{"text", r.description + " " + r.rationale}, {"markdown", "**" + r.title + "**\n\n" + r.description + "\n\n" + r.rationale}}},
                         {"defaultConfiguration", {{"level", sarif_level(r.severity)}}},
                         {"properties", {{"tags", tags}, {"security-severity", sarif_security_severity(r.severity)},
                                         {"evidenceClass", wmisub::to_string(r.evidence_class)}}}});
    }
    return rules;
}

// A file as a SARIF artifact URI: relative to the working directory when inside it
// (repositories are scanned from their root), with forward slashes; else a file URI.
[[nodiscard]] inline std::string sarif_uri(const std::string& source) {
    std::error_code ec;
    const std::filesystem::path path(source);
    const std::filesystem::path base = std::filesystem::current_path(ec);
    if (!ec && path.is_absolute()) {
        const std::filesystem::path relative = std::filesystem::relative(path, base, ec);
        if (!ec && !relative.empty() && *relative.begin() != "..") return relative.generic_string();
        return "file://" + std::string(path.generic_string().starts_with('/') ? "" : "/") + path.generic_string();
    }
    return path.generic_string();
}

// The provenance of the object a piece of evidence names ("Consumer.CommandLineTemplate" -> the consumer).
[[nodiscard]] inline const wmisub::provenance* sarif_origin(const wmisub::subscription_facts& f, std::string_view field) {
    const wmisub::provenance* filter = f.filter != nullptr ? &f.filter->origin : nullptr;
    const wmisub::provenance* consumer = f.consumer != nullptr ? &wmisub::header_of(*f.consumer).origin : nullptr;
    const wmisub::provenance* binding = f.binding != nullptr ? &f.binding->origin : nullptr;
    if (field.starts_with("Filter") && filter != nullptr) return filter;
    if (field.starts_with("Binding") && binding != nullptr) return binding;
    if (consumer != nullptr) return consumer;
    return filter != nullptr ? filter : binding;
}

// One result per finding, at the object its first evidence names.
[[nodiscard]] inline ojson sarif_result(const wmisub::subscription_graph& graph, const wmisub::assessment& a,
                                        const wmisub::finding& fi, std::size_t rule_index) {
    const wmisub::subscription_facts& f = a.facts;
    std::string message = std::string(fi.title());
    if (f.filter != nullptr) message += ": filter \"" + f.filter->name + "\"";
    if (f.consumer != nullptr) message += (f.filter != nullptr ? ", consumer \"" : ": consumer \"") + wmisub::header_of(*f.consumer).name + "\"";
    for (const wmisub::evidence& e : fi.evidence) {
        message += "\n" + e.field + ": " + e.excerpt + (e.detail.empty() ? "" : " (" + e.detail + ")");
    }
    ojson result{{"ruleId", fi.id()},
                 {"ruleIndex", rule_index},
                 {"level", sarif_level(fi.severity)},
                 {"message", {{"text", message}}}};
    const wmisub::provenance* origin = sarif_origin(f, fi.evidence.empty() ? std::string_view() : std::string_view(fi.evidence.front().field));
    ojson locations = ojson::array();
    if (origin != nullptr && !origin->where.source.empty()) {
        ojson physical{{"artifactLocation", {{"uri", sarif_uri(origin->where.source)}}}};
        if (origin->where.line > 0) {
            ojson region{{"startLine", origin->where.line}};
            if (origin->where.column > 0) region["startColumn"] = origin->where.column;
            physical["region"] = std::move(region);
        }
        locations.push_back({{"physicalLocation", std::move(physical)}});
    }
    result["locations"] = std::move(locations);
    result["partialFingerprints"] = {{"wmisubSubscription/v1", ecs_event_id(graph, *f.entry) + "/" + std::string(fi.id())}};
    result["properties"] = {{"score", a.risk.score},
                            {"coreScore", a.risk.core_score},
                            {"contextOnly", a.risk.context_only},
                            {"subscriptionSeverity", wmisub::to_string(a.risk.severity)},
                            {"state", wmisub::to_string(f.entry->state)},
                            {"namespace", f.entry->namespace_path},
                            {"allowListed", a.allow_listed}};
    return result;
}

// The SARIF log around the results; `results` is filled by the caller as the scan goes.
[[nodiscard]] inline ojson sarif_log(ojson rules, ojson results) {
    return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
            {"version", "2.1.0"},
            {"runs",
             {{{"tool",
                {{"driver",
                  {{"name", "wmisub"},
                   {"semanticVersion", WMISUB_VERSION_STRING},
                   {"rules", std::move(rules)}}}}},
               {"results", std::move(results)}}}}};
}

}  // namespace wmisub_cli
