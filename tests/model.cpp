// Tests for wmisub/model.hpp: typing generic instances into the model.
#include "wmisub/model.hpp"

#include <doctest/doctest.h>

#include <string>
#include <variant>
#include <vector>

using namespace wmisub;

namespace {

instance make_instance(std::string class_name, std::string ns = "root\\subscription") {
    instance in;
    in.namespace_path = std::move(ns);
    in.class_name = std::move(class_name);
    in.origin.kind = source_kind::mof;
    in.origin.where = source_location{"persist.mof", 12, 1, 300};
    return in;
}

const std::vector<std::uint8_t> admins_sid{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0};

}  // namespace

TEST_CASE("an __EventFilter instance becomes an event_filter, unknown properties kept") {
    instance in = make_instance("__EVENTFILTER");
    in.set("name", value::string("SCM Event Log Filter"))
        .set("Query", value::string("select * from MSFT_SCMEventLogEvent"))
        .set("QueryLanguage", value::string("WQL"))
        .set("EventNamespace", value::string("root\\cimv2"))
        .set("CreatorSID", value::bytes(admins_sid))
        .set("Vendor", value::string("contoso"));
    std::vector<error> warnings;
    auto typed = from_instance(in, &warnings);
    REQUIRE(typed);
    CHECK(warnings.empty());
    const auto& f = std::get<event_filter>(*typed);
    CHECK(f.name == "SCM Event Log Filter");
    CHECK(f.query == "select * from MSFT_SCMEventLogEvent");
    CHECK(*f.query_language == "WQL");
    CHECK(*f.event_namespace == "root\\cimv2");
    CHECK_FALSE(f.event_access);
    CHECK(*f.creator_sid_string() == "S-1-5-32-544");
    CHECK(f.class_name == "__EVENTFILTER");
    CHECK(f.origin.where.line == 12);
    CHECK(f.origin.to_string() == "mof:persist.mof:12:1");
    REQUIRE(f.extra.size() == 1);
    CHECK(*f.extra_property("vendor")->as_string() == "contoso");
}

TEST_CASE("each standard consumer class gets its typed model") {
    instance script = make_instance("ActiveScriptEventConsumer");
    script.set("Name", value::string("KillProcess"))
        .set("ScriptingEngine", value::string("VBScript"))
        .set("ScriptText", value::string("Set o = GetObject(\"winmgmts:\")"))
        .set("KillTimeout", value::uint(45, cim_type::uint32));
    auto s = from_instance(script);
    REQUIRE(s);
    const auto& asc = std::get<active_script_consumer>(std::get<consumer>(*s));
    CHECK(asc.name == "KillProcess");
    CHECK(*asc.kill_timeout == 45);
    CHECK_FALSE(asc.script_file_name);

    instance cmd = make_instance("CommandLineEventConsumer");
    cmd.set("Name", value::string("Updater"))
        .set("CommandLineTemplate", value::string("powershell.exe -enc AAAA"))
        .set("RunInteractively", value::boolean(false))
        .set("Priority", value::sint(32, cim_type::sint32));
    const auto clc = std::get<command_line_consumer>(std::get<consumer>(*from_instance(cmd)));
    CHECK(*clc.command_line_template == "powershell.exe -enc AAAA");
    CHECK(*clc.run_interactively == false);
    CHECK(*clc.priority == 32);

    instance log = make_instance("LogFileEventConsumer");
    log.set("Name", value::string("L")).set("Filename", value::string("C:\\Users\\Public\\a.vbs"))
        .set("Text", value::string("CreateObject(\"WScript.Shell\").Run \"calc\""))
        .set("MaximumFileSize", value::uint(65535, cim_type::uint64));
    const auto lfc = std::get<log_file_consumer>(std::get<consumer>(*from_instance(log)));
    CHECK(*lfc.filename == "C:\\Users\\Public\\a.vbs");
    CHECK(*lfc.maximum_file_size == 65535);

    instance nt = make_instance("NTEventLogEventConsumer");
    nt.set("Name", value::string("SCM Event Log Consumer"))
        .set("SourceName", value::string("Service Control Manager"))
        .set("EventID", value::uint(0, cim_type::uint32))
        .set("Category", value::uint(0, cim_type::uint16))
        .set("InsertionStringTemplates", value::strings({""}))
        .set("NameOfUserSIDProperty", value::string("sid"));
    const auto ntc = std::get<nt_event_log_consumer>(std::get<consumer>(*from_instance(nt)));
    CHECK(*ntc.source_name == "Service Control Manager");
    CHECK(*ntc.event_id == 0);
    CHECK(*ntc.insertion_string_templates == std::vector<std::string>{""});
    CHECK(*ntc.name_of_user_sid_property == "sid");

    instance smtp = make_instance("SMTPEventConsumer");
    smtp.set("Name", value::string("mail")).set("SMTPServer", value::string("mx.example.com"))
        .set("ToLine", value::string("a@example.com")).set("HeaderFields", value::strings({"X-A: 1"}));
    const auto sc = std::get<smtp_consumer>(std::get<consumer>(*from_instance(smtp)));
    CHECK(*sc.smtp_server == "mx.example.com");
    CHECK(*sc.header_fields == std::vector<std::string>{"X-A: 1"});
}

