// The reference of bench/cli_pipeline.py: reads a file and parses it with nlohmann/json, as a
// program that only loads the same objects would. Prints the number of top-level elements.
// SPDX-License-Identifier: MIT
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: parse_json_array FILE\n");
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        std::fprintf(stderr, "parse_json_array: not JSON\n");
        return 2;
    }
    std::printf("%zu\n", doc.size());
    return 0;
}
