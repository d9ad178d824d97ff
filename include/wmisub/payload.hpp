// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Forwarding header: payload analysis now lives in wmisub/payload/analysis.hpp.
#pragma once

#include "wmisub/payload/analysis.hpp"
