// wmisub: detection of WMI permanent event subscriptions (ATT&CK T1546.003).
// SPDX-License-Identifier: MIT
//
// Implementation file of wmisub/wql/query.hpp, included only under
// WMISUB_INCLUDE_IMPLEMENTATION: not a header to include.
//
// Win32_LocalTime schedules as sets of times. Each clock field's allowed values are
// a bit mask over its domain (Hour 0–23, Minute 0–59, ...); the WHERE expression is
// turned into a union of slots (a disjunctive normal form whose terms are products
// of field masks), with NOT pushed down to the comparisons. `(DayOfWeek = 1 OR
// DayOfWeek = 2) AND Hour = 11 AND Minute = 33` is one slot {Mon, Tue} × {11} × {33};
// `(Hour = 11 AND Minute = 0) OR (Hour = 23 AND Minute = 30)` stays two slots.
#pragma once

#include "wmisub/config.hpp"
#include "wmisub/wql/impl/parser.inl"
#include "wmisub/wql/query.hpp"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

WMISUB_NAMESPACE_BEGIN
namespace detail {

// The clock fields a schedule narrows, in the order of schedule_slot's lists.
enum schedule_field : std::uint8_t { sf_month, sf_day, sf_dow, sf_week, sf_quarter, sf_hour, sf_minute, sf_second, sf_count };

struct schedule_field_info {
    std::string_view name;  // as Win32_LocalTime spells it
    std::int64_t low, high;
};

inline constexpr std::array<schedule_field_info, sf_count> schedule_fields = {{{"Month", 1, 12},
                                                                               {"Day", 1, 31},
                                                                               {"DayOfWeek", 0, 6},
                                                                               {"WeekInMonth", 1, 6},
                                                                               {"Quarter", 1, 4},
                                                                               {"Hour", 0, 23},
                                                                               {"Minute", 0, 59},
                                                                               {"Second", 0, 59}}};

// Allowed values of each field: bit v set when the value v is.
using schedule_term = std::array<std::uint64_t, sf_count>;

[[nodiscard]] constexpr std::uint64_t schedule_domain(std::size_t field) noexcept {
    const schedule_field_info& f = schedule_fields[field];
    std::uint64_t mask = 0;
    for (std::int64_t v = f.low; v <= f.high; ++v) mask |= std::uint64_t{1} << v;
    return mask;
}

[[nodiscard]] constexpr schedule_term schedule_any() noexcept {
    schedule_term t{};
    for (std::size_t f = 0; f < sf_count; ++f) t[f] = schedule_domain(f);
    return t;
}

// The values of `field` for which `value op v` holds.
[[nodiscard]] inline std::uint64_t schedule_compare_mask(std::size_t field, wql_operator op, std::int64_t v) noexcept {
    std::uint64_t mask = 0;
    const schedule_field_info& f = schedule_fields[field];
    for (std::int64_t x = f.low; x <= f.high; ++x) {
        bool holds = false;
        switch (op) {
        case wql_operator::equal: holds = x == v; break;
        case wql_operator::not_equal: holds = x != v; break;
        case wql_operator::less: holds = x < v; break;
        case wql_operator::less_equal: holds = x <= v; break;
        case wql_operator::greater: holds = x > v; break;
        case wql_operator::greater_equal: holds = x >= v; break;
        }
        if (holds) mask |= std::uint64_t{1} << x;
    }
    return mask;
}

// A union of terms, bounded: past max_terms it is widened to one term (the union of each
// field), which still contains every time that fires and says `widened`.
class schedule_terms {
public:
    static constexpr std::size_t max_terms = 64;

    std::vector<schedule_term> terms;
    bool widened = false;

    static schedule_terms any() { return schedule_terms{{schedule_any()}, false}; }
    static schedule_terms of(std::size_t field, std::uint64_t mask) {
        schedule_term t = schedule_any();
        t[field] = mask;
        schedule_terms out{{}, false};
        if (mask != 0) out.terms.push_back(t);
        return out;
    }

    // OR.
    void unite(const schedule_terms& other) {
        terms.insert(terms.end(), other.terms.begin(), other.terms.end());
        widened = widened || other.widened;
        bound();
    }

