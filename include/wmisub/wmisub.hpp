// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Umbrella header: every portable public header. The opt-in JSON adapter
// (wmisub/json.hpp) and Windows-only collectors are included separately.
#pragma once

// base
#include "wmisub/config.hpp"
#include "wmisub/result.hpp"
#include "wmisub/text.hpp"
// model
#include "wmisub/datetime.hpp"
#include "wmisub/value.hpp"
#include "wmisub/sid.hpp"
#include "wmisub/limits.hpp"
#include "wmisub/object_path.hpp"
#include "wmisub/model.hpp"
// languages
#include "wmisub/wql.hpp"
#include "wmisub/mof.hpp"
// analysis
#include "wmisub/graph.hpp"
#include "wmisub/payload.hpp"
#include "wmisub/baseline.hpp"
#include "wmisub/rules.hpp"
#include "wmisub/assess.hpp"
#include "wmisub/engine.hpp"
// sources
#include "wmisub/collector.hpp"
#include "wmisub/storage.hpp"
#include "wmisub/sources/mof.hpp"
