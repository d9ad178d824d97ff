// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Umbrella header: every portable public header. The opt-in JSON adapter
// (wmisub/json.hpp) and Windows-only collectors are included separately.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
#include "wmisub/datetime.hpp"
#include "wmisub/value.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/model.hpp"
#include "wmisub/graph.hpp"
#include "wmisub/collector.hpp"
