// Tests for wmisub/mof.hpp: the MOF lexer, parser, alias resolution, typing,
// error recovery and limits; the published samples in ../shared/data/mof; and
// every corpus subscription rendered back as hostile MOF.
#include "wmisub/mof.hpp"

#include "shared_data.hpp"

#include <doctest/doctest.h>

#if __has_include(<nlohmann/json.hpp>)
#include "corpus.hpp"
#define WMISUB_TEST_HAS_CORPUS 1
#endif

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

using namespace wmisub;

namespace {

mof_document parse(std::string_view text, mof_options options = {}) {
    if (options.source_name.empty()) options.source_name = "test.mof";
    return parse_mof(text, std::move(options));
}

std::string errors_of(const mof_document& doc) {
    std::string out;
    for (const error& e : doc.errors) out += e.to_string() + "\n";
    return out;
}

// The first instance of `cls` whose Name (or the given key) is `name`; any instance of cls when name is empty.
const mof_instance* find(const mof_document& doc, std::string_view cls, std::string_view name = {},
                         std::string_view key = "Name") {
    for (const mof_instance& mi : doc.instances) {
        if (!iequals(mi.object.class_name, cls)) continue;
        if (name.empty()) return &mi;
        const value* v = mi.object.get(key);
        if (v != nullptr && v->as_string() != nullptr && *v->as_string() == name) return &mi;
    }
    return nullptr;
}

const value& prop(const mof_instance& mi, std::string_view name) {
    static const value missing = value::string("<missing>");
    const value* v = mi.object.get(name);
    return v != nullptr ? *v : missing;
}

std::string text_of(const mof_instance& mi, std::string_view name) {
    const std::string* s = prop(mi, name).as_string();
    return s != nullptr ? *s : "<not a string>";
}

const error* find_error(const mof_document& doc, errc code, std::size_t line, std::size_t column = 0) {
    for (const error& e : doc.errors) {
        if (e.code == code && e.location.line == line && (column == 0 || e.location.column == column)) return &e;
    }
    return nullptr;
}

std::string utf16(std::string_view utf8, bool big_endian) {
    std::string le = utf8_to_utf16le_bytes(utf8);
    if (big_endian) {
        for (std::size_t i = 0; i + 1 < le.size(); i += 2) std::swap(le[i], le[i + 1]);
        return "\xFE\xFF" + le;
    }
    return "\xFF\xFE" + le;
}

// Expected property values of one object in a sample file.
struct expected_object {
    std::string_view cls;
    std::string_view name;  // Name key ("" when the sample has none)
    std::string_view ns;
    std::size_t line;  // of the `instance` keyword
    std::vector<std::pair<std::string_view, value>> props;
};

void check_object(const mof_document& doc, const expected_object& want) {
    INFO("object ", want.cls, " ", want.name);
    const mof_instance* mi = nullptr;
    for (const mof_instance& candidate : doc.instances) {
        if (iequals(candidate.object.class_name, want.cls) && candidate.object.origin.where.line == want.line)
            mi = &candidate;
    }
    REQUIRE(mi != nullptr);
    if (!want.name.empty()) CHECK(text_of(*mi, "Name") == want.name);
    CHECK(mi->object.namespace_path == want.ns);
    CHECK(mi->object.origin.kind == source_kind::mof);
    CHECK(mi->object.origin.where.column == 1);
    CHECK(mi->complete);
    for (const auto& expected : want.props) {
        INFO("property ", expected.first);
        CHECK(prop(*mi, expected.first) == expected.second);
    }
}

// A property of an embedded object; a marker value when absent.
const value& member(const embedded_object& o, std::string_view name) {
    static const value missing = value::string("<missing>");
    const property* p = o.find(name);
    return p != nullptr ? p->value : missing;
}

value u32(std::uint64_t v) { return value::uint(v, cim_type::uint32); }
value u16(std::uint64_t v) { return value::uint(v, cim_type::uint16); }
value str(std::string s) { return value::string(std::move(s)); }
value ref(std::string s) { return value::reference(std::move(s)); }

}  // namespace

// ===========================================================================
// Lexical rules (specs.md §5.1)
// ===========================================================================

TEST_CASE("comments may sit between any two tokens") {
    const auto doc = parse(
        "/*a*/instance/*b*/of// c\n__EventFilter/**/as/*\n*/$F/*d*/{/*e*/Name/*f*/=/*g*/\"F\"/*h*/;/*i*/}/*j*/;//end");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    REQUIRE(doc.instances.size() == 1);
    CHECK(doc.instances[0].alias == "F");
    CHECK(text_of(doc.instances[0], "Name") == "F");
}

TEST_CASE("adjacent string literals concatenate across lines and comments") {
    const auto doc = parse("instance of CommandLineEventConsumer {\n"
                           "  Name = \"x\";\n"
                           "  CommandLineTemplate = \"pow\" /* hidden */ \"er\"\n"
                           "     // a line comment\n"
                           "     \"shell -enc\"\n"
                           "\"\" \" AAAA\";\n};");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    CHECK(text_of(doc.instances.at(0), "CommandLineTemplate") == "powershell -enc AAAA");
}

TEST_CASE("every escape sequence is decoded") {
    const auto doc = parse(
        R"(instance of X { A = "\\ \" \' \n \t \b \f \r"; B = "\x41\X42\x0043\x263A"; C = "\xD83D\xDE00"; D = "\x41BC"; };)");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    const mof_instance& mi = doc.instances.at(0);
    CHECK(text_of(mi, "A") == "\\ \" ' \n \t \b \f \r");
    CHECK(text_of(mi, "B") == "ABC\xE2\x98\xBA");   // U+263A
    CHECK(text_of(mi, "C") == "\xF0\x9F\x98\x80");  // a surrogate pair spelled as two escapes
    CHECK(text_of(mi, "D") == "\xE4\x86\xBC");      // \x takes up to four digits: U+41BC
}

TEST_CASE("six-digit hex escapes per DSP0221 when asked") {
    mof_options options;
    options.hex_escape_digits = 6;
    const auto doc = parse(R"(instance of X { A = "\x01F600!"; B = "\x110000"; };)", options);
    CHECK(text_of(doc.instances.at(0), "A") == "\xF0\x9F\x98\x80!");
    CHECK(text_of(doc.instances.at(0), "B") == "\xEF\xBF\xBD");
    CHECK(find_error(doc, errc::syntax_error, 1) != nullptr);
}

TEST_CASE("unknown escapes and bare \\x are kept as written and reported at their column") {
    const auto doc = parse("instance of X {\n  A = \"C:\\Temp\\x\";\n};");
    CHECK(text_of(doc.instances.at(0), "A") == "C:\\Temp\\x");
    REQUIRE(doc.errors.size() == 2);
    CHECK(doc.errors[0].location.line == 2);
    CHECK(doc.errors[0].location.column == 10);  // the backslash before T
    CHECK(doc.errors[1].location.column == 15);  // the bare \x
    CHECK(doc.errors[0].location.source == "test.mof");
}

TEST_CASE("char16 literals") {
    const auto doc = parse(R"(class C { [key] string K; char16 a; char16 b; char16 c; char16 d; };
instance of C { K = "k"; a = 'A'; b = '\x16'; c = '\n'; d = '\xD800'; };
instance of C { K = "bad"; a = 'AB'; };)");
    const mof_instance& mi = doc.instances.at(0);
    CHECK(prop(mi, "a") == value::char16(u'A'));
    CHECK(prop(mi, "b") == value::char16(char16_t{0x16}));
    CHECK(prop(mi, "c") == value::char16(u'\n'));
    CHECK(prop(mi, "d") == value::char16(char16_t{0xD800}));
    CHECK(find_error(doc, errc::syntax_error, 3) != nullptr);
    CHECK_FALSE(doc.instances.at(1).complete);
}

TEST_CASE("integers in every base, with sign, and reals") {
    const auto doc =
        parse("instance of X { a = 03; b = 0xFe; c = 11b; d = -5; e = +7; f = 0; g = 2.3e-2; h = .5; i = -1.5;"
              " j = 18446744073709551615; k = -9223372036854775808; l = 0X1f; m = 101B; n = 1E3; };");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    const mof_instance& mi = doc.instances.at(0);
    CHECK(prop(mi, "a") == value::uint(3));
    CHECK(prop(mi, "b") == value::uint(254));
    CHECK(prop(mi, "c") == value::uint(3));
    CHECK(prop(mi, "d") == value::sint(-5));
    CHECK(prop(mi, "e") == value::uint(7));
    CHECK(prop(mi, "f") == value::uint(0));
    CHECK(prop(mi, "g") == value::real(2.3e-2));
    CHECK(prop(mi, "h") == value::real(0.5));
    CHECK(prop(mi, "i") == value::real(-1.5));
    CHECK(prop(mi, "j") == value::uint(18446744073709551615u));
    CHECK(prop(mi, "k") == value::sint(INT64_MIN));
    CHECK(prop(mi, "l") == value::uint(31));
    CHECK(prop(mi, "m") == value::uint(5));
    CHECK(prop(mi, "n") == value::real(1000.0));
}

TEST_CASE("malformed numbers are located errors") {
    const char* cases[] = {"09", "12b", "0x", "18446744073709551616", "-9223372036854775809", "1abc", "0xZZ"};
    for (const char* literal : cases) {
        INFO(literal);
        const auto doc = parse(std::string("instance of X { K = \"k\"; a = ") + literal + "; b = 1; };");
        REQUIRE_FALSE(doc.errors.empty());
        CHECK(doc.errors[0].location.column == 30);
        REQUIRE(doc.instances.size() == 1);
        CHECK(prop(doc.instances[0], "b") == value::uint(1));  // the rest of the instance is kept
        CHECK_FALSE(doc.instances[0].complete);
    }
}

TEST_CASE("true, false and null in any case") {
    const auto doc = parse("instance of X { a = tRuE; b = FALSE; c = NuLl; d = True; };");
    CHECK(doc.ok());
    const mof_instance& mi = doc.instances.at(0);
    CHECK(prop(mi, "a") == value::boolean(true));
    CHECK(prop(mi, "b") == value::boolean(false));
    CHECK(prop(mi, "c").is_null());
    CHECK(prop(mi, "d") == value::boolean(true));
}

TEST_CASE("keywords in any case") {
    const auto doc = parse(
        "#PRAGMA NameSpace(\"\\\\\\\\.\\\\ROOT\\\\subscription\")\nINSTANCE OF __EventFilter AS $f { Name = \"x\"; };\n"
        "Class C : __EventConsumer { [KEY] String Id; };\niNsTaNcE oF C { Id = \"i\"; };");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    REQUIRE(doc.instances.size() == 2);
    CHECK(doc.instances[0].object.namespace_path == "ROOT\\subscription");
    CHECK(doc.instances[1].object.key_names == std::vector<std::string>{"Id"});
}

