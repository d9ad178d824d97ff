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
#include "wmisub/detail/model_fields.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/result.hpp"
#include "wmisub/sid.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
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
    [[nodiscard]] const value* get(std::string_view name) const noexcept {
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
    [[nodiscard]] const value* extra_property(std::string_view name) const noexcept {
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

namespace detail {

constexpr auto consumer_fields() {
    return std::make_tuple(field("Name", &consumer_header::name, cim_type::string),
                           field("MachineName", &consumer_header::machine_name, cim_type::string),
                           field("MaximumQueueSize", &consumer_header::maximum_queue_size, cim_type::uint32));
}

template <class T>
struct model_fields;

template <>
struct model_fields<event_filter> {
    static constexpr auto list() {
        return std::make_tuple(field("Name", &event_filter::name, cim_type::string),
                               field("Query", &event_filter::query, cim_type::string),
                               field("QueryLanguage", &event_filter::query_language, cim_type::string),
                               field("EventNamespace", &event_filter::event_namespace, cim_type::string),
                               field("EventAccess", &event_filter::event_access, cim_type::string));
    }
};

template <>
struct model_fields<active_script_consumer> {
    static constexpr auto list() {
        using c = active_script_consumer;
        return std::tuple_cat(consumer_fields(),
                              std::make_tuple(field("ScriptingEngine", &c::scripting_engine, cim_type::string),
                                              field("ScriptText", &c::script_text, cim_type::string),
                                              field("ScriptFileName", &c::script_file_name, cim_type::string),
                                              field("KillTimeout", &c::kill_timeout, cim_type::uint32)));
    }
};

template <>
struct model_fields<command_line_consumer> {
    static constexpr auto list() {
        using c = command_line_consumer;
        return std::tuple_cat(
            consumer_fields(),
            std::make_tuple(field("CommandLineTemplate", &c::command_line_template, cim_type::string),
                            field("ExecutablePath", &c::executable_path, cim_type::string),
                            field("WorkingDirectory", &c::working_directory, cim_type::string),
                            field("WindowTitle", &c::window_title, cim_type::string),
                            field("DesktopName", &c::desktop_name, cim_type::string),
                            field("RunInteractively", &c::run_interactively, cim_type::boolean),
                            field("CreateNewConsole", &c::create_new_console, cim_type::boolean),
                            field("CreateNewProcessGroup", &c::create_new_process_group, cim_type::boolean),
                            field("KillTimeout", &c::kill_timeout, cim_type::uint32),
                            field("ShowWindowCommand", &c::show_window_command, cim_type::uint32),
                            field("Priority", &c::priority, cim_type::sint32)));
    }
};

template <>
struct model_fields<log_file_consumer> {
    static constexpr auto list() {
        using c = log_file_consumer;
        return std::tuple_cat(consumer_fields(),
                              std::make_tuple(field("Filename", &c::filename, cim_type::string),
                                              field("Text", &c::text, cim_type::string),
                                              field("IsUnicode", &c::is_unicode, cim_type::boolean),
                                              field("MaximumFileSize", &c::maximum_file_size, cim_type::uint64)));
    }
};

template <>
struct model_fields<nt_event_log_consumer> {
    static constexpr auto list() {
        using c = nt_event_log_consumer;
        return std::tuple_cat(
            consumer_fields(),
            std::make_tuple(field("SourceName", &c::source_name, cim_type::string),
                            field("UNCServerName", &c::unc_server_name, cim_type::string),
                            field("EventID", &c::event_id, cim_type::uint32),
                            field("EventType", &c::event_type, cim_type::uint32),
                            field("Category", &c::category, cim_type::uint16),
                            field("NumberOfInsertionStrings", &c::number_of_insertion_strings, cim_type::uint32),
                            field("InsertionStringTemplates", &c::insertion_string_templates, cim_type::string),
                            field("NameOfRawDataProperty", &c::name_of_raw_data_property, cim_type::string),
                            field("NameOfUserSIDProperty", &c::name_of_user_sid_property, cim_type::string)));
    }
};

template <>
struct model_fields<smtp_consumer> {
    static constexpr auto list() {
        using c = smtp_consumer;
        return std::tuple_cat(consumer_fields(),
                              std::make_tuple(field("SMTPServer", &c::smtp_server, cim_type::string),
                                              field("ToLine", &c::to_line, cim_type::string),
                                              field("CcLine", &c::cc_line, cim_type::string),
                                              field("BccLine", &c::bcc_line, cim_type::string),
                                              field("FromLine", &c::from_line, cim_type::string),
                                              field("ReplyToLine", &c::reply_to_line, cim_type::string),
                                              field("Subject", &c::subject, cim_type::string),
                                              field("Message", &c::message, cim_type::string),
                                              field("HeaderFields", &c::header_fields, cim_type::string)));
    }
};

// Custom consumers model only the `__EventConsumer` properties; `Name` is not
// necessarily their key, so it is read separately.
template <>
struct model_fields<custom_consumer> {
    static constexpr auto list() {
        return std::make_tuple(field("MachineName", &consumer_header::machine_name, cim_type::string),
                               field("MaximumQueueSize", &consumer_header::maximum_queue_size, cim_type::uint32));
    }
};

template <>
struct model_fields<binding> {
    static constexpr auto list() {
        return std::make_tuple(field("Filter", &binding::filter, cim_type::reference),
                               field("Consumer", &binding::consumer, cim_type::reference),
                               field("DeliverSynchronously", &binding::deliver_synchronously, cim_type::boolean),
                               field("DeliveryQoS", &binding::delivery_qos, cim_type::uint32),
                               field("MaintainSecurityContext", &binding::maintain_security_context, cim_type::boolean),
                               field("SlowDownProviders", &binding::slow_down_providers, cim_type::boolean));
    }
};

template <>
struct model_fields<timer_instruction> {
    static constexpr auto list() {
        using t = timer_instruction;
        return std::make_tuple(field("TimerId", &t::timer_id, cim_type::string),
                               field("SkipIfPassed", &t::skip_if_passed, cim_type::boolean),
                               field("IntervalBetweenEvents", &t::interval_between_events, cim_type::uint32),
                               field("EventDateTime", &t::event_date_time, cim_type::datetime));
    }
};

// Copies what every object has from the instance; CreatorSID and extras are filled per property.
inline void fill_header(object_header& out, const instance& in) {
    out.namespace_path = in.namespace_path;
    out.class_name = in.class_name;
    out.origin = in.origin;
}

// Reads `CreatorSID` as bytes, or as `S-1-…` text from sources that render it.
[[nodiscard]] inline bool decode_creator_sid(const value& v, std::vector<std::uint8_t>& out) {
    if (auto bytes = v.as_bytes()) {
        out = std::move(*bytes);
        return true;
    }
    if (const std::string* text = v.as_string()) {
        auto parsed = parse_sid(*text);
        if (!parsed) return false;
        out = std::move(*parsed);
        return true;
    }
    return v.is_null();
}

// Fills a typed object from an instance. Properties that no field takes (unknown
// names, unexpected types) are kept in `extra`; unexpected types are reported.
template <class T>
void fill_object(T& out, const instance& in, std::vector<error>* warnings) {
    fill_header(out, in);
    constexpr auto fields = model_fields<T>::list();
    for (const property& p : in.properties) {
        if (iequals(p.name, "CreatorSID") && decode_creator_sid(p.value, out.creator_sid)) continue;
        if (assign_field(out, p, fields)) continue;
        const bool modelled = iequals(p.name, "CreatorSID") || std::apply(
            [&](const auto&... f) { return (iequals(p.name, f.name) || ...); }, fields);
        if (modelled && p.value.is_null()) continue;  // a NULL modelled property is simply absent
        if (modelled && warnings != nullptr) {
            warnings->push_back(make_error(errc::type_mismatch,
                                           in.class_name + "." + p.name + " has an unexpected " +
                                               std::string(to_string(p.value.type())) +
                                               (p.value.is_array() ? "[]" : "") + " value; kept as is",
                                           in.origin.where));
        }
        out.extra.push_back(p);
    }
}

// Fills `out` with a T when the instance's class is `class_name`; false otherwise.
template <class T>
[[nodiscard]] bool read_standard_consumer(consumer& out, const instance& in, std::string_view class_name,
                                          std::vector<error>* warnings) {
    if (!iequals(in.class_name, class_name)) return false;
    T typed;
    fill_object(typed, in, warnings);
    out = std::move(typed);
    return true;
}

}  // namespace detail

// True when a class is a consumer: one of the five standard classes, or a
// class whose derivation names `__EventConsumer`.
[[nodiscard]] inline bool is_consumer_class(std::string_view class_name,
                                            const std::vector<std::string>& derivation = {}) noexcept {
    using namespace class_names;
    for (std::string_view standard : {active_script, command_line, log_file, nt_event_log, smtp, event_consumer}) {
        if (iequals(class_name, standard)) return true;
    }
    for (const std::string& base : derivation) {
        if (iequals(base, event_consumer)) return true;
    }
    return false;
}

// Any subscription object, or an instance of another class kept as it is
// (a `__Win32Provider` registration, an attacker's storage class).
using wmi_object = std::variant<event_filter, consumer, binding, timer_instruction, instance>;

// Types an instance by its class. Fails only when a key property is missing or
// unusable; warnings (properties of an unexpected type, kept in `extra`) are
// appended to `warnings` when given.
[[nodiscard]] inline result<wmi_object> from_instance(const instance& in, std::vector<error>* warnings = nullptr) {
    using namespace class_names;
    auto has_string = [](const instance& i, std::string_view key) {
        const value* v = i.get(key);
        return v != nullptr && v->as_string() != nullptr;
    };
    auto missing = [&](std::string_view key) {
        return make_error(errc::missing_field, in.class_name + " instance without a usable " + std::string(key),
                          in.origin.where);
    };
    if (iequals(in.class_name, class_names::event_filter)) {
        wmisub::event_filter f;
        detail::fill_object(f, in, warnings);
        if (!has_string(in, "Name")) return missing("Name");
        return wmi_object{std::move(f)};
    }
    if (iequals(in.class_name, class_names::binding)) {
        wmisub::binding b;
        detail::fill_object(b, in, warnings);
        if (b.filter.empty()) return missing("Filter");
        if (b.consumer.empty()) return missing("Consumer");
        return wmi_object{std::move(b)};
    }
    if (iequals(in.class_name, interval_timer) || iequals(in.class_name, absolute_timer) ||
        iequals(in.class_name, "__TimerInstruction")) {
        timer_instruction t;
        detail::fill_object(t, in, warnings);
        if (!has_string(in, "TimerId")) return missing("TimerId");
        return wmi_object{std::move(t)};
    }
    if (!is_consumer_class(in.class_name, in.derivation)) return wmi_object{in};
    consumer c;
    if (detail::read_standard_consumer<active_script_consumer>(c, in, active_script, warnings) ||
        detail::read_standard_consumer<command_line_consumer>(c, in, command_line, warnings) ||
        detail::read_standard_consumer<log_file_consumer>(c, in, log_file, warnings) ||
        detail::read_standard_consumer<nt_event_log_consumer>(c, in, nt_event_log, warnings) ||
        detail::read_standard_consumer<smtp_consumer>(c, in, smtp, warnings)) {
        if (!has_string(in, "Name")) return missing("Name");
        return wmi_object{std::move(c)};
    }
    custom_consumer custom;
    detail::fill_object(custom, in, warnings);
    custom.key_names = in.key_names;
    custom.derivation = in.derivation;
    const std::string_view name_key = in.key_names.empty() ? std::string_view("Name") : in.key_names.front();
    if (const value* v = in.get(name_key); v != nullptr && v->as_string() != nullptr) custom.name = *v->as_string();
    return wmi_object{consumer{std::move(custom)}};
}

// The properties of a typed object as WMI spells them: modelled fields first
// (NULLs omitted), then CreatorSID, then `extra`. The inverse of from_instance.
template <class T>
[[nodiscard]] std::vector<property> properties_of(const T& object) {
    std::vector<property> out;
    detail::emit_fields(object, detail::model_fields<T>::list(), out);
    if (!object.creator_sid.empty()) out.push_back({"CreatorSID", value::bytes(object.creator_sid)});
    out.insert(out.end(), object.extra.begin(), object.extra.end());
    return out;
}

// The properties of any consumer.
[[nodiscard]] inline std::vector<property> properties_of(const consumer& c) {
    return std::visit([](const auto& typed) { return properties_of(typed); }, c);
}

// The common part of any consumer.
[[nodiscard]] inline const consumer_header& header_of(const consumer& c) noexcept {
    return std::visit([](const auto& typed) -> const consumer_header& { return typed; }, c);
}

// The key property names of a consumer: `Name` for standard classes, the known keys of a custom class.
[[nodiscard]] inline std::vector<std::string> key_names_of(const consumer& c) {
    if (const auto* custom = std::get_if<custom_consumer>(&c); custom != nullptr && !custom->key_names.empty()) {
        return custom->key_names;
    }
    return {"Name"};
}

namespace detail {

inline object_path make_identity(const object_header& h, std::vector<path_key> keys) {
    object_path p;
    p.namespace_path = h.namespace_path;
    p.class_name = h.class_name;
    p.keys = std::move(keys);
    return p;
}

inline path_key string_key(std::string name, std::string v) {
    return path_key{std::move(name), key_value_kind::string, std::move(v)};
}

}  // namespace detail

// The identity of an object as an object path: namespace, class and key properties.
[[nodiscard]] inline object_path identity_of(const event_filter& f) {
    return detail::make_identity(f, {detail::string_key("Name", f.name)});
}

[[nodiscard]] inline object_path identity_of(const binding& b) {
    return detail::make_identity(b, {detail::string_key("Consumer", b.consumer), detail::string_key("Filter", b.filter)});
}

[[nodiscard]] inline object_path identity_of(const timer_instruction& t) {
    return detail::make_identity(t, {detail::string_key("TimerId", t.timer_id)});
}

[[nodiscard]] inline object_path identity_of(const consumer& c) {
    const consumer_header& h = header_of(c);
    const std::vector<property> props = properties_of(c);
    std::vector<path_key> keys;
    for (const std::string& key : key_names_of(c)) {
        const property* p = find_property(props, key);
        const std::string* text = p != nullptr ? p->value.as_string() : nullptr;
        keys.push_back(detail::string_key(key, text != nullptr ? *text : to_display(p != nullptr ? p->value : value{})));
    }
    return detail::make_identity(h, std::move(keys));
}

// An error met while collecting, with the source and namespace it concerns.
struct collection_error {
    std::string source;          // collector or file name
    std::string namespace_path;  // empty when not namespace-specific
    wmisub::error error;

    friend bool operator==(const collection_error&, const collection_error&) = default;
};

// Everything one collection found, plus the errors met on the way. Objects of
// every kind are kept, bound or not.
struct snapshot {
    std::string host;                      // machine name when known
    std::optional<timestamp> collected_at;
    std::vector<event_filter> filters;
    std::vector<consumer> consumers;
    std::vector<binding> bindings;
    std::vector<timer_instruction> timers;
    std::vector<instance> other_objects;   // instances of other classes that sources chose to keep
    std::vector<collection_error> errors;

    // Types one instance and files it. A failure is recorded in `errors` and the
    // instance is kept in `other_objects`, so nothing is dropped.
    void add(const instance& in, std::string_view source = {}) {
        std::vector<error> warnings;
        auto typed = from_instance(in, &warnings);
        for (error& w : warnings) errors.push_back({std::string(source), in.namespace_path, std::move(w)});
        if (!typed) {
            errors.push_back({std::string(source), in.namespace_path, typed.error()});
            other_objects.push_back(in);
            return;
        }
        add(std::move(*typed));
    }

    // Files an already typed object.
    void add(wmi_object object) {
        std::visit(
            [this](auto&& typed) {
                using T = std::decay_t<decltype(typed)>;
                if constexpr (std::is_same_v<T, event_filter>) filters.push_back(std::move(typed));
                else if constexpr (std::is_same_v<T, consumer>) consumers.push_back(std::move(typed));
                else if constexpr (std::is_same_v<T, binding>) bindings.push_back(std::move(typed));
                else if constexpr (std::is_same_v<T, timer_instruction>) timers.push_back(std::move(typed));
                else other_objects.push_back(std::move(typed));
            },
            std::move(object));
    }

    // Appends everything `other` holds; keeps the first host name and time seen.
    void merge(snapshot other) {
        if (host.empty()) host = std::move(other.host);
        if (!collected_at) collected_at = other.collected_at;
        auto append = [](auto& into, auto& from) {
            into.insert(into.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
        };
        append(filters, other.filters);
        append(consumers, other.consumers);
        append(bindings, other.bindings);
        append(timers, other.timers);
        append(other_objects, other.other_objects);
        append(errors, other.errors);
    }

    // Number of subscription objects (filters, consumers, bindings, timers).
    [[nodiscard]] std::size_t object_count() const noexcept {
        return filters.size() + consumers.size() + bindings.size() + timers.size();
    }
};

WMISUB_NAMESPACE_END
