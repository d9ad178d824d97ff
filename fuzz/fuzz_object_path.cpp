// libFuzzer harness for wmisub/object_path.hpp: any accepted path must format,
// read back field for field, format identically again, and keep its identity.
#include "wmisub/object_path.hpp"

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

bool same_fields(const wmisub::object_path& a, const wmisub::object_path& b) {
    return a.server == b.server && a.namespace_path == b.namespace_path && a.class_name == b.class_name &&
           a.singleton == b.singleton && a.keys == b.keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = wmisub::parse_object_path(text);
    if (!parsed) {
        const auto offset = parsed.error().location.offset;
        require(offset <= size || offset == WMISUB_MAX_OBJECT_PATH_BYTES);
        return 0;
    }
    const wmisub::object_path& first = *parsed;
    const std::string formatted = wmisub::to_string(first);
    auto reparsed = wmisub::parse_object_path(formatted);
    require(reparsed.has_value());
    require(same_fields(first, *reparsed));
    require(wmisub::to_string(*reparsed) == formatted);
    require(first == *reparsed);
    const std::string key = wmisub::identity_key(first);
    require(key == wmisub::identity_key(*reparsed));
    if (!first.class_name.empty()) {
        // The identity key is a path in its own right, with the same identity.
        auto canonical = wmisub::parse_object_path(key);
        require(canonical.has_value());
        require(wmisub::identity_key(*canonical) == key);
        require(*canonical == first);
    }
    return 0;
}
