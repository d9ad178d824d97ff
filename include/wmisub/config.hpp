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

// Marks a parameter (or, after a member function's parameter list, the object)
// that the returned pointer or reference points into, so Clang warns when the
// result outlives it (a temporary, typically). Empty for other compilers.
#if defined(__clang__) && defined(__has_cpp_attribute)
#if __has_cpp_attribute(clang::lifetimebound)
#define WMISUB_LIFETIMEBOUND [[clang::lifetimebound]]
#endif
#endif
#ifndef WMISUB_LIFETIMEBOUND
#define WMISUB_LIFETIMEBOUND
#endif

// Contract checks (misuse of the API, never bad input). Defaults to assert().
#ifndef WMISUB_ASSERT
#include <cassert>
#define WMISUB_ASSERT(cond) assert(cond)
#endif

// Limits applied to attacker-controlled input. Every parser enforces them and
// reports an error with the location when one is exceeded. Each must be a plain
// decimal literal (an optional `u` suffix is allowed, no parentheses or
// arithmetic): a limit that differs from its default is pasted into the ABI tag.

// Largest single input (a MOF file, a JSON snapshot, an event log) in bytes.
#ifndef WMISUB_MAX_INPUT_BYTES
#define WMISUB_MAX_INPUT_BYTES 268435456u  // 256 MiB
#endif

// Deepest nesting any recursive parser accepts (WQL parentheses, MOF embedded
// instances, JSON arrays).
#ifndef WMISUB_MAX_NESTING
#define WMISUB_MAX_NESTING 64
#endif

// Longest WMI object path accepted by parse_object_path.
#ifndef WMISUB_MAX_OBJECT_PATH_BYTES
#define WMISUB_MAX_OBJECT_PATH_BYTES 65536u  // 64 KiB
#endif

// Most key bindings accepted in one object path.
#ifndef WMISUB_MAX_PATH_KEYS
#define WMISUB_MAX_PATH_KEYS 64
#endif

// Most elements accepted in one WMI array value.
#ifndef WMISUB_MAX_ARRAY_ELEMENTS
#define WMISUB_MAX_ARRAY_ELEMENTS 1048576u  // 2^20
#endif

// Header-only (the default) or compiled mode, as toml++ does it. With
// WMISUB_HEADER_ONLY=0 the headers declare the non-template code and define
// nothing of it; exactly one translation unit of the program defines
// WMISUB_IMPLEMENTATION before including <wmisub/wmisub.hpp> (and
// <wmisub/json.hpp> when it uses the JSON adapter) and so compiles every
// definition (CMake: the wmisub::wmisub_compiled target does this for you).
#ifndef WMISUB_HEADER_ONLY
#define WMISUB_HEADER_ONLY 1
#endif

// 1 where this translation unit compiles the definitions: always in header-only
// mode, only in the implementation unit in compiled mode. Headers include their
// impl/*.inl files under this switch.
#if WMISUB_HEADER_ONLY || defined(WMISUB_IMPLEMENTATION)
#define WMISUB_INCLUDE_IMPLEMENTATION 1
#else
#define WMISUB_INCLUDE_IMPLEMENTATION 0
#endif

// Linkage of every non-template function whose definition lives in an impl/*.inl
// file: inline in header-only mode (defined in every unit that includes it),
// external in compiled mode (defined once, in the implementation unit). Written
// on the declaration and on the definition.
#if WMISUB_HEADER_ONLY
#define WMISUB_API inline
#else
#define WMISUB_API
#endif

// Two copies of wmisub in one program must not share mangled names when they
// differ in version or in a setting that changes inline code, so everything
// lives in an inline namespace named after both (nlohmann/json's `_diag`
// pattern): v0_1 for the version, _ex/_noex for WMISUB_EXCEPTIONS, _ho/_lib for
// WMISUB_HEADER_ONLY, and _lim_<values> when any WMISUB_MAX_* limit is not its
// default. Parts built with different settings then fail to link instead of
// breaking silently. README.md ("Configuration") lists the settings.
#define WMISUB_DETAIL_PASTE2(a, b) a##b
#define WMISUB_DETAIL_PASTE(a, b) WMISUB_DETAIL_PASTE2(a, b)
#if WMISUB_EXCEPTIONS
#define WMISUB_DETAIL_ABI_EXCEPTIONS _ex
#else
#define WMISUB_DETAIL_ABI_EXCEPTIONS _noex
#endif
#if WMISUB_HEADER_ONLY
#define WMISUB_DETAIL_ABI_MODE _ho
#else
#define WMISUB_DETAIL_ABI_MODE _lib
#endif
#if WMISUB_MAX_INPUT_BYTES == 268435456 && WMISUB_MAX_NESTING == 64 && WMISUB_MAX_OBJECT_PATH_BYTES == 65536 &&         \
    WMISUB_MAX_PATH_KEYS == 64 && WMISUB_MAX_ARRAY_ELEMENTS == 1048576
#define WMISUB_DETAIL_ABI_LIMITS
#else
#define WMISUB_DETAIL_ABI_LIMITS                                                                                       \
    WMISUB_DETAIL_PASTE(                                                                                               \
        WMISUB_DETAIL_PASTE(                                                                                           \
            WMISUB_DETAIL_PASTE(                                                                                       \
                WMISUB_DETAIL_PASTE(WMISUB_DETAIL_PASTE(_lim_, WMISUB_MAX_INPUT_BYTES), _),                            \
                WMISUB_DETAIL_PASTE(WMISUB_DETAIL_PASTE(WMISUB_MAX_NESTING, _), WMISUB_MAX_OBJECT_PATH_BYTES)),        \
            WMISUB_DETAIL_PASTE(_, WMISUB_MAX_PATH_KEYS)),                                                             \
        WMISUB_DETAIL_PASTE(_, WMISUB_MAX_ARRAY_ELEMENTS))
#endif
#ifndef WMISUB_ABI_NAMESPACE
#define WMISUB_ABI_NAMESPACE                                                                                           \
    WMISUB_DETAIL_PASTE(WMISUB_DETAIL_PASTE(WMISUB_DETAIL_PASTE(v0_1, WMISUB_DETAIL_ABI_EXCEPTIONS), WMISUB_DETAIL_ABI_MODE), \
                        WMISUB_DETAIL_ABI_LIMITS)
#endif
#define WMISUB_NAMESPACE_BEGIN                                                                                         \
    namespace wmisub {                                                                                                 \
    inline namespace WMISUB_ABI_NAMESPACE {
#define WMISUB_NAMESPACE_END                                                                                           \
    }                                                                                                                  \
    }
