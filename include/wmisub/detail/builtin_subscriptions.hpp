// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Internal: used only by the implementation files of wmisub/rules/catalog.hpp
// and wmisub/assess.hpp (rules/impl/builtin.inl, impl/assess.inl), never by a
// public header.
// Windows' own subscriptions, recognised by content. Attackers copy the names
// ("SCM Event Log Consumer", "BVTConsumer"), so a name never counts here; the
// query, the consumer class and what the consumer does must all match.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql/query.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

WMISUB_NAMESPACE_BEGIN
namespace detail {

[[nodiscard]] inline bool canonical_query_is(const event_filter& f, std::string_view canonical) {
    auto c = canonical_wql(f.query);
    return c && *c == canonical;
}

[[nodiscard]] inline bool text_is(const std::optional<std::string>& v, std::string_view expected) noexcept {
    return v && iequals(trim(*v), expected);
}

// Namespace equality ignoring case, slash direction and a local `\\.\` prefix.
[[nodiscard]] inline bool namespace_is(std::string_view ns, std::string_view expected) noexcept {
    std::string_view n = ns;
    if (n.size() > 4 && (n[0] == '\\' || n[0] == '/') && (n[1] == '\\' || n[1] == '/') && n[2] == '.' &&
        (n[3] == '\\' || n[3] == '/')) {
        n.remove_prefix(4);
    }
    while (!n.empty() && (n.front() == '\\' || n.front() == '/')) n.remove_prefix(1);
    if (n.size() != expected.size()) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const char a = n[i] == '/' ? '\\' : n[i];
        if (ascii_lower(a) != ascii_lower(expected[i])) return false;
    }
    return true;
}

// The Service Control Manager subscription present on every Windows since Vista:
// SCM events are written to the event log; nothing runs. Its filter:
[[nodiscard]] inline bool is_builtin_scm_filter(const event_filter& f) {
    if (f.event_namespace && !f.event_namespace->empty() && !namespace_is(*f.event_namespace, "root\\cimv2")) return false;
    return canonical_query_is(f, "SELECT * FROM msft_scmeventlogevent");
}

// ... and its consumer.
[[nodiscard]] inline bool is_builtin_scm_consumer(const consumer& c) {
    const auto* nt = std::get_if<nt_event_log_consumer>(&c);
    if (nt == nullptr || !text_is(nt->source_name, "Service Control Manager")) return false;
    const bool templates_empty = !nt->insertion_string_templates ||
                                 (nt->insertion_string_templates->size() <= 1 &&
                                  (nt->insertion_string_templates->empty() || nt->insertion_string_templates->front().empty()));
    return nt->event_id.value_or(0) == 0 && (!nt->unc_server_name || nt->unc_server_name->empty()) && templates_empty &&
           nt->number_of_insertion_strings.value_or(0) == 0 && nt->extra.empty();
}

// The build-verification-test leftover on some Windows builds: samples CPU load with kernrate. Its filter:
[[nodiscard]] inline bool is_builtin_bvt_filter(const event_filter& f) {
    return canonical_query_is(f, "SELECT * FROM __instancemodificationevent WITHIN 60 WHERE targetinstance ISA "
                                 "'win32_processor' AND targetinstance.loadpercentage > 99");
}

// ... and its consumer.
[[nodiscard]] inline bool is_builtin_bvt_consumer(const consumer& c) {
    const auto* cmd = std::get_if<command_line_consumer>(&c);
    return cmd != nullptr && text_is(cmd->command_line_template, "cscript KernCap.vbs") &&
           text_is(cmd->working_directory, "C:\\tools\\kernrate") && (!cmd->executable_path || cmd->executable_path->empty());
}

[[nodiscard]] inline bool is_builtin_scm(const event_filter& f, const consumer& c) {
    return is_builtin_scm_consumer(c) && is_builtin_scm_filter(f);
}

[[nodiscard]] inline bool is_builtin_bvt(const event_filter& f, const consumer& c) {
    return is_builtin_bvt_consumer(c) && is_builtin_bvt_filter(f);
}

// The name of the built-in subscription whose content this is, or empty.
[[nodiscard]] inline std::string_view builtin_subscription(const event_filter* f, const consumer* c) {
    if (f == nullptr || c == nullptr) return {};
    if (is_builtin_scm(*f, *c)) return "Service Control Manager event log subscription";
    if (is_builtin_bvt(*f, *c)) return "BVT kernrate subscription";
    return {};
}

// True when the filter alone, or the consumer alone, is a built-in's: what a rule can
// still compare when the other half is missing or another's.
[[nodiscard]] inline bool is_builtin_filter(const event_filter& f) { return is_builtin_scm_filter(f) || is_builtin_bvt_filter(f); }
[[nodiscard]] inline bool is_builtin_consumer(const consumer& c) { return is_builtin_scm_consumer(c) || is_builtin_bvt_consumer(c); }

// True for names Windows' built-ins use, and close variants attackers pick to
// blend in ("SCM Event Filter", "DSM Event Log Filter", "BVTConsumer2").
[[nodiscard]] inline bool looks_like_builtin_name(std::string_view name) noexcept {
    // Only a name with non-ASCII characters needs full case folding ("ſcm" folds to "scm"); every
    // rule asks this of every entry, so the usual ASCII name is compared in place.
    const bool ascii = std::all_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    std::string folded;
    if (!ascii) folded = fold_case(name);
    const std::string_view n = ascii ? name : std::string_view(folded);
    const bool scm_like = (ifind(n, "scm") != std::string_view::npos || ifind(n, "dsm") != std::string_view::npos) &&
                          ifind(n, "event") != std::string_view::npos;
    return scm_like || ascii_istarts_with(n, "bvt");
}

}  // namespace detail
WMISUB_NAMESPACE_END
