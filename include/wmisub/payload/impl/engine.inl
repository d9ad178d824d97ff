// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/payload/analysis.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// The payload analyzer: frames that lead evidence back to the original text,
// indicator/stage/layer bookkeeping under the payload_options limits, the
// keyword matcher shared by the script analyzers, command lines as
// CreateProcess sees them, and cmd.exe. Tools, PowerShell, VBScript/JScript
// and consumers are defined in the implementation files that include this
// one (cmd.inl, tools.inl, powershell.inl, ps_text.inl, script.inl, consumer.inl).
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/model.hpp"
#include "wmisub/payload/analysis.hpp"
#include "wmisub/payload/impl/argv.inl"
#include "wmisub/payload/impl/inflate.inl"
#include "wmisub/payload/impl/normalize.inl"
#include "wmisub/payload/impl/scan.inl"
#include "wmisub/payload/impl/text.inl"
#include "wmisub/text.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// ---------------------------------------------------------------------------
// Frames: where the text being analysed came from
// ---------------------------------------------------------------------------

// The text under analysis is `origin` (the property or decoded layer that `field`
// names), a part of it, a normalized rewrite of one of those (`norm`, built from
// `norm_input`, itself resolvable through `parent`), or a temporary string
// (resolved to `fallback`, the start of the construct it came from).
struct frame {
    std::string_view field;
    std::string_view origin;
    const frame* parent = nullptr;
    const normalized_text* norm = nullptr;
    std::string_view norm_input;
    std::size_t fallback = 0;
    std::size_t depth = 0;

    [[nodiscard]] frame deeper() const {
        frame f = *this;
        ++f.depth;
        return f;
    }
};

[[nodiscard]] inline bool within(std::string_view s, const char* p) noexcept {
    return !s.empty() && p >= s.data() && p <= s.data() + s.size();
}

// ---------------------------------------------------------------------------
// Keywords (shared by the PowerShell and VBScript/JScript analyzers)
// ---------------------------------------------------------------------------

// Context a keyword must appear in.
enum : std::uint8_t {
    kw_any = 0,
    kw_member = 1,      // right after '.' (a method or property)
    kw_not_member = 2,  // not after '.', '$', '-', '@' or ':' (a command or function)
    kw_param = 4,       // right after '-' (a PowerShell parameter)
    kw_call = 8,        // followed by '(' (blanks allowed)
};

struct keyword {
    std::string_view word;  // lower case
    std::uint8_t id;
    std::uint8_t ctx;
};

// First position and count of each keyword id found.
struct keyword_hits {
    static constexpr std::size_t npos = std::string_view::npos;
    std::array<std::size_t, 160> pos{};
    std::array<std::uint32_t, 160> count{};
    keyword_hits() { pos.fill(npos); }

    void add(std::uint8_t id, std::size_t p) noexcept {
        if (id >= pos.size()) return;
        if (pos[id] == npos) pos[id] = p;
        ++count[id];
    }
    template <class Id>
    [[nodiscard]] bool has(Id id) const noexcept {
        const auto i = static_cast<std::size_t>(id);
        return i < pos.size() && pos[i] != npos;
    }
    template <class Id>
    [[nodiscard]] std::size_t at(Id id) const noexcept { return pos[static_cast<std::size_t>(id)]; }
    // The earliest position among ids, or npos.
    template <class... Ids>
    [[nodiscard]] std::size_t first(Ids... ids) const noexcept {
        std::size_t best = npos;
        for (const std::size_t id : {static_cast<std::size_t>(ids)...}) best = std::min(best, pos[id]);
        return best;
    }
    template <class... Ids>
    [[nodiscard]] bool any(Ids... ids) const noexcept { return first(ids...) != npos; }
};

template <std::size_t N>
[[nodiscard]] constexpr bool keywords_sorted(const std::array<keyword, N>& table) noexcept {
    for (std::size_t i = 1; i < N; ++i) {
        if (table[i].word < table[i - 1].word) return false;
    }
    return true;
}

