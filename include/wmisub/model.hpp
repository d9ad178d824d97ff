// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The typed model every source fills: filters, the five standard consumers,
// custom consumers, bindings and timer instructions, each with its namespace,
// class, identity, unmodelled properties and provenance; and the snapshot that
// holds them with the errors met while collecting.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/result.hpp"
#include "wmisub/sid.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// Where objects come from. Names are stable (JSON reports use them).
enum class source_kind : std::uint8_t { unknown, mock, mof, snapshot, event_log, repository, com };

[[nodiscard]] constexpr std::string_view to_string(source_kind k) noexcept {
    switch (k) {
    case source_kind::unknown: return "unknown";
    case source_kind::mock: return "mock";
    case source_kind::mof: return "mof";
    case source_kind::snapshot: return "snapshot";
    case source_kind::event_log: return "event_log";
    case source_kind::repository: return "repository";
    case source_kind::com: return "com";
    }
    return "unknown";
}

// A fact a source knows about an object beyond its properties. Names are
// stable (JSON uses them).
enum class annotation_kind : std::uint8_t {
    autorecover,        // MOF `#pragma autorecover`: re-created from the file whenever the repository is rebuilt
    deleted,            // the source deletes it (MOF `#pragma deleteinstance`/`deleteclass`, a deletion event)
    recovered,          // recovered from free space or slack: no longer live, left behind
    seen_in_event_log,  // an event log recorded it (creation, modification, activation)
    incomplete,         // the source cut it short (truncated input): properties may be missing
};

[[nodiscard]] constexpr std::string_view to_string(annotation_kind k) noexcept {
    switch (k) {
    case annotation_kind::autorecover: return "autorecover";
    case annotation_kind::deleted: return "deleted";
    case annotation_kind::recovered: return "recovered";
    case annotation_kind::seen_in_event_log: return "seen_in_event_log";
    case annotation_kind::incomplete: return "incomplete";
    }
    return "incomplete";
}

// One annotation: what, where the source says so, and in its words.
struct annotation {
    annotation_kind kind = annotation_kind::incomplete;
    source_location where;
    std::string detail;

    friend bool operator==(const annotation&, const annotation&) = default;
};

// Where an object was found and what the source knew about it. Volatile:
// never part of an object's identity or content fingerprint.
struct provenance {
    source_kind kind = source_kind::unknown;
    source_location where;                         // file (or channel, host) and line:column or byte offset
    std::optional<std::uint64_t> page;             // offline repository page
    std::optional<std::uint64_t> record;           // offline repository record, or the index in a JSON array
    std::optional<std::uint64_t> event_record_id;  // event log EventRecordID
    std::optional<timestamp> created;              // when the object was created, if the source says
    std::optional<timestamp> modified;             // when it last changed, if the source says
    std::string actor_sid;                         // who created it per the source (event logs), `S-1-…`
    std::vector<annotation> annotations;           // what the source knows beyond the properties

    // True when the source annotated the object with `k`.
    [[nodiscard]] bool has(annotation_kind k) const noexcept {
        for (const annotation& a : annotations) {
            if (a.kind == k) return true;
        }
        return false;
    }

    // "mof:persist.mof:12:1" — kind, then the location when known.
    [[nodiscard]] std::string to_string() const {
        std::string out(wmisub::to_string(kind));
        const std::string at = where.to_string();
        if (!at.empty()) out += ':' + at;
        if (event_record_id) out += "#" + std::to_string(*event_record_id);
        return out;
    }

    friend bool operator==(const provenance&, const provenance&) = default;
};

// A generic WMI instance as a source reads it, before it is typed.
struct instance {
    std::string namespace_path;           // `root\subscription`
    std::string class_name;               // as the source spells it
    std::vector<std::string> derivation;  // superclasses, nearest first (`__DERIVATION`), when known
    std::vector<std::string> key_names;   // key properties when known (MOF [key], COM); empty: the class default
    std::vector<property> properties;
    provenance origin;

    // The property value called `name` (case-insensitive), or nullptr.
    [[nodiscard]] const value* get(std::string_view name) const noexcept WMISUB_LIFETIMEBOUND {
        const property* p = find_property(properties, name);
        return p != nullptr ? &p->value : nullptr;
    }
    // Sets or replaces a property; returns *this so instances can be built fluently.
    instance& set(std::string_view name, value v) {
        for (property& p : properties) {
            if (iequals(p.name, name)) {
                p.value = std::move(v);
                return *this;
            }
        }
        properties.push_back({std::string(name), std::move(v)});
        return *this;
    }
};

