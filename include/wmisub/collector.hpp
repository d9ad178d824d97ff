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
    [[nodiscard]] bool wants_namespace(std::string_view ns) const;

    // The error to stop with when the caller cancelled or the deadline passed.
    [[nodiscard]] std::optional<error> interruption() const;

    // Reports progress when the caller asked for it.
    void report(const collect_progress& p) const {
        if (progress) progress(p);
    }
};

// A source of subscription objects.
// Threads: a collector is not safe to share between threads that collect at
// the same time (collect() may record what it read, as mof_collector::files()
// does); give each thread its own, they are cheap to construct. What collect()
// returns is the caller's own value.
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
    mock_collector& created_by(std::string_view sid);

    // Any instance, typed by its class like every real source does.
    mock_collector& add(instance in);

    // An `__EventFilter` with a WQL query; `event_namespace` empty leaves it NULL.
    mock_collector& filter(std::string name, std::string query, std::string event_namespace = "root\\cimv2");

    // A `CommandLineEventConsumer` running `command_line`.
    mock_collector& command_line_consumer(std::string name, std::string command_line,
                                          std::string executable_path = {});

    // An `ActiveScriptEventConsumer` with inline script text.
    mock_collector& script_consumer(std::string name, std::string script_text, std::string engine = "VBScript");

    // A `LogFileEventConsumer` appending `text` to `filename`.
    mock_collector& log_file_consumer(std::string name, std::string filename, std::string text);

    // An `NTEventLogEventConsumer` writing event `event_id` as `source_name`.
    mock_collector& event_log_consumer(std::string name, std::string source_name, std::uint32_t event_id);

    // An `SMTPEventConsumer` mailing `message` to `to` through `server`.
    mock_collector& smtp_consumer(std::string name, std::string server, std::string to, std::string message);

    // A `__FilterToConsumerBinding` from filter `filter_name` to the consumer of
    // class `consumer_class` named `consumer_name`, with paths as WMI writes them.
    mock_collector& bind(std::string_view filter_name, std::string_view consumer_name,
                         std::string_view consumer_class = class_names::command_line);

    // A binding with reference paths exactly as given, however they are spelled.
    mock_collector& bind_paths(std::string filter_path, std::string consumer_path);

    // An `__IntervalTimerInstruction` firing every `interval_ms` milliseconds.
    mock_collector& interval_timer(std::string timer_id, std::uint32_t interval_ms);

    // An error the collection reports, as a failing namespace or file would.
    mock_collector& error_in(std::string namespace_path, error e);

    // Makes collect() fail as a whole, as an unreachable source does.
    mock_collector& fail_with(error e) {
        failure_ = std::move(e);
        return *this;
    }

    [[nodiscard]] result<snapshot> collect(const collect_options& options) override;

private:
    [[nodiscard]] instance make(std::string_view class_name) const;

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
    composite_collector& add(std::unique_ptr<collector> source);

    [[nodiscard]] std::string name() const override { return "composite"; }

    // Number of collectors added.
    [[nodiscard]] std::size_t size() const noexcept { return sources_.size(); }

    // Fails only when every collector failed (or there are none, or the caller
    // cancelled); otherwise failures are listed in snapshot::errors.
    [[nodiscard]] result<snapshot> collect(const collect_options& options) override;

private:
    [[nodiscard]] static std::string describe(const std::vector<collection_error>& errors);

    std::vector<std::unique_ptr<collector>> sources_;
};

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/collector.inl"
#endif
