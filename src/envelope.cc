#include "envelope.h"

#include <array>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "error.h"
#include "timestamp.h"
#include "uuid.h"
#include "text.h"

namespace rbus {

std::optional<Priority> parse_priority(std::string_view s) {
    if (s == "normal") return Priority::normal;
    if (s == "high") return Priority::high;
    if (s == "low") return Priority::low;
    if (s == "critical") return Priority::critical;
    return std::nullopt;
}

std::string_view priority_name(Priority p) {
    switch (p) {
        case Priority::low: return "low";
        case Priority::normal: return "normal";
        case Priority::high: return "high";
        case Priority::critical: return "critical";
    }
    return "normal";
}

namespace {

// Offset of the first byte that breaks UTF-8, or npos.
std::size_t utf8_error_at(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned lo = 0x80, hi = 0xbf;  // allowed range of the second byte
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;       // overlong
            else if (c == 0xed) hi = 0x9f;  // surrogates
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0) lo = 0x90;       // overlong
            else if (c == 0xf4) hi = 0x8f;  // past U+10FFFF
        } else {
            return i;
        }
        if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k)
            if ((p[i + k] & 0xc0) != 0x80) return i;
        i += len;
    }
    return npos;
}

// A value for a one-line message: JSON-quoted with everything outside printable ASCII
// escaped, shortened when long.
std::string json_quoted(std::string_view s, std::size_t max = 64) {
    std::string shown = Json(std::string(s.substr(0, max))).dump(-1, ' ', true, Json::error_handler_t::replace);
    if (s.size() > max) shown += "...";
    return shown;
}

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_word_char(char c) { return is_lower(c) || (c >= '0' && c <= '9') || c == '_' || c == '-'; }

void validate_id(std::string_view id) {
    if (id.empty()) throw UsageError("invalid id: must not be empty");
    if (id.size() > kMaxIdLength)
        throw UsageError(fmt::format("invalid id {}: longer than {} characters", json_quoted(id), kMaxIdLength));
    if (utf8_error_at(id) != npos) throw UsageError(fmt::format("invalid id {}: not valid UTF-8", json_quoted(id)));
    for (char ch : id)
        if (auto c = static_cast<unsigned char>(ch); c < 0x20 || c == 0x7f)
            throw UsageError(fmt::format("invalid id {}: contains a control character", json_quoted(id)));
}

// Payload strings and keys must be UTF-8 and its nesting bounded, so that dump() is
// faithful and cannot exhaust the stack. Iterative: the payload may be hostile.
void validate_payload(const Json& payload) {
    std::vector<std::pair<const Json*, int>> todo{{&payload, 0}};
    while (!todo.empty()) {
        auto [j, depth] = todo.back();
        todo.pop_back();
        if (j->is_string()) {
            if (utf8_error_at(j->get_ref<const std::string&>()) != npos)
                throw UsageError("payload contains a string that is not valid UTF-8");
            continue;
        }
        if (!j->is_structured()) continue;
        // The envelope adds a level: what rbus publishes, read_envelope must accept.
        if (depth >= kMaxJsonDepth - 1)
            throw UsageError(fmt::format("payload nests too deep (more than {} levels)", kMaxJsonDepth - 1));
        if (j->is_object()) {
            for (auto it = j->begin(); it != j->end(); ++it) {
                if (utf8_error_at(it.key()) != npos)
                    throw UsageError("payload contains a key that is not valid UTF-8");
                todo.emplace_back(&it.value(), depth + 1);
            }
        } else {
            for (const auto& v : *j) todo.emplace_back(&v, depth + 1);
        }
    }
}

Json nullable(std::optional<std::string>& v) { return v ? Json(std::move(*v)) : Json(nullptr); }

}  // namespace

bool is_valid_utf8(std::string_view s) { return utf8_error_at(s) == npos; }

