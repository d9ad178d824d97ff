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

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

WMISUB_API std::string snapshot_collector::name() const {
    return paths_.size() == 1 ? "snapshot:" + detail::storage_path_text(paths_.front()) : std::string("snapshot");
}

WMISUB_API result<void> snapshot_collector::read(collect_sink& sink) const {
    if (paths_.empty()) return make_error(errc::invalid_argument, "no snapshot file given");
    std::vector<snapshot_file_summary> summaries;
    std::optional<error> first_problem;
    std::size_t readable = 0;
    for (std::size_t i = 0; i < paths_.size() && sink.keep_going(); ++i) {
        const std::string shown = detail::storage_path_text(paths_[i]);
        sink.progress(shown, i, paths_.size());
        summaries.push_back(read_one(paths_[i], shown, sink, first_problem));
        if (summaries.back().read) ++readable;
    }
    files_.set(std::move(summaries));
    if (readable == 0 && !sink.stopped()) {
        if (!first_problem) return make_error(errc::not_found, "no snapshot file could be read: no file");
        return make_error(first_problem->code, "no snapshot file could be read: " + first_problem->to_string());
    }
    return {};
}

namespace detail {

// Files everything one JSON file held through the sink; false when the sink stopped.
inline bool snapshot_file_into(snapshot& got, collect_sink& sink) {
    if (!got.host.empty()) sink.set_host(got.host);
    if (got.collected_at) sink.set_collected_at(*got.collected_at);
    sink.covers_consumer_classes(got.readable_consumer_classes);
    for (object_annotation& a : got.annotations) sink.annotate(std::move(a.target), std::move(a.note));
    const auto add_all = [&](auto& objects) {
        for (auto& object : objects) {
            if (!sink.add(wmi_object{std::move(object)})) return false;
        }
        return true;
    };
    return add_all(got.filters) && add_all(got.consumers) && add_all(got.bindings) && add_all(got.timers) &&
           add_all(got.other_objects);
}

}  // namespace detail

WMISUB_API snapshot_file_summary snapshot_collector::read_one(const std::filesystem::path& file, const std::string& shown,
                                                              collect_sink& sink, std::optional<error>& first_problem) const {
    snapshot_file_summary summary;
    summary.path = shown;
    const limits& bounds = sink.options().limits;
    json_read_options read = options_.read;
    read.source_name = shown;
    read.limits.max_bytes = std::min(read.limits.max_bytes, bounds.max_input_bytes);
    read.limits.max_depth = std::min(read.limits.max_depth, 2 * bounds.max_nesting + 16);  // as json_limits counts
    read.limits.max_array_elements = std::min(read.limits.max_array_elements, bounds.max_array_elements);
    if (read.stop.cancel == nullptr) read.stop.cancel = sink.options().cancel;
    if (!read.stop.deadline) read.stop.deadline = sink.options().deadline;
    std::error_code size_error;
    const std::uintmax_t size = std::filesystem::file_size(file, size_error);
    if (!size_error && !sink.count_input(static_cast<std::size_t>(std::min<std::uintmax_t>(size, SIZE_MAX)))) return summary;
    auto bytes = read_file_limited(file, read.limits.max_bytes, read.stop);
    auto part = bytes ? read_json_snapshot(*bytes, read, &summary.input) : result<snapshot>(bytes.error());
    if (!part && (part.error().code == errc::cancelled || part.error().code == errc::timeout)) {
        error why = std::move(part).error();
        why.location.source = shown;
        sink.stop(std::move(why));  // the collection is partial: earlier files are kept
        return summary;
    }
    if (!part) {
        if (!first_problem) first_problem = part.error();
        sink.add_error({shown, {}, part.error()});
        summary.errors = 1;
        return summary;
    }
    summary.read = true;
    std::size_t kept = 0;
    for (collection_error& e : part->errors) {
        if (kept == options_.max_errors_per_file) {
            sink.add_error({shown, {}, make_error(errc::limit_exceeded,
                                                  "more errors in this file than the " +
                                                      std::to_string(options_.max_errors_per_file) +
                                                      " kept; the rest are not listed")});
            ++kept;
            break;
        }
        sink.add_error(std::move(e));
        ++kept;
    }
    summary.errors = kept;
    (void)detail::snapshot_file_into(*part, sink);
    return summary;
}

WMISUB_NAMESPACE_END
