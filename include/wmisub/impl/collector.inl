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
#include <utility>
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

WMISUB_API result<snapshot> mock_collector::collect(const collect_options& options) {
    if (failure_) return *failure_;
    snapshot out;
    std::size_t done = 0;
    for (const instance& in : instances_) {
        if (auto stop = options.interruption()) return std::move(*stop);
        options.report({name_, in.namespace_path, done++, instances_.size()});
        if (options.wants_namespace(in.namespace_path)) out.add(in, name_);
    }
    for (const collection_error& e : errors_) {
        if (e.namespace_path.empty() || options.wants_namespace(e.namespace_path)) out.errors.push_back(e);
    }
    return out;
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

WMISUB_API result<snapshot> composite_collector::collect(const collect_options& options) {
    if (sources_.empty()) return make_error(errc::invalid_argument, "no source to collect from");
    snapshot out;
    std::size_t failed = 0;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        if (auto stop = options.interruption()) return std::move(*stop);
        const std::string source_name = sources_[i]->name();
        options.report({source_name, "collect", i, sources_.size()});
        auto part = sources_[i]->collect(options);
        if (part) {
            out.merge(std::move(*part));
            continue;
        }
        ++failed;
        if (part.error().code == errc::cancelled) return std::move(part).error();
        out.errors.push_back({source_name, {}, part.error()});
    }
    if (failed == sources_.size()) {
        return make_error(errc::not_found, "no source could be read: " + describe(out.errors));
    }
    return out;
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

WMISUB_NAMESPACE_END
