// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/wql/query.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Trigger analysis: from the event class, the target class and the conditions
// of a filter query, what makes its consumer run, and what keeps it from running.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql/ast.hpp"
#include "wmisub/wql/impl/parser.inl"
#include "wmisub/wql/impl/schedule.inl"
#include "wmisub/wql/query.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// True when `name` equals one of `names` (case-insensitive). The class lists are
// long and looked up for every filter: length and first letter rule most out.
// The long lists are static arrays: GCC 12 would build an initializer_list on each call.
[[nodiscard]] inline bool is_one_of(std::string_view name, std::span<const std::string_view> names) noexcept {
    if (name.empty()) return false;
    const char first = ascii_lower(name.front());
    for (std::string_view n : names) {
        if (n.size() == name.size() && ascii_lower(n.front()) == first && wql_iequals(name, n)) return true;
    }
    return false;
}

[[nodiscard]] inline bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) noexcept {
    return is_one_of(name, std::span<const std::string_view>(names.begin(), names.size()));
}

// The intrinsic event classes: WMI generates them for instances, classes and namespaces.
[[nodiscard]] inline bool is_intrinsic_event_class(std::string_view cls) noexcept {
    static constexpr std::string_view names[] = {
        "__InstanceCreationEvent",  "__InstanceModificationEvent", "__InstanceDeletionEvent",  "__InstanceOperationEvent",
        "__MethodInvocationEvent",  "__ClassCreationEvent",        "__ClassModificationEvent", "__ClassDeletionEvent",
        "__ClassOperationEvent",    "__NamespaceCreationEvent",    "__NamespaceModificationEvent",
        "__NamespaceDeletionEvent", "__NamespaceOperationEvent"};
    return is_one_of(cls, names);
}

// WMI's own persistent objects: changes to them are WMI-object changes.
[[nodiscard]] inline bool is_wmi_system_class(std::string_view cls) noexcept {
    static constexpr std::string_view names[] = {
        "__EventFilter",   "__EventConsumer",  "__FilterToConsumerBinding",           "__TimerInstruction",
        "__IntervalTimerInstruction", "__AbsoluteTimerInstruction", "__Namespace",   "__Win32Provider",
        "__EventConsumerProviderRegistration", "__EventProviderRegistration", "__Provider", "__SystemClass"};
    return is_one_of(cls, names) || ascii_iends_with(cls, "EventConsumer");
}

// Classes whose intrinsic events come from an event provider or the repository, so no WITHIN is needed.
[[nodiscard]] inline bool has_event_provider(std::string_view cls) noexcept {
    static constexpr std::string_view names[] = {"Win32_LocalTime", "Win32_UTCTime", "Win32_CurrentTime", "Win32_NTLogEvent"};
    return is_one_of(cls, names) || is_wmi_system_class(cls);
}

// Dynamic provider classes whose intrinsic events WMI must poll for (WITHIN required).
[[nodiscard]] inline bool is_polled_class(std::string_view cls) noexcept {
    return !has_event_provider(cls) && (ascii_istarts_with(cls, "Win32_") || ascii_istarts_with(cls, "CIM_") ||
                                        ascii_istarts_with(cls, "MSFT_") || ascii_istarts_with(cls, "Win32Perf"));
}

// True for `Prefix.Name` or, when prefix is empty, `Name` (case-insensitive).
[[nodiscard]] inline bool property_is(std::string_view path, std::string_view prefix, std::string_view name) noexcept {
    if (prefix.empty()) return wql_iequals(path, name);
    return path.size() == prefix.size() + 1 + name.size() && path[prefix.size()] == '.' &&
           wql_iequals(std::string_view(path.data(), prefix.size()), prefix) &&
           wql_iequals(std::string_view(path.data() + prefix.size() + 1, name.size()), name);
}

