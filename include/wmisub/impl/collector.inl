// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/collector.hpp: the mock and composite collectors and the collection options' checks.
// Included by that header only under WMISUB_INCLUDE_IMPLEMENTATION (header-only
// mode, or the one translation unit that defines WMISUB_IMPLEMENTATION); not a
// header to include.
#pragma once

#include "wmisub/collector.hpp"
#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/result.hpp"
#include "wmisub/sid.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

WMISUB_NAMESPACE_BEGIN

WMISUB_API mock_collector& mock_collector::created_by(std::string_view sid) {
    auto bytes = parse_sid(sid);
    creator_sid_ = bytes ? std::move(*bytes) : std::vector<std::uint8_t>{};
    return *this;
}

WMISUB_API mock_collector& mock_collector::add(instance in) {
    if (in.namespace_path.empty()) in.namespace_path = namespace_;
    in.origin.kind = source_kind::mock;
    if (in.origin.where.source.empty()) in.origin.where.source = name_;
    if (!creator_sid_.empty() && in.get("CreatorSID") == nullptr) in.set("CreatorSID", value::bytes(creator_sid_));
    instances_.push_back(std::move(in));
    return *this;
}

WMISUB_API mock_collector& mock_collector::filter(std::string name, std::string query, std::string event_namespace) {
    instance in = make(class_names::event_filter);
    in.set("Name", value::string(std::move(name))).set("Query", value::string(std::move(query)));
    in.set("QueryLanguage", value::string("WQL"));
    if (!event_namespace.empty()) in.set("EventNamespace", value::string(std::move(event_namespace)));
    return add(std::move(in));
}

WMISUB_API mock_collector& mock_collector::command_line_consumer(std::string name, std::string command_line,
    std::string executable_path) {
    instance in = make(class_names::command_line);
    in.set("Name", value::string(std::move(name)));
    in.set("CommandLineTemplate", value::string(std::move(command_line)));
    if (!executable_path.empty()) in.set("ExecutablePath", value::string(std::move(executable_path)));
    return add(std::move(in));
}

WMISUB_API mock_collector& mock_collector::script_consumer(std::string name, std::string script_text, std::string engine) {
    instance in = make(class_names::active_script);
    in.set("Name", value::string(std::move(name))).set("ScriptingEngine", value::string(std::move(engine)));
    in.set("ScriptText", value::string(std::move(script_text)));
    return add(std::move(in));
}

WMISUB_API mock_collector& mock_collector::log_file_consumer(std::string name, std::string filename, std::string text) {
    instance in = make(class_names::log_file);
    in.set("Name", value::string(std::move(name))).set("Filename", value::string(std::move(filename)));
    in.set("Text", value::string(std::move(text)));
    return add(std::move(in));
}

WMISUB_API mock_collector& mock_collector::event_log_consumer(std::string name, std::string source_name, std::uint32_t event_id) {
    instance in = make(class_names::nt_event_log);
    in.set("Name", value::string(std::move(name))).set("SourceName", value::string(std::move(source_name)));
    in.set("EventID", value::uint(event_id, cim_type::uint32)).set("EventType", value::uint(1, cim_type::uint32));
    return add(std::move(in));
}

WMISUB_API mock_collector& mock_collector::smtp_consumer(std::string name, std::string server, std::string to, std::string message) {
    instance in = make(class_names::smtp);
    in.set("Name", value::string(std::move(name))).set("SMTPServer", value::string(std::move(server)));
    in.set("ToLine", value::string(std::move(to))).set("Message", value::string(std::move(message)));
    return add(std::move(in));
}

WMISUB_API mock_collector& mock_collector::bind(std::string_view filter_name, std::string_view consumer_name,
    std::string_view consumer_class) {
    return bind_paths("__EventFilter.Name=" + quote_key_value(filter_name),
                      std::string(consumer_class) + ".Name=" + quote_key_value(consumer_name));
}

WMISUB_API mock_collector& mock_collector::bind_paths(std::string filter_path, std::string consumer_path) {
    instance in = make(class_names::binding);
    in.set("Filter", value::reference(std::move(filter_path)));
    in.set("Consumer", value::reference(std::move(consumer_path)));
    return add(std::move(in));
}

WMISUB_API mock_collector& mock_collector::interval_timer(std::string timer_id, std::uint32_t interval_ms) {
    instance in = make(class_names::interval_timer);
    in.set("TimerId", value::string(std::move(timer_id)));
    in.set("IntervalBetweenEvents", value::uint(interval_ms, cim_type::uint32));
    return add(std::move(in));
}

WMISUB_API mock_collector& mock_collector::error_in(std::string namespace_path, error e) {
    errors_.push_back({name_, std::move(namespace_path), std::move(e)});
    return *this;
}

