// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/mof/parser.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The schema of the standard WMI classes a subscription MOF uses without
// declaring them (specs.md §2.2, §3). mofcomp types literals by the class in
// the repository: `CreatorSID = {1,2,…}` is uint8[] and `KillTimeout = 30`
// a uint32. wmisub has no repository, so it carries these classes here.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/text.hpp"
#include "wmisub/value.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// One property of a standard class.
struct mof_std_property {
    std::string_view name;
    cim_type type;
    bool is_array = false;
    bool is_key = false;
    std::string_view ref_class = {};  // class of a reference property
};

// One standard class. `complete` means every property is listed, so an unknown
// property name in an instance is a mistake mofcomp would reject.
struct mof_std_class {
    std::string_view name;
    std::string_view superclass;
    bool complete;
    std::span<const mof_std_property> properties;
};

namespace mof_std {
using t = cim_type;
inline constexpr mof_std_property event_filter[] = {{"CreatorSID", t::uint8, true}, {"EventAccess", t::string},
                                                    {"EventNamespace", t::string},  {"Name", t::string, false, true},
                                                    {"Query", t::string},           {"QueryLanguage", t::string}};
inline constexpr mof_std_property event_consumer[] = {
    {"CreatorSID", t::uint8, true}, {"MachineName", t::string}, {"MaximumQueueSize", t::uint32}};
inline constexpr mof_std_property active_script[] = {{"KillTimeout", t::uint32},
                                                     {"Name", t::string, false, true},
                                                     {"ScriptFileName", t::string},
                                                     {"ScriptingEngine", t::string},
                                                     {"ScriptText", t::string}};
inline constexpr mof_std_property command_line[] = {{"CommandLineTemplate", t::string},
                                                    {"CreateNewConsole", t::boolean},
                                                    {"CreateNewProcessGroup", t::boolean},
                                                    {"CreateSeparateWowVdm", t::boolean},
                                                    {"CreateSharedWowVdm", t::boolean},
                                                    {"DesktopName", t::string},
                                                    {"ExecutablePath", t::string},
                                                    {"FillAttribute", t::uint32},
                                                    {"FillAttributes", t::uint32},
                                                    {"ForceOffFeedback", t::boolean},
                                                    {"ForceOnFeedback", t::boolean},
                                                    {"KillTimeout", t::uint32},
                                                    {"Name", t::string, false, true},
                                                    {"Priority", t::sint32},
                                                    {"RunInteractively", t::boolean},
                                                    {"ShowWindowCommand", t::uint32},
                                                    {"UseDefaultErrorMode", t::boolean},
                                                    {"WindowTitle", t::string},
                                                    {"WorkingDirectory", t::string},
                                                    {"XCoordinate", t::uint32},
                                                    {"XNumCharacters", t::uint32},
                                                    {"XSize", t::uint32},
                                                    {"YCoordinate", t::uint32},
                                                    {"YNumCharacters", t::uint32},
                                                    {"YSize", t::uint32}};
inline constexpr mof_std_property log_file[] = {{"Filename", t::string},
                                                {"IsUnicode", t::boolean},
                                                {"MaximumFileSize", t::uint64},
                                                {"Name", t::string, false, true},
                                                {"Text", t::string}};
inline constexpr mof_std_property nt_event_log[] = {{"Category", t::uint16},
                                                    {"EventID", t::uint32},
                                                    {"EventType", t::uint32},
                                                    {"InsertionStringTemplates", t::string, true},
                                                    {"Name", t::string, false, true},
                                                    {"NameOfRawDataProperty", t::string},
                                                    {"NameOfUserSIDProperty", t::string},
                                                    {"NumberOfInsertionStrings", t::uint32},
                                                    {"SourceName", t::string},
                                                    {"UNCServerName", t::string}};
inline constexpr mof_std_property smtp[] = {{"BccLine", t::string},     {"CcLine", t::string},
                                            {"FromLine", t::string},    {"HeaderFields", t::string, true},
                                            {"Message", t::string},     {"Name", t::string, false, true},
                                            {"ReplyToLine", t::string}, {"SMTPServer", t::string},
                                            {"Subject", t::string},     {"ToLine", t::string}};
inline constexpr mof_std_property binding[] = {{"Consumer", t::reference, false, true, "__EventConsumer"},
                                               {"CreatorSID", t::uint8, true},
                                               {"DeliverSynchronously", t::boolean},
                                               {"DeliveryQoS", t::uint32},
                                               {"Filter", t::reference, false, true, "__EventFilter"},
                                               {"MaintainSecurityContext", t::boolean},
                                               {"SlowDownProviders", t::boolean}};
inline constexpr mof_std_property timer[] = {{"SkipIfPassed", t::boolean}, {"TimerId", t::string, false, true}};
inline constexpr mof_std_property interval_timer[] = {{"IntervalBetweenEvents", t::uint32}};
inline constexpr mof_std_property absolute_timer[] = {{"EventDateTime", t::datetime}};
inline constexpr mof_std_property name_key[] = {{"Name", t::string, false, true}};
inline constexpr mof_std_property win32_provider[] = {{"ClientLoadableCLSID", t::string},
                                                      {"CLSID", t::string},
                                                      {"Concurrency", t::sint32},
                                                      {"DefaultMachineName", t::string},
                                                      {"Enabled", t::boolean},
                                                      {"HostingModel", t::string},
                                                      {"ImpersonationLevel", t::sint32},
                                                      {"InitializationReentrancy", t::sint32},
                                                      {"InitializationTimeoutInterval", t::datetime},
                                                      {"InitializeAsAdminFirst", t::boolean},
                                                      {"OperationTimeoutInterval", t::datetime},
                                                      {"PerLocaleInitialization", t::boolean},
                                                      {"PerUserInitialization", t::boolean},
                                                      {"Pure", t::boolean},
                                                      {"SecurityDescriptor", t::string},
                                                      {"SupportsExplicitShutdown", t::boolean},
                                                      {"SupportsExtendedStatus", t::boolean},
                                                      {"SupportsQuotas", t::boolean},
                                                      {"SupportsSendStatus", t::boolean},
                                                      {"SupportsShutdown", t::boolean},
                                                      {"SupportsThrottling", t::boolean},
                                                      {"UnloadTimeout", t::datetime},
                                                      {"Version", t::uint32}};
inline constexpr mof_std_property provider_registration[] = {{"provider", t::reference, false, true, "__Provider"}};
inline constexpr mof_std_property consumer_provider_registration[] = {{"ConsumerClassNames", t::string, true}};
inline constexpr mof_std_property event_provider_registration[] = {{"EventQueryList", t::string, true}};
inline constexpr std::span<const mof_std_property> none{};

inline constexpr mof_std_class classes[] = {
    {"__SystemClass", "", false, none},
    {"__IndicationRelated", "__SystemClass", false, none},
    {"__EventFilter", "__IndicationRelated", true, event_filter},
    {"__EventConsumer", "__IndicationRelated", true, event_consumer},
    {"ActiveScriptEventConsumer", "__EventConsumer", true, active_script},
    {"CommandLineEventConsumer", "__EventConsumer", true, command_line},
    {"LogFileEventConsumer", "__EventConsumer", true, log_file},
    {"NTEventLogEventConsumer", "__EventConsumer", true, nt_event_log},
    {"SMTPEventConsumer", "__EventConsumer", true, smtp},
    {"__FilterToConsumerBinding", "__IndicationRelated", true, binding},
    {"__EventGenerator", "__IndicationRelated", false, none},
    {"__TimerInstruction", "__EventGenerator", true, timer},
    {"__IntervalTimerInstruction", "__TimerInstruction", true, interval_timer},
    {"__AbsoluteTimerInstruction", "__TimerInstruction", true, absolute_timer},
    {"__Namespace", "__SystemClass", true, name_key},
    {"__Provider", "__SystemClass", false, name_key},
    {"__Win32Provider", "__Provider", false, win32_provider},
    {"__ProviderRegistration", "__SystemClass", false, provider_registration},
    {"__EventConsumerProviderRegistration", "__ProviderRegistration", false, consumer_provider_registration},
    {"__EventProviderRegistration", "__ProviderRegistration", false, event_provider_registration},
};

// Index of each class's superclass in `classes` (npos for roots), computed at compile time.
inline constexpr std::size_t no_class = static_cast<std::size_t>(-1);
inline constexpr auto parents = [] {
    std::array<std::size_t, std::size(classes)> out{};
    for (std::size_t i = 0; i < std::size(classes); ++i) {
        out[i] = no_class;
        for (std::size_t j = 0; j < std::size(classes); ++j) {
            if (classes[j].name == classes[i].superclass) out[i] = j;
        }
    }
    return out;
}();
}  // namespace mof_std

