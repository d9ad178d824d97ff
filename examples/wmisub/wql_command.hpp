// `wmisub wql [--format text|json|ndjson] "QUERY" | --file FILE|-`: parse WQL queries and say what triggers each.
#pragma once

#include "cli.hpp"

#include <wmisub/json.hpp>
#include <wmisub/wql.hpp>


#include <wmisub/storage.hpp>
#include <wmisub/text.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wmisub_cli {

inline constexpr const char* wql_help =
    "usage: wmisub wql [--format text|json|ndjson] QUERY\n"
    "       wmisub wql [--format text|json|ndjson] --file FILE|-\n"
    "       wmisub wql [--format text|json|ndjson] -      (the queries from standard input)\n"
    "\n"
    "Parses WQL queries (an __EventFilter's Query) and says what makes each fire:\n"
    "the event class, intrinsic/extrinsic/timer, the polling interval, the target\n"
    "class, the conditions, the trigger kind with its parameters in plain words,\n"
    "the issues that would make the filter inert, and the canonical form.\n"
    "\n"
    "  --format text|json|ndjson   output format (default text; json is one object,\n"
    "                              or an array for several queries; ndjson one line\n"
    "                              per query)\n"
    "  --file FILE|-               many queries: a JSON array of strings, or one query\n"
    "                              per line (blank lines and lines starting with # are\n"
    "                              skipped); - reads standard input\n"
    "  -h, --help                  this help\n"
    "\n"
    "Exit status: 0 every query is valid, 1 one is not, 2 usage error.\n";

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
              {"event_class_known", a.event_class_known},
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

// Reads all of standard input, refusing more than `max_bytes`.
[[nodiscard]] inline std::optional<std::string> read_stdin_limited(std::size_t max_bytes, std::string& error) {
    std::string text;
    char buffer[65536];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0;) {
        if (text.size() + n > max_bytes) {
            error = "standard input is larger than " + std::to_string(max_bytes) + " bytes";
            return std::nullopt;
        }
        text.append(buffer, n);
    }
    return text;
}

// The queries of a --file input: a JSON array of strings, or one per line.
[[nodiscard]] inline std::optional<std::vector<std::string>> split_queries(const std::string& text, std::string& error) {
    std::vector<std::string> out;
    const std::string utf8 = wmisub::decode_text(text).utf8;
    const std::string_view trimmed = wmisub::trim(utf8);
    if (trimmed.starts_with('[')) {
        auto doc = wmisub::parse_json(trimmed);
        if (!doc) {
            error = doc.error().to_string();
            return std::nullopt;
        }
        if (!doc->is_array()) return out;
        for (std::size_t i = 0; i < doc->size(); ++i) {
            if (!(*doc)[i].is_string()) {
                error = "/" + std::to_string(i) + ": expected a query string";
                return std::nullopt;
            }
            out.push_back((*doc)[i].get<std::string>());
        }
        return out;
    }
    std::size_t start = 0;
    while (start <= utf8.size()) {
        const std::size_t end = std::min(utf8.find('\n', start), utf8.size());
        const std::string_view line = wmisub::trim(std::string_view(utf8).substr(start, end - start));
        if (!line.empty() && !line.starts_with('#')) out.emplace_back(line);
        start = end + 1;
    }
    return out;
}

inline int run_wql(arguments& args) {
    output_format format = output_format::text;
    std::vector<std::string> queries;
    std::optional<std::string> file;
    while (!args.empty()) {
        std::string error;
        if (args.peek() == "-h" || args.peek() == "--help") {
            std::fputs(wql_help, stdout);
            return exit_clean;
        }
        if (auto value = args.take_value("--format", error)) {
            auto parsed = parse_format(*value, true);
            if (!parsed || *parsed == output_format::sarif) {
                return usage_error("wql", "unknown format '" + *value + "' (text, json or ndjson)");
            }
            format = *parsed;
            continue;
        }
        if (auto value = args.take_value("--file", error)) {
            if (file) return usage_error("wql", "give --file once");
            file = *value;
            continue;
        }
        if (!error.empty()) return usage_error("wql", error);
        if (args.peek().size() > 1 && args.peek().front() == '-' && args.peek() != "--") {
            return usage_error("wql", "unknown option '" + std::string(args.peek()) + "'");
        }
        if (args.peek() == "-") {  // as `scan -`: the queries come from standard input
            args.take();
            if (file) return usage_error("wql", "give --file once");
            file = "-";
            continue;
        }
        if (args.peek() == "--") args.take();
        if (!queries.empty()) return usage_error("wql", "give one QUERY (quote it), or many with --file");
        queries.emplace_back(args.take());
    }
    if (file) {
        if (!queries.empty()) return usage_error("wql", "give a QUERY or --file, not both");
        std::string error;
        std::optional<std::string> text;
        if (*file == "-") {
            text = read_stdin_limited(WMISUB_MAX_INPUT_BYTES, error);
        } else if (auto bytes = wmisub::read_file_limited(*file, WMISUB_MAX_INPUT_BYTES)) {
            text = std::move(*bytes);
        } else {
            return usage_error("wql", bytes.error().to_string());  // names the file already
        }
        auto split = text ? split_queries(*text, error) : std::nullopt;
        if (!split) return usage_error("wql", *file + ": " + error);
        queries = std::move(*split);
    }
    if (queries.empty()) return usage_error("wql", file ? "no query in " + *file : std::string("missing QUERY"));
    bool all_valid = true;
    ojson array = ojson::array();
    for (std::size_t i = 0; i < queries.size(); ++i) {
        const auto parsed = wmisub::parse_wql(queries[i]);
        all_valid = all_valid && parsed.has_value();
        switch (format) {
        case output_format::json:
            if (queries.size() == 1) {
                std::printf("%s\n", wql_json(queries[i], parsed).dump(2).c_str());
            } else {
                array.push_back(wql_json(queries[i], parsed));
            }
            break;
        case output_format::ndjson:
            std::printf("%s\n", wql_json(queries[i], parsed).dump(-1, ' ', false, ojson::error_handler_t::replace).c_str());
            break;
        case output_format::text:
        case output_format::sarif:
            if (i > 0) std::printf("\n");
            print_wql_text(queries[i], parsed);
            break;
        }
    }
    if (format == output_format::json && queries.size() > 1) std::printf("%s\n", array.dump(2).c_str());
    return all_valid ? exit_clean : exit_findings;
}

}  // namespace wmisub_cli