TEST_CASE("UTF-16LE and UTF-16BE input with a BOM; positions refer to the decoded text") {
    const std::string text =
        "// \xC3\xA9t\xC3\xA9\ninstance of __EventFilter {\n  Name = \"F\xC3\xA9\";\n  Bad = ;\n};";
    for (const bool big_endian : {false, true}) {
        const auto doc = parse(utf16(text, big_endian));
        CHECK(doc.encoding == (big_endian ? text_encoding::utf16be : text_encoding::utf16le));
        REQUIRE(doc.instances.size() == 1);
        CHECK(text_of(doc.instances[0], "Name") == "F\xC3\xA9");
        CHECK(doc.instances[0].object.origin.where.line == 2);
        CHECK(doc.instances[0].object.origin.where.offset == 9);      // bytes of the decoded UTF-8 first line
        CHECK(find_error(doc, errc::not_found, 4, 3) != nullptr);     // Bad is no property of __EventFilter
        CHECK(find_error(doc, errc::syntax_error, 4, 9) != nullptr);  // and has no value
    }
}

TEST_CASE("aliases and identifiers") {
    const auto doc = parse("instance of __EventFilter as $_a1 { Name = \"a\"; };\ninstance of "
                           "__FilterToConsumerBinding { Filter = $_A1; Consumer = \"C.Name=\\\"c\\\"\"; };");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    CHECK(prop(doc.instances.at(1), "Filter") == ref("__EventFilter.Name=\"a\""));  // aliases ignore case
}

// ===========================================================================
// Typing
// ===========================================================================

TEST_CASE("standard classes type their properties as WMI declares them") {
    const auto doc = parse(R"(
instance of ActiveScriptEventConsumer { Name = "a"; KillTimeout = 45; CreatorSID = {1,2,0,0,0,0,0,5,32,0,0,0,32,2,0,0}; MaximumQueueSize = 10; };
instance of CommandLineEventConsumer { Name = "c"; Priority = 32; ShowWindowCommand = 0; RunInteractively = false; };
instance of LogFileEventConsumer { Name = "l"; MaximumFileSize = 65535; };
instance of NTEventLogEventConsumer { Name = "n"; Category = 3; InsertionStringTemplates = {""}; };
instance of __IntervalTimerInstruction { TimerId = "t"; IntervalBetweenEvents = 60000; SkipIfPassed = false; };
instance of __AbsoluteTimerInstruction { TimerId = "u"; EventDateTime = "20240101120000.000000+000"; };
)");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    CHECK(prop(*find(doc, "ActiveScriptEventConsumer"), "KillTimeout") == u32(45));
    CHECK(prop(*find(doc, "ActiveScriptEventConsumer"), "MaximumQueueSize") == u32(10));
    const std::uint8_t admins[] = {1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0};
    CHECK(prop(*find(doc, "ActiveScriptEventConsumer"), "CreatorSID") == value::bytes(admins));
    CHECK(prop(*find(doc, "CommandLineEventConsumer"), "Priority") == value::sint(32, cim_type::sint32));
    CHECK(prop(*find(doc, "LogFileEventConsumer"), "MaximumFileSize") == value::uint(65535, cim_type::uint64));
    CHECK(prop(*find(doc, "NTEventLogEventConsumer"), "Category") == u16(3));
    CHECK(prop(*find(doc, "NTEventLogEventConsumer"), "InsertionStringTemplates") == value::strings({""}));
    CHECK(prop(*find(doc, "__IntervalTimerInstruction", "t", "TimerId"), "IntervalBetweenEvents") == u32(60000));
    const value& when = prop(*find(doc, "__AbsoluteTimerInstruction", "u", "TimerId"), "EventDateTime");
    REQUIRE(when.as_datetime() != nullptr);
    CHECK(when.as_datetime()->year == 2024);
    // The typed model reads them without warnings.
    const snapshot snap = to_snapshot(doc);
    CHECK(snap.errors.empty());
    CHECK(snap.consumers.size() == 4);
    CHECK(snap.timers.size() == 2);
    CHECK(*std::get<active_script_consumer>(snap.consumers[0]).kill_timeout == 45);
}

TEST_CASE("values that do not fit their declaration are kept and reported") {
    const auto doc =
        parse("instance of NTEventLogEventConsumer {\n Name = \"n\";\n Category = 70000;\n EventID = \"x\";\n"
              " SourceName = 5;\n InsertionStringTemplates = \"scalar\";\n};\n"
              "instance of __AbsoluteTimerInstruction { TimerId = \"t\"; EventDateTime = \"tomorrow\"; };");
    CHECK(prop(doc.instances.at(0), "Category") == value::uint(70000));
    CHECK(prop(doc.instances.at(0), "EventID") == str("x"));
    CHECK(prop(doc.instances.at(0), "SourceName") == value::uint(5));
    CHECK(prop(doc.instances.at(0), "InsertionStringTemplates") == str("scalar"));
    CHECK(prop(doc.instances.at(1), "EventDateTime") == str("tomorrow"));
    for (std::size_t line : {3u, 4u, 5u, 6u, 8u}) {
        INFO("line ", line);
        CHECK(find_error(doc, errc::type_mismatch, line) != nullptr);
    }
    CHECK(doc.instances[0].complete);
}

TEST_CASE("undeclared classes keep literal types: sint64 when negative, uint64 otherwise") {
    const auto doc =
        parse("instance of Unknown { a = 1; b = -1; c = {1, -2}; d = {\"x\", NULL}; e = {}; f = 1.5; g = \"s\"; };");
    const mof_instance& mi = doc.instances.at(0);
    CHECK(prop(mi, "a") == value::uint(1));
    CHECK(prop(mi, "b") == value::sint(-1));
    CHECK(prop(mi, "c") == value::array(cim_type::sint64, {value::sint(1), value::sint(-2)}));
    CHECK(prop(mi, "d") == value::array(cim_type::string, {str("x"), value::null()}));
    CHECK(prop(mi, "e") == value::array(cim_type::empty, {}));
    CHECK(prop(mi, "f") == value::real(1.5));
    CHECK(doc.ok());
}

TEST_CASE("classes declared in the MOF type their instances and make consumers") {
    const auto doc = parse(R"(
class Base : __EventConsumer { [key] string Id; uint16 Port = 80; datetime At; };
class Evil : Base { string Payload; Base ref Other; sint8 Small[]; };
instance of Evil as $e { Id = "x"; Port = 8080; Payload = "calc.exe"; At = "20240101000000.000000+000"; Small = {-1, 2}; CreatorSID = {1,1,0,0,0,0,0,5,18,0,0,0}; };
instance of Evil { Id = "y"; Port = -1; Nope = 1; };
)");
    const mof_instance& evil = doc.instances.at(0);
    CHECK(evil.object.derivation ==
          std::vector<std::string>{"Base", "__EventConsumer", "__IndicationRelated", "__SystemClass"});
    CHECK(evil.object.key_names == std::vector<std::string>{"Id"});
    CHECK(prop(evil, "Port") == u16(8080));
    CHECK(prop(evil, "Small") ==
          value::array(cim_type::sint8, {value::sint(-1, cim_type::sint8), value::sint(2, cim_type::sint8)}));
    CHECK(prop(evil, "At").as_datetime() != nullptr);
    REQUIRE(doc.classes.size() == 2);
    CHECK(doc.classes[1].is_consumer());
    CHECK(doc.classes[1].key_names == std::vector<std::string>{"Id"});
    CHECK(doc.classes[0].properties[1].default_value == u16(80));
    CHECK(doc.classes[1].properties[1].type == cim_type::reference);
    CHECK(doc.classes[1].properties[1].ref_class == "Base");
    CHECK(doc.classes[1].properties[2].is_array);
    CHECK(find_error(doc, errc::type_mismatch, 5) != nullptr);  // Port = -1 on a uint16
    CHECK(find_error(doc, errc::not_found, 5) != nullptr);      // Nope is not a property of Evil
    const snapshot snap = to_snapshot(doc);
    REQUIRE(snap.consumers.size() == 2);
    const auto& custom = std::get<custom_consumer>(snap.consumers[0]);
    CHECK(custom.name == "x");
    CHECK(custom.key_names == std::vector<std::string>{"Id"});
    CHECK(*custom.creator_sid_string() == "S-1-5-18");
}

TEST_CASE("unknown properties of standard classes and system properties are reported") {
    const auto doc =
        parse("instance of CommandLineEventConsumer {\n Name = \"c\";\n CommandLine = \"calc\";\n __PATH = \"x\";\n};");
    CHECK(find_error(doc, errc::not_found, 3) != nullptr);
    CHECK(find_error(doc, errc::invalid_argument, 4) != nullptr);
    CHECK(text_of(doc.instances.at(0), "CommandLine") == "calc");  // kept all the same
}

TEST_CASE("missing key properties are reported and the instance kept") {
    const auto doc = parse("\ninstance of __EventFilter { Query = \"SELECT * FROM __TimerEvent\"; };\ninstance of "
                           "__FilterToConsumerBinding { Filter = NULL; Consumer = \"C.Name=\\\"x\\\"\"; };");
    REQUIRE(doc.instances.size() == 2);
    CHECK(find_error(doc, errc::missing_field, 2, 1) != nullptr);
    CHECK(find_error(doc, errc::missing_field, 3, 1) != nullptr);
}

// ===========================================================================
// Pragmas
// ===========================================================================

TEST_CASE("#pragma namespace in every spelling, applied from where it appears") {
    const auto doc = parse(R"(
instance of __EventFilter { Name = "default"; };
#pragma namespace("\\\\.\\root\\subscription")
instance of __EventFilter { Name = "abs"; };
#pragma namespace("\\root\\cimv2")
instance of __EventFilter { Name = "single"; };
#pragma namespace("evil")
instance of __EventFilter { Name = "relative"; };
#pragma namespace("deeper/still")
instance of __EventFilter { Name = "relative2"; };
#pragma namespace("//./ROOT/Default")
instance of __EventFilter { Name = "slashes"; };
#pragma namespace("root/x")
instance of __EventFilter { Name = "rootfirst"; };
#pragma namespace("\\\\ATTACKER-PC\\root\\subscription")
instance of __EventFilter { Name = "remote"; };
#pragma namespace("\\\\.\\root\\" "split\\" "name")
instance of __EventFilter { Name = "split"; };
#pragma namespace("\\\\.\\root\\bad name")
instance of __EventFilter { Name = "unchanged"; };
)");
    const std::pair<const char*, const char*> expected[] = {{"default", "root\\default"},
                                                            {"abs", "root\\subscription"},
                                                            {"single", "root\\cimv2"},
                                                            {"relative", "root\\cimv2\\evil"},
                                                            {"relative2", "root\\cimv2\\evil\\deeper\\still"},
                                                            {"slashes", "ROOT\\Default"},
                                                            {"rootfirst", "root\\x"},
                                                            {"remote", "root\\subscription"},
                                                            {"split", "root\\split\\name"},
                                                            {"unchanged", "root\\split\\name"}};
    for (const auto& want : expected) {
        INFO(std::string(want.first));
        const mof_instance* mi = find(doc, "__EventFilter", want.first);
        REQUIRE(mi != nullptr);
        CHECK(mi->object.namespace_path == want.second);
    }
    CHECK(find(doc, "__EventFilter", "remote")->server == "ATTACKER-PC");
    CHECK(find(doc, "__EventFilter", "abs")->server == ".");
    CHECK(find(doc, "__EventFilter", "default")->server.empty());
    REQUIRE(doc.errors.size() == 1);
    CHECK(doc.errors[0].code == errc::invalid_argument);
    CHECK(doc.errors[0].location.line == 19);
    CHECK(doc.pragmas.size() == 9);
    CHECK(doc.pragmas[6].namespace_path == "root\\subscription");
}