// The superclass of a standard class, or nullptr for a root.
[[nodiscard]] inline const mof_std_class* mof_std_super(const mof_std_class* cls) noexcept {
    const auto index = static_cast<std::size_t>(cls - mof_std::classes);
    const std::size_t parent = mof_std::parents[index];
    return parent == mof_std::no_class ? nullptr : &mof_std::classes[parent];
}

// True when every byte is ASCII, so names compare with plain ASCII folding.
[[nodiscard]] constexpr bool mof_is_ascii(std::string_view s) noexcept {
    for (const char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
}

// Name equality against an ASCII name (the schema's): fast ASCII folding when
// `name` is ASCII too, full Unicode folding (iequals) otherwise.
[[nodiscard]] inline bool mof_name_is(std::string_view name, bool name_is_ascii, std::string_view ascii_name) noexcept {
    if (!name_is_ascii) return iequals(name, ascii_name);
    if (name.size() != ascii_name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (ascii_fold(name[i]) != ascii_fold(ascii_name[i])) return false;
    }
    return true;
}

// Name equality for two names from the input: ASCII fast path, iequals otherwise.
// Names of different lengths can only match when one has non-ASCII characters
// (the Kelvin sign folds to 'k'), so that is checked only then.
[[nodiscard]] inline bool mof_names_equal(std::string_view a, std::string_view b) noexcept {
    // Folding works character by character: different ASCII first letters never match.
    if (!a.empty() && !b.empty() && static_cast<unsigned char>(a[0] | b[0]) < 0x80 &&
        ascii_fold(a[0]) != ascii_fold(b[0])) {
        return false;
    }
    if (a.size() == b.size()) {
        std::size_t i = 0;
        while (i < a.size() && static_cast<unsigned char>(a[i] | b[i]) < 0x80 && ascii_fold(a[i]) == ascii_fold(b[i]))
            ++i;
        if (i == a.size()) return true;
        if (static_cast<unsigned char>(a[i] | b[i]) < 0x80 && mof_is_ascii(a.substr(i)) && mof_is_ascii(b.substr(i)))
            return false;
    } else if (mof_is_ascii(a) && mof_is_ascii(b)) {
        return false;
    }
    return iequals(a, b);
}

// A hash consistent with mof_names_equal: FNV-1a over fold keys, with ASCII
// letters folded directly (their fold key is their lower case).
[[nodiscard]] inline std::size_t mof_name_hash(std::string_view name) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    const auto mix = [&h](std::uint32_t key) {
        h ^= key;
        h *= 0x100000001b3ull;
    };
    if (mof_is_ascii(name)) {
        for (const char c : name) mix(static_cast<unsigned char>(ascii_fold(c)));
    } else {
        for (fold_cursor cursor(name); !cursor.done();) mix(cursor.next());
    }
    return static_cast<std::size_t>(h ^ (h >> 32));
}

