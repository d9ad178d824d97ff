// Tests for wmisub/baseline.hpp: content fingerprints, baselines and field-level diffs.
// Needs nothing but the library (baseline.hpp does not use nlohmann/json).
#include "wmisub/baseline.hpp"

#include "wmisub/collector.hpp"
#include "wmisub/text.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <variant>
#include <vector>

using namespace wmisub;

namespace {

timestamp at_seconds(std::int64_t s) { return timestamp{std::chrono::seconds{s}}; }

snapshot collect(mock_collector& source) {
    auto s = source.collect({});
    REQUIRE(s);
    return std::move(*s);
}

// The approved state of a host: a filter bound to a consumer, plus a second consumer.
mock_collector approved_host() {
    mock_collector m("host");
    m.created_by("S-1-5-32-544")
        .filter("Updater", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour = 3")
        .command_line_consumer("UpdaterRun", "C:\\Program Files\\Vendor\\update.exe /quiet")
        .command_line_consumer("Spare", "C:\\Program Files\\Vendor\\spare.exe")
        .bind("Updater", "UpdaterRun");
    return m;
}

baseline approved_baseline() {
    mock_collector m = approved_host();
    baseline_options options;
    options.created = at_seconds(1'714'557'600);
    options.comment = "CHG-1234";
    return make_baseline(collect(m), options);
}

const field_change* change_of(const modified_object& m, std::string_view field) {
    for (const field_change& c : m.changes) {
        if (iequals(c.field, field)) return &c;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("fingerprints ignore provenance, order, name case and respellings") {
    instance a;
    a.namespace_path = "root\\subscription";
    a.class_name = "__EventFilter";
    a.set("Name", value::string("F"))
        .set("Query", value::string("SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'"))
        .set("QueryLanguage", value::string("WQL"))
        .set("EventNamespace", value::string("root\\cimv2"));
    a.origin.kind = source_kind::mof;
    a.origin.where.source = "a.mof";

    instance b;
    b.namespace_path = "ROOT/Subscription";
    b.class_name = "__eventfilter";
    b.set("eventnamespace", value::string("ROOT\\CIMV2"))
        .set("querylanguage", value::string("wql"))
        .set("query", value::string("select *   from __instancecreationevent within 5 where targetinstance isa \"Win32_Process\""))
        .set("name", value::string("f"))
        .set("EventAccess", value::null(cim_type::string))
        .set("__PATH", value::string("\\\\WS01\\ROOT\\subscription:__EventFilter.Name=\"f\""));
    b.origin.kind = source_kind::com;
    b.origin.where.source = "com:WS01";

    auto fa = from_instance(a);
    auto fb = from_instance(b);
    REQUIRE(fa);
    REQUIRE(fb);
    CHECK(fingerprint(*fa) == fingerprint(*fb));
    CHECK(identity_key_of(*fa) == identity_key_of(*fb));
    CHECK(fingerprint(*fa).size() == 64);

    SUBCASE("a different query, creator or payload changes it") {
        instance c = a;
        c.set("Query", value::string("SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Service'"));
        CHECK(fingerprint(*from_instance(c)) != fingerprint(*fa));
        instance d = a;
        d.set("CreatorSID", value::bytes(*parse_sid("S-1-5-21-1-2-3-1001")));
        CHECK(fingerprint(*from_instance(d)) != fingerprint(*fa));
        instance e = a;
        e.set("Name", value::string("F2"));
        CHECK(fingerprint(*from_instance(e)) != fingerprint(*fa));
    }
    SUBCASE("an unparseable query falls back to its exact text") {
        instance c = a;
        c.set("Query", value::string("SELEKT nonsense"));
        instance d = a;
        d.set("Query", value::string("SELEKT  nonsense"));
        CHECK(fingerprint(*from_instance(c)) != fingerprint(*from_instance(d)));
        CHECK(fingerprint(*from_instance(c)) == fingerprint(*from_instance(c)));
    }
    SUBCASE("integer widths do not matter, values do") {
        instance c;
        c.namespace_path = "root\\subscription";
        c.class_name = "CommandLineEventConsumer";
        c.set("Name", value::string("C")).set("KillTimeout", value::uint(5, cim_type::uint32));
        instance d = c;
        d.set("KillTimeout", value::sint(5, cim_type::sint64));
        CHECK(fingerprint(*from_instance(c)) == fingerprint(*from_instance(d)));
        d.set("KillTimeout", value::uint(6, cim_type::uint32));
        CHECK(fingerprint(*from_instance(c)) != fingerprint(*from_instance(d)));
    }
    SUBCASE("binding references compare as paths") {
        instance x;
        x.namespace_path = "root\\subscription";
        x.class_name = "__FilterToConsumerBinding";
        x.set("Filter", value::reference("__EventFilter.Name=\"F\""))
            .set("Consumer", value::reference("CommandLineEventConsumer.Name=\"C\""));
        instance y = x;
        y.set("Filter", value::reference("\\\\.\\ROOT\\subscription:__EventFilter.Name=\"f\""))
            .set("Consumer", value::string("\\\\.\\root\\subscription:commandlineeventconsumer=\"C\""));
        CHECK(fingerprint(*from_instance(x)) == fingerprint(*from_instance(y)));
        CHECK(identity_key_of(*from_instance(x)) == identity_key_of(*from_instance(y)));
    }
}

TEST_CASE("a baseline holds identities, fingerprints, properties and metadata") {
    const baseline b = approved_baseline();
    CHECK(b.size() == 4);
    CHECK(b.comment == "CHG-1234");
    CHECK(b.host.empty());
    CHECK(b.created == at_seconds(1'714'557'600));
    CHECK(b.tool_version == WMISUB_VERSION_STRING);
    CHECK(std::is_sorted(b.entries.begin(), b.entries.end(), [](const baseline_entry& x, const baseline_entry& y) {
        return std::tie(x.kind, x.identity_key) < std::tie(y.kind, y.identity_key);
    }));
    const baseline_entry* filter = nullptr;
    for (const baseline_entry& e : b.entries) {
        if (e.kind == object_kind::filter) filter = &e;
    }
    REQUIRE(filter != nullptr);
    CHECK(filter->identity == "root\\subscription:__EventFilter.Name=\"Updater\"");
    CHECK(b.find(filter->identity_key) == filter);
    CHECK(b.approves(filter->fingerprint));
    CHECK(!b.approves(std::string(64, '0')));

    baseline copy = b;
    CHECK(!copy.add(filter->object));  // the same content again is not a new entry

    const baseline empty = make_baseline(snapshot{});
    CHECK(empty.empty());
    CHECK(empty.created.has_value());
}

TEST_CASE("a consumer that kept its name but changed its command line is one modification") {
    const baseline b = approved_baseline();
    mock_collector now("host");
    now.created_by("S-1-5-32-544")
        .filter("Updater", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour = 3")
        .command_line_consumer("UpdaterRun", "powershell.exe -NoP -W Hidden -Enc SQBFAFgA")
        .command_line_consumer("Spare", "C:\\Program Files\\Vendor\\spare.exe")
        .bind("Updater", "UpdaterRun");
    const baseline_diff d = diff(b, collect(now));
    CHECK(d.added.empty());
    CHECK(d.removed.empty());
    CHECK(d.rebindings.empty());
    CHECK(d.unchanged == 3);
    REQUIRE(d.modified.size() == 1);
    const modified_object& m = d.modified.front();
    CHECK(m.kind == object_kind::consumer);
    CHECK(m.identity == "root\\subscription:CommandLineEventConsumer.Name=\"UpdaterRun\"");
    REQUIRE(m.changes.size() == 1);
    const field_change& c = m.changes.front();
    CHECK(c.field == "CommandLineTemplate");
    CHECK(c.old_text == "C:\\Program Files\\Vendor\\update.exe /quiet");
    CHECK(c.new_text == "powershell.exe -NoP -W Hidden -Enc SQBFAFgA");
    REQUIRE(c.old_value);
    REQUIRE(c.new_value);
    CHECK(c.old_value->type() == cim_type::string);
    CHECK(*c.new_value == value::string("powershell.exe -NoP -W Hidden -Enc SQBFAFgA"));
    CHECK(m.old_fingerprint != m.new_fingerprint);
    CHECK(m.new_fingerprint == fingerprint(m.new_object));
    CHECK(d.has_changes());
}

TEST_CASE("a filter re-pointed to another consumer is a binding change") {
    const baseline b = approved_baseline();
    mock_collector now = approved_host();
    mock_collector repointed("host");
    repointed.created_by("S-1-5-32-544")
        .filter("Updater", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour = 3")
        .command_line_consumer("UpdaterRun", "C:\\Program Files\\Vendor\\update.exe /quiet")
        .command_line_consumer("Spare", "C:\\Program Files\\Vendor\\spare.exe")
        .bind("Updater", "Spare");
    const baseline_diff d = diff(b, collect(repointed));
    CHECK(d.modified.empty());
    REQUIRE(d.removed.size() == 1);
    REQUIRE(d.added.size() == 1);
    CHECK(d.removed.front().kind == object_kind::binding);
    CHECK(d.added.front().kind == object_kind::binding);
    REQUIRE(d.rebindings.size() == 1);
    const rebinding& r = d.rebindings.front();
    CHECK(r.anchor == rebinding_anchor::filter);
    CHECK(r.description ==
          "filter \"Updater\" now bound to consumer CommandLineEventConsumer \"Spare\" instead of CommandLineEventConsumer "
          "\"UpdaterRun\"");
    CHECK(r.old_binding == d.removed.front().identity);
    CHECK(r.new_binding == d.added.front().identity);

    SUBCASE("a consumer now triggered by another filter") {
        mock_collector swapped("host");
        swapped.created_by("S-1-5-32-544")
            .filter("Updater", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour = 3")
            .filter("AtLogon", "SELECT * FROM __InstanceCreationEvent WITHIN 15 WHERE TargetInstance ISA 'Win32_LogonSession'")
            .command_line_consumer("UpdaterRun", "C:\\Program Files\\Vendor\\update.exe /quiet")
            .command_line_consumer("Spare", "C:\\Program Files\\Vendor\\spare.exe")
            .bind("AtLogon", "UpdaterRun");
        const baseline_diff d2 = diff(b, collect(swapped));
        REQUIRE(d2.rebindings.size() == 1);
        CHECK(d2.rebindings.front().anchor == rebinding_anchor::consumer);
        CHECK(d2.rebindings.front().description ==
              "consumer CommandLineEventConsumer \"UpdaterRun\" now bound to filter \"AtLogon\" instead of \"Updater\"");
        CHECK(d2.added.size() == 2);  // the new filter and the new binding
    }
    (void)now;
}

TEST_CASE("an added orphan consumer, a removed object, and a respelled query") {
    const baseline b = approved_baseline();
    mock_collector now("host");
    now.created_by("S-1-5-32-544")
        .filter("Updater", "select *   from __InstanceModificationEvent within 60 where TargetInstance isa \"Win32_LocalTime\" and TargetInstance.Hour=3")
        .command_line_consumer("UpdaterRun", "C:\\Program Files\\Vendor\\update.exe /quiet")
        .bind("Updater", "UpdaterRun")
        .script_consumer("Orphan", "CreateObject(\"WScript.Shell\").Run \"calc\"");
    const baseline_diff d = diff(b, collect(now));
    CHECK(d.modified.empty());  // the query only changed its spelling
    REQUIRE(d.added.size() == 1);
    CHECK(d.added.front().kind == object_kind::consumer);
    CHECK(d.added.front().identity == "root\\subscription:ActiveScriptEventConsumer.Name=\"Orphan\"");
    CHECK(d.added.front().fingerprint == fingerprint(d.added.front().object));
    REQUIRE(d.removed.size() == 1);
    CHECK(d.removed.front().identity == "root\\subscription:CommandLineEventConsumer.Name=\"Spare\"");
    CHECK(d.unchanged == 3);
}

TEST_CASE("the same snapshot diffs empty, whatever its order") {
    const baseline b = approved_baseline();
    mock_collector same = approved_host();
    snapshot s = collect(same);
    std::reverse(s.consumers.begin(), s.consumers.end());
    const baseline_diff d = diff(b, s);
    CHECK(!d.has_changes());
    CHECK(d.unchanged == 4);
}

TEST_CASE("a changed creator and a new property are field changes with text") {
    const baseline b = approved_baseline();
    mock_collector now("host");
    now.created_by("S-1-5-21-1-2-3-1001")
        .filter("Updater", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour = 3")
        .command_line_consumer("UpdaterRun", "C:\\Program Files\\Vendor\\update.exe /quiet", "C:\\Windows\\System32\\cmd.exe")
        .command_line_consumer("Spare", "C:\\Program Files\\Vendor\\spare.exe")
        .bind("Updater", "UpdaterRun");
    const baseline_diff d = diff(b, collect(now));
    REQUIRE(d.modified.size() == 4);  // every object has a new creator
    const auto it = std::find_if(d.modified.begin(), d.modified.end(), [](const modified_object& m) {
        return m.identity == "root\\subscription:CommandLineEventConsumer.Name=\"UpdaterRun\"";
    });
    REQUIRE(it != d.modified.end());
    REQUIRE(it->changes.size() == 2);
    const field_change* sid = change_of(*it, "CreatorSID");
    REQUIRE(sid != nullptr);
    CHECK(sid->old_text == "S-1-5-32-544");
    CHECK(sid->new_text == "S-1-5-21-1-2-3-1001");
    const field_change* path = change_of(*it, "ExecutablePath");
    REQUIRE(path != nullptr);
    CHECK(!path->old_value);
    CHECK(path->old_text.empty());
    CHECK(path->new_text == "C:\\Windows\\System32\\cmd.exe");
    // Changes come sorted by field name.
    CHECK(it->changes[0].field == "CreatorSID");
    CHECK(it->changes[1].field == "ExecutablePath");
    // Modified objects come sorted by kind, then identity.
    for (std::size_t i = 1; i < d.modified.size(); ++i) {
        CHECK(std::tie(d.modified[i - 1].kind, d.modified[i - 1].identity_key) <=
              std::tie(d.modified[i].kind, d.modified[i].identity_key));
    }
}

TEST_CASE("diff options restrict the namespaces compared") {
    const baseline b = approved_baseline();
    mock_collector other("host");
    other.in_namespace("root\\default").command_line_consumer("Elsewhere", "calc.exe");
    diff_options only_default;
    only_default.namespaces = {"ROOT/Default"};
    const baseline_diff d = diff(b, collect(other), only_default);
    CHECK(d.removed.empty());  // the baseline's root\subscription objects are out of scope
    REQUIRE(d.added.size() == 1);
    const baseline_diff all = diff(b, collect(other));
    CHECK(all.removed.size() == 4);
}

TEST_CASE("two baselines diff like a baseline and a snapshot") {
    const baseline before = approved_baseline();
    mock_collector m("other-host");
    m.created_by("S-1-5-32-544")
        .filter("Updater", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour = 3")
        .command_line_consumer("UpdaterRun", "C:\\Program Files\\Vendor\\update.exe /quiet")
        .command_line_consumer("Spare", "C:\\Program Files\\Vendor\\spare.exe")
        .bind("Updater", "UpdaterRun");
    snapshot s = collect(m);
    s.host = "WS02";
    const baseline after = make_baseline(s);
    const baseline_diff d = diff(before, after);
    CHECK(!d.has_changes());
    CHECK(d.snapshot_host == "WS02");
}

TEST_CASE("the snapshot's collection errors travel with the diff") {
    const baseline b = approved_baseline();
    snapshot s;
    s.errors.push_back({"com", "root\\subscription", make_error(errc::access_denied, "access denied")});
    const baseline_diff d = diff(b, s);
    CHECK(d.removed.size() == 4);
    REQUIRE(d.errors.size() == 1);
    CHECK(d.errors.front().error.code == errc::access_denied);
}

TEST_CASE("typed fingerprints and identity keys equal those of the same object as a wmi_object") {
    mock_collector source;
    source.created_by("S-1-5-32-544")
        .filter("F", "SELECT * FROM __TimerEvent WHERE TimerId = 'T'")
        .command_line_consumer("C", "cmd.exe /c calc")
        .script_consumer("S", "x = 1")
        .log_file_consumer("L", "C:\\x.log", "t")
        .event_log_consumer("E", "src", 7)
        .smtp_consumer("M", "mail", "a@b", "hi")
        .bind("F", "C")
        .interval_timer("T", 1000);
    instance custom;
    custom.class_name = "EvilConsumer";
    custom.derivation = {"__EventConsumer"};
    custom.key_names = {"Id"};
    custom.set("Id", value::string("x")).set("Payload", value::string("y"));
    instance keyless;
    keyless.class_name = "Stash";
    keyless.set("Blob", value::string("z"));
    source.add(custom).add(keyless);
    auto snap = source.collect();
    REQUIRE(snap);
    REQUIRE(snap->consumers.size() == 6);
    REQUIRE(snap->other_objects.size() == 1);
    for (const event_filter& f : snap->filters) {
        CHECK(fingerprint(f) == fingerprint(wmi_object{f}));
        CHECK(fingerprint(f) == baseline_entry::of(wmi_object{f}).fingerprint);
    }
    for (const consumer& c : snap->consumers) CHECK(fingerprint(c) == fingerprint(wmi_object{c}));
    for (const binding& b : snap->bindings) CHECK(fingerprint(b) == fingerprint(wmi_object{b}));
    for (const timer_instruction& t : snap->timers) CHECK(fingerprint(t) == fingerprint(wmi_object{t}));
    const instance& stash = snap->other_objects[0];
    CHECK(fingerprint(stash) == fingerprint(wmi_object{stash}));
    // Hashed piece by piece, the fingerprint is still the SHA-256 of the whole canonical form.
    for (const consumer& c : snap->consumers) CHECK(fingerprint(c) == sha256_hex(canonical_form(wmi_object{c})));
    CHECK(fingerprint(snap->filters[0]) == sha256_hex(canonical_form(wmi_object{snap->filters[0]})));
    CHECK(fingerprint(stash) == sha256_hex(canonical_form(wmi_object{stash})));
    CHECK(identity_key_of(wmi_object{stash}).find('#') != std::string::npos);  // no keys: known by its content
}

// Fingerprints are stored in baselines and policies: the same object must keep the same
// fingerprint from one release to the next. Values computed before fingerprints were hashed
// piece by piece; a change here breaks every stored baseline and allow-list.
TEST_CASE("fingerprints are stable across versions") {
    mock_collector source;
    source.created_by("S-1-5-32-544")
        .filter("F", "SELECT * FROM __TimerEvent WHERE TimerId = 'T'")
        .command_line_consumer("C", "cmd.exe /c calc")
        .script_consumer("S", "x = 1")
        .bind("F", "C")
        .interval_timer("T", 1000);
    auto snap = source.collect();
    REQUIRE(snap);
    REQUIRE(snap->consumers.size() == 2);
    CHECK(fingerprint(snap->filters[0]) == "0a605cda3629ed3ac8e0df5f27acf31cc6719e7578a5a48ed14a0b7e7cfbbc93");
    CHECK(fingerprint(snap->consumers[0]) == "bc5246172c488e6fdd7293ce0cedb785b37b8ed1d6abad1effca518ffcb98d2b");
    CHECK(fingerprint(snap->consumers[1]) == "62bb83e98c0e368bfa76d811559c7e94a388c8448f10a0ce889ab8e7674b6c65");
    CHECK(fingerprint(snap->bindings[0]) == "02576d6269ace52d988fcbdd99daf75b96c817ebfa30905c4d050076a77f4ad0");
    CHECK(fingerprint(snap->timers[0]) == "a7326f624b613317b8f9242a57a74a770d08e4128d0e9f795b6c883a498c4d65");
}

TEST_CASE("a fingerprint means the same however it is written: bare, sha256:-prefixed, any case") {
    const std::string hex = "3f0c" + std::string(60, 'a');
    CHECK(normalize_fingerprint(hex) == hex);
    CHECK(normalize_fingerprint("sha256:" + hex) == hex);
    CHECK(normalize_fingerprint("  SHA256: 3F0C" + std::string(60, 'A') + "\n") == hex);
    CHECK(is_fingerprint(hex));
    CHECK(is_fingerprint("sha256:" + hex));
    CHECK_FALSE(is_fingerprint("sha256:abc"));
    CHECK_FALSE(is_fingerprint(hex + "0"));
    CHECK_FALSE(is_fingerprint("g" + hex.substr(1)));
    CHECK_FALSE(is_fingerprint("md5:" + hex));
    // What fingerprint() prints is already in that form.
    mock_collector source;
    source.filter("F", "SELECT * FROM __TimerEvent");
    auto snap = source.collect();
    REQUIRE(snap);
    const std::string printed = fingerprint(wmi_object{snap->filters[0]});
    CHECK(is_fingerprint(printed));
    CHECK(normalize_fingerprint(printed) == printed);
}

TEST_CASE("a diff counts objects as the snapshot does: every copy, exact copies compared once") {
    mock_collector m = approved_host();
    m.command_line_consumer("Added", "C:\\Users\\Public\\a.exe");
    snapshot observed = collect(m);
    // The same filter read from a second source, unchanged, and an instance of another class.
    observed.filters.push_back(observed.filters.front());
    instance provider;
    provider.class_name = "__Win32Provider";
    provider.namespace_path = "root\\subscription";
    provider.set("Name", value::string("Vendor"));
    observed.other_objects.push_back(provider);
    const object_counts counts = observed.counts();
    CHECK(counts == object_counts{2, 3, 1, 0, 1});
    CHECK(counts.total() == 7);

    const baseline approved = approved_baseline();
    CHECK(approved.counts() == object_counts{1, 2, 1, 0, 0});
    const baseline_diff d = diff(approved, observed);
    CHECK(d.observed == counts);
    CHECK(d.approved == approved.counts());
    CHECK(d.repeated == 1);
    CHECK(d.added.size() == 2);  // the consumer and the provider
    CHECK(d.added.size() + d.modified.size() + d.unchanged + d.repeated == d.observed.total());
    CHECK(d.removed.empty());

    // A baseline made from the same snapshot approves each copy once, and says so in its counts.
    const baseline again = make_baseline(observed);
    CHECK(again.counts() == object_counts{1, 3, 1, 0, 1});
    const baseline_diff same = diff(again, observed);
    CHECK(same.unchanged + same.repeated == counts.total());
    CHECK_FALSE(same.has_changes());

    diff_options subscriptions_only;
    subscriptions_only.include_other_objects = false;
    CHECK(diff(approved, observed, subscriptions_only).observed.other == 0);
}