TEST_CASE("the default namespace comes from the options, like mofcomp -N") {
    mof_options options;
    options.default_namespace = "//./root/subscription";
    const auto doc = parse("instance of __EventFilter { Name = \"x\"; };", options);
    CHECK(doc.instances.at(0).object.namespace_path == "root\\subscription");
}

TEST_CASE("autorecover, flags, deletions, locale, amendment and unknown pragmas are recorded") {
    const auto doc = parse(R"(#pragma autorecover
#pragma classflags("forceupdate", "updateonly")
#pragma instanceflags("createonly")
#pragma classflags("sometimes")
#pragma deleteclass("MyClass1",FAIL)
#pragma deleteinstance("MSFT_RisingFallingTemplate.id='TestRisingFallingCorrId'", nofail)
#pragma deleteinstance("__EventFilter.Name=\"old\"")
#pragma locale("ms_409")
#pragma amendment("MS_409")
#pragma source("\\\\.\\root\\default")
#pragma whatever(some, "thing", 12)
#Pragma AutoRecover
)");
    CHECK(doc.asks_autorecover());
    REQUIRE(doc.autorecover.size() == 2);
    CHECK(doc.autorecover[0].line == 1);
    CHECK(doc.autorecover[1].line == 12);
    REQUIRE(doc.deletions.size() == 3);
    CHECK(doc.deletions[0].kind == mof_deletion_kind::class_definition);
    CHECK(doc.deletions[0].target == "MyClass1");
    CHECK(doc.deletions[0].fail_if_missing);
    CHECK(doc.deletions[1].kind == mof_deletion_kind::instance);
    CHECK(doc.deletions[1].target == "MSFT_RisingFallingTemplate.id='TestRisingFallingCorrId'");
    CHECK_FALSE(doc.deletions[1].fail_if_missing);
    CHECK(doc.deletions[1].namespace_path == "root\\default");
    REQUIRE(doc.pragmas.size() == 12);
    CHECK(doc.pragmas[1].arguments == std::vector<std::string>{"forceupdate", "updateonly"});
    CHECK(doc.pragmas[10].name == "whatever");
    CHECK(doc.pragmas[10].arguments == std::vector<std::string>{"some", "thing", "12"});
    // Only the unknown class flag and the FAIL/NOFAIL-less deleteinstance are errors.
    REQUIRE(doc.errors.size() == 2);
    CHECK(find_error(doc, errc::invalid_argument, 4) != nullptr);
    CHECK(find_error(doc, errc::syntax_error, 7) != nullptr);
}

TEST_CASE("includes without a file system are reported, not followed") {
    const auto doc = parse(
        "#pragma include(\"other.mof\")\n#include(\"third.mof\")\ninstance of __EventFilter { Name = \"after\"; };");
    REQUIRE(doc.includes.size() == 2);
    CHECK(doc.includes[0].requested == "other.mof");
    CHECK_FALSE(doc.includes[0].followed);
    CHECK(find_error(doc, errc::unsupported, 1) != nullptr);
    CHECK(find_error(doc, errc::unsupported, 2) != nullptr);
    CHECK(doc.instances.size() == 1);
}

namespace {

// Includes served from memory, keyed by the resolved path.
mof_options with_files(std::map<std::string, std::string>& files) {
    mof_options options;
    options.source_name = "dir/main.mof";
    options.include_reader = [&files](const std::string& path) -> result<std::string> {
        const auto found = files.find(path);
        if (found == files.end()) return make_error(errc::not_found, "no such file");
        return found->second;
    };
    return options;
}

}  // namespace

TEST_CASE("includes are resolved relative to the including file and keep the namespace flowing") {
    std::map<std::string, std::string> files = {
        {"dir/sub/a.mof", "#pragma namespace(\"\\\\\\\\.\\\\root\\\\subscription\")\n#pragma include(\"../b.mof\")\n"
                          "instance of __EventFilter as $F { Name = \"A\"; };"},
        {"dir/b.mof", "instance of CommandLineEventConsumer as $C { Name = \"B\"; CommandLineTemplate = \"calc\"; };"},
    };
    const auto doc =
        parse("#pragma include(\"sub\\\\a.mof\")\ninstance of __EventFilter { Name = \"main\"; };", with_files(files));
    INFO(errors_of(doc));
    CHECK(doc.ok());
    REQUIRE(doc.includes.size() == 2);
    CHECK(doc.includes[0].resolved == "dir/sub/a.mof");
    CHECK(doc.includes[1].resolved == "dir/b.mof");
    CHECK(doc.includes[1].followed);
    const mof_instance* b = find(doc, "CommandLineEventConsumer", "B");
    REQUIRE(b != nullptr);
    CHECK(b->object.origin.where.source == "dir/b.mof");
    CHECK(b->object.origin.where.line == 1);
    CHECK(b->object.namespace_path == "root\\subscription");
    CHECK(find(doc, "__EventFilter", "main")->object.namespace_path == "root\\subscription");
}

TEST_CASE("include cycles and depth are limited") {
    std::map<std::string, std::string> files = {
        {"dir/self.mof", "#pragma include(\"self.mof\")\ninstance of X { a = 1; };"}};
    const auto cyc = parse("#pragma include(\"self.mof\")", with_files(files));
    CHECK(cyc.instances.size() == 1);
    REQUIRE(cyc.errors.size() == 1);
    CHECK(cyc.errors[0].code == errc::invalid_argument);
    CHECK(cyc.errors[0].location.source == "dir/self.mof");

    std::map<std::string, std::string> chain;
    for (int i = 0; i < 30; ++i)
        chain["dir/f" + std::to_string(i) + ".mof"] = "#include(\"f" + std::to_string(i + 1) + ".mof\")";
    const auto deep = parse("#include(\"f0.mof\")", with_files(chain));
    REQUIRE(deep.errors.size() == 1);
    CHECK(deep.errors[0].code == errc::limit_exceeded);
    CHECK(deep.includes.size() == 17);

    std::map<std::string, std::string> missing;
    const auto absent = parse("#include(\"nope.mof\")", with_files(missing));
    CHECK(find_error(absent, errc::not_found, 1) != nullptr);
}

TEST_CASE("many includes of one file are bounded in count and bytes") {
    std::map<std::string, std::string> files = {
        {"dir/x.mof", "#include(\"y.mof\")\n#include(\"y.mof\")\n#include(\"y.mof\")\n#include(\"y.mof\")"},
        {"dir/y.mof", std::string(1000, ' ') + "instance of X { a = 1; };"}};
    mof_options options = with_files(files);
    options.max_includes = 10;
    std::string main;
    for (int i = 0; i < 5; ++i) main += "#include(\"x.mof\")\n";
    const auto doc = parse(main, options);
    CHECK(doc.includes.size() == 13);  // 5 of x.mof, 8 of y.mof: the third x.mof is the 11th include
    CHECK(find_error(doc, errc::limit_exceeded, 3) != nullptr);
    CHECK(doc.instances.size() == 8);
    options.max_includes = 1000;
    options.max_input_bytes = 3000;
    const auto bytes = parse(main, options);
    CHECK(bytes.instances.size() == 2);
    CHECK_FALSE(bytes.errors.empty());
    CHECK(bytes.errors[0].code == errc::limit_exceeded);
}

// ===========================================================================
// Qualifiers, classes, methods
// ===========================================================================

TEST_CASE("qualifier declarations and the global flavor statement") {
    const auto doc = parse(R"(
qualifier Description : string = NULL, scope(any), flavor(ToSubclass, Translatable);
qualifier Values : string[], scope(property, method);
qualifier Key : boolean = false, scope(property, reference) flavor(DisableOverride, ToSubclass);
Qualifier Description : ToSubClass Amended;
)");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    REQUIRE(doc.qualifier_decls.size() == 4);
    CHECK(doc.qualifier_decls[0].type == cim_type::string);
    CHECK(doc.qualifier_decls[0].scopes == std::vector<std::string>{"any"});
    CHECK(doc.qualifier_decls[0].flavors == std::vector<std::string>{"ToSubclass", "Translatable"});
    CHECK(doc.qualifier_decls[1].is_array);
    CHECK(doc.qualifier_decls[2].default_value == value::boolean(false));
    CHECK(doc.qualifier_decls[3].flavor_statement);
    CHECK(doc.qualifier_decls[3].flavors == std::vector<std::string>{"ToSubClass", "Amended"});
}

TEST_CASE("class declarations: qualifiers with flavors, arrays, defaults, references, methods, aliases") {
    const auto doc = parse(R"(
[Description("a class") : ToSubclass Amended, Dynamic, Provider("p")]
class MyClass as $MC : __EventConsumer
{
    [key, Description("k") : ToInstance] string Name;
    [Values{"a", "b"}, ValueMap{"1", "2"}] uint32 Mode = 1;
    string Tags[] = {"x", "y"};
    uint8 Fixed[4];
    __EventFilter ref Trigger;
    object ref Anything;
    Win32_Process Embedded;
    [static, implemented] uint32 Run([in] string Command, [in, out] uint32 Flags[], [out] MyClass ref Result, [in] boolean Quiet = TRUE);
    void Stop();
};
class Other : MyClass as $O { };
instance of __FilterToConsumerBinding { Filter = $O; Consumer = $MC; };
)");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    REQUIRE(doc.classes.size() == 2);
    const mof_class& c = doc.classes[0];
    CHECK(c.alias == "MC");
    CHECK(c.superclass == "__EventConsumer");
    REQUIRE(c.qualifiers.size() == 3);
    CHECK(c.qualifiers[0].argument == str("a class"));
    CHECK(c.qualifiers[0].flavors == std::vector<std::string>{"ToSubclass", "Amended"});
    CHECK(c.qualifiers[1].argument == value::boolean(true));
    REQUIRE(c.properties.size() == 7);
    CHECK(c.properties[0].is_key);
    CHECK(c.properties[0].qualifiers[1].flavors == std::vector<std::string>{"ToInstance"});
    CHECK(c.properties[1].qualifiers[0].argument == value::strings({"a", "b"}));
    CHECK(c.properties[1].default_value == u32(1));
    CHECK(c.properties[2].default_value == value::strings({"x", "y"}));
    CHECK(c.properties[3].array_size == 4u);
    CHECK(c.properties[4].ref_class == "__EventFilter");
    CHECK(c.properties[5].ref_class == "object");
    CHECK(c.properties[6].type == cim_type::object);
    CHECK(c.properties[6].ref_class == "Win32_Process");
    REQUIRE(c.methods.size() == 2);
    CHECK(c.methods[0].return_type == cim_type::uint32);
    REQUIRE(c.methods[0].parameters.size() == 4);
    CHECK(c.methods[0].parameters[1].is_array);
    CHECK(c.methods[0].parameters[2].type == cim_type::reference);
    CHECK(c.methods[0].parameters[3].default_value == value::boolean(true));
    CHECK(c.methods[1].return_type == cim_type::empty);
    CHECK(doc.classes[1].alias == "O");  // the alias after the superclass (DSP0004 placement)
    CHECK(doc.classes[1].is_consumer());
    CHECK(prop(doc.instances.at(0), "Filter") == ref("Other"));
    CHECK(prop(doc.instances.at(0), "Consumer") == ref("MyClass"));
}