void validate_type(std::string_view t) {
    auto bad = [&](std::string_view why) {
        return UsageError(fmt::format("invalid event type {}: {}", json_quoted(t), why));
    };
    constexpr std::string_view kLike = "like agent.task_started";
    if (t.empty()) throw bad("must not be empty");
    if (t.size() > kMaxTypeLength)
        throw bad(fmt::format("longer than {} characters ({})", kMaxTypeLength, t.size()));
    int words = 1;
    bool word_empty = false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        const auto u = static_cast<unsigned char>(c);
        if (c >= 'A' && c <= 'Z') throw bad(fmt::format("must be lowercase dotted words {}", kLike));
        if (i == 0) {
            if (!is_lower(c)) throw bad(fmt::format("must start with a letter a-z, {}", kLike));
        } else if (c == '.') {
            if (word_empty) throw bad("empty word between dots");
            ++words;
            word_empty = true;
            continue;
        } else if (!is_word_char(c)) {
            std::string what = u < 0x20 || u == 0x7f ? std::string("a control character")
                               : u >= 0x80           ? std::string("a non-ASCII character")
                                                     : fmt::format("character '{}'", c);
            throw bad(fmt::format("{} is not allowed; use a-z, 0-9, _ and - in dotted words {}", what, kLike));
        }
        word_empty = false;
    }
    if (word_empty) throw bad("must not end with a dot");
    if (words < 2) throw bad(fmt::format("needs at least two dotted words, {}", kLike));
}

Envelope Envelope::create(EnvelopeFields f) {
    validate_type(f.type);
    if (!f.payload.is_object())
        throw UsageError(fmt::format("payload must be a JSON object (got {})", f.payload.type_name()));
    validate_payload(f.payload);
    if (f.id) validate_id(*f.id);
    const std::pair<const char*, const std::optional<std::string>*> context[] = {
        {"request_id", &f.request_id}, {"source_agent_id", &f.source_agent_id}, {"workspace_id", &f.workspace_id}};
    for (auto [name, value] : context)
        if (*value && utf8_error_at(**value) != npos)
            throw UsageError(fmt::format("invalid {} {}: not valid UTF-8", name, json_quoted(**value)));
    std::string timestamp;
    if (!f.timestamp) {
        timestamp = now_timestamp();
    } else if (auto normal = normalize_timestamp(*f.timestamp)) {
        timestamp = std::move(*normal);
    } else {
        throw UsageError(fmt::format("invalid timestamp {}: expected RFC 3339, like 2026-11-26T16:10:30.237319Z",
                                     json_quoted(*f.timestamp)));
    }

    Json doc = Json::object();
    doc["id"] = f.id ? std::move(*f.id) : uuid_v4();
    doc["type"] = std::move(f.type);
    doc["payload"] = std::move(f.payload);
    doc["priority"] = priority_name(f.priority);
    doc["request_id"] = nullable(f.request_id);
    doc["source_agent_id"] = nullable(f.source_agent_id);
    doc["workspace_id"] = nullable(f.workspace_id);
    doc["timestamp"] = std::move(timestamp);
    return Envelope(std::move(doc));
}

const Json& Envelope::payload() const {
    static const Json kEmpty = Json::object();
    auto it = doc_.find("payload");
    return it == doc_.end() ? kEmpty : *it;
}

