// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Forwarding header: the WQL syntax tree now lives in wmisub/wql/ast.hpp.
#pragma once

#include "wmisub/wql/ast.hpp"