TEST_CASE("custom consumers are recognised by derivation, other classes kept as instances") {
    instance custom = make_instance("MyCmdLineConsumer");
    custom.derivation = {"__EventConsumer", "__IndicationRelated", "__SystemClass"};
    custom.key_names = {"Id"};
    custom.set("Id", value::string("c1")).set("Payload", value::string("calc.exe"));
    auto typed = from_instance(custom);
    REQUIRE(typed);
    const auto& cc = std::get<custom_consumer>(std::get<consumer>(*typed));
    CHECK(cc.name == "c1");
    CHECK(cc.key_names == std::vector<std::string>{"Id"});
    CHECK(*cc.extra_property("Payload")->as_string() == "calc.exe");
    CHECK(identity_of(std::get<consumer>(*typed)).keys.front().name == "Id");

    instance storage = make_instance("Win32_WindowsUpdate", "root\\Software");
    storage.set("Content", value::string("base64 blob"));
    auto other = from_instance(storage);
    REQUIRE(other);
    CHECK(std::holds_alternative<instance>(*other));
    CHECK(is_consumer_class("commandlineeventconsumer"));
    CHECK_FALSE(is_consumer_class("Win32_Process"));
}

TEST_CASE("properties with unexpected types are kept and reported") {
    instance in = make_instance("CommandLineEventConsumer");
    in.set("Name", value::string("x")).set("KillTimeout", value::string("soon"))
        .set("CreatorSID", value::string("not a sid"));
    std::vector<error> warnings;
    auto typed = from_instance(in, &warnings);
    REQUIRE(typed);
    const auto& c = std::get<command_line_consumer>(std::get<consumer>(*typed));
    CHECK_FALSE(c.kill_timeout);
    CHECK(*c.extra_property("KillTimeout")->as_string() == "soon");
    CHECK(c.extra_property("CreatorSID") != nullptr);
    REQUIRE(warnings.size() == 2);
    CHECK(warnings[0].code == errc::type_mismatch);
    CHECK(warnings[0].location.line == 12);

    instance out_of_range = make_instance("NTEventLogEventConsumer");
    out_of_range.set("Name", value::string("n")).set("Category", value::uint(70000, cim_type::uint32));
    const auto nt = std::get<nt_event_log_consumer>(std::get<consumer>(*from_instance(out_of_range)));
    CHECK_FALSE(nt.category);  // 70000 does not fit uint16
    CHECK(nt.extra_property("Category") != nullptr);
}

