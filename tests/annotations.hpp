// Builds annotations for tests. Shared by the tests of collector.hpp, json.hpp and the rules.
#pragma once

#include "wmisub/model.hpp"

#include <string>
#include <utility>

namespace wmisub_test {

// An annotation built member by member: GCC 12 at -O3 (the MinGW Release build) wrongly reports
// the string of a braced temporary source_location inside a braced annotation as uninitialised.
inline wmisub::annotation make_note(wmisub::annotation_kind kind, std::string detail, wmisub::source_location where = {}) {
    wmisub::annotation a;
    a.kind = kind;
    a.detail = std::move(detail);
    a.where = std::move(where);
    return a;
}

}  // namespace wmisub_test
