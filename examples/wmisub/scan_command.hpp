// `wmisub scan [SOURCES] [--format text|json] [--fail-on SEVERITY]`: collect,
// join, judge and report every subscription with its trigger, payload and reasons.
#pragma once

#include "cli.hpp"
#include "ecs.hpp"
#include "policy_file.hpp"
#include "sarif.hpp"
#include "sources.hpp"
#include "terminal.hpp"
#include "wql_command.hpp"

#include <wmisub/assess.hpp>
#include <wmisub/baseline.hpp>
#include <wmisub/engine.hpp>
#include <wmisub/json.hpp>


#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wmisub_cli {

inline constexpr const char* scan_help =
    "usage: wmisub scan SOURCES [--format text|json|ndjson|sarif] [--fail-on SEVERITY]\n"
    "                           [--policy FILE] [--baseline FILE] [--host NAME] [--quiet]\n"
    "\n"
    "Collects WMI permanent event subscriptions from the sources, joins bindings to\n"
    "filters and consumers, and scores each one with the reasons and evidence.\n"
    "\n"
    "  --format FORMAT           text for people (default; grouped by severity,\n"
    "                            coloured on a terminal unless NO_COLOR is set),\n"
    "                            json (wmisub.report/1), or ndjson: one document per\n"
    "                            subscription with Elastic Common Schema 8.11 names\n"
    "                            (event.kind alert at or above --fail-on; -q keeps\n"
    "                            only those), or sarif: SARIF 2.1.0 for code\n"
    "                            scanning, one result per finding at its file:line\n"
    "  --fail-on SEVERITY        exit 1 when something scores at or above it:\n"
    "                            info, low, medium, high (default), critical, never\n"
    "  --policy FILE             wmisub.policy/1 JSON: allowed_fingerprints,\n"
    "                            disabled_rules, severity_overrides\n"
    "  --baseline FILE           content approved there drops to info; objects that\n"
    "                            changed since say which fields changed\n"
    "  --host NAME               the scanned machine's name: host.name of ndjson lines (default:\n"
    "                            the snapshot's), and object paths naming it are local\n"
    "  -q, --quiet               no progress or notes on stderr; text and ndjson list\n"
    "                            only subscriptions at or above --fail-on (none with\n"
    "                            --fail-on never): errors alone remain\n"
    "  -h, --help                this help\n"
    "\n"
    "Exit status: 0 nothing at or above --fail-on, 1 something is, 2 usage error or\n"
    "no source could be read.\n"
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

// `text` on one line, at most `max` bytes, cut between words as evidence is (excerpt_of()).
inline std::string one_line(std::string text, std::size_t max = 160) {
    for (char& ch : text) {
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
    }
    return text.size() > max ? wmisub::excerpt_of(text, max) : text;
}

// SGR colour of a severity.
[[nodiscard]] inline std::string_view severity_colour(wmisub::severity s) noexcept {
    switch (s) {
    case wmisub::severity::critical: return "1;31";
    case wmisub::severity::high: return "31";
    case wmisub::severity::medium: return "33";
    case wmisub::severity::low: return "36";
    case wmisub::severity::info: return "2";
    }
    return "0";
}

[[nodiscard]] inline std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return out;
}

// Why the score is what it is, in a responder's words (assess.hpp's scoring model).
[[nodiscard]] inline std::string score_reason(const wmisub::assessment& a) {
    if (a.allow_listed) return "allow-listed by its content fingerprints: info, findings kept for the record";
    if (a.findings.empty()) return {};
    if (a.risk.context_only) {
        return "only context (when, where, how it runs) and no behaviour or provenance evidence: held below high";
    }
    const wmisub::severity band = wmisub::severity_of_score(a.risk.core_score);
    std::string out = "behaviour and provenance findings make it " + std::string(wmisub::to_string(band)) + " (" +
                      std::to_string(a.risk.core_score) + ")";
    if (a.risk.score != a.risk.core_score) out += "; context places it at " + std::to_string(a.risk.score) + " within that band";
    if (a.risk.severity != band) out += "; capped at " + std::string(wmisub::to_string(a.risk.severity)) + " (built-in content)";
    return out;
}

