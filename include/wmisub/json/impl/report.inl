// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/json/json.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Writers of the `wmisub.report/1` document (what `wmisub scan --format json`
// prints): a trigger with the parameters of its kind, an assessment with its
// objects, trigger, risk and findings, and the whole report.
#pragma once

#include "wmisub/assess.hpp"
#include "wmisub/config.hpp"
#include "wmisub/engine.hpp"
#include "wmisub/json/impl/model.inl"
#include "wmisub/json/impl/parse.inl"
#include "wmisub/json/json.hpp"
#include "wmisub/model.hpp"
#include "wmisub/wql/query.hpp"

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

inline constexpr const char* report_schema = "wmisub.report/1";

// Adds `key` when the list has items: kinds carry only the parameters that apply to them.
template <class List>
void json_put_list(json_value& out, const char* key, const List& items) {
    if (!items.empty()) out[key] = items;
}

[[nodiscard]] inline json_value json_write_schedule(const time_schedule& s) {
    json_value out = json_value::object();
    auto field = [&](const char* key, const std::optional<std::int64_t>& v) {
        if (v) out[key] = *v;
    };
    field("year", s.year);
    field("month", s.month);
    field("day", s.day);
    field("day_of_week", s.day_of_week);
    field("week_in_month", s.week_in_month);
    field("quarter", s.quarter);
    field("hour", s.hour);
    field("minute", s.minute);
    field("second", s.second);
    out["utc"] = s.utc;
    json_value slots = json_value::array();
    for (const schedule_slot& slot : s.slots) {
        json_value one = json_value::object();
        json_put_list(one, "months", slot.months);
        json_put_list(one, "days", slot.days);
        json_put_list(one, "days_of_week", slot.days_of_week);
        json_put_list(one, "weeks_in_month", slot.weeks_in_month);
        json_put_list(one, "quarters", slot.quarters);
        json_put_list(one, "hours", slot.hours);
        json_put_list(one, "minutes", slot.minutes);
        json_put_list(one, "seconds", slot.seconds);
        slots.push_back(std::move(one));
    }
    out["slots"] = std::move(slots);  // the times it fires, as sets: an empty list is any value
    return out;
}

// The trigger's kind, its description and the parameters its kind has.
[[nodiscard]] inline json_value json_write_trigger(const trigger& t, std::optional<std::uint64_t> interval_ms) {
    json_value out{{"kind", std::string(to_string(t.kind))}, {"description", describe(t, interval_ms)}};
    if (t.uptime_min_seconds) out["uptime_min_seconds"] = *t.uptime_min_seconds;
    if (t.uptime_max_seconds) out["uptime_max_seconds"] = *t.uptime_max_seconds;
    if (!t.timer_id.empty()) out["timer_id"] = t.timer_id;
    if (t.kind == trigger_kind::time_of_day) out["schedule"] = json_write_schedule(t.schedule);
    json_put_list(out, "process_names", t.process_names);
    json_put_list(out, "like_patterns", t.like_patterns);
    json_put_list(out, "service_names", t.service_names);
    json_put_list(out, "service_states", t.service_states);
    json_put_list(out, "registry_hives", t.registry_hives);
    json_put_list(out, "registry_paths", t.registry_paths);
    json_put_list(out, "registry_values", t.registry_values);
    json_put_list(out, "event_codes", t.event_codes);
    json_put_list(out, "event_logs", t.event_logs);
    json_put_list(out, "event_sources", t.event_sources);
    json_put_list(out, "logon_types", t.logon_types);
    json_put_list(out, "device_event_types", t.device_event_types);
    if (!t.watched_class.empty()) out["watched_class"] = t.watched_class;
    return out;
}

// The trigger of an entry as the report shows it: kind and parameters plus what the analysis found.
[[nodiscard]] inline json_value json_write_entry_trigger(const subscription_facts& f) {
    if (f.trigger == nullptr) return nullptr;
    const std::optional<std::uint64_t> interval = f.timer_interval_ms();
    json_value out = json_write_trigger(f.trigger->trigger, interval);
    out["event_class"] = f.trigger->event_class;
    out["category"] = std::string(to_string(f.trigger->category));
    out["event_class_known"] = f.trigger->event_class_known;
    out["target_class"] = f.trigger->target_class.empty() ? json_value(nullptr) : json_value(f.trigger->target_class);
    out["within_seconds"] = f.trigger->within_seconds ? json_value(*f.trigger->within_seconds) : json_value(nullptr);
    if (interval) out["timer_interval_ms"] = *interval;
    return out;
}

