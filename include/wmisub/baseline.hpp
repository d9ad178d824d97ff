// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Content fingerprints, baselines of approved objects, and field-level diffs.
//
// A fingerprint is the SHA-256 of an object's canonical form
// (impl/baseline.inl): what the object does, not where it was read
// or how it was spelled. Provenance, property order, the case of property
// names, NULL versus absent, integer widths, system properties (`__PATH`,
// `__SERVER`) and respellings of the query, namespaces and object paths do not
// change it. CreatorSID does: a changed creator is a change worth reporting.
// Allow-lists key on fingerprints, never on names an attacker can copy.
//
// A baseline holds the approved objects with their identity (namespace, class,
// key properties, compared as WMI does), fingerprint and full properties. diff()
// matches a snapshot against it by identity and reports objects added, removed
// and modified (every changed field, old and new, typed and as text), and
// bindings re-pointed ("filter X now bound to consumer Y instead of Z"), in a
// stable order. Nothing here needs nlohmann/json; wmisub/json.hpp reads and
// writes baselines and diffs.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/model.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/value.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// ---------------------------------------------------------------------------
// Objects of any kind
// ---------------------------------------------------------------------------

// What a subscription object is. Names are stable (JSON uses them).
// (GCC's -Wshadow mistakes the scoped enumerator `consumer` for a redeclaration of the type.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
enum class object_kind : std::uint8_t { filter, consumer, binding, timer, instance };
// Which end of a re-pointed binding stayed the same.
enum class rebinding_anchor : std::uint8_t { filter, consumer };
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// "filter", "consumer", "binding", "timer", "instance".
[[nodiscard]] constexpr std::string_view to_string(object_kind k) noexcept {
    switch (k) {
    case object_kind::filter: return "filter";
    case object_kind::consumer: return "consumer";
    case object_kind::binding: return "binding";
    case object_kind::timer: return "timer";
    case object_kind::instance: return "instance";
    }
    return "instance";
}

// The kind named by a stable name; nullopt for anything else.
[[nodiscard]] constexpr std::optional<object_kind> object_kind_from_string(std::string_view name) noexcept {
    for (const object_kind k : {object_kind::filter, object_kind::consumer, object_kind::binding, object_kind::timer,
                                object_kind::instance}) {
        if (name == to_string(k)) return k;
    }
    return std::nullopt;
}

// The kind of a typed object.
[[nodiscard]] WMISUB_API object_kind kind_of(const wmi_object& o) noexcept;

// The namespace an object was found in.
[[nodiscard]] WMISUB_API const std::string& namespace_of(const wmi_object& o) noexcept;

// The class of an object as the source spelled it.
[[nodiscard]] WMISUB_API const std::string& class_name_of(const wmi_object& o) noexcept;

// Where an object was found.
[[nodiscard]] WMISUB_API const provenance& origin_of(const wmi_object& o) noexcept;

// The properties of a generic instance (the counterpart of properties_of for typed objects).
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const instance& in);

// The properties of any object as WMI spells them.
[[nodiscard]] WMISUB_API std::vector<property> properties_of(const wmi_object& o);

// The key property names of an instance: its known keys, else `Name` when it has one.
[[nodiscard]] WMISUB_API std::vector<std::string> key_names_of(const instance& in);

// The key property names of any object.
[[nodiscard]] WMISUB_API std::vector<std::string> key_names_of(const wmi_object& o);

// The identity of a generic instance: namespace, class and key properties
// (known keys, else `Name`); no keys when it has neither.
[[nodiscard]] WMISUB_API object_path identity_of(const instance& in);

// The identity of any object as an object path.
[[nodiscard]] WMISUB_API object_path identity_of(const wmi_object& o);

// ---------------------------------------------------------------------------
// Fingerprints
// ---------------------------------------------------------------------------

// The version of the canonical form; a new version means new fingerprints.
inline constexpr int fingerprint_version = 1;
// The canonical form of an object (see the header comment): the text its fingerprint hashes.
[[nodiscard]] WMISUB_API std::string canonical_form(const wmi_object& o);