inline void print_assessment_text(const wmisub::assessment& a, const palette& colour) {
    const wmisub::subscription_facts& f = a.facts;
    const std::string title = f.filter != nullptr ? f.filter->name
                              : f.consumer != nullptr ? wmisub::header_of(*f.consumer).name
                                                      : std::string("(binding)");
    std::printf("%s  %s  [%s, %s]%s\n", colour.paint(severity_colour(a.risk.severity), "score " + std::to_string(a.risk.score)).c_str(),
                colour.paint("1", title).c_str(), std::string(wmisub::to_string(f.entry->state)).c_str(),
                f.entry->namespace_path.c_str(), a.allow_listed ? "  (allow-listed)" : "");
    if (f.trigger != nullptr) {
        std::printf("  when      %s  (%s)\n", wmisub::describe(f.trigger->trigger, f.timer_interval_ms()).c_str(),
                    std::string(wmisub::to_string(f.trigger->trigger.kind)).c_str());
    } else if (f.query_error) {
        std::printf("  when      never: the query does not parse (%s)\n", f.query_error->to_string().c_str());
    }
    if (f.filter != nullptr) std::printf("  filter    %s\n", one_line(f.filter->query).c_str());
    if (f.consumer != nullptr) {
        const auto& h = wmisub::header_of(*f.consumer);
        std::printf("  runs      %s\n", one_line(payload_summary(*f.consumer)).c_str());
        std::printf("  consumer  %s \"%s\"\n", h.class_name.c_str(), h.name.c_str());
    }
    if (!f.entry->unresolved.empty()) std::printf("  unbound   %s\n", f.entry->unresolved.c_str());
    if (!f.builtin.empty()) std::printf("  built-in  %s (matched by content)\n", f.builtin.c_str());
    if (const std::string why = score_reason(a); !why.empty()) std::printf("  why       %s\n", why.c_str());
    for (const wmisub::finding& fi : a.findings) {
        const std::string kind = fi.rule ? std::string(wmisub::to_string(fi.rule->evidence_class)) : std::string("behaviour");
        std::printf("  %s %s %s (%s)\n", colour.paint(severity_colour(fi.severity), "[" + std::string(wmisub::to_string(fi.severity)) + "]").c_str(),
                    std::string(fi.id()).c_str(), std::string(fi.title()).c_str(), kind.c_str());
        for (const wmisub::evidence& e : fi.evidence) {
            std::printf("      %s: %s%s%s\n", e.field.c_str(), one_line(e.excerpt, 120).c_str(), e.detail.empty() ? "" : " — ",
                        one_line(e.detail, 120).c_str());
        }
    }
    std::printf("\n");
}

// Entries grouped under one heading per severity, highest first (results are sorted by score);
// those below `shown_from` are left out, and all of them when it is nullopt (-q --fail-on never).
inline void print_report_text(const std::vector<wmisub::assessment>& results, const wmisub::snapshot& snap,
                              std::optional<wmisub::severity> shown_from, bool quiet, const palette& colour) {
    std::size_t counts[5] = {};
    for (const auto& a : results) ++counts[static_cast<int>(a.risk.severity)];
    if (!quiet) {
        std::printf("wmisub scan: %s from %s: %zu critical, %zu high, %zu medium, %zu low, %zu info; %s\n\n",
                    counted(results.size(), "subscription").c_str(), describe_objects(snap.counts()).c_str(), counts[4],
                    counts[3], counts[2], counts[1], counts[0], counted(snap.errors.size(), "error").c_str());
    }
    for (int level = 4; shown_from && level >= static_cast<int>(*shown_from); --level) {
        const auto s = static_cast<wmisub::severity>(level);
        if (counts[level] == 0) continue;
        std::printf("%s\n\n", colour.paint(severity_colour(s), "== " + upper(wmisub::to_string(s)) + " (" + std::to_string(counts[level]) + ") ==").c_str());
        for (const auto& a : results) {
            if (a.risk.severity == s) print_assessment_text(a, colour);
        }
    }
    for (const auto& e : snap.errors) std::printf("error: %s: %s\n", e.source.c_str(), e.error.to_string().c_str());
}

