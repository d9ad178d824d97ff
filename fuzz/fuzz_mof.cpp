// libFuzzer harness for wmisub/mof.hpp (the MOF front end, with includes
// served from memory) and the WMI-Activity 5861 PossibleCause parser of
// wmisub/sources/mof.hpp. Besides "no crash, no hang, no leak", it checks:
// errors in the input point inside the decoded input; every instance can be
// typed into a snapshot; and an instance whose values are plain strings,
// written back as MOF, parses to the same properties.
#include "wmisub/mof.hpp"
#include "wmisub/sources/mof.hpp"

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

// True when every property is a string scalar that to_mof writes back verbatim.
bool plain_strings(const wmisub::instance& in) {
    for (const wmisub::property& p : in.properties) {
        const std::string* s = p.value.as_string();
        if (s == nullptr || p.value.type() != wmisub::cim_type::string) return false;
        for (const char c : *s) {
            const auto b = static_cast<unsigned char>(c);
            if (b < 0x20 && c != '\n' && c != '\r' && c != '\t') return false;  // raw controls read as binary input
        }
    }
    return true;
}

// Writes an instance back as MOF and checks it reads back the same.
void check_round_trip(const wmisub::mof_instance& mi) {
    const wmisub::instance& in = mi.object;
    if (!plain_strings(in) || in.properties.empty()) return;
    std::string text = "instance of " + in.class_name + " {\n";
    for (const wmisub::property& p : in.properties) text += p.name + " = " + wmisub::to_mof(p.value) + ";\n";
    text += "};\n";
    wmisub::mof_options options;
    options.default_namespace = in.namespace_path.empty() ? std::string("root\\default") : "\\" + in.namespace_path;
    const wmisub::mof_document again = wmisub::parse_mof(text, options);
    require(again.instances.size() == 1);
    const wmisub::instance& back = again.instances[0].object;
    require(back.properties.size() == in.properties.size());
    for (std::size_t i = 0; i < in.properties.size(); ++i) {
        require(wmisub::iequals(back.properties[i].name, in.properties[i].name));
        const std::string* a = back.properties[i].value.as_string();
        require(a != nullptr && *a == *in.properties[i].value.as_string());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    wmisub::mof_options options;
    options.source_name = "fuzz.mof";
    options.max_errors = 100;
    options.max_includes = 32;  // includes of the input itself branch: keep each run quick
    // Includes read the input itself (cycles, depth) or one small fixed file.
    options.include_reader = [text](const std::string& path) -> wmisub::result<std::string> {
        if (path.find("self") != std::string::npos) return std::string(text);
        if (path.find("missing") != std::string::npos)
            return wmisub::make_error(wmisub::errc::not_found, "no such file");
        return std::string(
            "#pragma namespace(\"\\\\\\\\.\\\\root\\\\inc\")\ninstance of __EventFilter as $I { Name = \"inc\"; };");
    };
    const wmisub::mof_document doc = wmisub::parse_mof(text, options);
    require(doc.errors.size() <= options.max_errors + 1);  // the limit, then one error saying so

    const std::size_t decoded = wmisub::decode_text(text).utf8.size();
    for (const wmisub::error& e : doc.errors) {
        if (e.location.source != "fuzz.mof" || e.location.offset == wmisub::source_location::npos) continue;
        require(e.location.offset <= decoded);
        require(e.location.line >= 1 || e.location.offset == 0);
    }
    for (const wmisub::mof_instance& mi : doc.instances) {
        require(!mi.object.class_name.empty());
        require(mi.object.origin.kind == wmisub::source_kind::mof);
        if (mi.complete) check_round_trip(mi);
    }
    const wmisub::snapshot snap = wmisub::to_snapshot(doc);
    require(snap.object_count() + snap.other_objects.size() == doc.instances.size());

    auto cause = wmisub::parse_5861_possible_cause(text, wmisub::provenance{}, "//./ROOT/Subscription");
    if (cause) {
        require(wmisub::iequals(cause->filter.class_name, "__EventFilter"));
        require(cause->binding.get("Filter") != nullptr);
        const wmisub::snapshot events = wmisub::to_snapshot(*cause);
        require(events.filters.size() + events.other_objects.size() >= 1);
    }
    return 0;
}
