// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// JSON files as a source: the snapshot collector reads wmisub snapshots and
// baselines, PowerShell `Get-CimInstance`/`Get-WmiObject … | ConvertTo-Json`
// output (Windows PowerShell 5.1 and PowerShell 7, UTF-16LE with BOM as 5.1
// writes it, several outputs appended to one file) and osquery `--json`
// output of its wmi_* tables, telling each file's format from its content.
// Whatever responders already collected with those tools, wmisub can judge.
//
// Needs nlohmann/json (it includes wmisub/json.hpp), so the umbrella header
// does not include it.
#pragma once

#include "wmisub/collector.hpp"
#include "wmisub/config.hpp"
#include "wmisub/json.hpp"
#include "wmisub/model.hpp"
#include "wmisub/result.hpp"
#include "wmisub/storage.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// How the snapshot collector reads its files.
struct snapshot_collector_options {
    // Limits, strictness and checksum policy for every file (source_name is set per file).
    json_read_options read;
    // Most errors kept per file; the rest are counted in one more error.
    std::size_t max_errors_per_file = 1000;
};

// What one file held, besides its objects.
struct snapshot_file_summary {
    std::string path;           // UTF-8, generic separators
    bool read = false;          // false: the file could not be read at all (see the snapshot's errors)
    json_input_summary input;   // format, encoding, documents, objects, checksum
    std::size_t errors = 0;     // errors this file added to the snapshot
};

// Reads JSON files (given by path) into one snapshot. A file that cannot be
// read or recognised is one error; problems inside a file (an object with a
// wrong type, a missing key) are errors with the file, JSON pointer and line
// where known, and the rest of the file is still read. collect_options'
// namespaces, deadline, cancel flag and progress callback are honoured.
class snapshot_collector final : public collector {
public:
    // Collects from these files.
    explicit snapshot_collector(std::vector<std::filesystem::path> paths = {}, snapshot_collector_options options = {})
        : paths_(std::move(paths)), options_(std::move(options)) {}

    // Adds a file; returns *this.
    snapshot_collector& add(std::filesystem::path path) {
        paths_.push_back(std::move(path));
        return *this;
    }

    // "snapshot:<path>" for one file, "snapshot" for several.
    [[nodiscard]] std::string name() const override {
        return paths_.size() == 1 ? "snapshot:" + detail::storage_path_text(paths_.front()) : std::string("snapshot");
    }

    // Per-file details of the last collect(): format found, encoding, counts.
    [[nodiscard]] const std::vector<snapshot_file_summary>& files() const noexcept { return files_; }

    // Reads every file. Fails as a whole when no file is given, when none could
    // be read, or when the caller cancels or the deadline passes.
    [[nodiscard]] result<snapshot> collect(const collect_options& options) override {
        files_.clear();
        if (paths_.empty()) return make_error(errc::invalid_argument, "no snapshot file given");
        snapshot out;
        std::size_t readable = 0;
        for (std::size_t i = 0; i < paths_.size(); ++i) {
            if (auto stop = options.interruption()) return std::move(*stop);
            const std::string shown = detail::storage_path_text(paths_[i]);
            options.report({"snapshot", shown, i, paths_.size()});
            if (read_one(paths_[i], shown, options, out)) ++readable;
        }
        if (readable == 0) {
            std::string why = out.errors.empty() ? std::string("no file") : out.errors.front().error.to_string();
            return make_error(errc::not_found, "no snapshot file could be read: " + why);
        }
        return out;
    }

private:
    // Reads one file into `out`; false when it could not be read at all.
    bool read_one(const std::filesystem::path& file, const std::string& shown, const collect_options& options,
                  snapshot& out) {
        snapshot_file_summary summary;
        summary.path = shown;
        json_read_options read = options_.read;
        read.source_name = shown;
        auto bytes = read_file_limited(file, read.limits.max_bytes);
        if (!bytes) {
            out.errors.push_back({shown, {}, bytes.error()});
            summary.errors = 1;
            files_.push_back(std::move(summary));
            return false;
        }
        auto part = read_json_snapshot(*bytes, read, &summary.input);
        if (!part) {
            out.errors.push_back({shown, {}, part.error()});
            summary.errors = 1;
            files_.push_back(std::move(summary));
            return false;
        }
        summary.read = true;
        snapshot& got = *part;
        if (out.host.empty()) out.host = got.host;
        if (!out.collected_at) out.collected_at = got.collected_at;
        std::size_t kept = 0;
        const auto wanted = [&](const auto& object) { return options.wants_namespace(object.namespace_path); };
        for (event_filter& f : got.filters) {
            if (wanted(f)) out.filters.push_back(std::move(f));
        }
        for (consumer& c : got.consumers) {
            if (options.wants_namespace(header_of(c).namespace_path)) out.consumers.push_back(std::move(c));
        }
        for (binding& b : got.bindings) {
            if (wanted(b)) out.bindings.push_back(std::move(b));
        }
        for (timer_instruction& t : got.timers) {
            if (wanted(t)) out.timers.push_back(std::move(t));
        }
        for (instance& in : got.other_objects) {
            if (wanted(in)) out.other_objects.push_back(std::move(in));
        }
        for (collection_error& e : got.errors) {
            if (!e.namespace_path.empty() && !options.wants_namespace(e.namespace_path)) continue;
            if (kept == options_.max_errors_per_file) {
                out.errors.push_back({shown, {}, make_error(errc::limit_exceeded,
                                                            "more errors in this file than the " +
                                                                std::to_string(options_.max_errors_per_file) +
                                                                " kept; the rest are not listed")});
                ++kept;
                continue;
            }
            if (kept > options_.max_errors_per_file) continue;
            out.errors.push_back(std::move(e));
            ++kept;
        }
        summary.errors = kept;
        files_.push_back(std::move(summary));
        return true;
    }

    std::vector<std::filesystem::path> paths_;
    snapshot_collector_options options_;
    std::vector<snapshot_file_summary> files_;
};

WMISUB_NAMESPACE_END
