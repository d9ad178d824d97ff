// Tests for wmisub/graph.hpp: joining bindings to filters and consumers.
#include "wmisub/graph.hpp"

#include "wmisub/collector.hpp"

#include <doctest/doctest.h>

#if __has_include(<nlohmann/json.hpp>)
#include "corpus.hpp"
#define WMISUB_TEST_HAS_CORPUS 1
#endif

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

using namespace wmisub;

namespace {

snapshot collect(mock_collector& source) {
    auto snap = source.collect({});
    REQUIRE(snap);
    return std::move(*snap);
}

std::string consumer_name(const subscription_graph& g, const subscription& s) {
    return header_of(*g.consumer(s)).name;
}

}  // namespace

TEST_CASE("every entry is bound, orphan_filter, orphan_consumer or dangling_binding") {
    mock_collector source;
    source.filter("Boot", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                          "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240")
        .command_line_consumer("Run", "cmd.exe /c calc")
        .bind("Boot", "Run")
        .filter("Lonely", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
        .script_consumer("Unbound", "CreateObject(\"WScript.Shell\").Run \"calc\"")
        .bind("Boot", "Ghost");
    const snapshot snap = collect(source);
    const subscription_graph g(snap);
    REQUIRE(g.entries().size() == 4);

    const auto bound = g.in_state(subscription_state::bound);
    REQUIRE(bound.size() == 1);
    CHECK(g.filter(*bound[0])->name == "Boot");
    CHECK(consumer_name(g, *bound[0]) == "Run");
    CHECK(g.binding(*bound[0]) != nullptr);
    CHECK(bound[0]->namespace_path == "root\\subscription");

    const auto dangling = g.in_state(subscription_state::dangling_binding);
    REQUIRE(dangling.size() == 1);
    CHECK(g.filter(*dangling[0])->name == "Boot");
    CHECK(g.consumer(*dangling[0]) == nullptr);
    CHECK(dangling[0]->unresolved.find("consumer") == 0);
    CHECK(dangling[0]->unresolved.find("Ghost") != std::string::npos);

    const auto orphan_filters = g.in_state(subscription_state::orphan_filter);
    REQUIRE(orphan_filters.size() == 1);
    CHECK(g.filter(*orphan_filters[0])->name == "Lonely");
    CHECK(g.binding(*orphan_filters[0]) == nullptr);

    const auto orphan_consumers = g.in_state(subscription_state::orphan_consumer);
    REQUIRE(orphan_consumers.size() == 1);
    CHECK(consumer_name(g, *orphan_consumers[0]) == "Unbound");
    CHECK(std::holds_alternative<active_script_consumer>(*g.consumer(*orphan_consumers[0])));
    CHECK(to_string(subscription_state::orphan_consumer) == "orphan_consumer");
}

TEST_CASE("references resolve however they are spelled") {
    mock_collector source;
    source.filter("Name \"With\" Quotes", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_LogonSession'")
        .command_line_consumer("Updater", "powershell -nop -w hidden")
        .bind_paths(R"(\\.\ROOT\Subscription:__eventfilter.name="Name \"With\" Quotes")",
                    "//./root/subscription:COMMANDLINEEVENTCONSUMER=\"updater\"")
        .bind_paths(R"(__EventFilter.Name='Name "With" Quotes')", R"(root/subscription:CommandLineEventConsumer.Name="Updater")")
        .bind_paths(R"(\\OTHERHOST\root\subscription:__EventFilter.Name="Name \"With\" Quotes")",
                    "CommandLineEventConsumer.Name=\"Updater\"")
        .bind_paths("__EventFilter.Name=\"unterminated", "CommandLineEventConsumer.Name=\"Updater\"")
        .bind_paths(R"(\\.\root\cimv2:__EventFilter.Name="Name \"With\" Quotes")", "CommandLineEventConsumer.Name=\"Updater\"");
    const snapshot snap = collect(source);
    const subscription_graph g(snap);
    const auto bound = g.in_state(subscription_state::bound);
    CHECK(bound.size() == 2);
    const auto dangling = g.in_state(subscription_state::dangling_binding);
    REQUIRE(dangling.size() == 3);
    CHECK(dangling[0]->unresolved.find("another machine") != std::string::npos);
    CHECK(dangling[1]->unresolved.find("unparseable") != std::string::npos);
    CHECK(dangling[2]->unresolved.find("matches no object") != std::string::npos);  // wrong namespace
    for (const subscription* s : dangling) CHECK(g.consumer(*s) != nullptr);
    CHECK(g.in_state(subscription_state::orphan_filter).empty());
    CHECK(g.in_state(subscription_state::orphan_consumer).empty());
}

