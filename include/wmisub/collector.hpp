// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The source layer's one interface: a collector turns some source (code, MOF
// files, JSON, event logs, the offline repository, live WMI) into a snapshot.
// Also the mock collector tests and examples fill in code, and a composite
// that merges several collectors and keeps each one's errors.
#pragma once

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

// Progress of a collection, for a host's progress bar or log.
struct collect_progress {
    std::string_view source;  // the collector's name
    std::string_view stage;   // what it is doing: a namespace, a file
    std::size_t done = 0;     // units finished
    std::size_t total = 0;    // units expected; 0 when unknown
};

// What to collect and how long to try.
struct collect_options {
    // Namespaces to read, such as `root\subscription`. Empty: every namespace.
    std::vector<std::string> namespaces;
    // Also read the namespaces below each listed one (the default, as attackers nest them).
    bool recursive = true;
    // Give up (errc::timeout) after this instant.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    // Stop (errc::cancelled) as soon as this flag is raised; owned by the caller.
    const std::atomic<bool>* cancel = nullptr;
    // Called from the collecting thread as work advances.
    std::function<void(const collect_progress&)> progress;

    // True when objects of namespace `ns` are wanted.
    [[nodiscard]] bool wants_namespace(std::string_view ns) const {
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

    // The error to stop with when the caller cancelled or the deadline passed.
    [[nodiscard]] std::optional<error> interruption() const {
        if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
            return make_error(errc::cancelled, "collection cancelled");
        }
        if (deadline && std::chrono::steady_clock::now() >= *deadline) {
            return make_error(errc::timeout, "collection deadline passed");
        }
        return std::nullopt;
    }

    // Reports progress when the caller asked for it.
    void report(const collect_progress& p) const {
        if (progress) progress(p);
    }
};

// A source of subscription objects.
class collector {
public:
    virtual ~collector() = default;

    // A short name for reports and errors: "mock", "mof:persist.mof", "com:root".
    [[nodiscard]] virtual std::string name() const = 0;

    // Reads the source. Fails as a whole only when nothing could be read; partial
    // failures (one namespace, one file) are recorded in snapshot::errors.
    [[nodiscard]] virtual result<snapshot> collect(const collect_options& options) = 0;

protected:
    collector() = default;
    collector(const collector&) = default;
    collector& operator=(const collector&) = default;
    collector(collector&&) = default;
    collector& operator=(collector&&) = default;
};

// Objects built in code, for tests, examples and rule authors. Each adder
// returns *this so a whole scenario reads as one expression.
class mock_collector final : public collector {
public:
    explicit mock_collector(std::string name = "mock") : name_(std::move(name)) {}

    [[nodiscard]] std::string name() const override { return name_; }

    // Namespace used by the adders that take none (default `root\subscription`).
    mock_collector& in_namespace(std::string ns) {
        namespace_ = std::move(ns);
        return *this;
    }

    // CreatorSID given to the objects added after this call (`S-1-…`; empty: none).
    mock_collector& created_by(std::string_view sid) {
        auto bytes = parse_sid(sid);
        creator_sid_ = bytes ? std::move(*bytes) : std::vector<std::uint8_t>{};
        return *this;
    }

    // Any instance, typed by its class like every real source does.
    mock_collector& add(instance in) {
        if (in.namespace_path.empty()) in.namespace_path = namespace_;
        in.origin.kind = source_kind::mock;
        if (in.origin.where.source.empty()) in.origin.where.source = name_;
        if (!creator_sid_.empty() && in.get("CreatorSID") == nullptr) in.set("CreatorSID", value::bytes(creator_sid_));
        instances_.push_back(std::move(in));
        return *this;
    }

    // An `__EventFilter` with a WQL query; `event_namespace` empty leaves it NULL.
    mock_collector& filter(std::string name, std::string query, std::string event_namespace = "root\\cimv2") {
        instance in = make(class_names::event_filter);
        in.set("Name", value::string(std::move(name))).set("Query", value::string(std::move(query)));
        in.set("QueryLanguage", value::string("WQL"));
        if (!event_namespace.empty()) in.set("EventNamespace", value::string(std::move(event_namespace)));
        return add(std::move(in));
    }

    // A `CommandLineEventConsumer` running `command_line`.
    mock_collector& command_line_consumer(std::string name, std::string command_line,
                                          std::string executable_path = {}) {
        instance in = make(class_names::command_line);
        in.set("Name", value::string(std::move(name)));
        in.set("CommandLineTemplate", value::string(std::move(command_line)));
        if (!executable_path.empty()) in.set("ExecutablePath", value::string(std::move(executable_path)));
        return add(std::move(in));
    }

