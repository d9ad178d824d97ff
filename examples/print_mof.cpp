// print_mof: read a MOF file and print the subscriptions it would register.
//
//   usage: print_mof FILE.mof
//
// For each subscription: the filter's query and, in plain words, what triggers
// it (describe(); timer filters are linked to their timer instruction), the
// consumer and what it does, and the binding's two object paths. Parse errors
// are printed with their line and column; the rest of the file is still read.
// Exits 1 when the file has errors or registers no subscription, 2 on usage errors.
#include <wmisub/wmisub.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

namespace {

// What a consumer does, in one line.
std::string consumer_action(const wmisub::consumer& c) {
    return std::visit(
        [](const auto& typed) -> std::string {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, wmisub::command_line_consumer>) {
                return "runs " + typed.command_line_template.value_or(typed.executable_path.value_or("?"));
            } else if constexpr (std::is_same_v<T, wmisub::active_script_consumer>) {
                return "runs " + typed.scripting_engine.value_or("script") + " " +
                       (typed.script_text ? std::to_string(typed.script_text->size()) + " bytes of inline script"
                                          : "file " + typed.script_file_name.value_or("?"));
            } else if constexpr (std::is_same_v<T, wmisub::log_file_consumer>) {
                return "appends \"" + typed.text.value_or("") + "\" to " + typed.filename.value_or("?");
            } else if constexpr (std::is_same_v<T, wmisub::nt_event_log_consumer>) {
                return "writes event " + std::to_string(typed.event_id.value_or(0)) + " from source " +
                       typed.source_name.value_or("?");
            } else if constexpr (std::is_same_v<T, wmisub::smtp_consumer>) {
                return "mails " + typed.to_line.value_or("?") + " through " + typed.smtp_server.value_or("?");
            } else {
                return "delivers to the provider of custom class " + typed.class_name;
            }
        },
        c);
}

// The filter's trigger in plain words, with the linked timer's interval when there is one.
std::string trigger_words(const wmisub::subscription_graph& graph, const wmisub::subscription& s) {
    const wmisub::event_filter* f = graph.filter(s);
    auto analysis = wmisub::analyze_wql(f->query);
    if (!analysis) return "query does not parse: " + analysis.error().to_string();
    std::optional<std::uint64_t> interval;
    if (!s.timers.empty()) interval = graph.source().timers[s.timers.front()].interval_between_events;
    return std::string(wmisub::to_string(analysis->trigger.kind)) + ": " +
           wmisub::describe(analysis->trigger, interval);
}

void print_entry(const wmisub::subscription_graph& graph, const wmisub::subscription& s) {
    std::printf("%s in %s\n", std::string(wmisub::to_string(s.state)).c_str(), s.namespace_path.c_str());
    if (const wmisub::event_filter* f = graph.filter(s)) {
        std::printf("  filter    %s (line %zu)\n", f->name.c_str(), f->origin.where.line);
        std::printf("  query     %s\n", f->query.c_str());
        std::printf("  trigger   %s\n", trigger_words(graph, s).c_str());
    }
    if (const wmisub::consumer* c = graph.consumer(s)) {
        const wmisub::consumer_header& h = wmisub::header_of(*c);
        std::printf("  consumer  %s \"%s\" (line %zu)\n", h.class_name.c_str(), h.name.c_str(), h.origin.where.line);
        std::printf("  action    %s\n", consumer_action(*c).c_str());
    }
    if (const wmisub::binding* b = graph.binding(s)) {
        std::printf("  binding   %s -> %s\n", b->filter.c_str(), b->consumer.c_str());
    }
    if (!s.unresolved.empty()) std::printf("  problem   %s\n", s.unresolved.c_str());
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return std::fprintf(stderr, "usage: print_mof FILE.mof\n"), 2;

    // parse_mof_file never fails as a whole: problems are in doc.errors, located.
    const wmisub::mof_document doc = wmisub::parse_mof_file(argv[1]);
    for (const wmisub::error& e : doc.errors) std::printf("error: %s\n", e.to_string().c_str());
    if (doc.asks_autorecover())
        std::printf("note: #pragma autorecover: WMI recompiles this file after a repository rebuild\n");

    const wmisub::subscription_graph graph(wmisub::to_snapshot(doc));
    std::printf("%s: %zu instances, %zu subscription entries\n\n", argv[1], doc.instances.size(),
                graph.entries().size());
    for (const wmisub::subscription& s : graph.entries()) print_entry(graph, s);
    return doc.ok() && !graph.entries().empty() ? 0 : 1;
}
