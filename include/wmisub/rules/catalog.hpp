// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The rule catalog. A rule looks at one subscription (a graph entry with its
// filter, consumer, binding, timers, trigger analysis and payload analysis)
// and, when it fires, says why with evidence. Rules name behaviours, never a
// sample's names or strings. Hosts add their own rules to a catalog.
#pragma once

#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/result.hpp"
#include "wmisub/wql/query.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// How bad something is. Names are stable (JSON, --fail-on).
enum class severity : std::uint8_t { info, low, medium, high, critical };

[[nodiscard]] constexpr std::string_view to_string(severity s) noexcept {
    switch (s) {
    case severity::info: return "info";
    case severity::low: return "low";
    case severity::medium: return "medium";
    case severity::high: return "high";
    case severity::critical: return "critical";
    }
    return "info";
}

// The severity named `text` (case-insensitive), or nullopt.
[[nodiscard]] WMISUB_API std::optional<severity> severity_from_string(std::string_view text) noexcept;

// One piece of evidence: which field, and the text that made the rule fire.
struct evidence {
    std::string field;    // "Filter.Query", "Consumer.CommandLineTemplate>base64_utf16le", "Binding.Filter"
    std::string excerpt;  // the text around the evidence, at most ~200 bytes cut between words; "…" marks each cut
    std::string detail;   // what it means here (the URL, the decoded command, the tool), may be empty
    std::size_t offset = 0;  // where the evidence is in the whole text (see evidence_source_of())

    friend bool operator==(const evidence&, const evidence&) = default;
};

// What the host knows about itself that rules may use, as yara's external
// variables: set once on an engine, seen by every rule through
// subscription_facts::host. Plain data, shared read-only by threads.
struct host_context {
    std::string host_name;
    std::vector<std::string> trusted_domains;        // domains the host's own software talks to (and their subdomains)
    std::vector<std::string> approved_folders;       // folders admin automation runs from
    std::vector<std::string> expected_creator_sids;  // creators (`S-1-…`) whose subscriptions are expected
    std::vector<std::pair<std::string, std::string>> variables;  // anything else a host rule needs, by name

    // The variable with this name (case-insensitive), or nullopt.
    [[nodiscard]] WMISUB_API std::optional<std::string_view> variable(std::string_view name) const noexcept;
    // True when `domain` is a trusted domain or a subdomain of one (case-insensitive).
    [[nodiscard]] WMISUB_API bool trusts_domain(std::string_view domain) const noexcept;
    // True when `path` (as written: environment variables, `/` and `..` are resolved) lies in an approved folder.
    [[nodiscard]] WMISUB_API bool in_approved_folder(std::string_view path) const;
    // True when `sid` is an expected creator (case-insensitive).
    [[nodiscard]] WMISUB_API bool expects_creator(std::string_view sid) const noexcept;
};

// Everything a rule may look at for one graph entry. Built by assess; pointers
// refer into the graph's state (or, for host and changes, the engine and the
// diff), which the assessment keeps alive.
struct subscription_facts {
    const wmisub::subscription* entry = nullptr;
    const wmisub::snapshot* snapshot = nullptr;
    const event_filter* filter = nullptr;
    const wmisub::consumer* consumer = nullptr;
    const wmisub::binding* binding = nullptr;
    std::vector<const timer_instruction*> timers;
    const wql_analysis* trigger = nullptr;     // analysis of the filter's query, when it parses (owned by the graph)
    std::optional<error> query_error;          // why it did not parse
    const payload_analysis* payload = nullptr;  // analysis of the consumer (owned by the graph, shared by equal payloads)
    std::string builtin;                       // name of the Windows built-in whose content this matches, or empty
    const host_context* host = nullptr;        // what the host declared; nullptr when assessed without an engine
    const entry_changes* changes = nullptr;    // when scanned against a baseline: what changed in this entry's objects
    const detail::graph_state* graph = nullptr;  // the graph the entry belongs to (object_keys_of() gives fingerprints)

    // True when the consumer runs code: command lines, scripts, provider DLLs.
    [[nodiscard]] bool executes_code() const noexcept;
    // True when the payload shows this indicator kind.
    [[nodiscard]] bool has_indicator(indicator_kind k) const noexcept { return payload && payload->has(k); }
    // The interval of the timer instruction firing this entry, when it has one.
    [[nodiscard]] std::optional<std::uint64_t> timer_interval_ms() const noexcept {
        if (!timers.empty() && timers.front()->interval_between_events) return *timers.front()->interval_between_events;
        return std::nullopt;
    }
    [[nodiscard]] trigger_kind trigger_kind_or(trigger_kind fallback) const noexcept {
        return trigger ? trigger->trigger.kind : fallback;
    }
};

