// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file shared by impl/graph.inl and impl/engine.inl: payload
// analyses shared across graphs by content key, so a fleet's identical
// subscriptions are analysed once per engine. Not a header to include.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/result.hpp"
#include "wmisub/wql/query.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Analyses shared by graphs built through one engine, by content key.
// Thread-safe: graphs built on several threads with one engine share it. Bounded:
// when the keys it holds pass max_key_bytes or max_entries, it starts afresh
// (analyses already handed out live on in their graphs). Keeps only analyses
// `Keep` calls complete: a truncated one may be finished by a later scan with more time.
template <class Analysis, class Keep>
class analysis_cache {
public:
    static constexpr std::size_t max_entries = 1u << 16;
    static constexpr std::size_t max_key_bytes = 64u << 20;

    // The cached analysis of `key`, or nullptr.
    [[nodiscard]] std::shared_ptr<const Analysis> find(std::string_view key) const {
        const std::lock_guard<std::mutex> lock(mutex_);
        const auto it = analyses_.find(key);
        return it == analyses_.end() ? nullptr : it->second;
    }

    // Keeps a complete analysis.
    void keep(std::string_view key, std::shared_ptr<const Analysis> analysis) {
        if (!Keep{}(*analysis)) return;
        const std::lock_guard<std::mutex> lock(mutex_);
        if (analyses_.size() >= max_entries || key_bytes_ + key.size() > max_key_bytes) {
            analyses_.clear();
            key_bytes_ = 0;
        }
        key_bytes_ += key.size();
        analyses_.emplace(std::string(key), std::move(analysis));
    }

private:
    // Heterogeneous lookup: find() takes a view without building a string.
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view k) const noexcept { return std::hash<std::string_view>{}(k); }
    };

    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<const Analysis>, key_hash, std::equal_to<>> analyses_;
    std::size_t key_bytes_ = 0;
};

struct keep_complete_payload {
    bool operator()(const payload_analysis& a) const noexcept { return !a.truncated; }
};
struct keep_any_query {
    bool operator()(const result<wql_analysis>&) const noexcept { return true; }  // a query's analysis is never cut short
};

// Payload analyses by payload_content_key().
class payload_cache : public analysis_cache<payload_analysis, keep_complete_payload> {};
// WQL analyses (or the error) by query text.
class query_cache : public analysis_cache<result<wql_analysis>, keep_any_query> {};

}  // namespace detail
WMISUB_NAMESPACE_END
