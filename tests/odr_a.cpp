// ODR / multi-TU test, part 1 of 2: the umbrella header in two translation units linked into one
// program. A non-inline definition in a header breaks the link; inline functions must be one
// entity with one address in the whole program.
// SPDX-License-Identifier: MIT
#include "wmisub/wmisub.hpp"

#include <cstddef>
#include <cstdio>
#include <string>

using make_error_fn = wmisub::error (*)(wmisub::errc, std::string, std::size_t);

std::string odr_b_describe(wmisub::errc code);
make_error_fn odr_b_make_error();

int main() {
    const std::string here = wmisub::make_error(wmisub::errc::corrupt_data, "odr", 3).to_string();
    const std::string there = odr_b_describe(wmisub::errc::corrupt_data);
    if (here != there) {
        std::printf("the two translation units disagree: '%s' vs '%s'\n", here.c_str(), there.c_str());
        return 1;
    }
    const make_error_fn mine = &wmisub::make_error;
    if (mine != odr_b_make_error()) {
        std::printf("wmisub::make_error has two addresses: it is not one inline function\n");
        return 1;
    }
    std::printf("odr: %s\n", here.c_str());
    return 0;
}
