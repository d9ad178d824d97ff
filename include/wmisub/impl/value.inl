// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/value.hpp: equality, and values as MOF and display text.
// Included by that header only under WMISUB_INCLUDE_IMPLEMENTATION (header-only
// mode, or the one translation unit that defines WMISUB_IMPLEMENTATION); not a
// header to include.
#pragma once

#include "wmisub/value.hpp"
#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN

namespace detail {

inline void append_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: out += c;
        }
    }
    out += '"';
}

inline void append_real(std::string& out, double d) {
    std::string text = std::to_string(d);
    // std::to_string uses fixed notation with six decimals; trim trailing zeros for readability.
    if (text.find('.') != std::string::npos) {
        while (!text.empty() && text.back() == '0') text.pop_back();
        if (!text.empty() && text.back() == '.') text.pop_back();
    }
    out += text;
}

inline void append_mof_value(std::string& out, const value& v, int depth);

inline void append_mof_scalar(std::string& out, const value& v, int depth) {
    if (v.is_null()) {
        out += "NULL";
    } else if (const auto b = v.as_bool()) {
        out += *b ? "TRUE" : "FALSE";
    } else if (const std::string* s = v.as_string()) {
        append_quoted(out, *s);
    } else if (const dmtf_datetime* d = v.as_datetime()) {
        append_quoted(out, to_string(*d));
    } else if (const embedded_object* o = v.as_object()) {
        if (depth >= WMISUB_MAX_NESTING) {
            out += "{…}";
            return;
        }
        out += "instance of " + o->class_name + " {";
        for (const property& p : o->properties) {
            out += ' ' + p.name + " = ";
            append_mof_value(out, p.value, depth + 1);
            out += ';';
        }
        out += " }";
    } else if (v.type() == cim_type::real32 || v.type() == cim_type::real64) {
        append_real(out, *v.as_real());
    } else if (const auto i = v.as_int(); i && is_signed_integer(v.type())) {
        out += std::to_string(*i);
    } else if (const auto u = v.as_uint()) {
        out += std::to_string(*u);
    } else if (const auto n = v.as_int()) {
        out += std::to_string(*n);
    }
}

inline void append_mof_value(std::string& out, const value& v, int depth) {
    const value::array_type* items = v.as_array();
    if (items == nullptr) {
        append_mof_scalar(out, v, depth);
        return;
    }
    out += '{';
    for (std::size_t i = 0; i < items->size(); ++i) {
        if (i != 0) out += ", ";
        append_mof_scalar(out, (*items)[i], depth);
    }
    out += '}';
}

}  // namespace detail

WMISUB_API value value::object(embedded_object o) {
    return value(cim_type::object, false, std::make_shared<const embedded_object>(std::move(o)));
}

WMISUB_API bool operator==(const value& a, const value& b) noexcept {
    if (a.type_ != b.type_ || a.is_array_ != b.is_array_) return false;
    const embedded_object* oa = a.as_object();
    const embedded_object* ob = b.as_object();
    if (oa != nullptr || ob != nullptr) return oa != nullptr && ob != nullptr && *oa == *ob;
    return a.data_ == b.data_;
}

WMISUB_API std::string to_mof(const value& v) {
    std::string out;
    detail::append_mof_value(out, v, 0);
    return out;
}

WMISUB_API std::string to_display(const value& v) {
    if (const std::string* s = v.as_string()) return *s;
    const value::array_type* items = v.as_array();
    if (items == nullptr) return to_mof(v);
    std::string out = "(";
    for (std::size_t i = 0; i < items->size(); ++i) {
        if (i != 0) out += ',';
        out += to_display((*items)[i]);
    }
    return out + ')';
}

WMISUB_API value value::bytes(std::span<const std::uint8_t> raw) {
    array_type elements;
    elements.reserve(raw.size());
    for (std::uint8_t b : raw) elements.push_back(uint(b, cim_type::uint8));
    return array(cim_type::uint8, std::move(elements));
}

WMISUB_API value value::strings(std::vector<std::string> items) {
    array_type elements;
    elements.reserve(items.size());
    for (auto& s : items) elements.push_back(string(std::move(s)));
    return array(cim_type::string, std::move(elements));
}

