// libFuzzer harness for the JSON readers of wmisub/json.hpp: the bounded
// parser, wmisub snapshots and baselines (with and without their checksum),
// PowerShell and osquery detection and reading, and the baseline diff over
// whatever was read. Every reader must return a value or an error, never
// crash; what reads must write, and what was written must read back to the
// same text.
#include "wmisub/baseline.hpp"
#include "wmisub/json.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

// Aborts so libFuzzer records the input; assert() would vanish under NDEBUG.
void require(bool condition) {
    if (!condition) std::abort();
}

wmisub::json_read_options fuzz_options() {
    wmisub::json_read_options options;
    options.limits.max_bytes = 1u << 20;
    options.limits.max_values = 1u << 16;
    options.source_name = "fuzz.json";
    return options;
}

// A snapshot written and read back gives the same text again.
void check_snapshot_round_trip(const wmisub::snapshot& s) {
    const std::string first = wmisub::to_json_text(s);
    require(!first.empty());
    auto again = wmisub::snapshot_from_json_text(first);
    require(again.has_value());
    require(wmisub::to_json_text(*again) == first);
}

void check_baseline_round_trip(const wmisub::baseline& b) {
    const std::string first = wmisub::to_json_text(b);
    require(!first.empty());
    auto again = wmisub::baseline_from_json_text(first);
    require(again.has_value());
    require(wmisub::to_json_text(*again) == first);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const wmisub::json_read_options options = fuzz_options();

    // The parser alone: errors are located inside the input.
    auto doc = wmisub::parse_json(bytes, options.limits, options.source_name);
    if (!doc) {
        const wmisub::error& e = doc.error();
        require(e.location.offset == wmisub::source_location::npos || e.location.offset <= bytes.size());
    }

    // Any supported format, as the snapshot collector reads files.
    wmisub::json_input_summary summary;
    auto any = wmisub::read_json_snapshot(bytes, options, &summary);
    if (any) {
        // What was read from a foreign format writes as a wmisub snapshot and reads back.
        const std::string text = wmisub::to_json_text(*any);
        auto back = wmisub::snapshot_from_json_text(text);
        require(back.has_value());
        check_snapshot_round_trip(*back);
    }

    if (doc) {
        (void)wmisub::detect_json_format(*doc);
        // The wmisub readers, with the checksum taken away so mutations reach them.
        wmisub::json_value unsealed = *doc;
        if (unsealed.is_object()) unsealed.erase("checksum");
        auto snap = wmisub::from_json<wmisub::snapshot>(unsealed, options);
        wmisub::json_read_options strict = options;
        strict.strict = true;
        (void)wmisub::from_json<wmisub::snapshot>(unsealed, strict);
        wmisub::json_read_options lax = options;
        lax.require_checksum = false;
        auto base = wmisub::from_json<wmisub::baseline>(unsealed, lax);
        (void)wmisub::from_json<wmisub::value>(unsealed, options);
        (void)wmisub::from_json<wmisub::wmi_object>(unsealed, options);
        (void)wmisub::from_json<wmisub::provenance>(unsealed, options);
        (void)wmisub::from_json<wmisub::collection_error>(unsealed, options);
        (void)wmisub::verify_checksum(*doc, false);
        if (snap) {
            const std::string first = wmisub::to_json_text(*snap);
            auto again = wmisub::snapshot_from_json_text(first);
            require(again.has_value());
            check_snapshot_round_trip(*again);
        }
        if (base) {
            check_baseline_round_trip(*base);
            if (snap) {
                const wmisub::baseline_diff d = wmisub::diff(*base, *snap);
                require(!wmisub::to_json_text(d).empty());
            }
        }
    }
    return 0;
}
