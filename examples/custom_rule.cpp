// custom_rule: add your organisation's own rule to wmisub's catalog.
//
// A rule gets the facts wmisub gathered about one subscription (filter, consumer,
// binding, parsed trigger, analysed payload) and, when it fires, returns evidence.
// Host rules run next to the built-in ones and count in the same score. A policy
// can also change what the built-in rules say: override a severity, disable a rule.
//
// The rule here uses something only the host knows, declared once on the engine
// as yara's external variables are: which folders hold approved software
// (host_context::approved_folders). A consumer that starts a program from
// anywhere else is flagged. Exits 1 unless the rule fires on the unapproved
// program only, and the severity override takes effect.
#include <wmisub/wmisub.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// ACME-001: the consumer starts a program outside the approved folders.
wmisub::rule unapproved_program_rule() {
    wmisub::rule r;
    r.id = "ACME-001";  // your own prefix: ids must be unique in the catalog
    r.title = "Runs a program from outside the approved folders";
    r.severity = wmisub::severity::high;
    r.techniques = {"T1546.003"};
    r.description = "A CommandLineEventConsumer starts a program that is not under an approved install folder.";
    r.rationale =
        "Everything Contoso deploys lives under Program Files\\Contoso; anything else was not deployed by IT.";
    r.check = [](const wmisub::subscription_facts& f) -> std::optional<wmisub::rule_hit> {
        // payload->executable is set for command lines: the program CreateProcess would start, normalised.
        // f.host is what the engine was given; every rule of every scan sees it.
        if (!f.payload || !f.payload->executable || f.host == nullptr) return std::nullopt;
        if (f.host->in_approved_folder(f.payload->executable->normalized)) return std::nullopt;
        // Evidence: which field, the text, and what it means here.
        return wmisub::rule_hit{
            {{"Consumer." + f.payload->executable->field, f.payload->executable->raw, "not under an approved folder"}},
            std::nullopt};  // nullopt: report at the rule's own severity
    };
    return r;
}

// The finding of rule `id` in an assessment, or nullptr.
const wmisub::finding* find_finding(const wmisub::assessment& a, std::string_view id) {
    for (const wmisub::finding& f : a.findings) {
        if (f.id() == id) return &f;
    }
    return nullptr;
}

void print(const wmisub::assessment& a) {
    std::printf("%s: %s %d\n", a.facts.filter->name.c_str(), std::string(wmisub::to_string(a.risk.severity)).c_str(),
                a.risk.score);
    for (const wmisub::finding& f : a.findings) {
        std::printf("  [%s] %s %s\n", std::string(wmisub::to_string(f.severity)).c_str(), std::string(f.id()).c_str(),
                    std::string(f.title()).c_str());
    }
}

}  // namespace

int main() {
    // The built-in rules plus ours.
    wmisub::rule_catalog rules = wmisub::rule_catalog::builtin();
    if (auto added = rules.add(unapproved_program_rule()); !added) {
        return std::fprintf(stderr, "%s\n", added.error().to_string().c_str()), 2;
    }

    // Contoso schedules its jobs with Win32_LocalTime on purpose: a clock schedule is
    // no news here, so WMISUB-TRG-012 drops to info (it stays in the report).
    wmisub::policy policy;
    policy.severity_overrides.emplace_back("WMISUB-TRG-012", wmisub::severity::info);

    const char* nightly = "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA "
                          "'Win32_LocalTime' AND TargetInstance.Hour = 2 AND TargetInstance.Minute = 0";
    wmisub::mock_collector host;
    host.filter("Contoso Backup", nightly)
        .command_line_consumer("Contoso Backup", "\"C:\\Program Files\\Contoso\\backup.exe\" --nightly")
        .bind("Contoso Backup", "Contoso Backup")
        .filter("Sync Helper", nightly)
        .command_line_consumer("Sync Helper", "C:\\Tools\\synchelper.exe /silent")
        .bind("Sync Helper", "Sync Helper");
    auto snap = host.collect();
    if (!snap) return std::fprintf(stderr, "%s\n", snap.error().to_string().c_str()), 2;

    // What this organisation knows about its machines: where it installs programs WMI may run.
    wmisub::host_context contoso;
    contoso.approved_folders = {"C:\\Program Files\\Contoso", "%SystemRoot%\\System32"};
    const wmisub::engine engine(std::move(rules), std::move(policy), {}, std::move(contoso));
    wmisub::scanner scanner(engine);
    const std::vector<wmisub::assessment> results = scanner.assess_all(scanner.build_graph(std::move(*snap)));

    bool ok = results.size() == 2;
    for (const wmisub::assessment& a : results) {
        print(a);
        const bool is_backup = a.facts.filter->name == "Contoso Backup";
        const wmisub::finding* ours = find_finding(a, "ACME-001");
        const wmisub::finding* schedule = find_finding(a, "WMISUB-TRG-012");
        // Ours fires on the unapproved program only; the override applies to both.
        ok = ok && (ours == nullptr) == is_backup;
        ok = ok && (ours == nullptr || ours->severity == wmisub::severity::high);
        ok = ok && schedule != nullptr && schedule->severity == wmisub::severity::info;
    }
    return ok ? 0 : 1;
}
