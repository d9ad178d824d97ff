// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/sources/mof.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The WMI-Activity 5861 PossibleCause parser and the MOF collector's file
// walking and parsing. Under WMISUB_INCLUDE_IMPLEMENTATION, wmisub/mof/parser.hpp
// brings the MOF front end's internals (detail::mof_path_keys, mof_path_key).
#pragma once

#include "wmisub/collector.hpp"
#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/mof/parser.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/result.hpp"
#include "wmisub/sources/mof.hpp"
#include "wmisub/text.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// ---------------------------------------------------------------------------
// WMI-Activity 5861 PossibleCause
// ---------------------------------------------------------------------------

namespace detail {

// Where the two section headers of a PossibleCause are, found outside string
// literals (a script may well contain the words "Perm. Consumer:").
struct cause_5861_layout {
    std::size_t filter_header = std::string_view::npos;
    std::size_t filter_header_length = 0;
    std::size_t consumer_header = std::string_view::npos;
    std::size_t consumer_header_length = 0;
};

// True when `header` starts at text[i], ASCII case-insensitively (exporters vary the case).
[[nodiscard]] inline bool cause_header_at(std::string_view text, std::size_t i, std::string_view header) noexcept {
    if (text.size() - i < header.size()) return false;
    for (std::size_t k = 0; k < header.size(); ++k) {
        if (ascii_lower(text[i + k]) != ascii_lower(header[k])) return false;
    }
    return true;
}

// Finds both headers outside string and char literals and outside braces.
[[nodiscard]] inline cause_5861_layout find_5861_headers(std::string_view text) noexcept {
    constexpr std::string_view filter_header = "Binding EventFilter:";
    constexpr std::string_view consumer_header = "Perm. Consumer:";
    cause_5861_layout out;
    char quote = 0;
    std::size_t depth = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quote != 0) {
            if (c == '\\')
                ++i;
            else if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            continue;
        }
        if (c == '{') ++depth;
        if (c == '}' && depth > 0) --depth;
        if (depth != 0) continue;
        if (out.filter_header == std::string_view::npos && cause_header_at(text, i, filter_header)) {
            out.filter_header = i;
            out.filter_header_length = filter_header.size();
        } else if (out.consumer_header == std::string_view::npos && cause_header_at(text, i, consumer_header)) {
            out.consumer_header = i;
            out.consumer_header_length = consumer_header.size();
        }
    }
    return out;
}

// The single-key-aware relative path WMI writes in a binding: `Class.Key="v"`.
[[nodiscard]] inline std::string cause_path_of(const instance& in) {
    object_path path;
    path.class_name = in.class_name;
    for (const std::string& key : mof_path_keys(in)) {
        if (const value* v = in.get(key); v != nullptr && !v->is_null()) path.keys.push_back(mof_path_key(key, *v));
    }
    return to_string(path);
}

// Runs f() -> result<T>; with exceptions enabled, an allocation failure becomes
// an error instead of escaping into the host.
template <class F>
[[nodiscard]] auto mof_guarded(F&& f) noexcept -> decltype(f()) {
#if WMISUB_EXCEPTIONS
    try {
        return std::forward<F>(f)();
    } catch (...) {
        return make_error(errc::limit_exceeded, "out of memory");
    }
#else
    return std::forward<F>(f)();
#endif
}