class wql_analyzer {
public:
    // Reads views (see wql_syntax), which must outlive the analyser, into `out`
    // (a fresh analysis): filling the caller's object spares moving a large struct.
    wql_analyzer(const wql_syntax& query, wql_analysis& out) noexcept : q_(query), out_(out) {}

    void run() {
        out_.kind = q_.kind;
        out_.within_seconds = q_.within_seconds;
        if (q_.group) out_.group_within_seconds = q_.group->within_seconds;
        collect_conditions();
        if (q_.kind != wql_query_kind::event) {
            add_issue("not_an_event_query", "a filter needs an event query; this is a " + std::string(to_string(q_.kind)) + " query",
                      0, true);
            return;
        }
        out_.event_class = std::string(q_.from_class);
        out_.category = wql_iequals(q_.from_class, "__TimerEvent")      ? event_category::timer
                        : is_intrinsic_event_class(q_.from_class) ? event_category::intrinsic
                                                                  : event_category::extrinsic;
        out_.event_class_known = out_.category != event_category::extrinsic || is_windows_extrinsic_event_class(q_.from_class);
        if (!out_.event_class_known) {
            add_issue("unknown_event_class",
                      std::string(q_.from_class) + " is not an event class Windows ships: it fires only if a vendor's "
                      "or the subscription's own event provider raises it",
                      0, false);
        }
        out_.target_class = std::string(find_target_class());
        classify();
        collect_like_patterns();
        check_polling();
    }

private:
    // --- conditions ---------------------------------------------------------------------------------

    // Calls f(context, node) for each predicate under `index`, in order, with where it
    // sits; the conditions and every lookup below walk the expression the same way.
    template <class F>
    void for_each_predicate(std::uint32_t index, condition_context context, F& f) const {
        const wql_node_ref& n = q_.nodes[index];
        switch (n.kind) {
        case wql_node_kind::all_of:
            q_.for_each_child(n, [&](std::uint32_t child) { for_each_predicate(child, context, f); });
            return;
        case wql_node_kind::any_of: {
            const auto inner = context == condition_context::negated ? context : condition_context::alternative;
            q_.for_each_child(n, [&](std::uint32_t child) { for_each_predicate(child, inner, f); });
            return;
        }
        case wql_node_kind::negation:
            if (n.first_child != wql_no_node) for_each_predicate(n.first_child, condition_context::negated, f);
            return;
        default: f(context, n);
        }
    }

    // Every predicate of the WHERE expression.
    template <class F>
    void for_each_condition(F&& f) const {
        if (q_.where) for_each_predicate(*q_.where, condition_context::required, f);
    }

    // Conditions that say what fires it: not negated.
    template <class F>
    void for_each_positive(F&& f) const {
        for_each_condition([&](condition_context context, const wql_node_ref& n) {
            if (context != condition_context::negated) f(context, n);
        });
    }

    void collect_conditions() {
        std::size_t count = 0;  // exactly, as the analysis is kept for the filter's lifetime
        for_each_condition([&count](condition_context, const wql_node_ref&) { ++count; });
        out_.conditions.reserve(count);
        for_each_condition([&](condition_context context, const wql_node_ref& n) {
            // Strings constructed in place: assigning to empty ones takes libstdc++'s slower path.
            const std::string_view op = n.kind == wql_node_kind::compare ? to_string(n.op)
                                        : n.kind == wql_node_kind::isa   ? "ISA"
                                        : n.kind == wql_node_kind::like  ? "LIKE"
                                        : n.is_not                       ? "IS NOT NULL"
                                                                         : "IS NULL";
            out_.conditions.push_back(wql_condition{std::string(n.property.path), std::string(op), n.value.owned(), context, n.offset});
        });
    }

