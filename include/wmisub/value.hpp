// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// One WMI property value of any CIM type, scalar or array, and named
// properties. Sources fill values; the model reads them.
#pragma once

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

// The CIM types (MOF names in comments). `empty` is a NULL of unknown type.
enum class cim_type : std::uint8_t {
    empty,
    boolean,    // boolean
    sint8,      // sint8
    uint8,      // uint8
    sint16,     // sint16
    uint16,     // uint16
    sint32,     // sint32
    uint32,     // uint32
    sint64,     // sint64
    uint64,     // uint64
    real32,     // real32
    real64,     // real64
    char16,     // char16
    string,     // string
    datetime,   // datetime (timestamp or interval)
    reference,  // ref (an object path)
    object,     // object (an embedded instance)
};

// The MOF spelling of a CIM type: "uint32", "string", "ref", "object", "null".
[[nodiscard]] constexpr std::string_view to_string(cim_type t) noexcept {
    switch (t) {
    case cim_type::empty: return "null";
    case cim_type::boolean: return "boolean";
    case cim_type::sint8: return "sint8";
    case cim_type::uint8: return "uint8";
    case cim_type::sint16: return "sint16";
    case cim_type::uint16: return "uint16";
    case cim_type::sint32: return "sint32";
    case cim_type::uint32: return "uint32";
    case cim_type::sint64: return "sint64";
    case cim_type::uint64: return "uint64";
    case cim_type::real32: return "real32";
    case cim_type::real64: return "real64";
    case cim_type::char16: return "char16";
    case cim_type::string: return "string";
    case cim_type::datetime: return "datetime";
    case cim_type::reference: return "ref";
    case cim_type::object: return "object";
    }
    return "null";
}

// The CIM type named by a MOF type keyword, case-insensitively ("ref" and "reference" both work).
[[nodiscard]] inline std::optional<cim_type> cim_type_from_name(std::string_view name) noexcept {
    for (auto t = static_cast<int>(cim_type::boolean); t <= static_cast<int>(cim_type::object); ++t) {
        const auto type = static_cast<cim_type>(t);
        if (iequals(name, to_string(type))) return type;
    }
    if (iequals(name, "reference")) return cim_type::reference;
    return std::nullopt;
}

// True for the eight integer types.
[[nodiscard]] constexpr bool is_integer(cim_type t) noexcept { return t >= cim_type::sint8 && t <= cim_type::uint64; }

// True for the signed integer types.
[[nodiscard]] constexpr bool is_signed_integer(cim_type t) noexcept {
    return t == cim_type::sint8 || t == cim_type::sint16 || t == cim_type::sint32 || t == cim_type::sint64;
}

// The inclusive range of an integer type, as signed/unsigned 64-bit bounds.
struct integer_range {
    std::int64_t min;
    std::uint64_t max;
};

// Range of values an integer CIM type holds; used to reject out-of-range literals.
[[nodiscard]] constexpr integer_range range_of(cim_type t) noexcept {
    switch (t) {
    case cim_type::sint8: return {-128, 127};
    case cim_type::uint8: return {0, 255};
    case cim_type::sint16: return {-32768, 32767};
    case cim_type::uint16: return {0, 65535};
    case cim_type::sint32: return {std::numeric_limits<std::int32_t>::min(), 2147483647u};
    case cim_type::uint32: return {0, 4294967295u};
    case cim_type::sint64:
        return {std::numeric_limits<std::int64_t>::min(),
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())};
    default: return {0, std::numeric_limits<std::uint64_t>::max()};
    }
}

struct property;
struct embedded_object;

// A WMI value: NULL, a scalar of one CIM type, or an array of one CIM type.
// Values are built through the named factories so type and payload agree.
class value {
public:
    using array_type = std::vector<value>;

    // NULL of unknown type.
    value() noexcept = default;

    // NULL with a declared type (a MOF property declared but not set).
    [[nodiscard]] static value null(cim_type declared = cim_type::empty) { return value(declared, false, {}); }
    [[nodiscard]] static value boolean(bool b) { return value(cim_type::boolean, false, b); }
    // A signed integer; `t` picks the width (default sint64). The caller guarantees the range.
    [[nodiscard]] static value sint(std::int64_t v, cim_type t = cim_type::sint64) { return value(t, false, v); }
    // An unsigned integer; `t` picks the width (default uint64).
    [[nodiscard]] static value uint(std::uint64_t v, cim_type t = cim_type::uint64) { return value(t, false, v); }
    [[nodiscard]] static value real(double v, cim_type t = cim_type::real64) { return value(t, false, v); }
    [[nodiscard]] static value string(std::string s) { return value(cim_type::string, false, std::move(s)); }
    // A char16, kept as its UTF-16 code unit.
    [[nodiscard]] static value char16(char16_t c) { return value(cim_type::char16, false, std::uint64_t{c}); }
    [[nodiscard]] static value datetime(dmtf_datetime d) { return value(cim_type::datetime, false, d); }
    // A reference, kept as the object path text; parse it with parse_object_path.
    [[nodiscard]] static value reference(std::string path) {
        return value(cim_type::reference, false, std::move(path));
    }
    [[nodiscard]] static value object(embedded_object o);
    // An array whose elements all have `element` type (NULL elements allowed).
    [[nodiscard]] static value array(cim_type element, array_type elements) {
        return value(element, true, std::move(elements));
    }
    // A uint8 array from raw bytes (CreatorSID, SECURITY_DESCRIPTOR).
    [[nodiscard]] static value bytes(std::span<const std::uint8_t> raw) {
        array_type elements;
        elements.reserve(raw.size());
        for (std::uint8_t b : raw) elements.push_back(uint(b, cim_type::uint8));
        return array(cim_type::uint8, std::move(elements));
    }
    // A string array.
    [[nodiscard]] static value strings(std::vector<std::string> items) {
        array_type elements;
        elements.reserve(items.size());
        for (auto& s : items) elements.push_back(string(std::move(s)));
        return array(cim_type::string, std::move(elements));
    }