WMISUB_API result<void> mock_collector::read(collect_sink& sink) const {
    if (failure_) return *failure_;
    std::size_t done = 0;
    for (const instance& in : instances_) {
        sink.progress(in.namespace_path, done++, instances_.size());
        if (!sink.add(in)) return {};
    }
    for (const collection_error& e : errors_) sink.add_error(e);
    return {};
}

WMISUB_API instance mock_collector::make(std::string_view class_name) const {
    instance in;
    in.namespace_path = namespace_;
    in.class_name = std::string(class_name);
    return in;
}

WMISUB_API composite_collector& composite_collector::add(std::unique_ptr<collector> source) {
    if (source) sources_.push_back(std::move(source));
    return *this;
}

WMISUB_API result<void> composite_collector::read(collect_sink& sink) const {
    if (sources_.empty()) return make_error(errc::invalid_argument, "no source to collect from");
    std::size_t failed = 0;
    std::vector<collection_error> failures;
    for (std::size_t i = 0; i < sources_.size() && sink.keep_going(); ++i) {
        const std::string source_name = sources_[i]->name();
        sink.progress("collect", i, sources_.size());
        auto part = sources_[i]->collect(sink.options());
        if (!part) {
            ++failed;
            failures.push_back({source_name, {}, part.error()});
            sink.add_error(failures.back());
            continue;
        }
        if (!merge_into(sink, std::move(*part))) break;
    }
    if (failed == sources_.size()) {
        const errc code = failures.size() == 1 ? failures.front().error.code : errc::not_found;  // one source: its own code
        return make_error(code, "no source could be read: " + describe(failures));
    }
    return {};
}

WMISUB_API bool composite_collector::merge_into(collect_sink& sink, snapshot part) {
    if (!part.host.empty()) sink.set_host(part.host);
    if (part.collected_at) sink.set_collected_at(*part.collected_at);
    sink.covers_consumer_classes(part.readable_consumer_classes);
    for (collection_error& e : part.errors) sink.add_error(std::move(e));
    for (object_annotation& a : part.annotations) sink.annotate(std::move(a.target), std::move(a.note));
    const auto add_all = [&](auto& objects) {
        for (auto& object : objects) {
            if (!sink.add(wmi_object{std::move(object)})) return false;
        }
        return true;
    };
    const bool complete = add_all(part.filters) && add_all(part.consumers) && add_all(part.bindings) &&
                          add_all(part.timers) && add_all(part.other_objects);
    if (part.stopped) sink.stop(std::move(*part.stopped));
    return complete && !sink.stopped();
}

WMISUB_API std::string composite_collector::describe(const std::vector<collection_error>& errors) {
    std::string out;
    for (const collection_error& e : errors) {
        if (!out.empty()) out += "; ";
        out += e.source + ": " + e.error.to_string();
    }
    return out;
}

WMISUB_API bool collect_options::wants_namespace(std::string_view ns) const {
    if (namespaces.empty()) return true;
    for (const std::string& wanted : namespaces) {
        if (iequals(ns, wanted)) return true;
        if (recursive && ns.size() > wanted.size() && ns[wanted.size()] == '\\' &&
            iequals(ns.substr(0, wanted.size()), wanted)) {
            return true;
        }
    }
    return false;
}

