// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/mof/parser.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Alias resolution at the end of each MOF file. `Filter = $Filt;` becomes the
// object path of the aliased instance, `__EventFilter.Name="F"`, exactly what
// WMI stores in the binding (relative when both live in one namespace, with
// the namespace otherwise). Aliases may be used before their declaration; a
// key that is itself an alias reference is resolved first, so bindings of
// bindings work, and a cycle of such keys is an error.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/mof/impl/schema.inl"
#include "wmisub/mof/impl/session.inl"
#include "wmisub/mof/impl/values.inl"
#include "wmisub/mof/parser.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// The key names used to build an instance's path, ordered as WMI orders them
// (case-insensitively): its own (declared class), the standard class's, or
// `Name` when the class is unknown but has one. Views into `in` or the schema.
inline void mof_key_names(const instance& in, std::vector<std::string_view>& out) {
    out.clear();
    for (const std::string& k : in.key_names) out.emplace_back(k);
    if (out.empty()) {
        for (const mof_std_class* c = mof_find_std_class(in.class_name); c != nullptr; c = mof_std_super(c)) {
            for (const mof_std_property& p : c->properties) {
                if (p.is_key) out.push_back(p.name);
            }
        }
    }
    if (out.empty() && in.get("Name") != nullptr) out.emplace_back("Name");
    if (out.size() > 1) std::sort(out.begin(), out.end(), iless{});
}

// The same, as strings.
[[nodiscard]] inline std::vector<std::string> mof_path_keys(const instance& in) {
    std::vector<std::string_view> views;
    mof_key_names(in, views);
    return std::vector<std::string>(views.begin(), views.end());
}

// A key value as an object path key: strings and references quoted, integers and booleans bare.
[[nodiscard]] inline path_key mof_path_key(const std::string& name, const value& v) {
    if (const auto b = v.as_bool()) return {name, key_value_kind::boolean, *b ? "TRUE" : "FALSE"};
    if (is_integer(v.type()) && !v.is_array()) {
        if (const auto i = v.as_int(); i && is_signed_integer(v.type()))
            return {name, key_value_kind::integer, std::to_string(*i)};
        if (const auto u = v.as_uint()) return {name, key_value_kind::integer, std::to_string(*u)};
    }
    if (const std::string* s = v.as_string()) return {name, key_value_kind::string, *s};
    return {name, key_value_kind::string, to_display(v)};
}

// Appends `,Key=value` (`.` before the first key) exactly as to_string(object_path) writes it.
inline void mof_append_path_key(std::string& out, bool first, std::string_view name, const value& v);

// `Class.Key="v",Key2=1`: the relative object path of an instance from its key values.
[[nodiscard]] inline std::string mof_relative_path(const instance& in) {
    std::vector<std::string_view> keys;
    mof_key_names(in, keys);
    std::string out = in.class_name;
    bool first = true;
    for (const std::string_view key : keys) {
        const property* p = nullptr;
        for (const property& candidate : in.properties) {
            if (mof_names_equal(candidate.name, key)) p = &candidate;
        }
        if (p == nullptr || (p->value.is_null() && !p->value.is_array())) continue;  // reported when the instance ended
        mof_append_path_key(out, first, key, p->value);
        first = false;
    }
    return out;
}

inline void mof_append_path_key(std::string& out, bool first, std::string_view name, const value& v) {
    out += first ? '.' : ',';
    out += name;
    out += '=';
    if (const auto b = v.as_bool()) {
        out += *b ? "TRUE" : "FALSE";
    } else if (const std::string* s = v.as_string()) {
        opath_append_quoted(out, *s);
    } else if (const auto i = v.as_int(); i && is_integer(v.type()) && is_signed_integer(v.type())) {
        out += std::to_string(*i);
    } else if (const auto u = v.as_uint(); u && is_integer(v.type())) {
        out += std::to_string(*u);
    } else {
        opath_append_quoted(out, to_display(v));
    }
}

// `ns:relative` as WMI writes a path in another namespace, `\\server\ns:relative` on another machine.
[[nodiscard]] inline std::string mof_prefixed_path(std::string_view server, std::string_view ns,
                                                   std::string_view relative) {
    std::string out;
    if (!server.empty() && server != ".") {
        out += "\\\\";
        out += server;
        out += '\\';
    }
    out += ns;
    out += ':';
    out += relative;
    return out;
}

// Resolves the alias references of one file.
class mof_resolver {
public:
    mof_resolver(mof_session& session, mof_file_scope& scope) : session_(session), scope_(scope) {}