// Where the whole text of an evidence is, when its excerpt shows only part of it.
[[nodiscard]] inline std::optional<evidence_source> json_cut_source(const subscription_facts& f, const evidence& e) {
    auto source = evidence_source_of(f, e);
    if (!source || source->text == e.excerpt) return std::nullopt;
    return source;
}

[[nodiscard]] inline json_value json_write_finding(const subscription_facts& f, const finding& fi) {
    json_value evidence = json_value::array();
    for (const wmisub::evidence& e : fi.evidence) {
        json_value item{{"field", e.field}, {"excerpt", e.excerpt}, {"detail", e.detail}};
        if (const auto source = json_cut_source(f, e)) {
            item["text_at"] = source->pointer;
            item["offset"] = e.offset;
        }
        evidence.push_back(std::move(item));
    }
    json_value techniques = json_value::array();
    for (const std::string& t : fi.techniques()) techniques.push_back(t);
    return {{"rule", fi.id()}, {"severity", std::string(to_string(fi.severity))}, {"title", fi.title()},
            {"class", std::string(to_string(fi.rule ? fi.rule->evidence_class : evidence_class::behaviour))},
            {"techniques", std::move(techniques)}, {"evidence", std::move(evidence)}};
}

// The host of a URL ("http://a.example:8080/x" -> "a.example"), or empty.
[[nodiscard]] inline std::string_view json_url_host(std::string_view url) noexcept {
    const std::size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    if (!rest.empty() && rest.front() == '[') return rest.substr(1, rest.find(']') == std::string_view::npos ? rest.size() - 1 : rest.find(']') - 1);
    return rest.substr(0, rest.find(':'));
}

