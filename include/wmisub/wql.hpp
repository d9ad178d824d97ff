// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Forwarding header: WQL parsing and analysis now live in wmisub/wql/query.hpp.
#pragma once

#include "wmisub/wql/query.hpp"