WMISUB_API std::optional<error> collect_options::interruption() const {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
        return make_error(errc::cancelled, "collection cancelled");
    }
    if (deadline && std::chrono::steady_clock::now() >= *deadline) {
        return make_error(errc::timeout, "collection deadline passed");
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------
// collect_sink and collector::collect
// ---------------------------------------------------------------------------

WMISUB_API bool collect_sink::room_for_object() {
    if (stopped()) return false;
    if ((++since_clock_ & 63u) == 0 && !keep_going()) return false;
    if (objects_ < options_.limits.max_objects) return true;
    stop(make_error(errc::limit_exceeded, "more than " + std::to_string(options_.limits.max_objects) +
                                              " objects (limits::max_objects); the rest are not read"));
    return false;
}

WMISUB_API bool collect_sink::add(const instance& in) {
    if (!options_.wants_namespace(in.namespace_path)) return !stopped();
    if (!room_for_object()) return false;
    out_.add(in, in.origin.where.source.empty() ? std::string_view(source_) : std::string_view(in.origin.where.source));
    ++objects_;
    return true;
}

WMISUB_API bool collect_sink::add(wmi_object object) {
    const std::string& ns = std::visit(
        [](const auto& o) -> const std::string& {
            if constexpr (std::is_same_v<std::decay_t<decltype(o)>, consumer>) {
                return header_of(o).namespace_path;
            } else {
                return o.namespace_path;
            }
        },
        object);
    if (!options_.wants_namespace(ns)) return !stopped();
    if (!room_for_object()) return false;
    out_.add(std::move(object));
    ++objects_;
    return true;
}

WMISUB_API void collect_sink::add_error(error e, std::string namespace_path) {
    add_error(collection_error{source_, std::move(namespace_path), std::move(e)});
}

WMISUB_API void collect_sink::add_error(collection_error e) {
    if (!e.namespace_path.empty() && !options_.wants_namespace(e.namespace_path)) return;
    ++errors_;
    if (errors_ <= options_.limits.max_errors) {
        out_.errors.push_back(std::move(e));
    } else if (errors_ == options_.limits.max_errors + 1) {
        out_.errors.push_back({source_, {}, make_error(errc::limit_exceeded,
                                                       "more than " + std::to_string(options_.limits.max_errors) +
                                                           " errors (limits::max_errors); the rest are not listed")});
    }
}

WMISUB_API bool collect_sink::count_input(std::size_t bytes) {
    if (stopped()) return false;
    input_bytes_ += bytes;
    if (input_bytes_ <= options_.limits.max_total_input_bytes) return true;
    stop(make_error(errc::limit_exceeded, "more than " + std::to_string(options_.limits.max_total_input_bytes) +
                                              " bytes of input (limits::max_total_input_bytes); the rest is not read"));
    return false;
}

WMISUB_API void collect_sink::annotate(std::string target, annotation note) {
    if (out_.annotations.size() >= options_.limits.max_objects) return;
    out_.annotations.push_back({std::move(target), std::move(note)});
}

WMISUB_API void collect_sink::set_host(std::string_view host) {
    if (out_.host.empty()) out_.host = std::string(host);
}

WMISUB_API void collect_sink::set_collected_at(timestamp when) {
    if (!out_.collected_at) out_.collected_at = when;
}

WMISUB_API void collect_sink::covers_consumer_classes(const std::optional<std::vector<std::string>>& classes) {
    if (!coverage_declared_) {
        out_.readable_consumer_classes = classes;
        coverage_declared_ = true;
        return;
    }
    detail::unite_readable_classes(out_.readable_consumer_classes, classes);
}

WMISUB_API bool collect_sink::keep_going() {
    if (stopped()) return false;
    if (auto why = options_.interruption()) {
        stop(std::move(*why));
        return false;
    }
    return true;
}

WMISUB_API void collect_sink::stop(error why) {
    if (!out_.stopped) out_.stopped = std::move(why);
}

namespace detail {

// The path without its server and namespace: what a relative target names.
[[nodiscard]] inline object_path annotation_relative(object_path path) {
    path.server.clear();
    path.namespace_path.clear();
    return path;
}

// Copies each snapshot-level annotation onto the object it names, when the snapshot holds it
// (a MOF file that creates a subscription and deletes it again). A target without a namespace
// names the object in any namespace.
inline void attach_annotations(snapshot& snap) {
    if (snap.annotations.empty()) return;
    struct target {
        std::string key;
        bool relative = false;
        const annotation* note = nullptr;
    };
    std::vector<target> targets;
    targets.reserve(snap.annotations.size());
    for (const object_annotation& a : snap.annotations) {
        auto path = parse_object_path(a.target);
        if (path && !path->class_name.empty()) targets.push_back({identity_key(*path), path->is_relative(), &a.note});
    }
    const auto attach = [&](object_header& header, const object_path& identity) {
        const std::string absolute = identity_key(identity);
        const std::string relative = identity_key(annotation_relative(identity));
        for (const target& t : targets) {
            if (t.key != (t.relative ? relative : absolute) || header.origin.has(t.note->kind)) continue;
            header.origin.annotations.push_back(*t.note);
        }
    };
    for (event_filter& f : snap.filters) attach(f, identity_of(f));
    for (consumer& c : snap.consumers) {
        const object_path identity = identity_of(c);
        std::visit([&](auto& typed) { attach(typed, identity); }, c);
    }
    for (binding& b : snap.bindings) attach(b, identity_of(b));
    for (timer_instruction& t : snap.timers) attach(t, identity_of(t));
}

}  // namespace detail

WMISUB_API result<snapshot> collector::collect(const collect_options& options) const {
    snapshot out;
    collect_sink sink(options, name(), out);
    if (!sink.keep_going()) return out;
    auto read_result = read(sink);
    if (!read_result && !sink.stopped()) return std::move(read_result).error();
    if (!read_result) sink.add_error(std::move(read_result).error());
    detail::attach_annotations(out);
    return out;
}

WMISUB_NAMESPACE_END
