// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Assessment: for every graph entry, the facts (trigger and payload analysis),
// the findings of every enabled rule, and a score 0-100 with a severity, each
// explained by the findings and their evidence.
//
// Scoring model. Each finding contributes a weight by severity: info 0,
// low 0.15, medium 0.35, high 0.60, critical 0.85. Findings combine like
// independent pieces of evidence: score = 100 * (1 - prod(1 - w)), counting
// each rule once. So one high finding alone gives 60 (high), two mediums 58
// (medium), two mediums and a low 64 (high), one critical 85 (critical). The
// severity follows the score: critical >= 85, high >= 60, medium >= 35,
// low >= 15, info below. Content that matches a Windows built-in is capped at
// low (info when it runs nothing); allow-listed content (by fingerprint, never
// by name) drops to info with its findings kept for the record.
#pragma once

#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/detail/builtin_subscriptions.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload.hpp"
#include "wmisub/rules.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql.hpp"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// What the host decides: allow-listed content, disabled rules, severity overrides.
struct policy {
    std::vector<std::string> allowed_fingerprints;                 // fingerprints (baseline.hpp) of approved filters and consumers
    std::vector<std::string> disabled_rules;                       // rule ids
    std::vector<std::pair<std::string, severity>> severity_overrides;  // rule id -> severity
    payload_options payload;                                       // limits for payload analysis

    [[nodiscard]] bool rule_enabled(std::string_view id) const noexcept {
        return std::none_of(disabled_rules.begin(), disabled_rules.end(), [&](const std::string& d) { return ascii_iequals(d, id); });
    }
    [[nodiscard]] std::optional<severity> override_for(std::string_view id) const noexcept {
        for (const auto& [rule_id, s] : severity_overrides) {
            if (ascii_iequals(rule_id, id)) return s;
        }
        return std::nullopt;
    }
    [[nodiscard]] bool allows(std::string_view fp) const noexcept {
        return std::any_of(allowed_fingerprints.begin(), allowed_fingerprints.end(),
                           [&](const std::string& a) { return ascii_iequals(a, fp); });
    }
};

// A score and the severity it maps to.
struct risk {
    int score = 0;  // 0-100
    wmisub::severity severity = severity::info;
};

// The weight of one finding of this severity in the score.
[[nodiscard]] constexpr double severity_weight(severity s) noexcept {
    switch (s) {
    case severity::info: return 0.0;
    case severity::low: return 0.15;
    case severity::medium: return 0.35;
    case severity::high: return 0.60;
    case severity::critical: return 0.85;
    }
    return 0.0;
}

// The severity a score maps to.
[[nodiscard]] constexpr severity severity_of_score(int score) noexcept {
    if (score >= 85) return severity::critical;
    if (score >= 60) return severity::high;
    if (score >= 35) return severity::medium;
    if (score >= 15) return severity::low;
    return severity::info;
}

// Combines findings as independent evidence (see the scoring model above).
[[nodiscard]] inline risk score_findings(const std::vector<finding>& findings) noexcept {
    double keep = 1.0;
    for (const finding& f : findings) keep *= 1.0 - severity_weight(f.severity);
    const int score = static_cast<int>(std::lround(100.0 * (1.0 - keep)));
    return risk{score, severity_of_score(score)};
}

// The judgement of one graph entry. Its facts point into the graph (the entry,
// the query analysis) and the graph's snapshot (the objects): keep both alive
// and unchanged while the assessment is used; findings and risk are owned.
struct assessment {
    subscription_facts facts;
    std::vector<finding> findings;  // highest severity first
    wmisub::risk risk;
    bool allow_listed = false;      // its content fingerprints are in the policy
};

namespace detail {

// The facts rules see about one entry: its objects and their analyses.
[[nodiscard]] inline subscription_facts gather_facts(const subscription_graph& graph, const subscription& entry,
                                                     const policy& p) {
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
    if (f.consumer != nullptr) f.payload = analyze_consumer(*f.consumer, p.payload);
    f.builtin = std::string(builtin_subscription(f.filter, f.consumer));
    return f;
}

// What a run over many entries looks up once rather than per entry: the rules
// the policy leaves enabled, with the severity it forces on each, and the
// allow-listed fingerprints, folded and sorted (a baseline may hold thousands).
class assessment_run {
public:
    assessment_run(const rule_catalog& catalog, const policy& p) : policy_(&p) {
        rules_.reserve(catalog.size());
        for (const auto& r : catalog.rules()) {
            if (p.rule_enabled(r->id)) rules_.push_back(active_rule{&r, p.override_for(r->id)});
        }
        allowed_.reserve(p.allowed_fingerprints.size());
        for (const std::string& fp : p.allowed_fingerprints) allowed_.push_back(fold_case(fp));
        std::sort(allowed_.begin(), allowed_.end());
    }

