// The umbrella header with exceptions disabled (-fno-exceptions, /EHs-c-): it must compile,
// detect the mode, and work. Built without doctest, which needs exceptions.
// SPDX-License-Identifier: MIT
#include "wmisub/wmisub.hpp"

#include <cstdio>
#include <string>
#include <string_view>

static_assert(WMISUB_EXCEPTIONS == 0, "config.hpp should detect that exceptions are disabled");

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

wmisub::result<int> parse_digit(char c) {
    if (c < '0' || c > '9') return wmisub::make_error(wmisub::errc::syntax_error, "expected a digit", 0);
    return c - '0';
}

}  // namespace

int main() {
    const auto ok = parse_digit('7');
    check(ok.has_value() && *ok == 7, "result<int> holds a value");

    const auto doubled = ok.transform([](int v) { return v * 2; });
    check(doubled.has_value() && *doubled == 14, "transform maps the value");

    const auto bad = parse_digit('x');
    check(!bad, "result<int> holds an error");
    check(bad.error().code == wmisub::errc::syntax_error, "error code survives");
    check(bad.value_or(-1) == -1, "value_or falls back");

    const std::string text = bad.error().to_string();
    check(text == "@0: syntax_error: expected a digit", "error::to_string formats offset, code and message");
    check(wmisub::to_string(wmisub::errc::limit_exceeded) == std::string_view("limit_exceeded"), "errc names");

    if (failures != 0) return 1;
    std::printf("wmisub %s without exceptions: ok (%s)\n", WMISUB_VERSION_STRING, text.c_str());
    return 0;
}
