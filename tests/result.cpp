// Tests for wmisub/result.hpp: result<T>, result<void>, error and locations.
#include "wmisub/result.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

using namespace wmisub;

namespace {

result<int> parse_digit(char c) {
    if (c < '0' || c > '9') return make_error(errc::syntax_error, "not a digit", 7);
    return c - '0';
}

}  // namespace

TEST_CASE("result holds a value or an error") {
    auto ok = parse_digit('4');
    REQUIRE(ok);
    CHECK(ok.has_value());
    CHECK(*ok == 4);
    CHECK(ok.value_or(9) == 4);

    auto bad = parse_digit('x');
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == errc::syntax_error);
    CHECK(bad.error().message == "not a digit");
    CHECK(bad.error().location.offset == 7);
    CHECK(bad.value_or(9) == 9);
}

TEST_CASE("and_then and transform pass errors through") {
    auto doubled = parse_digit('3').transform([](int v) { return v * 2; });
    REQUIRE(doubled);
    CHECK(*doubled == 6);

    auto chained = parse_digit('3').and_then([](int v) -> result<std::string> { return std::string(static_cast<std::size_t>(v), '*'); });
    REQUIRE(chained);
    CHECK(*chained == "***");

    auto failed = parse_digit('?').transform([](int v) { return v * 2; });
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == errc::syntax_error);
}

TEST_CASE("result works with move-only values") {
    result<std::unique_ptr<int>> r(std::in_place, std::make_unique<int>(5));
    REQUIRE(r);
    std::unique_ptr<int> owned = std::move(r).value();
    CHECK(*owned == 5);
}

TEST_CASE("result<void> reports success or failure") {
    result<void> ok;
    CHECK(ok);
    result<void> bad = make_error(errc::io_error, "disk gone");
    CHECK_FALSE(bad);
    CHECK(bad.error().code == errc::io_error);
}

TEST_CASE("errors render with their location") {
    error e = make_error(errc::syntax_error, "expected '='", source_location{"persist.mof", 3, 14, 120});
    CHECK(e.to_string() == "persist.mof:3:14: syntax_error: expected '='");
    CHECK(make_error(errc::limit_exceeded, "too deep", 42).to_string() == "@42: limit_exceeded: too deep");
    CHECK(make_error(errc::internal, "").to_string() == "internal");
    source_location unknown;
    CHECK_FALSE(unknown.known());
    CHECK(to_string(errc::missing_field) == "missing_field");
    CHECK(to_string(errc::corrupt_data) == "corrupt_data");
}
