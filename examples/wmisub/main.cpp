// wmisub: find and judge WMI permanent event subscriptions (ATT&CK T1546.003).
// The command-line front end of the wmisub SDK; each subcommand is one header.
#include "cli.hpp"
#include "policy_file.hpp"
#include "rules_command.hpp"
#include "scan_command.hpp"
#include "snapshot_commands.hpp"
#include "wql_command.hpp"

#include <wmisub/config.hpp>

#include <cstdio>
#include <span>
#include <string_view>

namespace {

constexpr const char* main_help =
    "usage: wmisub <command> [options]\n"
    "\n"
    "Finds and judges WMI permanent event subscriptions (ATT&CK T1546.003).\n"
    "\n"
    "commands:\n"
    "  scan     collect, join and judge subscriptions from MOF files or JSON snapshots\n"
    "  collect  write a snapshot of the sources (-o FILE)\n"
    "  baseline write a baseline approving the sources (-o FILE)\n"
    "  diff     compare the sources with a baseline, field by field\n"
    "  policy   write a policy approving what the sources hold (policy allow -o FILE)\n"
    "  rules    list the rule catalog\n"
    "  wql      parse a WQL filter query and say what triggers it\n"
    "  watch    report subscription changes as they happen (Windows; not in this build)\n"
    "\n"
    "  wmisub <command> --help   help for one command\n"
    "  wmisub --version          the version\n";

}  // namespace

int main(int argc, char** argv) {
    const std::span<char* const> all(argv, static_cast<std::size_t>(argc));
    if (all.size() < 2) {
        std::fputs(main_help, stderr);
        return wmisub_cli::exit_usage;
    }
    const std::string_view command = all[1];
    wmisub_cli::arguments rest(all.subspan(2));
    if (command == "-h" || command == "--help" || command == "help") {
        std::fputs(main_help, stdout);
        return wmisub_cli::exit_clean;
    }
    if (command == "--version" || command == "version") {
        std::printf("wmisub %s\n", WMISUB_VERSION_STRING);
        return wmisub_cli::exit_clean;
    }
    if (command == "wql") return wmisub_cli::run_wql(rest);
    if (command == "rules") return wmisub_cli::run_rules(rest);
    if (command == "scan") return wmisub_cli::run_scan(rest);
    if (command == "collect") return wmisub_cli::run_collect(rest, false);
    if (command == "baseline") return wmisub_cli::run_collect(rest, true);
    if (command == "diff") return wmisub_cli::run_diff(rest);
    if (command == "policy") return wmisub_cli::run_policy(rest);
    if (command == "watch") {
        std::fputs("wmisub watch: live WMI event watching needs the Windows COM collector, which this build does not "
                   "have; run 'wmisub diff --baseline FILE SOURCES' periodically instead\n",
                   stderr);
        return wmisub_cli::exit_usage;
    }
    std::fprintf(stderr, "wmisub: unknown command '%.*s' (try 'wmisub --help')\n", static_cast<int>(command.size()),
                 command.data());
    return wmisub_cli::exit_usage;
}