TEST_CASE("a class redeclaring a standard consumer types its instances by the MOF declaration") {
    const auto doc =
        parse("class ActiveScriptEventConsumer : __EventConsumer { [key] string Name; string ScriptText; sint64 "
              "KillTimeout; };\n"
              "instance of ActiveScriptEventConsumer { Name = \"a\"; KillTimeout = 5; CreatorSID = {1}; };");
    CHECK(prop(doc.instances.at(0), "KillTimeout") == value::sint(5, cim_type::sint64));
    CHECK(prop(doc.instances.at(0), "CreatorSID") == value::array(cim_type::uint8, {value::uint(1, cim_type::uint8)}));
}

// ===========================================================================
// Instances, aliases, references, embedded objects
// ===========================================================================

TEST_CASE("aliases resolve forward and backward into object paths") {
    const auto doc = parse(R"(#pragma namespace("\\\\.\\root\\subscription")
instance of __FilterToConsumerBinding as $B { Filter = $F; Consumer = $C; };
instance of __EventFilter as $F { Name = "Fil\"ter"; };
instance of CommandLineEventConsumer as $C { Name = "C\\x"; };
instance of __FilterToConsumerBinding { Filter = $F; Consumer = $B; };
#pragma namespace("\\\\.\\root\\cimv2")
instance of __FilterToConsumerBinding { Filter = $F; Consumer = "\\\\.\\root\\subscription:CommandLineEventConsumer.Name=\"C\\\\x\""; };
)");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    CHECK(prop(doc.instances[0], "Filter") == ref(R"(__EventFilter.Name="Fil\"ter")"));
    CHECK(prop(doc.instances[0], "Consumer") == ref(R"(CommandLineEventConsumer.Name="C\\x")"));
    // A binding keyed by another binding: its key paths nest.
    CHECK(
        prop(doc.instances[3], "Consumer") ==
        ref(R"(__FilterToConsumerBinding.Consumer="CommandLineEventConsumer.Name=\"C\\\\x\"",Filter="__EventFilter.Name=\"Fil\\\"ter\"")"));
    // From another namespace the path carries the namespace.
    CHECK(prop(doc.instances[4], "Filter") == ref(R"(root\subscription:__EventFilter.Name="Fil\"ter")"));
    CHECK(prop(doc.instances[4], "Consumer") == ref(R"(\\.\root\subscription:CommandLineEventConsumer.Name="C\\x")"));
    // Paths parse back to the right objects.
    const auto path = parse_object_path(*prop(doc.instances[0], "Filter").as_string());
    REQUIRE(path);
    CHECK(path->find_key("Name")->value == "Fil\"ter");
    const snapshot snap = to_snapshot(doc);
    CHECK(snap.bindings.size() == 3);
}

TEST_CASE("integer, boolean and multi-key paths") {
    const auto doc = parse(R"(class K { [key] uint32 Id; [key] boolean On; [key] string Name; };
instance of K as $k { Id = 7; On = TRUE; Name = "n"; };
instance of X { r = $k; };)");
    INFO(errors_of(doc));
    CHECK(prop(doc.instances[1], "r") == ref(R"(K.Id=7,Name="n",On=TRUE)"));
}

TEST_CASE("unresolved, duplicate and circular aliases are located errors") {
    const auto doc = parse("instance of __FilterToConsumerBinding as $A {\n Filter = $Nope;\n Consumer = $B; };\n"
                           "instance of __FilterToConsumerBinding as $B { Filter = $A; Consumer = \"C=1\"; };\n"
                           "instance of __EventFilter as $A { Name = \"dup\"; };\ninstance of X { r = $A; };");
    CHECK(find_error(doc, errc::not_found, 2, 11) != nullptr);
    CHECK(find_error(doc, errc::syntax_error, 5, 1) != nullptr);  // $A defined twice
    bool circular = false;
    for (const error& e : doc.errors) circular = circular || e.message.find("circular") != std::string::npos;
    CHECK(circular);
    CHECK(prop(doc.instances[0], "Filter") == ref("$Nope"));  // left visibly unresolved
    CHECK(prop(doc.instances[3], "r") == ref("$A"));          // $A's own keys cannot be resolved

    const auto dup = parse("instance of __EventFilter as $D { Name = \"first\"; };\ninstance of __EventFilter as $D { "
                           "Name = \"second\"; };\n"
                           "instance of X { r = $D; };");
    CHECK(find_error(dup, errc::syntax_error, 2, 1) != nullptr);
    CHECK(prop(dup.instances[2], "r") == ref(R"(__EventFilter.Name="first")"));  // the first definition wins
}

TEST_CASE("alias chains through keys are bounded") {
    std::string text = "instance of X as $a0 { Name = \"end\"; };\n";
    for (int i = 1; i <= 100; ++i) {
        text += "instance of __FilterToConsumerBinding as $a" + std::to_string(i) + " { Filter = $a" +
                std::to_string(i - 1) + "; Consumer = \"C=1\"; };\n";
    }
    const auto doc = parse(text);
    REQUIRE(doc.instances.size() == 101);
    bool limited = false;
    for (const error& e : doc.errors) limited = limited || e.code == errc::limit_exceeded;
    CHECK(limited);
    CHECK(prop(doc.instances[2], "Filter") ==
          ref(R"(__FilterToConsumerBinding.Consumer="C=1",Filter="X.Name=\"end\"")"));
}

TEST_CASE("references by object-path string are checked") {
    const auto doc = parse("instance of __FilterToConsumerBinding {\n Filter = \"__EventFilter.Name='F'\";\n Consumer "
                           "= \"not a path!\";\n};");
    CHECK(prop(doc.instances[0], "Filter") == ref("__EventFilter.Name='F'"));
    CHECK(prop(doc.instances[0], "Consumer") == ref("not a path!"));
    CHECK(find_error(doc, errc::type_mismatch, 3) != nullptr);
}

TEST_CASE("embedded instances, alone and in arrays, with aliases inside") {
    const auto doc = parse(R"(
instance of __EventFilter as $F { Name = "F"; };
instance of Holder {
    One = instance of Win32_Process { Name = "a.exe"; Handle = "1"; };
    Many = { instance of Part { Id = 1; Ref = $F; }, instance of Part { Id = 2; Inner = instance of Part { Id = 3; }; } };
    Refs = { $F, "__EventFilter.Name=\"G\"", $F };
};)");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    const mof_instance& h = *find(doc, "Holder");
    const embedded_object* one = prop(h, "One").as_object();
    REQUIRE(one != nullptr);
    CHECK(one->class_name == "Win32_Process");
    CHECK(member(*one, "Name") == str("a.exe"));
    const value::array_type* many = prop(h, "Many").as_array();
    REQUIRE(many != nullptr);
    REQUIRE(many->size() == 2);
    CHECK(prop(h, "Many").type() == cim_type::object);
    REQUIRE((*many)[0].as_object() != nullptr);
    REQUIRE((*many)[1].as_object() != nullptr);
    CHECK(member(*(*many)[0].as_object(), "Ref") == ref(R"(__EventFilter.Name="F")"));
    const embedded_object* inner = member((*many)[1].as_object()[0], "Inner").as_object();
    REQUIRE(inner != nullptr);
    CHECK(member(*inner, "Id") == value::uint(3));
    // Path strings among aliases are references too (a reference array is an array of paths).
    CHECK(prop(h, "Refs") ==
          value::array(cim_type::reference, {ref(R"(__EventFilter.Name="F")"), ref(R"(__EventFilter.Name="G")"),
                                             ref(R"(__EventFilter.Name="F")")}));
}

TEST_CASE("qualifier arrays inside embedded instances inside arrays") {
    const auto doc = parse("instance of X { A = { 1, instance of Y { [Values{\"a\", \"b\"}] p = {7, 8}; }, 3 }; };");
    INFO(errors_of(doc));
    const value::array_type* items = prop(doc.instances.at(0), "A").as_array();
    REQUIRE(items != nullptr);
    REQUIRE(items->size() == 3);
    CHECK((*items)[0] == value::uint(1));
    CHECK((*items)[2] == value::uint(3));
    REQUIRE((*items)[1].as_object() != nullptr);
    CHECK(member(*(*items)[1].as_object(), "p") == value::array(cim_type::uint64, {value::uint(7), value::uint(8)}));
}

TEST_CASE("instance qualifiers are kept") {
    const auto doc =
        parse("#pragma namespace(\"\\\\\\\\.\\\\root\")\n[NamespaceSecuritySDDL(\"O:BAG:BAD:(A;;CCDC;;;WD)\"), "
              "RequiresEncryption]\n"
              "instance of __Namespace { Name = \"Hidden\"; };");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    REQUIRE(doc.instances.at(0).qualifiers.size() == 2);
    CHECK(doc.instances[0].qualifiers[0].argument == str("O:BAG:BAD:(A;;CCDC;;;WD)"));
    CHECK(doc.instances[0].object.origin.where.line == 3);  // the `instance` keyword, not the qualifiers
}

// ===========================================================================
// specs.md §8.3: every construct listed
// ===========================================================================

TEST_CASE("specs 8.3 constructs") {
    const auto doc = parse(R"(#pragma namespace ("\\\\.\\root\\subscription")
#pragma namespace("\\root\\subscription")
Qualifier Description : ToSubClass Amended;
#pragma deleteclass("MyClass1",FAIL)
#pragma deleteinstance("MSFT_RisingFallingTemplate.id='TestRisingFallingCorrId'", nofail)
class MyNumbers { [key] string Name; uint8 a; uint32 b; uint8 c; real64 d; char16 c16 = '\x16'; };
instance of MyNumbers { Name = "n"; a = 03; b = 0xFe; c = 11b; d = 2.3e-2; };
instance of ActiveScriptEventConsumer as $A
{
    Name = "ASEC";
    ScriptingEngine = "VBScript";
    ScriptText =
        "Dim objFS, objFile\n"
        "Set objFS = CreateObject(\"Scripting.FileSystemObject\")\n";
    CreatorSID = {1,2,0,0,0,0,0,5,32,0,0,0,32,2,0,0};
};
instance of __EventFilter as $F
{
    Name = "EF";
    Query = "SELECT * FROM __InstanceDeletionEvent WITHIN 5 "
        "WHERE TargetInstance ISA \"Win32_Process\"";
    QueryLanguage = "WQL";
};
instance of __FilterToConsumerBinding { Filter = $F; Consumer = $A; };
instance of Container { Items = { instance of Item { Id = 1; }, instance of Item { Id = 2; } }; };
)");
    INFO(errors_of(doc));
    CHECK(doc.ok());
    CHECK(doc.instances.size() == 5);
    const mof_instance& n = *find(doc, "MyNumbers");
    CHECK(prop(n, "a") == value::uint(3, cim_type::uint8));
    CHECK(prop(n, "b") == u32(254));
    CHECK(prop(n, "c") == value::uint(3, cim_type::uint8));
    CHECK(prop(n, "d") == value::real(2.3e-2));
    CHECK(doc.classes[0].properties[5].default_value == value::char16(char16_t{0x16}));
    CHECK(text_of(*find(doc, "ActiveScriptEventConsumer"), "ScriptText") ==
          "Dim objFS, objFile\nSet objFS = CreateObject(\"Scripting.FileSystemObject\")\n");
    CHECK(text_of(*find(doc, "__EventFilter"), "Query") ==
          "SELECT * FROM __InstanceDeletionEvent WITHIN 5 WHERE TargetInstance ISA \"Win32_Process\"");
    CHECK(prop(*find(doc, "__FilterToConsumerBinding"), "Consumer") == ref(R"(ActiveScriptEventConsumer.Name="ASEC")"));
    CHECK(prop(*find(doc, "Container"), "Items").as_array()->size() == 2);
    CHECK(doc.deletions.size() == 2);
    CHECK(doc.qualifier_decls.size() == 1);
    CHECK(doc.instances[1].object.namespace_path == "root\\subscription");
}

// ===========================================================================
// Error recovery and locations
// ===========================================================================

TEST_CASE("a broken instance does not hide the next") {
    const auto doc =
        parse("instance of __EventFilter as $Bad {\n  Name = \"bad\";\n  Query = ;\n  QueryLanguage = \"WQL\";\n};\n"
              "instance of CommandLineEventConsumer as $C { Name = \"good\"; CommandLineTemplate = \"calc\"; };\n"
              "instance of __FilterToConsumerBinding { Filter = $Bad; Consumer = $C; };");
    REQUIRE(doc.errors.size() == 1);
    CHECK(doc.errors[0].code == errc::syntax_error);
    CHECK(doc.errors[0].location.line == 3);
    CHECK(doc.errors[0].location.column == 11);
    REQUIRE(doc.instances.size() == 3);
    CHECK_FALSE(doc.instances[0].complete);
    CHECK(text_of(doc.instances[0], "QueryLanguage") == "WQL");  // properties after the broken one survive
    CHECK(doc.instances[1].complete);
    CHECK(prop(doc.instances[2], "Filter") == ref(R"(__EventFilter.Name="bad")"));
}

TEST_CASE("recovery after a missing brace, a missing semicolon, garbage and stray tokens") {
    const auto doc = parse("instance of __EventFilter { Name = \"one\";\n"      // no closing brace
                           "instance of __EventFilter { Name = \"two\"; }\n"    // no semicolon
                           "instance of __EventFilter { Name = \"three\" };\n"  // no semicolon after the value
                           "garbage here ) ;\n"
                           "} } ;\n"
                           "instance of __EventFilter { Name = \"four\"; };\n"
                           "instance of { };\n"
                           "instance of __EventFilter { Name = \"five\"; };\n"
                           "#bogus directive\n"
                           "instance of __EventFilter { Name = \"six\"; };");
    for (const char* name : {"one", "two", "three", "four", "five", "six"}) {
        INFO(std::string(name));
        CHECK(find(doc, "__EventFilter", name) != nullptr);
    }
    CHECK_FALSE(find(doc, "__EventFilter", "one")->complete);
    CHECK(find(doc, "__EventFilter", "two")->complete);
    CHECK(find_error(doc, errc::syntax_error, 2, 1) != nullptr);   // '}' expected before `instance`
    CHECK(find_error(doc, errc::syntax_error, 3, 1) != nullptr);   // ';' expected after the instance
    CHECK(find_error(doc, errc::syntax_error, 3, 44) != nullptr);  // ';' expected after "three"
    CHECK(find_error(doc, errc::syntax_error, 4, 1) != nullptr);   // garbage
    CHECK(find_error(doc, errc::syntax_error, 7, 13) != nullptr);  // class name expected
    CHECK(find_error(doc, errc::syntax_error, 9, 1) != nullptr);   // unknown directive
}

TEST_CASE("unterminated strings and comments") {
    const auto doc = parse("instance of __EventFilter { Name = \"open;\n  Query = \"q\"; };\ninstance of __EventFilter "
                           "{ Name = \"next\"; };\n/* never closed\ninstance of X {};");
    CHECK(find_error(doc, errc::syntax_error, 1, 36) != nullptr);
    CHECK(find_error(doc, errc::syntax_error, 4, 1) != nullptr);
    CHECK(find(doc, "__EventFilter", "next") != nullptr);
    CHECK(find(doc, "X") == nullptr);
    CHECK(text_of(doc.instances[0], "Query") == "q");
}

TEST_CASE("the number of errors is limited") {
    std::string text;
    for (int i = 0; i < 50; ++i) text += "instance of X { a = ; };\n";
    text += "instance of X { b = 1; };";
    mof_options options;
    options.max_errors = 10;
    const auto doc = parse(text, options);
    REQUIRE(doc.errors.size() == 11);
    CHECK(doc.errors.back().code == errc::limit_exceeded);
    CHECK(doc.errors.back().message.find("parsing goes on") != std::string::npos);
    // The instance after the errors is still read: warnings must not hide what follows them.
    const bool last_read = std::any_of(doc.instances.begin(), doc.instances.end(),
                                       [](const mof_instance& mi) { return mi.object.get("b") != nullptr; });
    CHECK(last_read);
}

TEST_CASE("declarations, input size, cancellation") {
    mof_options options;
    options.max_declarations = 3;
    const auto many =
        parse("instance of X {}; instance of X {}; instance of X {}; instance of X {}; instance of X {};", options);
    CHECK(many.instances.size() == 3);
    CHECK(many.errors.back().code == errc::limit_exceeded);

    mof_options small;
    small.max_input_bytes = 10;
    const auto big = parse("instance of X {};", small);
    REQUIRE(big.errors.size() == 1);
    CHECK(big.errors[0].code == errc::limit_exceeded);

    std::atomic<bool> cancel{true};
    mof_options cancelled;
    cancelled.cancel = &cancel;
    const auto stop = parse("instance of X {};", cancelled);
    CHECK(stop.instances.empty());
    CHECK(stop.errors.back().code == errc::cancelled);
}

// ===========================================================================
// Limits and hostile input
// ===========================================================================

TEST_CASE("the deadline stops a parse inside one huge declaration, not only between declarations") {
    // About 16 MB in one declaration: longer to parse than any deadline below, even optimised.
    std::string text = "instance of __EventFilter { Name = \"big\";";
    for (int property = 0; property < 4; ++property) {
        text += " Values" + std::to_string(property) + " = {";
        for (int i = 0; i < 500000; ++i) text += (i == 0 ? "" : ",") + std::to_string(i);
        text += "};";
    }
    text += " };";
    // A deadline shorter than the work before the first declaration (copying and checking 16 MB,
    // slow under sanitizers) stops the parse at column 1; one longer than the whole parse lets it
    // finish. Doubling from 1 ms finds one in between on any machine, where the parse must stop
    // inside the declaration.
    mof_options late;
    bool stopped_inside = false;
    bool finished = false;
    const auto start = std::chrono::steady_clock::now();
    for (int ms = 1; ms <= 16384 && !stopped_inside && !finished; ms *= 2) {
        late.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        const auto doc = parse(text, late);
        finished = doc.errors.empty();
        if (finished) break;
        CHECK(doc.errors.back().code == errc::timeout);
        for (const mof_instance& cut : doc.instances) {  // what was read is kept, cut where the parse stopped
            CHECK(cut.object.get("Values3") == nullptr);
        }
        stopped_inside = doc.errors.back().location.column > 1;
    }
    CHECK(stopped_inside);
    CHECK_FALSE(finished);

    const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                       ("wmisub_deadline_" + std::to_string(start.time_since_epoch().count()) + ".mof");
    std::ofstream(file, std::ios::binary) << text;
    const auto from_file = parse_mof_file(file, late);  // deadline already passed: stops while reading
    std::filesystem::remove(file);
    REQUIRE_FALSE(from_file.errors.empty());
    CHECK(from_file.errors.back().code == errc::timeout);
}

TEST_CASE("deep nesting of embedded instances is limited, not a crash") {
    std::string text = "instance of X { p = ";
    for (int i = 0; i < 5000; ++i) text += "instance of X { p = ";
    text += "1";
    for (int i = 0; i < 5000; ++i) text += "; }";
    text += "; };\ninstance of Y { ok = TRUE; };";
    const auto doc = parse(text);
    REQUIRE_FALSE(doc.errors.empty());
    CHECK(doc.errors[0].code == errc::limit_exceeded);
    CHECK(find(doc, "Y") != nullptr);

    std::string arrays = "instance of X { p = ";
    for (int i = 0; i < 5000; ++i) arrays += "{";
    const auto nested = parse(arrays);
    CHECK_FALSE(nested.errors.empty());

    std::string braces(100000, '{');
    CHECK_FALSE(parse(braces).errors.empty());
}

TEST_CASE("huge arrays are limited") {
    std::string text = "instance of X { a = {";
    for (int i = 0; i < 1000; ++i) text += "1,";
    text += "1}; };";
    mof_options options;
    options.max_array_elements = 100;
    const auto doc = parse(text, options);
    REQUIRE_FALSE(doc.errors.empty());
    CHECK(doc.errors[0].code == errc::limit_exceeded);
    CHECK(parse(text).ok());  // 1001 elements are fine by default
}

TEST_CASE("binary MOF and binary data are reported as unsupported, never parsed") {
    const std::string bmof =
        std::string("FOMB\x01\x00\x00\x00\x10\x00\x00\x00\x20\x00\x00\x00", 16) + std::string(16, '\x7f');
    CHECK(is_binary_mof(bmof));
    const auto doc = parse(bmof);
    REQUIRE(doc.errors.size() == 1);
    CHECK(doc.errors[0].code == errc::unsupported);
    CHECK(doc.errors[0].message.find("FOMB") != std::string::npos);
    CHECK(doc.errors[0].location.source == "test.mof");

    const std::string junk("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00\x00\x00\x00\x00",
                           24);
    CHECK(is_binary_mof(junk));
    CHECK(parse(junk).errors.at(0).code == errc::unsupported);
    // Little-endian binary structures have NULs in every other byte, like UTF-16 text, but do not decode to text.
    std::string words;
    for (std::uint16_t i = 0; i < 64; ++i) words += std::string{static_cast<char>(i % 7), '\0'};
    CHECK(is_binary_mof(words));
    CHECK_FALSE(is_binary_mof("instance of X {};"));
    CHECK_FALSE(is_binary_mof(utf16("instance of X {};", false)));
    // BOM-less UTF-16 (mostly ASCII) is text, decoded like any other.
    const std::string no_bom = utf16("instance of __EventFilter { Name = \"x\"; };", false).substr(2);
    CHECK_FALSE(is_binary_mof(no_bom));
    CHECK(parse(no_bom).instances.size() == 1);
}

TEST_CASE("empty and trivial inputs") {
    CHECK(parse("").ok());
    CHECK(parse("\xEF\xBB\xBF").ok());
    CHECK(parse("   // only a comment").ok());
    CHECK(parse(";;;").ok());
    CHECK_FALSE(parse("instance").ok());
    CHECK_FALSE(parse("instance of").ok());
    CHECK_FALSE(parse("#pragma").ok());
    CHECK_FALSE(parse("[").ok());
    CHECK_FALSE(parse("class").ok());
    CHECK_FALSE(parse("qualifier q :").ok());
}

TEST_CASE("to_snapshot types instances and carries the errors") {
    const auto doc = parse("instance of __EventFilter { Name = \"F\"; Query = \"SELECT * FROM __TimerEvent\"; };\n"
                           "instance of CommandLineEventConsumer { CommandLineTemplate = \"calc\"; };\n"
                           "instance of Win32_Thing { X = 1; };");
    const snapshot snap = to_snapshot(doc);
    CHECK(snap.filters.size() == 1);
    CHECK(snap.filters[0].origin.kind == source_kind::mof);
    CHECK(snap.filters[0].origin.where.to_string() == "test.mof:1:1");
    CHECK(snap.other_objects.size() == 2);  // the keyless consumer is kept, with its errors
    CHECK(snap.errors.size() == 2);
}

// ===========================================================================
// The published samples in ../shared/data/mof
// ===========================================================================

TEST_CASE("sample: Atomic Red Team T1546.003 MOF") {
    WMISUB_REQUIRE_SHARED(file, "mof/art_T1546.003.mof");
    const auto doc = parse_mof_file(file);
    INFO(errors_of(doc));
    CHECK(doc.ok());
    CHECK(doc.asks_autorecover());
    CHECK(doc.instances.size() == 3);
    const char* ns = "root\\subscription";
    check_object(doc, {"CommandLineEventConsumer",
                       "AtomicRedTeam_consumer",
                       ns,
                       3,
                       {{"RunInteractively", value::boolean(false)}, {"CommandLineTemplate", str("cmd.exe")}}});
    check_object(
        doc, {"__EventFilter",
              "AtomicRedTeam_filter",
              ns,
              9,
              {{"EventNamespace", str("root\\subscription")},
               {"Query", str("SELECT * FROM __InstanceCreationEvent Within 3Where TargetInstance Isa \"Win32_Process\" "
                             "And Targetinstance.Name = \"notepad.exe\" ")},
               {"QueryLanguage", str("WQL")}}});
    check_object(doc, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       18,
                       {{"Filter", ref("__EventFilter.Name=\"AtomicRedTeam_filter\"")},
                        {"Consumer", ref("CommandLineEventConsumer.Name=\"AtomicRedTeam_consumer\"")}}});
    CHECK(doc.instances[0].object.origin.where.source.ends_with("art_T1546.003.mof"));
}

TEST_CASE("sample: Metasploit-style auto-compiled MOF") {
    WMISUB_REQUIRE_SHARED(file, "mof/metasploit_wbemexec_generated.mof");
    const auto doc = parse_mof_file(file);
    INFO(errors_of(doc));
    CHECK(doc.ok());
    const char* ns = "root\\cimv2";
    REQUIRE(doc.classes.size() == 2);
    CHECK(doc.classes[0].name == "MyClass31337");
    CHECK(doc.classes[1].name == "ActiveScriptEventConsumer");
    CHECK(doc.classes[1].is_consumer());
    check_object(doc, {"__Win32Provider",
                       "ActiveScriptEventConsumer",
                       ns,
                       14,
                       {{"CLSID", str("{266c72e7-62e8-11d1-ad89-00c04fd8fdff}")},
                        {"PerUserInitialization", value::boolean(true)}}});
    check_object(doc, {"__EventConsumerProviderRegistration",
                       "",
                       ns,
                       20,
                       {{"Provider", ref("__Win32Provider.Name=\"ActiveScriptEventConsumer\"")},
                        {"ConsumerClassNames", value::strings({"ActiveScriptEventConsumer"})}}});
    check_object(doc, {"ActiveScriptEventConsumer", "ASEC", ns, 25, {{"ScriptingEngine", str("JScript")}}});
    check_object(doc, {"ActiveScriptEventConsumer", "qndASEC", ns, 32, {{"ScriptingEngine", str("JScript")}}});
    CHECK(text_of(*find(doc, "ActiveScriptEventConsumer", "ASEC"), "ScriptText")
              .starts_with("\ntry {var s = new ActiveXObject(\"Wscript.Shell\");\ns.Run(\"evil.exe\");}"));
    CHECK(text_of(*find(doc, "ActiveScriptEventConsumer", "qndASEC"), "ScriptText")
              .find("wbem\\\\mof\\\\good\\\\evil.mof") != std::string::npos);
    check_object(
        doc, {"__EventFilter",
              "instfilt",
              ns,
              38,
              {{"Query", str("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.__class = \"MyClass31337\"")},
               {"QueryLanguage", str("WQL")}}});
    check_object(
        doc,
        {"__EventFilter",
         "qndfilt",
         ns,
         44,
         {{"Query", str("SELECT * FROM __InstanceDeletionEvent WITHIN 1 WHERE TargetInstance ISA \"Win32_Process\" AND "
                        "TargetInstance.Name = \"evil.exe\"")}}});
    check_object(doc, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       51,
                       {{"Consumer", ref("ActiveScriptEventConsumer.Name=\"ASEC\"")},
                        {"Filter", ref("__EventFilter.Name=\"instfilt\"")}}});
    check_object(doc, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       56,
                       {{"Consumer", ref("ActiveScriptEventConsumer.Name=\"qndASEC\"")},
                        {"Filter", ref("__EventFilter.Name=\"qndfilt\"")}}});
    check_object(doc, {"MyClass31337", "ClassConsumer", ns, 61, {}});
    const snapshot snap = to_snapshot(doc);
    CHECK(snap.filters.size() == 2);
    CHECK(snap.consumers.size() == 2);
    CHECK(snap.bindings.size() == 2);
    CHECK(snap.other_objects.size() == 3);
    CHECK(snap.errors.empty());
    CHECK(find(doc, "ActiveScriptEventConsumer")->object.derivation.front() == "__EventConsumer");
}

