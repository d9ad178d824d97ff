// Tests for wmisub/fwd.hpp: every forward declaration agrees with the real one (same kind, same
// enum underlying type), checked by declaring first and then including the full headers.
// SPDX-License-Identifier: MIT
#if defined(__GNUC__)
// `struct X;` for a `class X` is legal C++ but mangles differently on MSVC: make it an error here.
#pragma GCC diagnostic error "-Wmismatched-tags"
#endif
#include "wmisub/fwd.hpp"

#include <doctest/doctest.h>

#include <type_traits>

// A host's header: only names the types.
namespace host {
struct scan_summary {
    const wmisub::snapshot* snapshot = nullptr;
    const wmisub::subscription_graph* graph = nullptr;
    const wmisub::assessment* first = nullptr;
    wmisub::severity worst{};
};
}  // namespace host

#include "wmisub/wmisub.hpp"

TEST_CASE("fwd.hpp: forward-declared types are the library's types") {
    static_assert(std::is_same_v<std::underlying_type_t<wmisub::severity>, std::uint8_t>);
    static_assert(std::is_same_v<std::underlying_type_t<wmisub::capability>, std::uint32_t>);
    static_assert(std::is_class_v<wmisub::subscription_graph>);
    wmisub::snapshot snap;
    snap.host = "WS01";
    host::scan_summary summary;
    summary.snapshot = &snap;
    summary.worst = wmisub::severity::high;
    CHECK(summary.snapshot->host == "WS01");
    CHECK(summary.worst == wmisub::severity::high);
}