    // `TargetInstance ISA 'X'` or `TargetInstance.__CLASS = 'X'`, not negated; required before alternatives.
    [[nodiscard]] std::string_view find_target_class() const {
        std::string_view required, alternative;
        for_each_positive([&](condition_context context, const wql_node_ref& n) {
            const bool isa = n.kind == wql_node_kind::isa &&
                             is_one_of(n.property.path, {"TargetInstance", "PreviousInstance", "TargetClass", "__this"});
            const bool class_equals = n.kind == wql_node_kind::compare && n.op == wql_operator::equal &&
                                      n.value.kind == wql_literal::type::string &&
                                      (property_is(n.property.path, "TargetInstance", "__CLASS") ||
                                       property_is(n.property.path, "TargetClass", "__CLASS"));
            if (!isa && !class_equals) return;
            std::string_view& slot = context == condition_context::required ? required : alternative;
            if (slot.empty()) slot = n.value.text;
        });
        return required.empty() ? alternative : required;
    }

    // Calls f(text) for each string value compared with = or LIKE on one of `names`
    // (TargetInstance.X for intrinsic events), not negated.
    template <class F>
    void for_each_string_of(std::initializer_list<std::string_view> names, F&& f) const {
        for_each_positive([&](condition_context, const wql_node_ref& n) {
            if (n.value.kind != wql_literal::type::string) return;
            if (!(n.kind == wql_node_kind::like || (n.kind == wql_node_kind::compare && n.op == wql_operator::equal))) return;
            for (std::string_view name : names) {
                if (matches_property(n.property, name)) {
                    f(n.value.text);
                    return;
                }
            }
        });
    }

    [[nodiscard]] std::vector<std::string> strings_of(std::initializer_list<std::string_view> names) const {
        std::vector<std::string> values;
        for_each_string_of(names, [&](std::string_view text) { values.emplace_back(text); });
        return values;
    }

    [[nodiscard]] std::optional<std::string_view> first_string_of(std::string_view name) const {
        std::optional<std::string_view> first;
        for_each_string_of({name}, [&](std::string_view text) {
            if (!first) first = text;
        });
        return first;
    }

    // Integer values compared with = on a property; WMI converts `'4625'` to a number, so do we.
    [[nodiscard]] std::vector<std::int64_t> integers_of(std::initializer_list<std::string_view> names) const {
        std::vector<std::int64_t> values;
        for_each_positive([&](condition_context, const wql_node_ref& n) {
            if (n.kind != wql_node_kind::compare || n.op != wql_operator::equal) return;
            const auto number = integer_value(n.value);
            if (!number) return;
            for (std::string_view name : names) {
                if (matches_property(n.property, name)) {
                    values.push_back(*number);
                    return;
                }
            }
        });
        return values;
    }

    [[nodiscard]] static std::optional<std::int64_t> integer_value(const wql_literal_ref& v) noexcept {
        if (v.kind == wql_literal::type::integer) return v.integer;
        if (v.kind != wql_literal::type::string) return std::nullopt;
        const std::string_view text = trim(v.text);
        std::int64_t out = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
        if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
        return out;
    }

    [[nodiscard]] bool matches_property(const wql_property_ref& p, std::string_view name) const noexcept {
        if (out_.category == event_category::intrinsic) return property_is(p.path, "TargetInstance", name);
        return property_is(p.path, "", name);
    }

    // --- classification -----------------------------------------------------------------------------

    // The values the trigger lists took from LIKE, so that words and rules read them as patterns.
    void collect_like_patterns() {
        const trigger& t = out_.trigger;
        if (t.process_names.empty() && t.service_names.empty() && t.registry_paths.empty() && t.registry_values.empty() &&
            t.event_sources.empty() && t.event_logs.empty()) {
            return;  // no list a pattern could be in: most queries, and no walk for them
        }
        std::vector<std::string>& out = out_.trigger.like_patterns;
        for_each_positive([&](condition_context, const wql_node_ref& n) {
            if (n.kind != wql_node_kind::like || n.value.kind != wql_literal::type::string) return;
            if (std::find(out.begin(), out.end(), n.value.text) == out.end()) out.emplace_back(n.value.text);
        });
    }

