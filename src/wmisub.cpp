// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The implementation unit of the compiled mode (the wmisub::wmisub_compiled
// library, Meson's header_only=false): with WMISUB_HEADER_ONLY=0 the headers
// only declare, and this one translation unit compiles every definition.
// Hosts that build wmisub their own way do the same in one of their files.
#ifndef WMISUB_HEADER_ONLY
#define WMISUB_HEADER_ONLY 0
#endif
#if WMISUB_HEADER_ONLY
#error "src/wmisub.cpp is the compiled mode's implementation unit: build it with WMISUB_HEADER_ONLY=0"
#endif
#define WMISUB_IMPLEMENTATION

#include "wmisub/wmisub.hpp"

// The JSON adapter and the snapshot collector need nlohmann/json; the build
// defines WMISUB_COMPILE_JSON=1 when it is available.
#if defined(WMISUB_COMPILE_JSON) && WMISUB_COMPILE_JSON
#include "wmisub/json.hpp"
#include "wmisub/sources/snapshot.hpp"
#endif