// Runs of 32, 40 or 64 hex digits (MD5, SHA-1, SHA-256) standing alone in `text`, added once to `out`.
inline void json_find_hashes(std::string_view text, std::vector<std::string>& out) {
    const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    const auto word = [&hex](char c) { return hex(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') || c == '_'; };
    for (std::size_t i = 0; i < text.size();) {
        if (!hex(text[i]) || (i > 0 && word(text[i - 1]))) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && hex(text[j])) ++j;
        const std::size_t n = j - i;
        if ((n == 32 || n == 40 || n == 64) && (j == text.size() || !word(text[j]))) {
            std::string h(text.substr(i, n));
            for (char& c : h) c = ascii_lower(c);
            if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(std::move(h));
        }
        i = j;
    }
}

// What an analyst needs to act without decoding by hand: the decoded layers in full, every
// indicator, and the observables (URLs, domains, IP addresses, UNC paths, hashes) drawn from them.
[[nodiscard]] inline json_value json_write_payload(const payload_analysis& p) {
    json_value out = json_value::object();
    if (p.executable) {
        out["executable"] = {{"raw", json_utf8(p.executable->raw)}, {"normalized", json_utf8(p.executable->normalized)}};
    }
    json_value capabilities = json_value::array();
    for (const std::string_view c : p.capabilities.names()) capabilities.push_back(std::string(c));
    out["capabilities"] = std::move(capabilities);
    std::vector<std::string> urls, domains, ips, unc_paths, hashes;
    const auto once = [](std::vector<std::string>& list, std::string_view v) {
        if (!v.empty() && std::find(list.begin(), list.end(), v) == list.end()) list.emplace_back(v);
    };
    json_value indicators = json_value::array();
    for (const indicator& i : p.indicators) {
        indicators.push_back({{"kind", std::string(to_string(i.kind))}, {"strength", std::string(to_string(i.strength()))},
                              {"field", json_utf8(i.field)}, {"detail", json_utf8(i.detail)}, {"excerpt", json_utf8(i.excerpt)},
                              {"depth", i.depth}});
        if (i.kind == indicator_kind::url) {
            once(urls, i.detail);
            once(domains, json_url_host(i.detail));
        } else if (i.kind == indicator_kind::ip_address) {
            once(ips, i.detail);
        } else if (i.kind == indicator_kind::unc_path || i.kind == indicator_kind::webdav_path) {
            once(unc_paths, i.detail);
        }
        json_find_hashes(i.detail, hashes);
    }
    out["indicators"] = std::move(indicators);
    json_value layers = json_value::array();
    for (const decoded_layer& l : p.layers) {
        layers.push_back({{"field", json_utf8(l.field)}, {"parent_field", json_utf8(l.parent_field)},
                          {"encoding", json_utf8(l.encoding)}, {"offset", l.offset}, {"depth", l.depth},
                          {"truncated", l.truncated}, {"text", json_utf8(l.text)}});
        json_find_hashes(l.text, hashes);
    }
    out["layers"] = std::move(layers);
    // Domains are hosts that are not addresses.
    std::erase_if(domains, [&ips](const std::string& d) {
        return std::find(ips.begin(), ips.end(), d) != ips.end() || d.find_first_not_of("0123456789.") == std::string::npos;
    });
    out["observables"] = {{"urls", urls}, {"domains", domains}, {"ip_addresses", ips}, {"unc_paths", unc_paths}, {"hashes", hashes}};
    out["truncated"] = p.truncated;
    if (p.interrupted) out["interrupted"] = true;
    return out;
}

// One entry of `subscriptions`: state, namespace, objects, trigger, risk and findings.
[[nodiscard]] inline json_value json_write_assessment(const assessment& a) {
    const subscription_facts& f = a.facts;
    json_value out{{"state", std::string(to_string(f.entry->state))}, {"namespace", f.entry->namespace_path}};
    // Fingerprints from the graph's object table: computed once per object, shared with allow-lists and diffs.
    const object_key_table* keys = f.graph != nullptr ? &object_keys_of(*f.graph) : nullptr;
    const auto known = [&](const std::vector<object_keys> object_key_table::*kind, const std::optional<std::size_t>& at) {
        return keys != nullptr && at ? &((keys->*kind)[*at].fingerprint) : nullptr;
    };
    out["filter"] = f.filter != nullptr ? json_write_object(wmi_object{*f.filter}, known(&object_key_table::filters, f.entry->filter))
                                        : json_value(nullptr);
    out["consumer"] = f.consumer != nullptr
                          ? json_write_object(wmi_object{*f.consumer}, known(&object_key_table::consumers, f.entry->consumer))
                          : json_value(nullptr);
    out["binding"] = f.binding != nullptr
                         ? json_write_object(wmi_object{*f.binding}, known(&object_key_table::bindings, f.entry->binding))
                         : json_value(nullptr);
    if (!f.entry->unresolved.empty()) out["unresolved"] = json_utf8(f.entry->unresolved);
    if (f.entry->consumer_unreadable) out["consumer_unreadable"] = true;
    out["trigger"] = json_write_entry_trigger(f);
    if (f.payload != nullptr && f.consumer != nullptr) out["payload"] = json_write_payload(*f.payload);
    out["risk"] = {{"score", a.risk.score}, {"severity", std::string(to_string(a.risk.severity))},
                   {"core_score", a.risk.core_score}, {"context_only", a.risk.context_only}};
    out["allow_listed"] = a.allow_listed;
    if (!f.builtin.empty()) out["builtin"] = f.builtin;
    json_value findings = json_value::array();
    for (const finding& fi : a.findings) findings.push_back(json_write_finding(f, fi));
    out["findings"] = std::move(findings);
    return out;
}

// Which host, when, which wmisub and which inputs: every distinct source of the snapshot's
// objects and errors (files, channels), each with its kind, in the order first met.
[[nodiscard]] inline json_value json_report_origin(const snapshot& snap) {
    std::vector<std::pair<std::string_view, std::string_view>> seen;  // (kind, source), in order
    std::unordered_set<std::string_view> known;                        // a host may have many files
    const auto add = [&](std::string_view kind, std::string_view source) {
        if (!source.empty() && known.insert(source).second) seen.emplace_back(kind, source);
    };
    const auto add_origin = [&add](const provenance& p) { add(to_string(p.kind), p.where.source); };
    for (const event_filter& f : snap.filters) add_origin(f.origin);
    for (const consumer& c : snap.consumers) add_origin(header_of(c).origin);
    for (const binding& b : snap.bindings) add_origin(b.origin);
    for (const timer_instruction& t : snap.timers) add_origin(t.origin);
    for (const instance& in : snap.other_objects) add(to_string(in.origin.kind), in.origin.where.source);
    for (const collection_error& e : snap.errors) add("error", e.source);
    json_value sources = json_value::array();
    for (const auto& [kind, source] : seen) sources.push_back({{"kind", std::string(kind)}, {"source", json_utf8(source)}});
    json_value out = json_value::object();
    out["host"] = snap.host.empty() ? json_value(nullptr) : json_value(json_utf8(snap.host));
    out["collected_at"] = snap.collected_at ? json_value(to_iso8601(*snap.collected_at)) : json_value(nullptr);
    out["tool"] = {{"name", "wmisub"}, {"version", WMISUB_VERSION_STRING}};
    out["sources"] = std::move(sources);
    return out;
}

[[nodiscard]] inline json_value json_write_report(std::span<const assessment> results, const snapshot& snap) {
    json_value subscriptions = json_value::array();
    for (const assessment& a : results) subscriptions.push_back(json_write_assessment(a));
    json_value errors = json_value::array();
    for (const collection_error& e : snap.errors) {
        errors.push_back({{"source", e.source}, {"namespace", e.namespace_path}, {"message", e.error.to_string()},
                          {"location", e.error.location.to_string()}});
    }
    return {{"schema", report_schema},
            {"subscriptions", std::move(subscriptions)},
            {"errors", std::move(errors)},
            {"origin", json_report_origin(snap)}};
}

// Cuts every string longer than `max_bytes` in place, at a UTF-8 character boundary,
// saying how much was left out.
inline void json_cap_strings(json_value& v, std::size_t max_bytes) {
    if (v.is_string()) {
        std::string& text = v.get_ref<std::string&>();
        if (text.size() <= max_bytes) return;
        std::size_t cut = max_bytes;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0u) == 0x80u) --cut;
        const std::size_t left_out = text.size() - cut;
        text.resize(cut);
        text += "\u2026 [" + std::to_string(left_out) + " more bytes]";
        return;
    }
    if (v.is_array() || v.is_object()) {
        for (json_value& item : v) json_cap_strings(item, max_bytes);
    }
}

