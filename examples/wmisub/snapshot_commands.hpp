// `wmisub collect`, `wmisub baseline` and `wmisub diff`: snapshots and baselines
// written atomically with a checksum, and field-level diffs against a baseline.
#pragma once

#include "cli.hpp"
#include "sources.hpp"

#include <wmisub/baseline.hpp>
#include <wmisub/json.hpp>

#include <cstdio>
#include <optional>
#include <string>

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
    "  -h, --help          this help\n"
    "\n";

inline constexpr const char* diff_help =
    "usage: wmisub diff --baseline FILE SOURCES [--format text|json] [--fail-on SEVERITY]\n"
    "\n"
    "Compares the sources with a baseline: objects added, removed, modified (with\n"
    "every changed field, old and new) and bindings re-pointed. Exit 1 when there are\n"
    "changes (any --fail-on other than 'never'), 2 on a usage error or unreadable input.\n"
    "\n"
    "  --baseline FILE      the approved baseline (required; a damaged file is an error)\n"
    "  --format text|json   output format (default text; json is wmisub.diff/1)\n"
    "  --fail-on never|any  exit 1 on any change (default any)\n"
    "  -h, --help           this help\n"
    "\n";

// Collects every named source into one snapshot; prints the error and returns nullopt on failure.
inline std::optional<wmisub::snapshot> collect_sources(std::string_view command, const source_set& sources) {
    wmisub::composite_collector collector = sources.make();
    auto snap = collector.collect({});
    if (!snap) {
        std::fprintf(stderr, "wmisub %.*s: %s\n", static_cast<int>(command.size()), command.data(), snap.error().to_string().c_str());
        return std::nullopt;
    }
    return std::move(*snap);
}

// `collect` (write_baseline false) and `baseline` (true).
inline int run_collect(arguments& args, bool write_baseline) {
    const char* name = write_baseline ? "baseline" : "collect";
    source_set sources;
    std::optional<std::string> output;
    while (!args.empty()) {
        std::string error;
        if (args.peek() == "-h" || args.peek() == "--help") {
            std::printf("%s%s", collect_help, sources_help);
            return exit_clean;
        }
        if (take_source(args, sources, error)) {
            if (!error.empty()) return usage_error(name, error);
            continue;
        }
        if (auto value = args.take_value("-o", error)) {
            output = *value;
            continue;
        }
        if (auto value = args.take_value("--output", error)) {
            output = *value;
            continue;
        }
        if (!error.empty()) return usage_error(name, error);
        return usage_error(name, "unexpected argument '" + std::string(args.peek()) + "'");
    }
    if (sources.empty()) return usage_error(name, "give at least one source (--mof PATH or --snapshot FILE)");
    if (!output) return usage_error(name, "missing -o FILE");
    auto snap = collect_sources(name, sources);
    if (!snap) return exit_usage;
    const auto saved = write_baseline ? wmisub::save_baseline(*output, wmisub::make_baseline(*snap)) : wmisub::save_snapshot(*output, *snap);
    if (!saved) {
        std::fprintf(stderr, "wmisub %s: %s\n", name, saved.error().to_string().c_str());
        return exit_usage;
    }
    std::fprintf(stderr, "wmisub %s: wrote %zu objects to %s (%zu errors)\n", name, snap->object_count(), output->c_str(),
                 snap->errors.size());
    return exit_clean;
}

inline void print_diff_text(const wmisub::baseline_diff& d) {
    std::printf("wmisub diff: %zu added, %zu removed, %zu modified, %zu re-pointed, %zu unchanged\n", d.added.size(),
                d.removed.size(), d.modified.size(), d.rebindings.size(), d.unchanged);
    for (const auto& o : d.added) std::printf("added     %s\n", o.identity.c_str());
    for (const auto& o : d.removed) std::printf("removed   %s\n", o.identity.c_str());
    for (const auto& m : d.modified) {
        std::printf("modified  %s\n", m.identity.c_str());
        for (const auto& c : m.changes) std::printf("    %s: %s -> %s\n", c.field.c_str(), c.old_text.c_str(), c.new_text.c_str());
    }
    for (const auto& r : d.rebindings) std::printf("re-pointed %s\n", r.description.c_str());
}

inline int run_diff(arguments& args) {
    source_set sources;
    std::optional<std::string> baseline_file;
    std::string format = "text";
    bool fail_on_change = true;
    while (!args.empty()) {
        std::string error;
        if (args.peek() == "-h" || args.peek() == "--help") {
            std::printf("%s%s", diff_help, sources_help);
            return exit_clean;
        }
        if (take_source(args, sources, error)) {
            if (!error.empty()) return usage_error("diff", error);
            continue;
        }
        if (auto value = args.take_value("--baseline", error)) {
            baseline_file = *value;
            continue;
        }
        if (auto value = args.take_value("--format", error)) {
            if (*value != "text" && *value != "json") return usage_error("diff", "unknown format '" + *value + "' (text or json)");
            format = *value;
            continue;
        }
        if (auto value = args.take_value("--fail-on", error)) {
            if (*value != "never" && *value != "any") return usage_error("diff", "--fail-on takes never or any");
            fail_on_change = *value == "any";
            continue;
        }
        if (!error.empty()) return usage_error("diff", error);
        return usage_error("diff", "unexpected argument '" + std::string(args.peek()) + "'");
    }
    if (!baseline_file) return usage_error("diff", "missing --baseline FILE");
    if (sources.empty()) return usage_error("diff", "give at least one source (--mof PATH or --snapshot FILE)");
    auto approved = wmisub::load_baseline(*baseline_file);
    if (!approved) {
        std::fprintf(stderr, "wmisub diff: %s: %s\n", baseline_file->c_str(), approved.error().to_string().c_str());
        return exit_usage;
    }
    auto snap = collect_sources("diff", sources);
    if (!snap) return exit_usage;
    const wmisub::baseline_diff d = wmisub::diff(*approved, *snap);
    if (format == "json") {
        std::printf("%s\n", wmisub::to_json_text(d).c_str());
    } else {
        print_diff_text(d);
    }
    return fail_on_change && (d.has_changes() || !d.rebindings.empty()) ? exit_findings : exit_clean;
}

}  // namespace wmisub_cli
