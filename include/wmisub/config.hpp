// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Version, ABI namespace and every configuration macro of the library, in one place.
// Each option is #ifndef-guarded so it can be set on the command line or in a
// user configuration header named by WMISUB_CONFIG_HEADER. Boolean options are
// tested with #if, so defining them to 0 works.
#pragma once

#if defined(WMISUB_CONFIG_HEADER)
#include WMISUB_CONFIG_HEADER
#endif

#define WMISUB_VERSION_MAJOR 0
#define WMISUB_VERSION_MINOR 1
#define WMISUB_VERSION_PATCH 0
// Packed version for comparisons: MAJOR * 10000 + MINOR * 100 + PATCH.
#define WMISUB_VERSION (WMISUB_VERSION_MAJOR * 10000 + WMISUB_VERSION_MINOR * 100 + WMISUB_VERSION_PATCH)
#define WMISUB_VERSION_STRING "0.1.0"

// Two copies of wmisub with different versions in one program must not share
// mangled names, so everything lives in an inline namespace named after the
// version (as nlohmann/json and toml++ do).
#define WMISUB_ABI_NAMESPACE v0_1
#define WMISUB_NAMESPACE_BEGIN                                                                                         \
    namespace wmisub {                                                                                                 \
    inline namespace WMISUB_ABI_NAMESPACE {
#define WMISUB_NAMESPACE_END                                                                                           \
    }                                                                                                                  \
    }

#if !defined(__cplusplus) || ((defined(_MSVC_LANG) ? _MSVC_LANG : __cplusplus) < 202002L)
#error "wmisub requires C++20"
#endif

// Whether the compiler has exceptions enabled. The library never throws and
// never lets an exception escape: this only decides whether internal calls into
// the standard library that may throw (allocation) are wrapped in try blocks.
#ifndef WMISUB_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define WMISUB_EXCEPTIONS 1
#else
#define WMISUB_EXCEPTIONS 0
#endif
#endif

// Contract checks (misuse of the API, never bad input). Defaults to assert().
#ifndef WMISUB_ASSERT
#include <cassert>
#define WMISUB_ASSERT(cond) assert(cond)
#endif

// Limits applied to attacker-controlled input. Every parser enforces them and
// reports an error with the location when one is exceeded.

// Largest single input (a MOF file, a JSON snapshot, an event log) in bytes.
#ifndef WMISUB_MAX_INPUT_BYTES
#define WMISUB_MAX_INPUT_BYTES (256u * 1024u * 1024u)
#endif

// Deepest nesting any recursive parser accepts (WQL parentheses, MOF embedded
// instances, JSON arrays).
#ifndef WMISUB_MAX_NESTING
#define WMISUB_MAX_NESTING 64
#endif

// Longest WMI object path accepted by parse_object_path.
#ifndef WMISUB_MAX_OBJECT_PATH_BYTES
#define WMISUB_MAX_OBJECT_PATH_BYTES (64u * 1024u)
#endif

// Most key bindings accepted in one object path.
#ifndef WMISUB_MAX_PATH_KEYS
#define WMISUB_MAX_PATH_KEYS 64
#endif

// Most elements accepted in one WMI array value.
#ifndef WMISUB_MAX_ARRAY_ELEMENTS
#define WMISUB_MAX_ARRAY_ELEMENTS (1u << 20)
#endif
