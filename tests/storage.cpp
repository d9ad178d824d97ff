// Tests for wmisub/storage.hpp: atomic replacement, bounded reading, content
// checksums; and, when nlohmann/json is available, baseline and snapshot files
// that are truncated, corrupted or hand-edited.
#include "wmisub/storage.hpp"
#include "scratch_dir.hpp"
#include "shared_data.hpp"

#include "wmisub/baseline.hpp"
#include "wmisub/collector.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#if __has_include(<nlohmann/json.hpp>)
#include "wmisub/json.hpp"
#define WMISUB_STORAGE_TEST_JSON 1
#else
#define WMISUB_STORAGE_TEST_JSON 0
#endif

using namespace wmisub;
using wmisub_test::scratch_dir;
using wmisub_test::read_file;
namespace fs = std::filesystem;

namespace {


void spit(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << bytes;
}

}  // namespace

TEST_CASE("write_file_atomic creates and replaces files and leaves no temporary behind") {
    scratch_dir dir{"wmisub-storage"};
    const fs::path target = dir.path() / "baseline.json";
    REQUIRE(write_file_atomic(target, "first"));
    CHECK(read_file(target) == "first");
    REQUIRE(write_file_atomic(target, std::string(100000, 'x')));
    CHECK(read_file(target).size() == 100000);
    REQUIRE(write_file_atomic(target, ""));
    CHECK(read_file(target).empty());
    CHECK(dir.entries() == 1);

    auto back = read_file_limited(target);
    REQUIRE(back);
    CHECK(back->empty());

    SUBCASE("errors name the path") {
        auto missing_dir = write_file_atomic(dir.path() / "no" / "such" / "dir" / "x.json", "x");
        REQUIRE(!missing_dir);
        CHECK(missing_dir.error().location.source.find("x.json") != std::string::npos);
        auto onto_dir = write_file_atomic(dir.path(), "x");
        CHECK(!onto_dir);
        CHECK(!write_file_atomic(fs::path(), "x"));
    }
}

TEST_CASE("read_file_limited refuses missing, oversized and directory inputs") {
    scratch_dir dir{"wmisub-storage"};
    const fs::path file = dir.path() / "f.bin";
    REQUIRE(write_file_atomic(file, "0123456789"));
    auto ok = read_file_limited(file, 10);
    REQUIRE(ok);
    CHECK(*ok == "0123456789");
    auto big = read_file_limited(file, 9);
    REQUIRE(!big);
    CHECK(big.error().code == errc::limit_exceeded);
    auto missing = read_file_limited(dir.path() / "none");
    REQUIRE(!missing);
    CHECK(missing.error().code == errc::not_found);
    auto directory = read_file_limited(dir.path());
    REQUIRE(!directory);
    CHECK(directory.error().code == errc::io_error);
}

TEST_CASE("read_file_limited with a stop_signal reads in chunks and stops when told") {
    scratch_dir dir{"wmisub-storage-stop"};
    const fs::path file = dir.path() / "big.bin";
    const std::string content((std::size_t{3} << 20) + 5, 'x');  // several chunks and a tail
    REQUIRE(write_file_atomic(file, content));
    stop_signal none;
    auto whole = read_file_limited(file, content.size(), none);
    REQUIRE(whole);
    CHECK(*whole == content);

    std::atomic<bool> cancel{true};
    stop_signal cancelled;
    cancelled.cancel = &cancel;
    auto stopped = read_file_limited(file, content.size(), cancelled);
    REQUIRE(!stopped);
    CHECK(stopped.error().code == errc::cancelled);
    CHECK(stopped.error().location.source.find("big.bin") != std::string::npos);

    stop_signal late;
    late.deadline = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
    auto timed_out = read_file_limited(file, content.size(), late);
    REQUIRE(!timed_out);
    CHECK(timed_out.error().code == errc::timeout);
    // Limits are still checked first: an oversized file is refused before any read.
    auto big = read_file_limited(file, 10, late);
    REQUIRE(!big);
    CHECK(big.error().code == errc::limit_exceeded);
}