// The content fingerprint of an object: lower-case hex SHA-256 of its canonical form.
[[nodiscard]] WMISUB_API std::string fingerprint(const wmi_object& o);

// A fingerprint as written by a person or another tool, in the form fingerprint()
// prints: surrounding white space and an `sha256:` prefix (any case) dropped, hex
// digits in lower case. Policies, baselines and reports compare this form, so a
// fingerprint means the same wherever it is printed or read.
[[nodiscard]] WMISUB_API std::string normalize_fingerprint(std::string_view text);
// True when `text` is a fingerprint once normalized: 64 hex digits.
[[nodiscard]] WMISUB_API bool is_fingerprint(std::string_view text);

// Fingerprints of the typed objects, for callers that hold one.
[[nodiscard]] WMISUB_API std::string fingerprint(const event_filter& f);
[[nodiscard]] WMISUB_API std::string fingerprint(const consumer& c);
[[nodiscard]] WMISUB_API std::string fingerprint(const binding& b);
[[nodiscard]] WMISUB_API std::string fingerprint(const timer_instruction& t);
[[nodiscard]] WMISUB_API std::string fingerprint(const instance& in);

// The canonical identity of an object, the key baselines and diffs match on:
// compared as WMI compares (case, key order, path spellings, local server).
// An instance without key properties is identified by its content.
[[nodiscard]] WMISUB_API std::string identity_key_of(const wmi_object& o);

// ---------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------

// One approved object.
struct baseline_entry {
    object_kind kind = object_kind::instance;
    std::string identity;      // the identity as an object path, for people: `root\subscription:__EventFilter.Name="x"`
    std::string identity_key;  // the canonical identity diffs match on
    std::string fingerprint;   // content fingerprint
    wmi_object object;         // the object itself, properties and provenance included

    // Builds an entry for an object, computing its identity and fingerprint.
    [[nodiscard]] static baseline_entry of(wmi_object o);
};

// Approved objects and when, where and by what they were approved. An empty
// baseline (no entries) is valid and distinct from a baseline that could not
// be read, which is an error.
struct baseline {
    std::string host;                        // machine the approved state came from, when known
    std::optional<timestamp> created;        // when the baseline was made
    std::string tool_version = WMISUB_VERSION_STRING;  // wmisub version that made it
    std::string comment;                     // free text (ticket, who approved)
    std::vector<baseline_entry> entries;     // sorted by kind, identity key, fingerprint

    [[nodiscard]] bool empty() const noexcept { return entries.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return entries.size(); }

    // The approved objects by kind, as snapshot::counts() counts them (copies were approved once).
    [[nodiscard]] object_counts counts() const noexcept;

    // The first entry with this identity key, or nullptr.
    [[nodiscard]] const baseline_entry* find(std::string_view identity_key) const noexcept;

    // True when some approved object has exactly this content.
    [[nodiscard]] bool approves(std::string_view fingerprint_hex) const noexcept;

    // Approves an object. The same identity with the same content is kept
    // once; the same identity with other content is kept too (two sources
    // disagreeing are both approved). Returns false when it was already there.
    bool add(wmi_object o);

    // Restores the canonical order after entries were edited directly.
    void sort();
};

// How make_baseline builds a baseline.
struct baseline_options {
    std::optional<timestamp> created;   // default: now
    std::string comment;
    bool include_other_objects = true;  // also approve the snapshot's other instances (provider registrations, ...)
};

// Approves everything a snapshot holds. The snapshot's errors are not part of
// a baseline: check them first, as a baseline of a partial collection reports
// the missing objects as added later.
[[nodiscard]] WMISUB_API baseline make_baseline(const snapshot& snap, const baseline_options& options = {});

// ---------------------------------------------------------------------------
// Diffs
// ---------------------------------------------------------------------------

