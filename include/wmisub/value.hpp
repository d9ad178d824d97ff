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
[[nodiscard]] WMISUB_API std::optional<cim_type> cim_type_from_name(std::string_view name) noexcept;

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
    [[nodiscard]] static value null(cim_type declared = cim_type::empty);
    [[nodiscard]] static value boolean(bool b);
    // A signed integer; `t` picks the width (default sint64). The caller guarantees the range.
    [[nodiscard]] static value sint(std::int64_t v, cim_type t = cim_type::sint64);
    // An unsigned integer; `t` picks the width (default uint64).
    [[nodiscard]] static value uint(std::uint64_t v, cim_type t = cim_type::uint64);
    [[nodiscard]] static value real(double v, cim_type t = cim_type::real64);
    [[nodiscard]] static value string(std::string s);
    // A char16, kept as its UTF-16 code unit.
    [[nodiscard]] static value char16(char16_t c);
    [[nodiscard]] static value datetime(dmtf_datetime d);
    // A reference, kept as the object path text; parse it with parse_object_path.
    [[nodiscard]] static value reference(std::string path);
    [[nodiscard]] static value object(embedded_object o);
    // An array whose elements all have `element` type (NULL elements allowed).
    [[nodiscard]] static value array(cim_type element, array_type elements);
    // A uint8 array from raw bytes (CreatorSID, SECURITY_DESCRIPTOR).
    [[nodiscard]] static value bytes(std::span<const std::uint8_t> raw);
    // A string array.
    [[nodiscard]] static value strings(std::vector<std::string> items);

    // The CIM type of the value or, for arrays, of the elements.
    [[nodiscard]] cim_type type() const noexcept { return type_; }
    [[nodiscard]] bool is_array() const noexcept { return is_array_; }
    [[nodiscard]] bool is_null() const noexcept;

    // The boolean, when this is a boolean.
    [[nodiscard]] std::optional<bool> as_bool() const noexcept;
    // The integer as int64, when it is an integer that fits.
    [[nodiscard]] std::optional<std::int64_t> as_int() const noexcept;
    // The integer as uint64, when it is a non-negative integer.
    [[nodiscard]] std::optional<std::uint64_t> as_uint() const noexcept;
    // The number as a double, for reals and integers.
    [[nodiscard]] std::optional<double> as_real() const noexcept;
    // The text of a string or reference scalar.
    [[nodiscard]] const std::string* as_string() const noexcept WMISUB_LIFETIMEBOUND;
    [[nodiscard]] const dmtf_datetime* as_datetime() const noexcept WMISUB_LIFETIMEBOUND;
    [[nodiscard]] const embedded_object* as_object() const noexcept WMISUB_LIFETIMEBOUND;
    [[nodiscard]] const array_type* as_array() const noexcept WMISUB_LIFETIMEBOUND;
    // The bytes of an integer array whose elements all fit in 0..255 (CreatorSID).
    [[nodiscard]] std::optional<std::vector<std::uint8_t>> as_bytes() const;
    // The elements of a string array (NULL elements skipped).
    [[nodiscard]] std::optional<std::vector<std::string>> as_strings() const;

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
[[nodiscard]] inline const property* find_property(std::span<const property> props WMISUB_LIFETIMEBOUND,
                                                   std::string_view name) noexcept {
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
    [[nodiscard]] const property* find(std::string_view name) const noexcept WMISUB_LIFETIMEBOUND {
        return find_property(properties, name);
    }

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
