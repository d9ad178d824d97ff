// ODR / multi-TU test, part 2 of 2 (see odr_a.cpp).
// SPDX-License-Identifier: MIT
#include "wmisub/wmisub.hpp"

#include <cstddef>
#include <string>

using make_error_fn = wmisub::error (*)(wmisub::errc, std::string, std::size_t);

std::string odr_b_describe(wmisub::errc code);
make_error_fn odr_b_make_error();

std::string odr_b_describe(wmisub::errc code) { return wmisub::make_error(code, "odr", 3).to_string(); }

make_error_fn odr_b_make_error() { return &wmisub::make_error; }