TEST_CASE("content checksums detect any change") {
    const std::string sum = content_checksum("hello");
    CHECK(sum == "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    CHECK(verify_content_checksum(sum, "hello", "x"));
    auto changed = verify_content_checksum(sum, "hellp", "the file");
    REQUIRE(!changed);
    CHECK(changed.error().code == errc::corrupt_data);
    CHECK(changed.error().message.find("the file") != std::string::npos);
    auto malformed = verify_content_checksum("md5:abc", "hello", "x");
    REQUIRE(!malformed);
    CHECK(malformed.error().code == errc::corrupt_data);
    CHECK(!verify_content_checksum("sha256:" + std::string(64, 'G'), "hello", "x"));
}

#if WMISUB_STORAGE_TEST_JSON

namespace {

baseline sample_baseline() {
    mock_collector m("host");
    m.created_by("S-1-5-32-544")
        .filter("Updater", "SELECT * FROM __TimerEvent WHERE TimerId = 'T1'")
        .command_line_consumer("UpdaterRun", "C:\\Program Files\\Vendor\\update.exe")
        .bind("Updater", "UpdaterRun")
        .interval_timer("T1", 3600000);
    auto s = m.collect({});
    REQUIRE(s);
    s->host = "WS01";
    baseline_options options;
    options.created = timestamp{std::chrono::seconds{1'714'557'600}};
    options.comment = "approved by the SOC";
    return make_baseline(*s, options);
}

}  // namespace

TEST_CASE("baselines are saved sealed and load back identically") {
    scratch_dir dir{"wmisub-storage"};
    const fs::path file = dir.path() / "baseline.json";
    const baseline b = sample_baseline();
    REQUIRE(save_baseline(file, b));
    CHECK(dir.entries() == 1);
    auto back = load_baseline(file);
    REQUIRE_MESSAGE(back, back.error().to_string());
    CHECK(back->host == "WS01");
    CHECK(back->comment == b.comment);
    CHECK(back->created == b.created);
    CHECK(back->tool_version == WMISUB_VERSION_STRING);
    REQUIRE(back->entries.size() == b.entries.size());
    for (std::size_t i = 0; i < b.entries.size(); ++i) {
        CHECK(back->entries[i].identity_key == b.entries[i].identity_key);
        CHECK(back->entries[i].fingerprint == b.entries[i].fingerprint);
        CHECK(back->entries[i].identity == b.entries[i].identity);
    }
    CHECK(to_json_text(*back) == read_file(file));

    SUBCASE("an empty baseline is valid and not an error") {
        const fs::path empty_file = dir.path() / "empty.json";
        baseline empty;
        empty.created = b.created;
        REQUIRE(save_baseline(empty_file, empty));
        auto loaded = load_baseline(empty_file);
        REQUIRE(loaded);
        CHECK(loaded->empty());
    }
}

TEST_CASE("a corrupted, truncated or hand-edited baseline is corrupt_data, never an empty baseline") {
    scratch_dir dir{"wmisub-storage"};
    const fs::path file = dir.path() / "baseline.json";
    REQUIRE(save_baseline(file, sample_baseline()));
    const std::string good = read_file(file);

    SUBCASE("truncated") {
        for (const std::size_t keep : {std::size_t{0}, std::size_t{1}, good.size() / 2, good.size() - 3}) {
            CAPTURE(keep);
            spit(file, good.substr(0, keep));
            auto r = load_baseline(file);
            REQUIRE(!r);
            CHECK(r.error().code == errc::corrupt_data);
        }
    }
    SUBCASE("a flipped byte inside a value") {
        std::string bad = good;
        const std::size_t at = bad.find("update.exe");
        REQUIRE(at != std::string::npos);
        bad[at] = 'U';
        spit(file, bad);
        auto r = load_baseline(file);
        REQUIRE(!r);
        CHECK(r.error().code == errc::corrupt_data);
        CHECK(r.error().message.find("checksum") != std::string::npos);
    }
    SUBCASE("garbage bytes") {
        std::string bad = good;
        bad[bad.size() / 3] = '\x01';
        spit(file, bad);
        auto r = load_baseline(file);
        REQUIRE(!r);
        CHECK(r.error().code == errc::corrupt_data);
    }
    SUBCASE("entries removed by hand, checksum kept") {
        auto doc = parse_json(good);
        REQUIRE(doc);
        (*doc)["entries"] = json_value::array();
        spit(file, dump_json(*doc));
        auto r = load_baseline(file);
        REQUIRE(!r);
        CHECK(r.error().code == errc::corrupt_data);
    }
    SUBCASE("the checksum removed") {
        auto doc = parse_json(good);
        REQUIRE(doc);
        doc->erase("checksum");
        spit(file, dump_json(*doc));
        auto r = load_baseline(file);
        REQUIRE(!r);
        CHECK(r.error().code == errc::corrupt_data);
        json_read_options lax;
        lax.require_checksum = false;
        CHECK(load_baseline(file, lax));  // an explicit opt-out reads it
    }
    SUBCASE("reformatted but unchanged content still verifies") {
        auto doc = parse_json(good);
        REQUIRE(doc);
        spit(file, dump_json(*doc, 7));
        CHECK(load_baseline(file));
    }
    SUBCASE("a snapshot where a baseline belongs is a type mismatch, not damage") {
        mock_collector m("host");
        m.filter("F", "SELECT * FROM __TimerEvent");
        auto s = m.collect({});
        REQUIRE(s);
        REQUIRE(save_snapshot(file, *s));
        auto r = load_baseline(file);
        REQUIRE(!r);
        CHECK(r.error().code == errc::type_mismatch);
        CHECK(r.error().location.source.find("/schema") != std::string::npos);
    }
    SUBCASE("a missing file is not_found, not corrupt") {
        auto r = load_baseline(dir.path() / "nope.json");
        REQUIRE(!r);
        CHECK(r.error().code == errc::not_found);
    }
}

TEST_CASE("snapshots are saved sealed; a damaged snapshot file is corrupt_data") {
    scratch_dir dir{"wmisub-storage"};
    const fs::path file = dir.path() / "snapshot.json";
    mock_collector m("host");
    m.filter("F", "SELECT * FROM __TimerEvent").command_line_consumer("C", "calc.exe").bind("F", "C");
    auto s = m.collect({});
    REQUIRE(s);
    REQUIRE(save_snapshot(file, *s));
    auto back = load_snapshot(file);
    REQUIRE_MESSAGE(back, back.error().to_string());
    CHECK(back->object_count() == 3);
    const std::string good = read_file(file);
    spit(file, good.substr(0, good.size() - 10));
    auto truncated = load_snapshot(file);
    REQUIRE(!truncated);
    CHECK(truncated.error().code == errc::corrupt_data);
    CHECK(truncated.error().location.line > 0);
}

#endif  // WMISUB_STORAGE_TEST_JSON
