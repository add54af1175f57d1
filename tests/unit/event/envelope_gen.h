// Random messages of every shape the bus carries (SPEC §1 "Reading"), written
// the ways their publishers write them: rbus's compact envelope, Python's
// json.dumps with its default ", " and ": " separators, pydantic's BusEvent
// with a naive timestamp and its extra keys, the legacy publish() dict; with
// payloads full of escapes, unicode, numbers in every spelling, nesting, and
// now and then a defect (duplicate key, wrong field kind, broken bytes).
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace rbus::testing {

class MessageGenerator {
public:
    explicit MessageGenerator(std::uint32_t seed) : rng_(seed) {}

    enum class Style { compact, python };

    // One message; `defects` allows invalid or unusual forms.
    std::string message(bool defects) {
        style_ = pick(2) ? Style::compact : Style::python;
        switch (pick(4)) {
            case 0: return rbus_shape(defects);
            case 1: return bus_event(defects);
            case 2: return legacy(defects);
            default: return mutated(rbus_shape(false));
        }
    }

    std::string value(int depth) {
        switch (pick(depth > 4 ? 4 : 7)) {
            case 0: return string_token();
            case 1: return number();
            case 2: return pick(3) == 0 ? "null" : pick(2) ? "true" : "false";
            case 3: return string_token();
            case 4:
            case 5: return object(depth + 1, pick(6));
            default: return array(depth + 1);
        }
    }

private:
    std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
    bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }

    std::string_view comma() const { return style_ == Style::python ? ", " : ","; }
    std::string_view colon() const { return style_ == Style::python ? ": " : ":"; }

    std::string string_token() {
        static const std::vector<std::string> kPieces = {
            "a", "ok", "status", "Zürich", "日本", "😀", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\u0041",
            "\\ud83d\\ude00", "\\u0001", "\\b", "\\t", "\\u001f", "\\u007f", "\x7f", " ", "{", "}", ",", ":",
            "\\u2028", "\\r", "\\f", "\\u00E9", "x y", "1.5", "null"};
        std::string s = "\"";
        for (std::size_t n = pick(5); n > 0; --n) s += kPieces[pick(kPieces.size())];
        return s + "\"";
    }

    std::string number() {
        static const std::vector<std::string> kNumbers = {
            "0", "-0", "1", "-1", "42", "1.0", "1.5", "1.50", "1E5", "1e5", "1e-7", "2.5E+3", "-0.0", "0.1",
            "3.141592653589793", "12345678901234567890", "18446744073709551615", "18446744073709551616",
            "-9223372036854775808", "-9223372036854775809", "123456789012345678", "1e308", "5e-324", "100",
            "0.30000000000000004", "1e22", "1e21", "123e-2"};
        return kNumbers[pick(kNumbers.size())];
    }

    std::string key() {
        static const std::vector<std::string> kKeys = {"a", "b", "status", "items", "n", "é", "x y", "a\\nb",
                                                       "type", "id", "payload", "k"};
        return "\"" + kKeys[pick(kKeys.size())] + "\"";
    }

    std::string object(int depth, std::size_t members) {
        std::string s = "{";
        std::vector<std::string> used;
        for (std::size_t m = 0; m < members; ++m) {
            std::string k = key();
            bool repeat = false;
            for (const std::string& u : used) repeat = repeat || u == k;
            if (repeat && !chance(5)) continue;  // duplicates now and then only
            used.push_back(k);
            if (s.size() > 1) s += comma();
            s += k;
            s += colon();
            s += value(depth);
        }
        return s + "}";
    }

    std::string array(int depth) {
        std::string s = "[";
        for (std::size_t n = pick(4); n > 0; --n) {
            if (s.size() > 1) s += comma();
            s += value(depth);
        }
        return s + "]";
    }

    std::string nullable_id(std::string_view prefix) {
        if (chance(30)) return "null";
        return "\"" + std::string(prefix) + std::to_string(pick(1000)) + "\"";
    }

    std::string timestamp(bool naive) {
        static const std::vector<std::string> kTimes = {
            "2026-11-26T16:10:30.237319Z", "2026-11-26T16:10:30.237319", "2026-11-26T16:10:30.237319+00:00",
            "2026-11-26T18:10:30.2373+02:00", "2026-11-26 16:10:30", "2026-11-26T16:10:30.123456789Z",
            "2024-02-29T23:59:60Z", "not a time", "2026-02-30T00:00:00Z", "2026-11-26T16:10:30\\u002e5Z"};
        if (naive && chance(70)) return "\"2026-11-26T16:10:30." + std::to_string(100000 + pick(899999)) + "\"";
        return "\"" + kTimes[pick(kTimes.size())] + "\"";
    }

    std::string priority() {
        static const std::vector<std::string> kPriorities = {"\"low\"", "\"normal\"", "\"high\"", "\"critical\"",
                                                             "null", "\"norm\\u0061l\""};
        return kPriorities[pick(kPriorities.size())];
    }

    std::string join(const std::vector<std::pair<std::string, std::string>>& members) {
        std::string s = "{";
        for (const auto& [k, v] : members) {
            if (s.size() > 1) s += comma();
            s += "\"" + k + "\"";
            s += colon();
            s += v;
        }
        return s + "}";
    }

    std::string type() {
        static const std::vector<std::string> kTypes = {"\"agent.task_started\"", "\"heartbeat\"",
                                                        "\"agent.task.failed\"", "\"ü.x\""};
        return kTypes[pick(kTypes.size())];
    }

    std::string rbus_shape(bool defects) {
        std::vector<std::pair<std::string, std::string>> m = {
            {"id", "\"" + std::to_string(pick(1u << 30)) + "-e\""},
            {"type", type()},
            {"payload", object(1, pick(6))},
            {"priority", priority()},
            {"request_id", nullable_id("r")},
            {"source_agent_id", nullable_id("agent-")},
            {"workspace_id", nullable_id("ws-")},
            {"timestamp", timestamp(false)},
        };
        if (chance(20)) m.emplace_back("trace", value(1));
        return join(shuffle_and_break(std::move(m), defects));
    }

    std::string bus_event(bool defects) {
        std::vector<std::pair<std::string, std::string>> m = {
            {"id", "\"" + std::to_string(pick(1u << 30)) + "-b\""},
            {"type", type()},
            {"payload", object(1, pick(6))},
            {"priority", priority()},
            {"source_agent_id", nullable_id("agent-")},
            {"request_id", nullable_id("r")},
            {"timestamp", timestamp(true)},
            {"version", "\"1.0\""},
            {"retry_count", "0"},
            {"max_retries", "3"},
            {"destination_guild", nullable_id("guild-")},
        };
        return join(shuffle_and_break(std::move(m), defects));
    }

    std::string legacy(bool defects) {
        std::vector<std::pair<std::string, std::string>> m = {
            {"event_type", type()},
            {"workspace_id", nullable_id("ws-")},
            {"correlation_id", nullable_id("corr-")},
            {"payload", object(1, pick(6))},
            {"timestamp", timestamp(false)},
        };
        if (chance(10)) m.emplace_back("request_id", nullable_id("r"));
        return join(shuffle_and_break(std::move(m), defects));
    }

    std::vector<std::pair<std::string, std::string>> shuffle_and_break(
        std::vector<std::pair<std::string, std::string>> m, bool defects) {
        if (chance(20)) std::shuffle(m.begin(), m.end(), rng_);
        if (chance(15)) m.erase(m.begin() + static_cast<std::ptrdiff_t>(pick(m.size())));
        if (!defects) return m;
        switch (pick(12)) {
            case 0: m.push_back(m[pick(m.size())]); break;                      // duplicate key
            case 1: m[pick(m.size())].second = number(); break;                  // wrong kind
            case 2: m.emplace_back("typ\\u0065", type()); break;                 // escaped key
            case 3: m[pick(m.size())].second = "[" + value(2) + "]"; break;
            case 4: m.emplace_back("deep", std::string(40, '[') + std::string(40, ']')); break;
            default: break;
        }
        return m;
    }

    // Bytes cut or changed: mostly invalid JSON.
    std::string mutated(std::string s) {
        if (s.empty()) return s;
        switch (pick(5)) {
            case 0: s.resize(pick(s.size())); break;
            case 1: s[pick(s.size())] = static_cast<char>(pick(256)); break;
            case 2: s.insert(pick(s.size()), " \n\t"); break;
            case 3: s = " " + s + "\n"; break;
            default: s.insert(pick(s.size()), 1, "{}[],:\"\\"[pick(8)]); break;
        }
        return s;
    }

    std::mt19937 rng_;
    Style style_ = Style::compact;
};

}  // namespace rbus::testing
