// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// The MOF language as mofcomp compiles it (specs.md §5): a front end that
// turns `.mof` text into wmisub instances, in the namespace each declaration
// lands in, with everything else the file asks of WMI (autorecover,
// deletions, class definitions, pragmas) and every error, located.
//
// Attackers ship subscriptions as MOF and hide them from string matching;
// the parser normalises all of it: comments between any tokens, adjacent
// string literals concatenated across lines and comments, every escape
// (`\x` hex included), keywords in any case, UTF-16 files, namespace
// switches mid-file with any slash and host spelling, includes, aliases used
// before they are declared. Values get the CIM type mofcomp would give them:
// the type declared by a class in the same MOF, or by the standard class
// (`CreatorSID` is uint8[], `KillTimeout` uint32); otherwise integers are
// sint64 when negative and uint64 otherwise.
//
// Positions: lines, columns and byte offsets refer to the decoded UTF-8 text
// (a UTF-16 file is converted first, its BOM dropped); columns count bytes
// from 1. Errors never stop the parse: after one, the parser resumes at the
// next declaration, so one broken instance does not hide the next (within an
// instance, at the next property, which is kept with `complete` cleared).
//
// Semantics worth knowing:
// - An include is read where it stands: a `#pragma namespace` inside it stays
//   in force after it, as with textual inclusion. Aliases are scoped to their
//   file (creating-an-alias.md), so an alias cannot name an included object.
// - Instances cut short by an error, instances missing a key, and values of
//   the wrong type are all kept (and reported): what mofcomp would refuse is
//   still evidence of what the file tried to do.
// - `instance.derivation` and `instance.key_names` are filled for classes
//   declared in the MOF; standard classes leave them empty (the model knows them).
//
// Deviations from mofcomp, chosen for analysis (each also documented where it applies):
// - A line break inside a string literal ends it with an error, so one missing
//   quote costs one line rather than the rest of the file.
// - An unknown escape such as `\T` is kept verbatim (with an error): a
//   hand-written `"C:\Temp"` means what it shows.
// - `\x` takes up to 4 hex digits (a UTF-16 unit, as mofcomp reads it; two
//   escapes may form a surrogate pair); set mof_options::hex_escape_digits to 6
//   for DSP0221's code points.
// - `#pragma namespace("root\\x")` (no leading backslash, first name `root`)
//   is absolute; any other name without a leading backslash is relative to
//   the namespace in force.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>  // parse_mof_file takes a std::filesystem::path
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN

// How to parse one MOF input. Every limit is enforced with a located limit_exceeded error.
struct mof_options {
    // Name of the input in locations and provenance, normally its file path.
    std::string source_name;
    // Namespace in force before any `#pragma namespace` (mofcomp's -N switch; its default).
    std::string default_namespace = "root\\default";
    // Reads an included file by its resolved path (UTF-8). Empty: `#pragma include`
    // is reported as unsupported. parse_mof_file installs a file-system reader.
    std::function<result<std::string>(const std::string& path)> include_reader;
    // Hex digits a `\x` escape takes: 4 (mofcomp: a UTF-16 unit) or 6 (DSP0221: a code point).
    unsigned hex_escape_digits = 4;
    // Bytes of one input, and of all its includes together.
    std::size_t max_input_bytes = WMISUB_MAX_INPUT_BYTES;
    // Depth of embedded instances and of alias references that name each other through keys.
    std::size_t max_nesting = WMISUB_MAX_NESTING;
    // Elements of one array value.
    std::size_t max_array_elements = WMISUB_MAX_ARRAY_ELEMENTS;
    // How deeply includes nest, and how many files one parse may include in total.
    std::size_t max_include_depth = 16;
    std::size_t max_includes = 1024;
    // Errors listed; after them one limit_exceeded error says the rest are not, and parsing goes on.
    std::size_t max_errors = 1000;
    // Declarations (classes, instances, qualifiers, pragmas) one parse accepts.
    std::size_t max_declarations = std::size_t{1} << 20;
    // Stop early (errc::cancelled) when this flag is raised; owned by the caller.
    const std::atomic<bool>* cancel = nullptr;
    // Stop early (errc::timeout) after this instant.
    std::optional<std::chrono::steady_clock::time_point> deadline;
};

// A qualifier as written: `Key`, `Description("x") : ToSubclass Amended`, `Values{"a","b"}`.
struct mof_qualifier {
    std::string name;
    value argument;                    // TRUE when written without a value
    std::vector<std::string> flavors;  // as written after ':'
};

// A property, reference or method parameter declared in a class.
struct mof_property_decl {
    std::string name;
    cim_type type = cim_type::empty;  // `reference` for `X ref`, `object` for an embedded class type
    bool is_array = false;
    std::optional<std::uint64_t> array_size;  // `[n]`
    std::string ref_class;                    // class of a reference or embedded object ("object": weakly typed)
    std::optional<value> default_value;       // `= …` in the declaration
    std::vector<mof_qualifier> qualifiers;
    bool is_key = false;  // has the Key qualifier
    source_location where;
};

// A method declared in a class.
struct mof_method_decl {
    std::string name;
    cim_type return_type = cim_type::empty;  // empty for void
    std::string return_class;                // class of a reference or object return
    std::vector<mof_property_decl> parameters;
    std::vector<mof_qualifier> qualifiers;
    source_location where;
};