TEST_CASE("sample: MS Docs ActiveScript consumers (external file and inline script)") {
    WMISUB_REQUIRE_SHARED(external, "mof/msdocs_activescript_external.mof");
    WMISUB_REQUIRE_SHARED(inline_file, "mof/msdocs_activescript_inline.mof");
    const char* ns = "root\\subscription";
    const value query = str("SELECT * FROM __InstanceDeletionEvent WITHIN 5 WHERE TargetInstance ISA \"Win32_Process\" "
                            "AND TargetInstance.Name = \"calc.exe\"");
    const auto ext = parse_mof_file(external);
    INFO(errors_of(ext));
    CHECK(ext.ok());
    CHECK(ext.instances.size() == 3);
    check_object(ext, {"ActiveScriptEventConsumer",
                       "ASEC",
                       ns,
                       3,
                       {{"ScriptingEngine", str("VBScript")}, {"ScriptFileName", str("c:\\asec2.vbs")}}});
    check_object(ext, {"__EventFilter",
                       "EF",
                       ns,
                       10,
                       {{"Query", query}, {"QueryLanguage", str("WQL")}, {"EventNamespace", str("root\\cimv2")}}});
    check_object(ext, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       20,
                       {{"Filter", ref("__EventFilter.Name=\"EF\"")},
                        {"Consumer", ref("ActiveScriptEventConsumer.Name=\"ASEC\"")}}});
    const auto inl = parse_mof_file(inline_file);
    CHECK(inl.ok());
    CHECK(inl.instances.size() == 3);
    check_object(
        inl, {"ActiveScriptEventConsumer",
              "ASEC",
              ns,
              3,
              {{"ScriptingEngine", str("VBScript")},
               {"ScriptText",
                str("Dim objFS, objFile\nSet objFS = CreateObject(\"Scripting.FileSystemObject\")\n"
                    "Set objFile = objFS.OpenTextFile(\"C:\\ASEC.log\", 8, true)\n"
                    "objFile.WriteLine \"Time: \" & Now & \"; Entry made by: ASEC\"\n"
                    "objFile.WriteLine \"Application closed. UserModeTime:  \" & "
                    "TargetEvent.TargetInstance.UserModeTime &_\n\"; KernelModeTime: \" & "
                    "TargetEvent.TargetInstance.KernelModeTime & \" [hundreds of nanoseconds]\"\nobjFile.Close\n")}}});
    check_object(inl, {"__EventFilter", "EF", ns, 22, {{"Query", query}, {"EventNamespace", str("root\\cimv2")}}});
    check_object(inl, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       32,
                       {{"Filter", ref("__EventFilter.Name=\"EF\"")},
                        {"Consumer", ref("ActiveScriptEventConsumer.Name=\"ASEC\"")}}});
}

