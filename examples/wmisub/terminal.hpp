// Terminal behaviour of the wmisub CLI: colour only on a terminal (NO_COLOR and
// TERM=dumb honoured), and progress on stderr only when stderr is a terminal.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#if defined(_WIN32)
#include <io.h>
#else
#include <unistd.h>
#endif

namespace wmisub_cli {

// True when the stream is an interactive terminal.
inline bool is_terminal(std::FILE* stream) {
#if defined(_WIN32)
    return _isatty(_fileno(stream)) != 0;
#else
    return isatty(fileno(stream)) != 0;
#endif
}

// True when the user did not opt out of colour (https://no-color.org: any non-empty NO_COLOR).
inline bool colour_allowed() {
    const char* no_colour = std::getenv("NO_COLOR");  // NOLINT(concurrency-mt-unsafe): read once at start-up
    if (no_colour != nullptr && *no_colour != '\0') return false;
    const char* term = std::getenv("TERM");  // NOLINT(concurrency-mt-unsafe)
    return term == nullptr || std::string_view(term) != "dumb";
}

// SGR colour codes, or nothing when colour is off.
class palette {
public:
    explicit palette(bool enabled) : enabled_(enabled) {}
    [[nodiscard]] bool enabled() const noexcept { return enabled_; }
    // `text` wrapped in the SGR sequence `code` ("1;31" bold red).
    [[nodiscard]] std::string paint(std::string_view code, std::string_view text) const {
        if (!enabled_) return std::string(text);
        return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
    }

private:
    bool enabled_;
};

// "assessing 1200/5000" rewritten in place on stderr, only when stderr is a
// terminal and the work is long enough to be worth showing.
class progress {
public:
    progress(std::string_view what, std::size_t total, bool quiet)
        : what_(what), total_(total), shown_(!quiet && total >= min_total && is_terminal(stderr)) {}
    progress(const progress&) = delete;
    progress& operator=(const progress&) = delete;
    ~progress() { finish(); }

    // Reports that `done` of the total items are finished.
    void update(std::size_t done) {
        if (!shown_ || (done % step != 0 && done != total_)) return;
        std::fprintf(stderr, "\r%s %zu/%zu", what_.c_str(), done, total_);
        std::fflush(stderr);
        dirty_ = true;
    }
    // Clears the progress line.
    void finish() {
        if (!dirty_) return;
        std::fprintf(stderr, "\r%*s\r", static_cast<int>(what_.size() + 24), "");
        std::fflush(stderr);
        dirty_ = false;
    }

private:
    static constexpr std::size_t min_total = 2000;  // below this the work takes well under a second
    static constexpr std::size_t step = 500;
    std::string what_;
    std::size_t total_;
    bool shown_;
    bool dirty_ = false;
};

}  // namespace wmisub_cli
