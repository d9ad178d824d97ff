// `wmisub scan [SOURCES] [--format text|json] [--fail-on SEVERITY]`: collect,
// join, judge and report every subscription with its trigger, payload and reasons.
#pragma once

#include "cli.hpp"
#include "sources.hpp"
#include "wql_command.hpp"

#include <wmisub/assess.hpp>
#include <wmisub/baseline.hpp>
#include <wmisub/json.hpp>


#include <cstdio>
#include <string>
#include <vector>

namespace wmisub_cli {

inline constexpr const char* scan_help =
    "usage: wmisub scan SOURCES [--format text|json] [--fail-on SEVERITY]\n"
    "\n"
    "Collects WMI permanent event subscriptions from the sources, joins bindings to\n"
    "filters and consumers, and scores each one with the reasons and evidence.\n"
    "\n"
    "  --format text|json        output format (default text)\n"
    "  --baseline FILE           content approved there drops to info; objects that\n"
    "                            changed since say which fields changed\n"
    "  --fail-on SEVERITY        exit 1 when something scores at or above it:\n"
    "                            info, low, medium, high (default), critical\n"
    "  -h, --help                this help\n"
    "\n";

// The consumer's main payload text for people.
inline std::string payload_summary(const wmisub::consumer& c) {
    return std::visit(
        [](const auto& typed) -> std::string {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, wmisub::command_line_consumer>) {
                return typed.command_line_template.value_or(typed.executable_path.value_or(""));
            } else if constexpr (std::is_same_v<T, wmisub::active_script_consumer>) {
                return typed.script_text ? typed.scripting_engine.value_or("script") + ": " + *typed.script_text
                                         : "script file " + typed.script_file_name.value_or("");
            } else if constexpr (std::is_same_v<T, wmisub::log_file_consumer>) {
                return "writes " + typed.filename.value_or("?") + ": " + typed.text.value_or("");
            } else if constexpr (std::is_same_v<T, wmisub::nt_event_log_consumer>) {
                return "logs event " + std::to_string(typed.event_id.value_or(0)) + " as " + typed.source_name.value_or("?");
            } else if constexpr (std::is_same_v<T, wmisub::smtp_consumer>) {
                return "mails " + typed.to_line.value_or("?") + " via " + typed.smtp_server.value_or("?");
            } else {
                return "custom consumer class " + typed.class_name;
            }
        },
        c);
}

inline std::string one_line(std::string text, std::size_t max = 160) {
    for (char& ch : text) {
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
    }
    if (text.size() > max) text = text.substr(0, max) + "…";
    return text;
}

inline ojson assessment_json(const wmisub::assessment& a) {
    const wmisub::subscription_facts& f = a.facts;
    ojson j{{"state", wmisub::to_string(f.entry->state)}, {"namespace", f.entry->namespace_path}};
    j["filter"] = f.filter != nullptr ? wmisub::to_json(*f.filter) : ojson(nullptr);
    j["consumer"] = f.consumer != nullptr ? wmisub::to_json(*f.consumer) : ojson(nullptr);
    j["binding"] = f.binding != nullptr ? wmisub::to_json(*f.binding) : ojson(nullptr);
    if (f.trigger) {
        ojson t = trigger_json(f.trigger->trigger);
        t["event_class"] = f.trigger->event_class;
        t["category"] = wmisub::to_string(f.trigger->category);
        t["target_class"] = f.trigger->target_class.empty() ? ojson(nullptr) : ojson(f.trigger->target_class);
        t["within_seconds"] = f.trigger->within_seconds ? ojson(*f.trigger->within_seconds) : ojson(nullptr);
        std::optional<std::uint64_t> interval;
        if (!f.timers.empty() && f.timers.front()->interval_between_events) interval = *f.timers.front()->interval_between_events;
        t["description"] = wmisub::describe(f.trigger->trigger, interval);
        if (interval) t["timer_interval_ms"] = *interval;
        j["trigger"] = t;
    } else {
        j["trigger"] = nullptr;
    }
    j["risk"] = {{"score", a.risk.score}, {"severity", wmisub::to_string(a.risk.severity)}};
    j["allow_listed"] = a.allow_listed;
    if (!f.builtin.empty()) j["builtin"] = f.builtin;
    ojson findings = ojson::array();
    for (const wmisub::finding& fi : a.findings) {
        ojson evidence = ojson::array();
        for (const wmisub::evidence& e : fi.evidence) evidence.push_back({{"field", e.field}, {"excerpt", e.excerpt}, {"detail", e.detail}});
        findings.push_back({{"rule", fi.rule}, {"severity", wmisub::to_string(fi.severity)}, {"title", fi.title},
                            {"techniques", fi.techniques}, {"evidence", evidence}});
    }
    j["findings"] = findings;
    return j;
}