// What `scan` was asked to do.
struct scan_options {
    source_set sources;
    std::optional<std::string> baseline_file;
    std::optional<std::string> policy_file;
    std::string host;
    output_format format = output_format::text;
    std::optional<wmisub::severity> fail_on = wmisub::severity::high;  // nullopt: never
    bool quiet = false;
};

// Reads the options; returns an exit code when the command ends here (help or usage error).
[[nodiscard]] inline std::optional<int> parse_scan_options(arguments& args, scan_options& o) {
    while (!args.empty()) {
        std::string error;
        switch (take_common_option(args, scan_help, o.quiet, o.sources, error)) {
        case common_option::help: return exit_clean;
        case common_option::taken:
            if (!error.empty()) return usage_error("scan", error);
            continue;
        case common_option::none: break;
        }
        if (auto value = args.take_value("--format", error)) {
            const auto format = parse_format(*value, true);
            if (!format) return usage_error("scan", "unknown format '" + *value + "' (text, json, ndjson or sarif)");
            o.format = *format;
        } else if (auto baseline = args.take_value("--baseline", error)) {
            o.baseline_file = *baseline;
        } else if (auto policy = args.take_value("--policy", error)) {
            o.policy_file = *policy;
        } else if (auto host = args.take_value("--host", error)) {
            o.host = *host;
        } else if (auto level = args.take_value("--fail-on", error)) {
            if (!parse_fail_on(*level, o.fail_on)) return usage_error("scan", "unknown severity '" + *level + "'");
        } else if (!error.empty()) {
            return usage_error("scan", error);
        } else {
            return usage_error("scan", "unknown option '" + std::string(args.peek()) + "'");
        }
    }
    if (o.sources.empty()) return usage_error("scan", "give at least one source (--mof PATH or --snapshot FILE)");
    return std::nullopt;
}

// The policy from --policy and --baseline; an error message when a file is unusable.
[[nodiscard]] inline std::string build_policy(const scan_options& o, wmisub::policy& policy, std::optional<wmisub::baseline>& approved) {
    if (o.policy_file) {
        const std::string error = load_policy_file(*o.policy_file, policy, wmisub::rule_catalog::builtin());
        if (!error.empty()) return *o.policy_file + ": " + error;
    }
    if (o.baseline_file) {
        auto loaded = wmisub::load_baseline(*o.baseline_file);
        if (!loaded) return *o.baseline_file + ": " + loaded.error().to_string();
        approved = std::move(*loaded);
        for (const auto& e : approved->entries) policy.allowed_fingerprints.push_back(e.fingerprint);
    }
    return {};
}

// Scans every entry with the engine, the changes since the baseline visible to its rules,
// handing each assessment to `use` as it is made; shows progress on a terminal for long runs.
template <class Use>
wmisub::scan_summary scan_with_progress(const wmisub::engine& engine, const wmisub::subscription_graph& graph,
                                        const wmisub::graph_changes* changes, bool quiet, Use&& use) {
    wmisub::scanner scanner(engine);
    progress shown("assessing", graph.entries().size(), quiet);
    std::size_t done = 0;
    const auto each = [&](wmisub::assessment& a) {
        use(a);
        shown.update(++done);
    };
    return changes != nullptr ? scanner.scan(graph, *changes, each) : scanner.scan(graph, each);
}

// Writes pieces of a streamed document to stdout.
[[nodiscard]] inline bool write_stdout(std::string_view piece) {
    return std::fwrite(piece.data(), 1, piece.size(), stdout) == piece.size();
}

