// `--policy FILE`: the host's decisions as JSON (schema wmisub.policy/1):
//   { "schema": "wmisub.policy/1",
//     "allowed_fingerprints": [ "sha256:…" ],
//     "disabled_rules": [ "WMISUB-PAY-006" ],
//     "severity_overrides": { "WMISUB-TRG-004": "low" } }
// Unknown members are ignored; a wrong type is an error naming its JSON pointer.
#pragma once

#include "cli.hpp"

#include <wmisub/assess.hpp>
#include <wmisub/json.hpp>
#include <wmisub/storage.hpp>

#include <filesystem>
#include <string>

namespace wmisub_cli {

namespace detail {

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

}  // namespace detail

// Reads a policy file into `out`; returns an error message, empty on success.
inline std::string load_policy_file(const std::filesystem::path& file, wmisub::policy& out) {
    auto bytes = wmisub::read_file_limited(file, WMISUB_MAX_INPUT_BYTES);
    if (!bytes) return bytes.error().to_string();
    auto doc = wmisub::parse_json(wmisub::decode_text(*bytes).utf8, {}, file.string());
    if (!doc) return doc.error().to_string();
    if (!doc->is_object()) return "expected a JSON object (schema wmisub.policy/1)";
    const auto schema = doc->find("schema");
    if (schema != doc->end() && (!schema->is_string() || *schema != "wmisub.policy/1")) {
        return "/schema: expected \"wmisub.policy/1\"";
    }
    std::string error;
    if (!detail::read_string_list(*doc, "allowed_fingerprints", out.allowed_fingerprints, error) ||
        !detail::read_string_list(*doc, "disabled_rules", out.disabled_rules, error) || !detail::read_overrides(*doc, out, error)) {
        return error;
    }
    return {};
}

}  // namespace wmisub_cli
