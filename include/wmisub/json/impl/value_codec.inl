// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/json/json.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// WMI values in JSON. A property bag is written as two parallel objects:
//
//   "properties": { "KillTimeout": 45, "CreatorSID": [1, 2, ...], "ScriptText": "..." },
//   "types":      { "KillTimeout": "uint32", "CreatorSID": "uint8[]", "ScriptText": "string" }
//
// so "properties" stays what people and the DESIGN contract expect ({WMI name:
// value}) while "types" makes every value round-trip exactly: its CIM type,
// whether it is an array, NULLs of a declared type. A type is the MOF keyword
// ("ref" for references, "null" for a NULL of unknown type) with "[]" for
// arrays; an array whose elements do not all have the array's type is written
// as {"type": "sint32[]", "elements": [ <type of each element> ]}.
//
// Plain encodings: booleans, integers and reals as JSON numbers (a NaN or
// infinite real as the string "NaN", "Infinity", "-Infinity"); strings and
// references as strings; datetimes as their 25-character DMTF text; char16 as
// a one-character string (a lone surrogate as its number); an embedded object
// as {"class": "...", "properties": {...}, "types": {...}}; arrays as arrays.
// A standalone value is {"type": <type>, "value": <plain>}.
//
// Without a "types" entry (hand-written files) the type is inferred from the
// JSON: whole numbers become uint32/sint32 (64-bit when they do not fit),
// other numbers real64, objects embedded objects.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/detail/utf.hpp"
#include "wmisub/json/impl/parse.inl"
#include "wmisub/json/json.hpp"
#include "wmisub/model.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Appends a member without searching for an equal key (the caller guarantees
// uniqueness); ordered_map's own insertion is linear per key.
inline json_value& json_append_member(json_value& object, std::string key, json_value v) {
    if (!object.is_object()) object = json_value::object();
    auto& members = static_cast<json_value::object_t::Container&>(object.get_ref<json_value::object_t&>());
    members.emplace_back(std::move(key), std::move(v));
    return members.back().second;
}

// A member of an object, or nullptr when `object` is no object or lacks it.
[[nodiscard]] inline const json_value* json_member(const json_value& object, std::string_view key) noexcept {
    const auto* members = object.get_ptr<const json_value::object_t*>();
    if (members == nullptr) return nullptr;
    for (const auto& m : *members) {
        if (m.first == key) return &m.second;
    }
    return nullptr;
}

// A member looked up case-insensitively (PowerShell and hand-written files).
[[nodiscard]] inline const json_value* json_member_i(const json_value& object, std::string_view key) noexcept {
    const auto* members = object.get_ptr<const json_value::object_t*>();
    if (members == nullptr) return nullptr;
    for (const auto& m : *members) {
        if (m.first == key) return &m.second;
    }
    for (const auto& m : *members) {
        if (iequals(m.first, key)) return &m.second;
    }
    return nullptr;
}

[[nodiscard]] inline const std::string* json_string(const json_value* v) noexcept {
    return v != nullptr ? v->get_ptr<const std::string*>() : nullptr;
}

// The JSON type name used in messages: "a string", "an object".
[[nodiscard]] inline std::string json_kind_name(const json_value& v) {
    switch (v.type()) {
    case json_value::value_t::null: return "null";
    case json_value::value_t::object: return "an object";
    case json_value::value_t::array: return "an array";
    case json_value::value_t::string: return "a string";
    case json_value::value_t::boolean: return "a boolean";
    case json_value::value_t::number_integer:
    case json_value::value_t::number_unsigned: return "an integer";
    case json_value::value_t::number_float: return "a number";
    case json_value::value_t::binary:
    case json_value::value_t::discarded:
    default: return "an unsupported value";
    }
}

