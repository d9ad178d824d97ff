// Realistic benchmark content: the subscriptions of ../shared/data/corpus
// (real attack and admin filters, consumers and bindings) replicated with
// distinct names until there are `n`, so every stage sees the payloads and
// queries it meets in the field rather than a few synthetic shapes.
// Empty when ../shared is absent: the benchmark then skips.
#pragma once

#include "corpus.hpp"  // tests/corpus.hpp: the corpus reader the tests use
#include "wmisub/model.hpp"
#include "wmisub/object_path.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace wmisub_bench {

// Every corpus entry with a filter or a consumer, attacks and benign together.
inline const std::vector<wmisub_test::corpus_entry>& corpus_entries() {
    static const std::vector<wmisub_test::corpus_entry> entries = [] {
        std::vector<wmisub_test::corpus_entry> all;
        for (const char* file : {"corpus/attacks.jsonl", "corpus/benign.jsonl"}) {
            const auto path = wmisub_test::shared_data_path(file);
            if (!path) continue;
            for (auto& e : wmisub_test::load_corpus(*path)) {
                if (e.filter || e.consumer) all.push_back(std::move(e));
            }
        }
        return all;
    }();
    return entries;
}

inline std::optional<std::string> string_name(const wmisub::instance& in) {
    const wmisub::value* name = in.get("Name");
    if (name == nullptr || name->as_string() == nullptr) return std::nullopt;
    return *name->as_string();
}

// Adds one copy of a corpus entry, its names suffixed with `copy`.
inline void add_copy(wmisub::snapshot& snap, const wmisub_test::corpus_entry& e, const std::string& copy) {
    std::optional<std::string> filter_name;
    std::optional<std::string> consumer_name;
    if (e.filter) {
        wmisub::instance f = *e.filter;
        if (auto name = string_name(f)) f.set("Name", wmisub::value::string(*(filter_name = *name + copy)));
        snap.add(f);
    }
    if (e.consumer) {
        wmisub::instance c = *e.consumer;
        if (auto name = string_name(c)) c.set("Name", wmisub::value::string(*(consumer_name = *name + copy)));
        snap.add(c);
    }
    if (e.bound && filter_name && consumer_name) {
        wmisub::instance b = wmisub_test::make_corpus_instance(e.namespace_path, "__FilterToConsumerBinding", e.id);
        std::string filter_ref = "__EventFilter.Name=";
        filter_ref += wmisub::quote_key_value(*filter_name);
        std::string consumer_ref = e.consumer->class_name;
        consumer_ref += ".Name=";
        consumer_ref += wmisub::quote_key_value(*consumer_name);
        b.set("Filter", wmisub::value::reference(filter_ref));
        b.set("Consumer", wmisub::value::reference(consumer_ref));
        snap.add(b);
    }
}

// The corpus replicated to `n` entries with distinct names; empty without ../shared.
inline wmisub::snapshot replicated_corpus(std::size_t n) {
    wmisub::snapshot snap;
    const auto& entries = corpus_entries();
    if (entries.empty()) return snap;
    for (std::size_t i = 0; i < n; ++i) {
        // Corpus entries reuse names (several attacks call their filter "UPDATER"), so the
        // suffix is the copy's own number: one filter, consumer and binding per subscription.
        std::string copy = "#";
        copy += std::to_string(i);
        add_copy(snap, entries[i % entries.size()], copy);
    }
    return snap;
}

}  // namespace wmisub_bench
