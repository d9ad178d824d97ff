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
// Needs nlohmann/json (it includes wmisub/json/json.hpp), so the umbrella header
// does not include it.
//
// In compiled mode (WMISUB_HEADER_ONLY=0) the collector's members are defined
// in sources/impl/snapshot.inl, compiled by the implementation unit.
#pragma once

#include "wmisub/collector.hpp"
#include "wmisub/config.hpp"
#include "wmisub/json/json.hpp"
#include "wmisub/model.hpp"
#include "wmisub/result.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
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
// namespaces, limits, deadline, cancel flag and progress callback are honoured.
// Threads: safe to share; files() reports the last collection that finished.
class snapshot_collector final : public collector {
public:
    // Collects from these files.
    explicit snapshot_collector(std::vector<std::filesystem::path> paths = {}, snapshot_collector_options options = {})
        : paths_(std::move(paths)), options_(std::move(options)) {}

    // Adds a file; returns *this. Not while another thread collects.
    snapshot_collector& add(std::filesystem::path path) {
        paths_.push_back(std::move(path));
        return *this;
    }

    // "snapshot:<path>" for one file, "snapshot" for several.
    [[nodiscard]] WMISUB_API std::string name() const override;

    // Per-file details of the last collection that finished: format found, encoding, counts.
    [[nodiscard]] std::vector<snapshot_file_summary> files() const { return files_.get(); }

protected:
    // Reads every file. Fails as a whole when no file is given or none could be read.
    [[nodiscard]] WMISUB_API result<void> read(collect_sink& sink) const override;

private:
    // Reads one file into the sink; its summary says whether it could be read at all.
    [[nodiscard]] WMISUB_API snapshot_file_summary read_one(const std::filesystem::path& file, const std::string& shown,
                                                            collect_sink& sink, std::optional<error>& first_problem) const;

    std::vector<std::filesystem::path> paths_;
    snapshot_collector_options options_;
    detail::last_collection<snapshot_file_summary> files_;
};

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/sources/impl/snapshot.inl"
#endif
