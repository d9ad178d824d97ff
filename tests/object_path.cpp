// Tests for wmisub/object_path.hpp: every form of the grammar, escapes,
// identity of differently spelled references, round trips, errors and limits.
#include <doctest/doctest.h>

#include "wmisub/object_path.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

using namespace std::string_literals;
using wmisub::key_value_kind;
using wmisub::object_path;
using wmisub::parse_object_path;

namespace {

// Parses text that the test expects to be valid.
object_path must_parse(std::string_view text) {
    auto parsed = parse_object_path(text);
    INFO("input: " << std::string(text));
    INFO("error: " << (parsed ? std::string() : parsed.error().to_string()));
    REQUIRE(parsed.has_value());
    return *parsed;
}

// Field-by-field equality, stricter than identity.
bool same_fields(const object_path& a, const object_path& b) {
    return a.server == b.server && a.namespace_path == b.namespace_path && a.class_name == b.class_name &&
           a.singleton == b.singleton && a.keys == b.keys;
}

// Checks that text is rejected with code at offset.
void check_rejected(std::string_view text, std::size_t offset, wmisub::errc code = wmisub::errc::syntax_error) {
    auto parsed = parse_object_path(text);
    INFO("input: " << std::string(text));
    REQUIRE_FALSE(parsed.has_value());
    INFO("error: " << parsed.error().to_string());
    CHECK(parsed.error().code == code);
    CHECK(parsed.error().location.offset == offset);
    CHECK_FALSE(parsed.error().message.empty());
}

// Wraps inner as the string value of a one-key reference, one nesting level deeper.
std::string wrap_reference(const std::string& inner) { return "C.R=" + wmisub::quote_key_value(inner); }

}  // namespace

TEST_CASE("object_path: full path with server and namespace") {
    const object_path p = must_parse(R"(\\.\root\subscription:__EventFilter.Name="F")");
    CHECK(p.server == ".");
    CHECK(p.namespace_path == R"(root\subscription)");
    CHECK(p.class_name == "__EventFilter");
    CHECK_FALSE(p.singleton);
    REQUIRE(p.keys.size() == 1);
    CHECK(p.keys[0].name == "Name");
    CHECK(p.keys[0].kind == key_value_kind::string);
    CHECK(p.keys[0].value == "F");
    CHECK(p.is_local());
    CHECK_FALSE(p.is_relative());
}

TEST_CASE("object_path: slash directions and case are kept apart from separators") {
    const object_path fwd = must_parse(R"(//./root/subscription:X.Name="a")");
    CHECK(fwd.server == ".");
    CHECK(fwd.namespace_path == R"(root\subscription)");
    const object_path upper = must_parse(R"(\\.\ROOT\Subscription:X.Name="a")");
    CHECK(upper.namespace_path == R"(ROOT\Subscription)");
    const object_path mixed = must_parse(R"(\/SRV01/root\cimv2/sub:X.Name="a")");
    CHECK(mixed.server == "SRV01");
    CHECK(mixed.namespace_path == R"(root\cimv2\sub)");
    CHECK_FALSE(mixed.is_local());
    CHECK(must_parse(R"(\\LocalHost\root:X)").is_local());
    CHECK(must_parse(R"(\\10.0.0.5\root:X)").server == "10.0.0.5");
}

TEST_CASE("object_path: namespace without server, class only, namespace only") {
    const object_path ns = must_parse(R"(root\subscription:Class.Name="x")");
    CHECK(ns.server.empty());
    CHECK(ns.namespace_path == R"(root\subscription)");
    CHECK(ns.class_name == "Class");
    CHECK(must_parse("root:Class").namespace_path == "root");
    CHECK(must_parse(R"(\root\cimv2:Class)").namespace_path == R"(root\cimv2)");

    const object_path cls = must_parse("__EventFilter");
    CHECK(cls.class_name == "__EventFilter");
    CHECK(cls.namespace_path.empty());
    CHECK(cls.keys.empty());
    CHECK(cls.is_relative());

    const object_path nsonly = must_parse(R"(\\.\root\cimv2)");
    CHECK(nsonly.server == ".");
    CHECK(nsonly.namespace_path == R"(root\cimv2)");
    CHECK(nsonly.class_name.empty());
    CHECK(must_parse(R"(root\cimv2)").class_name.empty());
    CHECK(must_parse("//./root").namespace_path == "root");
    CHECK(must_parse(R"(\root)").namespace_path == "root");
}