    void classify() {
        trigger& t = out_.trigger;
        const std::string& ec = out_.event_class;
        const std::string& tc = out_.target_class;
        if (out_.category == event_category::timer) {
            t.kind = trigger_kind::interval_timer;
            if (const auto id = first_string_of("TimerId")) t.timer_id = *id;
            return;
        }
        if (out_.category == event_category::intrinsic) {
            classify_intrinsic(ec, tc);
        } else {
            classify_extrinsic(ec);
        }
    }

    [[nodiscard]] trigger_kind fallback_for(std::string_view ec) const noexcept {
        if (wql_iequals(ec, "__InstanceCreationEvent")) return trigger_kind::instance_creation;
        if (wql_iequals(ec, "__InstanceModificationEvent")) return trigger_kind::instance_modification;
        if (wql_iequals(ec, "__InstanceDeletionEvent")) return trigger_kind::instance_deletion;
        return trigger_kind::other;
    }

    void classify_intrinsic(std::string_view ec, std::string_view tc) {
        trigger& t = out_.trigger;
        const bool creation = is_one_of(ec, {"__InstanceCreationEvent", "__InstanceOperationEvent"});
        const bool deletion = wql_iequals(ec, "__InstanceDeletionEvent");
        t.watched_class = std::string(tc);
        if (ascii_istarts_with(ec, "__Class") || ascii_istarts_with(ec, "__Namespace") || is_wmi_system_class(tc)) {
            t.kind = trigger_kind::wmi_object_change;
        } else if (is_one_of(tc, {"Win32_PerfFormattedData_PerfOS_System", "Win32_PerfRawData_PerfOS_System"}) &&
                   uptime_window()) {
            t.kind = trigger_kind::startup;
        } else if (is_one_of(tc, {"Win32_LocalTime", "Win32_UTCTime", "Win32_CurrentTime"})) {
            t.kind = trigger_kind::time_of_day;
            read_schedule(wql_iequals(tc, "Win32_UTCTime"));
        } else if (wql_iequals(tc, "Win32_Process") && (creation || deletion)) {
            t.kind = deletion ? trigger_kind::process_stop : trigger_kind::process_start;
            t.process_names = strings_of({"Name", "ExecutablePath", "CommandLine", "Caption"});
        } else if (is_one_of(tc, {"Win32_LogonSession", "Win32_LoggedOnUser", "Win32_Session"}) && creation) {
            t.kind = trigger_kind::logon;
            t.logon_types = integers_of({"LogonType"});
        } else if (wql_iequals(tc, "Win32_NTLogEvent")) {
            t.kind = trigger_kind::event_log;
            read_event_log();
        } else if (is_one_of(tc, {"Win32_Service", "Win32_BaseService", "Win32_SystemDriver"})) {
            t.kind = trigger_kind::service_change;
            t.service_names = strings_of({"Name", "DisplayName", "PathName"});
            t.service_states = strings_of({"State", "StartMode"});
        } else if (is_removable_media(tc) && !deletion) {
            t.kind = trigger_kind::removable_media;
        } else {
            t.kind = fallback_for(ec);
        }
    }

    // A drive of type 2 (removable) or a USB device class.
    [[nodiscard]] bool is_removable_media(std::string_view tc) const {
        if (is_one_of(tc, {"Win32_LogicalDisk", "Win32_Volume", "Win32_MappedLogicalDisk"})) {
            const auto types = integers_of({"DriveType"});
            return std::find(types.begin(), types.end(), 2) != types.end();
        }
        if (wql_iequals(tc, "Win32_DiskDrive")) {
            for (const std::string& v : strings_of({"InterfaceType", "MediaType"})) {
                if (ifind(v, "USB") != std::string::npos || ifind(v, "Removable") != std::string::npos) return true;
            }
            return false;
        }
        return is_one_of(tc, {"Win32_USBHub", "Win32_USBControllerDevice", "Win32_USBController", "Win32_PnPEntity"});
    }