    // AND: every pair, empty intersections dropped.
    void intersect(const schedule_terms& other) {
        std::vector<schedule_term> out;
        for (const schedule_term& a : terms) {
            for (const schedule_term& b : other.terms) {
                schedule_term t{};
                bool empty = false;
                for (std::size_t f = 0; f < sf_count; ++f) {
                    t[f] = a[f] & b[f];
                    empty = empty || t[f] == 0;
                }
                if (!empty) out.push_back(t);
                if (out.size() > max_terms * max_terms) break;  // bound() widens it right after
            }
        }
        terms = std::move(out);
        widened = widened || other.widened;
        bound();
    }

    // Merges terms equal in all fields but one, and drops terms inside another, until none changes.
    void compress() {
        for (bool changed = true; changed;) {
            changed = false;
            for (std::size_t i = 0; i < terms.size() && !changed; ++i) {
                for (std::size_t j = i + 1; j < terms.size() && !changed; ++j) {
                    std::size_t differing = 0;
                    std::size_t field = 0;
                    bool i_in_j = true;
                    bool j_in_i = true;
                    for (std::size_t f = 0; f < sf_count; ++f) {
                        if (terms[i][f] != terms[j][f]) {
                            ++differing;
                            field = f;
                        }
                        i_in_j = i_in_j && (terms[i][f] & ~terms[j][f]) == 0;
                        j_in_i = j_in_i && (terms[j][f] & ~terms[i][f]) == 0;
                    }
                    if (j_in_i || differing <= 1) {
                        if (differing == 1) terms[i][field] |= terms[j][field];
                        terms.erase(terms.begin() + static_cast<std::ptrdiff_t>(j));
                        changed = true;
                    } else if (i_in_j) {
                        terms.erase(terms.begin() + static_cast<std::ptrdiff_t>(i));
                        changed = true;
                    }
                }
            }
        }
    }

private:
    void bound() {
        if (terms.size() <= max_terms) return;
        schedule_term all{};
        for (const schedule_term& t : terms) {
            for (std::size_t f = 0; f < sf_count; ++f) all[f] |= t[f];
        }
        terms.assign(1, all);
        widened = true;
    }
};

// The values a mask allows, ascending.
[[nodiscard]] inline std::vector<std::int64_t> schedule_values(std::uint64_t mask) {
    std::vector<std::int64_t> out;
    out.reserve(static_cast<std::size_t>(std::popcount(mask)));
    for (std::int64_t v = 0; v < 64; ++v) {
        if ((mask >> v) & 1u) out.push_back(v);
    }
    return out;
}

// A term as a slot: fields that allow their whole domain are left empty (any value).
[[nodiscard]] inline schedule_slot schedule_slot_of(const schedule_term& t) {
    schedule_slot s;
    std::vector<std::int64_t>* lists[sf_count] = {&s.months,         &s.days,     &s.days_of_week, &s.weeks_in_month,
                                                  &s.quarters,       &s.hours,    &s.minutes,      &s.seconds};
    for (std::size_t f = 0; f < sf_count; ++f) {
        if (t[f] != schedule_domain(f)) *lists[f] = schedule_values(t[f]);
    }
    return s;
}

// --- words ------------------------------------------------------------------------------------

[[nodiscard]] inline std::string schedule_number(std::int64_t v, bool two_digits) {
    std::string s = std::to_string(v);
    return two_digits && s.size() < 2 ? "0" + s : s;
}

// "1, 3 and 5", with runs of three or more as "9–16".
[[nodiscard]] inline std::string schedule_list(const std::vector<std::int64_t>& values, bool two_digits,
                                               std::string_view (*name)(std::int64_t) = nullptr) {
    const auto show = [&](std::int64_t v) { return name != nullptr ? std::string(name(v)) : schedule_number(v, two_digits); };
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < values.size();) {
        std::size_t j = i;
        while (j + 1 < values.size() && values[j + 1] == values[j] + 1) ++j;
        if (j >= i + 2) {
            parts.push_back(show(values[i]) + "–" + show(values[j]));
        } else {
            for (std::size_t k = i; k <= j; ++k) parts.push_back(show(values[k]));
        }
        i = j + 1;
    }
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += i + 1 == parts.size() ? " and " : ", ";
        out += parts[i];
    }
    return out;
}

