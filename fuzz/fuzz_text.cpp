// libFuzzer harness for wmisub/text.hpp: every conversion must terminate,
// produce well-formed output and keep the invariants the rest of wmisub
// relies on (iequals => equal ihash, folding idempotent, base64 round trips).
#include "wmisub/text.hpp"

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

// Base64: whatever decodes must re-encode and decode to the same bytes, and
// encoding arbitrary bytes must always decode back.
void check_base64(std::string_view data) {
    const auto decoded = wmisub::base64_decode(data);
    if (decoded) {
        const auto again = wmisub::base64_decode(wmisub::base64_encode(*decoded));
        require(again.has_value() && *again == *decoded);
    } else {
        require(decoded.error().location.offset <= data.size());
    }
    const auto round = wmisub::base64_decode(wmisub::base64_encode(data));
    require(round.has_value() && *round == data);
}

// UTF conversions: output is always valid UTF-8 and valid input survives a round trip.
void check_utf(std::string_view data) {
    const std::string via16 = wmisub::utf16_to_utf8(wmisub::utf8_to_utf16(data));
    require(wmisub::is_valid_utf8(via16));
    if (wmisub::is_valid_utf8(data)) require(via16 == data);
    require(wmisub::utf16_to_utf8(wmisub::utf8_to_utf16(via16)) == via16);
    require(wmisub::utf16le_to_utf8(wmisub::utf8_to_utf16le_bytes(via16)) == via16);
    require(wmisub::is_valid_utf8(wmisub::utf16le_to_utf8(data)));
    require(wmisub::is_valid_utf8(wmisub::utf16be_to_utf8(data)));
    const wmisub::decoded_text text = wmisub::decode_text(data);
    require(wmisub::is_valid_utf8(text.utf8));
}

// Case-insensitive helpers must agree with each other on any pair of strings.
void check_case(std::string_view a, std::string_view b) {
    const bool equal = wmisub::iequals(a, b);
    if (equal) require(wmisub::ihash(a) == wmisub::ihash(b));
    const std::string fa = wmisub::fold_case(a);
    const std::string fb = wmisub::fold_case(b);
    require(equal == (fa == fb));
    require(wmisub::fold_case(fa) == fa);
    require(wmisub::iequals(a, fa));
    require(wmisub::ihash(a) == wmisub::ihash(fa));
    const bool less = wmisub::iless{}(a, b);
    const bool greater = wmisub::iless{}(b, a);
    require(!(less && greater));
    require(equal == (!less && !greater));
    require(wmisub::istarts_with(a, a) && wmisub::iends_with(a, a));
    require(wmisub::istarts_with(a, "") && wmisub::iends_with(a, ""));
    if (wmisub::istarts_with(a, b) && wmisub::iends_with(b, a)) require(equal);
    const std::size_t at = wmisub::ifind(a, b);
    if (at != std::string_view::npos) {
        require(at + b.size() <= a.size());
        for (std::size_t i = 0; i < b.size(); ++i) require(wmisub::ascii_lower(a[at + i]) == wmisub::ascii_lower(b[i]));
    }
    const std::string_view t = wmisub::trim(a);
    require(t.size() <= a.size());
}

// Incremental hashing in two pieces must match one-shot hashing.
void check_hashes(std::string_view a, std::string_view b, std::string_view whole) {
    wmisub::sha256 s;
    s.update(a);
    s.update(b);
    require(s.finish() == wmisub::sha256_of(whole));
    wmisub::md5 m;
    m.update(a);
    m.update(b);
    require(m.finish() == wmisub::md5_of(whole));
    require(wmisub::to_hex(wmisub::sha256_of(whole)).size() == 64);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_base64(input);
    check_utf(input);
    // The first byte picks where to split the rest into two strings to compare.
    const std::string_view rest = input.empty() ? input : input.substr(1);
    const std::size_t split = input.empty() ? 0 : static_cast<std::uint8_t>(input[0]) % (rest.size() + 1);
    const std::string_view a = rest.substr(0, split);
    const std::string_view b = rest.substr(split);
    check_case(a, b);
    check_case(b, a);
    check_case(a, a);
    check_hashes(a, b, rest);
    return 0;
}