TEST_CASE("instances without their key fail, and the snapshot keeps them") {
    instance nameless = make_instance("__EventFilter");
    nameless.set("Query", value::string("SELECT * FROM __TimerEvent"));
    auto typed = from_instance(nameless);
    REQUIRE_FALSE(typed);
    CHECK(typed.error().code == errc::missing_field);
    CHECK(typed.error().location.source == "persist.mof");

    instance half_binding = make_instance("__FilterToConsumerBinding");
    half_binding.set("Filter", value::reference("__EventFilter.Name=\"F\""));
    CHECK(from_instance(half_binding).error().code == errc::missing_field);

    snapshot snap;
    snap.add(nameless, "persist.mof");
    CHECK(snap.filters.empty());
    REQUIRE(snap.other_objects.size() == 1);
    REQUIRE(snap.errors.size() == 1);
    CHECK(snap.errors[0].source == "persist.mof");
    CHECK(snap.errors[0].namespace_path == "root\\subscription");
}

TEST_CASE("CreatorSID given as text, timers with DMTF text") {
    instance in = make_instance("__AbsoluteTimerInstruction", "root\\cimv2");
    in.set("TimerId", value::string("WindowsTimer"))
        .set("EventDateTime", value::string("20160707123000.000000+000"))
        .set("CreatorSID", value::string("S-1-5-18"));
    auto typed = from_instance(in);
    REQUIRE(typed);
    const auto& t = std::get<timer_instruction>(*typed);
    CHECK(t.timer_id == "WindowsTimer");
    CHECK_FALSE(t.is_interval());
    REQUIRE(t.event_date_time);
    CHECK(t.event_date_time->hour == 12);
    CHECK(*t.creator_sid_string() == "S-1-5-18");

    instance interval = make_instance("__IntervalTimerInstruction", "root\\cimv2");
    interval.set("TimerID", value::string("Trigger")).set("IntervalBetweenEvents", value::uint(1800000, cim_type::uint32));
    const auto it = std::get<timer_instruction>(*from_instance(interval));
    CHECK(it.is_interval());
    CHECK(*it.interval_between_events == 1800000);
}

TEST_CASE("properties_of is the inverse of from_instance") {
    instance in = make_instance("CommandLineEventConsumer");
    in.set("Name", value::string("Updater"))
        .set("ExecutablePath", value::string("C:\\Windows\\System32\\cmd.exe"))
        .set("CommandLineTemplate", value::string("cmd /c calc"))
        .set("KillTimeout", value::uint(0, cim_type::uint32))
        .set("CreatorSID", value::bytes(admins_sid))
        .set("FillAttribute", value::uint(7, cim_type::uint32));
    const consumer c = std::get<consumer>(*from_instance(in));
    const std::vector<property> props = properties_of(c);
    CHECK(find_property(props, "Name")->value == value::string("Updater"));
    CHECK(find_property(props, "KillTimeout")->value == value::uint(0, cim_type::uint32));
    CHECK(find_property(props, "FillAttribute")->value == value::uint(7, cim_type::uint32));
    CHECK(find_property(props, "WindowTitle") == nullptr);  // NULLs are not emitted

    instance again = make_instance("CommandLineEventConsumer");
    again.properties = props;
    const consumer round = std::get<consumer>(*from_instance(again));
    CHECK(properties_of(round) == props);
}

TEST_CASE("identities are object paths") {
    instance f = make_instance("__EventFilter");
    f.set("Name", value::string("F \"quoted\""));
    const object_path id = identity_of(std::get<event_filter>(*from_instance(f)));
    CHECK(id.namespace_path == "root\\subscription");
    CHECK(id.class_name == "__EventFilter");
    REQUIRE(id.keys.size() == 1);
    CHECK(id.keys[0].value == "F \"quoted\"");
    auto reparsed = parse_object_path(to_string(id));
    REQUIRE(reparsed);
    CHECK(*reparsed == id);

    instance b = make_instance("__FilterToConsumerBinding");
    b.set("Filter", value::reference("__EventFilter.Name=\"F\""))
        .set("Consumer", value::reference("CommandLineEventConsumer.Name=\"C\""))
        .set("DeliveryQoS", value::uint(0, cim_type::uint32));
    const binding bound = std::get<binding>(*from_instance(b));
    CHECK(bound.filter == "__EventFilter.Name=\"F\"");
    CHECK(*bound.delivery_qos == 0);
    CHECK(identity_of(bound).keys.size() == 2);
}

