// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// result<T> and error: the only way fallible calls report failure. Nothing in
// wmisub throws, so an agent embedding it keeps running on any input.
#pragma once

#include "wmisub/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

WMISUB_NAMESPACE_BEGIN

// Stable error codes. A name once shipped is never reused for something else.
enum class errc : std::uint8_t {
    invalid_argument,  // the caller passed something the API does not accept
    syntax_error,      // input does not follow its grammar
    unexpected_end,    // input ended in the middle of a construct
    limit_exceeded,    // a size, depth or count limit was reached
    invalid_encoding,  // bytes are not valid in the declared encoding
    type_mismatch,     // a value has the wrong type for its place
    missing_field,     // a required field or property is absent
    not_found,         // a file, namespace or object does not exist
    io_error,          // reading or writing failed
    access_denied,     // the source refused access
    unsupported,       // the source or feature is not available here
    cancelled,         // the caller's cancel flag was raised
    timeout,           // the caller's deadline passed
    corrupt_data,      // a checksum or structural invariant of stored data failed
    internal,          // a bug in wmisub; please report it
};

// The stable name of an error code, as used in JSON reports.
[[nodiscard]] constexpr std::string_view to_string(errc code) noexcept {
    switch (code) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::syntax_error: return "syntax_error";
    case errc::unexpected_end: return "unexpected_end";
    case errc::limit_exceeded: return "limit_exceeded";
    case errc::invalid_encoding: return "invalid_encoding";
    case errc::type_mismatch: return "type_mismatch";
    case errc::missing_field: return "missing_field";
    case errc::not_found: return "not_found";
    case errc::io_error: return "io_error";
    case errc::access_denied: return "access_denied";
    case errc::unsupported: return "unsupported";
    case errc::cancelled: return "cancelled";
    case errc::timeout: return "timeout";
    case errc::corrupt_data: return "corrupt_data";
    case errc::internal: return "internal";
    }
    return "unknown";
}

// Where in an input something was found. Line and column are 1-based; 0 means
// unknown. offset is a byte offset from the start of the input, or npos.
struct source_location {
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    std::string source;  // file name, source name or JSON pointer root; may be empty
    std::size_t line = 0;
    std::size_t column = 0;
    std::size_t offset = npos;

    // True when any part of the location is known.
    [[nodiscard]] bool known() const noexcept { return !source.empty() || line != 0 || offset != npos; }

    // "file:3:14", "file@120", "file" or "" depending on what is known.
    [[nodiscard]] std::string to_string() const {
        std::string out = source;
        if (line != 0) {
            out += ':' + std::to_string(line);
            if (column != 0) out += ':' + std::to_string(column);
        } else if (offset != npos) {
            out += '@' + std::to_string(offset);
        }
        return out;
    }

    friend bool operator==(const source_location&, const source_location&) = default;
};

// A failure: what kind, a human sentence, and where in the input.
struct error {
    errc code = errc::internal;
    std::string message;
    source_location location;
    std::string expected;  // what the parser expected at the location, when it knows ("'FROM'", "a string")

    // "file:3:14: syntax_error: expected '='".
    [[nodiscard]] std::string to_string() const {
        std::string out = location.to_string();
        if (!out.empty()) out += ": ";
        out += wmisub::to_string(code);
        if (!message.empty()) {
            out += ": ";
            out += message;
        }
        if (!expected.empty()) out += " (expected " + expected + ")";
        return out;
    }

    friend bool operator==(const error&, const error&) = default;
};

// Builds an error at a byte offset of an unnamed input.
[[nodiscard]] inline error make_error(errc code, std::string message, std::size_t offset = source_location::npos) {
    error e{code, std::move(message), {}, {}};
    e.location.offset = offset;
    return e;
}

// Builds an error with a full location.
[[nodiscard]] inline error make_error(errc code, std::string message, source_location location) {
    return error{code, std::move(message), std::move(location), {}};
}

// Either a T or an error. Accessing the wrong alternative is a contract
// violation checked by WMISUB_ASSERT; it never throws.
template <class T>
class [[nodiscard]] result {
    static_assert(!std::is_reference_v<T>, "result<T&> is not supported");
    static_assert(!std::is_same_v<std::remove_cv_t<T>, wmisub::error>, "result<error> is ambiguous");

public:
    using value_type = T;

    result(const T& v) : storage_(std::in_place_index<0>, v) {}                     // NOLINT(google-explicit-constructor)
    result(T&& v) : storage_(std::in_place_index<0>, std::move(v)) {}              // NOLINT(google-explicit-constructor)
    result(wmisub::error e) : storage_(std::in_place_index<1>, std::move(e)) {}            // NOLINT(google-explicit-constructor)
    template <class... Args>
    explicit result(std::in_place_t, Args&&... args) : storage_(std::in_place_index<0>, std::forward<Args>(args)...) {}

    [[nodiscard]] bool has_value() const noexcept { return storage_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    [[nodiscard]] T& value() & noexcept { return checked_value(); }
    [[nodiscard]] const T& value() const& noexcept { return const_cast<result*>(this)->checked_value(); }
    // On a temporary, the value is moved out and returned by value: a reference into the
    // temporary (`const T& v = *collect();`) would dangle at the end of the statement.
    [[nodiscard]] T value() && noexcept(std::is_nothrow_move_constructible_v<T>) { return std::move(checked_value()); }

    [[nodiscard]] T& operator*() & noexcept { return value(); }
    [[nodiscard]] const T& operator*() const& noexcept { return value(); }
    [[nodiscard]] T operator*() && noexcept(std::is_nothrow_move_constructible_v<T>) {
        return std::move(checked_value());
    }
    [[nodiscard]] T* operator->() noexcept { return &value(); }
    [[nodiscard]] const T* operator->() const noexcept { return &value(); }

    [[nodiscard]] const wmisub::error& error() const& noexcept {
        WMISUB_ASSERT(!has_value());
        return *std::get_if<1>(&storage_);
    }
    [[nodiscard]] wmisub::error error() && noexcept(std::is_nothrow_move_constructible_v<wmisub::error>) {
        WMISUB_ASSERT(!has_value());
        return std::move(*std::get_if<1>(&storage_));
    }

    // The value, or fallback when this holds an error.
    template <class U>
    [[nodiscard]] T value_or(U&& fallback) const& {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

    // f(T) -> result<U>; errors pass through unchanged.
    template <class F>
    auto and_then(F&& f) const& -> std::invoke_result_t<F, const T&> {
        if (has_value()) return std::forward<F>(f)(value());
        return error();
    }

    // f(T) -> U, wrapped as result<U>; errors pass through unchanged.
    template <class F>
    auto transform(F&& f) const& -> result<std::invoke_result_t<F, const T&>> {
        if (has_value()) return std::forward<F>(f)(value());
        return error();
    }

private:
    T& checked_value() noexcept {
        WMISUB_ASSERT(has_value());
        return *std::get_if<0>(&storage_);
    }

    std::variant<T, wmisub::error> storage_;
};

// Success without a value, or an error.
template <>
class [[nodiscard]] result<void> {
public:
    using value_type = void;

    result() = default;
    result(wmisub::error e) : error_(std::move(e)), failed_(true) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return has_value(); }

    [[nodiscard]] const wmisub::error& error() const& noexcept {
        WMISUB_ASSERT(failed_);
        return error_;
    }

private:
    wmisub::error error_{};
    bool failed_ = false;
};

WMISUB_NAMESPACE_END