// Writes JSON text laid out exactly as nlohmann's dump() lays out the same document
// (indentation, separators, escaping, and json_cap_strings' cut of long strings),
// without building the document: a report is mostly its subscriptions, and building
// each one as an ordered_json before dumping it was most of the cost of `scan
// --format json`. Values it does not write itself (a trigger, a provenance, a
// property that is not a string) are built and dumped in place, so the text is the
// same byte for byte; tests/json.cpp checks it against json_write_assessment.
class json_text_writer {
public:
    // `level`: the nesting level of the first value written (its closing bracket is indented by that many steps).
    json_text_writer(std::string& out, int indent, unsigned level, std::size_t max_text_bytes)
        : out_(out), indent_(indent), base_level_(level), max_text_(max_text_bytes) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    // A member's key; its value follows.
    void key(std::string_view name) {
        container& top = open_.back();
        if (!top.empty) out_ += ',';
        top.empty = false;
        new_line(level());
        escaped(name);
        out_ += indent_ < 0 ? ":" : ": ";
        after_key_ = true;
    }

    // A string as nlohmann writes a std::string holding these bytes.
    void text(std::string_view s) {
        if ((max_text_ != 0 && s.size() > max_text_) || !is_valid_utf8(s)) return dom(json_value(std::string(s)));
        place();
        escaped(s);
    }
    // A string passed through json_utf8() first, as the document writers pass most texts.
    void utf8_text(std::string_view s) {
        if (is_valid_utf8(s)) return text(s);
        text(json_utf8(s));
    }
    void optional_utf8_text(const std::optional<std::string>& s) {
        if (s) return utf8_text(*s);
        null();
    }
    void number(std::int64_t n) {
        place();
        out_ += std::to_string(n);
    }
    void number(std::uint64_t n) {
        place();
        out_ += std::to_string(n);
    }
    void boolean(bool b) {
        place();
        out_ += b ? "true" : "false";
    }
    void null() {
        place();
        out_ += "null";
    }
    // A value built as a document: its strings cut as json_cap_strings cuts them, dumped in place.
    void dom(json_value v) {
        place();
        if (max_text_ != 0) json_cap_strings(v, max_text_);
        json_dump_into(out_, v, indent_, level());
    }

private:
    struct container {
        char close;
        bool empty;
    };