// The standard class called `name`, or nullptr.
[[nodiscard]] inline const mof_std_class* mof_find_std_class(std::string_view name) noexcept {
    const bool ascii = mof_is_ascii(name);
    for (const mof_std_class& c : mof_std::classes) {
        if (mof_name_is(name, ascii, c.name)) return &c;
    }
    return nullptr;
}

// The property `name` of a standard class or its superclasses, or nullptr.
[[nodiscard]] inline const mof_std_property* mof_find_std_property(const mof_std_class* cls, std::string_view name,
                                                                   bool name_is_ascii) noexcept {
    for (; cls != nullptr; cls = mof_std_super(cls)) {
        for (const mof_std_property& p : cls->properties) {
            if (mof_name_is(name, name_is_ascii, p.name)) return &p;
        }
    }
    return nullptr;
}

// True when the class and its superclasses list every property.
[[nodiscard]] inline bool mof_std_complete(const mof_std_class* cls) noexcept {
    // Abstract roots (__SystemClass, __IndicationRelated, __EventGenerator) add no instance
    // properties, so a complete class is complete with its superclasses.
    return cls != nullptr && cls->complete;
}

// Appends the superclasses of a standard class, nearest first (not the class itself).
inline void mof_append_std_derivation(const mof_std_class* cls, std::vector<std::string>& out) {
    for (cls = cls != nullptr ? mof_std_super(cls) : nullptr; cls != nullptr; cls = mof_std_super(cls))
        out.emplace_back(cls->name);
}

// Appends the key property names of a standard class, superclass keys first.
inline void mof_append_std_keys(const mof_std_class* cls, std::vector<std::string>& out) {
    std::vector<const mof_std_class*> chain;
    for (; cls != nullptr; cls = mof_std_super(cls)) chain.push_back(cls);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        for (const mof_std_property& p : (*it)->properties) {
            if (p.is_key) out.emplace_back(p.name);
        }
    }
}

}  // namespace detail
WMISUB_NAMESPACE_END