    // Computes every pending reference's path, then writes them into the instances.
    void run() {
        const std::size_t count = scope_.pending.size();
        if (count == 0) return;
        results_.assign(count, std::nullopt);
        state_.assign(count, entry_state::open);
        nodes_.resize(session_.doc().instances.size() - scope_.first_instance);
        for (std::size_t i = 0; i < count && !session_.stopped(); ++i) resolve(i, 0);
        write_back();
    }

private:
    enum class entry_state : std::uint8_t { open, busy, done };
    enum class node_state : std::uint8_t { open, busy, done, failed };

    // The class-and-keys path of one aliased instance, built once.
    struct node {
        node_state state = node_state::open;
        std::string path;
    };

    [[nodiscard]] std::span<const std::uint32_t> steps(const mof_pending_ref& ref) const {
        return std::span<const std::uint32_t>(scope_.steps).subspan(ref.steps_begin, ref.steps_size);
    }

    // The pending reference stored directly in property `position` of instance `index`, if any.
    [[nodiscard]] std::optional<std::size_t> pending_at(std::size_t index, std::uint32_t position) const {
        const auto& pending = scope_.pending;  // in parse order: grouped by instance
        auto it = std::lower_bound(pending.begin(), pending.end(), index,
                                   [](const mof_pending_ref& p, std::size_t i) { return p.instance < i; });
        for (; it != pending.end() && it->instance == index; ++it) {
            if (it->steps_size == 1 && scope_.steps[it->steps_begin] == position) {
                return static_cast<std::size_t>(it - pending.begin());
            }
        }
        return std::nullopt;
    }

    // The path for pending entry i, or nullptr when it cannot be resolved (reported).
    const std::string* resolve(std::size_t i, std::size_t depth) {
        if (state_[i] == entry_state::done) return results_[i] ? &*results_[i] : nullptr;
        const mof_pending_ref& ref = scope_.pending[i];
        if (state_[i] == entry_state::busy) {
            session_.report(errc::syntax_error, "circular alias reference through $" + ref.alias, scope_.where(ref));
            return nullptr;
        }
        state_[i] = entry_state::busy;
        results_[i] = target_path(ref, depth);
        state_[i] = entry_state::done;
        return results_[i] ? &*results_[i] : nullptr;
    }

    std::optional<std::string> target_path(const mof_pending_ref& ref, std::size_t depth) {
        const mof_alias_target* target = scope_.aliases.find(ref.alias);
        if (target == nullptr) {
            session_.report(errc::not_found, "alias $" + ref.alias + " is not defined in this file", scope_.where(ref));
            return std::nullopt;
        }
        const mof_instance& from = session_.doc().instances[ref.instance];
        std::string_view relative;
        std::string_view ns;
        std::string_view server;
        if (target->is_class) {
            const mof_class& cls = session_.doc().classes[target->index];
            relative = cls.name;
            ns = cls.namespace_path;
            server = cls.server;
        } else {
            const mof_instance& to = session_.doc().instances[target->index];
            if (target->path_ready) {
                relative = target->path;
            } else {
                const node* n = instance_path(target->index, depth + 1, ref);
                if (n == nullptr) return std::nullopt;
                relative = n->path;
            }
            ns = to.object.namespace_path;
            server = to.server;
        }
        if (iequals(ns, from.object.namespace_path) && iequals(server, from.server)) return std::string(relative);
        std::string text = mof_prefixed_path(server, ns, relative);
        if (!too_long(text, ref)) return text;
        return std::nullopt;
    }

    // Each level of references-as-keys escapes the one below, so lengths double: cap them.
    bool too_long(const std::string& text, const mof_pending_ref& ref) {
        if (text.size() <= WMISUB_MAX_OBJECT_PATH_BYTES) return false;
        session_.report(errc::limit_exceeded,
                        "object path for $" + ref.alias + " longer than " +
                            std::to_string(WMISUB_MAX_OBJECT_PATH_BYTES) + " bytes",
                        scope_.where(ref));
        return true;
    }

    const node* instance_path(std::size_t index, std::size_t depth, const mof_pending_ref& use) {
        node& n = nodes_[index - scope_.first_instance];
        if (n.state == node_state::done) return &n;
        if (n.state == node_state::failed) return nullptr;  // already reported
        if (n.state == node_state::busy) {
            session_.report(errc::syntax_error, "circular alias reference through $" + use.alias, scope_.where(use));
            return nullptr;
        }
        if (depth > session_.options().max_nesting) {
            session_.report(errc::limit_exceeded,
                            "alias references nest through keys deeper than " +
                                std::to_string(session_.options().max_nesting),
                            scope_.where(use));
            return nullptr;
        }
        n.state = node_state::busy;
        std::optional<std::string> path = build_path(index, depth);
        node& done = nodes_[index - scope_.first_instance];
        if (!path || too_long(*path, use)) {
            done.state = node_state::failed;
            return nullptr;
        }
        done.path = std::move(*path);
        done.state = node_state::done;
        return &done;
    }