[[nodiscard]] inline std::string_view schedule_day_name(std::int64_t v) {
    constexpr std::string_view days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    return v >= 0 && v <= 6 ? days[v] : std::string_view("?");
}

[[nodiscard]] inline std::string_view schedule_month_name(std::int64_t v) {
    constexpr std::string_view months[] = {"January", "February", "March",     "April",   "May",      "June",
                                           "July",    "August",   "September", "October", "November", "December"};
    return v >= 1 && v <= 12 ? months[v - 1] : std::string_view("?");
}

// "every Monday and Tuesday in March", or empty when no date field is narrowed.
[[nodiscard]] inline std::string schedule_date_words(const schedule_slot& s) {
    std::string out;
    const auto add = [&out](const std::string& part) { out += (out.empty() ? "" : " ") + part; };
    if (!s.days_of_week.empty()) add("every " + schedule_list(s.days_of_week, false, schedule_day_name));
    if (!s.days.empty()) add("on day " + schedule_list(s.days, false) + " of the month");
    if (!s.weeks_in_month.empty()) add("in week " + schedule_list(s.weeks_in_month, false) + " of the month");
    if (!s.months.empty()) add("in " + schedule_list(s.months, false, schedule_month_name));
    if (!s.quarters.empty()) add("in quarter " + schedule_list(s.quarters, false));
    return out;
}

// "at 11:33 and 23:33, every second of those minutes", "at second 05 of every minute", ...
[[nodiscard]] inline std::string schedule_time_words(const schedule_slot& s) {
    const auto& h = s.hours;
    const auto& m = s.minutes;
    const auto& sec = s.seconds;
    if (h.empty() && m.empty() && sec.empty()) return "every second";
    if (!h.empty() && !m.empty() && h.size() * m.size() <= 4 && sec.size() <= 1) {
        std::vector<std::string> times;
        for (std::int64_t hour : h) {
            for (std::int64_t minute : m) {
                std::string t = schedule_number(hour, true) + ":" + schedule_number(minute, true);
                if (sec.size() == 1) t += ":" + schedule_number(sec.front(), true);
                times.push_back(std::move(t));
            }
        }
        std::string out = "at ";
        for (std::size_t i = 0; i < times.size(); ++i) {
            if (i > 0) out += i + 1 == times.size() ? " and " : ", ";
            out += times[i];
        }
        if (sec.empty()) out += times.size() == 1 ? ", every second of that minute" : ", every second of those minutes";
        return out;
    }
    std::string out = sec.empty() ? "every second" : "at second " + schedule_list(sec, true);
    if (!m.empty()) {
        out += " of minute " + schedule_list(m, true);
    } else if (!sec.empty() || !h.empty()) {
        out += " of every minute";
    }
    if (!h.empty()) {
        out += " of hour " + schedule_list(h, true);
    } else if (!m.empty()) {
        out += " of every hour";
    }
    return out;
}

}  // namespace detail

// What a schedule means, in words (declared in query.hpp).
[[nodiscard]] inline std::string describe_schedule(const time_schedule& s) {
    if (s.slots.empty()) return "never: its time conditions exclude each other";  // "never runs: …" in a trigger
    std::string out;
    for (std::size_t i = 0; i < s.slots.size(); ++i) {
        const schedule_slot& slot = s.slots[i];
        std::string date = detail::schedule_date_words(slot);
        std::string time = detail::schedule_time_words(slot);
        const bool time_of_day = !slot.hours.empty();
        if (date.empty() && time == "every second") {
            date = "at every poll of the clock";
            time.clear();
        } else if (date.empty() && time_of_day) {
            date = "daily";
        }
        std::string words = date.empty() ? time : time.empty() ? date : date + " " + time;
        if (i > 0) out += "; and ";
        out += words;
    }
    return out + (s.utc ? " (UTC)" : "");
}

WMISUB_NAMESPACE_END