// What every subscription object has besides its class-specific fields.
struct object_header {
    std::string namespace_path;
    std::string class_name;                 // as the source spells it
    std::vector<std::uint8_t> creator_sid;  // raw `CreatorSID` bytes; empty when absent
    std::vector<property> extra;            // properties wmisub does not model, or that had an unexpected type
    provenance origin;

    // `CreatorSID` as `S-1-…`; nullopt when absent or malformed.
    [[nodiscard]] std::optional<std::string> creator_sid_string() const {
        if (creator_sid.empty()) return std::nullopt;
        auto sid = format_sid(creator_sid);
        if (!sid) return std::nullopt;
        return std::move(*sid);
    }
    // An unmodelled property by name (case-insensitive), or nullptr.
    [[nodiscard]] const value* extra_property(std::string_view name) const noexcept WMISUB_LIFETIMEBOUND {
        const property* p = find_property(extra, name);
        return p != nullptr ? &p->value : nullptr;
    }
};

// `__EventFilter`: the WQL event query that decides when a payload runs.
struct event_filter : object_header {
    std::string name;                              // key
    std::string query;
    std::optional<std::string> query_language;     // "WQL"
    std::optional<std::string> event_namespace;    // where events come from; NULL: the filter's namespace
    std::optional<std::string> event_access;       // SDDL of who may publish events
};

// Properties every consumer class has (`__EventConsumer`).
struct consumer_header : object_header {
    std::string name;                                 // key of the standard classes
    std::optional<std::string> machine_name;
    std::optional<std::uint32_t> maximum_queue_size;
};

// `ActiveScriptEventConsumer`: VBScript/JScript run by scrcons.exe as SYSTEM.
struct active_script_consumer : consumer_header {
    std::optional<std::string> scripting_engine;
    std::optional<std::string> script_text;
    std::optional<std::string> script_file_name;
    std::optional<std::uint32_t> kill_timeout;
};

// `CommandLineEventConsumer`: a process started as SYSTEM.
struct command_line_consumer : consumer_header {
    std::optional<std::string> command_line_template;
    std::optional<std::string> executable_path;
    std::optional<std::string> working_directory;
    std::optional<std::string> window_title;
    std::optional<std::string> desktop_name;
    std::optional<bool> run_interactively;
    std::optional<bool> create_new_console;
    std::optional<bool> create_new_process_group;
    std::optional<std::uint32_t> kill_timeout;
    std::optional<std::uint32_t> show_window_command;
    std::optional<std::int32_t> priority;
};

// `LogFileEventConsumer`: appends text to a file (a file-write primitive).
struct log_file_consumer : consumer_header {
    std::optional<std::string> filename;
    std::optional<std::string> text;
    std::optional<bool> is_unicode;
    std::optional<std::uint64_t> maximum_file_size;
};

// `NTEventLogEventConsumer`: writes an event log record.
struct nt_event_log_consumer : consumer_header {
    std::optional<std::string> source_name;
    std::optional<std::string> unc_server_name;
    std::optional<std::uint32_t> event_id;
    std::optional<std::uint32_t> event_type;
    std::optional<std::uint16_t> category;
    std::optional<std::uint32_t> number_of_insertion_strings;
    std::optional<std::vector<std::string>> insertion_string_templates;
    std::optional<std::string> name_of_raw_data_property;
    std::optional<std::string> name_of_user_sid_property;
};

// `SMTPEventConsumer`: sends an e-mail (a data-exfiltration channel).
struct smtp_consumer : consumer_header {
    std::optional<std::string> smtp_server;
    std::optional<std::string> to_line;
    std::optional<std::string> cc_line;
    std::optional<std::string> bcc_line;
    std::optional<std::string> from_line;
    std::optional<std::string> reply_to_line;
    std::optional<std::string> subject;
    std::optional<std::string> message;
    std::optional<std::vector<std::string>> header_fields;
};

// Any other class derived from `__EventConsumer`: a consumer provider DLL runs it.
// Its properties stay in `extra`; `name` is its `Name` or first key value.
struct custom_consumer : consumer_header {
    std::vector<std::string> key_names;   // key properties, when the source knows them
    std::vector<std::string> derivation;  // superclasses, nearest first, when known
};

// Any consumer.
using consumer = std::variant<active_script_consumer, command_line_consumer, log_file_consumer, nt_event_log_consumer,
                              smtp_consumer, custom_consumer>;

