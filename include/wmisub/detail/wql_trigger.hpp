// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// IWYU pragma: private, include "wmisub/wql.hpp"
// Trigger analysis: from the event class, the target class and the conditions
// of a filter query, what makes its consumer run, and what keeps it from running.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/text.hpp"
#include "wmisub/wql_ast.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// True when `name` equals one of `names` (case-insensitive).
[[nodiscard]] inline bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) noexcept {
    for (std::string_view n : names) {
        if (ascii_iequals(name, n)) return true;
    }
    return false;
}

// The intrinsic event classes: WMI generates them for instances, classes and namespaces.
[[nodiscard]] inline bool is_intrinsic_event_class(std::string_view cls) noexcept {
    return is_one_of(cls, {"__InstanceCreationEvent", "__InstanceModificationEvent", "__InstanceDeletionEvent",
                           "__InstanceOperationEvent", "__MethodInvocationEvent", "__ClassCreationEvent",
                           "__ClassModificationEvent", "__ClassDeletionEvent", "__ClassOperationEvent",
                           "__NamespaceCreationEvent", "__NamespaceModificationEvent", "__NamespaceDeletionEvent",
                           "__NamespaceOperationEvent"});
}

// WMI's own persistent objects: changes to them are WMI-object changes.
[[nodiscard]] inline bool is_wmi_system_class(std::string_view cls) noexcept {
    return is_one_of(cls, {"__EventFilter", "__EventConsumer", "__FilterToConsumerBinding", "__TimerInstruction",
                           "__IntervalTimerInstruction", "__AbsoluteTimerInstruction", "__Namespace",
                           "__Win32Provider", "__EventConsumerProviderRegistration", "__EventProviderRegistration",
                           "__Provider", "__SystemClass"}) ||
           ascii_iends_with(cls, "EventConsumer");
}

// Classes whose intrinsic events come from an event provider or the repository, so no WITHIN is needed.
[[nodiscard]] inline bool has_event_provider(std::string_view cls) noexcept {
    return is_one_of(cls, {"Win32_LocalTime", "Win32_UTCTime", "Win32_CurrentTime", "Win32_NTLogEvent"}) ||
           is_wmi_system_class(cls);
}

// Dynamic provider classes whose intrinsic events WMI must poll for (WITHIN required).
[[nodiscard]] inline bool is_polled_class(std::string_view cls) noexcept {
    return !has_event_provider(cls) && (ascii_istarts_with(cls, "Win32_") || ascii_istarts_with(cls, "CIM_") ||
                                        ascii_istarts_with(cls, "MSFT_") || ascii_istarts_with(cls, "Win32Perf"));
}

// True for `Prefix.Name` or, when prefix is empty, `Name` (case-insensitive).
[[nodiscard]] inline bool property_is(const wql_property& p, std::string_view prefix, std::string_view name) noexcept {
    if (prefix.empty()) return ascii_iequals(p.path, name);
    const std::string_view path = p.path;
    return path.size() == prefix.size() + 1 + name.size() && path[prefix.size()] == '.' &&
           ascii_iequals(path.substr(0, prefix.size()), prefix) && ascii_iequals(path.substr(prefix.size() + 1), name);
}

class wql_analyzer {
public:
    explicit wql_analyzer(const wql_query& query) : q_(query) {}

    [[nodiscard]] wql_analysis run() {
        out_.kind = q_.kind;
        out_.within_seconds = q_.within_seconds;
        if (q_.group) out_.group_within_seconds = q_.group->within_seconds;
        out_.conditions.reserve(q_.nodes.size());
        nodes_of_conditions_.reserve(q_.nodes.size());
        if (q_.where) collect_conditions(*q_.where, condition_context::required);
        if (q_.kind != wql_query_kind::event) {
            add_issue("not_an_event_query", "a filter needs an event query; this is a " + std::string(to_string(q_.kind)) + " query",
                      0, true);
            return std::move(out_);
        }
        out_.event_class = q_.from_class;
        out_.category = ascii_iequals(q_.from_class, "__TimerEvent")    ? event_category::timer
                        : is_intrinsic_event_class(q_.from_class) ? event_category::intrinsic
                                                                  : event_category::extrinsic;
        out_.target_class = find_target_class();
        classify();
        check_polling();
        return std::move(out_);
    }

private:
    // --- conditions ---------------------------------------------------------------------------------

