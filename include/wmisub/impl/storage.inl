// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/storage.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Atomic replacement and bounded reading of files, with the platform code of
// each (see wmisub/storage.hpp for the durability each platform gets), and
// content checksums.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/result.hpp"
#include "wmisub/storage.hpp"
#include "wmisub/text.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>
#elif defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

WMISUB_NAMESPACE_BEGIN

namespace detail {

// A path as UTF-8 text with generic separators, for messages.
[[nodiscard]] inline std::string storage_path_text(const std::filesystem::path& path) {
    const std::u8string text = path.generic_u8string();
    std::string out(text.size(), '\0');
    for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<char>(text[i]);
    return out;
}

// Bytes read between two looks at a stop_signal.
inline constexpr std::size_t storage_read_chunk = std::size_t{1} << 20;

[[nodiscard]] inline error storage_error(errc code, const std::filesystem::path& path, std::string message) {
    return make_error(code, std::move(message), source_location{storage_path_text(path), 0, 0, source_location::npos});
}

// A name for the temporary file next to `target`: hidden, unique enough that
// two writers never collide (O_EXCL catches the rest).
[[nodiscard]] inline std::filesystem::path storage_temp_path(const std::filesystem::path& target, unsigned attempt) {
    std::uint64_t seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    seed ^= static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) << 1;
    seed ^= reinterpret_cast<std::uintptr_t>(&seed);
    seed += attempt * 0x9E3779B97F4A7C15ULL;
#if WMISUB_EXCEPTIONS
    try {
        std::random_device device;
        seed ^= (static_cast<std::uint64_t>(device()) << 32) ^ device();
    } catch (...) {
        // No entropy source: the clock and address mix above still differ per call.
    }
#endif
    std::mt19937_64 mix(seed);
    const std::uint64_t tag = mix();
    constexpr std::string_view hex = "0123456789abcdef";
    std::string suffix;
    for (int shift = 60; shift >= 0; shift -= 4) suffix += hex[(tag >> static_cast<unsigned>(shift)) & 0xFu];
    std::filesystem::path name = target.filename();
    name += std::filesystem::path(".wmisub-" + suffix + ".tmp");
    std::filesystem::path dot(".");
    dot += name;
    return target.parent_path() / dot;
}

// Writes all of `bytes` to a new file at `path` and forces it to disk.
[[nodiscard]] inline result<void> storage_write_new(const std::filesystem::path& path, std::string_view bytes,
                                                   bool& exists) {
    exists = false;
#if defined(_WIN32)
    const int fd = _wopen(path.c_str(), _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
    if (fd < 0) {
        exists = errno == EEXIST;
        return storage_error(errc::io_error, path, "cannot create the temporary file");
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
        const std::size_t chunk = std::min<std::size_t>(bytes.size() - done, 1u << 30);
        const int n = _write(fd, bytes.data() + done, static_cast<unsigned>(chunk));
        if (n <= 0) {
            _close(fd);
            return storage_error(errc::io_error, path, "write failed (disk full?)");
        }
        done += static_cast<std::size_t>(n);
    }
    if (_commit(fd) != 0) {
        _close(fd);
        return storage_error(errc::io_error, path, "cannot flush the file to disk");
    }
    if (_close(fd) != 0) return storage_error(errc::io_error, path, "closing the file failed");
    return {};
#elif defined(__unix__) || defined(__APPLE__)
    int fd = -1;
    do {
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        exists = errno == EEXIST;
        return storage_error(errno == EACCES ? errc::access_denied : errc::io_error, path,
                             "cannot create the temporary file: " + std::generic_category().message(errno));
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ::ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int why = errno;
            ::close(fd);
            return storage_error(errc::io_error, path, "write failed: " + std::generic_category().message(why));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int why = errno;
        ::close(fd);
        return storage_error(errc::io_error, path, "cannot flush the file to disk: " + std::generic_category().message(why));
    }
    if (::close(fd) != 0) return storage_error(errc::io_error, path, "closing the file failed");
    return {};
#else
    if (std::filesystem::exists(path)) {
        exists = true;
        return storage_error(errc::io_error, path, "the temporary file already exists");
    }
    std::FILE* f = std::fopen(path.string().c_str(), "wb");
    if (f == nullptr) return storage_error(errc::io_error, path, "cannot create the temporary file");
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    const bool flushed = std::fflush(f) == 0;
    const bool closed = std::fclose(f) == 0;
    if (!written || !flushed || !closed) return storage_error(errc::io_error, path, "write failed (disk full?)");
    return {};
#endif
}

// Makes a completed rename durable where the platform allows it.
inline void storage_sync_directory(const std::filesystem::path& dir) noexcept {
#if !defined(_WIN32) && (defined(__unix__) || defined(__APPLE__))
    const std::filesystem::path where = dir.empty() ? std::filesystem::path(".") : dir;
    const int fd = ::open(where.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    (void)::close(fd);
#else
    (void)dir;
#endif
}

}  // namespace detail

WMISUB_API result<void> write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
#if WMISUB_EXCEPTIONS
    try {
#endif
        if (path.empty() || !path.has_filename()) {
            return make_error(errc::invalid_argument, "no file name to write to");
        }
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
            return detail::storage_error(errc::invalid_argument, path, "is a directory, not a file");
        }
        std::filesystem::path temp;
        result<void> written = make_error(errc::io_error, "no temporary file could be created");
        for (unsigned attempt = 0; attempt < 16; ++attempt) {
            temp = detail::storage_temp_path(path, attempt);
            bool exists = false;
            written = detail::storage_write_new(temp, bytes, exists);
            if (written || !exists) break;
        }
        if (!written) {
            std::filesystem::remove(temp, ec);
            error e = written.error();
            e.location.source = detail::storage_path_text(path);
            return e;
        }
        std::filesystem::rename(temp, path, ec);
        if (ec) {
            std::error_code ignored;
            std::filesystem::remove(temp, ignored);
            return detail::storage_error(ec == std::errc::permission_denied ? errc::access_denied : errc::io_error, path,
                                         "cannot replace the file: " + ec.message());
        }
        detail::storage_sync_directory(path.parent_path());
        return {};
#if WMISUB_EXCEPTIONS
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "out of memory while writing a file");
    } catch (...) {
        return detail::storage_error(errc::io_error, path, "unexpected failure while writing the file");
    }