TEST_CASE("sample: MS Docs CommandLineEventConsumer") {
    WMISUB_REQUIRE_SHARED(file, "mof/msdocs_commandline.mof");
    const auto doc = parse_mof_file(file);
    INFO(errors_of(doc));
    CHECK(doc.ok());
    const char* ns = "Root\\subscription";
    REQUIRE(doc.classes.size() == 1);
    CHECK(doc.classes[0].key_names == std::vector<std::string>{"Name"});
    check_object(doc, {"CommandLineEventConsumer",
                       "CmdLineConsumer_Example",
                       ns,
                       14,
                       {{"CommandLineTemplate", str("c:\\cmdline_test.bat")},
                        {"RunInteractively", value::boolean(true)},
                        {"WorkingDirectory", str("c:\\")}}});
    check_object(
        doc,
        {"__EventFilter",
         "CmdLineFilter",
         ns,
         27,
         {{"Query", str("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.__class = \"MyCmdLineConsumer\"")},
          {"QueryLanguage", str("WQL")}}});
    check_object(doc, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       38,
                       {{"Consumer", ref("CommandLineEventConsumer.Name=\"CmdLineConsumer_Example\"")},
                        {"Filter", ref("__EventFilter.Name=\"CmdLineFilter\"")}}});
    check_object(doc, {"MyCmdLineConsumer", "CmdLineEventConsumer test", ns, 49, {}});
    CHECK(find(doc, "MyCmdLineConsumer")->object.key_names == std::vector<std::string>{"Name"});
}

TEST_CASE("sample: MS Docs cross-namespace subscription (malformed: the consumer has no Name key)") {
    WMISUB_REQUIRE_SHARED(file, "mof/msdocs_cross_namespace.mof");
    const auto doc = parse_mof_file(file);
    const char* ns = "root\\subscription";
    // As published, the consumer lacks its key: mofcomp would refuse it. Reported, and everything kept.
    REQUIRE(doc.errors.size() == 1);
    CHECK(doc.errors[0].code == errc::missing_field);
    CHECK(doc.errors[0].location.line == 16);
    CHECK(doc.errors[0].location.column == 1);
    REQUIRE(doc.instances.size() == 3);
    check_object(
        doc,
        {"__EventFilter",
         "Filter",
         ns,
         3,
         {{"Query", str("SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA \"Win32_LocalTime\" AND "
                        "TargetInstance.Hour = 8 AND TargetInstance.Minute = 0 AND TargetInstance.Second = 0 AND "
                        "TargetInstance.DayOfWeek = 6")},
          {"EventNamespace", str("root\\cimv2")}}});
    check_object(doc, {"CommandLineEventConsumer",
                       "",
                       ns,
                       16,
                       {{"ExecutablePath", str("cmd.exe")},
                        {"ShowWindowCommand", u32(7)},
                        {"RunInteractively", value::boolean(true)}}});
    check_object(doc,
                 {"__FilterToConsumerBinding",
                  "",
                  ns,
                  23,
                  {{"Consumer", ref("CommandLineEventConsumer")}, {"Filter", ref("__EventFilter.Name=\"Filter\"")}}});
    const snapshot snap = to_snapshot(doc);
    CHECK(snap.filters.size() == 1);
    CHECK(snap.bindings.size() == 1);
    CHECK(snap.other_objects.size() == 1);  // the keyless consumer, kept
}

