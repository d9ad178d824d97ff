// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// MOF as a source: the MOF collector reads `.mof` files and directories
// (recursively: the legacy auto-compile folder `wbem\mof` and its `good`/`bad`
// subfolders, an incident's collected files) into one snapshot; and the
// parser for the MOF text Windows writes into WMI-Activity event 5861
// (`PossibleCause`), which records every binding WMI activates.
#pragma once

#include "wmisub/collector.hpp"
#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/mof/parser.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"

#include <cstddef>
#include <filesystem>  // mof_collector takes std::filesystem::path
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// ---------------------------------------------------------------------------
// WMI-Activity 5861 PossibleCause
// ---------------------------------------------------------------------------

// The binding a 5861 event reports: its filter and consumer as WMI rendered
// them (GetObjectText), and the binding between them.
struct possible_cause_5861 {
    instance filter;            // `__EventFilter`
    instance consumer;          // the consumer, of any class
    instance binding;           // `__FilterToConsumerBinding` with Filter/Consumer paths built from their keys
    std::vector<error> errors;  // problems that still left both objects readable
};

// Parses the PossibleCause of a WMI-Activity 5861 event ("Binding EventFilter:
// instance of __EventFilter {…}; Perm. Consumer: instance of … {…};", on one
// line or many) with the MOF parser. `base` becomes every object's provenance
// (its kind defaults to event_log); `namespace_path` is the event's Namespace
// field in any spelling (`//./ROOT/Subscription`). Error locations refer to
// `text`. Fails only when the filter or the consumer cannot be read.
[[nodiscard]] WMISUB_API result<possible_cause_5861>
parse_5861_possible_cause(std::string_view text, provenance base,
                          std::string_view namespace_path = "root\\subscription") noexcept;

// The three objects of a 5861 binding, typed and filed in a snapshot.
[[nodiscard]] WMISUB_API snapshot to_snapshot(const possible_cause_5861& cause);

// ---------------------------------------------------------------------------
// The MOF collector
// ---------------------------------------------------------------------------

// How the MOF collector finds and parses files.
struct mof_collector_options {
    // Parse options for every file (source_name is set to each file's path).
    mof_options parse;
    // File name endings taken from directories, case-insensitively; empty: every file.
    // Files named explicitly are always read.
    std::vector<std::string> extensions = {".mof", ".mfl"};
    // Most files one collection reads (directories can be huge or hostile).
    std::size_t max_files = 100000;
};

// What one file contributed besides objects: what the snapshot has no place for.
struct mof_file_summary {
    std::string path;   // UTF-8, generic separators
    bool read = false;  // false: unreadable, binary or too large (see the snapshot's errors)
    text_encoding encoding = text_encoding::utf8;
    std::vector<source_location> autorecover;  // `#pragma autorecover`: re-created after a repository rebuild
    std::vector<mof_deletion> deletions;       // `#pragma deleteclass` / `deleteinstance`
    std::vector<mof_pragma> pragmas;
    std::vector<mof_include> includes;
    std::size_t instances = 0;
    std::size_t classes = 0;
    std::size_t errors = 0;
};

// Reads MOF files and directories (recursively) into one snapshot. A file that
// cannot be read is one error; parse errors are listed with their location;
// neither stops the collection. `#pragma autorecover` and `#pragma
// deleteinstance`/`deleteclass` become annotations (autorecover on every object
// of the file; deleted on the object named), which rules read.
// Threads: safe to share; files() reports the last collection that finished.
class mof_collector final : public collector {
public:
    // Collects from these files and directories.
    explicit mof_collector(std::vector<std::filesystem::path> paths = {}, mof_collector_options options = {})
        : paths_(std::move(paths)), options_(std::move(options)) {}

    // Adds a file or directory; returns *this. Not while another thread collects.
    mof_collector& add(std::filesystem::path path) {
        paths_.push_back(std::move(path));
        return *this;
    }

    // "mof:<path>" for one path, "mof" for several.
    [[nodiscard]] std::string name() const override {
        return paths_.size() == 1 ? "mof:" + detail::mof_path_to_utf8(paths_.front()) : std::string("mof");
    }

    // Per-file details of the last collection that finished: encoding, counts, pragmas, includes.
    [[nodiscard]] std::vector<mof_file_summary> files() const { return files_.get(); }

protected:
    // Reads every file. Fails as a whole when there is nothing to read or no file could be read.
    [[nodiscard]] WMISUB_API result<void> read(collect_sink& sink) const override;

private:
    // The body of read(): list the files, then parse them one by one.
    WMISUB_API result<void> read_files(collect_sink& sink) const;

    // True when a file found in a directory has one of the wanted extensions.
    [[nodiscard]] WMISUB_API bool wanted(const std::filesystem::path& file) const;

    // Expands directories (sorted, so runs are repeatable); missing paths become errors.
    WMISUB_API void list_files(collect_sink& sink, std::vector<std::filesystem::path>& files,
                               std::optional<error>& first_problem) const;

    WMISUB_API void walk(const std::filesystem::path& root, collect_sink& sink,
                         std::vector<std::filesystem::path>& files, std::optional<error>& first_problem) const;

    // Parses one file into the sink; its summary says whether it could be read at all.
    [[nodiscard]] WMISUB_API mof_file_summary read_one(const std::filesystem::path& file, const std::string& path,
                                                       collect_sink& sink, std::optional<error>& first_problem) const;

    std::vector<std::filesystem::path> paths_;
    mof_collector_options options_;
    detail::last_collection<mof_file_summary> files_;
};

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/sources/impl/mof.inl"
#endif