    void classify_extrinsic(std::string_view ec) {
        trigger& t = out_.trigger;
        if (is_one_of(ec, {"Win32_ProcessStartTrace", "Win32_ProcessTrace"})) {
            t.kind = trigger_kind::process_start;
            t.process_names = strings_of({"ProcessName"});
        } else if (wql_iequals(ec, "Win32_ProcessStopTrace")) {
            t.kind = trigger_kind::process_stop;
            t.process_names = strings_of({"ProcessName"});
        } else if (is_one_of(ec, {"RegistryKeyChangeEvent", "RegistryValueChangeEvent", "RegistryTreeChangeEvent", "RegistryEvent"})) {
            t.kind = trigger_kind::registry_change;
            t.registry_hives = strings_of({"Hive"});
            t.registry_paths = strings_of({"KeyPath", "RootPath"});
            t.registry_values = strings_of({"ValueName"});
        } else if (is_one_of(ec, {"Win32_VolumeChangeEvent", "Win32_DeviceChangeEvent"})) {
            t.kind = trigger_kind::removable_media;
            t.device_event_types = integers_of({"EventType"});
        } else if (is_one_of(ec, {"Win32_ComputerShutdownEvent", "Win32_ComputerSystemEvent"})) {
            t.kind = trigger_kind::shutdown;
        } else if (wql_iequals(ec, "MSFT_SCMEventLogEvent")) {
            t.kind = trigger_kind::service_change;  // the Service Control Manager's own event records
            t.watched_class = std::string(ec);
        } else {
            t.kind = trigger_kind::other;
            t.watched_class = std::string(ec);
        }
    }

    // The required SystemUpTime bounds; false when the query has none.
    [[nodiscard]] bool uptime_window() {
        trigger& t = out_.trigger;
        bool found = false;
        for_each_condition([&](condition_context context, const wql_node_ref& n) {
            if (context != condition_context::required || n.kind != wql_node_kind::compare || !n.value.is_number() ||
                !property_is(n.property.path, "TargetInstance", "SystemUpTime")) {
                return;
            }
            found = true;
            const double v = n.value.real;
            const bool lower = n.op == wql_operator::greater || n.op == wql_operator::greater_equal || n.op == wql_operator::equal;
            const bool upper = n.op == wql_operator::less || n.op == wql_operator::less_equal || n.op == wql_operator::equal;
            if (lower) t.uptime_min_seconds = std::max(t.uptime_min_seconds.value_or(v), v);
            if (upper) t.uptime_max_seconds = std::min(t.uptime_max_seconds.value_or(v), v);
        });
        if (found && t.uptime_min_seconds && t.uptime_max_seconds && *t.uptime_min_seconds > *t.uptime_max_seconds) {
            add_issue("empty_uptime_window", "the SystemUpTime conditions exclude each other", 0, true);
        }
        return found;
    }