TEST_CASE("sample: MS Docs LogFileEventConsumer") {
    WMISUB_REQUIRE_SHARED(file, "mof/msdocs_logfile.mof");
    const auto doc = parse_mof_file(file);
    INFO(errors_of(doc));
    CHECK(doc.ok());
    const char* ns = "Root\\subscription";
    check_object(doc, {"LogFileEventConsumer",
                       "LogfileEventConsumer_Example",
                       ns,
                       15,
                       {{"Filename", str("c:\\Logfile.log")},
                        {"IsUnicode", value::boolean(false)},
                        {"Text", str("%TargetInstance.Name%")}}});
    check_object(
        doc,
        {"__EventFilter",
         "LogFileFilter",
         ns,
         34,
         {{"Query", str("SELECT * FROM __InstanceOperationEvent WHERE TargetInstance.__class = \"LogFileEvent\"")}}});
    check_object(doc, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       44,
                       {{"Consumer", ref("LogFileEventConsumer.Name=\"LogfileEventConsumer_Example\"")},
                        {"Filter", ref("__EventFilter.Name=\"LogFileFilter\"")},
                        {"DeliverSynchronously", value::boolean(false)}}});
    check_object(doc, {"LogFileEvent", "Logfile Event Consumer event", ns, 55, {}});
}

TEST_CASE("sample: MS Docs NTEventLogEventConsumer") {
    WMISUB_REQUIRE_SHARED(file, "mof/msdocs_nteventlog.mof");
    const auto doc = parse_mof_file(file);
    INFO(errors_of(doc));
    CHECK(doc.ok());
    const char* ns = "Root\\subscription";
    check_object(doc, {"NTEventLogEventConsumer",
                       "NTConsumerTest",
                       ns,
                       15,
                       {{"SourceName", str("WinMgmt")},
                        {"EventID", u32(0xC000000A)},
                        {"EventType", u32(1)},
                        {"Category", u16(0)},
                        {"NumberOfInsertionStrings", u32(3)},
                        {"InsertionStringTemplates",
                         value::strings({"%TargetInstance.Name%", "%TargetInstance.InsertionString%", "STRING3"})}}});
    check_object(
        doc,
        {"__EventFilter",
         "NTLogConsFilter",
         ns,
         41,
         {{"Query", str("SELECT * from __InstanceOperationEvent WHERE TargetInstance ISA \"NTLogCons_Example\"")}}});
    check_object(doc, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       53,
                       {{"Consumer", ref("NTEventLogEventConsumer.Name=\"NTConsumerTest\"")},
                        {"Filter", ref("__EventFilter.Name=\"NTLogConsFilter\"")}}});
    check_object(doc,
                 {"NTLogCons_Example", "", ns, 61, {{"name", str("STRING1")}, {"InsertionString", str("STRING2")}}});
}

TEST_CASE("sample: MS Docs provider-operation log file subscription (autorecover)") {
    WMISUB_REQUIRE_SHARED(file, "mof/msdocs_provider_operation_logfile.mof");
    const auto doc = parse_mof_file(file);
    INFO(errors_of(doc));
    CHECK(doc.ok());
    REQUIRE(doc.autorecover.size() == 1);
    CHECK(doc.autorecover[0].line == 1);
    const char* ns = "root\\subscription";
    check_object(doc, {"__EventFilter",
                       "ProviderOperationEvents",
                       ns,
                       4,
                       {{"EventNamespace", str("root\\cimv2")},
                        {"Query", str("SELECT * FROM MSFT_WmiProvider_OperationEvent")}}});
    check_object(doc, {"LogFileEventConsumer",
                       "ProviderOperationEvents",
                       ns,
                       12,
                       {{"FileName", str("C:\\test.txt")}, {"Text", str("Operation - %__TEXT%")}}});
    check_object(doc, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       19,
                       {{"Filter", ref("__EventFilter.Name=\"ProviderOperationEvents\"")},
                        {"Consumer", ref("LogFileEventConsumer.Name=\"ProviderOperationEvents\"")},
                        {"MaintainSecurityContext", value::boolean(true)}}});
    const snapshot snap = to_snapshot(doc);
    REQUIRE(snap.consumers.size() == 1);
    CHECK(*std::get<log_file_consumer>(snap.consumers[0]).filename == "C:\\test.txt");  // `FileName` matches `Filename`
}

TEST_CASE("sample: MS Docs Run-key NTEventLog subscription") {
    WMISUB_REQUIRE_SHARED(file, "mof/msdocs_runkey_nteventlog.mof");
    const auto doc = parse_mof_file(file);
    INFO(errors_of(doc));
    CHECK(doc.ok());
    const char* ns = "root\\subscription";
    check_object(doc, {"__EventFilter",
                       "RunKeyFilter",
                       ns,
                       3,
                       {{"Query", str("Select * from RegistryTreeChangeEvent where (Hive = \"HKEY_LOCAL_MACHINE\" and "
                                      "KeyPath = \"Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run\")")},
                        {"EventNamespace", str("root\\default")}}});
    check_object(
        doc,
        {"NTEventLogEventConsumer",
         "RunKeyEventlogConsumer",
         ns,
         17,
         {{"SourceName", str("WSH")},
          {"EventID", u32(8)},
          {"EventType", u32(2)},
          {"Category", u16(0)},
          {"NumberOfInsertionStrings", u32(1)},
          {"InsertionStringTemplates",
           value::strings({"The key %Hive%\\%RootPath% has been modified. Check if the change is intentional"})}}});
    check_object(doc, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       34,
                       {{"Filter", ref("__EventFilter.Name=\"RunKeyFilter\"")},
                        {"Consumer", ref("NTEventLogEventConsumer.Name=\"RunKeyEventlogConsumer\"")}}});
}

TEST_CASE("sample: MS Docs SMTP consumer") {
    WMISUB_REQUIRE_SHARED(file, "mof/msdocs_smtp.mof");
    const auto doc = parse_mof_file(file);
    INFO(errors_of(doc));
    CHECK(doc.ok());
    const char* ns = "root\\subscription";
    check_object(
        doc,
        {"__EventFilter",
         "LowDiskspaceFilter",
         ns,
         3,
         {{"EventNamespace", str("\\\\.\\root\\cimv2")},
          {"Query",
           str("SELECT * FROM __InstanceModificationEvent WITHIN 10 WHERE TargetInstance ISA \"Win32_LogicalDisk\" "
               "AND TargetInstance.FreeSpace < 846000000 AND PreviousInstance.FreeSpace >= 846000000 AND "
               "(TargetInstance.DeviceID = \"C:\" OR TargetInstance.DeviceID = \"D:\")")}}});
    check_object(doc, {"SMTPEventConsumer",
                       "LowDisk",
                       ns,
                       19,
                       {{"ToLine", str("SysAd@MyCompany.com, MyAlias@MyCompany.com")},
                        {"CcLine", str("MyHome@MyISP.com")},
                        {"ReplyToLine", str("MyAlias@MyCompany.com")},
                        {"SMTPServer", str("SmartHost")},
                        {"Subject", str("WARNING: Low disk space")},
                        {"Message", str("WARNING: Your %TargetInstance.DeviceID% is getting dangerously low.")}}});
    check_object(doc, {"__FilterToConsumerBinding",
                       "",
                       ns,
                       31,
                       {{"Consumer", ref("SMTPEventConsumer.Name=\"LowDisk\"")},
                        {"Filter", ref("__EventFilter.Name=\"LowDiskspaceFilter\"")}}});
}

TEST_CASE("every sample file parses, also as UTF-16 and with every line break doubled") {
    WMISUB_REQUIRE_SHARED(dir, "mof");
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string bytes = wmisub_test::read_file(entry.path());
        const auto plain = parse(bytes);
        for (const bool big_endian : {false, true}) {
            const auto wide = parse(utf16(bytes, big_endian));
            REQUIRE(wide.instances.size() == plain.instances.size());
            CHECK(wide.errors.size() == plain.errors.size());
            for (std::size_t i = 0; i < plain.instances.size(); ++i) {
                CHECK(wide.instances[i].object.properties == plain.instances[i].object.properties);
            }
        }
        ++files;
    }
    CHECK(files >= 11);
}

// ===========================================================================
// Corpus subscriptions rendered as hostile MOF come back unchanged
// ===========================================================================

