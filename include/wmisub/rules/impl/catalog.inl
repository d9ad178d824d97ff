// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/rules/catalog.hpp: severities, facts and the
// catalog, with wmisub's own rules from builtin.inl. Included by catalog.hpp
// only under WMISUB_INCLUDE_IMPLEMENTATION; not a header to include.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
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

// True when the consumer runs code: command lines, scripts, provider DLLs.
WMISUB_API bool subscription_facts::executes_code() const noexcept {
    if (consumer == nullptr) return false;
    return std::holds_alternative<command_line_consumer>(*consumer) ||
           std::holds_alternative<active_script_consumer>(*consumer) || std::holds_alternative<custom_consumer>(*consumer);
}

// Wmisub's own rules.
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