TEST_CASE("object_path: singleton and single-key shorthand") {
    const object_path s = must_parse("__WindowsSecurity=@");
    CHECK(s.singleton);
    CHECK(s.keys.empty());
    CHECK(must_parse(" Cls = @ ").singleton);

    const object_path c = must_parse(R"(CommandLineEventConsumer="Updater")");
    REQUIRE(c.keys.size() == 1);
    CHECK(c.keys[0].name.empty());
    CHECK(c.keys[0].value == "Updater");
    REQUIRE(c.find_key("Name") != nullptr);
    CHECK(c.find_key("Name")->value == "Updater");
    CHECK(must_parse("Cls=42").keys[0].kind == key_value_kind::integer);
}

TEST_CASE("object_path: value kinds") {
    const object_path p =
        must_parse(R"(C.s="str",q='single',i=42,n=-17,h=0x1F,x=0XfF,z=-0,t=true,f=FaLsE,big=18446744073709551615)");
    REQUIRE(p.keys.size() == 10);
    CHECK(p.keys[0].value == "str");
    CHECK(p.keys[1].value == "single");
    CHECK(p.keys[1].kind == key_value_kind::string);
    CHECK(p.keys[2].kind == key_value_kind::integer);
    CHECK(p.keys[2].value == "42");
    CHECK(p.keys[3].value == "-17");
    CHECK(p.keys[4].value == "31");
    CHECK(p.keys[5].value == "255");
    CHECK(p.keys[6].value == "0");
    CHECK(p.keys[7].kind == key_value_kind::boolean);
    CHECK(p.keys[7].value == "TRUE");
    CHECK(p.keys[8].value == "FALSE");
    CHECK(p.keys[9].value == "18446744073709551615");
    CHECK(must_parse("C.K=-9223372036854775808").keys[0].value == "-9223372036854775808");
    CHECK(must_parse("C.K=0xFFFFFFFFFFFFFFFF").keys[0].value == "18446744073709551615");
    CHECK(must_parse("C.K=007").keys[0].value == "7");
}