    void collect_conditions(std::uint32_t index, condition_context context) {
        const wql_node& n = q_.nodes[index];
        switch (n.kind) {
        case wql_node_kind::all_of:
            for (std::uint32_t child : n.children) collect_conditions(child, context);
            return;
        case wql_node_kind::any_of:
            for (std::uint32_t child : n.children) {
                collect_conditions(child, context == condition_context::negated ? context : condition_context::alternative);
            }
            return;
        case wql_node_kind::negation: collect_conditions(n.children[0], condition_context::negated); return;
        default: break;
        }
        wql_condition c;
        c.property = n.property.to_string();
        c.value = n.value;
        c.context = context;
        c.offset = n.offset;
        c.op = n.kind == wql_node_kind::compare ? std::string(to_string(n.op))
               : n.kind == wql_node_kind::isa   ? "ISA"
               : n.kind == wql_node_kind::like  ? "LIKE"
               : n.is_not                       ? "IS NOT NULL"
                                                : "IS NULL";
        out_.conditions.push_back(std::move(c));
        nodes_of_conditions_.push_back(index);
    }

    // Conditions that say what fires it: not negated.
    template <class F>
    void for_each_positive(F&& f) const {
        for (std::size_t i = 0; i < out_.conditions.size(); ++i) {
            if (out_.conditions[i].context != condition_context::negated) f(out_.conditions[i], q_.nodes[nodes_of_conditions_[i]]);
        }
    }

    // `TargetInstance ISA 'X'` or `TargetInstance.__CLASS = 'X'`, not negated; required before alternatives.
    [[nodiscard]] std::string find_target_class() const {
        std::string required, alternative;
        for_each_positive([&](const wql_condition& c, const wql_node& n) {
            const bool isa = n.kind == wql_node_kind::isa &&
                             is_one_of(n.property.path, {"TargetInstance", "PreviousInstance", "TargetClass", "__this"});
            const bool class_equals = n.kind == wql_node_kind::compare && n.op == wql_operator::equal &&
                                      n.value.kind == wql_literal::type::string &&
                                      (property_is(n.property, "TargetInstance", "__CLASS") ||
                                       property_is(n.property, "TargetClass", "__CLASS"));
            if (!isa && !class_equals) return;
            std::string& slot = c.context == condition_context::required ? required : alternative;
            if (slot.empty()) slot = n.value.text;
        });
        return required.empty() ? alternative : required;
    }

    // String values compared with = or LIKE on a property (TargetInstance.X for intrinsic events).
    [[nodiscard]] std::vector<std::string> strings_of(std::initializer_list<std::string_view> names) const {
        std::vector<std::string> values;
        for_each_positive([&](const wql_condition&, const wql_node& n) {
            if (n.value.kind != wql_literal::type::string) return;
            if (!(n.kind == wql_node_kind::like || (n.kind == wql_node_kind::compare && n.op == wql_operator::equal))) return;
            for (std::string_view name : names) {
                if (matches_property(n.property, name)) {
                    values.push_back(n.value.text);
                    return;
                }
            }
        });
        return values;
    }