TEST_CASE("snapshots merge and count") {
    snapshot a;
    a.host = "WS01";
    instance f = make_instance("__EventFilter");
    f.set("Name", value::string("F")).set("Query", value::string("SELECT * FROM __InstanceCreationEvent"));
    a.add(f);
    snapshot b;
    b.host = "other";
    instance c = make_instance("CommandLineEventConsumer");
    c.set("Name", value::string("C"));
    b.add(c);
    b.errors.push_back({"com", "root\\secret", make_error(errc::access_denied, "denied")});
    a.merge(std::move(b));
    CHECK(a.host == "WS01");
    CHECK(a.object_count() == 2);
    CHECK(a.errors.size() == 1);
    CHECK(a.errors[0].namespace_path == "root\\secret");
}

TEST_CASE("readable consumer classes: nullopt reads every class; merging unites, and an empty snapshot takes the other's") {
    snapshot full;
    CHECK(full.can_read_consumer_class("NTEventLogEventConsumer"));
    snapshot osquery;
    osquery.readable_consumer_classes = std::vector<std::string>{"CommandLineEventConsumer", "ActiveScriptEventConsumer"};
    CHECK(osquery.can_read_consumer_class("commandlineeventconsumer"));
    CHECK_FALSE(osquery.can_read_consumer_class("SMTPEventConsumer"));

    snapshot into;  // holds nothing yet: not a source of its own
    into.merge(osquery);
    REQUIRE(into.readable_consumer_classes);
    CHECK(into.readable_consumer_classes->size() == 2);

    instance f = make_instance("root\\subscription", "__EventFilter");
    f.set("Name", value::string("F"));
    f.set("Query", value::string("SELECT * FROM __TimerEvent"));
    snapshot other;
    other.add(f);
    other.readable_consumer_classes = std::vector<std::string>{"LogFileEventConsumer", "ActiveScriptEventConsumer"};
    into.add(f);
    into.merge(other);
    REQUIRE(into.readable_consumer_classes);
    CHECK(into.readable_consumer_classes->size() == 3);  // united, without repeats
    CHECK(into.can_read_consumer_class("LogFileEventConsumer"));

    snapshot everything;
    everything.add(f);
    into.merge(everything);  // a source that reads every class
    CHECK_FALSE(into.readable_consumer_classes);
}

TEST_CASE("text_property finds string properties without copying, modelled or extra") {
    wmisub::command_line_consumer c;
    c.name = "C";
    c.command_line_template = "cmd /c whoami";
    c.kill_timeout = 5;
    c.extra.push_back({"Vendor_Note", wmisub::value::string("added by a newer schema")});
    c.extra.push_back({"Vendor_Count", wmisub::value::uint(3, wmisub::cim_type::uint32)});
    const wmisub::consumer any{c};
    const auto found = wmisub::text_property(any, "commandlinetemplate");
    REQUIRE(found);
    CHECK(found->name == "CommandLineTemplate");  // as properties_of() spells it
    CHECK(found->text == "cmd /c whoami");
    CHECK(found->text.data() == std::get<wmisub::command_line_consumer>(any).command_line_template->data());
    const auto extra = wmisub::text_property(any, "VENDOR_NOTE");
    REQUIRE(extra);
    CHECK(extra->name == "Vendor_Note");
    CHECK_FALSE(wmisub::text_property(any, "ExecutablePath"));  // NULL
    CHECK_FALSE(wmisub::text_property(any, "KillTimeout"));     // not a string
    CHECK_FALSE(wmisub::text_property(any, "Vendor_Count"));
    wmisub::event_filter f;
    f.name = "F";
    f.query = "SELECT * FROM __TimerEvent";
    CHECK(wmisub::text_property(f, "Query")->text == "SELECT * FROM __TimerEvent");
    wmisub::binding b;
    b.filter = "__EventFilter.Name=\"F\"";
    CHECK(wmisub::text_property(b, "Filter")->name == "Filter");
    wmisub::timer_instruction t;
    t.timer_id = "T";
    CHECK(wmisub::text_property(t, "TimerId")->text == "T");
}
