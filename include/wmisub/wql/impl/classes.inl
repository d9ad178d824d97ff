// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/wql/query.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Which classes a filter may name in FROM. An event filter needs an event
// class; a query on a data class without WITHIN never fires. But a class
// wmisub does not know may be a vendor's event class, or the subscription's
// own: calling it a data query (inert) would let an attacker look harmless by
// naming one. So only classes known to hold data are data, only the ones
// below are known events, and every other name is an unknown event class.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/text.hpp"

#include <span>
#include <string_view>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// Extrinsic event classes Windows ships, from Microsoft's class documentation:
// the system classes (__ExtrinsicEvent and its subclasses), the kernel trace
// provider (krnlprov: Win32_*Trace), the Win32 provider (cimwin32: device,
// volume, power, shutdown and route events), the registry event provider
// (regprov), the SCM event provider, and WMI's own self-instrumentation
// (MSFT_WmiSelfEvent and below, whose provider-operation classes are matched
// by prefix further down). Lower case.
inline constexpr std::string_view windows_extrinsic_event_classes[] = {
    "__extrinsicevent",
    "__systemevent",
    "__eventdroppedevent",
    "__consumerfailureevent",
    "__eventqueueoverflowevent",
    "__qosfailureevent",
    "win32_systemtrace",
    "win32_processtrace",
    "win32_processstarttrace",
    "win32_processstoptrace",
    "win32_threadtrace",
    "win32_threadstarttrace",
    "win32_threadstoptrace",
    "win32_moduletrace",
    "win32_moduleloadtrace",
    "win32_devicechangeevent",
    "win32_volumechangeevent",
    "win32_systemconfigurationchangeevent",
    "win32_powermanagementevent",
    "win32_computersystemevent",
    "win32_computershutdownevent",
    "win32_ip4routetableevent",
    "registryevent",
    "registrykeychangeevent",
    "registrytreechangeevent",
    "registryvaluechangeevent",
    "msft_scmeventlogevent",
    "msft_wmiselfevent",
    "msft_wmiessevent",
    "msft_wmifilterevent",
    "msft_wmifilteractivated",
    "msft_wmifilterdeactivated",
    "msft_wmiconsumerproviderevent",
    "msft_wmiconsumerproviderloaded",
    "msft_wmiconsumerproviderunloaded",
    "msft_wmiconsumerprovidersinkloaded",
    "msft_wmiconsumerprovidersinkunloaded",
    "msft_wmicancelnotificationsink",
    "msft_wmiregisternotificationsink",
    "msft_wmithreadpoolevent",
    "msft_wmithreadpoolthreadcreated",
    "msft_wmithreadpoolthreaddeleted",
    "wmievent",  // root\wmi: the base of the events WMI-instrumented drivers raise
};

// Families known by prefix: WMI's provider-operation events (MSFT_WmiProvider_*, all
// extrinsic) and the NDIS status and notification events of root\wmi (a network cable
// plugged in or out, an adapter arriving), which name no "Event" in their class names.
inline constexpr std::string_view windows_extrinsic_event_prefixes[] = {
    "msft_wmiprovider_",
    "msndis_status",
    "msndis_notify",
};

// Classes that hold data rather than raise events: a query on one of them fires only through
// an intrinsic event with WITHIN. Those attackers and admins name most, and the families
// known by prefix. Lower case.
inline constexpr std::string_view windows_data_classes[] = {
    "win32_process",           "win32_service",          "win32_logicaldisk",     "win32_operatingsystem",
    "win32_computersystem",    "win32_ntlogevent",       "win32_nteventlogfile",  "win32_logonsession",
    "win32_loggedonuser",      "win32_useraccount",      "win32_group",           "win32_groupuser",
    "win32_share",             "win32_startupcommand",   "win32_localtime",       "win32_utctime",
    "win32_currenttime",       "win32_directory",        "win32_processor",       "win32_bios",
    "win32_networkadapter",    "win32_networkadapterconfiguration",               "win32_pnpentity",
    "win32_usbhub",            "win32_usbcontrollerdevice",                       "win32_diskdrive",
    "win32_volume",            "win32_quickfixengineering",                       "win32_product",
    "win32_scheduledjob",      "win32_printer",          "win32_printjob",        "win32_thread",
    "win32_systemdriver",      "win32_environment",      "win32_account",         "win32_systemaccount",
    "win32_mappedlogicaldisk", "win32_shadowcopy",       "win32_desktop",         "win32_session",
    "win32_serverconnection",  "win32_serversession",    "win32_networkconnection",
    "win32_physicalmemory",    "win32_baseboard",        "win32_cdromdrive",      "win32_diskpartition",
    "win32_logicaldisktopartition",                      "win32_proxy",           "win32_registry",
    "stdregprov",              "__namespace",            "__eventfilter",         "__eventconsumer",
    "__filtertoconsumerbinding",                         "__timerinstruction",    "__intervaltimerinstruction",
    "__absolutetimerinstruction",                        "__win32provider",       "__eventconsumerproviderregistration",
    "__eventproviderregistration",                       "commandlineeventconsumer",
    "activescripteventconsumer",                         "logfileeventconsumer",  "nteventlogeventconsumer",
    "smtpeventconsumer",
};

inline constexpr std::string_view windows_data_class_prefixes[] = {
    "win32_perfformatteddata_",
    "win32_perfrawdata_",
    "msft_netadapter",
    "msft_disk",
    "msft_volume",
    "msft_mppreference",
    "msft_mpcomputerstatus",
};

[[nodiscard]] inline bool in_lower_table(std::string_view name, std::span<const std::string_view> table) noexcept {
    for (const std::string_view entry : table) {
        if (entry.size() == name.size() && ascii_iequals(name, entry)) return true;
    }
    return false;
}

[[nodiscard]] inline bool has_lower_prefix(std::string_view name, std::span<const std::string_view> prefixes) noexcept {
    for (const std::string_view prefix : prefixes) {
        if (ascii_istarts_with(name, prefix)) return true;
    }
    return false;
}

// True for an extrinsic event class Windows ships.
[[nodiscard]] inline bool is_windows_extrinsic_event_class(std::string_view name) noexcept {
    return in_lower_table(name, windows_extrinsic_event_classes) || has_lower_prefix(name, windows_extrinsic_event_prefixes);
}

// True for a class known to hold data (see windows_data_classes); CIM_* classes are data too,
// except the CIM indications, which are events.
[[nodiscard]] inline bool is_known_data_class(std::string_view name) noexcept {
    if (in_lower_table(name, windows_data_classes) || has_lower_prefix(name, windows_data_class_prefixes)) return true;
    return ascii_istarts_with(name, "cim_") && !ascii_iends_with(name, "Indication");
}

}  // namespace detail
WMISUB_NAMESPACE_END
