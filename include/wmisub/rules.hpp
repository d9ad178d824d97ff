// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Forwarding header: the rule catalog now lives in wmisub/rules/catalog.hpp.
#pragma once

#include "wmisub/rules/catalog.hpp"
