// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Forward declarations of the public types, for a host product's own headers:
// they can name wmisub types in declarations (pointers, references, function
// parameters) without including the library (nlohmann/json's json_fwd.hpp).
// Includes only config.hpp and <cstdint> (for the enums' underlying types).
//
// `wmisub::consumer` and `wmisub::wmi_object` are std::variant aliases: they
// cannot be forward-declared without <variant>, so include <wmisub/model.hpp>
// for them.
#pragma once

#include "wmisub/config.hpp"

#include <cstdint>

WMISUB_NAMESPACE_BEGIN

// base (result.hpp)
enum class errc : std::uint8_t;
struct source_location;
struct error;
template <class T>
class result;

// model (datetime.hpp, value.hpp, object_path.hpp, model.hpp)
struct dmtf_datetime;
enum class cim_type : std::uint8_t;
class value;
struct property;
struct embedded_object;
enum class key_value_kind;
struct path_key;
struct object_path;
enum class source_kind : std::uint8_t;
struct provenance;
struct instance;
struct object_header;
struct event_filter;
struct consumer_header;
struct active_script_consumer;
struct command_line_consumer;
struct log_file_consumer;
struct nt_event_log_consumer;
struct smtp_consumer;
struct custom_consumer;
struct binding;
struct timer_instruction;
struct collection_error;
struct snapshot;

// languages (wql/, mof/)
enum class wql_query_kind : std::uint8_t;
struct wql_query;
enum class event_category : std::uint8_t;
enum class trigger_kind : std::uint8_t;
struct trigger;
struct wql_analysis;
struct mof_options;
struct mof_document;

// analysis (graph.hpp, payload/, rules/, assess.hpp, baseline.hpp)
enum class subscription_state : std::uint8_t;
struct subscription;
class subscription_graph;
enum class capability : std::uint32_t;
enum class indicator_kind : std::uint8_t;
enum class script_language : std::uint8_t;
struct payload_options;
struct limits;
struct stop_signal;
struct payload_analysis;
enum class severity : std::uint8_t;
struct evidence;
struct finding;
struct rule;
struct subscription_facts;
class rule_catalog;
struct policy;
struct assessment;
enum class object_kind : std::uint8_t;
struct baseline_options;
struct baseline;
struct diff_options;
struct baseline_diff;

// sources (collector.hpp, sources/)
struct collect_progress;
struct collect_options;
class collector;
class mock_collector;
class composite_collector;
struct mof_collector_options;
class mof_collector;
struct snapshot_collector_options;
class snapshot_collector;

WMISUB_NAMESPACE_END
