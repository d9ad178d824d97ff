// custom_collector: feed wmisub from a source of your own.
//
// Anything that can list WMI objects can be a collector: implement name() and
// collect(), turn each record into a wmisub::instance (namespace, class,
// properties, provenance) and let snapshot::add() type it. From then on your
// source gets the same graph, rules, scores and baselines as the built-in ones.
//
// The source here is a made-up line format, as an inventory tool might export:
//
//   namespace | root\subscription                         namespace of the lines that follow
//   filter    | <name> | <WQL query>
//   command   | <name> | <command line>                  a CommandLineEventConsumer
//   script    | <name> | <engine> | <script text>        an ActiveScriptEventConsumer
//   bind      | <filter name> | <consumer class> | <consumer name>
//
// A bad line becomes a located error in the snapshot and the rest is still read,
// as wmisub's own collectors do. Exits 1 unless both subscriptions of the sample
// are found and judged as expected and the bad line is reported.
#include <wmisub/wmisub.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// The fields of one line, trimmed.
std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> out;
    while (true) {
        const std::size_t bar = line.find('|');
        out.push_back(wmisub::trim(line.substr(0, bar)));
        if (bar == std::string_view::npos) return out;
        line.remove_prefix(bar + 1);
    }
}

// Reads the line format above from memory (a file, a pipe or a socket would do as well).
class line_collector final : public wmisub::collector {
public:
    line_collector(std::string source_name, std::string text) : name_(std::move(source_name)), text_(std::move(text)) {}

    [[nodiscard]] std::string name() const override { return name_; }

protected:
    // collect() calls this; the sink applies the caller's namespaces, limits,
    // cancel flag and deadline, so the reader only reads. Returning an error
    // means the source could not be read at all.
    wmisub::result<void> read(wmisub::collect_sink& sink) const override {
        std::string ns = "root\\subscription";
        std::size_t line_number = 0;
        std::string_view rest = text_;
        while (!rest.empty() && sink.keep_going()) {
            const std::size_t end = rest.find('\n');
            const std::string_view line = wmisub::trim(rest.substr(0, end));
            rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
            ++line_number;
            if (line.empty() || line.front() == '#') continue;
            read_line(line, line_number, ns, sink);
        }
        return {};
    }

private:
    // Turns one line into an instance, or into an error that names the line.
    void read_line(std::string_view line, std::size_t line_number, std::string& ns, wmisub::collect_sink& sink) const {
        const std::vector<std::string_view> f = split_fields(line);
        const wmisub::source_location where{name_, line_number, 1, wmisub::source_location::npos};
        if (f[0] == "namespace" && f.size() == 2) {
            ns = std::string(f[1]);
            return;
        }
        wmisub::instance in;
        in.namespace_path = ns;
        in.origin.where = where;
        if (f[0] == "filter" && f.size() == 3) {
            in.class_name = "__EventFilter";
            in.set("Name", wmisub::value::string(std::string(f[1])));
            in.set("Query", wmisub::value::string(std::string(f[2])));
            in.set("QueryLanguage", wmisub::value::string("WQL"));
        } else if (f[0] == "command" && f.size() == 3) {
            in.class_name = "CommandLineEventConsumer";
            in.set("Name", wmisub::value::string(std::string(f[1])));
            in.set("CommandLineTemplate", wmisub::value::string(std::string(f[2])));
        } else if (f[0] == "script" && f.size() == 4) {
            in.class_name = "ActiveScriptEventConsumer";
            in.set("Name", wmisub::value::string(std::string(f[1])));
            in.set("ScriptingEngine", wmisub::value::string(std::string(f[2])));
            in.set("ScriptText", wmisub::value::string(std::string(f[3])));
        } else if (f[0] == "bind" && f.size() == 4) {
            // Bindings hold object paths; the graph resolves them however they are spelled.
            in.class_name = "__FilterToConsumerBinding";
            in.set("Filter", wmisub::value::reference("__EventFilter.Name=" + wmisub::quote_key_value(f[1])));
            in.set("Consumer", wmisub::value::reference(std::string(f[2]) + ".Name=" + wmisub::quote_key_value(f[3])));
        } else {
            sink.add_error(wmisub::make_error(wmisub::errc::syntax_error, "unknown record '" + std::string(f[0]) + "'", where),
                           ns);
            return;
        }
        (void)sink.add(in);  // false would mean "stop": the loop's keep_going() sees it too
    }

    std::string name_;
    std::string text_;
};

// An export with one attacker subscription, one vendor job and one line the tool got wrong.
constexpr const char* sample_export = R"(# exported by inventory tool 4.2
namespace | root\subscription
filter  | Contoso Inventory | SELECT * FROM __InstanceModificationEvent WITHIN 3600 WHERE TargetInstance ISA 'Win32_LocalTime' AND TargetInstance.Hour = 1
command | Contoso Inventory | "C:\Program Files\Contoso\invagent.exe" --refresh
bind    | Contoso Inventory | CommandLineEventConsumer | Contoso Inventory
filter  | Edge Update | SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName = 'taskmgr.exe'
script  | Edge Update | VBScript | CreateObject("WScript.Shell").Run "taskkill /f /im taskmgr.exe", 0
bind    | Edge Update | ActiveScriptEventConsumer | Edge Update
consumr | truncated record
)";

}  // namespace

int main() {
    line_collector source("inventory-export.txt", sample_export);
    auto snap = source.collect({});
    if (!snap) return std::fprintf(stderr, "%s\n", snap.error().to_string().c_str()), 2;

    const wmisub::subscription_graph graph(std::move(*snap));
    const std::vector<wmisub::assessment> results = wmisub::assess(graph, wmisub::rule_catalog::builtin());
    int high = 0;
    int below_high = 0;
    for (const wmisub::assessment& a : results) {
        std::printf("%-8s %3d  %s  (%s)\n", std::string(wmisub::to_string(a.risk.severity)).c_str(), a.risk.score,
                    a.facts.filter != nullptr ? a.facts.filter->name.c_str() : "-",
                    a.facts.filter != nullptr ? a.facts.filter->origin.to_string().c_str() : "-");
        if (a.risk.severity >= wmisub::severity::high) {
            ++high;
        } else {
            ++below_high;
        }
    }
    for (const wmisub::collection_error& e : graph.source().errors) std::printf("error: %s\n", e.error.to_string().c_str());

    // The task-manager killer is high or worse, the vendor job is not, and the bad line was reported at line 9.
    const bool ok = results.size() == 2 && high == 1 && below_high == 1 && graph.source().errors.size() == 1 &&
                    graph.source().errors.front().error.location.line == 9;
    return ok ? 0 : 1;
}