    // The nesting level of the value being written.
    [[nodiscard]] unsigned level() const noexcept { return base_level_ + static_cast<unsigned>(open_.size()); }

    void new_line(unsigned at) {
        if (indent_ < 0) return;
        out_ += '\n';
        out_.append(static_cast<std::size_t>(indent_) * at, ' ');
    }

    // Before a value: nothing after a key; a separator and a new line in an array.
    void place() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (open_.empty()) return;
        container& top = open_.back();
        if (!top.empty) out_ += ',';
        top.empty = false;
        new_line(level());
    }

    void open(char bracket) {
        place();
        out_ += bracket;
        open_.push_back({bracket == '{' ? '}' : ']', true});
    }

    void close(char bracket) {
        const bool empty = open_.back().empty;
        open_.pop_back();
        if (!empty) new_line(level());
        out_ += bracket;
    }

    // True when none of 8 bytes needs escaping: none below 0x20, none a quote or a backslash.
    [[nodiscard]] static bool plain_word(const char* bytes) noexcept {
        constexpr std::uint64_t ones = 0x0101010101010101ULL;
        constexpr std::uint64_t high = 0x8080808080808080ULL;
        std::uint64_t word = 0;
        std::memcpy(&word, bytes, sizeof word);
        const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & high; };
        const std::uint64_t below_space = (word - ones * 0x20) & ~word & high;
        return (below_space | has_zero(word ^ (ones * '"')) | has_zero(word ^ (ones * '\\'))) == 0;
    }

    // nlohmann's escaping of valid UTF-8 with ensure_ascii off: quote, backslash and control characters.
    void escaped(std::string_view s) {
        out_ += '"';
        std::size_t plain = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            while (i + 8 <= s.size() && plain_word(s.data() + i)) i += 8;  // texts are mostly plain: 8 bytes a step
            if (i >= s.size()) break;
            const auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            out_.append(s.data() + plain, i - plain);
            plain = i + 1;
            switch (c) {
            case '"': out_ += "\\\""; break;
            case '\\': out_ += "\\\\"; break;
            case '\b': out_ += "\\b"; break;
            case '\t': out_ += "\\t"; break;
            case '\n': out_ += "\\n"; break;
            case '\f': out_ += "\\f"; break;
            case '\r': out_ += "\\r"; break;
            default: {
                static constexpr char hex[] = "0123456789abcdef";
                out_ += "\\u00";
                out_ += hex[c >> 4];
                out_ += hex[c & 0xF];
            }
            }
        }
        out_.append(s.data() + plain, s.size() - plain);
        out_ += '"';
    }

    std::string& out_;
    int indent_;
    unsigned base_level_;
    std::size_t max_text_;
    std::vector<container> open_;
    bool after_key_ = false;
};