namespace {

// How a subscription is disguised.
struct mof_style {
    const char* name;
    bool split = false;     // strings cut into adjacent literals, comments and line breaks between
    bool hex = false;       // every character of every string as a \xHHHH escape
    bool comments = false;  // a comment between every two tokens
    bool shout = false;     // keywords and literals in odd case, integers in hex
    int encoding = 0;       // 0 UTF-8, 1 UTF-16LE, 2 UTF-16BE (with BOM)
    int ns_variant = 0;     // how #pragma namespace is spelled (see namespace_pragmas)
    bool bind_by_path = false;
};

const mof_style styles[] = {
    {"plain", false, false, false, false, 0, 0, false},
    {"split", true, false, false, false, 0, 1, true},
    {"hex", false, true, false, false, 0, 2, false},
    {"comments+case", false, false, true, true, 0, 3, true},
    {"utf16le split+comments", true, false, true, false, 1, 4, false},
    {"utf16be hex+case", false, true, false, true, 2, 5, true},
    {"everything", true, true, true, true, 1, 6, false},
};

// Flips the case of every other letter: "instance" -> "iNsTaNcE".
std::string odd_case(std::string_view word) {
    std::string out(word);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const char c = out[i];
        if (i % 2 == 1 && c >= 'a' && c <= 'z') out[i] = static_cast<char>(c - 'a' + 'A');
        if (i % 2 == 0 && c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

class mof_writer {
public:
    explicit mof_writer(const mof_style& style) : style_(style) {}

    std::string text;

    // A token, after a separator (a comment in the comments style).
    void token(std::string_view t) {
        static const char* const separators[] = {" /* x */ ", "\n// line comment\n", "/**/", " /* multi\n line */\t"};
        if (!text.empty()) text += style_.comments ? separators[count_++ % 4] : " ";
        text += t;
    }
    void keyword(std::string_view k) { token(style_.shout ? odd_case(k) : std::string(k)); }
    void line() { text += '\n'; }

    // A string literal, or several adjacent ones, spelling `s`.
    void string(std::string_view s) {
        if (!style_.split || s.empty()) {
            token(literal(s));
            return;
        }
        std::size_t pos = 0;
        for (std::size_t piece = 0; pos < s.size(); ++piece) {
            std::size_t end = pos;
            for (std::size_t n = 0; end < s.size() && n < 1 + piece % 5; ++n) end += detail::decode_utf8(s, end).length;
            if (piece > 0) text += (piece % 2 == 0) ? " /* split */\n   " : "\n// more\n";
            text += literal(s.substr(pos, end - pos));
            pos = end;
        }
    }

    void value(const wmisub::value& v) {
        if (const auto* items = v.as_array()) {
            token("{");
            for (std::size_t i = 0; i < items->size(); ++i) {
                if (i > 0) token(",");
                value((*items)[i]);
            }
            token("}");
        } else if (v.is_null()) {
            keyword("NULL");
        } else if (const auto b = v.as_bool()) {
            keyword(*b ? "TRUE" : "FALSE");
        } else if (const std::string* s = v.as_string()) {
            string(*s);
        } else if (const auto i = v.as_int(); i && *i < 0) {
            token(std::to_string(*i));
        } else if (const auto u = v.as_uint()) {
            char hex[32];
            std::snprintf(hex, sizeof hex, "0x%llX", static_cast<unsigned long long>(*u));
            token(style_.shout ? std::string(hex) : std::to_string(*u));
        }
    }

private:
    [[nodiscard]] std::string literal(std::string_view s) const {
        std::string out = "\"";
        if (style_.hex) {
            char buf[8];
            for (const char16_t unit : utf8_to_utf16(s)) {
                std::snprintf(buf, sizeof buf, "\\x%04X", static_cast<unsigned>(unit));
                out += buf;
            }
            return out + "\"";
        }
        for (const char c : s) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: out += c;
            }
        }
        return out + "\"";
    }

    const mof_style& style_;
    std::size_t count_ = 0;
};

void write_instance(mof_writer& w, std::string_view cls, std::string_view alias, const std::vector<property>& props) {
    w.line();
    w.keyword("instance");
    w.keyword("of");
    w.token(cls);
    if (!alias.empty()) {
        w.keyword("as");
        w.token("$" + std::string(alias));
    }
    w.token("{");
    for (const property& p : props) {
        w.line();
        w.token(p.name);
        w.token("=");
        w.value(p.value);
        w.token(";");
    }
    w.token("}");
    w.token(";");
}

#ifdef WMISUB_TEST_HAS_CORPUS

// `#pragma namespace` lines that put what follows in `ns` (for variant 5, a decoy comes first).
void namespace_pragma(mof_writer& w, const mof_style& style, const std::string& ns, int variant) {
    std::vector<std::string> names;
    for (std::size_t begin = 0; begin <= ns.size();) {
        const std::size_t end = std::min(ns.find('\\', begin), ns.size());
        names.push_back(ns.substr(begin, end - begin));
        begin = end + 1;
    }
    const auto join = [&](std::string_view sep, std::size_t from) {
        std::string out;
        for (std::size_t i = from; i < names.size(); ++i)
            out += (i > from ? std::string(sep) : std::string()) + names[i];
        return out;
    };
    const auto pragma = [&](const std::string& path) {
        w.line();
        w.text += style.shout ? "#PRAGMA NAMESPACE (" : "#pragma namespace(";
        mof_writer arg(style);
        arg.string(path);
        w.text += arg.text + ")\n";
    };
    switch (variant) {
    case 0: pragma("\\\\.\\" + join("\\", 0)); break;
    case 1: pragma("\\" + join("\\", 0)); break;
    case 2: pragma("//./" + join("/", 0)); break;
    case 3:
        pragma("\\\\.\\" + names[0]);
        pragma(join("\\", 1));  // relative to root
        break;
    case 4: pragma(join("/", 0)); break;
    case 5: pragma("\\\\.\\root\\cimv2\\decoy"); break;  // the caller writes a decoy, then switches
    default: pragma("\\\\LOCALHOST\\" + join("\\", 0)); break;
    }
}

// CreatorSID appears as `S-1-…` text in the corpus; in MOF it is the uint8[] WMI stores.
std::vector<property> mof_properties(const instance& in) {
    std::vector<property> out = in.properties;
    for (property& p : out) {
        if (iequals(p.name, "CreatorSID") && p.value.as_string() != nullptr) {
            if (auto bytes = parse_sid(*p.value.as_string())) p.value = value::bytes(*bytes);
        }
    }
    return out;
}

// Values equal as WMI data: the width of integers and the type of a NULL aside.
bool same_value(const value& a, const value& b) {
    if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
    if (a.is_array() != b.is_array()) return false;
    if (const auto* items = a.as_array()) {
        const auto* other = b.as_array();
        if (other == nullptr || items->size() != other->size()) return false;
        for (std::size_t i = 0; i < items->size(); ++i) {
            if (!same_value((*items)[i], (*other)[i])) return false;
        }
        return true;
    }
    if (a.as_string() != nullptr || b.as_string() != nullptr) {
        return a.as_string() != nullptr && b.as_string() != nullptr && *a.as_string() == *b.as_string();
    }
    if (a.as_bool() || b.as_bool()) return a.as_bool() == b.as_bool();
    if (a.as_int() && b.as_int()) return *a.as_int() == *b.as_int();
    if (a.as_uint() && b.as_uint()) return *a.as_uint() == *b.as_uint();
    return a.as_real() == b.as_real();
}

void check_round_trip(const instance& expected, const mof_instance* got, const std::string& ns) {
    REQUIRE(got != nullptr);
    CHECK(iequals(got->object.namespace_path, ns));
    const std::vector<property> props = mof_properties(expected);
    CHECK(got->object.properties.size() == props.size());
    for (const property& p : props) {
        INFO("property ", p.name, " = ", to_mof(p.value));
        const value* v = got->object.get(p.name);
        REQUIRE(v != nullptr);
        CHECK(same_value(*v, p.value));
    }
}

void check_reference(const value& v, std::string_view cls, const value* key) {
    REQUIRE(v.as_string() != nullptr);
    INFO("reference ", *v.as_string());
    const auto path = parse_object_path(*v.as_string());
    REQUIRE(path);
    CHECK(iequals(path->class_name, cls));
    if (key != nullptr && key->as_string() != nullptr) {
        REQUIRE(path->find_key("Name") != nullptr);
        CHECK(path->find_key("Name")->value == *key->as_string());
    }
}

// The corpus entry as hostile MOF text (still UTF-8; encoded by the caller).
std::string render(const wmisub_test::corpus_entry& e, const mof_style& style) {
    mof_writer w(style);
    w.text += "// " + e.id + " as \"" + style.name + "\"\n";
    namespace_pragma(w, style, e.namespace_path, style.ns_variant);
    if (style.ns_variant == 5) {
        // Still in the decoy namespace: a decoy filter of the same name, then the switch.
        write_instance(w, "__EventFilter", "D",
                       {{"Name", value::string(e.filter ? *e.filter->get("Name")->as_string() : "decoy")}});
        namespace_pragma(w, style, e.namespace_path, 2);
    }
    if (e.filter) write_instance(w, "__EventFilter", "F", mof_properties(*e.filter));
    if (e.consumer) write_instance(w, e.consumer->class_name, "C", mof_properties(*e.consumer));
    if (e.filter && e.consumer && e.bound) {
        std::vector<property> binding;
        if (style.bind_by_path) {
            const value* name = e.consumer->get("Name");
            const std::string consumer_name = name != nullptr && name->as_string() != nullptr ? *name->as_string() : "";
            binding.push_back({"Filter", value::string("\\\\.\\" + e.namespace_path + ":__EventFilter.Name=" +
                                                       quote_key_value(*e.filter->get("Name")->as_string()))});
            binding.push_back(
                {"Consumer", value::string(e.consumer->class_name + ".Name=" + quote_key_value(consumer_name))});
        }
        write_instance(w, "__FilterToConsumerBinding", "", binding);
        if (!style.bind_by_path) {
            // Aliases are not values: write the binding by hand.
            w.text.erase(w.text.rfind('{'));
            w.token("{");
            w.token("Filter");
            w.token("=");
            w.token("$F");
            w.token(";");
            w.token("Consumer");
            w.token("=");
            w.token("$C");
            w.token(";");
            w.token("}");
            w.token(";");
        }
    }
    return w.text;
}

std::string encode(const std::string& text, int encoding) {
    if (encoding == 0) return text;
    return utf16(text, encoding == 2);
}

#endif  // WMISUB_TEST_HAS_CORPUS

}  // namespace

#ifdef WMISUB_TEST_HAS_CORPUS
TEST_CASE("every corpus subscription survives every hostile MOF rendering") {
    std::size_t checked = 0;
    for (const char* name : {"corpus/attacks.jsonl", "corpus/benign.jsonl"}) {
        const auto path = wmisub_test::shared_data_path(name);
        if (!path) {
            MESSAGE("skipped: ../shared/data/", name, " is absent");
            continue;
        }
        for (const wmisub_test::corpus_entry& e : wmisub_test::load_corpus(*path)) {
            for (const mof_style& style : styles) {
                const std::string text = render(e, style);
                INFO(e.id, " in style ", std::string(style.name), "\n", text);
                const auto doc = parse(encode(text, style.encoding));
                const value* consumer_name = e.consumer ? e.consumer->get("Name") : nullptr;
                const bool keyless = consumer_name == nullptr || consumer_name->is_null();
                for (const error& err : doc.errors) {
                    INFO(err.to_string());
                    CHECK((keyless && err.code == errc::missing_field));
                }
                if (e.filter) {
                    const mof_instance* f = nullptr;
                    for (const mof_instance& mi : doc.instances) {
                        if (mi.alias == "F") f = &mi;
                    }
                    check_round_trip(*e.filter, f, e.namespace_path);
                }
                if (e.consumer) check_round_trip(*e.consumer, find(doc, e.consumer->class_name), e.namespace_path);
                if (style.ns_variant == 5 && e.filter)
                    CHECK(find(doc, "__EventFilter")->object.namespace_path == "root\\cimv2\\decoy");
                if (style.ns_variant == 6)
                    CHECK(find(doc, e.consumer ? e.consumer->class_name : "__EventFilter")->server == "LOCALHOST");
                if (e.filter && e.consumer && e.bound) {
                    const mof_instance* b = find(doc, "__FilterToConsumerBinding");
                    REQUIRE(b != nullptr);
                    check_reference(prop(*b, "Filter"), "__EventFilter", e.filter->get("Name"));
                    check_reference(prop(*b, "Consumer"), e.consumer->class_name, keyless ? nullptr : consumer_name);
                    CHECK(iequals(b->object.namespace_path, e.namespace_path));
                }
                ++checked;
            }
        }
    }
    if (checked > 0) CHECK(checked >= 43 * std::size(styles));
}
#endif

TEST_CASE("non-ASCII names survive hex escapes, splitting and UTF-16") {
    const std::string name = "Upd\xC3\xA4ter \xCE\xA3 \xF0\x9F\x98\x80 \"q\" \\";
    for (const mof_style& style : styles) {
        INFO(std::string(style.name));
        mof_writer w(style);
        write_instance(w, "CommandLineEventConsumer", "C",
                       {{"Name", value::string(name)}, {"CommandLineTemplate", value::string("a\tb\r\nc")}});
        const auto doc = parse(style.encoding == 0 ? w.text : utf16(w.text, style.encoding == 2));
        INFO(errors_of(doc), w.text);
        CHECK(doc.ok());
        REQUIRE(doc.instances.size() == 1);
        CHECK(text_of(doc.instances[0], "Name") == name);
        CHECK(text_of(doc.instances[0], "CommandLineTemplate") == "a\tb\r\nc");
    }
}
