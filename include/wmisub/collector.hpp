// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The source layer's one interface: a collector turns some source (code, MOF
// files, JSON, event logs, the offline repository, live WMI) into a snapshot.
// Also the mock collector tests and examples fill in code, and a composite
// that merges several collectors and keeps each one's errors.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/limits.hpp"
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
#include <mutex>
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

// What to collect, how long to try and how much to take.
struct collect_options {
    // Namespaces to read, such as `root\subscription`. Empty: every namespace.
    std::vector<std::string> namespaces;
    // Also read the namespaces below each listed one (the default, as attackers nest them).
    bool recursive = true;
    // Stop (snapshot::stopped, errc::timeout) after this instant; what was read is kept.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    // Stop (snapshot::stopped, errc::cancelled) as soon as this flag is raised; owned by the caller.
    const std::atomic<bool>* cancel = nullptr;
    // Called from the collecting thread as work advances.
    std::function<void(const collect_progress&)> progress;
    // Bounds of the collection: max_objects and max_total_input_bytes stop it (errc::limit_exceeded,
    // what was read is kept); max_errors caps the list; max_files, max_input_bytes, max_nesting and
    // max_array_elements tighten each collector's own parser options.
    wmisub::limits limits;

    // True when objects of namespace `ns` are wanted.
    [[nodiscard]] bool wants_namespace(std::string_view ns) const;

    // The error to stop with when the caller cancelled or the deadline passed.
    [[nodiscard]] std::optional<error> interruption() const;

    // Reports progress when the caller asked for it.
    void report(const collect_progress& p) const {
        if (progress) progress(p);
    }
};

// Where a collector's reader puts what it reads, one object at a time. It
// applies the caller's options so readers do not have to: objects outside the
// wanted namespaces are dropped, the object and error limits are kept, and
// cancellation and the deadline are checked as objects arrive. A reader stops
// as soon as add() or keep_going() returns false; what it added stays.
class collect_sink {
public:
    collect_sink(const collect_options& options WMISUB_LIFETIMEBOUND, std::string source, snapshot& out WMISUB_LIFETIMEBOUND)
        : options_(options), source_(std::move(source)), out_(out) {}
    collect_sink(const collect_sink&) = delete;
    collect_sink& operator=(const collect_sink&) = delete;

    // Types and files one instance when its namespace is wanted; false: stop reading.
    WMISUB_API bool add(const instance& in);
    // Files an already typed object when its namespace is wanted; false: stop reading.
    WMISUB_API bool add(wmi_object object);
    // Records an error met while reading (`namespace_path` empty: not namespace-specific).
    WMISUB_API void add_error(error e, std::string namespace_path = {});
    // Records an error under another source name (a file inside a directory).
    WMISUB_API void add_error(collection_error e);
    // Counts `bytes` of input about to be read; false (and the collection stops) past
    // limits::max_total_input_bytes.
    WMISUB_API bool count_input(std::size_t bytes);
    // Records an annotation about the object at `target` (an object path as the source wrote it).
    WMISUB_API void annotate(std::string target, annotation note);
    // The machine the source describes and when it was read, when the source knows.
    WMISUB_API void set_host(std::string_view host);
    WMISUB_API void set_collected_at(timestamp when);
    // Declares which consumer classes one part of the input (a file, a child source) could
    // read; nullopt: every class. The parts are united; a reader that declares nothing reads
    // every class (snapshot::readable_consumer_classes).
    WMISUB_API void covers_consumer_classes(const std::optional<std::vector<std::string>>& classes);

    // False once the reader must stop: cancelled, deadline passed or a limit reached.
    // Reads the clock; readers call it between units of work (a file, a namespace, a page).
    [[nodiscard]] WMISUB_API bool keep_going();
    // Stops the collection for `why` (a reader's own limit); the first reason is kept.
    WMISUB_API void stop(error why);
    // True once the collection was stopped.
    [[nodiscard]] bool stopped() const noexcept { return out_.stopped.has_value(); }

    // Reports progress through the caller's callback.
    void progress(std::string_view stage, std::size_t done, std::size_t total) const {
        options_.report({source_, stage, done, total});
    }
    // The caller's options (namespaces, deadline and cancel flag for a reader's own parsers).
    [[nodiscard]] const collect_options& options() const noexcept { return options_; }
    // The collector's name, for errors.
    [[nodiscard]] const std::string& source() const noexcept { return source_; }
    // Objects kept so far.
    [[nodiscard]] std::size_t objects() const noexcept { return objects_; }

private:
    [[nodiscard]] bool room_for_object();

    const collect_options& options_;
    std::string source_;
    snapshot& out_;
    std::size_t objects_ = 0;
    std::size_t errors_ = 0;
    std::size_t input_bytes_ = 0;
    std::uint32_t since_clock_ = 0;
    bool coverage_declared_ = false;
};

namespace detail {

// What a collector's last finished collection found besides objects (per-file
// summaries), for its files(). Written and read under a lock, so collectors that
// keep one stay safe to share between threads; copies copy the data.
template <class T>
class last_collection {
public:
    last_collection() = default;
    last_collection(const last_collection& other) : items_(other.get()) {}
    last_collection& operator=(const last_collection& other) {
        if (this != &other) set(other.get());
        return *this;
    }
    ~last_collection() = default;

    void set(std::vector<T> items) const {
        const std::lock_guard<std::mutex> lock(mutex_);
        items_ = std::move(items);
    }
    [[nodiscard]] std::vector<T> get() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return items_;
    }

private:
    mutable std::mutex mutex_;
    mutable std::vector<T> items_;
};

}  // namespace detail

// A source of subscription objects, in the template-method shape: the public,
// non-virtual collect() owns the policy (options, limits, cancellation, the
// deadline, joining annotations to objects) and calls the virtual read(),
// which hands what it finds to a collect_sink.
// Threads: collect() and name() are const and the standard collectors keep no
// state between calls, so one collector may be shared by threads that collect
// at the same time; a collector of your own must keep the same promise or say
// it does not. What collect() returns is the caller's own value.
class collector {
public:
    virtual ~collector() = default;

    // A short name for reports and errors: "mock", "mof:persist.mof", "com:root".
    [[nodiscard]] virtual std::string name() const = 0;

    // Reads the source. Fails as a whole only when nothing could be read (and it
    // was not stopped); partial failures (one namespace, one file) are listed in
    // snapshot::errors, and a collection stopped by the caller or a limit returns
    // what it read with snapshot::stopped set.
    [[nodiscard]] WMISUB_API result<snapshot> collect(const collect_options& options = {}) const;

protected:
    collector() = default;
    collector(const collector&) = default;
    collector& operator=(const collector&) = default;
    collector(collector&&) = default;
    collector& operator=(collector&&) = default;

    // Reads the source into `sink`. An error return means the source could not
    // be read at all; anything else goes to the sink.
    [[nodiscard]] virtual result<void> read(collect_sink& sink) const = 0;
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

protected:
    [[nodiscard]] result<void> read(collect_sink& sink) const override;

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

protected:
    // Fails only when every collector failed (or there are none); otherwise
    // failures are listed in snapshot::errors.
    [[nodiscard]] result<void> read(collect_sink& sink) const override;

private:
    // Files a collector's snapshot through the sink; false: stop.
    static bool merge_into(collect_sink& sink, snapshot part);
    [[nodiscard]] static std::string describe(const std::vector<collection_error>& errors);

    std::vector<std::unique_ptr<collector>> sources_;
};

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/collector.inl"
#endif