// `__FilterToConsumerBinding`: ties a filter to a consumer through object paths.
struct binding : object_header {
    std::string filter;    // key: object path text as stored
    std::string consumer;  // key: object path text as stored
    std::optional<bool> deliver_synchronously;
    std::optional<std::uint32_t> delivery_qos;
    std::optional<bool> maintain_security_context;
    std::optional<bool> slow_down_providers;
};

// `__IntervalTimerInstruction` or `__AbsoluteTimerInstruction`: fires `__TimerEvent`s with its TimerId.
struct timer_instruction : object_header {
    std::string timer_id;                                  // key
    std::optional<bool> skip_if_passed;
    std::optional<std::uint32_t> interval_between_events;  // milliseconds (interval timers)
    std::optional<dmtf_datetime> event_date_time;          // absolute timers

    // True for `__IntervalTimerInstruction` (and its subclasses named so).
    [[nodiscard]] bool is_interval() const noexcept { return iequals(class_name, "__IntervalTimerInstruction"); }
};

// The WMI class names wmisub models.
namespace class_names {
inline constexpr std::string_view event_filter = "__EventFilter";
inline constexpr std::string_view event_consumer = "__EventConsumer";
inline constexpr std::string_view binding = "__FilterToConsumerBinding";
inline constexpr std::string_view active_script = "ActiveScriptEventConsumer";
inline constexpr std::string_view command_line = "CommandLineEventConsumer";
inline constexpr std::string_view log_file = "LogFileEventConsumer";
inline constexpr std::string_view nt_event_log = "NTEventLogEventConsumer";
inline constexpr std::string_view smtp = "SMTPEventConsumer";
inline constexpr std::string_view interval_timer = "__IntervalTimerInstruction";
inline constexpr std::string_view absolute_timer = "__AbsoluteTimerInstruction";
}  // namespace class_names

// True when a class is a consumer: one of the five standard classes, or a
// class whose derivation names `__EventConsumer`.
[[nodiscard]] WMISUB_API bool is_consumer_class(std::string_view class_name,
                                                const std::vector<std::string>& derivation = {}) noexcept;

// Any subscription object, or an instance of another class kept as it is
// (a `__Win32Provider` registration, an attacker's storage class).
using wmi_object = std::variant<event_filter, consumer, binding, timer_instruction, instance>;

// Types an instance by its class. Fails only when a key property is missing or
// unusable; warnings (properties of an unexpected type, kept in `extra`) are
// appended to `warnings` when given.
[[nodiscard]] WMISUB_API result<wmi_object> from_instance(const instance& in, std::vector<error>* warnings = nullptr);

// The properties of a typed object as WMI spells them: modelled fields first
// (NULLs omitted), then CreatorSID, then `extra`. The inverse of from_instance.
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const event_filter& object);
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const active_script_consumer& object);
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const command_line_consumer& object);
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const log_file_consumer& object);
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const nt_event_log_consumer& object);
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const smtp_consumer& object);
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const custom_consumer& object);
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const binding& object);
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const timer_instruction& object);
// The properties of any consumer.
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const consumer& c);

// The common part of any consumer.
[[nodiscard]] WMISUB_API const consumer_header& header_of(const consumer& c WMISUB_LIFETIMEBOUND) noexcept;

// A string property of an object, found without copying: its name as
// properties_of() spells it, and its text (a view into the object).
struct text_property_view {
    std::string_view name;
    std::string_view text;
};

// The non-NULL string property `name` (case-insensitive) of an object, modelled or in
// `extra`; nullopt when there is none or it is not a string.
[[nodiscard]] WMISUB_API std::optional<text_property_view> text_property(const event_filter& object WMISUB_LIFETIMEBOUND,
                                                                         std::string_view name) noexcept;
[[nodiscard]] WMISUB_API std::optional<text_property_view> text_property(const consumer& object WMISUB_LIFETIMEBOUND,
                                                                         std::string_view name) noexcept;
[[nodiscard]] WMISUB_API std::optional<text_property_view> text_property(const binding& object WMISUB_LIFETIMEBOUND,
                                                                         std::string_view name) noexcept;
[[nodiscard]] WMISUB_API std::optional<text_property_view> text_property(const timer_instruction& object WMISUB_LIFETIMEBOUND,
                                                                         std::string_view name) noexcept;

// The key property names of a consumer: `Name` for standard classes, the known keys of a custom class.
[[nodiscard]] WMISUB_API std::vector<std::string> key_names_of(const consumer& c);

