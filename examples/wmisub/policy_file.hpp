// `--policy FILE`: the host's decisions as JSON (schema wmisub.policy/1):
//   { "schema": "wmisub.policy/1",
//     "allowed_fingerprints": [ "3f0c…" or "sha256:3f0c…" ],
//     "disabled_rules": [ "WMISUB-PAY-006" ],
//     "severity_overrides": { "WMISUB-TRG-004": "low" } }
// A policy that silently does nothing is worse than none, so the file is checked
// whole: an unknown member, a malformed fingerprint, a rule id the catalog does not
// have or a wrong type is an error naming the file and its JSON pointer.
// `wmisub policy allow SOURCES -o FILE` writes one approving what a scan shows.
#pragma once

#include "cli.hpp"
#include "sources.hpp"

#include <wmisub/assess.hpp>
#include <wmisub/baseline.hpp>
#include <wmisub/engine.hpp>
#include <wmisub/json.hpp>
#include <wmisub/storage.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wmisub_cli {

inline constexpr const char* policy_schema = "wmisub.policy/1";

namespace detail {

// The members a wmisub.policy/1 document may have.
inline constexpr std::string_view policy_members[] = {"schema", "allowed_fingerprints", "disabled_rules",
                                                      "severity_overrides"};

// Appends the strings of doc[key] (absent is fine) to `out`; false with `error` set otherwise.
inline bool read_string_list(const ojson& doc, const char* key, std::vector<std::string>& out, std::string& error) {
    const auto it = doc.find(key);
    if (it == doc.end()) return true;
    if (!it->is_array()) {
        error = std::string("/") + key + ": expected an array of strings";
        return false;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
        if (!(*it)[i].is_string()) {
            error = std::string("/") + key + "/" + std::to_string(i) + ": expected a string";
            return false;
        }
        out.push_back((*it)[i].get<std::string>());
    }
    return true;
}

inline bool read_overrides(const ojson& doc, wmisub::policy& p, std::string& error) {
    const auto it = doc.find("severity_overrides");
    if (it == doc.end()) return true;
    if (!it->is_object()) {
        error = "/severity_overrides: expected an object of rule id -> severity";
        return false;
    }
    for (const auto& [rule, level] : it->items()) {
        const auto s = level.is_string() ? wmisub::severity_from_string(level.get<std::string>()) : std::nullopt;
        if (!s) {
            error = "/severity_overrides/" + rule + ": expected info, low, medium, high or critical";
            return false;
        }
        p.severity_overrides.emplace_back(rule, *s);
    }
    return true;
}

// Members other than policy_members: a misspelt "disabled_rule" must not pass for an empty list.
inline bool check_members(const ojson& doc, std::string& error) {
    for (const auto& [name, ignored] : doc.items()) {
        if (std::find(std::begin(policy_members), std::end(policy_members), name) != std::end(policy_members)) continue;
        error = "/" + name + ": unknown member (a wmisub.policy/1 file has schema, allowed_fingerprints, "
                             "disabled_rules and severity_overrides)";
        return false;
    }
    return true;
}

// Every fingerprint well-formed, every rule id one the catalog has.
inline bool check_contents(const wmisub::policy& p, const wmisub::rule_catalog& catalog, std::string& error) {
    for (std::size_t i = 0; i < p.allowed_fingerprints.size(); ++i) {
        if (wmisub::is_fingerprint(p.allowed_fingerprints[i])) continue;
        error = "/allowed_fingerprints/" + std::to_string(i) + ": '" + p.allowed_fingerprints[i] +
                "' is not a fingerprint (64 hex digits, as scans and baselines print them, optionally after sha256:)";
        return false;
    }
    for (std::size_t i = 0; i < p.disabled_rules.size(); ++i) {
        if (catalog.find(p.disabled_rules[i]) != nullptr) continue;
        error = "/disabled_rules/" + std::to_string(i) + ": no rule '" + p.disabled_rules[i] + "' ('wmisub rules' lists them)";
        return false;
    }
    for (const auto& [rule, level] : p.severity_overrides) {
        if (catalog.find(rule) != nullptr) continue;
        error = "/severity_overrides/" + rule + ": no such rule ('wmisub rules' lists them)";
        return false;
    }
    return true;
}

}  // namespace detail