    // Integer values compared with = on a property; WMI converts `'4625'` to a number, so do we.
    [[nodiscard]] std::vector<std::int64_t> integers_of(std::initializer_list<std::string_view> names) const {
        std::vector<std::int64_t> values;
        for_each_positive([&](const wql_condition&, const wql_node& n) {
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

    [[nodiscard]] static std::optional<std::int64_t> integer_value(const wql_literal& v) noexcept {
        if (v.kind == wql_literal::type::integer) return v.integer;
        if (v.kind != wql_literal::type::string) return std::nullopt;
        const std::string_view text = trim(v.text);
        std::int64_t out = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
        if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
        return out;
    }

    [[nodiscard]] bool matches_property(const wql_property& p, std::string_view name) const noexcept {
        if (out_.category == event_category::intrinsic) return property_is(p, "TargetInstance", name);
        return property_is(p, "", name);
    }

    // The single required equality on a property, as a number.
    [[nodiscard]] std::optional<std::int64_t> required_integer(std::string_view name) const {
        std::optional<std::int64_t> value;
        for (std::size_t i = 0; i < out_.conditions.size(); ++i) {
            const wql_node& n = q_.nodes[nodes_of_conditions_[i]];
            if (out_.conditions[i].context == condition_context::required && n.kind == wql_node_kind::compare &&
                n.op == wql_operator::equal && integer_value(n.value) && matches_property(n.property, name)) {
                value = integer_value(n.value);
            }
        }
        return value;
    }

    // --- classification -----------------------------------------------------------------------------

    void classify() {
        trigger& t = out_.trigger;
        const std::string& ec = out_.event_class;
        const std::string& tc = out_.target_class;
        if (out_.category == event_category::timer) {
            t.kind = trigger_kind::interval_timer;
            const auto ids = strings_of({"TimerId"});
            if (!ids.empty()) t.timer_id = ids.front();
            return;
        }
        if (out_.category == event_category::intrinsic) {
            classify_intrinsic(ec, tc);
        } else {
            classify_extrinsic(ec);
        }
    }

    [[nodiscard]] trigger_kind fallback_for(std::string_view ec) const noexcept {
        if (ascii_iequals(ec, "__InstanceCreationEvent")) return trigger_kind::instance_creation;
        if (ascii_iequals(ec, "__InstanceModificationEvent")) return trigger_kind::instance_modification;
        if (ascii_iequals(ec, "__InstanceDeletionEvent")) return trigger_kind::instance_deletion;
        return trigger_kind::other;
    }

    void classify_intrinsic(std::string_view ec, std::string_view tc) {
        trigger& t = out_.trigger;
        const bool creation = is_one_of(ec, {"__InstanceCreationEvent", "__InstanceOperationEvent"});
        const bool deletion = ascii_iequals(ec, "__InstanceDeletionEvent");
        t.watched_class = std::string(tc);
        if (ascii_istarts_with(ec, "__Class") || ascii_istarts_with(ec, "__Namespace") || is_wmi_system_class(tc)) {
            t.kind = trigger_kind::wmi_object_change;
        } else if (is_one_of(tc, {"Win32_PerfFormattedData_PerfOS_System", "Win32_PerfRawData_PerfOS_System"}) &&
                   uptime_window()) {
            t.kind = trigger_kind::startup;
        } else if (is_one_of(tc, {"Win32_LocalTime", "Win32_UTCTime", "Win32_CurrentTime"})) {
            t.kind = trigger_kind::time_of_day;
            read_schedule(ascii_iequals(tc, "Win32_UTCTime"));
        } else if (ascii_iequals(tc, "Win32_Process") && (creation || deletion)) {
            t.kind = deletion ? trigger_kind::process_stop : trigger_kind::process_start;
            t.process_names = strings_of({"Name", "ExecutablePath", "CommandLine", "Caption"});
        } else if (is_one_of(tc, {"Win32_LogonSession", "Win32_LoggedOnUser", "Win32_Session"}) && creation) {
            t.kind = trigger_kind::logon;
            t.logon_types = integers_of({"LogonType"});
        } else if (ascii_iequals(tc, "Win32_NTLogEvent")) {
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
        if (ascii_iequals(tc, "Win32_DiskDrive")) {
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
        } else if (ascii_iequals(ec, "Win32_ProcessStopTrace")) {
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
        } else if (ascii_iequals(ec, "MSFT_SCMEventLogEvent")) {
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
        for (std::size_t i = 0; i < out_.conditions.size(); ++i) {
            const wql_node& n = q_.nodes[nodes_of_conditions_[i]];
            if (out_.conditions[i].context != condition_context::required || n.kind != wql_node_kind::compare ||
                !n.value.is_number() || !property_is(n.property, "TargetInstance", "SystemUpTime")) {
                continue;
            }
            found = true;
            const double v = n.value.real;
            const bool lower = n.op == wql_operator::greater || n.op == wql_operator::greater_equal || n.op == wql_operator::equal;
            const bool upper = n.op == wql_operator::less || n.op == wql_operator::less_equal || n.op == wql_operator::equal;
            if (lower) t.uptime_min_seconds = std::max(t.uptime_min_seconds.value_or(v), v);
            if (upper) t.uptime_max_seconds = std::min(t.uptime_max_seconds.value_or(v), v);
        }
        if (found && t.uptime_min_seconds && t.uptime_max_seconds && *t.uptime_min_seconds > *t.uptime_max_seconds) {
            add_issue("empty_uptime_window", "the SystemUpTime conditions exclude each other", 0, true);
        }
        return found;
    }

    void read_schedule(bool utc) {
        time_schedule& s = out_.trigger.schedule;
        s.utc = utc;
        s.year = required_integer("Year");
        s.month = required_integer("Month");
        s.day = required_integer("Day");
        s.day_of_week = required_integer("DayOfWeek");
        s.week_in_month = required_integer("WeekInMonth");
        s.quarter = required_integer("Quarter");
        s.hour = required_integer("Hour");
        s.minute = required_integer("Minute");
        s.second = required_integer("Second");
        check_schedule_range(s);
    }

    void check_schedule_range(const time_schedule& s) {
        auto out_of = [&](const std::optional<std::int64_t>& v, std::int64_t lo, std::int64_t hi, const char* name) {
            if (v && (*v < lo || *v > hi)) {
                add_issue("impossible_time", std::string(name) + " = " + std::to_string(*v) + " never happens", 0, true);
            }
        };
        out_of(s.hour, 0, 23, "Hour");
        out_of(s.minute, 0, 59, "Minute");
        out_of(s.second, 0, 59, "Second");
        out_of(s.day_of_week, 0, 6, "DayOfWeek");
        out_of(s.day, 1, 31, "Day");
        out_of(s.month, 1, 12, "Month");
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

    const wql_query& q_;
    wql_analysis out_;
    std::vector<std::uint32_t> nodes_of_conditions_;  // parallel to out_.conditions
};

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

[[nodiscard]] inline std::string two_digits(const std::optional<std::int64_t>& v) {
    if (!v) return "**";
    std::string s = std::to_string(*v);
    return s.size() < 2 ? "0" + s : s;
}

[[nodiscard]] inline std::string describe_schedule(const time_schedule& s) {
    constexpr std::string_view days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    std::string when;
    if (s.day_of_week && *s.day_of_week >= 0 && *s.day_of_week <= 6) {
        when = "every " + std::string(days[*s.day_of_week]);
    } else if (s.day) {
        when = "on day " + std::to_string(*s.day) + (s.month ? " of month " + std::to_string(*s.month) : " of every month");
    } else {
        when = "daily";
    }
    if (!s.hour && !s.minute && !s.second) return when + ", every second";
    return when + " at " + two_digits(s.hour) + ":" + two_digits(s.minute) + ":" + two_digits(s.second) +
           (s.utc ? " UTC" : "");
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
    case trigger_kind::time_of_day: return "runs " + describe_schedule(t.schedule);
    case trigger_kind::process_start:
        return t.process_names.empty() ? "runs when any process starts" : "runs when " + list_words(t.process_names) + " starts";
    case trigger_kind::process_stop:
        return t.process_names.empty() ? "runs when any process exits" : "runs when " + list_words(t.process_names) + " exits";
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
