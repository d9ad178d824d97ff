// Tests for wmisub/sid.hpp: binary SIDs as CreatorSID stores them.
#include "wmisub/sid.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using namespace wmisub;

TEST_CASE("well-known creator SIDs render as S-1-...") {
    const std::vector<std::uint8_t> system{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0};
    const std::vector<std::uint8_t> admins{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0};
    CHECK(*format_sid(system) == "S-1-5-18");
    CHECK(*format_sid(admins) == "S-1-5-32-544");
    CHECK(describe_sid(*format_sid(admins)) == "BUILTIN\\Administrators");
}

TEST_CASE("domain user SIDs with large sub-authorities") {
    // S-1-5-21-137958040-743448014-139601478-500, the GRR fixture's creator.
    auto bytes = parse_sid("S-1-5-21-137958040-743448014-139601478-500");
    REQUIRE(bytes);
    CHECK(bytes->size() == 8 + 4 * 5);
    CHECK((*bytes)[1] == 5);
    CHECK((*bytes)[8] == 21);
    CHECK((*bytes)[bytes->size() - 4] == 0xF4);  // 500 little-endian
    CHECK((*bytes)[bytes->size() - 3] == 0x01);
    CHECK(*format_sid(*bytes) == "S-1-5-21-137958040-743448014-139601478-500");
    CHECK(*format_sid(*parse_sid("s-1-5-21-4294967295")) == "S-1-5-21-4294967295");
}

TEST_CASE("authorities above 2^32 print in hex") {
    const std::vector<std::uint8_t> big{1, 0, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC};
    CHECK(*format_sid(big) == "S-1-0x123456789ABC");
    CHECK(*parse_sid("S-1-0x123456789ABC") == big);
}

TEST_CASE("malformed SIDs are rejected with the offset") {
    const std::vector<std::uint8_t> truncated{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32};
    auto r = format_sid(truncated);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::unexpected_end);
    CHECK(r.error().location.offset == truncated.size());

    const std::vector<std::uint8_t> trailing{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0, 7};
    CHECK(format_sid(trailing).error().code == errc::syntax_error);
    const std::vector<std::uint8_t> revision{2, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0};
    CHECK(format_sid(revision).error().location.offset == 0);
    CHECK_FALSE(format_sid(std::vector<std::uint8_t>{}));

    CHECK(parse_sid("X-1-5").error().location.offset == 0);
    CHECK(parse_sid("S-1-5-").error().location.offset == 6);
    CHECK(parse_sid("S-1-5-4294967296").error().code == errc::syntax_error);
    CHECK(parse_sid("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16").error().code == errc::limit_exceeded);
    CHECK(parse_sid("S-1-5x").error().location.offset == 5);
}