// An error located at a JSON pointer: `file#/consumers/3/properties/KillTimeout`.
WMISUB_API error json_read_context::at(errc code, std::string_view pointer, std::string message,
                                       std::string expected) const {
    error e;
    e.code = code;
    e.location.source = source.empty() ? std::string(pointer) : source + "#" + std::string(pointer);
    e.message = (pointer.empty() ? std::string("at the document root") : "at " + std::string(pointer)) + ": " +
                std::move(message);
    e.expected = std::move(expected);
    return e;
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

[[nodiscard]] inline std::string json_type_name(cim_type t, bool array) {
    std::string out(to_string(t));
    if (array) out += "[]";
    return out;
}

// The type descriptor of a value (see the header comment).
[[nodiscard]] inline json_value json_type_of(const value& v, std::size_t depth = 0) {
    const value::array_type* items = v.as_array();
    if (items == nullptr) return json_value(json_type_name(v.type(), false));
    bool uniform = true;
    for (const value& item : *items) {
        if (item.is_array() || item.type() != v.type()) {
            uniform = false;
            break;
        }
    }
    if (uniform || depth >= static_cast<std::size_t>(WMISUB_MAX_NESTING)) return json_value(json_type_name(v.type(), true));
    json_value out = json_value::object();
    json_append_member(out, "type", json_value(json_type_name(v.type(), true)));
    json_value elements = json_value::array();
    auto* list = elements.get_ptr<json_value::array_t*>();
    list->reserve(items->size());
    for (const value& item : *items) list->push_back(json_type_of(item, depth + 1));
    json_append_member(out, "elements", std::move(elements));
    return out;
}

inline void json_write_bag(json_value& into, const std::vector<property>& props, std::size_t depth);

// The plain JSON of a value (see the header comment).
[[nodiscard]] inline json_value json_plain_of(const value& v, std::size_t depth = 0) {
    if (const value::array_type* items = v.as_array()) {
        json_value out = json_value::array();
        auto* list = out.get_ptr<json_value::array_t*>();
        list->reserve(items->size());
        for (const value& item : *items) list->push_back(json_plain_of(item, depth + 1));
        return out;
    }
    if (v.is_null()) return json_value(nullptr);
    if (const auto b = v.as_bool()) return json_value(*b);
    if (const dmtf_datetime* d = v.as_datetime()) return json_value(to_string(*d));
    if (const std::string* s = v.as_string()) return json_value(json_utf8(*s));
    if (const embedded_object* o = v.as_object()) {
        if (depth >= static_cast<std::size_t>(WMISUB_MAX_NESTING)) return json_value(nullptr);
        json_value out = json_value::object();
        json_append_member(out, "class", json_value(json_utf8(o->class_name)));
        json_write_bag(out, o->properties, depth + 1);
        return out;
    }
    const cim_type t = v.type();
    if (t == cim_type::real32 || t == cim_type::real64) {
        const double d = v.as_real().value_or(0.0);
        if (std::isnan(d)) return json_value("NaN");
        if (std::isinf(d)) return json_value(d > 0 ? "Infinity" : "-Infinity");
        return json_value(d);
    }
    if (t == cim_type::char16) {
        const std::uint64_t unit = v.as_uint().value_or(0);
        if (unit <= 0xFFFFu && !is_surrogate(static_cast<char32_t>(unit))) {
            std::string text;
            append_utf8(text, static_cast<char32_t>(unit));
            return json_value(std::move(text));
        }
        return json_value(unit);
    }
    if (is_signed_integer(t)) {
        if (const auto i = v.as_int()) return json_value(*i);
        if (const auto u = v.as_uint()) return json_value(*u);
    }
    if (const auto u = v.as_uint()) return json_value(*u);
    if (const auto i = v.as_int()) return json_value(*i);
    if (const auto r = v.as_real()) return json_value(*r);
    return json_value(nullptr);
}

// Writes "properties" and "types" members for a property list. Names keep
// their spelling; a second property with exactly the same name is left out
// (a JSON object cannot hold it; WMI names are unique per instance).
inline void json_write_bag(json_value& into, const std::vector<property>& props, std::size_t depth) {
    json_value values = json_value::object();
    json_value types = json_value::object();
    std::unordered_set<std::string> seen;
    for (const property& p : props) {
        std::string name = json_utf8(p.name);
        if (!seen.insert(name).second) continue;
        json_append_member(values, name, json_plain_of(p.value, depth));
        json_append_member(types, std::move(name), json_type_of(p.value));
    }
    json_append_member(into, "properties", std::move(values));
    json_append_member(into, "types", std::move(types));
}

// A standalone value: {"type": ..., "value": ...}.
[[nodiscard]] inline json_value json_write_value(const value& v) {
    json_value out = json_value::object();
    json_append_member(out, "type", json_type_of(v));
    json_append_member(out, "value", json_plain_of(v));
    return out;
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

// A parsed type name: "uint8[]" -> {uint8, array}.
struct json_type_spec {
    cim_type type = cim_type::empty;
    bool array = false;
};

[[nodiscard]] inline std::optional<json_type_spec> json_parse_type_name(std::string_view name) {
    json_type_spec out;
    if (name.ends_with("[]")) {
        out.array = true;
        name.remove_suffix(2);
    }
    if (iequals(name, "null") || iequals(name, "empty")) {
        out.type = cim_type::empty;
        return out;
    }
    const auto t = cim_type_from_name(name);
    if (!t) return std::nullopt;
    out.type = *t;
    return out;
}

[[nodiscard]] inline value json_infer(const json_value& plain, std::size_t depth);

// An integer of inferred width: uint32/sint32 when it fits, else 64-bit.
[[nodiscard]] inline value json_infer_integer(const json_value& plain) {
    if (const auto* u = plain.get_ptr<const json_value::number_unsigned_t*>()) {
        return value::uint(*u, *u <= 0xFFFFFFFFu ? cim_type::uint32 : cim_type::uint64);
    }
    const auto* signed_value = plain.get_ptr<const json_value::number_integer_t*>();
    if (signed_value == nullptr) return value{};
    const std::int64_t i = *signed_value;
    if (i >= 0) return value::uint(static_cast<std::uint64_t>(i), i <= 0xFFFFFFFFLL ? cim_type::uint32 : cim_type::uint64);
    if (i >= std::numeric_limits<std::int32_t>::min()) return value::sint(i, cim_type::sint32);
    return value::sint(i, cim_type::sint64);
}

// Gives an array of inferred elements one element type, widening integers.
[[nodiscard]] inline value json_infer_array(value::array_type items) {
    cim_type common = cim_type::empty;
    bool uniform = true;
    bool all_integers = true;
    bool any_negative = false;
    bool any_wide = false;
    for (const value& item : items) {
        if (item.is_null()) continue;
        if (item.is_array()) {
            uniform = false;
            all_integers = false;
            continue;
        }
        if (common == cim_type::empty) {
            common = item.type();
        } else if (item.type() != common) {
            uniform = false;
        }
        if (!is_integer(item.type())) {
            all_integers = false;
        } else {
            const auto i = item.as_int();
            if (i && *i < 0) any_negative = true;
            const auto u = item.as_uint();
            if ((u && *u > 0xFFFFFFFFu) || (i && *i < std::numeric_limits<std::int32_t>::min())) any_wide = true;
        }
    }
    if (common == cim_type::empty) common = cim_type::string;  // only NULLs: WMI arrays of unknown type are rare
    if (uniform) {
        for (value& item : items) {
            if (item.is_null() && item.type() != common) item = value::null(common);
        }
        return value::array(common, std::move(items));
    }
    if (all_integers) {
        const cim_type widened = any_negative ? (any_wide ? cim_type::sint64 : cim_type::sint32)
                                              : (any_wide ? cim_type::uint64 : cim_type::uint32);
        bool fits = true;
        value::array_type out;
        out.reserve(items.size());
        for (const value& item : items) {
            if (item.is_null()) {
                out.push_back(value::null(widened));
            } else if (is_signed_integer(widened)) {
                const auto i = item.as_int();
                if (!i) {
                    fits = false;
                    break;
                }
                out.push_back(value::sint(*i, widened));
            } else {
                out.push_back(value::uint(item.as_uint().value_or(0), widened));
            }
        }
        if (fits) return value::array(widened, std::move(out));
    }
    cim_type first = cim_type::empty;
    for (const value& item : items) {
        if (!item.is_null()) {
            first = item.type();
            break;
        }
    }
    return value::array(first, std::move(items));
}

[[nodiscard]] inline std::vector<property> json_infer_members(const json_value& object, std::size_t depth,
                                                              bool skip_meta) {
    std::vector<property> props;
    const auto* members = object.get_ptr<const json_value::object_t*>();
    if (members == nullptr) return props;
    for (const auto& [key, item] : *members) {
        if (skip_meta && (key == "class" || key == "__CLASS")) continue;
        props.push_back({key, json_infer(item, depth + 1)});
    }
    return props;
}

// The value a JSON element most likely holds when no type is given.
[[nodiscard]] inline value json_infer(const json_value& plain, std::size_t depth) {
    if (depth >= static_cast<std::size_t>(WMISUB_MAX_NESTING) && (plain.is_object() || plain.is_array())) {
        return value::string(json_dump(plain, -1));
    }
    switch (plain.type()) {
    case json_value::value_t::boolean:
        if (const bool* b = plain.get_ptr<const bool*>()) return value::boolean(*b);
        return value{};
    case json_value::value_t::number_unsigned:
    case json_value::value_t::number_integer: return json_infer_integer(plain);
    case json_value::value_t::number_float:
        if (const double* d = plain.get_ptr<const double*>()) return value::real(*d);
        return value{};
    case json_value::value_t::string:
        if (const std::string* s = plain.get_ptr<const std::string*>()) return value::string(*s);
        return value{};
    case json_value::value_t::array: {
        value::array_type items;
        const auto* list = plain.get_ptr<const json_value::array_t*>();
        items.reserve(list->size());
        for (const json_value& item : *list) items.push_back(json_infer(item, depth + 1));
        return json_infer_array(std::move(items));
    }
    case json_value::value_t::object: {
        embedded_object o;
        if (const std::string* c = json_string(json_member(plain, "class"))) {
            o.class_name = *c;
        } else if (const std::string* c2 = json_string(json_member(plain, "__CLASS"))) {
            o.class_name = *c2;
        }
        const json_value* props = json_member(plain, "properties");
        if (props != nullptr && props->is_object()) {
            o.properties = json_infer_members(*props, depth, false);
        } else {
            o.properties = json_infer_members(plain, depth, true);
        }
        return value::object(std::move(o));
    }
    case json_value::value_t::null:
    case json_value::value_t::binary:
    case json_value::value_t::discarded:
    default: return value{};
    }
}

inline result<std::vector<property>> json_read_bag(const json_value& holder, std::string_view pointer,
                                                   const json_read_context& ctx,
                                                   std::vector<std::string>* untyped = nullptr);

// Reads one scalar of type t.
[[nodiscard]] inline result<value> json_read_scalar(const json_value& plain, cim_type t, std::string_view pointer,
                                                    const json_read_context& ctx) {
    if (plain.is_null()) return value::null(t);
    const std::string type_text(to_string(t));
    auto mismatch = [&](std::string what) {
        return ctx.at(errc::type_mismatch, pointer, "expected " + what + " for a " + type_text + " value, got " +
                                                        json_kind_name(plain), what);
    };
    const std::string* text = plain.get_ptr<const std::string*>();
    switch (t) {
    case cim_type::empty: return mismatch("null");
    case cim_type::boolean:
        if (const bool* b = plain.get_ptr<const bool*>()) return value::boolean(*b);
        return mismatch("a boolean");
    case cim_type::sint8:
    case cim_type::uint8:
    case cim_type::sint16:
    case cim_type::uint16:
    case cim_type::sint32:
    case cim_type::uint32:
    case cim_type::sint64:
    case cim_type::uint64: {
        const integer_range range = range_of(t);
        if (const auto* u = plain.get_ptr<const json_value::number_unsigned_t*>()) {
            if (*u > range.max) {
                return ctx.at(errc::type_mismatch, pointer, std::to_string(*u) + " is out of range for " + type_text,
                              "a " + type_text);
            }
            if (is_signed_integer(t)) return value::sint(static_cast<std::int64_t>(*u), t);
            return value::uint(*u, t);
        }
        if (const auto* i = plain.get_ptr<const json_value::number_integer_t*>()) {
            if (*i < range.min || (*i >= 0 && static_cast<std::uint64_t>(*i) > range.max)) {
                return ctx.at(errc::type_mismatch, pointer, std::to_string(*i) + " is out of range for " + type_text,
                              "a " + type_text);
            }
            if (is_signed_integer(t)) return value::sint(*i, t);
            return value::uint(static_cast<std::uint64_t>(*i), t);
        }
        return mismatch("an integer");
    }
    case cim_type::real32:
    case cim_type::real64:
        if (const auto* d = plain.get_ptr<const double*>()) return value::real(*d, t);
        if (const auto* u = plain.get_ptr<const json_value::number_unsigned_t*>()) return value::real(static_cast<double>(*u), t);
        if (const auto* i = plain.get_ptr<const json_value::number_integer_t*>()) return value::real(static_cast<double>(*i), t);
        if (text != nullptr && *text == "NaN") return value::real(std::numeric_limits<double>::quiet_NaN(), t);
        if (text != nullptr && *text == "Infinity") return value::real(std::numeric_limits<double>::infinity(), t);
        if (text != nullptr && *text == "-Infinity") return value::real(-std::numeric_limits<double>::infinity(), t);
        return mismatch("a number");
    case cim_type::char16:
        if (const auto* u = plain.get_ptr<const json_value::number_unsigned_t*>(); u != nullptr && *u <= 0xFFFFu) {
            return value::char16(static_cast<char16_t>(*u));
        }
        if (text != nullptr && !text->empty()) {
            const decode_step step = decode_utf8(*text, 0);
            if (step.valid && step.length == text->size() && step.code_point <= 0xFFFFu) {
                return value::char16(static_cast<char16_t>(step.code_point));
            }
        }
        return mismatch("one UTF-16 character");
    case cim_type::string:
        if (text != nullptr) return value::string(*text);
        return mismatch("a string");
    case cim_type::reference:
        if (text != nullptr) return value::reference(*text);
        return mismatch("an object path string");
    case cim_type::datetime: {
        if (text == nullptr) return mismatch("a DMTF datetime string");
        auto d = parse_dmtf_datetime(*text);
        if (!d) {
            return ctx.at(errc::syntax_error, pointer, "invalid DMTF datetime: " + d.error().message,
                          "yyyymmddHHMMSS.mmmmmmsUUU");
        }
        return value::datetime(*d);
    }
    case cim_type::object: {
        if (!plain.is_object()) return mismatch("an object");
        if (ctx.depth >= static_cast<std::size_t>(WMISUB_MAX_NESTING)) {
            return ctx.at(errc::limit_exceeded, pointer,
                          "embedded objects nested deeper than " + std::to_string(WMISUB_MAX_NESTING) + " levels");
        }
        embedded_object o;
        if (const json_value* c = json_member(plain, "class")) {
            const std::string* name = c->get_ptr<const std::string*>();
            if (name == nullptr && !c->is_null()) {
                return ctx.at(errc::type_mismatch, json_pointer(pointer, "class"), "expected a string, got " + json_kind_name(*c),
                              "a string");
            }
            if (name != nullptr) o.class_name = *name;
        }
        json_read_context inner = ctx;
        inner.depth = ctx.depth + 1;
        auto props = json_read_bag(plain, pointer, inner);
        if (!props) return props.error();
        o.properties = std::move(*props);
        return value::object(std::move(o));
    }
    }
    return mismatch("a value");
}

// Reads a value given its plain JSON and its type descriptor (nullptr: infer).
[[nodiscard]] inline result<value> json_read_typed(const json_value& plain, const json_value* desc,
                                                   std::string_view pointer, std::string_view type_pointer,
                                                   const json_read_context& ctx) {
    if (desc == nullptr || desc->is_null()) return json_infer(plain, ctx.depth);
    const json_value* elements = nullptr;
    const std::string* name = desc->get_ptr<const std::string*>();
    std::string name_pointer(type_pointer);
    if (name == nullptr && desc->is_object()) {
        name = json_string(json_member(*desc, "type"));
        elements = json_member(*desc, "elements");
        name_pointer = json_pointer(type_pointer, "type");
        if (elements != nullptr && !elements->is_array()) {
            return ctx.at(errc::type_mismatch, json_pointer(type_pointer, "elements"),
                          "expected an array of types, got " + json_kind_name(*elements), "an array");
        }
    }
    if (name == nullptr) {
        return ctx.at(errc::type_mismatch, type_pointer, "expected a CIM type name, got " + json_kind_name(*desc),
                      "a type name such as \"uint32\" or \"string[]\"");
    }
    const auto spec = json_parse_type_name(*name);
    if (!spec) {
        return ctx.at(errc::type_mismatch, name_pointer, "unknown CIM type \"" + json_utf8(*name) + "\"",
                      "a type name such as \"uint32\" or \"string[]\"");
    }
    if (!spec->array) return json_read_scalar(plain, spec->type, pointer, ctx);
    if (plain.is_null()) return value::null(spec->type);
    const auto* list = plain.get_ptr<const json_value::array_t*>();
    if (list == nullptr) {
        return ctx.at(errc::type_mismatch, pointer,
                      "expected an array for a " + json_utf8(*name) + " value, got " + json_kind_name(plain), "an array");
    }
    const json_value::array_t* element_types = elements != nullptr ? elements->get_ptr<const json_value::array_t*>() : nullptr;
    if (element_types != nullptr && element_types->size() != list->size()) {
        return ctx.at(errc::type_mismatch, json_pointer(type_pointer, "elements"),
                      "has " + std::to_string(element_types->size()) + " element types for " +
                          std::to_string(list->size()) + " elements");
    }
    if (list->size() > WMISUB_MAX_ARRAY_ELEMENTS) {
        return ctx.at(errc::limit_exceeded, pointer, "array with more than " + std::to_string(WMISUB_MAX_ARRAY_ELEMENTS) + " elements");
    }
    value::array_type items;
    items.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string item_pointer = json_pointer(pointer, i);
        result<value> item = element_types != nullptr
                                 ? json_read_typed((*list)[i], &(*element_types)[i], item_pointer,
                                                   json_pointer(json_pointer(type_pointer, "elements"), i), ctx)
                                 : json_read_scalar((*list)[i], spec->type, item_pointer, ctx);
        if (!item) return item.error();
        items.push_back(std::move(*item));
    }
    return value::array(spec->type, std::move(items));
}

// Reads the "properties"/"types" pair of `holder` (both optional). A property
// whose value does not match its type is an error; in lenient mode it is
// recorded and the property kept with an inferred type instead. `untyped`
// (optional) receives the names of properties that had no "types" entry.
inline result<std::vector<property>> json_read_bag(const json_value& holder, std::string_view pointer,
                                                   const json_read_context& ctx, std::vector<std::string>* untyped) {
    std::vector<property> out;
    const json_value* values = json_member(holder, "properties");
    if (values == nullptr || values->is_null()) return out;
    const std::string values_pointer = json_pointer(pointer, "properties");
    const auto* members = values->get_ptr<const json_value::object_t*>();
    if (members == nullptr) {
        return ctx.at(errc::type_mismatch, values_pointer, "expected an object of properties, got " + json_kind_name(*values),
                      "an object");
    }
    const std::string types_pointer = json_pointer(pointer, "types");
    const json_value* types = json_member(holder, "types");
    std::unordered_map<std::string_view, const json_value*> type_of;
    if (types != nullptr && !types->is_null()) {
        const auto* type_members = types->get_ptr<const json_value::object_t*>();
        if (type_members == nullptr) {
            return ctx.at(errc::type_mismatch, types_pointer, "expected an object of type names, got " + json_kind_name(*types),
                          "an object");
        }
        type_of.reserve(type_members->size());
        for (const auto& [name, desc] : *type_members) type_of.emplace(name, &desc);
    }
    out.reserve(members->size());
    for (const auto& [name, plain] : *members) {
        const auto found = type_of.find(name);
        const json_value* desc = found != type_of.end() ? found->second : nullptr;
        if (desc == nullptr && untyped != nullptr) untyped->push_back(name);
        const std::string property_pointer = json_pointer(values_pointer, name);
        auto v = json_read_typed(plain, desc, property_pointer, json_pointer(types_pointer, name), ctx);
        if (v.has_value()) {
            out.push_back({name, std::move(*v)});
            continue;
        }
        const error& why = v.error();
        if (!ctx.lenient() || why.code == errc::limit_exceeded) return why;
        ctx.note(why);
        out.push_back({name, json_infer(plain, ctx.depth)});
    }
    return out;
}

// Reads a standalone {"type", "value"} value.
WMISUB_API result<value> json_read_value(const json_value& j, std::string_view pointer,
                                         const json_read_context& ctx) {
    if (!j.is_object()) {
        return ctx.at(errc::type_mismatch, pointer, "expected an object {\"type\", \"value\"}, got " + json_kind_name(j),
                      "an object");
    }
    const json_value* plain = json_member(j, "value");
    if (plain == nullptr) return ctx.at(errc::missing_field, json_pointer(pointer, "value"), "missing \"value\"", "\"value\"");
    return json_read_typed(*plain, json_member(j, "type"), json_pointer(pointer, "value"), json_pointer(pointer, "type"), ctx);
}

}  // namespace detail
WMISUB_NAMESPACE_END
