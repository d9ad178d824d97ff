// The program every consumer project in tests/package builds: it uses the public API through the
// umbrella header and fails (nonzero exit) if anything is off.
// SPDX-License-Identifier: MIT
#include <wmisub/wmisub.hpp>

#include <cstdio>
#include <string_view>

int main() {
    const wmisub::result<int> ok = 42;
    const wmisub::result<int> bad = wmisub::make_error(wmisub::errc::syntax_error, "expected '='", 7);
    if (!ok || *ok != 42 || bad || bad.error().code != wmisub::errc::syntax_error) return 1;
#ifdef WMISUB_EXPECTED_VERSION
    // The version the build system reported (CMake package, pkg-config) must be the headers' version.
    if (std::string_view(WMISUB_VERSION_STRING) != WMISUB_EXPECTED_VERSION) {
        std::printf("version mismatch: headers %s, package %s\n", WMISUB_VERSION_STRING, WMISUB_EXPECTED_VERSION);
        return 2;
    }
#endif
    std::printf("wmisub %s: %s\n", WMISUB_VERSION_STRING, bad.error().to_string().c_str());
    return 0;
}
