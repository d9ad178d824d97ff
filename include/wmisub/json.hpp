// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Forwarding header: the opt-in JSON adapter (nlohmann/json) now lives in
// wmisub/json/json.hpp.
#pragma once

#include "wmisub/json/json.hpp"
