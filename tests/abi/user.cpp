// A compiled-mode program's user file for tests/abi_tag.cmake: it calls definitions that only the
// implementation unit has, so the link needs the ABI tags of both parts to agree.
// SPDX-License-Identifier: MIT
#include <wmisub/wmisub.hpp>

#include <cstdio>

int main() {
    const auto query = wmisub::parse_wql("SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'");
    if (!query) return 1;
    const wmisub::wql_analysis analysis = wmisub::analyze_wql(*query);
    std::printf("trigger: %s\n", std::string(wmisub::to_string(analysis.trigger.kind)).c_str());
    return analysis.trigger.kind == wmisub::trigger_kind::process_start ? 0 : 2;
}