// Looks up every word of `lower` (and the dot-separated prefixes and suffixes of
// dotted words) in a sorted table. `prefix_param` maps parameter words starting
// with a given text ("-Disable...") to an id.
template <std::size_t N>
void scan_keywords(std::string_view lower, const std::array<keyword, N>& table, keyword_hits& hits,
                   std::span<const std::pair<std::string_view, std::uint8_t>> prefix_param = {},
                   stop_poll* poll = nullptr) {
    auto lookup = [&](std::string_view w, std::size_t pos, char prev, char next_sig) {
        if (w.empty() || w.size() > 48) return;
        const auto range = std::equal_range(table.begin(), table.end(), keyword{w, 0, 0},
                                            [](const keyword& a, const keyword& b) { return sv_less(a.word, b.word); });
        for (auto it = range.first; it != range.second; ++it) {
            const std::uint8_t ctx = it->ctx;
            if ((ctx & kw_member) != 0 && prev != '.') continue;
            if ((ctx & kw_not_member) != 0 && (prev == '.' || prev == '$' || prev == '-' || prev == '@' || prev == ':')) continue;
            if ((ctx & kw_param) != 0 && prev != '-') continue;
            if ((ctx & kw_call) != 0 && next_sig != '(') continue;
            hits.add(it->id, pos);
        }
    };
    std::size_t i = 0;
    const std::size_t n = lower.size();
    while (i < n && !(poll != nullptr && poll->tick())) {
        if (!is_word(lower[i])) {
            ++i;
            continue;
        }
        const std::size_t b = i;
        while (i < n && (is_word(lower[i]) ||
                         ((lower[i] == '.' || lower[i] == '-') && i + 1 < n && is_word(lower[i + 1]) && is_word(lower[i - 1])))) {
            ++i;
        }
        const std::string_view w = lower.substr(b, i - b);
        char prev = b > 0 ? lower[b - 1] : '\0';
        if (prev == ':' && b >= 2 && lower[b - 2] == ':') prev = '.';  // [Type]::Member is a member too
        if ((prev == '\'' || prev == '"') && b >= 2 && lower[b - 2] == '.') prev = '.';  // $x."Member"()
        std::size_t q = i;
        while (q < n && (lower[q] == ' ' || lower[q] == '\t')) ++q;
        const char next_sig = q < n ? lower[q] : '\0';
        lookup(w, b, prev, next_sig);
        if (prev == '-') {
            for (const auto& [prefix, id] : prefix_param) {
                if (w.starts_with(prefix)) hits.add(id, b);
            }
        }
        if (w.find('.') != std::string_view::npos && w.size() <= 256) {
            std::size_t parts = 0;
            for (std::size_t k = 0; k < w.size() && parts < 16; ++k) {
                if (w[k] != '.') continue;
                ++parts;
                lookup(w.substr(0, k), b, prev, '.');
                lookup(w.substr(k + 1), b + k + 1, '.', next_sig);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------

// Which argument parser a tool gets.
enum class tool_handler : std::uint8_t {
    cmd, powershell, script_host, mshta, rundll32, regsvr32, certutil, bitsadmin, msiexec, wmic, schtasks, at, reg,
    regedit, net, sc, wsl, forfiles, conhost, curl, waitfor, taskkill, vssadmin, wevtutil, bcdedit, wbadmin, netsh,
    auditpol, attrib, mofcomp, psexec, winrs, procdump, ntdsutil, proxy_file, pcalua, syncappv, mavinject, hh, ftp,
    tftp, finger, desktopimgdownldr, mpcmdrun, certreq, netcat, tunnel, interpreter, browser, copy_tool, runas, fsutil,
    cipher, explorer, discovery, credential_tool, scriptrunner, none,
};

// A program payload analysis knows.
struct tool_entry {
    std::string_view name;  // lower-case basename without extension
    stage_role role;
    tool_handler handler;
    std::string_view what;  // what it is, for stage actions
};

// One invocation of a tool.
struct tool_call {
    const tool_entry* tool = nullptr;
    std::string_view text;                 // the whole command line
    std::vector<command_argument> argv;    // argv[0] is the program as written
    std::string basename;                  // lower-case, with extension
    const frame* f = nullptr;

    [[nodiscard]] std::size_t size() const noexcept { return argv.size(); }
    [[nodiscard]] std::string_view arg(std::size_t i) const noexcept {
        return i < argv.size() ? std::string_view(argv[i].value) : std::string_view();
    }
    [[nodiscard]] const char* ptr(std::size_t i) const noexcept {
        return text.data() + (i < argv.size() ? argv[i].offset : text.size());
    }
    // The raw text from argument i to the end of the command line.
    [[nodiscard]] std::string_view raw_from(std::size_t i) const noexcept {
        return i < argv.size() ? text.substr(argv[i].offset) : std::string_view();
    }
    // The raw text of argument i (quotes included).
    [[nodiscard]] std::string_view raw(std::size_t i) const noexcept {
        return i < argv.size() ? text.substr(argv[i].offset, argv[i].length) : std::string_view();
    }
};

// What the generic scan looks for: WMI substitutes %templates% only in some properties.
enum class scan_mode : std::uint8_t {
    command,        // an executed command line: templates are event data injected into a command
    template_text,  // a template property (LogFile Text, SMTP lines, NTEventLog insertion strings)
    script,         // script text or decoded data: no template substitution
};

// What kind of file a tool executes, for extension checks.
enum class file_role : std::uint8_t { program, script, dll, installer, project, document };

// ---------------------------------------------------------------------------
// Decoded layers during an analysis
// ---------------------------------------------------------------------------

// The decoded layers while an analysis runs. Frames view layer texts and fields,
// so a layer never moves until the analysis is over: the first few live in place
// here and the rest in a deque (whose push_back leaves elements where they are).
// move_into then hands them to the result at their exact count, one allocation
// (reserving max_layers in the result and shrinking it afterwards took two).
class layer_store {
public:
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

    // Stores l; the reference stays valid as long as the store.
    decoded_layer& push(decoded_layer&& l) {
        if (count_ >= in_place_.size() && !more_) more_.emplace();
        decoded_layer& slot = count_ < in_place_.size() ? in_place_[count_] : more_->emplace_back();
        slot = std::move(l);
        ++count_;
        return slot;
    }

    // Moves every layer, in order, to the end of out.
    void move_into(std::vector<decoded_layer>& out) {
        if (count_ == 0) return;
        out.reserve(out.size() + count_);
        for (std::size_t i = 0; i < count_; ++i) {
            out.push_back(std::move(i < in_place_.size() ? in_place_[i] : (*more_)[i - in_place_.size()]));
        }
        count_ = 0;
        more_.reset();
    }

private:
    std::array<decoded_layer, 2> in_place_{};  // most payloads have at most two layers
    std::optional<std::deque<decoded_layer>> more_;
    std::size_t count_ = 0;
};

// ---------------------------------------------------------------------------
// The analyzer
// ---------------------------------------------------------------------------

class analyzer {
public:
    analyzer(const payload_options& options, payload_analysis& result, const stop_signal* stop = nullptr)
        : opt(options), out(result), poll(stop) {}

    // Entry points (consumer.inl).
    void analyze_command_line_fields(std::string_view command_line, std::string_view cmd_field,
                                     std::optional<std::string_view> executable, std::string_view exe_field);
    void analyze_root_script(std::string_view text, std::string_view field, script_language lang);
    void analyze_engine_script(std::string_view text, std::string_view field, std::string_view engine);
    void analyze_consumer(const consumer& c);

    const payload_options& opt;
    payload_analysis& out;
    std::size_t sub_analyses = 0;
    std::size_t decoded_total = 0;
    std::array<std::uint16_t, indicator_kind_count> per_kind{};
    std::vector<std::pair<const char*, std::size_t>> decoded_spans;  // encoded text already decoded
    path_memo paths;         // normalized paths of the command line, reused when its program is run
    scan_hits scan_scratch;  // generic_scan's hits; the capacity is reused from one scan to the next
    layer_store layers;      // decoded layers, moved to out.layers when the analysis ends
    stop_poll poll;          // the caller's cancel flag and deadline, looked at between stages and inside passes

    // ----- bookkeeping -----

    // True once the caller's stop_signal is raised: every later stage is skipped.
    [[nodiscard]] bool must_stop() noexcept { return poll.now(); }

    [[nodiscard]] bool enter(const frame& f) {
        if (must_stop()) return false;
        if (f.depth > opt.max_depth || sub_analyses >= opt.max_sub_analyses) {
            out.truncated = true;
            return false;
        }
        ++sub_analyses;
        return true;
    }

    [[nodiscard]] std::size_t origin_offset(const frame& f, const char* p) const noexcept {
        const frame* fr = &f;
        for (int guard = 0; guard < 64 && fr != nullptr; ++guard) {
            if (within(f.origin, p)) return static_cast<std::size_t>(p - f.origin.data());
            if (fr->norm != nullptr) {
                const std::string& t = fr->norm->text;
                const std::string& l = fr->norm->lower;
                const char* base = within(t, p) ? t.data() : within(l, p) ? l.data() : nullptr;
                if (base != nullptr) {
                    const std::size_t src = fr->norm->to_source(static_cast<std::size_t>(p - base));
                    p = fr->norm_input.data() + std::min(src, fr->norm_input.size());
                    fr = fr->parent;
                    continue;
                }
            }
            fr = fr->parent;
        }
        if (within(f.origin, p)) return static_cast<std::size_t>(p - f.origin.data());
        return std::min(f.fallback, f.origin.size());
    }

    // Adds an indicator unless an equal one (kind, field, detail) is there or a limit is reached.
    // `owned`, when given, is the string `detail` views; it is moved into the indicator rather
    // than copied when kept whole (most details are built for the indicator and used once).
    void add_indicator(indicator_kind k, std::string_view field, std::string_view origin, std::size_t offset,
                       std::string_view detail, std::string* owned, std::size_t depth) {
        const auto ki = static_cast<std::size_t>(k);
        const std::string_view d = utf8_prefix(detail, std::max<std::size_t>(opt.excerpt_bytes, 16));
        for (const indicator& i : out.indicators) {
            if (i.kind == k && i.field == field && i.detail == d) return;
        }
        if (out.indicators.size() >= opt.max_indicators || per_kind[ki] >= opt.max_indicators_per_kind) {
            out.truncated = true;
            return;
        }
        ++per_kind[ki];
        if (out.indicators.capacity() == 0) out.indicators.reserve(8);  // skip the 1, 2, 4 regrowth steps
        indicator ind;
        ind.kind = k;
        ind.field = std::string(field);
        ind.excerpt = wmisub::excerpt_at(origin, offset, opt.excerpt_bytes);
        if (owned != nullptr && d.size() == owned->size()) {
            ind.detail = std::move(*owned);
        } else {
            ind.detail = std::string(d);
        }
        ind.offset = std::min(offset, origin.size());
        ind.depth = static_cast<std::uint8_t>(std::min<std::size_t>(depth, 255));
        out.capabilities.add(capabilities_of(k));
        out.indicators.push_back(std::move(ind));
    }

    void emit_at(indicator_kind k, std::string_view field, std::string_view origin, std::size_t offset,
                 std::string_view detail, std::size_t depth) {
        add_indicator(k, field, origin, offset, detail, nullptr, depth);
    }

    // emit with a detail built for it (a concatenation, clip()): moved into the indicator.
    void emit(indicator_kind k, const frame& f, const char* where, std::string&& detail) {
        add_indicator(k, f.field, f.origin, origin_offset(f, where), detail, &detail, f.depth);
    }
    void emit(indicator_kind k, const frame& f, const char* where, std::string_view detail) {
        add_indicator(k, f.field, f.origin, origin_offset(f, where), detail, nullptr, f.depth);
    }
    // A literal detail (without this overload a literal would match both of the others).
    void emit(indicator_kind k, const frame& f, const char* where, const char* detail) {
        emit(k, f, where, std::string_view(detail));
    }

    // Adds a stage to the chain unless max_stages is reached.
    void add_stage(std::string_view tool, stage_role role, std::string_view action, std::string_view command,
                   const frame& f) {
        add_chain_stage(tool, role, action, nullptr, command, f);
    }
    // add_stage with an action built for it: moved into the stage when kept whole.
    void add_stage(std::string_view tool, stage_role role, std::string&& action, std::string_view command,
                   const frame& f) {
        add_chain_stage(tool, role, action, &action, command, f);
    }
    void add_stage(std::string_view tool, stage_role role, const char* action, std::string_view command,
                   const frame& f) {
        add_chain_stage(tool, role, action, nullptr, command, f);
    }
    void add_chain_stage(std::string_view tool, stage_role role, std::string_view action, std::string* owned_action,
                         std::string_view command, const frame& f) {
        if (out.chain.size() >= opt.max_stages) {
            out.truncated = true;
            return;
        }
        if (out.chain.capacity() == 0) out.chain.reserve(4);  // skip the 1, 2 regrowth steps
        stage s;
        s.tool = std::string(tool);
        s.role = role;
        if (owned_action != nullptr && action.size() <= opt.excerpt_bytes) {
            s.action = std::move(*owned_action);
        } else {
            s.action = clip(action, opt.excerpt_bytes);
        }
        s.command = clip(trim(command), opt.excerpt_bytes);
        s.field = std::string(f.field);
        s.depth = static_cast<std::uint8_t>(std::min<std::size_t>(f.depth, 255));
        out.chain.push_back(std::move(s));
    }

    // A frame for a temporary string built from the text at `where`.
    [[nodiscard]] frame temp_frame(const frame& f, const char* where) const {
        frame t = f;
        t.fallback = origin_offset(f, where);
        t.norm = nullptr;
        t.parent = nullptr;
        ++t.depth;
        return t;
    }

    // Records decoded text as a layer; nullptr when a limit stops it.
    const decoded_layer* add_layer(const frame& parent, std::string_view encoding, std::string text, const char* where,
                                   bool truncated) {
        if (layers.size() >= opt.max_layers || decoded_total >= opt.max_decoded_bytes || parent.depth + 1 > opt.max_depth) {
            out.truncated = true;
            return nullptr;
        }
        if (text.size() > opt.max_layer_bytes) {
            text.resize(utf8_prefix(text, opt.max_layer_bytes).size());
            truncated = true;
        }
        if (decoded_total + text.size() > opt.max_decoded_bytes) {
            text.resize(utf8_prefix(text, opt.max_decoded_bytes - decoded_total).size());
            truncated = true;
        }
        decoded_total += text.size();
        decoded_layer layer;
        layer.parent_field = std::string(parent.field);
        layer.field.reserve(parent.field.size() + 1 + encoding.size());  // built in place, no temporaries
        layer.field.append(parent.field).append(1, '>').append(encoding);
        layer.encoding = std::string(encoding);
        layer.text = std::move(text);
        layer.offset = origin_offset(parent, where);
        layer.depth = static_cast<std::uint8_t>(std::min<std::size_t>(parent.depth + 1, 255));
        layer.truncated = truncated;
        if (truncated) out.truncated = true;
        const decoded_layer& kept = layers.push(std::move(layer));
        add_stage(encoding, stage_role::decoder, "decodes " + std::string(encoding), kept.text, parent);
        return &kept;
    }

    [[nodiscard]] frame layer_frame(const decoded_layer& layer) const {
        frame f;
        f.field = layer.field;
        f.origin = layer.text;
        f.depth = layer.depth;
        return f;
    }

    // Forgets, on scope exit, the decoded spans recorded in buffers that die with the scope.
    struct span_scope {
        analyzer& a;
        std::size_t size;
        explicit span_scope(analyzer& owner) noexcept : a(owner), size(owner.decoded_spans.size()) {}
        span_scope(const span_scope&) = delete;
        span_scope& operator=(const span_scope&) = delete;
        ~span_scope() {
            if (a.decoded_spans.size() > size) a.decoded_spans.resize(size);
        }
    };

    [[nodiscard]] bool already_decoded(const char* p, std::size_t len) const noexcept {
        for (const auto& [q, n] : decoded_spans) {
            if (p < q + n && q < p + len) return true;
        }
        return false;
    }

    // ----- analyses (defined below and in the implementation files that include this one) -----

    void generic_scan(std::string_view text, const frame& f, scan_mode mode);
    void obfuscation_evidence(const obfuscation_stats& st, const frame& f, const char* where);
    const tool_entry* command_line(std::string_view text, const frame& f, const std::string_view* executable,
                                   const frame* exe_frame, bool top);
    void cmd_script(std::string_view text, const frame& f, env_overrides& vars);
    void piped_script(std::string_view code, const tool_entry& reader, const frame& f, const char* where);
    const tool_entry* cmd_command(std::string_view text, const frame& f, env_overrides& vars);
    std::string expand_set_variables(std::string_view command, const env_overrides& vars);
    void run_tool(tool_call& call);
    void cmd_args(tool_call& call);
    void powershell_args(tool_call& call);
    // `text_scanned`: the caller has just run generic_scan over `text` with frame f. Scanning the
    // normalized text again then only repeats indicators (same kind, field and detail) when
    // normalization left the text as it was, so that scan is skipped.
    void powershell_text(std::string_view text, const frame& f, bool text_scanned = false);
    void script_text(std::string_view text, script_language lang, const frame& f, bool text_scanned = false);
    void guess_text(std::string_view text, const frame& f);
    void decode_blobs(std::string_view text, const frame& f, bool compression_hint);
    void decoded_bytes(std::string bytes, std::string encoding, const frame& f, const char* where,
                       bool compression_hint, script_language hint);
    void executed_file(std::string_view path, const frame& f, const char* where, std::string_view what, file_role role,
                       const std::string* known_norm = nullptr,
                       const std::optional<writable_location>* known_writable = nullptr);
    void file_written(std::string_view path, const frame& f, const char* where, std::string_view how,
                      std::string_view content = {});
    void registry_key(std::string_view key, const frame& f, const char* where, bool write, std::string_view data);
    void registry_scan(std::string_view lower, std::string_view text, const frame& f, bool write);
    void literal_commands(const normalized_text& n, const frame& nf, std::vector<std::size_t>& done);
};

// The tool table lookup (tables.inl).
[[nodiscard]] inline const tool_entry* find_tool(std::string_view name) noexcept;

// The tool for a program token ("C:\x\PowerShell.EXE" -> powershell), or nullptr.
[[nodiscard]] inline const tool_entry* tool_for(std::string_view token) {
    // A plain word ("schtasks", "new-object") normalizes to itself in lower case, and
    // find_tool folds case itself: skip building the normalized copy.
    bool plain = !token.empty();
    for (const char c : token) plain = plain && (is_word(c) || c == '-');
    if (plain) return find_tool(token);
    std::string norm = normalize_path(token);
    std::string_view base = path_basename(norm);
    if (iends(base, ".exe") || iends(base, ".com")) base.remove_suffix(4);
    if (base.find('.') != std::string_view::npos) return nullptr;
    return find_tool(base);
}

// ---------------------------------------------------------------------------
// Generic scans, obfuscation, files
// ---------------------------------------------------------------------------

// Not re-entrant (emit never scans), so one hit list serves every scan of the analysis.
inline void analyzer::generic_scan(std::string_view text, const frame& f, scan_mode mode) {
    scan_hits& hits = scan_scratch;
    hits.clear();
    const std::size_t cap = 256;
    // Each scanner walks the whole text: the stop_signal is looked at between them.
    if (!must_stop()) scan_urls(text, hits, cap);
    if (!must_stop()) scan_ips(text, hits, cap);
    if (!must_stop()) scan_unc(text, hits, cap);
    if (!must_stop()) scan_paths(text, hits, cap, &paths);
    if (mode != scan_mode::script && !must_stop()) scan_templates(text, hits, cap);
    if (hits.size() >= cap) out.truncated = true;
    for (const scan_hit& h : hits) {
        const char* where = text.data() + h.pos;
        emit(h.kind, f, where, h.detail);
        if (h.kind == indicator_kind::event_data_template && mode == scan_mode::command) {
            emit(indicator_kind::event_data_in_command, f, where, h.detail);
        }
    }
}

inline void analyzer::obfuscation_evidence(const obfuscation_stats& st, const frame& f, const char* where) {
    if (!st.obfuscated()) return;
    const std::string what = st.describe();
    emit(indicator_kind::obfuscation, f, where, what);
    if (st.heavy()) emit(indicator_kind::heavy_obfuscation, f, where, what);
}

// `known_norm`, when given, is normalize_path of strip_quotes(trim(path)) already computed by the caller,
// and `known_writable` (only with it) is classify_writable of that.
inline void analyzer::executed_file(std::string_view path, const frame& f, const char* where, std::string_view what,
                                    file_role role, const std::string* known_norm,
                                    const std::optional<writable_location>* known_writable) {
    const std::string_view raw = strip_quotes(trim(path));
    if (raw.empty()) return;
    if (ifind_from(raw, "://") != std::string_view::npos) {
        if (istarts(raw, "http") || istarts(raw, "ftp") || istarts(raw, "hxxp")) {
            emit(indicator_kind::remote_code_load, f, where, std::string(what) + " from " + std::string(raw));
        }
        return;
    }
    std::string own;
    if (known_norm == nullptr) own = paths.take(raw);
    const std::string& norm = known_norm != nullptr ? *known_norm : own;
    if (is_remote_unc(norm)) {
        emit(indicator_kind::remote_code_load, f, where, std::string(what) + " from " + norm);
        return;
    }
    if (const auto w = known_writable != nullptr ? *known_writable : classify_writable(norm); w && writable_for_execution(norm, *w)) {
        emit(indicator_kind::runs_from_writable_path, f, where, std::string(what) + " " + norm + " (" + std::string(to_string(*w)) + ")");
    }
    const std::string_view stream = path_stream(raw);
    if (!stream.empty() && !ieq(stream, "$data")) emit(indicator_kind::alternate_data_stream, f, where, norm);
    const std::string_view ext = path_extension(norm);
    const std::string_view base = path_basename(norm);
    if (role == file_role::script && !ext.empty()) {
        bool ok = false;
        for (std::string_view e : {".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh", ".ps1", ".psm1", ".bat", ".cmd", ".hta", ".sct"}) {
            ok = ok || ext == e;
        }
        if (!ok) emit(indicator_kind::extension_mismatch, f, where, std::string(what) + " " + std::string(base) + " is run as a script");
    } else if (role == file_role::dll && !ext.empty()) {
        bool ok = false;
        for (std::string_view e : {".dll", ".ocx", ".cpl", ".ax", ".drv", ".acm", ".tlb", ".sys", ".scr", ".exe"}) ok = ok || ext == e;
        if (!ok) emit(indicator_kind::extension_mismatch, f, where, std::string(what) + " " + std::string(base) + " is loaded as a DLL");
    } else if (role == file_role::program && is_absolute_path(norm) && is_protected_binary(base) &&
               !is_windows_directory(path_directory(norm))) {
        emit(indicator_kind::masqueraded_binary, f, where, norm);
    }
}

inline void analyzer::file_written(std::string_view path, const frame& f, const char* where, std::string_view how,
                                   std::string_view content) {
    const std::string_view raw = strip_quotes(trim(path));
    if (raw.empty() || ieq(raw, "nul") || ieq(raw, "con") || istarts(raw, "&")) return;
    const std::string norm = paths.take(raw);
    emit(indicator_kind::file_write, f, where, std::string(how) + " " + norm);
    std::string_view autostart = autostart_location(norm);
    if (autostart.empty()) autostart = autostart_directory_location(norm);  // a directory destination
    if (!autostart.empty()) {
        emit(indicator_kind::autostart_file_write, f, where, norm + " (" + std::string(autostart) + ")");
    }
    const std::string_view ext = path_extension(norm);
    if (is_executable_extension(ext)) emit(indicator_kind::executable_file_write, f, where, norm);
    const std::string_view stream = path_stream(raw);
    if (!stream.empty() && !ieq(stream, "$data")) emit(indicator_kind::alternate_data_stream, f, where, norm);
    if (content.empty()) return;
    // What is written into a script runs later: analyse it as that script.
    frame c = f.deeper();
    if (ext == ".bat" || ext == ".cmd") {
        env_overrides vars;
        cmd_script(content, c, vars);
    } else if (ext == ".ps1" || ext == ".psm1") {
        powershell_text(content, c);
    } else if (ext == ".vbs" || ext == ".vbe") {
        script_text(content, script_language::vbscript, c);
    } else if (ext == ".js" || ext == ".jse") {
        script_text(content, script_language::jscript, c);
    } else if (ext == ".hta" || ext == ".wsf" || ext == ".sct") {
        guess_text(content, c);
    }
}

// ---------------------------------------------------------------------------
// Command lines
// ---------------------------------------------------------------------------

// Longest text analysed as one command line (CreateProcess accepts 32,767 characters).
inline constexpr std::size_t max_command_line_bytes = 256u * 1024u;

// True when "command line" text is really script source (PowerShell stored in CommandLineTemplate).
[[nodiscard]] inline bool looks_like_script_source(std::string_view text) noexcept {
    const std::string_view t = trim(text);
    if (t.empty()) return false;
    const char c = t[0];
    if (c == '$' || c == '{' || c == '@') return true;
    if (c == '[' && t.find(']') != std::string_view::npos && t.find("::") != std::string_view::npos) return true;
    return false;
}

inline const tool_entry* analyzer::command_line(std::string_view text, const frame& f, const std::string_view* executable,
                                                const frame* exe_frame, bool top) {
    if (!enter(f)) return nullptr;
    // CreateProcess takes at most 32,767 characters; longer text is not one command line. Keep a margin.
    if (text.size() > max_command_line_bytes) {
        text = utf8_prefix(text, max_command_line_bytes);
        out.truncated = true;
    }
    if (executable == nullptr && looks_like_script_source(text)) {
        emit(indicator_kind::script_as_command_line, f, text.data(), clip(trim(text), 80));
        add_stage("powershell", stage_role::powershell, "script source in a command line", text, f);
        powershell_text(text, f.deeper());
        return nullptr;
    }
    // Only the first two candidates decide whether the path is ambiguous; the full list is built when it is.
    const module_token mod = createprocess_module(text, executable == nullptr ? 2 : 0);
    std::string_view module_text = executable != nullptr ? *executable : mod.text;
    const frame& mf = executable != nullptr ? *exe_frame : f;
    const char* module_ptr = executable != nullptr ? executable->data() : text.data() + mod.begin;
    if (trim(module_text).empty()) return nullptr;
    if (module_text.size() > 32768) module_text = utf8_prefix(module_text, 32768);  // no path is longer
    out.capabilities.add(capability::launches_process);

    bool ambiguous = false;
    std::vector<std::string> candidates;
    std::string first;        // normalize_path(mod.text), when computed; reused below for the module itself
    std::string chosen_norm;  // normalize_path of the candidate chosen for an ambiguous path
    if (executable == nullptr && !mod.quoted && mod.candidates.size() > 1) {
        first = paths.take(mod.candidates[0]);
        const std::string_view second_word = mod.candidates[1].substr(mod.candidates[0].size());
        // CreateProcess appends ".exe" and tries each space-separated prefix only when the first
        // token names no extension ("C:\\Program Files\\x" tries "C:\\Program.exe"); a first token
        // such as "C:\\Windows\\System32\\rundll32.exe" is run as it is.
        if (is_absolute_path(first) && path_extension(first).empty() && second_word.find('\\') != std::string_view::npos) {
            ambiguous = true;
            const module_token all = createprocess_module(text);
            candidates.reserve(all.candidates.size());
            for (std::string_view c : all.candidates) candidates.emplace_back(c);
            // The candidate that names a file with an extension is the program meant; its
            // normalized form is kept in `chosen_norm` for reuse below.
            for (std::string_view c : all.candidates) {
                std::string cn = paths.take(c);
                if (!path_extension(cn).empty()) {
                    module_text = c;
                    chosen_norm = std::move(cn);
                    break;
                }
            }
            emit(indicator_kind::unquoted_path_with_spaces, f, module_ptr, "CreateProcess tries " + first + ".exe first");
        }
    }

    // cmd ignores quotes inside a command name; most names have none, so copy only when needed.
    std::string unquoted_buf;
    std::string_view unquoted_module = module_text;
    if (module_text.find('"') != std::string_view::npos) {
        for (const char ch : module_text) {
            if (ch != '"') unquoted_buf.push_back(ch);
        }
        unquoted_module = unquoted_buf;
    }
    // normalize_path(unquoted_module) may already be known: when the module is mod.text or the chosen
    // candidate itself (same view) and has no quotes to remove.
    const bool unchanged = unquoted_module.data() == module_text.data();
    const bool reuse_first = unchanged && !first.empty() && module_text.data() == mod.text.data() && module_text.size() == mod.text.size();
    const bool reuse_chosen = unchanged && ambiguous && !chosen_norm.empty();
    std::string plain_norm = reuse_first    ? std::move(first)
                             : reuse_chosen ? std::move(chosen_norm)
                                            : paths.take(unquoted_module);
    // executed_file normalizes strip_quotes(trim(module_text)); when that is the text just normalized, pass it on.
    const bool exe_norm_known = strip_quotes(trim(module_text)) == unquoted_module;
    const bool implied = path_extension(plain_norm).empty() && !plain_norm.empty() && plain_norm.back() != '\\';
    std::string implied_norm;
    if (implied) implied_norm = plain_norm + ".exe";
    const std::string& norm = implied ? implied_norm : plain_norm;
    std::string base(path_basename(norm));
    const std::string_view ext = path_extension(base);
    std::string_view name = base;
    if (ext == ".exe" || ext == ".com") name.remove_suffix(4);
    const tool_entry* tool = (ext == ".exe" || ext == ".com") ? find_tool(name) : nullptr;

    std::vector<command_argument> argv = tokenize_argv(text, argv_dialect::msvcrt);
    if (tool == nullptr && norm.find('\\') == std::string::npos && (ext == ".exe" || ext == ".com")) {
        emit(indicator_kind::relative_executable, mf, module_ptr, base);
    }
    // The program's own classification serves executed_file and, when no ".exe" was added, executable_info.
    const bool share_writable = exe_norm_known && top && !implied;
    std::optional<writable_location> plain_writable;
    if (share_writable) plain_writable = classify_writable(plain_norm);
    executed_file(module_text, mf, module_ptr, "program", file_role::program, exe_norm_known ? &plain_norm : nullptr,
                  share_writable ? &plain_writable : nullptr);

    if (executable != nullptr && !trim(mod.text).empty()) {
        std::string named = normalize_path(mod.text);
        if (path_extension(named).empty()) named += ".exe";
        if (path_basename(named) != base) {
            emit(indicator_kind::argv0_mismatch, f, text.data() + mod.begin,
                 "runs " + base + "; the command line names " + std::string(path_basename(named)));
        }
    }

    if (top) {
        executable_info info;
        info.raw = std::string(strip_quotes(trim(module_text)));
        // expand_env returns its input unchanged without a '%': skip that intermediate copy.
        info.expanded = info.raw.find('%') == std::string::npos ? expand_ps_env(info.raw) : expand_ps_env(expand_env(info.raw, nullptr));
        info.writable = share_writable ? plain_writable : classify_writable(norm);
        info.relative = norm.find('\\') == std::string::npos;
        info.basename = base;
        info.field = std::string(mf.field);
        info.extension_implied = implied;
        info.ambiguous = ambiguous;
        info.candidates = std::move(candidates);
        info.normalized = std::move(implied ? implied_norm : plain_norm);  // `norm` is not read past this point
        out.executable = std::move(info);
        out.argv.reserve(argv.size());
        // Only a known tool reads argv further on; otherwise its strings are moved, not copied.
        for (command_argument& a : argv) out.argv.push_back(tool != nullptr ? a.value : std::move(a.value));
    }

    // Files started through their association rather than as programs.
    if (ext == ".bat" || ext == ".cmd") {
        add_stage(base, stage_role::shell, "batch file run by cmd.exe", text, f);
        emit(indicator_kind::script_interpreter, f, module_ptr, "cmd.exe (batch file)");
        return nullptr;
    }
    if (ext == ".vbs" || ext == ".vbe" || ext == ".js" || ext == ".jse" || ext == ".wsf" || ext == ".wsh" || ext == ".hta") {
        add_stage(base, stage_role::script_host, ext == ".hta" ? "HTML application run by mshta.exe" : "script run by wscript.exe", text, f);
        emit(indicator_kind::script_interpreter, f, module_ptr, std::string(ext == ".hta" ? "mshta.exe " : "wscript.exe ") + base);
        return nullptr;
    }

    if (tool == nullptr) {
        add_stage(base, stage_role::program, "runs a program", text, f);
        return nullptr;
    }
    tool_call call;
    call.tool = tool;
    call.text = text;
    call.argv = std::move(argv);
    call.basename = std::move(base);  // ext and name (views of base) are not used past this point
    call.f = &f;
    if (tool->role == stage_role::lolbin) emit(indicator_kind::lolbin, f, module_ptr, call.basename);
    run_tool(call);
    return tool;
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

// Best guess at the language of decoded or unlabelled text.
[[nodiscard]] inline script_language guess_language(std::string_view text) {
    const std::string l = lower_copy(text.substr(0, std::min<std::size_t>(text.size(), 8192)));
    auto count = [&l](std::initializer_list<std::string_view> needles) {
        int n = 0;
        for (std::string_view s : needles) {
            for (std::size_t p = l.find(s); p != std::string::npos && n < 64; p = l.find(s, p + 1)) ++n;
        }
        return n;
    };
    const int ps = count({"$", "-object", "]::", "invoke-", "iex", "param(", "-join", "write-host", "get-", "set-", "new-object", "foreach-object"});
    const int vbs = count({"dim ", "set ", "createobject", "end sub", "end function", "wscript.", "chr(", " then", "on error resume"});
    const int js = count({"var ", "new activexobject", "function(", "function ", "};", "=>", "fromcharcode", "this.", "let ", "const "});
    const int best = std::max({ps, vbs, js});
    if (best < 2) return script_language::unknown;
    if (best == ps) return script_language::powershell;
    if (best == vbs) return script_language::vbscript;
    return script_language::jscript;
}

inline void analyzer::guess_text(std::string_view text, const frame& f) {
    const std::string_view t = trim(text);
    if (t.empty()) return;
    const cmd_word w = first_cmd_word(t);
    bool trick = false;
    const std::string first = unquote_word(w.word, trick);
    if (tool_for(first) != nullptr || iends(first, ".exe")) {
        env_overrides vars;
        cmd_script(t, f, vars);
        return;
    }
    const script_language lang = guess_language(t);
    if (lang == script_language::powershell) {
        powershell_text(t, f);
    } else if (lang == script_language::vbscript || lang == script_language::jscript) {
        script_text(t, lang, f);
    }
}

inline void analyzer::decoded_bytes(std::string bytes, std::string encoding, const frame& f, const char* where,
                                    bool compression_hint, script_language hint) {
    if (bytes.empty()) return;
    if (looks_pe(bytes)) {
        emit(indicator_kind::embedded_binary, f, where, "PE image, " + std::to_string(bytes.size()) + " bytes (" + encoding + ")");
        return;
    }
    const auto b0 = static_cast<unsigned char>(bytes[0]);
    const bool magic = (b0 == 0x1F && bytes.size() > 1 && static_cast<unsigned char>(bytes[1]) == 0x8B) || b0 == 0x78;
    if (magic || compression_hint) {
        if (auto inf = inflate_any(bytes, opt.max_layer_bytes, compression_hint)) {
            encoding += ">";
            encoding += inf->format;
            emit(indicator_kind::compressed_payload, f, where, std::string(inf->format) + " data, " + std::to_string(inf->data.size()) + " bytes inflated");
            if (looks_pe(inf->data)) {
                emit(indicator_kind::embedded_binary, f, where, "PE image inside " + encoding);
                return;
            }
            bytes = std::move(inf->data);
        }
    }
    std::string text;
    if (looks_utf16le(bytes)) {
        if (bytes.size() % 2 != 0) bytes.pop_back();
        text = utf16le_to_utf8(bytes);
        encoding += "_utf16le";
    } else if (printable_percent(bytes) >= 85) {
        sanitize_utf8(text, bytes);
        encoding += "_utf8";
    } else {
        if (bytes.size() >= 48) {
            emit(indicator_kind::encoded_blob, f, where, std::to_string(bytes.size()) + " bytes of binary data (" + encoding + ")");
        }
        return;
    }
    const decoded_layer* layer = add_layer(f, encoding, std::move(text), where, false);
    if (layer == nullptr) return;
    const frame lf = layer_frame(*layer);
    if (!enter(lf)) return;
    generic_scan(layer->text, lf, scan_mode::script);
    if (hint == script_language::powershell) {
        powershell_text(layer->text, lf, true);
    } else if (hint == script_language::vbscript || hint == script_language::jscript) {
        script_text(layer->text, hint, lf, true);
    } else {
        guess_text(layer->text, lf);
    }
}

inline void analyzer::decode_blobs(std::string_view text, const frame& f, bool compression_hint) {
    std::vector<blob> blobs;
    if (!must_stop()) scan_blobs(text, blobs, 40, 32);
    if (!must_stop()) scan_byte_lists(text, blobs, 64, 8);
    for (const blob& b : blobs) {
        const char* p = text.data() + b.pos;
        if (already_decoded(p, b.len)) continue;
        decoded_spans.emplace_back(p, b.len);
        const std::string_view run = text.substr(b.pos, b.len);
        if (b.bytes) {
            std::string bytes;
            std::size_t q = 0;
            while (q < run.size() && bytes.size() < opt.max_layer_bytes) {
                std::uint32_t v = 0;
                std::size_t r = q;
                if (read_number(run, r, v)) {
                    bytes.push_back(static_cast<char>(v & 0xFFu));
                    q = r;
                } else {
                    ++q;
                }
            }
            if (looks_pe(bytes)) {
                emit(indicator_kind::embedded_binary, f, p, "PE image as a byte list, " + std::to_string(bytes.size()) + " bytes");
            } else if (printable_percent(bytes) < 85) {
                emit(indicator_kind::embedded_binary, f, p, std::to_string(bytes.size()) + "-byte array (shellcode)");
            } else {
                decoded_bytes(std::move(bytes), "byte_list", f, p, false, script_language::unknown);
            }
            continue;
        }
        if (b.hex) {
            decoded_bytes(decode_hex_lenient(run, opt.max_layer_bytes), "hex", f, p, compression_hint, script_language::unknown);
            continue;
        }
        auto bytes = decode_base64_lenient(run, opt.max_layer_bytes);
        if (!bytes) continue;
        if (b.len >= 100 || looks_utf16le(*bytes) || looks_pe(*bytes)) {
            decoded_bytes(std::move(*bytes), "base64", f, p, compression_hint, script_language::unknown);
        }
    }
}

}  // namespace detail
WMISUB_NAMESPACE_END
