// The SOURCES options every collecting subcommand shares: --mof, --snapshot,
// and the sources this build or platform does not have, refused in one line.
#pragma once

#include "cli.hpp"
#include "terminal.hpp"

#include <wmisub/collector.hpp>
#include <wmisub/sources/mof.hpp>
#include <wmisub/sources/snapshot.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <memory>
#include <string>
#include <vector>

namespace wmisub_cli {

inline constexpr const char* sources_help =
    "sources (combine freely; each may repeat):\n"
    "  --mof PATH...        MOF files or directories (read recursively)\n"
    "  --snapshot FILE...   wmisub snapshots, PowerShell ConvertTo-Json or osquery JSON\n"
    "                       (for --mof and --snapshot, - reads standard input)\n"
    "  --events FILE        event logs (not in this build yet)\n"
    "  --repository DIR     the offline WMI repository (not in this build yet)\n"
    "  --live               live WMI over COM (Windows builds only)\n"
    "  --ignore-unreadable  a file or folder that cannot be read is listed in the\n"
    "                       output's errors but does not make the exit status 2\n";

// Standard input as a source (`--mof -`, `--snapshot -`): read whole, bounded by the
// collection's input limit, then parsed as MOF or as any JSON the snapshot reader takes.
// Objects are located as "<stdin>". What the MOF collector adds from a file's pragmas
// (autorecover, deletions) is not applied to standard input.
class stdin_collector final : public wmisub::collector {
public:
    explicit stdin_collector(bool mof) : mof_(mof) {}
    [[nodiscard]] std::string name() const override { return "stdin"; }

protected:
    [[nodiscard]] wmisub::result<void> read(wmisub::collect_sink& sink) const override {
        const std::size_t max = sink.options().limits.max_input_bytes;
        std::string text;
        char buffer[65536];
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0;) {
            if (text.size() + n > max) {
                return wmisub::make_error(wmisub::errc::limit_exceeded, "standard input is larger than " + std::to_string(max) + " bytes");
            }
            text.append(buffer, n);
        }
        if (!sink.count_input(text.size())) return {};
        wmisub::snapshot part;
        if (mof_) {
            wmisub::mof_options options;
            options.source_name = "<stdin>";
            options.cancel = sink.options().cancel;
            options.deadline = sink.options().deadline;
            part = wmisub::to_snapshot(wmisub::parse_mof(text, options));
        } else {
            wmisub::json_read_options options;
            options.source_name = "<stdin>";
            options.stop = {sink.options().cancel, sink.options().deadline};
            auto read = wmisub::read_json_snapshot(text, options);
            if (!read) return read.error();
            part = std::move(*read);
        }
        if (!part.host.empty()) sink.set_host(part.host);
        sink.covers_consumer_classes(part.readable_consumer_classes);
        for (wmisub::collection_error& e : part.errors) sink.add_error(std::move(e));
        for (wmisub::event_filter& f : part.filters) (void)sink.add(wmisub::wmi_object{std::move(f)});
        for (wmisub::consumer& c : part.consumers) (void)sink.add(wmisub::wmi_object{std::move(c)});
        for (wmisub::binding& b : part.bindings) (void)sink.add(wmisub::wmi_object{std::move(b)});
        for (wmisub::timer_instruction& t : part.timers) (void)sink.add(wmisub::wmi_object{std::move(t)});
        return {};
    }

private:
    bool mof_;
};

// The collectors named on the command line.
struct source_set {
    std::vector<std::filesystem::path> mof;
    std::vector<std::filesystem::path> snapshots;
    bool ignore_unreadable = false;  // --ignore-unreadable

    [[nodiscard]] bool empty() const noexcept { return mof.empty() && snapshots.empty(); }

    // How many sources name standard input ("-"): at most one may, as it can be read once.
    [[nodiscard]] std::size_t stdin_uses() const {
        const auto dash = [](const std::vector<std::filesystem::path>& list) {
            return static_cast<std::size_t>(std::count(list.begin(), list.end(), std::filesystem::path("-")));
        };
        return dash(mof) + dash(snapshots);
    }

    // One composite over everything named.
    [[nodiscard]] wmisub::composite_collector make() const {
        wmisub::composite_collector all;
        const auto files = [](const std::vector<std::filesystem::path>& list) {
            std::vector<std::filesystem::path> out;
            for (const auto& p : list) {
                if (p != std::filesystem::path("-")) out.push_back(p);
            }
            return out;
        };
        if (const auto paths = files(mof); !paths.empty()) all.add(std::make_unique<wmisub::mof_collector>(paths));
        if (const auto paths = files(snapshots); !paths.empty()) all.add(std::make_unique<wmisub::snapshot_collector>(paths));
        for (const auto& p : mof) {
            if (p == std::filesystem::path("-")) all.add(std::make_unique<stdin_collector>(true));
        }
        for (const auto& p : snapshots) {
            if (p == std::filesystem::path("-")) all.add(std::make_unique<stdin_collector>(false));
        }
        return all;
    }
};