    void read_schedule(bool utc) {
        time_schedule& s = out_.trigger.schedule;
        s.utc = utc;
        // The usual filter is an AND of comparisons: one slot, read in the same walk that takes
        // Year (no small domain: its required equality) and names impossible values.
        bool conjunctive = true;
        for (std::size_t i = 0; i < q_.nodes.size() && conjunctive; ++i) {
            conjunctive = q_.nodes[i].kind != wql_node_kind::any_of && q_.nodes[i].kind != wql_node_kind::negation;
        }
        detail::schedule_term only = detail::schedule_any();
        for_each_condition([&](condition_context context, const wql_node_ref& n) {
            if (n.kind != wql_node_kind::compare) return;
            const auto number = integer_value(n.value);
            if (!number) return;
            const bool required_equality = context == condition_context::required && n.op == wql_operator::equal;
            if (matches_property(n.property, "Year")) {
                if (required_equality) s.year = number;
                return;
            }
            const std::size_t f = schedule_field_of(n.property);
            if (f == detail::sf_count) return;
            const detail::schedule_field_info& info = detail::schedule_fields[f];
            if (required_equality && (*number < info.low || *number > info.high)) {
                add_issue("impossible_time", std::string(info.name) + " = " + std::to_string(*number) + " never happens",
                          n.offset, true);
            }
            if (conjunctive) only[f] &= detail::schedule_compare_mask(f, n.op, *number);
        });
        detail::schedule_terms times;
        if (conjunctive) {
            if (std::none_of(only.begin(), only.end(), [](std::uint64_t m) { return m == 0; })) times.terms.push_back(only);
        } else {
            times = q_.where ? schedule_of(*q_.where, false, 0) : detail::schedule_terms::any();
            times.compress();
        }
        s.slots.reserve(times.terms.size());
        for (const detail::schedule_term& t : times.terms) s.slots.push_back(detail::schedule_slot_of(t));
        if (s.slots.empty() && !out_.inert()) {
            add_issue("impossible_time", "the time conditions exclude each other: it never fires", 0, true);
        }
        if (s.slots.size() == 1) keep_single_values(s);
    }

    // Each field's value when the one slot allows exactly one.
    static void keep_single_values(time_schedule& s) {
        const schedule_slot& only = s.slots.front();
        const auto single = [](const std::vector<std::int64_t>& v) {
            return v.size() == 1 ? std::optional<std::int64_t>(v.front()) : std::nullopt;
        };
        s.month = single(only.months);
        s.day = single(only.days);
        s.day_of_week = single(only.days_of_week);
        s.week_in_month = single(only.weeks_in_month);
        s.quarter = single(only.quarters);
        s.hour = single(only.hours);
        s.minute = single(only.minutes);
        s.second = single(only.seconds);
    }

    // The clock field a property names, or sf_count for none.
    [[nodiscard]] std::size_t schedule_field_of(const wql_property_ref& p) const noexcept {
        for (std::size_t f = 0; f < detail::sf_count; ++f) {
            if (matches_property(p, detail::schedule_fields[f].name)) return f;
        }
        return detail::sf_count;
    }

    // The times the expression under `index` allows, NOT pushed down (`negated`). Conditions on
    // anything but a clock field (TargetInstance ISA, Year, LIKE) do not narrow the times.
    [[nodiscard]] detail::schedule_terms schedule_of(std::uint32_t index, bool negated, std::size_t depth) const {
        const wql_node_ref& n = q_.nodes[index];
        if (depth > 64) return detail::schedule_terms::any();  // the parser bounds nesting; this bounds the work
        switch (n.kind) {
        case wql_node_kind::all_of:
        case wql_node_kind::any_of: {
            // AND, or a negated OR (De Morgan), intersects; OR, or a negated AND, unites.
            const bool intersect = (n.kind == wql_node_kind::all_of) != negated;
            std::optional<detail::schedule_terms> out;
            q_.for_each_child(n, [&](std::uint32_t child) {
                detail::schedule_terms part = schedule_of(child, negated, depth + 1);
                if (!out) {
                    out = std::move(part);
                } else if (intersect) {
                    out->intersect(part);
                } else {
                    out->unite(part);
                }
            });
            return out ? std::move(*out) : detail::schedule_terms::any();
        }
        case wql_node_kind::negation:
            if (n.first_child == wql_no_node) return detail::schedule_terms::any();
            return schedule_of(n.first_child, !negated, depth + 1);
        case wql_node_kind::compare: {
            const auto number = integer_value(n.value);
            if (!number) return detail::schedule_terms::any();
            const std::size_t f = schedule_field_of(n.property);
            if (f == detail::sf_count) return detail::schedule_terms::any();
            std::uint64_t mask = detail::schedule_compare_mask(f, n.op, *number);
            if (negated) mask = detail::schedule_domain(f) & ~mask;
            return detail::schedule_terms::of(f, mask);
        }
        default: return detail::schedule_terms::any();
        }
    }