// A class declaration. A class deriving from `__EventConsumer` (through classes
// declared earlier in the MOF or the standard ones) makes its instances consumers.
struct mof_class {
    std::string namespace_path;  // the namespace in force
    std::string server;          // host named by `#pragma namespace("\\\\host\\…")`; "" or "." is local
    std::string name;
    std::string superclass;               // "" when none
    std::string alias;                    // without `$`; "" when none
    std::vector<std::string> derivation;  // superclasses, nearest first, as far as known
    std::vector<std::string> key_names;   // key properties, inherited ones first
    std::vector<mof_qualifier> qualifiers;
    std::vector<mof_property_decl> properties;  // declared here (not inherited)
    std::vector<mof_method_decl> methods;
    source_location where;  // the `class` keyword

    // True when instances of this class are event consumers.
    [[nodiscard]] bool is_consumer() const noexcept { return is_consumer_class(name, derivation); }
};

// An instance declaration, as WMI would store it.
struct mof_instance {
    instance object;                        // namespace, class, properties, provenance (kind mof, `instance` keyword)
    std::string alias;                      // without `$`; "" when none
    std::string server;                     // host of the namespace in force; "" or "." is local
    std::vector<mof_qualifier> qualifiers;  // instance qualifiers
    bool complete = true;                   // false when a syntax error cut the declaration short
};

// What a `#pragma deleteclass` or `#pragma deleteinstance` removes.
enum class mof_deletion_kind : std::uint8_t { class_definition, instance };

// A deletion the MOF requests (anti-forensics: specs.md §5.5 item 9).
struct mof_deletion {
    mof_deletion_kind kind = mof_deletion_kind::instance;
    std::string target;            // class name, or the instance's object path as written
    bool fail_if_missing = false;  // FAIL rather than NOFAIL
    std::string namespace_path;    // namespace in force
    std::string server;
    source_location where;
};

// Any `#pragma`, recorded as written, known or not.
struct mof_pragma {
    std::string name;                    // as written, e.g. "namespace", "AUTORECOVER"
    std::vector<std::string> arguments;  // strings unescaped and concatenated; identifiers and numbers as written
    std::string namespace_path;          // namespace in force after the pragma
    source_location where;
};

// An include directive and what became of it.
struct mof_include {
    std::string requested;  // the path as written
    std::string resolved;   // relative to the including file
    bool followed = false;  // read and parsed
    source_location where;
};

// A `qualifier` declaration, or a global flavor statement (`Qualifier Description : ToSubClass Amended;`).
struct mof_qualifier_decl {
    std::string name;
    std::optional<cim_type> type;  // none for a flavor statement
    bool is_array = false;
    std::optional<value> default_value;
    std::vector<std::string> scopes;
    std::vector<std::string> flavors;
    bool flavor_statement = false;
    source_location where;
};

// Everything one MOF input (with its includes) declares, and every error met.
struct mof_document {
    std::vector<mof_instance> instances;
    std::vector<mof_class> classes;
    std::vector<mof_qualifier_decl> qualifier_decls;
    std::vector<mof_pragma> pragmas;
    std::vector<mof_deletion> deletions;
    // Each `#pragma autorecover`: WMI recompiles the file whenever the repository
    // is rebuilt, re-creating its subscriptions (specs.md §5.5 item 7).
    std::vector<source_location> autorecover;
    std::vector<mof_include> includes;
    std::vector<error> errors;
    text_encoding encoding = text_encoding::utf8;  // of the top-level input

    // True when the file asks WMI to recompile it after a repository rebuild.
    [[nodiscard]] bool asks_autorecover() const noexcept { return !autorecover.empty(); }
    // True when no error was found.
    [[nodiscard]] bool ok() const noexcept { return errors.empty(); }
};

// True when bytes are not MOF text: a binary MOF (`mofcomp -B`, signature "FOMB")
// or other binary data. Such input is reported as unsupported, never parsed.
[[nodiscard]] WMISUB_API bool is_binary_mof(std::string_view bytes) noexcept;

// Parses MOF text (UTF-8, or UTF-16LE/BE with a BOM) and resolves its aliases.
// Never fails as a whole: problems are listed in mof_document::errors.
[[nodiscard]] WMISUB_API mof_document parse_mof(std::string_view bytes, const mof_options& options = {}) noexcept;

// Reads and parses a MOF file; includes are read relative to it (unless
// options.include_reader is set) and locations name the file.
[[nodiscard]] WMISUB_API mof_document parse_mof_file(const std::filesystem::path& path,
                                                     mof_options options = {}) noexcept;

// Types every instance and files it in a snapshot (snapshot::add), with the
// parse errors as collection errors of the instance's source. Instances cut
// short by a syntax error are included: their error is listed too.
[[nodiscard]] WMISUB_API snapshot to_snapshot(const mof_document& doc);

namespace detail {

// A path as UTF-8 text, with generic (forward) separators: how the MOF front end
// and the MOF collector (wmisub/sources/mof.hpp) name files in locations.
[[nodiscard]] WMISUB_API std::string mof_path_to_utf8(const std::filesystem::path& path);

}  // namespace detail

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/mof/impl/parser.inl"
#endif
