// `wmisub wql [--format text|json] "QUERY"`: parse a WQL query and say what triggers it.
#pragma once

#include "cli.hpp"

#include <wmisub/json.hpp>
#include <wmisub/wql.hpp>


#include <cstdio>
#include <optional>
#include <string>

namespace wmisub_cli {

inline constexpr const char* wql_help =
    "usage: wmisub wql [--format text|json] QUERY\n"
    "\n"
    "Parses a WQL query (an __EventFilter's Query) and says what makes it fire:\n"
    "the event class, intrinsic/extrinsic/timer, the polling interval, the target\n"
    "class, the conditions, the trigger kind with its parameters in plain words,\n"
    "the issues that would make the filter inert, and the canonical form.\n"
    "\n"
    "  --format text|json   output format (default text)\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit status: 0 the query is valid, 1 it is not, 2 usage error.\n";

// The trigger's kind and the parameters that kind has (the same shape reports use).
inline ojson trigger_json(const wmisub::trigger& t) { return wmisub::to_json(t); }

inline ojson literal_json(const wmisub::wql_literal& v) {
    switch (v.kind) {
    case wmisub::wql_literal::type::string: return v.text;
    case wmisub::wql_literal::type::integer: return v.integer;
    case wmisub::wql_literal::type::real: return v.real;
    case wmisub::wql_literal::type::boolean: return v.boolean;
    case wmisub::wql_literal::type::null: return nullptr;
    }
    return nullptr;
}

inline ojson error_json(const wmisub::error& e) {
    return {{"code", wmisub::to_string(e.code)},
            {"message", e.message},
            {"offset", e.location.offset == wmisub::source_location::npos ? ojson(nullptr)
                                                                             : ojson(e.location.offset)},
            {"expected", e.expected}};
}

// The DESIGN.md contract: valid, error, event_class, intrinsic, target_class, within_seconds, trigger; plus extras.
inline ojson wql_json(std::string_view query, const wmisub::result<wmisub::wql_query>& parsed) {
    ojson j{{"query", query}};
    if (!parsed) {
        j.update({{"valid", false}, {"error", error_json(parsed.error())}, {"event_class", nullptr},
                  {"intrinsic", nullptr}, {"target_class", nullptr}, {"within_seconds", nullptr}, {"trigger", nullptr}});
        return j;
    }
    const wmisub::wql_analysis a = wmisub::analyze_wql(*parsed);
    auto optional_number = [](const std::optional<double>& v) { return v ? ojson(*v) : ojson(nullptr); };
    j.update({{"valid", true},
              {"error", nullptr},
              {"query_kind", wmisub::to_string(a.kind)},
              {"event_class", a.event_class.empty() ? ojson(nullptr) : ojson(a.event_class)},
              {"category", wmisub::to_string(a.category)},
              {"intrinsic", a.intrinsic()},
              {"target_class", a.target_class.empty() ? ojson(nullptr) : ojson(a.target_class)},
              {"within_seconds", optional_number(a.within_seconds)},
              {"group_within_seconds", optional_number(a.group_within_seconds)},
              {"trigger", trigger_json(a.trigger)},
              {"inert", a.inert()},
              {"canonical", wmisub::canonical_wql(*parsed)}});
    ojson conditions = ojson::array();
    for (const auto& c : a.conditions) {
        conditions.push_back({{"property", c.property}, {"operator", c.op}, {"value", literal_json(c.value)},
                              {"context", wmisub::to_string(c.context)}, {"offset", c.offset}});
    }
    j["conditions"] = conditions;
    ojson issues = ojson::array();
    for (const auto& i : a.issues) issues.push_back({{"code", i.code}, {"message", i.message}, {"inert", i.inert}});
    j["issues"] = issues;
    return j;
}

inline void print_wql_text(std::string_view query, const wmisub::result<wmisub::wql_query>& parsed) {
    std::printf("query:      %.*s\n", static_cast<int>(query.size()), query.data());
    if (!parsed) {
        const wmisub::error& e = parsed.error();
        std::printf("valid:      no\nerror:      %s\n", e.to_string().c_str());
        if (e.location.offset != wmisub::source_location::npos && e.location.offset <= query.size()) {
            std::printf("            %.*s\n            %*s^\n", static_cast<int>(query.size()), query.data(),
                        static_cast<int>(e.location.offset), "");
        }
        return;
    }
    const wmisub::wql_analysis a = wmisub::analyze_wql(*parsed);
    std::printf("valid:      yes (%s query)\n", std::string(wmisub::to_string(a.kind)).c_str());
    if (!a.event_class.empty()) {
        std::printf("event:      %s (%s)", a.event_class.c_str(), std::string(wmisub::to_string(a.category)).c_str());
        if (a.within_seconds) std::printf(", polled every %g s", *a.within_seconds);
        if (a.group_within_seconds) std::printf(", grouped over %g s", *a.group_within_seconds);
        std::printf("\n");
    }
    if (!a.target_class.empty()) std::printf("target:     %s\n", a.target_class.c_str());
    std::printf("trigger:    %s: %s\n", std::string(wmisub::to_string(a.trigger.kind)).c_str(),
                wmisub::describe(a.trigger).c_str());
    for (const auto& c : a.conditions) {
        std::printf("condition:  %s %s %s (%s)\n", c.property.c_str(), c.op.c_str(), literal_json(c.value).dump().c_str(),
                    std::string(wmisub::to_string(c.context)).c_str());
    }
    for (const auto& i : a.issues) std::printf("issue:      %s%s: %s\n", i.code.c_str(), i.inert ? " (inert)" : "", i.message.c_str());
    std::printf("canonical:  %s\n", wmisub::canonical_wql(*parsed).c_str());
}

inline int run_wql(arguments& args) {
    output_format format = output_format::text;
    std::optional<std::string> query;
    while (!args.empty()) {
        std::string error;
        if (args.peek() == "-h" || args.peek() == "--help") {
            std::fputs(wql_help, stdout);
            return exit_clean;
        }
        if (auto value = args.take_value("--format", error)) {
            auto parsed = parse_format(*value, false);
            if (!parsed) return usage_error("wql", "unknown format '" + *value + "' (text or json)");
            format = *parsed;
            continue;
        }
        if (!error.empty()) return usage_error("wql", error);
        if (args.peek().size() > 1 && args.peek().front() == '-' && args.peek() != "--") {
            return usage_error("wql", "unknown option '" + std::string(args.peek()) + "'");
        }
        if (args.peek() == "--") args.take();
        if (query) return usage_error("wql", "give exactly one QUERY (quote it)");
        query = std::string(args.take());
    }
    if (!query) return usage_error("wql", "missing QUERY");
    const auto parsed = wmisub::parse_wql(*query);
    if (format == output_format::json) {
        std::printf("%s\n", wql_json(*query, parsed).dump(2).c_str());
    } else {
        print_wql_text(*query, parsed);
    }
    return parsed ? exit_clean : exit_findings;
}

}  // namespace wmisub_cli