WMISUB_API std::optional<std::vector<std::uint8_t>> value::as_bytes() const {
    const array_type* items = as_array();
    if (items == nullptr) return std::nullopt;
    std::vector<std::uint8_t> out;
    out.reserve(items->size());
    for (const value& item : *items) {
        const auto v = item.as_uint();
        if (!v || *v > 255u) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(*v));
    }
    return out;
}

WMISUB_API std::optional<std::vector<std::string>> value::as_strings() const {
    const array_type* items = as_array();
    if (items == nullptr) return std::nullopt;
    std::vector<std::string> out;
    for (const value& item : *items) {
        if (const std::string* s = item.as_string()) out.push_back(*s);
    }
    return out;
}

WMISUB_API std::optional<cim_type> cim_type_from_name(std::string_view name) noexcept {
    for (auto t = static_cast<int>(cim_type::boolean); t <= static_cast<int>(cim_type::object); ++t) {
        const auto type = static_cast<cim_type>(t);
        if (iequals(name, to_string(type))) return type;
    }
    if (iequals(name, "reference")) return cim_type::reference;
    return std::nullopt;
}

WMISUB_API value value::null(cim_type declared) { return value(declared, false, {}); }

WMISUB_API value value::boolean(bool b) { return value(cim_type::boolean, false, b); }

WMISUB_API value value::sint(std::int64_t v, cim_type t) { return value(t, false, v); }

WMISUB_API value value::uint(std::uint64_t v, cim_type t) { return value(t, false, v); }

WMISUB_API value value::real(double v, cim_type t) { return value(t, false, v); }

WMISUB_API value value::string(std::string s) { return value(cim_type::string, false, std::move(s)); }

WMISUB_API value value::char16(char16_t c) { return value(cim_type::char16, false, std::uint64_t{c}); }

WMISUB_API value value::datetime(dmtf_datetime d) { return value(cim_type::datetime, false, d); }

WMISUB_API value value::reference(std::string path) {
    return value(cim_type::reference, false, std::move(path));
}

WMISUB_API value value::array(cim_type element, array_type elements) {
    return value(element, true, std::move(elements));
}

WMISUB_API bool value::is_null() const noexcept { return std::holds_alternative<std::monostate>(data_); }

WMISUB_API std::optional<bool> value::as_bool() const noexcept {
    if (const bool* b = std::get_if<bool>(&data_); b != nullptr && !is_array_) return *b;
    return std::nullopt;
}

WMISUB_API std::optional<std::int64_t> value::as_int() const noexcept {
    if (is_array_) return std::nullopt;
    if (const auto* s = std::get_if<std::int64_t>(&data_)) return *s;
    if (const auto* u = std::get_if<std::uint64_t>(&data_);
        u != nullptr && *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<std::int64_t>(*u);
    }
    return std::nullopt;
}

WMISUB_API std::optional<std::uint64_t> value::as_uint() const noexcept {
    if (is_array_) return std::nullopt;
    if (const auto* u = std::get_if<std::uint64_t>(&data_)) return *u;
    if (const auto* s = std::get_if<std::int64_t>(&data_); s != nullptr && *s >= 0) {
        return static_cast<std::uint64_t>(*s);
    }
    return std::nullopt;
}

WMISUB_API std::optional<double> value::as_real() const noexcept {
    if (is_array_) return std::nullopt;
    if (const auto* d = std::get_if<double>(&data_)) return *d;
    if (const auto* s = std::get_if<std::int64_t>(&data_)) return static_cast<double>(*s);
    if (const auto* u = std::get_if<std::uint64_t>(&data_)) return static_cast<double>(*u);
    return std::nullopt;
}

WMISUB_API const std::string* value::as_string() const noexcept {
    return is_array_ ? nullptr : std::get_if<std::string>(&data_);
}

WMISUB_API const dmtf_datetime* value::as_datetime() const noexcept {
    return is_array_ ? nullptr : std::get_if<dmtf_datetime>(&data_);
}

WMISUB_API const embedded_object* value::as_object() const noexcept {
    const auto* held = is_array_ ? nullptr : std::get_if<object_ptr>(&data_);
    return held != nullptr ? held->get() : nullptr;
}

WMISUB_API const value::array_type* value::as_array() const noexcept {
    return is_array_ ? std::get_if<array_type>(&data_) : nullptr;
}

WMISUB_NAMESPACE_END