    // An `ActiveScriptEventConsumer` with inline script text.
    mock_collector& script_consumer(std::string name, std::string script_text, std::string engine = "VBScript") {
        instance in = make(class_names::active_script);
        in.set("Name", value::string(std::move(name))).set("ScriptingEngine", value::string(std::move(engine)));
        in.set("ScriptText", value::string(std::move(script_text)));
        return add(std::move(in));
    }

    // A `LogFileEventConsumer` appending `text` to `filename`.
    mock_collector& log_file_consumer(std::string name, std::string filename, std::string text) {
        instance in = make(class_names::log_file);
        in.set("Name", value::string(std::move(name))).set("Filename", value::string(std::move(filename)));
        in.set("Text", value::string(std::move(text)));
        return add(std::move(in));
    }

    // An `NTEventLogEventConsumer` writing event `event_id` as `source_name`.
    mock_collector& event_log_consumer(std::string name, std::string source_name, std::uint32_t event_id) {
        instance in = make(class_names::nt_event_log);
        in.set("Name", value::string(std::move(name))).set("SourceName", value::string(std::move(source_name)));
        in.set("EventID", value::uint(event_id, cim_type::uint32)).set("EventType", value::uint(1, cim_type::uint32));
        return add(std::move(in));
    }

    // An `SMTPEventConsumer` mailing `message` to `to` through `server`.
    mock_collector& smtp_consumer(std::string name, std::string server, std::string to, std::string message) {
        instance in = make(class_names::smtp);
        in.set("Name", value::string(std::move(name))).set("SMTPServer", value::string(std::move(server)));
        in.set("ToLine", value::string(std::move(to))).set("Message", value::string(std::move(message)));
        return add(std::move(in));
    }

    // A `__FilterToConsumerBinding` from filter `filter_name` to the consumer of
    // class `consumer_class` named `consumer_name`, with paths as WMI writes them.
    mock_collector& bind(std::string_view filter_name, std::string_view consumer_name,
                         std::string_view consumer_class = class_names::command_line) {
        return bind_paths("__EventFilter.Name=" + quote_key_value(filter_name),
                          std::string(consumer_class) + ".Name=" + quote_key_value(consumer_name));
    }

    // A binding with reference paths exactly as given, however they are spelled.
    mock_collector& bind_paths(std::string filter_path, std::string consumer_path) {
        instance in = make(class_names::binding);
        in.set("Filter", value::reference(std::move(filter_path)));
        in.set("Consumer", value::reference(std::move(consumer_path)));
        return add(std::move(in));
    }

    // An `__IntervalTimerInstruction` firing every `interval_ms` milliseconds.
    mock_collector& interval_timer(std::string timer_id, std::uint32_t interval_ms) {
        instance in = make(class_names::interval_timer);
        in.set("TimerId", value::string(std::move(timer_id)));
        in.set("IntervalBetweenEvents", value::uint(interval_ms, cim_type::uint32));
        return add(std::move(in));
    }

    // An error the collection reports, as a failing namespace or file would.
    mock_collector& error_in(std::string namespace_path, error e) {
        errors_.push_back({name_, std::move(namespace_path), std::move(e)});
        return *this;
    }

    // Makes collect() fail as a whole, as an unreachable source does.
    mock_collector& fail_with(error e) {
        failure_ = std::move(e);
        return *this;
    }

    [[nodiscard]] result<snapshot> collect(const collect_options& options) override {
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

private:
    [[nodiscard]] instance make(std::string_view class_name) const {
        instance in;
        in.namespace_path = namespace_;
        in.class_name = std::string(class_name);
        return in;
    }

    std::string name_;
    std::string namespace_ = "root\\subscription";
    std::vector<std::uint8_t> creator_sid_;
    std::vector<instance> instances_;
    std::vector<collection_error> errors_;
    std::optional<error> failure_;
};

// Several collectors read as one: one snapshot with every object, and every
// collector's errors (a collector that fails entirely becomes one error).
class composite_collector final : public collector {
public:
    composite_collector() = default;

    // Adds a collector; the composite owns it.
    composite_collector& add(std::unique_ptr<collector> source) {
        if (source) sources_.push_back(std::move(source));
        return *this;
    }

    [[nodiscard]] std::string name() const override { return "composite"; }

    // Number of collectors added.
    [[nodiscard]] std::size_t size() const noexcept { return sources_.size(); }

    // Fails only when every collector failed (or there are none, or the caller
    // cancelled); otherwise failures are listed in snapshot::errors.
    [[nodiscard]] result<snapshot> collect(const collect_options& options) override {
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

private:
    [[nodiscard]] static std::string describe(const std::vector<collection_error>& errors) {
        std::string out;
        for (const collection_error& e : errors) {
            if (!out.empty()) out += "; ";
            out += e.source + ": " + e.error.to_string();
        }
        return out;
    }

    std::vector<std::unique_ptr<collector>> sources_;
};

WMISUB_NAMESPACE_END
