// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/model.hpp: typing instances by their class
// through the field tables of detail/model_fields.hpp, identities, snapshots.
// Included by model.hpp only under WMISUB_INCLUDE_IMPLEMENTATION; not a header
// to include.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/impl/model_fields.inl"
#include "wmisub/sid.hpp"
#include "wmisub/text.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN

namespace detail {

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
WMISUB_API bool is_consumer_class(std::string_view class_name,
                                            const std::vector<std::string>& derivation) noexcept {
    using namespace class_names;
    for (std::string_view standard : {active_script, command_line, log_file, nt_event_log, smtp, event_consumer}) {
        if (iequals(class_name, standard)) return true;
    }
    for (const std::string& base : derivation) {
        if (iequals(base, event_consumer)) return true;
    }
    return false;
}

// Types an instance by its class. Fails only when a key property is missing or
// unusable; warnings (properties of an unexpected type, kept in `extra`) are
// appended to `warnings` when given.
WMISUB_API result<wmi_object> from_instance(const instance& in, std::vector<error>* warnings) {
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
namespace detail {
template <class T>
[[nodiscard]] std::vector<property> typed_properties_of(const T& object) {
    std::vector<property> out;
    detail::emit_fields(object, detail::model_fields<T>::list(), out);
    if (!object.creator_sid.empty()) out.push_back({"CreatorSID", value::bytes(object.creator_sid)});
    out.insert(out.end(), object.extra.begin(), object.extra.end());
    return out;
}
}  // namespace detail

WMISUB_API std::vector<property> properties_of(const event_filter& object) { return detail::typed_properties_of(object); }
WMISUB_API std::vector<property> properties_of(const active_script_consumer& object) { return detail::typed_properties_of(object); }
WMISUB_API std::vector<property> properties_of(const command_line_consumer& object) { return detail::typed_properties_of(object); }
WMISUB_API std::vector<property> properties_of(const log_file_consumer& object) { return detail::typed_properties_of(object); }
WMISUB_API std::vector<property> properties_of(const nt_event_log_consumer& object) { return detail::typed_properties_of(object); }
WMISUB_API std::vector<property> properties_of(const smtp_consumer& object) { return detail::typed_properties_of(object); }
WMISUB_API std::vector<property> properties_of(const custom_consumer& object) { return detail::typed_properties_of(object); }
WMISUB_API std::vector<property> properties_of(const binding& object) { return detail::typed_properties_of(object); }
WMISUB_API std::vector<property> properties_of(const timer_instruction& object) { return detail::typed_properties_of(object); }

// The properties of any consumer.
WMISUB_API std::vector<property> properties_of(const consumer& c) {
    return std::visit([](const auto& typed) { return detail::typed_properties_of(typed); }, c);
}

// The common part of any consumer.
WMISUB_API const consumer_header& header_of(const consumer& c) noexcept {
    return std::visit([](const auto& typed) -> const consumer_header& { return typed; }, c);
}

namespace detail {
template <class T>
[[nodiscard]] std::optional<text_property_view> typed_text_property(const T& object, std::string_view name) noexcept {
    if (auto found = find_text_field(object, name, model_fields<T>::list())) return found;
    if (const property* p = find_property(object.extra, name)) {
        if (const std::string* text = p->value.as_string()) return text_property_view{p->name, *text};
    }
    return std::nullopt;
}
}  // namespace detail

WMISUB_API std::optional<text_property_view> text_property(const event_filter& object, std::string_view name) noexcept {
    return detail::typed_text_property(object, name);
}
WMISUB_API std::optional<text_property_view> text_property(const consumer& object, std::string_view name) noexcept {
    return std::visit([name](const auto& typed) { return detail::typed_text_property(typed, name); }, object);
}
WMISUB_API std::optional<text_property_view> text_property(const binding& object, std::string_view name) noexcept {
    return detail::typed_text_property(object, name);
}
WMISUB_API std::optional<text_property_view> text_property(const timer_instruction& object, std::string_view name) noexcept {
    return detail::typed_text_property(object, name);
}

// The key property names of a consumer: `Name` for standard classes, the known keys of a custom class.
WMISUB_API std::vector<std::string> key_names_of(const consumer& c) {
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
WMISUB_API object_path identity_of(const event_filter& f) {
    return detail::make_identity(f, {detail::string_key("Name", f.name)});
}

WMISUB_API object_path identity_of(const binding& b) {
    return detail::make_identity(b, {detail::string_key("Consumer", b.consumer), detail::string_key("Filter", b.filter)});
}

WMISUB_API object_path identity_of(const timer_instruction& t) {
    return detail::make_identity(t, {detail::string_key("TimerId", t.timer_id)});
}

WMISUB_API object_path identity_of(const consumer& c) {
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

WMISUB_API void snapshot::add(const instance& in, std::string_view source) {
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

WMISUB_API void snapshot::add(wmi_object object) {
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

WMISUB_API bool snapshot::can_read_consumer_class(std::string_view class_name) const noexcept {
    if (!readable_consumer_classes) return true;
    return std::any_of(readable_consumer_classes->begin(), readable_consumer_classes->end(),
                       [class_name](const std::string& c) { return iequals(c, class_name); });
}

WMISUB_API void snapshot::merge(snapshot other) {
    const bool holds_nothing = object_count() == 0 && other_objects.empty() && errors.empty() && !stopped;
    if (holds_nothing) {
        readable_consumer_classes = std::move(other.readable_consumer_classes);
    } else {
        detail::unite_readable_classes(readable_consumer_classes, other.readable_consumer_classes);
    }
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
    append(annotations, other.annotations);
    if (!stopped) stopped = std::move(other.stopped);
}

WMISUB_NAMESPACE_END
