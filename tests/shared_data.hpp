// Locates ../shared/data, the public samples the tests read but never copy.
// Tests that need a sample call shared_data_path() and skip with a message
// when it returns nothing, so a checkout without ../shared still passes.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace wmisub_test {

// The sample file or directory at `relative` under the shared data folder, if present.
// WMISUB_SHARED_DATA (environment) wins over the build-time default.
inline std::optional<std::filesystem::path> shared_data_path(const std::string& relative) {
    std::filesystem::path root;
    if (const char* env = std::getenv("WMISUB_SHARED_DATA"); env != nullptr && *env != '\0') {
        root = env;
    } else {
#ifdef WMISUB_SHARED_DATA_DIR
        root = WMISUB_SHARED_DATA_DIR;
#else
        return std::nullopt;
#endif
    }
    std::error_code ec;
    auto path = root / relative;
    if (!std::filesystem::exists(path, ec)) return std::nullopt;
    return path;
}

// The whole file as bytes; empty when unreadable.
inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace wmisub_test

// Skips the current test case with a message when a shared sample is missing.
#define WMISUB_REQUIRE_SHARED(var, relative)                                                                           \
    auto var##_opt = ::wmisub_test::shared_data_path(relative);                                                        \
    if (!var##_opt) {                                                                                                  \
        MESSAGE("skipped: ../shared/data/" relative " is absent");                                                     \
        return;                                                                                                        \
    }                                                                                                                  \
    const std::filesystem::path& var = *var##_opt