    // `Class.Key="v",Key2=1`: the relative path of instance `index`.
    std::optional<std::string> build_path(std::size_t index, std::size_t depth) {
        const instance& in = session_.doc().instances[index].object;
        std::vector<std::string_view> keys;
        mof_key_names(in, keys);
        std::string out = in.class_name;
        bool first = true;
        for (const std::string_view key : keys) {
            const property* p = nullptr;
            std::uint32_t position = 0;
            for (std::uint32_t i = 0; i < in.properties.size(); ++i) {
                if (mof_names_equal(in.properties[i].name, key)) {
                    p = &in.properties[i];
                    position = i;
                }
            }
            if (p == nullptr || (p->value.is_null() && !p->value.is_array()))
                continue;  // reported when the instance ended
            const std::optional<std::size_t> pending = pending_at(index, position);
            if (!pending) {
                mof_append_path_key(out, first, key, p->value);
            } else {
                const std::string* nested = resolve(*pending, depth);
                if (nested == nullptr) return std::nullopt;
                mof_append_path_key(out, first, key, value::string(*nested));
            }
            first = false;
        }
        return out;
    }

    // One rebuild per top-level property, however many references it holds (arrays of aliases stay linear).
    void write_back() {
        std::vector<std::size_t> order;
        order.reserve(results_.size());
        for (std::size_t i = 0; i < results_.size(); ++i) {
            if (results_[i]) order.push_back(i);
        }
        // Already in parse order (instance, then position), except that steps within one property need sorting.
        const auto& pending = scope_.pending;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            if (pending[a].instance != pending[b].instance) return pending[a].instance < pending[b].instance;
            const auto sa = steps(pending[a]);
            const auto sb = steps(pending[b]);
            return std::lexicographical_compare(sa.begin(), sa.end(), sb.begin(), sb.end());
        });
        std::size_t begin = 0;
        while (begin < order.size()) {
            const mof_pending_ref& first = pending[order[begin]];
            const std::uint32_t position = steps(first)[0];
            std::size_t end = begin + 1;
            while (end < order.size() && pending[order[end]].instance == first.instance &&
                   steps(pending[order[end]])[0] == position)
                ++end;
            std::vector<property>& props = session_.doc().instances[first.instance].object.properties;
            if (position < props.size())
                patch(props[position].value, std::span<const std::size_t>(order).subspan(begin, end - begin), 1);
            begin = end;
        }
    }

    // Replaces the placeholders under v; `entries` share their first `level` steps and are sorted.
    void patch(value& v, std::span<const std::size_t> entries, std::size_t level) {
        for (const std::size_t e : entries) {
            if (scope_.pending[e].steps_size == level) {
                v = value::reference(std::move(*results_[e]));
                return;
            }
        }
        const value::array_type* items = v.as_array();
        const embedded_object* object = v.as_object();
        if (items == nullptr && object == nullptr) return;
        value::array_type new_items = items != nullptr ? *items : value::array_type{};
        embedded_object new_object = object != nullptr ? *object : embedded_object{};
        std::size_t begin = 0;
        while (begin < entries.size()) {
            const std::uint32_t step = steps(scope_.pending[entries[begin]])[level];
            std::size_t end = begin + 1;
            while (end < entries.size() && steps(scope_.pending[entries[end]])[level] == step) ++end;
            value* child = nullptr;
            if (items != nullptr && step < new_items.size()) child = &new_items[step];
            if (object != nullptr && step < new_object.properties.size()) child = &new_object.properties[step].value;
            if (child != nullptr) patch(*child, entries.subspan(begin, end - begin), level + 1);
            begin = end;
        }
        if (items != nullptr) {
            v = value::array(v.type(), std::move(new_items));
        } else {
            v = value::object(std::move(new_object));
        }
    }

    mof_session& session_;
    mof_file_scope& scope_;
    std::vector<std::optional<std::string>> results_;
    std::vector<entry_state> state_;
    std::vector<node> nodes_;  // by instance index - scope_.first_instance
};

}  // namespace detail
WMISUB_NAMESPACE_END