// The members json_write_bag writes: "properties" (plain values) and "types", first of each name kept.
inline void json_text_bag(json_text_writer& w, const std::vector<property>& props) {
    // Names as json_utf8 makes them: views of the valid ones (nearly all), copies of the others.
    std::vector<std::string> repaired;
    repaired.reserve(props.size());  // never reallocates: views into it stay valid
    std::vector<std::pair<std::string_view, const value*>> kept;
    kept.reserve(props.size());
    std::unordered_set<std::string_view> seen;
    for (const property& p : props) {
        std::string_view name = p.name;
        if (!is_valid_utf8(name)) name = repaired.emplace_back(json_utf8(name));
        // A handful of properties: a scan of the kept names costs less than hashing them; past 32
        // names (a hostile object may carry thousands) a set takes over.
        if (kept.size() >= 32 && seen.empty()) {
            for (const auto& k : kept) seen.insert(k.first);
        }
        const bool repeated = seen.empty() ? std::any_of(kept.begin(), kept.end(), [&](const auto& k) { return k.first == name; })
                                           : !seen.insert(name).second;
        if (!repeated) kept.emplace_back(name, &p.value);
    }
    w.key("properties");
    w.begin_object();
    for (const auto& [name, v] : kept) {
        w.key(name);
        const std::string* s = v->is_array() || v->is_null() || v->as_bool() || v->as_datetime() ? nullptr : v->as_string();
        if (s != nullptr) {
            w.utf8_text(*s);
        } else {
            w.dom(json_plain_of(*v, 0));
        }
    }
    w.end_object();
    w.key("types");
    w.begin_object();
    for (const auto& [name, v] : kept) {
        w.key(name);
        if (v->is_array()) {
            w.dom(json_type_of(*v));
        } else {
            w.text(json_type_name(v->type(), false));
        }
    }
    w.end_object();
}

// What json_write_object writes for a filter, a consumer or a binding, read from the typed object.
template <class Object>
void json_text_object(json_text_writer& w, const Object& o, const std::string* known_fingerprint) {
    const object_header& h = [&]() -> const object_header& {
        if constexpr (std::is_same_v<Object, consumer>) {
            return header_of(o);
        } else {
            return o;
        }
    }();
    w.begin_object();
    w.key("kind");
    if constexpr (std::is_same_v<Object, event_filter>) w.text(to_string(object_kind::filter));
    if constexpr (std::is_same_v<Object, consumer>) w.text(to_string(object_kind::consumer));
    if constexpr (std::is_same_v<Object, binding>) w.text(to_string(object_kind::binding));
    w.key("namespace");
    w.utf8_text(h.namespace_path);
    w.key("class");
    w.utf8_text(h.class_name);
    if constexpr (std::is_same_v<Object, event_filter>) {
        w.key("name");
        w.utf8_text(o.name);
        w.key("query");
        w.utf8_text(o.query);
        w.key("query_language");
        w.optional_utf8_text(o.query_language);
        w.key("event_namespace");
        w.optional_utf8_text(o.event_namespace);
    } else if constexpr (std::is_same_v<Object, consumer>) {
        w.key("name");
        w.utf8_text(header_of(o).name);
    } else {
        w.key("filter");
        w.utf8_text(o.filter);
        w.key("consumer");
        w.utf8_text(o.consumer);
    }
    w.key("creator_sid");
    w.optional_utf8_text(h.creator_sid_string());
    if constexpr (std::is_same_v<Object, consumer>) {
        if (const auto* custom = std::get_if<custom_consumer>(&o)) {
            for (const auto& [name, list] : {std::pair{"key_names", &custom->key_names}, std::pair{"derivation", &custom->derivation}}) {
                w.key(name);
                w.begin_array();
                for (const std::string& item : *list) w.utf8_text(item);
                w.end_array();
            }
        }
    }
    json_text_bag(w, properties_of(o));
    w.key("identity");
    w.utf8_text(to_string(identity_of(o)));
    w.key("fingerprint");
    w.text(known_fingerprint != nullptr ? *known_fingerprint : fingerprint(o));
    w.key("provenance");
    w.dom(json_write_provenance(h.origin));
    w.end_object();
}