// The body of parse_5861_possible_cause.
[[nodiscard]] inline result<possible_cause_5861> parse_5861(std::string_view text, provenance base,
                                                            std::string_view namespace_path) {
    const source_location where{base.where.source, 0, 0, 0};
    const cause_5861_layout layout = find_5861_headers(text);
    if (layout.consumer_header == std::string_view::npos) {
        return make_error(errc::syntax_error, "5861 PossibleCause without a \"Perm. Consumer:\" section", where);
    }
    std::string mof(text);  // headers blanked out, so offsets, lines and columns still match `text`
    mof.replace(layout.consumer_header, layout.consumer_header_length, layout.consumer_header_length, ' ');
    if (layout.filter_header != std::string_view::npos) {
        mof.replace(layout.filter_header, layout.filter_header_length, layout.filter_header_length, ' ');
    }
    mof_options options;
    options.source_name = base.where.source;
    options.default_namespace = std::string(namespace_path);
    mof_document doc = parse_mof(mof, options);
    possible_cause_5861 out;
    out.errors = std::move(doc.errors);
    if (base.kind == source_kind::unknown) base.kind = source_kind::event_log;
    std::size_t filters = 0;
    std::size_t consumers = 0;
    for (mof_instance& mi : doc.instances) {
        const bool before_consumer = mi.object.origin.where.offset < layout.consumer_header;
        mi.object.origin = base;
        if (before_consumer && iequals(mi.object.class_name, class_names::event_filter)) {
            out.filter = std::move(mi.object);
            ++filters;
        } else if (!before_consumer) {
            out.consumer = std::move(mi.object);
            ++consumers;
        }
    }
    if (filters != 1) {
        return make_error(errc::syntax_error, "5861 PossibleCause without exactly one __EventFilter instance", where);
    }
    if (consumers != 1) {
        return make_error(errc::syntax_error, "5861 PossibleCause without exactly one consumer instance", where);
    }
    const value* filter_name = out.filter.get("Name");
    if (filter_name == nullptr || filter_name->as_string() == nullptr) {
        return make_error(errc::missing_field, "5861 filter without a Name", where);
    }
    out.binding.namespace_path = out.filter.namespace_path;
    out.binding.class_name = std::string(class_names::binding);
    out.binding.origin = base;
    out.binding.set("Filter", value::reference(cause_path_of(out.filter)));
    out.binding.set("Consumer", value::reference(cause_path_of(out.consumer)));
    return out;
}

}  // namespace detail

// Parses the PossibleCause of a WMI-Activity 5861 event ("Binding EventFilter:
// instance of __EventFilter {…}; Perm. Consumer: instance of … {…};", on one
// line or many) with the MOF parser. `base` becomes every object's provenance
// (its kind defaults to event_log); `namespace_path` is the event's Namespace
// field in any spelling (`//./ROOT/Subscription`). Error locations refer to
// `text`. Fails only when the filter or the consumer cannot be read.
WMISUB_API result<possible_cause_5861> parse_5861_possible_cause(std::string_view text, provenance base,
                                                                 std::string_view namespace_path) noexcept {
    return detail::mof_guarded([&] { return detail::parse_5861(text, std::move(base), namespace_path); });
}

// The three objects of a 5861 binding, typed and filed in a snapshot.
WMISUB_API snapshot to_snapshot(const possible_cause_5861& cause) {
    snapshot out;
    const std::string& source = cause.filter.origin.where.source;
    out.add(cause.filter, source);
    out.add(cause.consumer, source);
    out.add(cause.binding, source);
    for (const error& e : cause.errors) out.errors.push_back({source, cause.filter.namespace_path, e});
    return out;
}

// ---------------------------------------------------------------------------
// The MOF collector
// ---------------------------------------------------------------------------

WMISUB_API result<void> mof_collector::read(collect_sink& sink) const {
    return detail::mof_guarded([&] { return read_files(sink); });
}

WMISUB_API result<void> mof_collector::read_files(collect_sink& sink) const {
    if (paths_.empty()) return make_error(errc::invalid_argument, "no MOF file or directory given");
    std::vector<std::filesystem::path> files;
    std::optional<error> first_problem;
    list_files(sink, files, first_problem);
    std::vector<mof_file_summary> summaries;
    summaries.reserve(files.size());
    std::size_t readable = 0;
    for (std::size_t i = 0; i < files.size() && sink.keep_going(); ++i) {
        const std::string path = detail::mof_path_to_utf8(files[i]);
        sink.progress(path, i, files.size());
        summaries.push_back(read_one(files[i], path, sink, first_problem));
        if (summaries.back().read) ++readable;
    }
    files_.set(std::move(summaries));
    if (readable == 0 && !sink.stopped()) {
        // The first file's own reason and code (a syntax error is not "not found").
        if (!first_problem) return make_error(errc::not_found, "no MOF file could be read: no MOF file found");
        return make_error(first_problem->code, "no MOF file could be read: " + first_problem->to_string());
    }
    return {};
}