// Reads a policy file into `out`, checked against `catalog`; returns an error message, empty on success.
inline std::string load_policy_file(const std::filesystem::path& file, wmisub::policy& out,
                                    const wmisub::rule_catalog& catalog) {
    auto bytes = wmisub::read_file_limited(file, WMISUB_MAX_INPUT_BYTES);
    if (!bytes) return bytes.error().to_string();
    auto doc = wmisub::parse_json(wmisub::decode_text(*bytes).utf8, {}, file.string());
    if (!doc) return doc.error().to_string();
    if (!doc->is_object()) return "expected a JSON object (schema wmisub.policy/1)";
    const auto schema = doc->find("schema");
    if (schema != doc->end() && (!schema->is_string() || *schema != policy_schema)) {
        return "/schema: expected \"wmisub.policy/1\"";
    }
    std::string error;
    if (!detail::check_members(*doc, error) ||
        !detail::read_string_list(*doc, "allowed_fingerprints", out.allowed_fingerprints, error) ||
        !detail::read_string_list(*doc, "disabled_rules", out.disabled_rules, error) ||
        !detail::read_overrides(*doc, out, error) || !detail::check_contents(out, catalog, error)) {
        return error;
    }
    return {};
}

inline constexpr const char* policy_help =
    "usage: wmisub policy allow SOURCES -o FILE\n"
    "\n"
    "Writes a wmisub.policy/1 file approving, by content, every subscription the\n"
    "sources hold: the fingerprints of each filter and consumer. A later scan with\n"
    "--policy FILE scores an entry 0 only when both its filter's and its consumer's\n"
    "fingerprints are approved, so a changed command or query shows again. Review\n"
    "the scan before approving it.\n"
    "\n"
    "  -o, --output FILE   where to write (required; replaced atomically)\n"
    "  -q, --quiet         no note on stderr\n"
    "  -h, --help          this help\n"
    "\n";

// The fingerprints of every filter and consumer the graph's entries use, sorted and unique.
[[nodiscard]] inline std::vector<std::string> approved_fingerprints(const wmisub::subscription_graph& graph) {
    std::vector<std::string> out;
    const wmisub::object_key_table& keys = graph.object_keys();
    for (const wmisub::subscription& s : graph.entries()) {
        if (s.filter) out.push_back(keys.filters[*s.filter].fingerprint);
        if (s.consumer) out.push_back(keys.consumers[*s.consumer].fingerprint);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// `wmisub policy allow SOURCES -o FILE`.
inline int run_policy(arguments& args) {
    if (args.empty() || args.peek() == "-h" || args.peek() == "--help") {
        std::printf("%s%s", policy_help, sources_help);
        return args.empty() ? exit_usage : exit_clean;
    }
    if (args.peek() != "allow") return usage_error("policy", "unknown action '" + std::string(args.peek()) + "' (try 'allow')");
    args.take();
    output_command o;
    if (const auto done = parse_output_command(args, "policy", policy_help, o)) return *done;
    const std::string& output = *o.output;
    const bool quiet = o.quiet;
    auto snap = collect_sources("policy", o.sources, quiet);
    if (!snap) return exit_usage;
    const bool unreadable = report_unreadable("policy", o.sources, *snap);
    const wmisub::engine engine;
    const wmisub::subscription_graph graph = engine.graph(std::move(*snap));
    ojson doc = ojson::object();
    doc["schema"] = policy_schema;
    doc["allowed_fingerprints"] = approved_fingerprints(graph);
    const auto saved = wmisub::write_file_atomic(output, doc.dump(2) + "\n");
    if (!saved) {
        std::fprintf(stderr, "wmisub policy: %s\n", saved.error().to_string().c_str());
        return exit_usage;
    }
    if (!quiet) {
        std::fprintf(stderr, "wmisub policy: wrote %s approving %s to %s\n",
                     counted(doc["allowed_fingerprints"].size(), "fingerprint").c_str(),
                     counted(graph.entries().size(), "subscription").c_str(), output.c_str());
    }
    return unreadable ? exit_usage : exit_clean;
}

}  // namespace wmisub_cli