std::string Envelope::dump() const { return doc_.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string_view Envelope::string_at(const char* key) const {
    const std::string* s = string_ptr(key);
    return s ? std::string_view(*s) : std::string_view();
}

const std::string* Envelope::string_ptr(const char* key) const {
    auto it = doc_.find(key);
    if (it == doc_.end() || !it->is_string()) return nullptr;
    return &it->get_ref<const std::string&>();
}

int json_depth(std::string_view text, int limit) {
    int depth = 0, max_depth = 0;
    bool in_string = false, escaped = false;
    for (char ch : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (ch == '\\') escaped = true;
            else if (ch == '"') in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{' || ch == '[') {
            if (++depth > max_depth) {
                max_depth = depth;
                if (max_depth > limit) return max_depth;  // enough: it is too deep
            }
        } else if ((ch == '}' || ch == ']') && depth > 0) {
            --depth;
        }
    }
    return max_depth;
}

// ---- Reading ---------------------------------------------------------------------------

namespace {

ReadResult invalid(std::string why, Shape shape = Shape::rbus) {
    ReadResult r;
    r.shape = shape;
    r.error = std::move(why);
    return r;
}

// Builds the ordered_json DOM from nlohmann's SAX events. nlohmann's own builder inserts
// each key with ordered_map's linear search: quadratic, 17 s for a 1 MiB object of 100,000
// keys. Here keys are appended, and large objects get a hash index for duplicates
// (the last value wins, at the first key's place, as in nlohmann).
class DomBuilder {
public:
    explicit DomBuilder(Json& root) : root_(root) {}

    bool null() { return put(nullptr); }
    bool boolean(bool v) { return put(v); }
    bool number_integer(Json::number_integer_t v) { return put(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return put(v); }
    bool number_float(Json::number_float_t v, const Json::string_t&) { return put(v); }
    bool string(Json::string_t& v) { return put(std::move(v)); }
    bool binary(Json::binary_t& v) { return put(Json::binary(std::move(v))); }
    bool start_object(std::size_t) { return open(Json::object()); }
    bool start_array(std::size_t) { return open(Json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(Json::string_t& k) {
        Frame& f = stack_.back();
        auto& entries = static_cast<Json::object_t::Container&>(f.value->get_ref<Json::object_t&>());
        constexpr std::size_t kLinear = 32;
        if (!f.index && entries.size() >= kLinear) {
            f.index = std::make_unique<std::unordered_map<std::string, std::size_t>>();
            for (std::size_t i = 0; i < entries.size(); ++i) f.index->emplace(entries[i].first, i);
        }
        if (f.index) {
            auto [it, added] = f.index->emplace(k, entries.size());
            if (!added) return aim(&entries[it->second].second);
        } else {
            for (auto& e : entries)
                if (e.first == k) return aim(&e.second);
        }
        entries.emplace_back(std::move(k), nullptr);
        return aim(&entries.back().second);
    }

    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
        error_position = position;
        error = e.what();
        return false;
    }

    std::size_t error_position = 0;
    std::string error;

private:
    struct Frame {
        Json* value;
        std::unique_ptr<std::unordered_map<std::string, std::size_t>> index;  // of large objects
    };

    bool aim(Json* slot) {
        slot_ = slot;
        return true;
    }
    // Where the next value goes: the root, the end of the open array, or the slot of the last key.
    Json* place(Json&& v) {
        if (stack_.empty()) return &(root_ = std::move(v));
        Json& top = *stack_.back().value;
        if (top.is_array()) {
            auto& items = top.get_ref<Json::array_t&>();
            items.push_back(std::move(v));
            return &items.back();
        }
        return &(*slot_ = std::move(v));
    }
    bool put(Json&& v) {
        place(std::move(v));
        return true;
    }
    bool open(Json&& container) {
        stack_.push_back({place(std::move(container)), nullptr});
        return true;
    }
    bool close() {
        stack_.pop_back();
        return true;
    }

    Json& root_;
    Json* slot_ = nullptr;
    std::vector<Frame> stack_;
};

// An nlohmann message without its "[json.exception.parse_error.101] " tag, on one line.
std::string without_tag(std::string_view what) {
    if (what.starts_with("[json.exception.")) {
        if (auto end = what.find("] "); end != npos) what.remove_prefix(end + 2);
    }
    return printable_line(what);
}

// Why nlohmann refused the text, without its exception tag, position prefix and the
// "last read" echo of the raw bytes (which may be long or binary).
std::string parse_failure(std::string_view raw, std::string_view what, std::size_t position) {
    if (auto at = utf8_error_at(raw); at != npos)
        return fmt::format("invalid UTF-8 at byte {}", at + 1);  // 1-based, as nlohmann counts
    if (!what.starts_with("[json.exception.parse_error"))
        return fmt::format("invalid JSON: {}", without_tag(what));  // e.g. out_of_range.406: number overflow
    if (auto colon = what.find(": "); what.find("parse error") != npos && colon != npos)
        what.remove_prefix(colon + 2);  // "[json.exception.parse_error.101] parse error at line 1, column 5: "
    std::string text(what);
    if (auto echo = text.find("; last read: '"); echo != npos) {
        auto tail = text.rfind("'; expected ");
        text = tail != npos && tail >= echo + 14 ? text.substr(0, echo) + text.substr(tail + 1) : text.substr(0, echo);
    }
    return fmt::format("invalid JSON at byte {}: {}", position, printable_line(text));
}

// The keys read_envelope knows, in canonical order; then those of the other shapes.
enum Key : std::size_t { kId, kType, kPayload, kPriority, kRequestId, kSourceAgentId, kWorkspaceId, kTimestamp,
                         kEventType, kCorrelationId, kKnownKeys };
constexpr std::array<std::string_view, kKnownKeys> kKeyNames = {
    "id", "type", "payload", "priority", "request_id", "source_agent_id", "workspace_id", "timestamp",
    "event_type", "correlation_id"};

std::size_t key_index(std::string_view k) {
    for (std::size_t i = 0; i < kKnownKeys; ++i)
        if (k == kKeyNames[i]) return i;
    return kKnownKeys;
}

bool is_bus_event_key(std::string_view k) {
    return k == "version" || k == "retry_count" || k == "max_retries" || k == "destination_guild";
}

}  // namespace

ReadResult read_envelope(std::string_view raw) try {
    // Anything deeper needs more than kMaxJsonDepth bytes, so short messages skip the scan.
    if (raw.size() > static_cast<std::size_t>(kMaxJsonDepth) && json_depth(raw) > kMaxJsonDepth)
        return invalid(fmt::format("nesting too deep (more than {} levels)", kMaxJsonDepth));
    if (raw.find_first_not_of(" \t\r\n") == npos) return invalid("empty message");
    Json doc;
    if (DomBuilder builder(doc); !Json::sax_parse(raw.data(), raw.data() + raw.size(), &builder))
        return invalid(parse_failure(raw, builder.error, builder.error_position));
    if (!doc.is_object()) return invalid(fmt::format("not a JSON object (got {})", doc.type_name()));

    // One pass: where each known key sits, and which shape this is.
    auto& entries = doc.get_ref<Json::object_t&>();
    std::array<Json*, kKnownKeys> at{};
    bool bus_event_keys = false;
    for (auto& [key, value] : entries) {
        if (auto k = key_index(key); k < kKnownKeys) at[k] = &value;
        else if (!bus_event_keys) bus_event_keys = is_bus_event_key(key);
    }
    Shape shape = bus_event_keys ? Shape::bus_event : Shape::rbus;
    if (!at[kType] && at[kEventType]) {  // the legacy dict: its names mapped, not kept twice
        shape = Shape::legacy;
        at[kType] = std::exchange(at[kEventType], nullptr);
        if (!at[kRequestId]) at[kRequestId] = std::exchange(at[kCorrelationId], nullptr);
    }
    at[kEventType] = at[kCorrelationId] = nullptr;  // otherwise plain unknown keys

    Json* type = at[kType];
    if (!type || type->is_null()) return invalid("no type", shape);
    if (!type->is_string()) return invalid(fmt::format("type is not a string (got {})", type->type_name()), shape);
    if (type->get_ref<const std::string&>().empty()) return invalid("empty type", shape);

    if (at[kId] && !at[kId]->is_string())
        return invalid(fmt::format("id is not a string (got {})", at[kId]->type_name()), shape);

    Json* priority = at[kPriority];
    if (priority && !priority->is_null() &&
        !(priority->is_string() && parse_priority(priority->get_ref<const std::string&>()))) {
        std::string shown = priority->is_string()
                                ? json_quoted(priority->get_ref<const std::string&>())
                                : printable_line(priority->dump(-1, ' ', true, Json::error_handler_t::replace), 64);
        return invalid(fmt::format("unknown priority {}", shown), shape);
    }

    for (Key k : {kRequestId, kSourceAgentId, kWorkspaceId})
        if (at[k] && !at[k]->is_null() && !at[k]->is_string())
            return invalid(fmt::format("{} is not a string or null (got {})", kKeyNames[k], at[k]->type_name()),
                           shape);

    Json out = Json::object();
    auto& slots = static_cast<Json::object_t::Container&>(out.get_ref<Json::object_t&>());
    slots.reserve(entries.size() + kKnownKeys);
    auto put = [&](Key k, Json&& v) { slots.emplace_back(std::string(kKeyNames[k]), std::move(v)); };
    auto take = [&](Key k) { return at[k] ? std::move(*at[k]) : Json(nullptr); };

    put(kId, at[kId] ? std::move(*at[kId]) : Json(uuid_v5(raw)));
    put(kType, std::move(*type));
    put(kPayload, at[kPayload] ? std::move(*at[kPayload]) : Json::object());
    put(kPriority, priority && !priority->is_null() ? std::move(*priority) : Json("normal"));
    put(kRequestId, take(kRequestId));
    put(kSourceAgentId, take(kSourceAgentId));
    put(kWorkspaceId, take(kWorkspaceId));
    Json timestamp = take(kTimestamp);
    if (timestamp.is_string()) {
        if (auto normal = normalize_timestamp(timestamp.get_ref<const std::string&>()))
            timestamp = std::move(*normal);
    }
    put(kTimestamp, std::move(timestamp));

    // The rest in the order received: what no pointer in `at` claimed.
    for (auto& entry : entries) {
        bool claimed = false;
        for (const Json* p : at) claimed = claimed || p == &entry.second;
        if (!claimed) slots.emplace_back(entry.first, std::move(entry.second));
    }

    ReadResult r;
    r.shape = shape;
    r.envelope = Envelope(std::move(out));
    return r;
} catch (const std::exception& e) {
    return invalid(fmt::format("unreadable message: {}", without_tag(e.what())));
}

}  // namespace rbus