// What kind of evidence a rule's findings are; the score keeps them apart (see assess.hpp).
enum class evidence_class : std::uint8_t {
    behaviour,   // what the payload does: download, decode-and-run, credential access, defence evasion,
                 // anti-forensics, lateral movement, persistence elsewhere, spreading
    provenance,  // who made it and how: impossible creators, tool fingerprints, masquerading, tampering
    context,     // where and when: trigger, namespace, paths, privileges; alone it never reaches high
};

// The stable name of an evidence class.
[[nodiscard]] constexpr std::string_view to_string(evidence_class c) noexcept {
    switch (c) {
    case evidence_class::behaviour: return "behaviour";
    case evidence_class::provenance: return "provenance";
    case evidence_class::context: return "context";
    }
    return "behaviour";
}

// A rule fired: the evidence, and optionally a severity other than the rule's default.
struct rule_hit {
    std::vector<wmisub::evidence> evidence;
    std::optional<wmisub::severity> severity;
};

// A rule: stable id, what it is about and how to check it.
struct rule {
    std::string id;                       // WMISUB-<AREA>-<NNN>, never reused
    std::string title;
    wmisub::severity severity = severity::medium;
    std::vector<std::string> techniques;  // ATT&CK technique ids
    std::string description;              // what it detects
    std::string rationale;                // why that matters, and when it is benign
    std::function<std::optional<rule_hit>(const subscription_facts&)> check;
    // How its findings count in the score. A host's own rules are behaviour unless they say otherwise.
    wmisub::evidence_class evidence_class = evidence_class::behaviour;
};

// What a rule said about one subscription. The rule is shared with the
// catalog (findings stay valid after the catalog is gone), so a finding costs
// its evidence only.
struct finding {
    std::shared_ptr<const wmisub::rule> rule;  // the rule that fired
    wmisub::severity severity = severity::info;  // the rule's, or what the hit or the policy made it
    std::vector<wmisub::evidence> evidence;

    [[nodiscard]] std::string_view id() const noexcept { return rule ? std::string_view(rule->id) : std::string_view{}; }
    [[nodiscard]] std::string_view title() const noexcept {
        return rule ? std::string_view(rule->title) : std::string_view{};
    }
    // ATT&CK ids.
    [[nodiscard]] std::span<const std::string> techniques() const noexcept {
        return rule ? std::span<const std::string>(rule->techniques) : std::span<const std::string>{};
    }
};

// The whole text an excerpt was cut from, one step away from the evidence.
struct evidence_source {
    std::string_view text;  // a view into the facts' objects or payload analysis (alive as long as they are)
    std::string pointer;    // where a wmisub.report/1 subscription entry holds the same text (RFC 6901 JSON Pointer)
};

// The whole text behind `e`: "Filter.Query" is the filter's Query, "Consumer.ScriptText" the consumer's
// ScriptText, "Consumer.ScriptText>base64_utf8" the decoded layer of that name in the payload analysis,
// "Binding.Filter" the binding's Filter; nullopt when the evidence does not quote a text property.
[[nodiscard]] WMISUB_API std::optional<evidence_source> evidence_source_of(const subscription_facts& f, const evidence& e);

// An ordered set of rules with unique ids.
// Threads: once built, a catalog may be shared by any number of threads that
// assess with it (rules are immutable and shared); add() is not for concurrent use.
class rule_catalog {
public:
    rule_catalog() = default;

    // Wmisub's own rules.
    [[nodiscard]] static rule_catalog builtin();

    // Adds a rule; fails when the id is taken or the rule has no check.
    result<void> add(rule r);

    // The rule with this id (case-insensitive), or nullptr.
    [[nodiscard]] const rule* find(std::string_view id) const noexcept;

    // The rules, in the order added. Each is shared with the findings it makes.
    [[nodiscard]] const std::vector<std::shared_ptr<const rule>>& rules() const noexcept { return rules_; }
    [[nodiscard]] std::size_t size() const noexcept { return rules_.size(); }

private:
    std::vector<std::shared_ptr<const rule>> rules_;
};

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/rules/impl/catalog.inl"
#endif
