// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/model.hpp (included by impl/model.inl, and by
// the JSON adapter's implementation, never by a public header): reading typed
// model fields from WMI values and writing them back. One
// codec per member type, so every model class is described by a field table
// instead of hand-written conversion code in both directions. Users of the
// model never compile the tables: only implementation units do.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/value.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// One modelled property: its WMI name, where it lives, and its declared CIM type.
template <class Object, class Member>
struct field_def {
    std::string_view name;
    Member Object::*member;
    cim_type type;
};

template <class Object, class Member>
constexpr field_def<Object, Member> field(std::string_view name, Member Object::*member, cim_type type) {
    return {name, member, type};
}

// Each decode_into overload returns false when the value does not fit the member,
// so the caller keeps the property verbatim instead of losing it.
inline bool decode_into(const value& v, std::string& out, cim_type) {
    if (const std::string* s = v.as_string()) {
        out = *s;
        return true;
    }
    return false;
}

inline bool decode_into(const value& v, std::optional<std::string>& out, cim_type) {
    if (v.is_null() && !v.is_array()) {
        out.reset();
        return true;
    }
    if (const std::string* s = v.as_string()) {
        out = *s;
        return true;
    }
    return false;
}

inline bool decode_into(const value& v, std::optional<bool>& out, cim_type) {
    if (v.is_null() && !v.is_array()) return true;
    if (const auto b = v.as_bool()) {
        out = *b;
        return true;
    }
    return false;
}

template <class Int>
bool decode_integer(const value& v, std::optional<Int>& out, cim_type declared) {
    if (v.is_null() && !v.is_array()) return true;
    const integer_range range = range_of(declared);
    if (const auto i = v.as_int(); i && *i >= range.min && (*i < 0 || static_cast<std::uint64_t>(*i) <= range.max)) {
        out = static_cast<Int>(*i);
        return true;
    }
    if (const auto u = v.as_uint(); u && *u <= range.max) {
        out = static_cast<Int>(*u);
        return true;
    }
    return false;
}

inline bool decode_into(const value& v, std::optional<std::uint16_t>& out, cim_type t) { return decode_integer(v, out, t); }
inline bool decode_into(const value& v, std::optional<std::uint32_t>& out, cim_type t) { return decode_integer(v, out, t); }
inline bool decode_into(const value& v, std::optional<std::int32_t>& out, cim_type t) { return decode_integer(v, out, t); }
inline bool decode_into(const value& v, std::optional<std::uint64_t>& out, cim_type t) { return decode_integer(v, out, t); }

inline bool decode_into(const value& v, std::optional<std::vector<std::string>>& out, cim_type) {
    if (v.is_null()) return true;
    if (const std::string* s = v.as_string()) {  // a scalar where an array is declared: WMI coerces it
        out = std::vector<std::string>{*s};
        return true;
    }
    const value::array_type* items = v.as_array();
    if (items == nullptr) return false;
    std::vector<std::string> texts;
    for (const value& item : *items) {
        const std::string* s = item.as_string();
        if (s == nullptr && !item.is_null()) return false;
        texts.push_back(s != nullptr ? *s : std::string{});
    }
    out = std::move(texts);
    return true;
}

inline bool decode_into(const value& v, std::optional<dmtf_datetime>& out, cim_type) {
    if (v.is_null() && !v.is_array()) return true;
    if (const dmtf_datetime* d = v.as_datetime()) {
        out = *d;
        return true;
    }
    if (const std::string* s = v.as_string()) {  // sources without a datetime type give the DMTF text
        auto parsed = parse_dmtf_datetime(*s);
        if (!parsed) return false;
        out = *parsed;
        return true;
    }
    return false;
}

// The encode_value overloads give nullopt for an absent (NULL) member, which is then not emitted.
inline std::optional<value> encode_value(const std::string& s, cim_type) { return value::string(s); }

inline std::optional<value> encode_value(const std::optional<std::string>& s, cim_type) {
    if (!s) return std::nullopt;
    return value::string(*s);
}

inline std::optional<value> encode_value(const std::optional<bool>& b, cim_type) {
    if (!b) return std::nullopt;
    return value::boolean(*b);
}

template <class Int>
std::optional<value> encode_integer(const std::optional<Int>& i, cim_type t) {
    if (!i) return std::nullopt;
    if (is_signed_integer(t)) return value::sint(static_cast<std::int64_t>(*i), t);
    return value::uint(static_cast<std::uint64_t>(*i), t);
}

inline std::optional<value> encode_value(const std::optional<std::uint16_t>& i, cim_type t) { return encode_integer(i, t); }
inline std::optional<value> encode_value(const std::optional<std::uint32_t>& i, cim_type t) { return encode_integer(i, t); }
inline std::optional<value> encode_value(const std::optional<std::int32_t>& i, cim_type t) { return encode_integer(i, t); }
inline std::optional<value> encode_value(const std::optional<std::uint64_t>& i, cim_type t) { return encode_integer(i, t); }

inline std::optional<value> encode_value(const std::optional<std::vector<std::string>>& items, cim_type) {
    if (!items) return std::nullopt;
    return value::strings(*items);
}

inline std::optional<value> encode_value(const std::optional<dmtf_datetime>& d, cim_type) {
    if (!d) return std::nullopt;
    return value::datetime(*d);
}

// Tries every field of `fields` against one property; true when a field took it.
template <class Object, class Tuple>
bool assign_field(Object& object, const property& p, const Tuple& fields) {
    return std::apply(
        [&](const auto&... f) {
            bool taken = false;
            ((taken = taken || (iequals(p.name, f.name) && decode_into(p.value, object.*(f.member), f.type))), ...);
            return taken;
        },
        fields);
}

// Appends the non-NULL modelled fields of `object` as properties, in table order.
template <class Object, class Tuple>
void emit_fields(const Object& object, const Tuple& fields, std::vector<property>& out) {
    std::apply(
        [&](const auto&... f) {
            (
                [&] {
                    if (auto v = encode_value(object.*(f.member), f.type)) out.push_back({std::string(f.name), std::move(*v)});
                }(),
                ...);
        },
        fields);
}

// The modelled string field `name` of `object` (case-insensitive), when set: the name as the
// table spells it and the text. Fields of other types never match.
template <class Object, class Tuple>
std::optional<text_property_view> find_text_field(const Object& object, std::string_view name, const Tuple& fields) noexcept {
    std::optional<text_property_view> found;
    std::apply(
        [&](const auto&... f) {
            (
                [&] {
                    using member_type = std::remove_cvref_t<decltype(object.*(f.member))>;
                    if (found || !iequals(name, f.name)) return;
                    if constexpr (std::is_same_v<member_type, std::string>) {
                        found = text_property_view{f.name, object.*(f.member)};
                    } else if constexpr (std::is_same_v<member_type, std::optional<std::string>>) {
                        if (const auto& v = object.*(f.member)) found = text_property_view{f.name, *v};
                    }
                }(),
                ...);
        },
        fields);
    return found;
}


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

}  // namespace detail
WMISUB_NAMESPACE_END
