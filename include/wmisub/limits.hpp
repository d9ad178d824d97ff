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

#include <cstddef>

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

WMISUB_NAMESPACE_END