    void read_event_log() {
        trigger& t = out_.trigger;
        t.event_codes = integers_of({"EventCode", "EventIdentifier"});
        t.event_logs = strings_of({"Logfile"});
        t.event_sources = strings_of({"SourceName"});
    }

    // Intrinsic events on provider-backed classes need WITHIN, or WMI refuses the
    // registration (WBEMESS_E_REGISTRATION_TOO_PRECISE, 0x80042002).
    void check_polling() {
        if (out_.category != event_category::intrinsic) return;
        const bool class_or_namespace = ascii_istarts_with(out_.event_class, "__Class") || ascii_istarts_with(out_.event_class, "__Namespace");
        if (out_.target_class.empty() && !class_or_namespace) {
            add_issue("too_broad", "an intrinsic event query with no target class watches every instance in the namespace",
                      q_.from_offset, false);
        }
        if (!out_.within_seconds && !out_.target_class.empty() && is_polled_class(out_.target_class)) {
            add_issue("missing_within",
                      out_.target_class + " has no event provider: without WITHIN WMI refuses the filter "
                                          "(WBEMESS_E_REGISTRATION_TOO_PRECISE)",
                      q_.from_offset, true);
        }
    }

    void add_issue(std::string code, std::string message, std::size_t offset, bool inert) {
        out_.issues.push_back(wql_issue{std::move(code), std::move(message), offset, inert});
    }

    const wql_syntax& q_;
    wql_analysis& out_;
};

// The analysis of views (see wql_syntax), built in place.
[[nodiscard]] inline result<wql_analysis> analyze_syntax(const wql_syntax& syntax) {
    result<wql_analysis> out(std::in_place);
    wql_analyzer(syntax, *out).run();
    return out;
}

// --- plain words -------------------------------------------------------------------------------------

[[nodiscard]] inline std::string describe_seconds(double s) {
    const auto whole = static_cast<std::int64_t>(s);
    if (static_cast<double>(whole) != s) return std::to_string(s) + " s";
    if (whole != 0 && whole % 86400 == 0) return std::to_string(whole / 86400) + (whole == 86400 ? " day" : " days");
    if (whole != 0 && whole % 3600 == 0) return std::to_string(whole / 3600) + (whole == 3600 ? " hour" : " hours");
    if (whole != 0 && whole % 60 == 0 && whole >= 120) return std::to_string(whole / 60) + " min";
    return std::to_string(whole) + " s";
}

[[nodiscard]] inline std::string plain_number(double v) {
    const auto whole = static_cast<std::int64_t>(v);
    return static_cast<double>(whole) == v ? std::to_string(whole) : std::to_string(v);
}

[[nodiscard]] inline std::string list_words(const std::vector<std::string>& items, const char* joiner = " or ") {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i != 0) out += joiner;
        out += items[i];
    }
    return out;
}

// A LIKE pattern as what it matches: `procexp%` is a name starting with "procexp".
[[nodiscard]] inline std::string like_words(std::string_view pattern) {
    const auto plain = [](std::string_view core) { return core.find_first_of("%_[") == std::string_view::npos; };
    const bool leading = pattern.size() > 1 && pattern.front() == '%';
    const bool trailing = pattern.size() > 1 && pattern.back() == '%';
    const std::string_view core = pattern.substr(leading ? 1 : 0, pattern.size() - (leading ? 1 : 0) - (trailing ? 1 : 0));
    if (!core.empty() && plain(core)) {
        if (leading && trailing) return "a process whose name contains '" + std::string(core) + "'";
        if (trailing) return "a process whose name starts with '" + std::string(core) + "'";
        if (leading) return "a process whose name ends with '" + std::string(core) + "'";
    }
    if (pattern == "%") return "any process";
    return "a process whose name matches LIKE '" + std::string(pattern) + "'";
}