// Scans and writes the report: json and ndjson as each assessment is made (in the graph's
// order, nothing held but the current one), text once all are in (it groups by severity).
// Returns true when something at or above --fail-on is not allow-listed.
[[nodiscard]] inline bool scan_and_report(const scan_options& o, const wmisub::engine& engine,
                                          const wmisub::subscription_graph& graph, const wmisub::graph_changes* changes) {
    bool failing = false;
    const auto judge = [&](const wmisub::assessment& a) {
        if (o.fail_on && !a.allow_listed && a.risk.severity >= *o.fail_on) failing = true;
    };
    const wmisub::snapshot& snap = graph.source();
    switch (o.format) {
    case output_format::json: {
        wmisub::report_writer writer(write_stdout);
        const wmisub::scan_summary summary = scan_with_progress(engine, graph, changes, o.quiet, [&](const wmisub::assessment& a) {
            judge(a);
            (void)writer.write(a);
        });
        if (auto done = writer.finish(snap, &summary); !done) {
            std::fprintf(stderr, "wmisub scan: %s\n", done.error().to_string().c_str());
        }
        break;
    }
    case output_format::ndjson: {
        // One document per subscription; -q keeps only those at or above --fail-on, as in text.
        const ecs_context ctx = make_ecs_context(snap, o.host, o.fail_on);
        (void)scan_with_progress(engine, graph, changes, o.quiet, [&](const wmisub::assessment& a) {
            judge(a);
            if (o.quiet && !ecs_is_alert(a, ctx)) return;
            std::printf("%s\n", ecs_subscription(graph, a, ctx).dump(-1, ' ', false, ojson::error_handler_t::replace).c_str());
        });
        break;
    }
    case output_format::sarif: {
        // Code scanning reads the log whole; results are kept as JSON only (the assessments are not).
        std::map<std::string, std::size_t> rule_index;
        ojson rules = sarif_rules(engine.catalog(), rule_index);
        ojson results = ojson::array();
        (void)scan_with_progress(engine, graph, changes, o.quiet, [&](const wmisub::assessment& a) {
            judge(a);
            for (const wmisub::finding& fi : a.findings) {
                if (o.quiet && (!o.fail_on || a.allow_listed || fi.severity < *o.fail_on)) continue;
                const auto at = rule_index.find(std::string(fi.id()));
                results.push_back(sarif_result(graph, a, fi, at != rule_index.end() ? at->second : 0));
            }
        });
        std::printf("%s\n", sarif_log(std::move(rules), std::move(results)).dump(2, ' ', false, ojson::error_handler_t::replace).c_str());
        break;
    }
    case output_format::text: {
        std::vector<wmisub::assessment> results;
        results.reserve(graph.entries().size());
        (void)scan_with_progress(engine, graph, changes, o.quiet, [&](wmisub::assessment& a) {
            judge(a);
            results.push_back(std::move(a));
        });
        std::stable_sort(results.begin(), results.end(), [](const auto& x, const auto& y) { return x.risk.score > y.risk.score; });
        const palette colour(is_terminal(stdout) && colour_allowed());
        const std::optional<wmisub::severity> shown_from = o.quiet ? o.fail_on : wmisub::severity::info;
        print_report_text(results, snap, shown_from, o.quiet, colour);
        break;
    }
    }
    return failing;
}

inline int run_scan(arguments& args) {
    scan_options o;
    if (const auto done = parse_scan_options(args, o)) return *done;
    wmisub::policy policy;
    std::optional<wmisub::baseline> approved;
    if (const std::string error = build_policy(o, policy, approved); !error.empty()) {
        std::fprintf(stderr, "wmisub scan: %s\n", error.c_str());
        return exit_usage;
    }
    auto snap = collect_sources("scan", o.sources, o.quiet);
    if (!snap) return exit_usage;
    const bool unreadable = report_unreadable("scan", o.sources, *snap);
    wmisub::host_context host;
    host.host_name = o.host;  // also a name paths may give this machine (`\\WS01\ROOT\…` in __PATH)
    const wmisub::engine engine(wmisub::rule_catalog::builtin(), std::move(policy), wmisub::limits{}, std::move(host));
    const wmisub::subscription_graph graph = engine.graph(std::move(*snap));
    const std::optional<wmisub::graph_changes> changes =
        approved ? std::optional<wmisub::graph_changes>(wmisub::diff(*approved, graph)) : std::nullopt;
    const bool failing = scan_and_report(o, engine, graph, changes ? &*changes : nullptr);
    if (unreadable) return exit_usage;  // the report is written, but a source was not (all) read
    return failing ? exit_findings : exit_clean;
}

}  // namespace wmisub_cli
