// Tests for wmisub/collector.hpp: the collector interface, mock and composite.
#include "wmisub/collector.hpp"
#include "annotations.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using namespace wmisub;

namespace {



// A collector written the way a host would write its own: one object per namespace it is asked for.
class counting_collector final : public collector {
public:
    [[nodiscard]] std::string name() const override { return "counting"; }

protected:
    // The sink drops namespaces the caller did not ask for: the reader need not check.
    [[nodiscard]] result<void> read(collect_sink& sink) const override {
        for (const char* ns : {"root\\subscription", "root\\default", "root\\cimv2\\deep"}) {
            instance in;
            in.namespace_path = ns;
            in.class_name = "__EventFilter";
            in.set("Name", value::string(std::string("F in ") + ns)).set("Query", value::string("SELECT * FROM __TimerEvent"));
            if (!sink.add(in)) break;
        }
        return {};
    }
};

}  // namespace

TEST_CASE("the mock collector is filled fluently and types what it holds") {
    mock_collector source("scenario");
    source.created_by("S-1-5-32-544")
        .filter("F", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'")
        .command_line_consumer("C", "cmd.exe /c calc", "C:\\Windows\\System32\\cmd.exe")
        .script_consumer("S", "x = 1", "JScript")
        .bind("F", "C")
        .interval_timer("T", 60000);
    auto snap = source.collect({});
    REQUIRE(snap);
    CHECK(snap->filters.size() == 1);
    CHECK(snap->consumers.size() == 2);
    CHECK(snap->bindings.size() == 1);
    CHECK(snap->timers.size() == 1);
    CHECK(snap->errors.empty());
    CHECK(*snap->filters[0].creator_sid_string() == "S-1-5-32-544");
    CHECK(snap->filters[0].origin.kind == source_kind::mock);
    CHECK(snap->filters[0].origin.where.source == "scenario");
    const auto& cmd = std::get<command_line_consumer>(snap->consumers[0]);
    CHECK(*cmd.executable_path == "C:\\Windows\\System32\\cmd.exe");
    CHECK(*std::get<active_script_consumer>(snap->consumers[1]).scripting_engine == "JScript");
    CHECK(snap->bindings[0].filter == "__EventFilter.Name=\"F\"");
    CHECK(snap->bindings[0].consumer == "CommandLineEventConsumer.Name=\"C\"");
}

TEST_CASE("namespaces select what is collected, recursively by default") {
    counting_collector source;
    collect_options all;
    CHECK(source.collect(all)->filters.size() == 3);

    collect_options root;
    root.namespaces = {"ROOT\\CIMV2"};
    auto deep = source.collect(root);
    REQUIRE(deep->filters.size() == 1);
    CHECK(deep->filters[0].namespace_path == "root\\cimv2\\deep");

    root.recursive = false;
    CHECK(source.collect(root)->filters.empty());

    collect_options two;
    two.namespaces = {"root\\subscription", "root\\default"};
    CHECK(source.collect(two)->filters.size() == 2);
    CHECK_FALSE(two.wants_namespace("root\\subscriptionX"));
}

TEST_CASE("cancel flag and deadline stop a collection") {
    mock_collector source;
    source.filter("F", "SELECT * FROM __TimerEvent");
    std::atomic<bool> cancel{true};
    collect_options options;
    options.cancel = &cancel;
    auto cancelled = source.collect(options);
    REQUIRE(cancelled);
    REQUIRE(cancelled->partial());
    CHECK(cancelled->stopped->code == errc::cancelled);
    CHECK(cancelled->filters.empty());

    collect_options late;
    late.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    auto timed_out = source.collect(late);
    REQUIRE(timed_out);
    CHECK(timed_out->stopped->code == errc::timeout);

    CHECK_FALSE(source.collect({})->partial());
}

TEST_CASE("a collection stopped by a limit keeps what it read, marked partial") {
    mock_collector source;
    for (int i = 0; i < 10; ++i) source.filter("F" + std::to_string(i), "SELECT * FROM __TimerEvent");
    source.error_in("", make_error(errc::syntax_error, "one")).error_in("", make_error(errc::syntax_error, "two"));
    collect_options options;
    options.limits.max_objects = 4;
    options.limits.max_errors = 1;
    auto snap = source.collect(options);
    REQUIRE(snap);
    CHECK(snap->filters.size() == 4);
    REQUIRE(snap->partial());
    CHECK(snap->stopped->code == errc::limit_exceeded);
    CHECK(snap->stopped->message.find("limits::max_objects") != std::string::npos);

    options.limits.max_objects = 100;
    auto errors = source.collect(options);
    REQUIRE(errors);
    CHECK_FALSE(errors->partial());
    REQUIRE(errors->errors.size() == 2);  // the first, then one that counts the rest
    CHECK(errors->errors[0].error.message == "one");
    CHECK(errors->errors[1].error.code == errc::limit_exceeded);
}

TEST_CASE("a raised cancel flag stops a long collection promptly, keeping what was read") {
    std::atomic<bool> cancel{false};
    mock_collector source;
    for (int i = 0; i < 1000; ++i) source.filter("F" + std::to_string(i), "SELECT * FROM __TimerEvent");
    collect_options options;
    options.cancel = &cancel;
    options.progress = [&](const collect_progress& p) {
        if (p.done == 500) cancel = true;
    };
    auto snap = source.collect(options);
    REQUIRE(snap);
    REQUIRE(snap->partial());
    CHECK(snap->stopped->code == errc::cancelled);
    CHECK(snap->filters.size() >= 500);
    CHECK(snap->filters.size() < 1000);
}

TEST_CASE("annotations about objects by path reach the objects the snapshot holds") {
    class annotating_collector final : public collector {
    public:
        [[nodiscard]] std::string name() const override { return "annotating"; }

    protected:
        [[nodiscard]] result<void> read(collect_sink& sink) const override {
            mock_collector objects;
            objects.filter("Gone", "SELECT * FROM __TimerEvent").filter("Kept", "SELECT * FROM __TimerEvent");
            const auto made = objects.collect();
            for (const event_filter& f : made->filters) sink.add(wmi_object{f});
            sink.annotate("__EventFilter.Name=\"gone\"", wmisub_test::make_note(annotation_kind::deleted, "deleteinstance", {"x.mof", 3, 1, 0}));
            sink.annotate("\\\\.\\root\\other:__EventFilter.Name=\"Kept\"", wmisub_test::make_note(annotation_kind::deleted, "elsewhere"));
            sink.annotate("NoSuchClass", wmisub_test::make_note(annotation_kind::deleted, "deleteclass"));
            return {};
        }
    };
    const annotating_collector source;
    auto snap = source.collect();
    REQUIRE(snap);
    REQUIRE(snap->filters.size() == 2);
    CHECK(snap->annotations.size() == 3);
    REQUIRE(snap->filters[0].origin.annotations.size() == 1);  // relative path, names folded
    CHECK(snap->filters[0].origin.has(annotation_kind::deleted));
    CHECK(snap->filters[0].origin.annotations[0].where.line == 3);
    CHECK(snap->filters[1].origin.annotations.empty());  // another namespace
}

TEST_CASE("threads share one collector, collecting at once") {
    mock_collector source;
    for (int i = 0; i < 200; ++i) source.filter("F" + std::to_string(i), "SELECT * FROM __TimerEvent");
    const collector& shared = source;
    std::vector<std::size_t> counts(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < counts.size(); ++t) {
        threads.emplace_back([&, t] { counts[t] = shared.collect()->filters.size(); });
    }
    for (std::thread& t : threads) t.join();
    for (std::size_t n : counts) CHECK(n == 200);
}

TEST_CASE("progress is reported") {
    mock_collector source;
    source.filter("A", "SELECT * FROM __TimerEvent").filter("B", "SELECT * FROM __TimerEvent");
    std::vector<std::size_t> seen;
    collect_options options;
    options.progress = [&](const collect_progress& p) {
        CHECK(p.total == 2);
        seen.push_back(p.done);
    };
    REQUIRE(source.collect(options));
    CHECK(seen == std::vector<std::size_t>{0, 1});
}

TEST_CASE("mock errors: per namespace and whole-source failures") {
    mock_collector partial;
    partial.filter("F", "SELECT * FROM __TimerEvent")
        .error_in("root\\secret", make_error(errc::access_denied, "WBEM_E_ACCESS_DENIED"));
    auto snap = partial.collect({});
    REQUIRE(snap);
    REQUIRE(snap->errors.size() == 1);
    CHECK(snap->errors[0].namespace_path == "root\\secret");
    CHECK(snap->errors[0].error.code == errc::access_denied);

    mock_collector broken;
    broken.fail_with(make_error(errc::not_found, "no such file"));
    CHECK(broken.collect({}).error().code == errc::not_found);
}

TEST_CASE("a composite merges collectors and keeps each one's errors") {
    composite_collector all;
    CHECK(all.collect({}).error().code == errc::invalid_argument);

    auto good = std::make_unique<mock_collector>("mof:a.mof");
    good->filter("F", "SELECT * FROM __TimerEvent").command_line_consumer("C", "calc").bind("F", "C");
    auto partly = std::make_unique<mock_collector>("events:b.xml");
    partly->script_consumer("S", "x").error_in("", make_error(errc::syntax_error, "bad record", 40));
    auto broken = std::make_unique<mock_collector>("repository:/x");
    broken->fail_with(make_error(errc::not_found, "INDEX.BTR missing"));
    all.add(std::move(good)).add(std::move(partly)).add(std::move(broken)).add(nullptr);
    CHECK(all.size() == 3);

    auto snap = all.collect({});
    REQUIRE(snap);
    CHECK(snap->filters.size() == 1);
    CHECK(snap->consumers.size() == 2);
    REQUIRE(snap->errors.size() == 2);
    CHECK(snap->errors[0].source == "events:b.xml");
    CHECK(snap->errors[0].error.location.offset == 40);
    CHECK(snap->errors[1].source == "repository:/x");
    CHECK(snap->errors[1].error.code == errc::not_found);
}

TEST_CASE("a composite whose every source fails fails, naming each") {
    composite_collector all;
    auto a = std::make_unique<mock_collector>("a");
    a->fail_with(make_error(errc::io_error, "unreadable"));
    auto b = std::make_unique<mock_collector>("b");
    b->fail_with(make_error(errc::unsupported, "COM needs Windows"));
    all.add(std::move(a)).add(std::move(b));
    auto r = all.collect({});
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("a: io_error") != std::string::npos);
    CHECK(r.error().message.find("b: unsupported") != std::string::npos);
}

TEST_CASE("hosts implement the interface themselves") {
    std::unique_ptr<collector> source = std::make_unique<counting_collector>();
    CHECK(source->name() == "counting");
    CHECK(source->collect({})->filters.size() == 3);
}