inline void print_assessment_text(const wmisub::assessment& a) {
    const wmisub::subscription_facts& f = a.facts;
    std::string level = std::string(wmisub::to_string(a.risk.severity));
    for (char& c : level) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    std::printf("%-8s score %3d  %s  %s%s\n", level.c_str(), a.risk.score, std::string(wmisub::to_string(f.entry->state)).c_str(),
                f.entry->namespace_path.c_str(), a.allow_listed ? "  (allow-listed)" : "");
    if (f.filter != nullptr) std::printf("  filter    %s: %s\n", f.filter->name.c_str(), one_line(f.filter->query).c_str());
    if (f.trigger) {
        std::optional<std::uint64_t> interval;
        if (!f.timers.empty() && f.timers.front()->interval_between_events) interval = *f.timers.front()->interval_between_events;
        std::printf("  trigger   %s: %s\n", std::string(wmisub::to_string(f.trigger->trigger.kind)).c_str(),
                    wmisub::describe(f.trigger->trigger, interval).c_str());
    }
    if (f.consumer != nullptr) {
        const auto& h = wmisub::header_of(*f.consumer);
        std::printf("  consumer  %s %s: %s\n", h.class_name.c_str(), h.name.c_str(), one_line(payload_summary(*f.consumer)).c_str());
    }
    if (!f.builtin.empty()) std::printf("  built-in  %s (matched by content)\n", f.builtin.c_str());
    for (const wmisub::finding& fi : a.findings) {
        std::printf("  [%s] %s %s\n", std::string(wmisub::to_string(fi.severity)).c_str(), fi.rule.c_str(), fi.title.c_str());
        for (const wmisub::evidence& e : fi.evidence) {
            std::printf("      %s: %s%s%s\n", e.field.c_str(), one_line(e.excerpt, 120).c_str(), e.detail.empty() ? "" : " — ",
                        one_line(e.detail, 120).c_str());
        }
    }
    std::printf("\n");
}

// Adds a finding to every assessment whose filter or consumer changed since the baseline.
inline void note_baseline_changes(std::vector<wmisub::assessment>& results, const wmisub::baseline_diff& d) {
    for (auto& a : results) {
        std::vector<wmisub::evidence> changes;
        auto collect = [&](const wmisub::object_path& id) {
            const std::string key = wmisub::identity_key(id);
            for (const auto& m : d.modified) {
                if (m.identity_key != key) continue;
                for (const auto& c : m.changes) changes.push_back({c.field, one_line(c.new_text, 120), "was: " + one_line(c.old_text, 120)});
            }
        };
        if (a.facts.filter != nullptr) collect(wmisub::identity_of(*a.facts.filter));
        if (a.facts.consumer != nullptr) collect(wmisub::identity_of(*a.facts.consumer));
        if (changes.empty()) continue;
        a.findings.insert(a.findings.begin(), wmisub::finding{"WMISUB-BSL-001", wmisub::severity::medium,
                                                              "Changed since the baseline", {"T1546.003"}, std::move(changes)});
        a.risk = wmisub::score_findings(a.findings);
    }
}

inline int run_scan(arguments& args) {
    source_set sources;
    std::optional<std::string> baseline_file;
    std::string format = "text";
    wmisub::severity fail_on = wmisub::severity::high;
    while (!args.empty()) {
        std::string error;
        if (args.peek() == "-h" || args.peek() == "--help") {
            std::printf("%s%s", scan_help, sources_help);
            return exit_clean;
        }
        if (take_source(args, sources, error)) {
            if (!error.empty()) return usage_error("scan", error);
            continue;
        }
        if (auto value = args.take_value("--format", error)) {
            if (*value != "text" && *value != "json") return usage_error("scan", "unknown format '" + *value + "' (text or json)");
            format = *value;
            continue;
        }
        if (auto value = args.take_value("--baseline", error)) {
            baseline_file = *value;
            continue;
        }
        if (auto value = args.take_value("--fail-on", error)) {
            auto s = wmisub::severity_from_string(*value);
            if (!s) return usage_error("scan", "unknown severity '" + *value + "'");
            fail_on = *s;
            continue;
        }
        if (!error.empty()) return usage_error("scan", error);
        return usage_error("scan", "unexpected argument '" + std::string(args.peek()) + "'");
    }
    if (sources.empty()) return usage_error("scan", "give at least one source (--mof PATH or --snapshot FILE)");
    wmisub::composite_collector collector = sources.make();
    auto snap = collector.collect({});
    if (!snap) {
        std::fprintf(stderr, "wmisub scan: %s\n", snap.error().to_string().c_str());
        return exit_usage;
    }
    wmisub::policy policy;
    std::optional<wmisub::baseline> approved;
    if (baseline_file) {
        auto loaded = wmisub::load_baseline(*baseline_file);
        if (!loaded) {
            std::fprintf(stderr, "wmisub scan: %s: %s\n", baseline_file->c_str(), loaded.error().to_string().c_str());
            return exit_usage;
        }
        approved = std::move(*loaded);
        for (const auto& e : approved->entries) policy.allowed_fingerprints.push_back(e.fingerprint);
    }
    const wmisub::subscription_graph graph(*snap);
    std::vector<wmisub::assessment> results = wmisub::assess(graph, wmisub::rule_catalog::builtin(), policy);
    if (approved) note_baseline_changes(results, wmisub::diff(*approved, *snap));
    std::stable_sort(results.begin(), results.end(),
                     [](const auto& x, const auto& y) { return x.risk.score > y.risk.score; });
    bool failing = false;
    for (const auto& a : results) failing = failing || (!a.allow_listed && a.risk.severity >= fail_on);
    if (format == "json") {
        ojson subs = ojson::array();
        for (const auto& a : results) subs.push_back(assessment_json(a));
        ojson errors = ojson::array();
        for (const auto& e : snap->errors) {
            errors.push_back({{"source", e.source}, {"namespace", e.namespace_path}, {"message", e.error.to_string()},
                              {"location", e.error.location.to_string()}});
        }
        const ojson report{{"schema", "wmisub.report/1"}, {"subscriptions", subs}, {"errors", errors}};
        std::printf("%s\n", report.dump(2, ' ', false, ojson::error_handler_t::replace).c_str());
    } else {
        std::printf("wmisub scan: %zu subscription entries, %zu errors\n\n", results.size(), snap->errors.size());
        for (const auto& a : results) print_assessment_text(a);
        for (const auto& e : snap->errors) std::printf("error: %s: %s\n", e.source.c_str(), e.error.to_string().c_str());
    }
    return failing ? exit_findings : exit_clean;
}

}  // namespace wmisub_cli