// One changed property of a modified object. Absent and NULL are the same.
struct field_change {
    std::string field;                // WMI property name (as the new object spells it, else the old one)
    std::optional<value> old_value;   // nullopt: absent before
    std::optional<value> new_value;   // nullopt: absent now
    std::string old_text;             // for people: strings as they are, CreatorSID as `S-1-…`, "" when absent
    std::string new_text;
};

// An object present on one side only.
struct diff_object {
    object_kind kind = object_kind::instance;
    std::string identity;
    std::string identity_key;
    std::string fingerprint;
    wmi_object object;
};

// An object with the same identity on both sides and different content.
struct modified_object {
    object_kind kind = object_kind::instance;
    std::string identity;
    std::string identity_key;
    std::string old_fingerprint;
    std::string new_fingerprint;
    wmi_object old_object;
    wmi_object new_object;
    std::vector<field_change> changes;  // sorted by folded field name
};

// "filter" or "consumer".
[[nodiscard]] constexpr std::string_view to_string(rebinding_anchor a) noexcept {
    return a == rebinding_anchor::filter ? "filter" : "consumer";
}

// A binding removed and another added that share one end: the filter now
// triggers another consumer (anchor filter), or the consumer is now triggered
// by another filter (anchor consumer). Both bindings also appear in
// added/removed.
struct rebinding {
    rebinding_anchor anchor = rebinding_anchor::filter;
    std::string namespace_path;  // of the bindings
    std::string anchor_path;     // the filter (or consumer) that stayed, as the binding spells it
    std::string old_peer;        // what it was bound to
    std::string new_peer;        // what it is bound to now
    std::string old_binding;     // identity of the removed binding
    std::string new_binding;     // identity of the added binding
    std::string description;     // `filter "X" now bound to consumer CommandLineEventConsumer "Y" instead of … "Z"`
};

// What to compare.
struct diff_options {
    // Namespaces compared (and their children when recursive); empty: all. Use
    // the namespaces the snapshot was collected from, or every baseline object
    // outside them is reported removed.
    std::vector<std::string> namespaces;
    bool recursive = true;
    // Also compare instances of other classes (provider registrations, ...).
    bool include_other_objects = true;
};

// The result of diff(): every difference, in a stable order (kind, then identity).
struct baseline_diff {
    std::vector<diff_object> added;
    std::vector<diff_object> removed;
    std::vector<modified_object> modified;
    std::vector<rebinding> rebindings;
    std::size_t unchanged = 0;
    // The objects compared on each side, by kind (within the options' scope). On the observed side
    // each copy counts, as snapshot::counts() does; `repeated` of them are exact copies of another
    // (same identity, same content) and are compared once, so that
    // added + modified + unchanged + repeated == observed.total().
    object_counts approved;
    object_counts observed;
    std::size_t repeated = 0;

    // The two sides, for reports.
    std::string baseline_host;
    std::optional<timestamp> baseline_created;
    std::string snapshot_host;
    std::optional<timestamp> snapshot_collected_at;

    // The snapshot's collection errors: an object reported removed may be one
    // that could not be read.
    std::vector<collection_error> errors;

    // True when anything was added, removed or modified.
    [[nodiscard]] bool has_changes() const noexcept { return !added.empty() || !removed.empty() || !modified.empty(); }
};
// What changed since a baseline in the objects of one graph entry. The
// pointers refer into the baseline_diff it was made from.
struct entry_changes {
    std::vector<const diff_object*> added;         // the entry's objects the baseline lacks
    std::vector<const modified_object*> modified;  // the entry's objects whose content changed

    [[nodiscard]] bool empty() const noexcept { return added.empty() && modified.empty(); }
};

// Compares two baselines (an approved state with another host's, or an older one).
[[nodiscard]] WMISUB_API baseline_diff diff(const baseline& before, const baseline& after, const diff_options& options = {});

// Compares a snapshot with a baseline: what was added, removed and modified
// since the baseline was approved, field by field, and re-pointed bindings.
[[nodiscard]] WMISUB_API baseline_diff diff(const baseline& approved, const snapshot& observed,
                                            const diff_options& options = {});

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/baseline.inl"
#endif