// The processes a process trigger names, patterns in words.
[[nodiscard]] inline std::string process_words(const trigger& t) {
    std::vector<std::string> items;
    for (const std::string& name : t.process_names) {
        const bool pattern = std::find(t.like_patterns.begin(), t.like_patterns.end(), name) != t.like_patterns.end();
        items.push_back(pattern ? like_words(name) : name);
    }
    return list_words(items);
}

[[nodiscard]] inline std::string instance_words(const trigger& t) {
    return t.watched_class.empty() ? std::string("any instance") : "a " + t.watched_class + " instance";
}

[[nodiscard]] inline std::string describe_trigger(const trigger& t, std::optional<std::uint64_t> timer_interval_ms) {
    switch (t.kind) {
    case trigger_kind::startup:
        if (t.uptime_min_seconds && t.uptime_max_seconds) {
            return "runs " + plain_number(*t.uptime_min_seconds) + "–" + plain_number(*t.uptime_max_seconds) + " s after boot";
        }
        if (t.uptime_min_seconds) return "runs once uptime passes " + describe_seconds(*t.uptime_min_seconds);
        return "runs while uptime is below " + describe_seconds(t.uptime_max_seconds.value_or(0));
    case trigger_kind::interval_timer:
        if (timer_interval_ms) {
            return "runs every " + describe_seconds(static_cast<double>(*timer_interval_ms) / 1000.0) + " (timer '" + t.timer_id + "')";
        }
        return "runs when timer '" + t.timer_id + "' fires";
    case trigger_kind::time_of_day:
        if (t.schedule.slots.empty()) return "never runs: its time conditions exclude each other";
        return "runs " + describe_schedule(t.schedule);
    case trigger_kind::process_start:
        return t.process_names.empty() ? "runs when any process starts" : "runs when " + process_words(t) + " starts";
    case trigger_kind::process_stop:
        return t.process_names.empty() ? "runs when any process exits" : "runs when " + process_words(t) + " exits";
    case trigger_kind::logon: return "runs at every logon";
    case trigger_kind::service_change:
        if (ascii_iequals(t.watched_class, "MSFT_SCMEventLogEvent")) return "runs when the Service Control Manager logs a service event";
        return t.service_names.empty() ? "runs when a service changes" : "runs when service " + list_words(t.service_names) + " changes";
    case trigger_kind::registry_change:
        return "runs when registry " + (t.registry_hives.empty() ? std::string() : list_words(t.registry_hives) + "\\") +
               list_words(t.registry_paths) + " changes";
    case trigger_kind::removable_media: return "runs when removable media or a USB device arrives";
    case trigger_kind::event_log: {
        std::vector<std::string> codes;
        for (std::int64_t c : t.event_codes) codes.push_back(std::to_string(c));
        std::string out = codes.empty() ? "runs when an event log record is written"
                                        : "runs when event ID " + list_words(codes) + " is logged";
        if (!t.event_logs.empty()) out += " in " + list_words(t.event_logs);
        if (!t.event_sources.empty()) out += " by " + list_words(t.event_sources);
        return out;
    }
    case trigger_kind::wmi_object_change:
        return "runs when WMI objects" + (t.watched_class.empty() ? std::string() : " of class " + t.watched_class) + " change";
    case trigger_kind::shutdown: return "runs at shutdown, reboot or logoff";
    case trigger_kind::instance_creation: return "runs when " + instance_words(t) + " is created";
    case trigger_kind::instance_modification: return "runs when " + instance_words(t) + " changes";
    case trigger_kind::instance_deletion: return "runs when " + instance_words(t) + " is deleted";
    case trigger_kind::other: break;
    }
    return t.watched_class.empty() ? "runs on other events" : "runs on " + t.watched_class + " events";
}

}  // namespace detail
WMISUB_NAMESPACE_END