TEST_CASE("object_path: escapes and special characters in quoted values") {
    CHECK(must_parse(R"(C.K="a\"b\\c")").keys[0].value == R"(a"b\c)");
    CHECK(must_parse(R"(C.K="C:\Windows\x.exe")").keys[0].value == R"(C:\Windows\x.exe)");
    CHECK(must_parse(R"(C.K="tab\tnewline\n")").keys[0].value == R"(tab\tnewline\n)");
    CHECK(must_parse(R"(C.K="it\'s")").keys[0].value == "it's");
    CHECK(must_parse(R"(C.K='it\'s')").keys[0].value == "it's");
    CHECK(must_parse(R"(C.K='say "hi"')").keys[0].value == R"(say "hi")");
    CHECK(must_parse(R"(C.K="%20x%2F")").keys[0].value == "%20x%2F");
    CHECK(must_parse(R"(C.K="a.b,c:d=e@f\\g/h'")").keys[0].value == R"(a.b,c:d=e@f\g/h')");
    const object_path p = must_parse(R"(root\x:C.A="x,B=1",B="y.Z=\"2\"")");
    REQUIRE(p.keys.size() == 2);
    CHECK(p.keys[0].value == "x,B=1");
    CHECK(p.keys[1].value == R"(y.Z="2")");
    CHECK(must_parse(R"(C.K="")").keys[0].value.empty());
}

TEST_CASE("object_path: binding with nested reference values") {
    const object_path b = must_parse(
        R"(__FilterToConsumerBinding.Consumer="CommandLineEventConsumer.Name=\"x\"",Filter="__EventFilter.Name=\"y\"")");
    CHECK(b.class_name == "__FilterToConsumerBinding");
    REQUIRE(b.find_key("consumer") != nullptr);
    CHECK(b.find_key("consumer")->value == R"(CommandLineEventConsumer.Name="x")");
    REQUIRE(b.find_key("FILTER") != nullptr);
    const object_path filter = must_parse(b.find_key("FILTER")->value);
    CHECK(filter.class_name == "__EventFilter");
    CHECK(filter.find_key("Name")->value == "y");
    CHECK(b.find_key("Other") == nullptr);
}

TEST_CASE("object_path: whitespace around punctuation is tolerated and forgotten") {
    const object_path loose = must_parse(" \t\\\\.\\root\\subscription : __EventFilter . Name = \"F\" , N = 1 \r\n");
    const object_path tight = must_parse(R"(\\.\root\subscription:__EventFilter.Name="F",N=1)");
    CHECK(same_fields(loose, tight));
    CHECK(must_parse(R"(C.K=" spaced ")").keys[0].value == " spaced ");
}

TEST_CASE("object_path: filter references resolve to one identity") {
    const object_path canonical = must_parse(R"(\\.\root\subscription:__EventFilter.Name="F")");
    const std::vector<object_path> same = {
        must_parse(R"(//./ROOT/Subscription:__eventfilter.name='F')"),
        wmisub::resolve_relative(must_parse(R"(__EventFilter="F")"), R"(root\subscription)"),
        wmisub::resolve_relative(must_parse(R"(__EventFilter.Name="f")"), "ROOT/Subscription/"),
        must_parse(R"(root\subscription:__EventFilter="F")"),
        must_parse(R"(\\localhost\root\subscription:__EventFilter.Name="F")"),
        must_parse(R"(\ROOT\SUBSCRIPTION:__EVENTFILTER="f")"),
        must_parse(R"( \\.\root\subscription : __EventFilter . Name = "F" )"),
    };
    for (const object_path& p : same) {
        INFO(wmisub::to_string(p));
        CHECK(p == canonical);
        CHECK(wmisub::identity_key(p) == wmisub::identity_key(canonical));
    }
    const std::vector<object_path> different = {
        must_parse(R"(__EventFilter="F")"),  // relative: not resolved yet
        must_parse(R"(\\OTHER\root\subscription:__EventFilter.Name="F")"),
        must_parse(R"(\\.\root\default:__EventFilter.Name="F")"),
        must_parse(R"(\\.\root\subscription:__EventFilter.Name="G")"),
        must_parse(R"(\\.\root\subscription:__EventFilter.Name=" F")"),
        must_parse(R"(\\.\root\subscription:CommandLineEventConsumer.Name="F")"),
        must_parse(R"(\\.\root\subscription:__EventFilter)"),
        must_parse(R"(\\.\root\subscription)"),
    };
    for (const object_path& p : different) {
        INFO(wmisub::to_string(p));
        CHECK_FALSE(p == canonical);
        CHECK(wmisub::identity_key(p) != wmisub::identity_key(canonical));
    }
    CHECK(wmisub::resolve_relative(canonical, "root\\default") == canonical);
}

TEST_CASE("object_path: identity rules") {
    CHECK(must_parse(R"(C.a=1,b="x")") == must_parse(R"(c.B="X",A=1)"));
    CHECK(must_parse("C.K=0x1F") == must_parse("C.K=31"));
    CHECK(must_parse("C.K=-0") == must_parse("C.K=0"));
    CHECK(must_parse("C.K=true") == must_parse("C.K=TRUE"));
    CHECK_FALSE(must_parse("C.K=1") == must_parse(R"(C.K="1")"));
    CHECK_FALSE(must_parse("C.K=TRUE") == must_parse(R"(C.K="TRUE")"));
    CHECK_FALSE(must_parse("C.K=1") == must_parse("C.K=2"));
    CHECK_FALSE(must_parse("C.a=1,b=2") == must_parse("C.a=1"));
    CHECK(must_parse(R"(C.K="ÉCOLE")") == must_parse(R"(C.K="école")"));
    CHECK(must_parse(R"(\\SRV\root\x:C.K=1)") == must_parse(R"(//srv/ROOT/X:c.k=1)"));
    CHECK_FALSE(must_parse(R"(\\SRV\root\x:C.K=1)") == must_parse(R"(\\.\root\x:C.K=1)"));
    CHECK(must_parse("C=@") == must_parse("c = @"));
    CHECK_FALSE(must_parse("C=@") == must_parse("C"));
    CHECK(must_parse(R"(\\.\root\cimv2)") == must_parse("root/CIMV2"));
    CHECK_FALSE(must_parse(R"(\root)") == must_parse("root"));  // a namespace is not a class
    CHECK(object_path{} == object_path{});
    CHECK_FALSE(object_path{} == must_parse("C"));
}

TEST_CASE("object_path: bindings compare their references as paths") {
    const object_path a = must_parse(
        R"(\\.\root\subscription:__FilterToConsumerBinding.Consumer="CommandLineEventConsumer.Name=\"x\"",Filter="__EventFilter.Name=\"y\"")");
    const object_path b = must_parse(
        R"(root/Subscription:__filtertoconsumerbinding.Filter="\\\\.\\ROOT\\subscription:__EventFilter=\"Y\"",Consumer='CommandLineEventConsumer="X"')");
    CHECK(a == b);
    CHECK(wmisub::identity_key(a) == wmisub::identity_key(b));
    const object_path relative = must_parse(
        R"(__FilterToConsumerBinding.Filter='__EventFilter.Name="y"',Consumer='CommandLineEventConsumer.Name="x"')");
    CHECK_FALSE(relative == a);
    CHECK(wmisub::resolve_relative(relative, R"(root\subscription)") == a);
    const object_path other = must_parse(
        R"(\\.\root\subscription:__FilterToConsumerBinding.Consumer="CommandLineEventConsumer.Name=\"x\"",Filter="__EventFilter.Name=\"z\"")");
    CHECK_FALSE(other == a);
    // Nested keys keep their order-insensitivity and integer normalisation.
    CHECK(must_parse(R"(B.R="C.a=0x10,b='q'")") == must_parse(R"(B.R='C.b="Q",a=16')"));
}

TEST_CASE("object_path: identity_key agrees with operator==") {
    const std::vector<std::string> inputs = {
        R"(\\.\root\subscription:__EventFilter.Name="F")", R"(__EventFilter="F")", R"(root:C.K=1)",
        R"(root:C.K="1")", R"(C.a=1,b=2)", R"(c.B=2,A=1)", R"(C=@)", R"(C)", R"(\root)", R"(root)",
        R"(\\srv\root:C)", R"(\\SRV\Root:c)", R"(C.K="a.K=\"b\"")", R"(C.K='A.k="B"')", R"(C.K="a.K=b")",
        R"(C.K=TRUE)", R"(C.K="true")", R"(C="x")", R"(C.Name="x")", R"(C.Other="x")"};
    std::vector<object_path> paths;
    for (const auto& text : inputs) paths.push_back(must_parse(text));
    for (std::size_t i = 0; i < paths.size(); ++i) {
        for (std::size_t j = 0; j < paths.size(); ++j) {
            INFO(inputs[i] << " vs " << inputs[j]);
            CHECK((paths[i] == paths[j]) == (wmisub::identity_key(paths[i]) == wmisub::identity_key(paths[j])));
        }
    }
    CHECK(paths[17] == paths[18]);  // single key: the class implies the name
}

TEST_CASE("object_path: to_string formats as WMI does") {
    CHECK(wmisub::to_string(must_parse(R"(//./root/subscription:X.Name="a")")) == R"(\\.\root\subscription:X.Name="a")");
    CHECK(wmisub::to_string(must_parse(R"(C.K='say "hi"')")) == R"(C.K="say \"hi\"")");
    CHECK(wmisub::to_string(must_parse(R"(C.K="C:\x",N=0x1F,B=true)")) == R"(C.K="C:\\x",N=31,B=TRUE)");
    CHECK(wmisub::to_string(must_parse(R"( C = "v" )")) == R"(C="v")");
    CHECK(wmisub::to_string(must_parse("C = @")) == "C=@");
    CHECK(wmisub::to_string(must_parse(R"(\root)")) == R"(\root)");
    CHECK(wmisub::to_string(must_parse("root/cimv2")) == R"(root\cimv2)");
    CHECK(wmisub::to_string(must_parse("//srv/root/cimv2")) == R"(\\srv\root\cimv2)");
    CHECK(wmisub::to_string(must_parse("root:C")) == "root:C");
    CHECK(wmisub::quote_key_value(R"(a"b\c)") == R"("a\"b\\c")");
    CHECK(wmisub::quote_key_value("") == R"("")");
}

TEST_CASE("object_path: round trips") {
    const std::vector<std::string> inputs = {
        R"(\\.\root\subscription:__EventFilter.Name="F")",
        R"(//./ROOT/Subscription:__eventfilter.name='F')",
        R"(__EventFilter="F")",
        R"(__EventFilter)",
        R"(\\.\root\cimv2)",
        R"(\root)",
        R"(root:C=@)",
        R"(C.s="a\"b\\c\n",q='x"y',i=-5,h=0xff,b=false)",
        R"(__FilterToConsumerBinding.Consumer="CommandLineEventConsumer.Name=\"x\"",Filter="__EventFilter.Name=\"y\"")",
        R"(C.K="%20 .,:=@'")",
        " C . A = 1 , B = \"2\" ",
        R"(C.K="ÉCOLE")",
    };
    for (const auto& text : inputs) {
        INFO(text);
        const object_path first = must_parse(text);
        const std::string formatted = wmisub::to_string(first);
        const object_path second = must_parse(formatted);
        CHECK(same_fields(first, second));
        CHECK(wmisub::to_string(second) == formatted);
        CHECK(first == second);
        CHECK(wmisub::identity_key(first) == wmisub::identity_key(second));
        if (!first.class_name.empty()) {  // the identity key is itself a path with the same identity
            CHECK(wmisub::identity_key(must_parse(wmisub::identity_key(first))) == wmisub::identity_key(first));
        }
    }
}

TEST_CASE("object_path: malformed paths are rejected at the right offset") {
    check_rejected("", 0);
    check_rejected("   ", 3);
    check_rejected("::", 0);
    check_rejected("root::X", 5);
    check_rejected(R"(__EventFilter.Name="x)", 19);
    check_rejected(R"(\\.\root\cimv2:Class.Name='x)", 26);
    check_rejected(R"(root\cimv2:)", 11);
    check_rejected(":X", 0);
    check_rejected(R"(.Name="x")", 0);
    check_rejected("1Class", 0);
    check_rejected("Class.=", 6);
    check_rejected("Class.", 6);
    check_rejected("Class.Key=", 10);
    check_rejected("Class=", 6);
    check_rejected("Class.Key", 9);
    check_rejected(R"(Class.Key="v"x)", 13);
    check_rejected(R"(Class.Key="v" x)", 14);
    check_rejected("Class.Key=abc", 10);
    check_rejected("Class.Key=%20", 10);
    check_rejected(R"(Class.Key="a",)", 14);
    check_rejected("Class.Key=1.5", 11);
    check_rejected("Class.Key=12ab", 12);
    check_rejected("Class.Key=0x", 12);
    check_rejected("Class.Key=0x1G", 13);
    check_rejected("Class.Key=-", 11);
    check_rejected("Class.Key=99999999999999999999", 10);
    check_rejected("Class.Key=-9223372036854775809", 10);
    check_rejected("Class.Key=0x10000000000000000", 10);
    check_rejected(R"(\\\root:X)", 2);
    check_rejected(R"(\\.)", 3);
    check_rejected(R"(\\.\)", 4);
    check_rejected(R"(\\.\root\\cimv2:X)", 9);
    check_rejected(R"(root\cimv2.Name="x")", 10);
    check_rejected("Class.a=1,A=2", 10);
    check_rejected("Cla ss", 4);
    check_rejected("root \\cimv2:X", 5);
    check_rejected("Class=@x", 7);
    check_rejected(R"(Class="a",b=1)", 9);
    check_rejected(R"(Class.Key=="a")", 10);
    check_rejected(R"(Cl-ass.K=1)", 2);
}

TEST_CASE("object_path: key count limit") {
    std::string ok = "C.";
    // Appended piece by piece: `"," + std::string` trips GCC 12's -O3 -Wstringop-overflow false positive.
    const auto add_key = [](std::string& path, int i) {
        if (i != 0) path += ',';
        path += 'K';
        path += std::to_string(i);
        path += "=1";
    };
    for (int i = 0; i < WMISUB_MAX_PATH_KEYS; ++i) add_key(ok, i);
    CHECK(must_parse(ok).keys.size() == WMISUB_MAX_PATH_KEYS);
    const std::string over = ok + ",Extra=1";
    check_rejected(over, ok.size() + 1, wmisub::errc::limit_exceeded);

    std::string huge = "C.";
    for (int i = 0; i < 100000; ++i) add_key(huge, i);
    auto parsed = parse_object_path(huge);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == wmisub::errc::limit_exceeded);
}

TEST_CASE("object_path: byte limit") {
    std::string exact = R"(C.K=")";
    exact += std::string(WMISUB_MAX_OBJECT_PATH_BYTES - exact.size() - 1, 'a');
    exact += '"';
    REQUIRE(exact.size() == WMISUB_MAX_OBJECT_PATH_BYTES);
    CHECK(must_parse(exact).keys[0].value.size() == WMISUB_MAX_OBJECT_PATH_BYTES - 6);
    check_rejected(exact + " ", WMISUB_MAX_OBJECT_PATH_BYTES, wmisub::errc::limit_exceeded);
}

