// `wmisub collect`, `wmisub baseline` and `wmisub diff`: snapshots and baselines
// written atomically with a checksum, and field-level diffs against a baseline.
#pragma once

#include "cli.hpp"
#include "scan_command.hpp"
#include "sources.hpp"

#include <wmisub/assess.hpp>
#include <wmisub/baseline.hpp>
#include <wmisub/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wmisub_cli {

inline constexpr const char* collect_help =
    "usage: wmisub collect SOURCES -o FILE\n"
    "       wmisub baseline SOURCES -o FILE\n"
    "\n"
    "collect writes a wmisub.snapshot/1 file of every object the sources hold;\n"
    "baseline writes a wmisub.baseline/1 file approving them. Both are written\n"
    "atomically with a content checksum.\n"
    "\n"
    "  -o, --output FILE   where to write (required)\n"
    "  -q, --quiet         no note on stderr\n"
    "  -h, --help          this help\n"
    "\n";

inline constexpr const char* diff_help =
    "usage: wmisub diff --baseline FILE SOURCES [--format text|json] [--fail-on LEVEL]\n"
    "\n"
    "Compares the sources with a baseline: objects added, removed, modified (with\n"
    "every changed field, old and new) and bindings re-pointed. Each change is graded\n"
    "with the severity wmisub gives the subscriptions it touches now (a removed\n"
    "object is info).\n"
    "\n"
    "  --baseline FILE      the approved baseline (required; a damaged file is an error)\n"
    "  --format text|json   output format (default text; json is wmisub.diff/1, each\n"
    "                       change with its \"severity\")\n"
    "  --fail-on LEVEL      exit 1 when a change is graded at or above LEVEL: any (every\n"
    "                       change), info, low, medium, high (default), critical, never\n"
    "  -q, --quiet          no notes on stderr\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit status: 0 no change at or above --fail-on, 1 some change is, 2 usage error or\n"
    "unreadable input.\n"
    "\n";

// `collect` (write_baseline false) and `baseline` (true).
inline int run_collect(arguments& args, bool write_baseline) {
    const char* name = write_baseline ? "baseline" : "collect";
    output_command o;
    if (const auto done = parse_output_command(args, name, collect_help, o)) return *done;
    const source_set& sources = o.sources;
    const std::optional<std::string>& output = o.output;
    const bool quiet = o.quiet;
    auto snap = collect_sources(name, sources, quiet);
    if (!snap) return exit_usage;
    std::string written = describe_objects(snap->counts());
    std::string notes;
    wmisub::result<void> saved;
    if (write_baseline) {
        const wmisub::baseline approved = wmisub::make_baseline(*snap);
        const std::size_t repeated = snap->counts().total() - approved.counts().total();
        written = describe_objects(approved.counts());
        if (repeated > 0) notes = counted(repeated, "exact copy", "exact copies") + " approved once; ";
        saved = wmisub::save_baseline(*output, approved);
    } else {
        saved = wmisub::save_snapshot(*output, *snap);
    }
    if (!saved) {
        std::fprintf(stderr, "wmisub %s: %s\n", name, saved.error().to_string().c_str());
        return exit_usage;
    }
    const bool unreadable = report_unreadable(name, sources, *snap);
    if (!quiet) {
        std::fprintf(stderr, "wmisub %s: wrote %s to %s (%s%s)\n", name, written.c_str(), output->c_str(), notes.c_str(),
                     counted(snap->errors.size(), "error").c_str());
    }
    return unreadable ? exit_usage : exit_clean;
}

// The severity of each object now: the highest of the graph entries it is part of.
class change_grades {
public:
    explicit change_grades(const std::vector<wmisub::assessment>& results) {
        for (const auto& a : results) {
            const auto& f = a.facts;
            if (f.filter != nullptr) raise(wmisub::identity_key_of(wmisub::wmi_object{*f.filter}), a.risk.severity);
            if (f.consumer != nullptr) raise(wmisub::identity_key_of(wmisub::wmi_object{*f.consumer}), a.risk.severity);
            if (f.binding != nullptr) raise(wmisub::identity_key_of(wmisub::wmi_object{*f.binding}), a.risk.severity);
        }
    }
    // The grade of the object with this identity key (info when no entry holds it).
    [[nodiscard]] wmisub::severity of(const std::string& key) const {
        const auto it = grades_.find(key);
        return it == grades_.end() ? wmisub::severity::info : it->second;
    }

private:
    void raise(std::string key, wmisub::severity s) {
        auto [it, added] = grades_.try_emplace(std::move(key), s);
        if (!added && s > it->second) it->second = s;
    }
    std::map<std::string, wmisub::severity> grades_;
};

// The severity of every change, in the order of the diff's lists.
struct graded_diff {
    std::vector<wmisub::severity> added, modified, rebindings;
    wmisub::severity highest = wmisub::severity::info;
    bool any = false;
};

[[nodiscard]] inline graded_diff grade(const wmisub::baseline_diff& d, const change_grades& grades) {
    graded_diff g;
    auto note = [&](std::vector<wmisub::severity>& list, wmisub::severity s) {
        list.push_back(s);
        g.highest = std::max(g.highest, s);
        g.any = true;
    };
    for (const auto& o : d.added) note(g.added, grades.of(o.identity_key));
    for (const auto& m : d.modified) note(g.modified, grades.of(m.identity_key));
    for (const auto& r : d.rebindings) {
        // The binding that now exists is among the added objects.
        wmisub::severity s = wmisub::severity::info;
        for (std::size_t i = 0; i < d.added.size(); ++i) {
            if (d.added[i].identity == r.new_binding) s = std::max(s, g.added[i]);
        }
        note(g.rebindings, s);
    }
    if (!d.removed.empty()) g.any = true;
    return g;
}