    // Fills `a` (every member replaced, its capacity reused) with the judgement of one entry.
    void assess_into(assessment& a, const subscription_graph& graph, const subscription& entry) const {
        a.facts = gather_facts(graph, entry, *policy_);
        a.findings.clear();
        for (const active_rule& active : rules_) add_finding(a, active);
        order_by_severity(a.findings);
        a.risk = score_findings(a.findings);
        if (!a.facts.builtin.empty()) {
            // Windows' own content: capped, since its behaviour is known.
            const severity cap = a.facts.executes_code() ? severity::low : severity::info;
            if (a.risk.severity > cap) a.risk = risk{cap == severity::low ? 15 : 0, cap};
        }
        a.allow_listed = content_allowed(a.facts);
        if (a.allow_listed) a.risk = risk{0, severity::info};
    }

private:
    struct active_rule {
        const std::shared_ptr<const rule>* shared;
        std::optional<severity> forced;
    };

    // Highest severity first, catalog order among equals. An insertion sort:
    // there are a handful of findings, and std::stable_sort allocates a buffer.
    static void order_by_severity(std::vector<finding>& findings) {
        const auto higher = [](const finding& x, const finding& y) { return x.severity > y.severity; };
        for (auto next = findings.begin(); next != findings.end(); ++next) {
            std::rotate(std::upper_bound(findings.begin(), next, *next, higher), next, next + 1);
        }
    }

    static void add_finding(assessment& a, const active_rule& active) {
        const rule& r = **active.shared;
        auto hit = r.check(a.facts);
        if (!hit) return;
        const severity s = active.forced.value_or(hit->severity.value_or(r.severity));
        a.findings.push_back(finding{*active.shared, s, std::move(hit->evidence)});
    }

    [[nodiscard]] bool allows(const std::string& fp) const {
        return std::binary_search(allowed_.begin(), allowed_.end(), fold_case(fp));
    }

    // True when every object of the entry has an allow-listed fingerprint.
    [[nodiscard]] bool content_allowed(const subscription_facts& f) const {
        if (allowed_.empty() || (f.filter == nullptr && f.consumer == nullptr)) return false;
        if (f.filter != nullptr && !allows(fingerprint(*f.filter))) return false;
        if (f.consumer != nullptr && !allows(fingerprint(*f.consumer))) return false;
        return true;
    }

    const policy* policy_;
    std::vector<active_rule> rules_;
    std::vector<std::string> allowed_;
};

}  // namespace detail

// Runs every enabled rule of `catalog` over one entry and scores it.
[[nodiscard]] inline assessment assess_entry(const subscription_graph& graph, const subscription& entry,
                                             const rule_catalog& catalog, const policy& p = {}) {
    assessment a;
    detail::assessment_run(catalog, p).assess_into(a, graph, entry);
    return a;
}

// Assesses every entry of the graph, in graph order, handing each assessment to
// `sink` as soon as it is made. Memory stays that of one assessment however
// many entries there are: the way to scan large hosts and fleets. The sink may
// keep an assessment by moving it out; otherwise it is reused for the next entry.
template <class Sink>
    requires std::invocable<Sink&, assessment&>
void assess_each(const subscription_graph& graph, const rule_catalog& catalog, const policy& p, Sink&& sink) {
    const detail::assessment_run run(catalog, p);
    assessment a;
    for (const subscription& entry : graph.entries()) {
        run.assess_into(a, graph, entry);
        sink(a);
    }
}

// Assesses every entry of the graph, in graph order, and keeps them all.
[[nodiscard]] inline std::vector<assessment> assess(const subscription_graph& graph, const rule_catalog& catalog,
                                                    const policy& p = {}) {
    const detail::assessment_run run(catalog, p);
    std::vector<assessment> out(graph.entries().size());
    for (std::size_t i = 0; i < out.size(); ++i) run.assess_into(out[i], graph, graph.entries()[i]);
    return out;
}

WMISUB_NAMESPACE_END
