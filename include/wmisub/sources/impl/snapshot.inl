// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/sources/snapshot.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The snapshot collector's members: each file read with read_json_snapshot(),
// its objects kept when their namespace is wanted.
#pragma once

#include "wmisub/collector.hpp"
#include "wmisub/config.hpp"
#include "wmisub/json/json.hpp"
#include "wmisub/model.hpp"
#include "wmisub/result.hpp"
#include "wmisub/sources/snapshot.hpp"
#include "wmisub/storage.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

WMISUB_API std::string snapshot_collector::name() const {
    return paths_.size() == 1 ? "snapshot:" + detail::storage_path_text(paths_.front()) : std::string("snapshot");
}

WMISUB_API result<snapshot> snapshot_collector::collect(const collect_options& options) {
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

WMISUB_API bool snapshot_collector::read_one(const std::filesystem::path& file, const std::string& shown,
                                             const collect_options& options, snapshot& out) {
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

WMISUB_NAMESPACE_END
