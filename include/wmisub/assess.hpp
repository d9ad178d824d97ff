// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Assessment: for every graph entry, the facts (trigger and payload analysis),
// the findings of every enabled rule, and a score 0-100 with a severity, each
// explained by the findings and their evidence.
//
// Scoring model. Every rule says what kind of evidence its findings are
// (rules/catalog.hpp, evidence_class): *behaviour* (what the payload does:
// downloads, decodes and runs, reads credentials, evades defences, wipes
// traces, spreads, adds persistence elsewhere), *provenance* (who made it and
// how: an impossible creator, a tool's fingerprint, a built-in's name on other
// content, a change since the baseline) or *context* (where and when: the
// trigger, the namespace, the paths, "runs as SYSTEM").
//
// Each finding weighs by severity: info 0, low 0.15, medium 0.35, high 0.60,
// critical 0.85, and findings combine like independent pieces of evidence,
// 100 * (1 - prod(1 - w)). Behaviour and provenance findings alone give the
// *core* score, whose severity is the band the subscription lands in; all
// findings together place it within that band (context raises it towards the
// band's top but never out of it). Without behaviour or provenance evidence,
// context alone is held below high (at most 59): a boot trigger, a shell and a
// user-writable path are what admin automation looks like too. The severity
// follows the score: critical >= 85, high >= 60, medium >= 35, low >= 15,
// info below. Content that matches a Windows built-in is capped at low (info
// when it runs nothing); allow-listed content (by fingerprint, never by name)
// drops to info with its findings kept for the record.
#pragma once

#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/rules/catalog.hpp"

#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// What the host decides: allow-listed content, disabled rules, severity overrides.
// Threads: plain data; any number of threads may assess with one policy that
// none of them modifies.
struct policy {
    // Fingerprints (baseline.hpp) of approved filters and consumers, bare or `sha256:`-prefixed. An entry is
    // allow-listed only when both its filter's and its consumer's fingerprints are here.
    std::vector<std::string> allowed_fingerprints;
    std::vector<std::string> disabled_rules;                       // rule ids
    std::vector<std::pair<std::string, severity>> severity_overrides;  // rule id -> severity

    [[nodiscard]] bool rule_enabled(std::string_view id) const noexcept;
    [[nodiscard]] std::optional<severity> override_for(std::string_view id) const noexcept;
    // True when `fp` is an allowed fingerprint, either written with or without `sha256:` (normalize_fingerprint).
    [[nodiscard]] bool allows(std::string_view fp) const;
};

// A score and the severity it maps to.
struct risk {
    int score = 0;  // 0-100
    wmisub::severity severity = severity::info;
    int core_score = 0;          // behaviour and provenance findings alone: their severity is the band
    bool context_only = false;   // findings, but none of behaviour or provenance: held below high
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

// The lowest and highest score of a severity's band.
[[nodiscard]] constexpr int band_floor(severity s) noexcept {
    switch (s) {
    case severity::info: return 0;
    case severity::low: return 15;
    case severity::medium: return 35;
    case severity::high: return 60;
    case severity::critical: return 85;
    }
    return 0;
}
[[nodiscard]] constexpr int band_ceiling(severity s) noexcept {
    return s == severity::critical ? 100 : band_floor(static_cast<severity>(static_cast<int>(s) + 1)) - 1;
}

// The highest score context alone can give (the top of medium).
inline constexpr int context_ceiling = 59;

// Combines findings as independent evidence (see the scoring model above).
[[nodiscard]] WMISUB_API risk score_findings(const std::vector<finding>& findings) noexcept;

// The judgement of one graph entry. Its facts point into the graph's state
// (the entry, the query analysis, the snapshot's objects), and the assessment
// shares ownership of that state: it may be kept, copied, moved and handed to
// another thread after the graph and the snapshot are gone. Findings and risk
// are its own. A value type: one assessment is not for concurrent writers.
struct assessment {
    subscription_facts facts;
    std::vector<finding> findings;  // highest severity first
    wmisub::risk risk;
    bool allow_listed = false;      // its content fingerprints are in the policy
    // What `facts` points into, kept alive as long as this assessment (or a copy) lives.
    std::shared_ptr<const detail::graph_state> keep_alive;
    // What facts.host and facts.changes point into (the engine, the diff), when a scanner set them.
    std::shared_ptr<const void> context;
};

namespace detail {

// What a run over many entries looks up once rather than per entry: the rules
// the policy leaves enabled, with the severity it forces on each, and the
// allow-listed fingerprints, folded and sorted (a baseline may hold thousands).
class assessment_run {
public:
    assessment_run(const rule_catalog& catalog, const policy& p);

    // Fills `a` (every member replaced, its capacity reused) with the judgement
    // of one entry; the rules see `host` and `changes` when given.
    void assess_into(assessment& a, const subscription_graph& graph, const subscription& entry,
                     const host_context* host = nullptr, const entry_changes* changes = nullptr) const;

private:
    struct active_rule {
        const std::shared_ptr<const rule>* shared;
        std::optional<severity> forced;
    };

    // Highest severity first, catalog order among equals. An insertion sort:
    // there are a handful of findings, and std::stable_sort allocates a buffer.
    static void order_by_severity(std::vector<finding>& findings);

    static void add_finding(assessment& a, const active_rule& active);

    [[nodiscard]] bool allows(const std::string& fp) const;

    // True when every object of the entry has an allow-listed fingerprint.
    [[nodiscard]] bool content_allowed(const subscription_graph& graph, const subscription& entry) const;

    std::vector<active_rule> rules_;
    std::vector<std::string> allowed_;
};

}  // namespace detail

// Runs every enabled rule of `catalog` over one entry and scores it.
[[nodiscard]] WMISUB_API assessment assess_entry(const subscription_graph& graph, const subscription& entry,
                                                 const rule_catalog& catalog, const policy& p = {});

// Assesses every entry of the graph, in graph order, handing each assessment to
// `sink` as soon as it is made. Memory stays that of one assessment however
// many entries there are: the way to scan large hosts and fleets. The sink may
// keep an assessment by moving or copying it out (what it keeps owns what it
// refers to); the object passed is reused for the next entry, so a pointer to
// it is only good during the call. A sink that returns something convertible
// to bool stops the run by returning false (a host's cancel, a full queue);
// the result is how many entries were handed to the sink.
template <class Sink>
    requires std::invocable<Sink&, assessment&>
std::size_t assess_each(const subscription_graph& graph, const rule_catalog& catalog, const policy& p, Sink&& sink) {
    const detail::assessment_run run(catalog, p);
    assessment a;
    std::size_t handed = 0;
    for (const subscription& entry : graph.entries()) {
        run.assess_into(a, graph, entry);
        ++handed;
        if constexpr (std::is_convertible_v<std::invoke_result_t<Sink&, assessment&>, bool>) {
            if (!static_cast<bool>(sink(a))) break;
        } else {
            sink(a);
        }
    }
    return handed;
}

// Assesses every entry of the graph, in graph order, and keeps them all.
[[nodiscard]] WMISUB_API std::vector<assessment> assess(const subscription_graph& graph, const rule_catalog& catalog,
                                                        const policy& p = {});

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/assess.inl"
#endif
