// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/rules/catalog.hpp: severities, facts and the
// catalog, with wmisub's own rules from builtin.inl. Included by catalog.hpp
// only under WMISUB_INCLUDE_IMPLEMENTATION; not a header to include.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/result.hpp"
#include "wmisub/rules/catalog.hpp"
#include "wmisub/rules/impl/builtin.inl"
#include "wmisub/text.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

WMISUB_NAMESPACE_BEGIN

// The severity named `text` (case-insensitive), or nullopt.
WMISUB_API std::optional<severity> severity_from_string(std::string_view text) noexcept {
    for (severity s : {severity::info, severity::low, severity::medium, severity::high, severity::critical}) {
        if (ascii_iequals(text, to_string(s))) return s;
    }
    return std::nullopt;
}

// The variable with this name (case-insensitive), or nullopt.
WMISUB_API std::optional<std::string_view> host_context::variable(std::string_view name) const noexcept {
    for (const auto& [key, text] : variables) {
        if (ascii_iequals(key, name)) return std::string_view(text);
    }
    return std::nullopt;
}

// True when `domain` is a trusted domain or a subdomain of one (case-insensitive).
WMISUB_API bool host_context::trusts_domain(std::string_view domain) const noexcept {
    while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
    for (std::string_view trusted : trusted_domains) {
        while (!trusted.empty() && trusted.front() == '.') trusted.remove_prefix(1);
        if (trusted.empty() || domain.size() < trusted.size()) continue;
        const std::string_view tail = domain.substr(domain.size() - trusted.size());
        if (!ascii_iequals(tail, trusted)) continue;
        if (domain.size() == trusted.size() || domain[domain.size() - trusted.size() - 1] == '.') return true;
    }
    return false;
}

// True when `path` lies in an approved folder, both normalised as Windows
// resolves them (environment variables, separators, `.` and `..`).
WMISUB_API bool host_context::in_approved_folder(std::string_view path) const {
    if (approved_folders.empty()) return false;
    const std::string resolved = fold_case(normalize_path(expand_environment(path)));
    for (const std::string& folder : approved_folders) {
        std::string prefix = fold_case(normalize_path(expand_environment(folder)));
        while (!prefix.empty() && prefix.back() == '\\') prefix.pop_back();
        if (prefix.empty() || resolved.size() <= prefix.size()) continue;
        if (resolved.compare(0, prefix.size(), prefix) == 0 && resolved[prefix.size()] == '\\') return true;
    }
    return false;
}

// True when `sid` is an expected creator (case-insensitive).
WMISUB_API bool host_context::expects_creator(std::string_view sid) const noexcept {
    for (const std::string& expected : expected_creator_sids) {
        if (ascii_iequals(expected, sid)) return true;
    }
    return false;
}

// True when the consumer runs code: command lines, scripts, provider DLLs.
WMISUB_API bool subscription_facts::executes_code() const noexcept {
    if (consumer == nullptr) return false;
    return std::holds_alternative<command_line_consumer>(*consumer) ||
           std::holds_alternative<active_script_consumer>(*consumer) || std::holds_alternative<custom_consumer>(*consumer);
}

// Wmisub's own rules.
namespace detail {

// `name` as one RFC 6901 reference token: "~" and "/" escaped.
inline void append_pointer_token(std::string& pointer, std::string_view name) {
    pointer += '/';
    for (const char c : name) {
        if (c == '~') pointer += "~0";
        else if (c == '/') pointer += "~1";
        else pointer += c;
    }
}

[[nodiscard]] inline std::optional<evidence_source> property_source(std::optional<text_property_view> found, std::string_view object) {
    if (!found) return std::nullopt;
    evidence_source out{found->text, "/"};
    out.pointer += object;
    out.pointer += "/properties";
    append_pointer_token(out.pointer, found->name);
    return out;
}

}  // namespace detail

WMISUB_API std::optional<evidence_source> evidence_source_of(const subscription_facts& f, const evidence& e) {
    const std::size_t dot = e.field.find('.');
    if (dot == std::string::npos) return std::nullopt;
    const std::string_view object = std::string_view(e.field).substr(0, dot);
    const std::string_view property = std::string_view(e.field).substr(dot + 1);
    if (object == "Consumer" && property.find('>') != std::string_view::npos) {
        if (f.payload == nullptr || f.consumer == nullptr) return std::nullopt;
        for (std::size_t i = 0; i < f.payload->layers.size(); ++i) {
            if (f.payload->layers[i].field == property) {
                return evidence_source{f.payload->layers[i].text, "/payload/layers/" + std::to_string(i) + "/text"};
            }
        }
        return std::nullopt;
    }
    if (object == "Filter" && f.filter != nullptr) return detail::property_source(text_property(*f.filter, property), "filter");
    if (object == "Consumer" && f.consumer != nullptr) return detail::property_source(text_property(*f.consumer, property), "consumer");
    if (object == "Binding" && f.binding != nullptr) return detail::property_source(text_property(*f.binding, property), "binding");
    return std::nullopt;
}

WMISUB_API rule_catalog rule_catalog::builtin() {
    rule_catalog catalog;
    for (rule& r : detail::builtin_rules()) (void)catalog.add(std::move(r));
    return catalog;
}

// Adds a rule; fails when the id is taken or the rule has no check.
WMISUB_API result<void> rule_catalog::add(rule r) {
    if (r.id.empty() || !r.check) return make_error(errc::invalid_argument, "a rule needs an id and a check");
    if (find(r.id) != nullptr) return make_error(errc::invalid_argument, "rule id " + r.id + " is already in the catalog");
    rules_.push_back(std::make_shared<const rule>(std::move(r)));
    return {};
}

// The rule with this id (case-insensitive), or nullptr.
WMISUB_API const rule* rule_catalog::find(std::string_view id) const noexcept {
    for (const auto& r : rules_) {
        if (ascii_iequals(r->id, id)) return r.get();
    }
    return nullptr;
}

WMISUB_NAMESPACE_END