TEST_CASE("references that name the machine the snapshot describes are local, by NetBIOS or DNS name") {
    // Get-WmiObject writes __PATH-style references with the server: `\\WS01\ROOT\subscription:…`.
    const auto graph_of = [](std::string host, std::vector<std::string> also_local) {
        mock_collector source;
        source.filter("Upd", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_LocalTime'")
            .command_line_consumer("Upd", "cmd.exe /c calc")
            .bind_paths(R"(\\WS01\ROOT\subscription:__EventFilter.Name="Upd")",
                        R"(\\ws01\root\subscription:CommandLineEventConsumer.Name="Upd")");
        snapshot snap = collect(source);
        snap.host = std::move(host);  // as a source that knows the machine sets it
        graph_options options;
        options.local_names = std::move(also_local);
        return subscription_graph(std::move(snap), options);
    };
    for (const char* host : {"WS01", "ws01", "WS01.corp.example"}) {
        const subscription_graph g = graph_of(host, {});
        CAPTURE(host);
        CHECK(g.in_state(subscription_state::bound).size() == 1);
        CHECK(g.in_state(subscription_state::orphan_filter).empty());
    }
    // Unknown host: the server is another machine, unless the caller names this machine so.
    const subscription_graph unknown = graph_of("", {});
    REQUIRE(unknown.in_state(subscription_state::dangling_binding).size() == 1);
    CHECK(unknown.in_state(subscription_state::dangling_binding)[0]->unresolved.find("another machine") != std::string::npos);
    CHECK(graph_of("", {"ws01.corp.example"}).in_state(subscription_state::bound).size() == 1);
    // A different machine, or a different DNS name with the same first label, stays remote.
    CHECK(graph_of("WS02", {}).in_state(subscription_state::bound).empty());
    CHECK(graph_of("", {"ws01.other.example", "x"}).in_state(subscription_state::bound).size() == 1);  // NetBIOS WS01
    CHECK(same_machine("WS01", "ws01.corp.example"));
    CHECK(same_machine("ws01.corp.example", "WS01"));
    CHECK_FALSE(same_machine("ws01.corp.example", "ws01.other.example"));
    CHECK_FALSE(same_machine("WS01", "WS010"));
    CHECK_FALSE(same_machine("", "WS01"));
}

TEST_CASE("a consumer bound to two filters gives two entries") {
    mock_collector source;
    source.filter("Log Adapter Filter", "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour=15")
        .filter("AD Bridge Filter", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'")
        .command_line_consumer("Syslog Consumer", "powershell.exe -enc RwBlAHQALQBEAGEAdABlAA==")
        .bind("Log Adapter Filter", "Syslog Consumer")
        .bind("AD Bridge Filter", "Syslog Consumer");
    const snapshot snap = collect(source);
    const subscription_graph g(snap);
    const auto bound = g.in_state(subscription_state::bound);
    REQUIRE(bound.size() == 2);
    CHECK(bound[0]->consumer == bound[1]->consumer);
    CHECK(g.filter(*bound[0])->name != g.filter(*bound[1])->name);
    CHECK(g.entries().size() == 2);
}

TEST_CASE("bindings in other namespaces resolve relative references there") {
    mock_collector source;
    source.in_namespace("root\\cimv2")
        .filter("instfilt", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.__class = 'MyClass31337'", "")
        .script_consumer("ASEC", "GetObject(\"winmgmts:\")")
        .bind("instfilt", "ASEC", "ActiveScriptEventConsumer");
    const snapshot snap = collect(source);
    const subscription_graph g(snap);
    const auto bound = g.in_state(subscription_state::bound);
    REQUIRE(bound.size() == 1);
    CHECK(bound[0]->namespace_path == "root\\cimv2");
}

TEST_CASE("a __TimerEvent filter is linked to its timer instruction by TimerID") {
    mock_collector source;
    source.in_namespace("root\\cimv2").interval_timer("WindowsTimer", 3600000).interval_timer("OtherTimer", 1000);
    source.in_namespace("root\\subscription")
        .filter("CheckIn", "select * from __timerevent where timerid=\"WindowsTimer\"", "root\\cimv2")
        .command_line_consumer("CheckIn", "cmd /c whoami")
        .bind("CheckIn", "CheckIn")
        .filter("Reversed", "SELECT * FROM __TimerEvent WHERE 'windowstimer' = TimerId")
        .filter("NotTimer", "SELECT * FROM __InstanceCreationEvent WHERE TimerId = 'WindowsTimer'");
    const snapshot snap = collect(source);
    const subscription_graph g(snap);
    const auto bound = g.in_state(subscription_state::bound);
    REQUIRE(bound.size() == 1);
    REQUIRE(bound[0]->timers.size() == 1);
    const timer_instruction& timer = snap.timers[bound[0]->timers[0]];
    CHECK(timer.timer_id == "WindowsTimer");
    CHECK(*timer.interval_between_events == 3600000);

    for (const subscription* s : g.in_state(subscription_state::orphan_filter)) {
        if (g.filter(*s)->name == "Reversed") {
            // No timer in root\subscription: the one in root\cimv2 is linked as the only candidate.
            CHECK(s->timers.size() == 1);
        } else {
            CHECK(s->timers.empty());
        }
    }
}

TEST_CASE("each filter query is analysed once and the analysis is kept with the graph") {
    mock_collector source;
    source.filter("Boot", "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                          "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 200")
        .command_line_consumer("Boot", "cmd /c whoami")
        .bind("Boot", "Boot")
        .filter("Broken", "SELECT FROM WHERE")
        .command_line_consumer("Lonely", "cmd /c ver");
    const snapshot snap = collect(source);
    const subscription_graph g(snap);
    for (const subscription& s : g.entries()) {
        const result<wql_analysis>* analysis = g.query_analysis(s);
        if (s.state == subscription_state::orphan_consumer) {
            CHECK(analysis == nullptr);
        } else if (g.filter(s)->name == "Boot") {
            REQUIRE(analysis != nullptr);
            REQUIRE(*analysis);
            CHECK((*analysis)->trigger.kind == trigger_kind::startup);
        } else {
            REQUIRE(analysis != nullptr);
            CHECK_FALSE(*analysis);  // the parse error is kept for the rules to report
        }
    }
}

TEST_CASE("timer instructions are matched by TimerId whatever its case, and only by it") {
    mock_collector source;
    for (int i = 0; i < 50; ++i) source.interval_timer("Timer" + std::to_string(i), 1000u * static_cast<unsigned>(i + 1));
    source.filter("F", "SELECT * FROM __TimerEvent WHERE TimerID = 'TIMER7'")
        .command_line_consumer("C", "cmd /c ver")
        .bind("F", "C");
    const snapshot snap = collect(source);
    const subscription_graph g(snap);
    const auto bound = g.in_state(subscription_state::bound);
    REQUIRE(bound.size() == 1);
    REQUIRE(bound[0]->timers.size() == 1);
    CHECK(snap.timers[bound[0]->timers[0]].timer_id == "Timer7");
}

TEST_CASE("the same object read from two sources binds in every copy") {
    mock_collector a("a");
    a.filter("F", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
        .command_line_consumer("C", "calc.exe")
        .bind("F", "C");
    mock_collector b("b");
    b.filter("F", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'");
    snapshot snap = collect(a);
    snap.merge(collect(b));
    const subscription_graph g(snap);
    CHECK(g.in_state(subscription_state::bound).size() == 2);
    CHECK(g.in_state(subscription_state::orphan_filter).empty());
    CHECK_FALSE(g.truncated());
}

#if WMISUB_HEADER_ONLY  // the key builders are internals defined only where the implementation is compiled
TEST_CASE("lookup keys read in place equal those of the parsed path") {
    const std::vector<std::string> references = {
        R"(__EventFilter.Name="F")",       R"(\\.\ROOT\Subscription:__eventfilter='F')",
        R"(//./root/subscription:C="F")",  R"(\\localhost\root\subscription:C.Name="It's")",
        "C.Name=\"\xc3\x84\"",              R"(\\remote\root\subscription:C.Name="F")",
        R"(C.Name="a\"b")",               R"(C.B="2",A="1")",
        R"(C.Name="x:C.K=\"v\"")",       "not a path",
    };
    detail::local_key_builder keys;  // shared, so its kept prefix is exercised too
    detail::machine_names machine;
    machine.names = {"host"};  // `\\host\…` is this machine in the second round
    for (const std::string& text : references) {
        for (const char* binding_namespace : {"root\\subscription", "//./ROOT/cimv2/", "\\\\host\\root"}) {
            INFO("reference: " << text << " in " << binding_namespace);
            for (const detail::machine_names& local : {detail::machine_names{}, machine}) {
                std::string why;
                const auto fast = detail::reference_key(text, binding_namespace, local, keys, why);
                std::string slow_why;
                const auto slow = detail::parsed_reference_key(text, binding_namespace, local, slow_why);
                REQUIRE(fast.has_value() == slow.has_value());
                if (fast) CHECK(*fast == *slow);
                CHECK(why == slow_why);
            }
        }
    }
}
#endif

TEST_CASE("the identity index groups equal keys in the order they were added") {
    detail::identity_index index;
    for (std::size_t i = 0; i < 100; ++i) index.add(std::to_string(i % 7), i);
    index.finish();
    const auto threes = index.find("3");
    REQUIRE(threes.size() == 14);  // 3, 10, ..., 94
    for (std::size_t i = 0; i < threes.size(); ++i) CHECK(threes[i] == 3 + 7 * i);
    CHECK(index.find("7").empty());
    CHECK(detail::identity_index{}.find("3").empty());
}

#ifdef WMISUB_TEST_HAS_CORPUS
namespace {

// The Name of a corpus object; empty when the corpus has it as null.
std::string name_of(const instance& in) {
    const value* v = in.get("Name");
    return v != nullptr && v->as_string() != nullptr ? *v->as_string() : std::string{};
}

// True when the corpus entry's consumer is usable (some entries carry a null Name).
bool has_named_consumer(const wmisub_test::corpus_entry& e) { return e.consumer && !name_of(*e.consumer).empty(); }

// A snapshot holding every corpus entry, with one object per identity (the
// Turla entries share their consumer) and bindings as WMI writes them.
snapshot snapshot_of(const std::vector<wmisub_test::corpus_entry>& entries) {
    snapshot snap;
    std::set<std::string> seen;
    for (const auto& e : entries) {
        for (const auto* in : {&e.filter, &e.consumer}) {
            if (!*in) continue;
            const std::string key = e.namespace_path + "|" + (*in)->class_name + "|" + name_of(**in);
            if (seen.insert(key).second) snap.add(**in, e.id);
        }
        if (!e.bound || !e.filter || !e.consumer) continue;
        instance b = wmisub_test::make_corpus_instance(e.namespace_path, "__FilterToConsumerBinding", e.id);
        b.set("Filter", value::reference("__EventFilter.Name=" + quote_key_value(name_of(*e.filter))));
        b.set("Consumer", value::reference(e.consumer->class_name + ".Name=" + quote_key_value(name_of(*e.consumer))));
        const std::string key = e.namespace_path + "|binding|" + b.get("Filter")->as_string()->c_str() + "|" +
                                *b.get("Consumer")->as_string();
        if (seen.insert(key).second) snap.add(b, e.id);
    }
    return snap;
}

}  // namespace

TEST_CASE("the Turla pattern in the attack corpus: one consumer, two filters") {
    WMISUB_REQUIRE_SHARED(file, "corpus/attacks.jsonl");
    std::vector<wmisub_test::corpus_entry> turla;
    for (auto& e : wmisub_test::load_corpus(file)) {
        if (e.family == "turla-emulation") turla.push_back(std::move(e));
    }
    REQUIRE(turla.size() == 2);
    const snapshot snap = snapshot_of(turla);
    CHECK(snap.filters.size() == 2);
    CHECK(snap.consumers.size() == 1);
    const subscription_graph g(snap);
    const auto bound = g.in_state(subscription_state::bound);
    REQUIRE(bound.size() == 2);
    CHECK(*bound[0]->consumer == 0);
    CHECK(*bound[1]->consumer == 0);
    CHECK(consumer_name(g, *bound[0]) == "Syslog Consumer");
    CHECK(g.entries().size() == 2);
}

TEST_CASE("every corpus subscription joins as its binding says") {
    for (const char* name : {"corpus/attacks.jsonl", "corpus/benign.jsonl"}) {
        auto file = wmisub_test::shared_data_path(name);
        if (!file) {
            MESSAGE("skipped: ../shared/data/" << name << " is absent");
            continue;
        }
        const auto entries = wmisub_test::load_corpus(*file);
        REQUIRE_FALSE(entries.empty());
        const snapshot snap = snapshot_of(entries);
        std::size_t unnamed = 0;
        for (const auto& e : entries) if (e.consumer && !has_named_consumer(e)) ++unnamed;
        // A consumer without its key cannot be typed: one missing_field error each, nothing else.
        REQUIRE(snap.errors.size() == unnamed);
        for (const auto& err : snap.errors) CHECK(err.error.code == errc::missing_field);
        const subscription_graph g(snap);
        CHECK(g.in_state(subscription_state::dangling_binding).size() == unnamed);
        for (const auto& e : entries) {
            CAPTURE(e.id);
            bool found_bound = false;
            for (const subscription* s : g.in_state(subscription_state::bound)) {
                const event_filter* f = g.filter(*s);
                found_bound = found_bound ||
                              (e.filter && f->name == name_of(*e.filter) && iequals(f->namespace_path, e.namespace_path));
            }
            CHECK(found_bound == (e.bound && has_named_consumer(e)));
        }
    }
}
#endif

TEST_CASE("a graph owns its snapshot and shares its state with copies") {
    mock_collector source;
    source.filter("F", "SELECT * FROM __TimerEvent WHERE TimerId='T'").command_line_consumer("C", "cmd /c x").bind("F", "C");
    auto snap = source.collect({});
    REQUIRE(snap);
    const auto shared = std::make_shared<const snapshot>(std::move(*snap));
    std::optional<subscription_graph> graph(std::in_place, shared);
    CHECK(&graph->source() == shared.get());  // shared, not copied
    CHECK(graph->shared_source() == shared);
    const subscription_graph copy = *graph;
    CHECK(copy.shared_state() == graph->shared_state());  // copies share the built state
    const subscription* entry = &copy.entries().front();
    graph.reset();
    REQUIRE(copy.filter(*entry) != nullptr);
    CHECK(copy.filter(*entry)->name == "F");
    CHECK(copy.consumer(*entry) != nullptr);
    REQUIRE(copy.query_analysis(*entry) != nullptr);
    CHECK(copy.query_analysis(*entry)->has_value());

    const subscription_graph empty{std::shared_ptr<const snapshot>{}};  // a null snapshot is an empty one
    CHECK(empty.entries().empty());
}

// Whether `g.entries()` compiles for a G of this value category.
template <class G>
concept entries_callable = requires(G&& g) { std::forward<G>(g).entries(); };
template <class G>
concept filter_callable = requires(G&& g, const subscription& s) { std::forward<G>(g).filter(s); };

TEST_CASE("references into a temporary graph do not compile") {
    static_assert(entries_callable<const subscription_graph&>);
    static_assert(!entries_callable<subscription_graph&&>);
    static_assert(!entries_callable<const subscription_graph&&>);
    static_assert(filter_callable<const subscription_graph&>);
    static_assert(!filter_callable<subscription_graph>);
    static_assert(!std::is_constructible_v<subscription_graph, const snapshot*>);
    CHECK(entries_callable<subscription_graph&>);
}

TEST_CASE("the object table analyses each distinct query and payload once") {
    mock_collector source;
    for (const char* name : {"A", "B", "C"}) {
        source.filter(name, "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
            .command_line_consumer(name, "powershell -enc SQBFAFgA")
            .bind(name, name);
    }
    source.filter("D", "SELECT * FROM Win32_ProcessStartTrace").command_line_consumer("D", "cmd /c ver").bind("D", "D");
    const subscription_graph g(collect(source));
    REQUIRE(g.entries().size() == 4);
    CHECK(g.distinct_queries() == 2);
    CHECK(g.distinct_payloads() == 2);
    const payload_analysis* first = g.payload(g.entries()[0]);
    REQUIRE(first != nullptr);
    CHECK(g.payload(g.entries()[1]) == first);  // shared, not recomputed
    CHECK(g.query_analysis(g.entries()[1]) == g.query_analysis(g.entries()[0]));
    CHECK(g.payload(g.entries()[3]) != first);
    CHECK(g.payload(g.entries()[3])->argv.front() == "cmd");
}

TEST_CASE("a payload's content key ignores what its analysis never reads, and nothing else") {
    command_line_consumer base;
    base.name = "One";
    base.namespace_path = "root\\subscription";
    base.command_line_template = "cmd /c whoami";
    command_line_consumer renamed = base;
    renamed.name = "Two";
    renamed.namespace_path = "root\\other";
    renamed.creator_sid = {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0};
    renamed.machine_name = "elsewhere";
    renamed.maximum_queue_size = 10;
    renamed.origin.where.source = "another file";
    CHECK(payload_content_key(consumer{base}) == payload_content_key(consumer{renamed}));
    // A graph shares one analysis between two consumers exactly when their keys are equal.
    const auto shares_analysis = [](const consumer& a, const consumer& b) {
        snapshot s;
        s.consumers = {a, b};
        const subscription_graph g(std::move(s));
        REQUIRE(g.entries().size() == 2);
        return g.payload(g.entries()[0]) == g.payload(g.entries()[1]);
    };
    CHECK(shares_analysis(consumer{base}, consumer{renamed}));
    command_line_consumer other = base;
    other.working_directory = "C:\\Users\\Public";
    CHECK(payload_content_key(consumer{base}) != payload_content_key(consumer{other}));
    CHECK_FALSE(shares_analysis(consumer{base}, consumer{other}));
    other = base;
    other.show_window_command = 0;
    CHECK(payload_content_key(consumer{base}) != payload_content_key(consumer{other}));
    CHECK_FALSE(shares_analysis(consumer{base}, consumer{other}));
    other = base;
    other.executable_path = "";  // present but empty differs from absent
    CHECK(payload_content_key(consumer{base}) != payload_content_key(consumer{other}));
    CHECK_FALSE(shares_analysis(consumer{base}, consumer{other}));
    // The same text in another class is another payload.
    active_script_consumer script;
    script.script_text = "cmd /c whoami";
    CHECK(payload_content_key(consumer{base}) != payload_content_key(consumer{script}));
    CHECK_FALSE(shares_analysis(consumer{base}, consumer{script}));
    // A custom class is judged by its class and every property it carries.
    custom_consumer custom;
    custom.class_name = "VendorConsumer";
    custom.extra.push_back({"Payload", value::string("cmd /c whoami")});
    custom_consumer custom2 = custom;
    custom2.extra.front().value = value::string("cmd /c ver");
    CHECK(payload_content_key(consumer{custom}) != payload_content_key(consumer{custom2}));
    CHECK_FALSE(shares_analysis(consumer{custom}, consumer{custom2}));
    CHECK(shares_analysis(consumer{custom}, consumer{custom}));
    custom2 = custom;
    custom2.class_name = "OtherConsumer";
    CHECK(payload_content_key(consumer{custom}) != payload_content_key(consumer{custom2}));
}

#ifdef WMISUB_TEST_HAS_CORPUS
TEST_CASE("every corpus payload analyses the same under another name, namespace and creator") {
    std::size_t checked = 0;
    for (const char* file : {"corpus/attacks.jsonl", "corpus/benign.jsonl"}) {
        const auto path = wmisub_test::shared_data_path(file);
        if (!path) continue;
        for (const auto& e : wmisub_test::load_corpus(*path)) {
            if (!e.consumer) continue;
            CAPTURE(e.id);
            snapshot one;
            one.add(*e.consumer);
            instance moved = *e.consumer;
            moved.set("Name", value::string("renamed by the test"));
            moved.set("MachineName", value::string("elsewhere"));
            moved.namespace_path = "root\\cimv2\\other";
            moved.origin.where.source = "elsewhere";
            one.add(moved);
            if (one.consumers.size() != 2) continue;  // not a consumer class (kept in other_objects)
            CHECK(payload_content_key(one.consumers[0]) == payload_content_key(one.consumers[1]));
            const subscription_graph g(one);
            REQUIRE(g.entries().size() == 2);
            CHECK(g.payload(g.entries()[0]) == g.payload(g.entries()[1]));  // found equal in place, analysed once
            const payload_analysis a = analyze_consumer(one.consumers[0]);
            const payload_analysis b = analyze_consumer(one.consumers[1]);
            CHECK(a.indicators == b.indicators);
            CHECK(a.argv == b.argv);
            CHECK(a.chain.size() == b.chain.size());
            CHECK(a.layers.size() == b.layers.size());
            ++checked;
        }
    }
    if (checked == 0) MESSAGE("skipped: ../shared/data/corpus is absent");
}
#endif