WMISUB_API bool mof_collector::wanted(const std::filesystem::path& file) const {
    if (options_.extensions.empty()) return true;
    const std::string name = detail::mof_path_to_utf8(file.filename());
    for (const std::string& ext : options_.extensions) {
        if (iends_with(name, ext)) return true;
    }
    return false;
}

namespace detail {

// An input that exists but cannot be read (a folder or file without permission, a
// symbolic-link loop): one error naming the path, access_denied when permission is the cause.
[[nodiscard]] inline error mof_unreadable(const std::filesystem::path& path, std::string_view what, const std::error_code& ec) {
    const bool denied = ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted;
    return make_error(denied ? errc::access_denied : errc::io_error, std::string("cannot read ") + std::string(what) + ": " + ec.message(),
                      source_location{mof_path_to_utf8(path), 0, 0, source_location::npos});
}

}  // namespace detail

WMISUB_API void mof_collector::list_files(collect_sink& sink, std::vector<std::filesystem::path>& files,
                                          std::optional<error>& first_problem) const {
    for (const std::filesystem::path& root : paths_) {
        std::error_code ec;
        const auto status = std::filesystem::status(root, ec);
        const std::string shown = detail::mof_path_to_utf8(root);
        if (ec && ec != std::errc::no_such_file_or_directory) {
            error unreadable = detail::mof_unreadable(root, "the path", ec);
            if (!first_problem) first_problem = unreadable;
            sink.add_error({shown, {}, std::move(unreadable)});
            continue;
        }
        if (ec || !std::filesystem::exists(status)) {
            error missing = make_error(errc::not_found, "no such file or directory",
                                       source_location{shown, 0, 0, source_location::npos});
            if (!first_problem) first_problem = missing;
            sink.add_error({shown, {}, std::move(missing)});
            continue;
        }
        if (!std::filesystem::is_directory(status)) {
            files.push_back(root);
            continue;
        }
        walk(root, sink, files, first_problem);
        if (sink.stopped()) return;
    }
    const std::size_t max_files = std::min(options_.max_files, sink.options().limits.max_files);
    if (files.size() > max_files) {
        sink.add_error({"mof", {}, make_error(errc::limit_exceeded, "more than " + std::to_string(max_files) +
                                                                        " files; the rest are skipped")});
        files.resize(max_files);
    }
}


// Every folder below `root` is opened on its own, so one that cannot be read is an
// error naming it (not a silent gap) and the walk goes on with the others. Links to
// folders are not followed (no cycles); links to files are, and a broken one that
// would have been read is reported.
WMISUB_API void mof_collector::walk(const std::filesystem::path& root, collect_sink& sink,
                                    std::vector<std::filesystem::path>& files, std::optional<error>& first_problem) const {
    const auto report = [&](error e) {
        if (!first_problem) first_problem = e;
        sink.add_error({e.location.source, {}, std::move(e)});
    };
    std::vector<std::filesystem::path> found;
    std::vector<std::filesystem::path> folders{root};
    std::size_t seen = 0;
    while (!folders.empty()) {
        const std::filesystem::path folder = std::move(folders.back());
        folders.pop_back();
        std::error_code ec;
        std::filesystem::directory_iterator it(folder, ec);
        if (ec) {
            report(detail::mof_unreadable(folder, "the folder", ec));
            continue;
        }
        for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
            if ((++seen & 255u) == 0 && !sink.keep_going()) return;
            std::error_code type_ec;
            const std::filesystem::file_status link = it->symlink_status(type_ec);
            if (!type_ec && std::filesystem::is_directory(link)) {
                folders.push_back(it->path());
                continue;
            }
            if (!wanted(it->path())) continue;
            const std::filesystem::file_status target = it->status(type_ec);
            if (type_ec) {
                report(detail::mof_unreadable(it->path(), "the file", type_ec));
            } else if (std::filesystem::is_regular_file(target) && found.size() <= options_.max_files) {
                found.push_back(it->path());
            }
        }
        if (ec) report(detail::mof_unreadable(folder, "the folder", ec));
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
}

