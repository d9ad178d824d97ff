// libFuzzer harness for wmisub/payload.hpp: command-line splitting and every
// analysis entry point must terminate quickly, never crash, keep their limits
// and produce evidence that points inside the text it names.
#include "wmisub/payload.hpp"

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

// Invariants every analysis result keeps.
void check(const wmisub::payload_analysis& r, const wmisub::payload_options& o, std::string_view root) {
    require(r.indicators.size() <= o.max_indicators);
    require(r.layers.size() <= o.max_layers);
    require(r.chain.size() <= o.max_stages);
    std::size_t decoded = 0;
    for (const auto& layer : r.layers) {
        require(layer.text.size() <= o.max_layer_bytes);
        require(wmisub::is_valid_utf8(layer.text));
        require(layer.depth >= 1 && layer.depth <= o.max_depth);
        decoded += layer.text.size();
    }
    require(decoded <= o.max_decoded_bytes);
    for (const auto& i : r.indicators) {
        require(i.excerpt.size() <= o.excerpt_bytes + 6);  // plus a U+2026 at each cut end (excerpt_at)
        require(!i.field.empty());
        require(wmisub::to_string(i.kind).size() > 0);
        require((r.capabilities.bits & wmisub::capabilities_of(i.kind).bits) == wmisub::capabilities_of(i.kind).bits);
        // Evidence in the analysed property points inside it.
        if (i.field == "CommandLineTemplate" || i.field == "ScriptText") require(i.offset <= root.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // argv splitting in both dialects: arguments come from inside the input, in order.
    for (const auto dialect : {wmisub::argv_dialect::msvcrt, wmisub::argv_dialect::shell32}) {
        const auto args = wmisub::tokenize_command_line(input, dialect);
        std::size_t last = 0;
        for (const auto& a : args) {
            require(a.offset + a.length <= input.size());
            require(a.offset >= last || a.offset == 0);
            require(a.value.size() <= a.length || a.offset == 0);
            last = a.offset;
        }
    }
    wmisub::payload_options o;
    o.max_sub_analyses = 256;  // keeps each run fast; the limits themselves are what is being tested
    // The first byte picks an engine and whether the rest is ExecutablePath + CommandLineTemplate.
    const std::uint8_t selector = size > 0 ? data[0] : 0;
    const std::string_view rest = size > 0 ? input.substr(1) : input;
    static constexpr std::string_view engines[] = {"VBScript", "JScript", "VBScript.Encode", "PerlScript"};
    check(wmisub::analyze_command_line(rest, {}, o), o, rest);
    check(wmisub::analyze_powershell(rest, o), o, rest);
    check(wmisub::analyze_script(rest, engines[selector % 4], o), o, rest);
    if ((selector & 0x10u) != 0) {
        const std::size_t split = rest.find('\n');
        if (split != std::string_view::npos) {
            check(wmisub::analyze_command_line(rest.substr(split + 1), rest.substr(0, split), o), o, rest.substr(split + 1));
        }
    }
    (void)wmisub::normalize_path(rest.substr(0, 4096));
    (void)wmisub::expand_environment(rest.substr(0, 4096));
    return 0;
}
