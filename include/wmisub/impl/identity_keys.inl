// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file shared by impl/graph.inl and impl/baseline.inl: lookup
// keys of object identities inside one machine (namespaces normalised, no
// server), built in place. Not a header to include.
#pragma once

#include "wmisub/baseline.hpp"
#include "wmisub/config.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/text.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

WMISUB_NAMESPACE_BEGIN
namespace detail {


// The namespace within one machine, as a view of ns: no `\\server` prefix and
// no leading or trailing separator; separators stay as written (either kind).
[[nodiscard]] constexpr std::string_view local_namespace(std::string_view ns) noexcept {
    if (ns.size() >= 2 && opath_is_separator(ns[0]) && opath_is_separator(ns[1])) {
        const std::size_t end_of_server = ns.find_first_of("\\/", 2);
        ns = end_of_server == std::string_view::npos ? std::string_view{} : ns.substr(end_of_server);
    }
    while (!ns.empty() && opath_is_separator(ns.front())) ns.remove_prefix(1);
    while (!ns.empty() && opath_is_separator(ns.back())) ns.remove_suffix(1);
    return ns;
}

// `//./ROOT/Subscription/` and `\\.\root\subscription` name the same namespace.
[[nodiscard]] inline std::string normalize_namespace(std::string_view ns) {
    std::string out(local_namespace(ns));
    std::replace(out.begin(), out.end(), '/', '\\');
    return out;
}

// Lookup key of an object identity inside one machine: identity_key() of the
// path with no server and its namespace normalised, built without a copy.
[[nodiscard]] inline std::string local_identity_key(const object_path& path) {
    std::string out;
    out.reserve(path.namespace_path.size() + path.class_name.size() + 48);
    opath_append_canonical_as(out, path, 0, {}, normalize_namespace(path.namespace_path));
    return out;
}

// Builds local_identity_key() of paths `ns:class_name.Key="value"` with one
// string key, straight from the parts (a single key's name is implied by the
// class, so it is not needed), one after another in one buffer. Objects of one
// kind mostly share a namespace and class, so the folded `ns:class=` prefix is
// kept while the next key spells them the same.
class local_key_builder {
public:
    // The key, valid until the next call. holder_namespace is where a value
    // that is itself a relative reference is placed, as object_path::namespace_path is.
    [[nodiscard]] std::string_view build(std::string_view ns, std::string_view class_name, std::string_view value,
                                         std::string_view holder_namespace) {
        if (ns != ns_ || class_name != class_) {
            ns_.assign(ns);
            class_.assign(class_name);
            key_.clear();
            opath_append_folded_namespace(key_, local_namespace(ns));
            if (!key_.empty()) key_ += ':';
            append_folded(key_, class_name);
            key_ += '=';
            prefix_length_ = key_.size();
        }
        key_.resize(prefix_length_);
        opath_append_canonical_string(key_, value, holder_namespace, 0);
        return key_;
    }
    // Keeps a key built some other way, valid until the next call.
    [[nodiscard]] std::string_view keep(std::string key) {
        other_ = std::move(key);
        return other_;
    }

private:
    std::string ns_;     // the spelling the prefix was built from
    std::string class_;
    std::string key_ = "=";  // the prefix of ("", "") until the first build
    std::size_t prefix_length_ = 1;
    std::string other_;
};

// identity_key_of() of a typed object, without copying it into a wmi_object: the
// local identity key of its path, and for an object without key properties its
// fingerprint (it is known by its content).
template <class Object>
[[nodiscard]] std::string typed_identity_key(const Object& o) {
    const object_path path = identity_of(o);
    std::string key = local_identity_key(path);
    if (path.keys.empty()) key += "#" + fingerprint(o);
    return key;
}

}  // namespace detail
WMISUB_NAMESPACE_END
