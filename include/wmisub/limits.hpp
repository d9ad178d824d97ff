// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Every runtime bound of wmisub in one struct: what one input, one collection,
// one payload analysis, one scan and one report may cost. Collectors take it
// in collect_options, engines in their constructor; the parsers underneath
// are given the tighter of their own options and these. The WMISUB_MAX_*
// macros (config.hpp) are only the compile-time defaults of some fields.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/result.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

WMISUB_NAMESPACE_BEGIN

// Limits on the work one payload analysis does. The defaults suit agents; raise them for forensics.
struct payload_options {
    std::size_t max_depth = 8;                 // nested tools and decoding steps followed
    std::size_t max_decoded_bytes = 4u << 20;  // all decoded layers together
    std::size_t max_layer_bytes = 1u << 20;    // one decoded layer
    std::size_t max_layers = 32;               // decoded layers kept
    std::size_t max_indicators = 512;          // indicators kept
    std::size_t max_indicators_per_kind = 32;  // indicators of one kind kept
    std::size_t max_stages = 256;              // chain stages kept
    std::size_t max_sub_analyses = 1024;       // nested command lines and scripts analysed
    std::size_t excerpt_bytes = 200;           // longest excerpt, detail and stage command
};

// Bounds of everything wmisub does, runtime-configurable. Each bound that is
// reached gives an error or a warning with its location, and the work done
// before is kept, marked partial: a limit never turns a result into nothing.
struct limits {
    // --- one input (a file, a document, an event) ---
    std::size_t max_input_bytes = WMISUB_MAX_INPUT_BYTES;        // bytes of one input, after decoding
    std::size_t max_nesting = WMISUB_MAX_NESTING;                // nesting of any recursive structure
    std::size_t max_array_elements = WMISUB_MAX_ARRAY_ELEMENTS;  // elements of one array value

    // --- one collection (collect_options::limits) ---
    std::size_t max_total_input_bytes = std::size_t{4} << 30;  // bytes of all inputs of one collection together
    std::size_t max_files = 100000;                            // files one collection reads
    std::size_t max_objects = 10000000;                        // objects one collection keeps
    std::size_t max_errors = 100000;                           // errors listed; the rest are counted in one more

    // --- analysis ---
    payload_options payload;  // each consumer's payload analysis

    // --- one scan (engine) ---
    std::size_t max_entries = 1u << 20;    // graph entries assessed per scan; the rest: partial (entry_limit)
    std::size_t max_findings = 64;         // findings kept per assessment, most severe first
    std::size_t max_evidence_bytes = 512;  // excerpt and detail text kept per evidence (UTF-8 safe); the full
                                           // text stays in the snapshot and in the facts' payload analysis

    // --- output ---
    std::size_t max_report_text_bytes = 65536;  // longest string a streamed report writes (report_writer)
};

// What stops long work early from outside: the caller's cancel flag (owned by
// the caller, read relaxed) and a deadline. Readers look at it between chunks
// of input, parsers every few thousand values, payload analysis between passes
// and every MiB inside them. Threads: a copy per thread; the flag may be raised
// from any thread.
struct stop_signal {
    const std::atomic<bool>* cancel = nullptr;
    std::optional<std::chrono::steady_clock::time_point> deadline;

    // True when nothing can stop the work (no flag, no deadline): callers skip the checks.
    [[nodiscard]] bool empty() const noexcept { return cancel == nullptr && !deadline; }
    // True once the flag is raised or the deadline has passed (reads the clock when a deadline is set).
    [[nodiscard]] bool raised() const noexcept {
        return (cancel != nullptr && cancel->load(std::memory_order_relaxed)) ||
               (deadline && std::chrono::steady_clock::now() >= *deadline);
    }
    // errc::cancelled or errc::timeout, naming `what` was stopped; nullopt while the work may go on.
    [[nodiscard]] std::optional<error> why(std::string_view what) const {
        if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
            return make_error(errc::cancelled, std::string(what) + " cancelled");
        }
        if (deadline && std::chrono::steady_clock::now() >= *deadline) {
            return make_error(errc::timeout, std::string(what) + " deadline passed");
        }
        return std::nullopt;
    }
};

WMISUB_NAMESPACE_END
