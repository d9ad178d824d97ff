// Reads ../shared/data/corpus/*.jsonl (real attack and benign subscriptions)
// into generic instances, the way a collector would deliver them. Test-only:
// it uses nlohmann/json, which the library itself never needs.
#pragma once

#include "shared_data.hpp"
#include "wmisub/model.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/value.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace wmisub_test {

// One corpus line: a subscription as a tool or intrusion created it.
struct corpus_entry {
    std::string id;
    std::string kind;  // "malicious" or "benign"
    std::string family;
    std::string namespace_path;
    std::optional<wmisub::instance> filter;
    std::optional<wmisub::instance> consumer;
    bool bound = false;
    std::optional<wmisub::instance> timer;  // an __IntervalTimerInstruction the filter's TimerID names
    std::string split;                      // "calibration" or "holdout" (tests/data/corpus); empty otherwise
    nlohmann::json raw;
};

// A JSON scalar or array as the WMI value a collector would produce.
inline wmisub::value to_wmi_value(const nlohmann::json& j) {
    using wmisub::value;
    if (j.is_boolean()) return value::boolean(j.get<bool>());
    if (j.is_number_unsigned()) return value::uint(j.get<std::uint64_t>(), wmisub::cim_type::uint32);
    if (j.is_number_integer()) return value::sint(j.get<std::int64_t>(), wmisub::cim_type::sint32);
    if (j.is_number_float()) return value::real(j.get<double>());
    if (j.is_string()) return value::string(j.get<std::string>());
    if (j.is_array()) {
        value::array_type items;
        wmisub::cim_type element = wmisub::cim_type::string;
        for (const auto& item : j) {
            items.push_back(to_wmi_value(item));
            element = items.back().type();
        }
        return value::array(element, std::move(items));
    }
    return value{};
}

// A string member of a JSON object, or `fallback` when absent or not a string.
inline std::string string_field(const nlohmann::json& object, const char* key, const char* fallback = "") {
    const auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string(fallback);
}

inline wmisub::instance make_corpus_instance(const std::string& ns, const std::string& class_name,
                                             const std::string& source) {
    wmisub::instance in;
    in.namespace_path = ns;
    in.class_name = class_name;
    in.origin.kind = wmisub::source_kind::mock;
    in.origin.where.source = source;
    return in;
}

inline corpus_entry parse_corpus_line(const std::string& line) {
    corpus_entry e;
    e.raw = nlohmann::json::parse(line);
    e.id = e.raw.at("id").get<std::string>();
    e.kind = string_field(e.raw, "kind");
    e.family = string_field(e.raw, "family");
    e.namespace_path = string_field(e.raw, "namespace", "root\\subscription");
    if (const auto& f = e.raw["filter"]; f.is_object()) {
        wmisub::instance in = make_corpus_instance(e.namespace_path, "__EventFilter", e.id);
        in.set("Name", wmisub::value::string(string_field(f, "name")));
        in.set("Query", wmisub::value::string(string_field(f, "query")));
        in.set("QueryLanguage", wmisub::value::string(string_field(f, "query_language", "WQL")));
        if (f.contains("event_namespace") && f["event_namespace"].is_string()) {
            in.set("EventNamespace", wmisub::value::string(f["event_namespace"].get<std::string>()));
        }
        e.filter = std::move(in);
    }
    if (const auto& c = e.raw["consumer"]; c.is_object()) {
        wmisub::instance in = make_corpus_instance(e.namespace_path, string_field(c, "class"), e.id);
        for (const auto& [key, item] : c.items()) {
            if (key == "class") continue;
            in.set(key == "name" ? "Name" : key, to_wmi_value(item));
        }
        e.consumer = std::move(in);
    }
    e.bound = e.raw["binding"].is_object() && e.raw["binding"].value("present", false);
    if (const auto& t = e.raw["timer"]; t.is_object() && t.contains("id") && t["id"].is_string()) {
        wmisub::instance in = make_corpus_instance(e.namespace_path, "__IntervalTimerInstruction", e.id);
        in.set("TimerId", wmisub::value::string(t["id"].get<std::string>()));
        if (t.contains("interval_ms") && t["interval_ms"].is_number_unsigned()) {
            in.set("IntervalBetweenEvents", wmisub::value::uint(t["interval_ms"].get<std::uint64_t>(), wmisub::cim_type::uint32));
        }
        e.timer = std::move(in);
    }
    e.split = string_field(e.raw, "split");
    return e;
}

// The entry as one host's snapshot: its filter, consumer, binding (when present) and timer.
inline wmisub::snapshot entry_snapshot(const corpus_entry& e) {
    using wmisub::value;
    wmisub::snapshot snap;
    if (e.filter) snap.add(*e.filter, e.id);
    if (e.consumer) snap.add(*e.consumer, e.id);
    if (e.timer) snap.add(*e.timer, e.id);
    const value* consumer_name = e.consumer ? e.consumer->get("Name") : nullptr;
    if (e.bound && e.filter && consumer_name != nullptr && consumer_name->as_string() != nullptr) {
        wmisub::instance b = make_corpus_instance(e.namespace_path, "__FilterToConsumerBinding", e.id);
        b.set("Filter", value::reference("__EventFilter.Name=" + wmisub::quote_key_value(*e.filter->get("Name")->as_string())));
        b.set("Consumer", value::reference(e.consumer->class_name + ".Name=" + wmisub::quote_key_value(*consumer_name->as_string())));
        snap.add(b, e.id);
    }
    return snap;
}

// Every entry of a corpus file; empty when the file is absent.
inline std::vector<corpus_entry> load_corpus(const std::filesystem::path& file) {
    std::vector<corpus_entry> out;
    std::istringstream lines(read_file(file));
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) out.push_back(parse_corpus_line(line));
    }
    return out;
}

}  // namespace wmisub_test
