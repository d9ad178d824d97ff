// Tests for wmisub/value.hpp: CIM values of every type.
#include "wmisub/value.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace wmisub;

TEST_CASE("scalars keep their CIM type and payload") {
    CHECK(value{}.is_null());
    CHECK(value::null(cim_type::uint32).type() == cim_type::uint32);
    CHECK(value::null(cim_type::uint32).is_null());

    CHECK(*value::boolean(true).as_bool());
    CHECK_FALSE(value::boolean(true).as_int());

    const value small = value::sint(-5, cim_type::sint8);
    CHECK(small.type() == cim_type::sint8);
    CHECK(*small.as_int() == -5);
    CHECK_FALSE(small.as_uint());

    const value big = value::uint(18446744073709551615ULL);
    CHECK(*big.as_uint() == 18446744073709551615ULL);
    CHECK_FALSE(big.as_int());  // does not fit int64

    CHECK(*value::real(1.5).as_real() == doctest::Approx(1.5));
    CHECK(*value::uint(3, cim_type::uint16).as_real() == doctest::Approx(3.0));
    CHECK(*value::string("x").as_string() == "x");
    CHECK(*value::char16(u'Z').as_uint() == 'Z');
    CHECK(value::char16(u'Z').type() == cim_type::char16);

    const value ref = value::reference("__EventFilter.Name=\"F\"");
    CHECK(ref.type() == cim_type::reference);
    CHECK(*ref.as_string() == "__EventFilter.Name=\"F\"");

    auto when = parse_dmtf_datetime("20160707123000.000000+000");
    REQUIRE(when);
    CHECK(value::datetime(*when).as_datetime()->year == 2016);
}

TEST_CASE("arrays of each type") {
    const std::vector<std::uint8_t> sid{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0};
    const value bytes = value::bytes(sid);
    CHECK(bytes.is_array());
    CHECK(bytes.type() == cim_type::uint8);
    CHECK(*bytes.as_bytes() == sid);
    CHECK_FALSE(bytes.as_uint());

    const value words = value::array(cim_type::uint16, {value::uint(300, cim_type::uint16)});
    CHECK_FALSE(words.as_bytes());  // 300 does not fit a byte

    const value names = value::strings({"a", "b"});
    CHECK(names.as_array()->size() == 2);
    CHECK(*names.as_strings() == std::vector<std::string>{"a", "b"});
    CHECK(to_display(names) == "(a,b)");
    CHECK(to_mof(names) == "{\"a\", \"b\"}");
    CHECK(to_mof(value::array(cim_type::string, {})) == "{}");
}

TEST_CASE("embedded objects") {
    embedded_object o;
    o.class_name = "Win32_Process";
    o.properties.push_back({"Name", value::string("procexp64.exe")});
    o.properties.push_back({"ProcessId", value::uint(4, cim_type::uint32)});
    const value v = value::object(o);
    REQUIRE(v.as_object() != nullptr);
    CHECK(v.as_object()->find("name")->value == value::string("procexp64.exe"));
    CHECK(to_mof(v) == "instance of Win32_Process { Name = \"procexp64.exe\"; ProcessId = 4; }");
    const value copy = v;
    CHECK(copy == v);
    embedded_object other = o;
    other.properties[1].value = value::uint(5, cim_type::uint32);
    CHECK_FALSE(value::object(other) == v);
}

TEST_CASE("equality needs the same type, shape and payload") {
    CHECK(value::string("a") == value::string("a"));
    CHECK_FALSE(value::string("a") == value::string("A"));
    CHECK_FALSE(value::string("a") == value::reference("a"));
    CHECK_FALSE(value::uint(1, cim_type::uint8) == value::uint(1, cim_type::uint32));
    CHECK_FALSE(value::uint(1, cim_type::uint8) == value::array(cim_type::uint8, {value::uint(1, cim_type::uint8)}));
}

TEST_CASE("MOF rendering escapes strings") {
    CHECK(to_mof(value::string("say \"hi\"\\n")) == "\"say \\\"hi\\\"\\\\n\"");
    CHECK(to_mof(value::boolean(false)) == "FALSE");
    CHECK(to_mof(value{}) == "NULL");
    CHECK(to_mof(value::sint(-3, cim_type::sint32)) == "-3");
    CHECK(to_mof(value::real(0.25)) == "0.25");
    CHECK(to_display(value::string("plain")) == "plain");
}

TEST_CASE("CIM type names") {
    CHECK(to_string(cim_type::uint32) == "uint32");
    CHECK(to_string(cim_type::reference) == "ref");
    CHECK(*cim_type_from_name("UINT8") == cim_type::uint8);
    CHECK(*cim_type_from_name("Reference") == cim_type::reference);
    CHECK(*cim_type_from_name("DateTime") == cim_type::datetime);
    CHECK_FALSE(cim_type_from_name("int"));
    CHECK(range_of(cim_type::sint8).min == -128);
    CHECK(range_of(cim_type::uint32).max == 4294967295u);
}
