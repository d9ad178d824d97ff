// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Forwarding header: the MOF front end now lives in wmisub/mof/parser.hpp.
#pragma once

#include "wmisub/mof/parser.hpp"