inline void json_text_finding(json_text_writer& w, const subscription_facts& f, const finding& fi) {
    w.begin_object();
    w.key("rule");
    w.text(fi.id());
    w.key("severity");
    w.text(to_string(fi.severity));
    w.key("title");
    w.text(fi.title());
    w.key("class");
    w.text(to_string(fi.rule ? fi.rule->evidence_class : evidence_class::behaviour));
    w.key("techniques");
    w.begin_array();
    for (const std::string& t : fi.techniques()) w.text(t);
    w.end_array();
    w.key("evidence");
    w.begin_array();
    for (const wmisub::evidence& e : fi.evidence) {
        w.begin_object();
        w.key("field");
        w.text(e.field);
        w.key("excerpt");
        w.text(e.excerpt);
        w.key("detail");
        w.text(e.detail);
        if (const auto source = json_cut_source(f, e)) {
            w.key("text_at");
            w.text(source->pointer);
            w.key("offset");
            w.number(static_cast<std::uint64_t>(e.offset));
        }
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

// The text of json_write_assessment(a), written directly (see json_text_writer).
inline void json_text_assessment(json_text_writer& w, const assessment& a) {
    const subscription_facts& f = a.facts;
    const object_key_table* keys = f.graph != nullptr ? &object_keys_of(*f.graph) : nullptr;
    const auto known = [&](const std::vector<object_keys> object_key_table::*kind, const std::optional<std::size_t>& at) {
        return keys != nullptr && at ? &((keys->*kind)[*at].fingerprint) : nullptr;
    };
    w.begin_object();
    w.key("state");
    w.text(to_string(f.entry->state));
    w.key("namespace");
    w.text(f.entry->namespace_path);
    w.key("filter");
    if (f.filter != nullptr) json_text_object(w, *f.filter, known(&object_key_table::filters, f.entry->filter));
    else w.null();
    w.key("consumer");
    if (f.consumer != nullptr) json_text_object(w, *f.consumer, known(&object_key_table::consumers, f.entry->consumer));
    else w.null();
    w.key("binding");
    if (f.binding != nullptr) json_text_object(w, *f.binding, known(&object_key_table::bindings, f.entry->binding));
    else w.null();
    if (!f.entry->unresolved.empty()) {
        w.key("unresolved");
        w.utf8_text(f.entry->unresolved);
    }
    if (f.entry->consumer_unreadable) {
        w.key("consumer_unreadable");
        w.boolean(true);
    }
    w.key("trigger");
    w.dom(json_write_entry_trigger(f));
    if (f.payload != nullptr && f.consumer != nullptr) {
        w.key("payload");
        w.dom(json_write_payload(*f.payload));
    }
    w.key("risk");
    w.begin_object();
    w.key("score");
    w.number(static_cast<std::int64_t>(a.risk.score));
    w.key("severity");
    w.text(to_string(a.risk.severity));
    w.key("core_score");
    w.number(static_cast<std::int64_t>(a.risk.core_score));
    w.key("context_only");
    w.boolean(a.risk.context_only);
    w.end_object();
    w.key("allow_listed");
    w.boolean(a.allow_listed);
    if (!f.builtin.empty()) {
        w.key("builtin");
        w.text(f.builtin);
    }
    w.key("findings");
    w.begin_array();
    for (const finding& fi : a.findings) json_text_finding(w, f, fi);
    w.end_array();
    w.end_object();
}

// A member's text at depth one of the document, ready to follow `{` or `,`.
[[nodiscard]] inline std::string json_report_member(std::string_view key, const json_value& v, int indent) {
    std::string out = indent < 0 ? std::string() : "\n" + std::string(static_cast<std::size_t>(indent), ' ');
    json_dump_into(out, json_value(std::string(key)), -1, 0);
    out += indent < 0 ? ":" : ": ";
    json_dump_into(out, v, indent, 1);
    return out;
}

// Appends one subscription as an element of the "subscriptions" array (two levels deep).
inline void json_report_item(std::string& out, const assessment& a, const report_writer_options& options) {
    if (options.indent >= 0) {
        out += '\n';
        out.append(2 * static_cast<std::size_t>(options.indent), ' ');
    }
    json_text_writer w(out, options.indent, 2, options.max_text_bytes);
    json_text_assessment(w, a);
}

// The "summary" member: how the scan and the collection ended.
[[nodiscard]] inline json_value json_report_summary(const snapshot& snap, const scan_summary* summary) {
    json_value out = json_value::object();
    if (summary != nullptr) {
        out["status"] = std::string(to_string(summary->status));
        out["entries"] = summary->entries;
        out["assessed"] = summary->assessed;
        out["warnings"] = summary->warnings;
    }
    out["objects"] = json_object_counts(snap.counts());
    out["collection_stopped"] = snap.stopped ? json_value(snap.stopped->to_string()) : json_value(nullptr);
    out["partial"] = snap.partial() || (summary != nullptr && !summary->complete());
    return out;
}

}  // namespace detail

WMISUB_NAMESPACE_END
