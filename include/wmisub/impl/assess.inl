// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/assess.hpp: policy lookups, gathering the
// facts of an entry, running the rules and scoring. Included by assess.hpp
// only under WMISUB_INCLUDE_IMPLEMENTATION; not a header to include.
#pragma once

#include "wmisub/assess.hpp"
#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/detail/builtin_subscriptions.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/result.hpp"
#include "wmisub/rules/catalog.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql/query.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

WMISUB_API bool policy::rule_enabled(std::string_view id) const noexcept {
    return std::none_of(disabled_rules.begin(), disabled_rules.end(), [&](const std::string& d) { return ascii_iequals(d, id); });
}

WMISUB_API std::optional<severity> policy::override_for(std::string_view id) const noexcept {
    for (const auto& [rule_id, s] : severity_overrides) {
        if (ascii_iequals(rule_id, id)) return s;
    }
    return std::nullopt;
}

WMISUB_API bool policy::allows(std::string_view fp) const {
    const std::string wanted = normalize_fingerprint(fp);
    return std::any_of(allowed_fingerprints.begin(), allowed_fingerprints.end(),
                       [&](const std::string& a) { return normalize_fingerprint(a) == wanted; });
}

// Combines findings as independent evidence (see the scoring model in assess.hpp).
WMISUB_API risk score_findings(const std::vector<finding>& findings) noexcept {
    double keep_all = 1.0;
    double keep_core = 1.0;
    bool any = false;
    bool core = false;
    for (const finding& f : findings) {
        const double w = severity_weight(f.severity);
        if (w <= 0.0) continue;
        any = true;
        keep_all *= 1.0 - w;
        if (f.rule == nullptr || f.rule->evidence_class != evidence_class::context) {
            keep_core *= 1.0 - w;
            core = true;
        }
    }
    const auto to_score = [](double keep) { return static_cast<int>(std::lround(100.0 * (1.0 - keep))); };
    risk out;
    out.core_score = to_score(keep_core);
    const int all = to_score(keep_all);
    if (!core) {
        out.score = std::min(all, context_ceiling);
        out.context_only = any;
    } else {
        const severity band = severity_of_score(out.core_score);
        out.score = std::clamp(all, band_floor(band), band_ceiling(band));
    }
    out.severity = severity_of_score(out.score);
    return out;
}

namespace detail {

// The facts rules see about one entry: its objects and their analyses.
[[nodiscard]] inline subscription_facts gather_facts(const subscription_graph& graph, const subscription& entry) {
    subscription_facts f;
    f.entry = &entry;
    f.snapshot = &graph.source();
    f.filter = graph.filter(entry);
    f.consumer = graph.consumer(entry);
    f.binding = graph.binding(entry);
    for (std::size_t t : entry.timers) f.timers.push_back(&graph.source().timers[t]);
    if (const result<wql_analysis>* analysis = graph.query_analysis(entry)) {
        if (*analysis) {
            f.trigger = &**analysis;
        } else {
            f.query_error = analysis->error();
        }
    }
    f.payload = graph.payload(entry);
    f.graph = graph.shared_state().get();
    f.builtin = std::string(builtin_subscription(f.filter, f.consumer));
    return f;
}

WMISUB_API assessment_run::assessment_run(const rule_catalog& catalog, const policy& p) {
    rules_.reserve(catalog.size());
    for (const auto& r : catalog.rules()) {
        if (p.rule_enabled(r->id)) rules_.push_back(active_rule{&r, p.override_for(r->id)});
    }
    allowed_.reserve(p.allowed_fingerprints.size());
    for (const std::string& fp : p.allowed_fingerprints) allowed_.push_back(normalize_fingerprint(fp));
    std::sort(allowed_.begin(), allowed_.end());
}

// Fills `a` (every member replaced, its capacity reused) with the judgement of one entry.
WMISUB_API void assessment_run::assess_into(assessment& a, const subscription_graph& graph, const subscription& entry,
                                            const host_context* host, const entry_changes* changes) const {
    a.keep_alive = graph.shared_state();
    if (host == nullptr && changes == nullptr) a.context.reset();
    a.facts = gather_facts(graph, entry);
    a.facts.host = host;
    a.facts.changes = changes;
    a.findings.clear();
    for (const active_rule& active : rules_) add_finding(a, active);
    order_by_severity(a.findings);
    a.risk = score_findings(a.findings);
    if (!a.facts.builtin.empty()) {
        // Windows' own content: capped, since its behaviour is known.
        const severity cap = a.facts.executes_code() ? severity::low : severity::info;
        if (a.risk.severity > cap) a.risk = risk{cap == severity::low ? 15 : 0, cap};
    }
    a.allow_listed = content_allowed(graph, entry);
    if (a.allow_listed) a.risk = risk{0, severity::info};
}

// Highest severity first, catalog order among equals. An insertion sort:
// there are a handful of findings, and std::stable_sort allocates a buffer.
WMISUB_API void assessment_run::order_by_severity(std::vector<finding>& findings) {
    const auto higher = [](const finding& x, const finding& y) { return x.severity > y.severity; };
    for (auto next = findings.begin(); next != findings.end(); ++next) {
        std::rotate(std::upper_bound(findings.begin(), next, *next, higher), next, next + 1);
    }
}

WMISUB_API void assessment_run::add_finding(assessment& a, const active_rule& active) {
    const rule& r = **active.shared;
    auto hit = r.check(a.facts);
    if (!hit) return;
    const severity s = active.forced.value_or(hit->severity.value_or(r.severity));
    a.findings.push_back(finding{*active.shared, s, std::move(hit->evidence)});
}

WMISUB_API bool assessment_run::allows(const std::string& fp) const {
    return std::binary_search(allowed_.begin(), allowed_.end(), normalize_fingerprint(fp));
}

// True when every object of the entry has an allow-listed fingerprint: the
// graph's, computed once per object, or computed here when it has none.
WMISUB_API bool assessment_run::content_allowed(const subscription_graph& graph, const subscription& entry) const {
    const event_filter* filter = graph.filter(entry);
    const wmisub::consumer* consumer = graph.consumer(entry);
    if (allowed_.empty() || (filter == nullptr && consumer == nullptr)) return false;
    if (filter != nullptr) {
        const std::string* known = graph.filter_fingerprint(entry);
        if (!allows(known != nullptr ? *known : fingerprint(*filter))) return false;
    }
    if (consumer != nullptr) {
        const std::string* known = graph.consumer_fingerprint(entry);
        if (!allows(known != nullptr ? *known : fingerprint(*consumer))) return false;
    }
    return true;
}

}  // namespace detail

// Runs every enabled rule of `catalog` over one entry and scores it.
WMISUB_API assessment assess_entry(const subscription_graph& graph, const subscription& entry,
                                   const rule_catalog& catalog, const policy& p) {
    assessment a;
    detail::assessment_run(catalog, p).assess_into(a, graph, entry);
    return a;
}

// Assesses every entry of the graph, in graph order, and keeps them all.
WMISUB_API std::vector<assessment> assess(const subscription_graph& graph, const rule_catalog& catalog,
                                          const policy& p) {
    const detail::assessment_run run(catalog, p);
    std::vector<assessment> out(graph.entries().size());
    for (std::size_t i = 0; i < out.size(); ++i) run.assess_into(out[i], graph, graph.entries()[i]);
    return out;
}

WMISUB_NAMESPACE_END
