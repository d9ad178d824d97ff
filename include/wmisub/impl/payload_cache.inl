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

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Thread-safe: graphs built on several threads with one engine share it. Bounded:
// when the keys it holds pass max_key_bytes or max_entries, it starts afresh
// (analyses already handed out live on in their graphs).
class payload_cache {
public:
    static constexpr std::size_t max_entries = 1u << 16;
    static constexpr std::size_t max_key_bytes = 64u << 20;

    // The cached analysis of `key`, or nullptr.
    [[nodiscard]] std::shared_ptr<const payload_analysis> find(const std::string& key) const {
        const std::lock_guard<std::mutex> lock(mutex_);
        const auto it = analyses_.find(key);
        return it == analyses_.end() ? nullptr : it->second;
    }

    // Keeps a complete analysis (never a truncated one: a later scan with more time may finish it).
    void keep(std::string key, std::shared_ptr<const payload_analysis> analysis) {
        if (analysis->truncated) return;
        const std::lock_guard<std::mutex> lock(mutex_);
        if (analyses_.size() >= max_entries || key_bytes_ + key.size() > max_key_bytes) {
            analyses_.clear();
            key_bytes_ = 0;
        }
        key_bytes_ += key.size();
        analyses_.emplace(std::move(key), std::move(analysis));
    }

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<const payload_analysis>> analyses_;
    std::size_t key_bytes_ = 0;
};

}  // namespace detail
WMISUB_NAMESPACE_END
