// Tests for wmisub/datetime.hpp: DMTF datetimes and intervals.
#include "wmisub/datetime.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace wmisub;

TEST_CASE("DMTF timestamps parse, convert and print back") {
    auto d = parse_dmtf_datetime("20160707123000.000000+000");
    REQUIRE(d);
    CHECK_FALSE(d->is_interval);
    CHECK(d->year == 2016);
    CHECK(d->month == 7);
    CHECK(d->day == 7);
    CHECK(d->hour == 12);
    CHECK(d->minute == 30);
    CHECK(d->second == 0);
    CHECK(d->utc_offset_minutes == 0);
    CHECK(to_string(*d) == "20160707123000.000000+000");
    auto t = to_timestamp(*d);
    REQUIRE(t);
    CHECK(to_iso8601(*t) == "2016-07-07T12:30:00.000000Z");
    CHECK(t->time_since_epoch().count() == 1467894600LL * 1000000);
}

TEST_CASE("UTC offsets are minutes and move the instant") {
    auto d = parse_dmtf_datetime("20200101010000.500000-300");
    REQUIRE(d);
    CHECK(d->utc_offset_minutes == -300);
    CHECK(d->microsecond == 500000);
    CHECK(to_string(*d) == "20200101010000.500000-300");
    CHECK(to_iso8601(*to_timestamp(*d)) == "2020-01-01T06:00:00.500000Z");
}

TEST_CASE("DMTF intervals") {
    auto d = parse_dmtf_datetime("00000001020304.000005:000");
    REQUIRE(d);
    CHECK(d->is_interval);
    CHECK(d->days == 1);
    CHECK(d->hour == 2);
    CHECK(d->minute == 3);
    CHECK(d->second == 4);
    auto len = to_duration(*d);
    REQUIRE(len);
    CHECK(len->count() == (86400LL + 7200 + 180 + 4) * 1000000 + 5);
    CHECK(to_string(*d) == "00000001020304.000005:000");
    CHECK_FALSE(to_timestamp(*d));
}

TEST_CASE("wildcards are kept and round-trip") {
    auto d = parse_dmtf_datetime("********123000.000000+***");
    REQUIRE(d);
    CHECK(d->year == dmtf_datetime::wildcard);
    CHECK(d->day == dmtf_datetime::wildcard);
    CHECK(d->hour == 12);
    CHECK(d->has_utc_offset_wildcard);
    CHECK(to_string(*d) == "********123000.000000+***");
    CHECK_FALSE(to_timestamp(*d));

    auto partial = parse_dmtf_datetime("20010101000000.12****+060");
    REQUIRE(partial);
    CHECK(partial->microsecond == 120000);
    CHECK(partial->microsecond_digits == 2);
    CHECK(to_string(*partial) == "20010101000000.12****+060");
}

TEST_CASE("malformed DMTF text is rejected with the offset") {
    struct bad_case {
        const char* text;
        std::size_t offset;
    };
    const bad_case cases[] = {
        {"2016070712300.000000+000", 24},    // too short
        {"20160707123000,000000+000", 14},   // no dot
        {"2016x707123000.000000+000", 4},    // bad digit
        {"20161307123000.000000+000", 4},    // month 13
        {"20150229123000.000000+000", 6},    // not a leap year
        {"20160707253000.000000+000", 8},    // hour 25
        {"20160707123000.000000*000", 21},   // bad sign
        {"00000001020304.000000:001", 22},   // interval suffix
        {"20160707123000.1*3456+000", 17},   // digit after a microsecond wildcard
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        auto r = parse_dmtf_datetime(c.text);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::syntax_error);
        CHECK(r.error().location.offset == c.offset);
    }
    CHECK(parse_dmtf_datetime("20160229000000.000000+000"));  // leap day
    CHECK(parse_dmtf_datetime("2016**07123000.000000+000"));  // a whole-field wildcard month is legal
    auto half = parse_dmtf_datetime("2016*107123000.000000+000");
    REQUIRE_FALSE(half);
    CHECK(half.error().location.offset == 4);
}

TEST_CASE("FILETIME converts to UTC") {
    // 2016-07-07T12:30:00Z as FILETIME ticks.
    const std::uint64_t ticks = (1467894600ULL + 11644473600ULL) * 10000000ULL;
    CHECK(to_iso8601(from_filetime(ticks)) == "2016-07-07T12:30:00.000000Z");
    CHECK(to_string(to_dmtf(from_filetime(ticks))) == "20160707123000.000000+000");
}