#endif
}

WMISUB_API result<std::string> read_file_limited(const std::filesystem::path& path, std::size_t max_bytes) {
    return read_file_limited(path, max_bytes, stop_signal{});
}

WMISUB_API result<std::string> read_file_limited(const std::filesystem::path& path, std::size_t max_bytes,
                                                 const stop_signal& stop) {
#if WMISUB_EXCEPTIONS
    try {
#endif
        std::error_code ec;
        const auto status = std::filesystem::status(path, ec);
        if (ec && ec != std::errc::no_such_file_or_directory) {
            const bool denied = ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted;
            return detail::storage_error(denied ? errc::access_denied : errc::io_error, path,
                                         "cannot read the file: " + ec.message());
        }
        if (ec || !std::filesystem::exists(status)) return detail::storage_error(errc::not_found, path, "no such file");
        if (std::filesystem::is_directory(status)) {
            return detail::storage_error(errc::io_error, path, "is a directory, not a file");
        }
        const std::uintmax_t size = std::filesystem::file_size(path, ec);
        if (ec) return detail::storage_error(errc::io_error, path, "cannot read the file size: " + ec.message());
        if (size > max_bytes) {
            return detail::storage_error(errc::limit_exceeded, path,
                                         "file larger than the input limit of " + std::to_string(max_bytes) + " bytes");
        }
#if defined(_WIN32)
        std::FILE* f = _wfopen(path.c_str(), L"rb");
#else
        std::FILE* f = std::fopen(path.c_str(), "rb");
#endif
        if (f == nullptr) {
            const int why = errno;  // permission is the usual cause, and the one a responder must be told
            const bool denied = why == EACCES || why == EPERM;
            return detail::storage_error(denied ? errc::access_denied : errc::io_error, path,
                                         "cannot open the file for reading: " + std::generic_category().message(why));
        }
        std::string bytes(static_cast<std::size_t>(size), '\0');
        std::size_t got = 0;
        while (got < bytes.size()) {
            if (auto why = stop.why("reading the file")) {
                std::fclose(f);
                why->location.source = detail::storage_path_text(path);
                return std::move(*why);
            }
            const std::size_t chunk = std::min(detail::storage_read_chunk, bytes.size() - got);
            const std::size_t n = std::fread(bytes.data() + got, 1, chunk, f);
            got += n;
            if (n < chunk) break;  // end of file (it shrank meanwhile) or a read error, told apart below
        }
        const bool failed = std::ferror(f) != 0;
        // The file may have grown meanwhile: one more byte means the size is no longer what was checked.
        const bool grew = got == bytes.size() && std::fgetc(f) != EOF;
        std::fclose(f);
        if (failed) return detail::storage_error(errc::io_error, path, "read error");
        if (grew) return detail::storage_error(errc::io_error, path, "the file changed while it was read");
        bytes.resize(got);
        return bytes;
#if WMISUB_EXCEPTIONS
    } catch (const std::bad_alloc&) {
        return detail::storage_error(errc::limit_exceeded, path, "out of memory while reading the file");
    } catch (...) {
        return detail::storage_error(errc::io_error, path, "unexpected failure while reading the file");
    }
#endif
}

WMISUB_API std::string content_checksum(std::string_view content) {
    return "sha256:" + sha256_hex(content);
}

WMISUB_API result<void> verify_content_checksum(std::string_view stated, std::string_view content,
                                           std::string_view what) {
    constexpr std::string_view prefix = "sha256:";
    bool well_formed = stated.size() == prefix.size() + 64 && stated.starts_with(prefix);
    for (std::size_t i = prefix.size(); well_formed && i < stated.size(); ++i) {
        const char c = stated[i];
        well_formed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    if (!well_formed) {
        return make_error(errc::corrupt_data,
                          std::string(what) + " has a malformed checksum (expected \"sha256:\" and 64 lower-case hex digits)");
    }
    if (stated != content_checksum(content)) {
        return make_error(errc::corrupt_data, std::string(what) +
                                                  " does not match its checksum: it was truncated, corrupted or edited "
                                                  "after wmisub wrote it");
    }
    return {};
}

WMISUB_NAMESPACE_END
