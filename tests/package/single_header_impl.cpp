// The implementation unit of a compiled-mode consumer of the single header: built with
// WMISUB_HEADER_ONLY=0 like the rest of the program, it alone compiles the definitions.
// SPDX-License-Identifier: MIT
#define WMISUB_IMPLEMENTATION
#include <wmisub/wmisub.hpp>