#if WMISUB_HEADER_ONLY  // detail:: internals are compiled only in the implementation unit otherwise
TEST_CASE("object_path: nesting limit") {
    constexpr std::size_t max = WMISUB_MAX_NESTING;
    // At depth max the value `B.R="C"` would be a reference at max + 1.
    const std::string two = R"(A.R="B.R=\"C\"")";
    auto deep = wmisub::detail::parse_object_path_at(two, max);
    REQUIRE_FALSE(deep.has_value());
    CHECK(deep.error().code == wmisub::errc::limit_exceeded);
    CHECK(deep.error().location.offset == 4);
    // One level shallower fits: "C" is a bare name, not a reference.
    CHECK(wmisub::detail::parse_object_path_at(two, max - 1).has_value());
    const std::string three = R"(A.R="B.R=\"C.K=1\"")";
    CHECK_FALSE(wmisub::detail::parse_object_path_at(three, max - 1).has_value());
    CHECK(wmisub::detail::parse_object_path_at(three, max - 2).has_value());
    // A syntax error anywhere is reported before depth.
    auto bad = wmisub::detail::parse_object_path_at(R"(A.R="B.R=\"C\"",x)", max);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == wmisub::errc::syntax_error);
}
#endif

TEST_CASE("object_path: 10,000 nested reference levels are refused without recursion") {
    // Each level escapes the one inside it, so text doubles per level and the
    // byte limit stops the construction long before 10,000 levels.
    std::string text = "C.K=1";
    std::string last_fitting = text;
    std::size_t levels = 0;
    for (; levels < 10000 && text.size() <= WMISUB_MAX_OBJECT_PATH_BYTES; ++levels) {
        last_fitting = text;
        text = wrap_reference(text);
    }
    auto parsed = parse_object_path(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == wmisub::errc::limit_exceeded);

    // The deepest nesting that fits still parses, compares and round-trips.
    const object_path fits = must_parse(last_fitting);
    const object_path again = must_parse(wmisub::to_string(fits));
    CHECK(fits == again);
    CHECK(wmisub::identity_key(fits) == wmisub::identity_key(again));
}

