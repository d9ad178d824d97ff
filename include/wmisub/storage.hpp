// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Files that must never be half-written or silently altered: baselines and
// snapshots. write_file_atomic() writes a temporary file in the target's
// directory, flushes it to disk, and renames it over the target, so a crash
// leaves either the old file or the new one, never a mix. Content checksums
// ("sha256:<hex>") let readers tell a truncated, corrupted or hand-edited file
// from a valid one; wmisub/json.hpp embeds them in the files it writes.
//
// Durability, per platform:
// - POSIX: open(O_EXCL), write, fsync(file), close, rename(2) (atomic
//   replacement), then fsync of the directory so the rename itself survives a
//   crash (errors of that last step are ignored: some file systems refuse to
//   fsync a directory, and the data is already safe).
// - Windows: _wopen(_O_EXCL), write, _commit (FlushFileBuffers), close, then
//   std::filesystem::rename, which replaces an existing target: the MSVC STL
//   calls MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_COPY_ALLOWED), and
//   libstdc++ (MinGW-w64) replaces too (tests/storage.cpp checks it, also
//   built with MinGW and run under Wine). The temporary file is in the target's
//   directory, so COPY_ALLOWED never turns the rename into a copy. A target
//   held open without FILE_SHARE_DELETE (a scanner) makes the rename fail:
//   the old file then stays intact and the error is returned.
// - Elsewhere: std::FILE with fflush only; standard C++ has no portable way to
//   force data to disk, so a power loss right after writing may lose the new
//   content (the rename still never exposes a partial file).
// Nothing here needs nlohmann/json.
//
// In compiled mode (WMISUB_HEADER_ONLY=0) this header only declares these
// functions; impl/storage.inl defines them (and holds the platform code).
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/limits.hpp"
#include "wmisub/result.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

WMISUB_NAMESPACE_BEGIN

// Replaces the file at `path` with `bytes`, atomically: readers see the old
// content or the new one, never a partial file. The temporary file lives in
// the same directory (a rename across file systems is not atomic) and is
// removed on failure. Errors: io_error, access_denied, with the path.
[[nodiscard]] WMISUB_API result<void> write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Reads a whole file, refusing files larger than `max_bytes` before reading
// them. Errors: not_found, io_error, limit_exceeded, with the path.
[[nodiscard]] WMISUB_API result<std::string> read_file_limited(const std::filesystem::path& path,
                                                               std::size_t max_bytes = WMISUB_MAX_INPUT_BYTES);

// read_file_limited that looks at `stop` before each MiB it reads, so a huge
// file on a slow disk still honours the caller's cancel flag and deadline.
// Errors as above, and cancelled or timeout (nothing of the file is returned).
[[nodiscard]] WMISUB_API result<std::string> read_file_limited(const std::filesystem::path& path, std::size_t max_bytes,
                                                               const stop_signal& stop);

// The checksum of some content as stored in files: "sha256:" and 64 hex digits.
[[nodiscard]] WMISUB_API std::string content_checksum(std::string_view content);

// Checks a stated checksum against content. corrupt_data when it does not match
// or is not a well-formed "sha256:<64 hex>"; `what` names the file in the message.
[[nodiscard]] WMISUB_API result<void> verify_content_checksum(std::string_view stated, std::string_view content,
                                                              std::string_view what);

WMISUB_NAMESPACE_END

#if WMISUB_INCLUDE_IMPLEMENTATION
#include "wmisub/impl/storage.inl"
#endif