inline void print_diff_text(const wmisub::baseline_diff& d, const graded_diff& g) {
    std::printf("wmisub diff: %s against %s approved: %zu added, %zu removed, %zu modified, %zu re-pointed, %zu unchanged",
                describe_objects(d.observed).c_str(), counted(d.approved.total(), "object").c_str(), d.added.size(),
                d.removed.size(), d.modified.size(), d.rebindings.size(), d.unchanged);
    if (d.repeated > 0) std::printf(", %s compared once", counted(d.repeated, "exact copy", "exact copies").c_str());
    std::printf("\n");
    auto level = [](wmisub::severity s) { return std::string(wmisub::to_string(s)); };
    for (std::size_t i = 0; i < d.added.size(); ++i) std::printf("added      [%s] %s\n", level(g.added[i]).c_str(), d.added[i].identity.c_str());
    for (const auto& o : d.removed) std::printf("removed    %s\n", o.identity.c_str());
    for (std::size_t i = 0; i < d.modified.size(); ++i) {
        std::printf("modified   [%s] %s\n", level(g.modified[i]).c_str(), d.modified[i].identity.c_str());
        for (const auto& c : d.modified[i].changes) {
            std::printf("    %s: %s -> %s\n", c.field.c_str(), one_line(c.old_text).c_str(), one_line(c.new_text).c_str());
        }
    }
    for (std::size_t i = 0; i < d.rebindings.size(); ++i) {
        std::printf("re-pointed [%s] %s\n", level(g.rebindings[i]).c_str(), d.rebindings[i].description.c_str());
    }
}

// wmisub.diff/1 with a "severity" on every added, modified and re-pointed entry.
[[nodiscard]] inline ojson diff_json(const wmisub::baseline_diff& d, const graded_diff& g) {
    ojson j = wmisub::to_json(d);
    auto grade_list = [&](const char* key, const std::vector<wmisub::severity>& grades) {
        if (!j.contains(key) || !j[key].is_array()) return;
        for (std::size_t i = 0; i < j[key].size() && i < grades.size(); ++i) j[key][i]["severity"] = wmisub::to_string(grades[i]);
    };
    grade_list("added", g.added);
    grade_list("modified", g.modified);
    grade_list("rebindings", g.rebindings);
    for (auto& removed : j["removed"]) removed["severity"] = "info";
    return j;
}

// What `diff` was asked to do.
struct diff_options {
    source_set sources;
    std::optional<std::string> baseline_file;
    output_format format = output_format::text;
    std::optional<wmisub::severity> fail_on = wmisub::severity::high;  // nullopt: never
    bool fail_on_any = false;
    bool quiet = false;
};

[[nodiscard]] inline std::optional<int> parse_diff_options(arguments& args, diff_options& o) {
    while (!args.empty()) {
        std::string error;
        if (args.peek() == "-h" || args.peek() == "--help") {
            std::printf("%s%s", diff_help, sources_help);
            return exit_clean;
        }
        if (args.peek() == "-q" || args.peek() == "--quiet") {
            args.take();
            o.quiet = true;
            continue;
        }
        if (take_source(args, o.sources, error)) {
            if (!error.empty()) return usage_error("diff", error);
            continue;
        }
        if (auto baseline = args.take_value("--baseline", error)) {
            o.baseline_file = *baseline;
        } else if (auto value = args.take_value("--format", error)) {
            const auto format = parse_format(*value, false);
            if (!format) return usage_error("diff", "unknown format '" + *value + "' (text or json)");
            o.format = *format;
        } else if (auto level = args.take_value("--fail-on", error)) {
            o.fail_on_any = *level == "any";
            if (!o.fail_on_any && !parse_fail_on(*level, o.fail_on)) {
                return usage_error("diff", "--fail-on takes any, never or a severity, not '" + *level + "'");
            }
        } else if (!error.empty()) {
            return usage_error("diff", error);
        } else {
            return usage_error("diff", "unknown option '" + std::string(args.peek()) + "'");
        }
    }
    if (!o.baseline_file) return usage_error("diff", "missing --baseline FILE");
    if (o.sources.empty()) return usage_error("diff", "give at least one source (--mof PATH or --snapshot FILE)");
    return std::nullopt;
}

inline int run_diff(arguments& args) {
    diff_options o;
    if (const auto done = parse_diff_options(args, o)) return *done;
    auto approved = wmisub::load_baseline(*o.baseline_file);
    if (!approved) {
        std::fprintf(stderr, "wmisub diff: %s: %s\n", o.baseline_file->c_str(), approved.error().to_string().c_str());
        return exit_usage;
    }
    auto snap = collect_sources("diff", o.sources, o.quiet);
    if (!snap) return exit_usage;
    const bool unreadable = report_unreadable("diff", o.sources, *snap);
    const wmisub::subscription_graph graph(std::move(*snap));
    const wmisub::baseline_diff d = wmisub::diff(*approved, graph.source());
    const auto results = wmisub::assess(graph, wmisub::rule_catalog::builtin());
    const graded_diff g = grade(d, change_grades(results));
    if (o.format == output_format::json) {
        std::printf("%s\n", diff_json(d, g).dump(2, ' ', false, ojson::error_handler_t::replace).c_str());
    } else {
        print_diff_text(d, g);
    }
    const bool failing = o.fail_on_any ? g.any : (o.fail_on && g.any && g.highest >= *o.fail_on);
    if (unreadable) return exit_usage;
    return failing ? exit_findings : exit_clean;
}

}  // namespace wmisub_cli
