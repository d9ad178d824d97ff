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

WMISUB_NAMESPACE_END