TEST_CASE("object_path: hand-built paths") {
    object_path p;
    p.namespace_path = "ROOT/subscription/";
    p.class_name = "__EventFilter";
    p.keys.push_back({"Name", key_value_kind::string, "F"});
    CHECK(p == must_parse(R"(\\.\root\subscription:__EventFilter.Name="F")"));
    CHECK(wmisub::to_string(p) == R"(ROOT\subscription:__EventFilter.Name="F")");
    p.server = "remote";
    p.namespace_path.clear();
    CHECK(wmisub::to_string(p) == R"(__EventFilter.Name="F")");  // a server needs a namespace
    CHECK(p.find_key("name") == &p.keys[0]);
}

#if WMISUB_HEADER_ONLY  // detail:: internals are compiled only in the implementation unit otherwise
TEST_CASE("object_path: the allocation-free reader agrees with the parser where it answers") {
    const std::vector<std::string> answered = {
        R"(__EventFilter.Name="F")",
        R"(\\.\root\subscription:__EventFilter.Name="F")",
        R"(//LOCALHOST/Root/Sub-NS:C.Key='it"s')",
        R"(\root\subscription:CommandLineEventConsumer="a b")",
        R"(root:C.Name="")",
    };
    for (const std::string& text : answered) {
        INFO("input: " << text);
        const auto simple = wmisub::detail::opath_read_simple(text);
        REQUIRE(simple.has_value());
        const object_path parsed = must_parse(text);
        CHECK(simple->server == parsed.server);
        std::string ns(simple->namespace_path);
        for (char& c : ns) c = c == '/' ? '\\' : c;
        CHECK(ns == parsed.namespace_path);
        CHECK(simple->class_name == parsed.class_name);
        REQUIRE(parsed.keys.size() == 1);
        CHECK(parsed.keys.front().kind == key_value_kind::string);
        CHECK(simple->value == parsed.keys.front().value);
    }
    // Spaces, escapes, several keys, numbers, nested references and errors are left to the parser.
    for (const char* text : {R"( C.Name="F")", R"(C.Name = "F")", R"(C.Name="a\"b")", R"(C.A="1",B="2")", "C.Name=1",
                             "C=@", R"(C.Name="x:C.K=\"v\"")", R"(C.Name="F)", R"(C.Name="F"x)", R"(root\:C="F")",
                             R"(\\.:C="F")", R"(root :C="F")", "C", R"(Bad-Class="F")"}) {
        INFO("input: " << text);
        CHECK_FALSE(wmisub::detail::opath_read_simple(text).has_value());
    }
}
#endif