namespace detail {

// The annotations a MOF file puts on what it declares: autorecover on each of its
// objects, deleted on each instance it deletes (classes: on their instances, which go with them).
inline void mof_annotate(const mof_document& doc, const std::string& path, collect_sink& sink) {
    for (const mof_deletion& d : doc.deletions) {
        const bool whole_class = d.kind == mof_deletion_kind::class_definition;
        std::string target = d.target;
        if (!d.namespace_path.empty() && target.find(':') == std::string::npos && !whole_class) {
            target = d.namespace_path + ":" + target;
        }
        annotation note{annotation_kind::deleted, d.where,
                        std::string(whole_class ? "#pragma deleteclass(\"" : "#pragma deleteinstance(\"") + d.target + "\")"};
        if (whole_class) note.where.source = path;
        sink.annotate(std::move(target), std::move(note));
    }
}

}  // namespace detail

WMISUB_API mof_file_summary mof_collector::read_one(const std::filesystem::path& file, const std::string& path,
                                                    collect_sink& sink, std::optional<error>& first_problem) const {
    const limits& bounds = sink.options().limits;
    mof_options parse = options_.parse;
    parse.source_name = path;
    if (parse.cancel == nullptr) parse.cancel = sink.options().cancel;
    if (!parse.deadline) parse.deadline = sink.options().deadline;
    parse.max_input_bytes = std::min(parse.max_input_bytes, bounds.max_input_bytes);
    parse.max_nesting = std::min(parse.max_nesting, bounds.max_nesting);
    parse.max_array_elements = std::min(parse.max_array_elements, bounds.max_array_elements);
    mof_file_summary summary;
    summary.path = path;
    std::error_code size_error;
    const std::uintmax_t size = std::filesystem::file_size(file, size_error);
    if (!size_error && !sink.count_input(static_cast<std::size_t>(std::min<std::uintmax_t>(size, SIZE_MAX)))) return summary;
    mof_document doc = parse_mof_file(file, std::move(parse));
    summary.read = !(doc.instances.empty() && doc.classes.empty() && doc.pragmas.empty() && !doc.errors.empty() &&
                     doc.errors.front().location.line == 0);
    summary.encoding = doc.encoding;
    summary.instances = doc.instances.size();
    summary.classes = doc.classes.size();
    summary.errors = doc.errors.size();
    if (!summary.read && !first_problem) first_problem = doc.errors.front();
    for (mof_instance& mi : doc.instances) {
        if (!doc.autorecover.empty()) {
            mi.object.origin.annotations.push_back({annotation_kind::autorecover, doc.autorecover.front(),
                                                    "#pragma autorecover"});
        }
        if (!sink.add(mi.object)) break;
        mi.object = instance{};  // freed as soon as it is filed: the document and the snapshot never both hold all
    }
    detail::mof_annotate(doc, path, sink);
    for (error& e : doc.errors) {
        if (e.code == errc::cancelled || e.code == errc::timeout) {
            sink.stop(std::move(e));
            continue;
        }
        sink.add_error({path, {}, std::move(e)});
    }
    summary.autorecover = std::move(doc.autorecover);
    summary.deletions = std::move(doc.deletions);
    summary.pragmas = std::move(doc.pragmas);
    summary.includes = std::move(doc.includes);
    return summary;
}

WMISUB_NAMESPACE_END