    // The CIM type of the value or, for arrays, of the elements.
    [[nodiscard]] cim_type type() const noexcept { return type_; }
    [[nodiscard]] bool is_array() const noexcept { return is_array_; }
    [[nodiscard]] bool is_null() const noexcept { return std::holds_alternative<std::monostate>(data_); }

    // The boolean, when this is a boolean.
    [[nodiscard]] std::optional<bool> as_bool() const noexcept {
        if (const bool* b = std::get_if<bool>(&data_); b != nullptr && !is_array_) return *b;
        return std::nullopt;
    }
    // The integer as int64, when it is an integer that fits.
    [[nodiscard]] std::optional<std::int64_t> as_int() const noexcept {
        if (is_array_) return std::nullopt;
        if (const auto* s = std::get_if<std::int64_t>(&data_)) return *s;
        if (const auto* u = std::get_if<std::uint64_t>(&data_);
            u != nullptr && *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return static_cast<std::int64_t>(*u);
        }
        return std::nullopt;
    }
    // The integer as uint64, when it is a non-negative integer.
    [[nodiscard]] std::optional<std::uint64_t> as_uint() const noexcept {
        if (is_array_) return std::nullopt;
        if (const auto* u = std::get_if<std::uint64_t>(&data_)) return *u;
        if (const auto* s = std::get_if<std::int64_t>(&data_); s != nullptr && *s >= 0) {
            return static_cast<std::uint64_t>(*s);
        }
        return std::nullopt;
    }
    // The number as a double, for reals and integers.
    [[nodiscard]] std::optional<double> as_real() const noexcept {
        if (is_array_) return std::nullopt;
        if (const auto* d = std::get_if<double>(&data_)) return *d;
        if (const auto* s = std::get_if<std::int64_t>(&data_)) return static_cast<double>(*s);
        if (const auto* u = std::get_if<std::uint64_t>(&data_)) return static_cast<double>(*u);
        return std::nullopt;
    }
    // The text of a string or reference scalar.
    [[nodiscard]] const std::string* as_string() const noexcept {
        return is_array_ ? nullptr : std::get_if<std::string>(&data_);
    }
    [[nodiscard]] const dmtf_datetime* as_datetime() const noexcept {
        return is_array_ ? nullptr : std::get_if<dmtf_datetime>(&data_);
    }
    [[nodiscard]] const embedded_object* as_object() const noexcept {
        const auto* held = is_array_ ? nullptr : std::get_if<object_ptr>(&data_);
        return held != nullptr ? held->get() : nullptr;
    }
    [[nodiscard]] const array_type* as_array() const noexcept {
        return is_array_ ? std::get_if<array_type>(&data_) : nullptr;
    }
    // The bytes of an integer array whose elements all fit in 0..255 (CreatorSID).
    [[nodiscard]] std::optional<std::vector<std::uint8_t>> as_bytes() const {
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
    // The elements of a string array (NULL elements skipped).
    [[nodiscard]] std::optional<std::vector<std::string>> as_strings() const {
        const array_type* items = as_array();
        if (items == nullptr) return std::nullopt;
        std::vector<std::string> out;
        for (const value& item : *items) {
            if (const std::string* s = item.as_string()) out.push_back(*s);
        }
        return out;
    }

    // Same type, shape and payload. Strings compare exactly (property values are case-sensitive data).
    friend WMISUB_API bool operator==(const value& a, const value& b) noexcept;

private:
    // Embedded objects are immutable once built and shared between copies; a
    // pointer also breaks the value -> object -> property -> value type cycle.
    using object_ptr = std::shared_ptr<const embedded_object>;
    using storage =
        std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, dmtf_datetime,
                     object_ptr, array_type>;

    value(cim_type t, bool is_array, storage data) : data_(std::move(data)), type_(t), is_array_(is_array) {}

    storage data_{};
    cim_type type_ = cim_type::empty;
    bool is_array_ = false;
};

// A named value. Names keep the spelling of the source; lookups ignore case as WMI does.
struct property {
    std::string name;
    wmisub::value value;

    friend bool operator==(const property&, const property&) = default;
};

// The property called `name` (case-insensitive) in a list, or nullptr.
[[nodiscard]] inline const property* find_property(std::span<const property> props, std::string_view name) noexcept {
    for (const property& p : props) {
        if (iequals(p.name, name)) return &p;
    }
    return nullptr;
}

// An embedded instance (`instance of X { … }` inside a value, or a CIM object property).
struct embedded_object {
    std::string class_name;
    std::vector<property> properties;

    // The property called `name` (case-insensitive), or nullptr.
    [[nodiscard]] const property* find(std::string_view name) const noexcept { return find_property(properties, name); }

    friend bool operator==(const embedded_object&, const embedded_object&) = default;
};


WMISUB_API bool operator==(const value& a, const value& b) noexcept;


// The value as MOF literal text: `"a \"b\""`, `42`, `TRUE`, `{1, 2}`, `NULL`. Used in reports and diffs.
[[nodiscard]] WMISUB_API std::string to_mof(const value& v);

// The value as plain text for people: strings unquoted, arrays as `(a,b)` like WMI's string templates.
[[nodiscard]] WMISUB_API std::string to_display(const value& v);

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/value.inl"
#endif
