// The wmisub command-line tool: shared pieces of every subcommand (argument
// reading, output format, exit codes). Each subcommand lives in its own header.
#pragma once

#include <wmisub/rules.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wmisub_cli {

// JSON output keeps members in the order written (wmisub::json_value is the same type).
using ojson = nlohmann::ordered_json;

// Exit codes (DESIGN.md): nothing at or above --fail-on, something is, usage error or no source.
inline constexpr int exit_clean = 0;
inline constexpr int exit_findings = 1;
inline constexpr int exit_usage = 2;

enum class output_format { text, json, ndjson, sarif };

// Arguments after the subcommand name, consumed front to back.
class arguments {
public:
    explicit arguments(std::span<char* const> args) {
        for (char* a : args) items_.emplace_back(a);
    }

    [[nodiscard]] bool empty() const noexcept { return next_ >= items_.size(); }
    [[nodiscard]] std::string_view peek() const noexcept { return empty() ? std::string_view{} : items_[next_]; }
    std::string_view take() noexcept { return empty() ? std::string_view{} : std::string_view(items_[next_++]); }

    // The value of `--flag VALUE` or `--flag=VALUE` when the next argument is that flag.
    [[nodiscard]] std::optional<std::string> take_value(std::string_view flag, std::string& error) {
        const std::string_view current = peek();
        if (current == flag) {
            take();
            if (empty()) {
                error = std::string(flag) + " needs a value";
                return std::nullopt;
            }
            return std::string(take());
        }
        if (current.size() > flag.size() && current.substr(0, flag.size()) == flag && current[flag.size()] == '=') {
            take();
            return std::string(current.substr(flag.size() + 1));
        }
        return std::nullopt;
    }

private:
    std::vector<std::string> items_;
    std::size_t next_ = 0;
};

// "1 error", "2 errors": messages agree in number.
// `plural` for nouns that do not take an s ("copy", "copies").
[[nodiscard]] inline std::string counted(std::size_t n, std::string_view noun, std::string_view plural = {}) {
    if (n != 1 && !plural.empty()) return std::to_string(n) + " " + std::string(plural);
    return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

// "42 objects (12 filters, 11 consumers, 12 bindings, 7 of other classes)": how collect,
// baseline, scan and diff all count what they read (kinds with none are left out).
[[nodiscard]] inline std::string describe_objects(const wmisub::object_counts& c) {
    std::string kinds;
    const auto add = [&kinds](std::size_t n, std::string_view noun) {
        if (n == 0) return;
        if (!kinds.empty()) kinds += ", ";
        kinds += counted(n, noun);
    };
    add(c.filters, "filter");
    add(c.consumers, "consumer");
    add(c.bindings, "binding");
    add(c.timers, "timer instruction");
    if (c.other > 0) kinds += (kinds.empty() ? "" : ", ") + std::to_string(c.other) + " of other classes";
    return counted(c.total(), "object") + (kinds.empty() ? std::string() : " (" + kinds + ")");
}

// Parses the value of --format.
[[nodiscard]] inline std::optional<output_format> parse_format(std::string_view text, bool allow_ndjson) {
    if (text == "text") return output_format::text;
    if (text == "json") return output_format::json;
    if (text == "ndjson" && allow_ndjson) return output_format::ndjson;
    if (text == "sarif" && allow_ndjson) return output_format::sarif;  // scan only, as ndjson
    return std::nullopt;
}

// Parses a --fail-on value: a severity, or "never" (nullopt). False when unknown.
[[nodiscard]] inline bool parse_fail_on(std::string_view text, std::optional<wmisub::severity>& out) {
    if (text == "never") {
        out.reset();
        return true;
    }
    const auto s = wmisub::severity_from_string(text);
    if (!s) return false;
    out = *s;
    return true;
}

// One-line usage error on stderr; returns exit_usage.
inline int usage_error(std::string_view command, std::string_view message) {
    std::fprintf(stderr, "wmisub %.*s: %.*s (try 'wmisub %.*s --help')\n", static_cast<int>(command.size()),
                 command.data(), static_cast<int>(message.size()), message.data(), static_cast<int>(command.size()),
                 command.data());
    return exit_usage;
}

}  // namespace wmisub_cli