// Takes one SOURCES option at the front of `args` into `into`. Returns false when
// the next argument is not a source option; `error` is set for a bad one.
inline bool take_source(arguments& args, source_set& into, std::string& error) {
    const std::string_view flag = args.peek();
    if (flag == "--ignore-unreadable") {
        args.take();
        into.ignore_unreadable = true;
        return true;
    }
    // `--mof=PATH` as well as `--mof PATH...`, as people type options.
    const std::size_t equals = flag.find('=');
    const std::string_view name = flag.substr(0, equals);
    std::vector<std::filesystem::path>* list = name == "--mof" ? &into.mof : name == "--snapshot" ? &into.snapshots : nullptr;
    if (list != nullptr) {
        args.take();
        const std::size_t before = list->size();
        if (equals != std::string_view::npos && equals + 1 < flag.size()) list->emplace_back(std::string(flag.substr(equals + 1)));
        while (!args.empty() && !(args.peek().size() > 1 && args.peek().front() == '-')) list->emplace_back(std::string(args.take()));
        if (list->size() == before) error = std::string(name) + " needs at least one path";
        if (into.stdin_uses() > 1) error = "standard input ('-') can be read once: name it as one source only";
        return true;
    }
    if (flag == "--events" || flag == "--repository") {
        error = std::string(flag) + " is not available in this build of wmisub yet";
        return true;
    }
    if (flag == "--live") {
#if defined(_WIN32)
        error = "--live is not available in this build of wmisub yet";
#else
        error = "--live needs Windows (WMI over COM); use --mof or --snapshot here";
#endif
        return true;
    }
    return false;
}

// What take_common_option found at the front of the arguments.
enum class common_option { none, taken, help };

// Takes one option every source-reading command shares: -h/--help (prints `help` and the
// sources' help), -q/--quiet, or a SOURCES option (`error` set for a bad one).
inline common_option take_common_option(arguments& args, const char* help, bool& quiet, source_set& sources,
                                        std::string& error) {
    if (args.peek() == "-h" || args.peek() == "--help") {
        std::printf("%s%s", help, sources_help);
        return common_option::help;
    }
    if (args.peek() == "-q" || args.peek() == "--quiet") {
        args.take();
        quiet = true;
        return common_option::taken;
    }
    return take_source(args, sources, error) ? common_option::taken : common_option::none;
}

// What a command that reads SOURCES and writes one file (collect, baseline, policy allow) takes.
struct output_command {
    source_set sources;
    std::optional<std::string> output;
    bool quiet = false;
};

// Reads such a command's options; an exit code when the command ends here (help or a usage error).
[[nodiscard]] inline std::optional<int> parse_output_command(arguments& args, const char* name, const char* help,
                                                             output_command& o) {
    while (!args.empty()) {
        std::string error;
        switch (take_common_option(args, help, o.quiet, o.sources, error)) {
        case common_option::help: return exit_clean;
        case common_option::taken:
            if (!error.empty()) return usage_error(name, error);
            continue;
        case common_option::none: break;
        }
        if (auto value = args.take_value("-o", error)) {
            o.output = *value;
        } else if (auto long_value = args.take_value("--output", error)) {
            o.output = *long_value;
        } else if (!error.empty()) {
            return usage_error(name, error);
        } else {
            return usage_error(name, "unknown option '" + std::string(args.peek()) + "'");
        }
    }
    if (o.sources.empty()) return usage_error(name, "give at least one source (--mof PATH or --snapshot FILE)");
    if (!o.output) return usage_error(name, "missing -o FILE");
    return std::nullopt;
}

// True for an error saying an input could not be read at all (missing, no permission,
// an I/O failure), as opposed to a problem inside an input that was read.
[[nodiscard]] inline bool is_unreadable_input(const wmisub::collection_error& e) noexcept {
    return e.error.code == wmisub::errc::not_found || e.error.code == wmisub::errc::access_denied ||
           e.error.code == wmisub::errc::io_error;
}

// Names each input that could not be read on stderr; true when one makes the exit status 2
// (a scan of a folder whose one unreadable file is the malicious one must not look clean).
[[nodiscard]] inline bool report_unreadable(std::string_view command, const source_set& sources, const wmisub::snapshot& snap) {
    std::size_t unreadable = 0;
    for (const wmisub::collection_error& e : snap.errors) {
        if (!is_unreadable_input(e)) continue;
        ++unreadable;
        std::fprintf(stderr, "wmisub %.*s: could not read %s\n", static_cast<int>(command.size()), command.data(),
                     e.error.to_string().c_str());
    }
    return unreadable > 0 && !sources.ignore_unreadable;
}

// Collects every named source into one snapshot; prints the error and returns
// nullopt when nothing could be read. Unless quiet, notes on stderr how many
// inputs failed, since their errors are in the report.
inline std::optional<wmisub::snapshot> collect_sources(std::string_view command, const source_set& sources, bool quiet) {
    wmisub::composite_collector collector = sources.make();
    wmisub::collect_options options;
    bool progress_shown = false;
    if (!quiet && is_terminal(stderr)) {
        // "reading mof 120/4000" rewritten in place while large inputs are read.
        options.progress = [&progress_shown](const wmisub::collect_progress& p) {
            if (p.total < 200 || (p.done % 100 != 0 && p.done != p.total)) return;
            std::fprintf(stderr, "\rreading %.*s %zu/%zu   ", static_cast<int>(p.source.size()), p.source.data(), p.done, p.total);
            std::fflush(stderr);
            progress_shown = true;
        };
    }
    auto snap = collector.collect(options);
    if (progress_shown) std::fprintf(stderr, "\r%60s\r", "");
    if (snap && !snap->collected_at) {
        // Files do not say when they were read; reports and snapshots say when this was.
        snap->collected_at = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    }
    if (!snap) {
        std::fprintf(stderr, "wmisub %.*s: %s\n", static_cast<int>(command.size()), command.data(), snap.error().to_string().c_str());
        return std::nullopt;
    }
    if (snap->stopped) {
        std::fprintf(stderr, "wmisub %.*s: reading stopped early, the results are partial: %s\n",
                     static_cast<int>(command.size()), command.data(), snap->stopped->to_string().c_str());
    }
    if (!quiet && !snap->errors.empty()) {
        std::fprintf(stderr, "wmisub %.*s: %s while reading the sources (listed in the output)\n",
                     static_cast<int>(command.size()), command.data(), counted(snap->errors.size(), "error").c_str());
    }
    return std::move(*snap);
}

}  // namespace wmisub_cli