// The identity of an object as an object path: namespace, class and key properties.
[[nodiscard]] WMISUB_API object_path identity_of(const event_filter& f);
[[nodiscard]] WMISUB_API object_path identity_of(const binding& b);
[[nodiscard]] WMISUB_API object_path identity_of(const timer_instruction& t);
[[nodiscard]] WMISUB_API object_path identity_of(const consumer& c);

// An error met while collecting, with the source and namespace it concerns.
struct collection_error {
    std::string source;          // collector or file name
    std::string namespace_path;  // empty when not namespace-specific
    wmisub::error error;

    friend bool operator==(const collection_error&, const collection_error&) = default;
};

// An annotation about an object a source names but may not hold (a MOF file's
// `#pragma deleteinstance("…")` names an instance created elsewhere).
struct object_annotation {
    std::string target;  // the object path as the source wrote it
    annotation note;

    friend bool operator==(const object_annotation&, const object_annotation&) = default;
};

// Everything one collection found, plus the errors met on the way. Objects of
// every kind are kept, bound or not. A value type: a graph takes its own copy
// (or shares one through std::shared_ptr), so changing a snapshot afterwards
// never affects a graph or an assessment.
namespace detail {
// Unites what two parts of an input could read (readable_consumer_classes): every
// class (nullopt) wins; otherwise the union, without repeats.
inline void unite_readable_classes(std::optional<std::vector<std::string>>& into,
                                   const std::optional<std::vector<std::string>>& part) {
    if (!into || !part) {
        into.reset();
        return;
    }
    for (const std::string& c : *part) {
        if (std::none_of(into->begin(), into->end(), [&c](const std::string& have) { return iequals(have, c); })) {
            into->push_back(c);
        }
    }
}
}  // namespace detail

// How many objects of each kind: what `collect` writes, `scan` reads and `diff`
// compares are counted with this one measure, so the numbers agree.
struct object_counts {
    std::size_t filters = 0;
    std::size_t consumers = 0;
    std::size_t bindings = 0;
    std::size_t timers = 0;
    std::size_t other = 0;  // instances of other classes (providers, registrations, ...)

    [[nodiscard]] constexpr std::size_t total() const noexcept { return filters + consumers + bindings + timers + other; }
    friend constexpr bool operator==(const object_counts&, const object_counts&) = default;
};

struct snapshot {
    std::string host;                      // machine name when known
    std::optional<timestamp> collected_at;
    std::vector<event_filter> filters;
    std::vector<consumer> consumers;
    std::vector<binding> bindings;
    std::vector<timer_instruction> timers;
    std::vector<instance> other_objects;   // instances of other classes that sources chose to keep
    std::vector<collection_error> errors;
    std::vector<object_annotation> annotations;  // about objects named by path; those held here carry theirs too
    // Why the collection stopped before the end (cancelled, deadline, a limit); what was read
    // before is kept. Empty when it ran to the end.
    std::optional<wmisub::error> stopped;
    // The consumer classes the sources could read; nullopt: every class (a live query, the
    // repository, MOF files, PowerShell exports). osquery has tables for two consumer classes
    // only, so a snapshot read from it lists those two. A consumer of another class is not
    // missing when a binding names it: the sources could not see it.
    std::optional<std::vector<std::string>> readable_consumer_classes;

    // True when the collection did not run to the end.
    [[nodiscard]] bool partial() const noexcept { return stopped.has_value(); }

    // True when the sources could read consumers of this class (case-insensitive).
    [[nodiscard]] bool can_read_consumer_class(std::string_view class_name) const noexcept;

    // Types one instance and files it. A failure is recorded in `errors` and the
    // instance is kept in `other_objects`, so nothing is dropped.
    void add(const instance& in, std::string_view source = {});

    // Files an already typed object.
    void add(wmi_object object);

    // Appends everything `other` holds; keeps the first host name and time seen. The
    // readable consumer classes are united (a snapshot holding nothing yet takes other's).
    void merge(snapshot other);

    // Number of subscription objects (filters, consumers, bindings, timers).
    [[nodiscard]] std::size_t object_count() const noexcept {
        return filters.size() + consumers.size() + bindings.size() + timers.size();
    }

    // The objects held, by kind, other instances included; each copy counts.
    [[nodiscard]] object_counts counts() const noexcept {
        return {filters.size(), consumers.size(), bindings.size(), timers.size(), other_objects.size()};
    }
};

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/model.inl"
#endif
