#include "event/envelope.h"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/error.h"
#include "base/text.h"
#include "base/timestamp.h"
#include "base/uuid.h"

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

void validate_republished_text(std::string_view field, std::string_view value) {
    if (value.empty()) throw UsageError(fmt::format("invalid {}: must not be empty", field));
    if (value.size() > kMaxIdLength)
        throw UsageError(fmt::format("invalid {} {}: longer than {} characters", field, json_quoted(value), kMaxIdLength));
    if (utf8_error_at(value) != npos) throw UsageError(fmt::format("invalid {} {}: not valid UTF-8", field, json_quoted(value)));
    for (std::size_t i = 0; i < value.size(); ++i) {
        auto c = static_cast<unsigned char>(value[i]);
        bool c1 = c == 0xc2 && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) < 0xa0;  // U+0080..U+009F
        if (c < 0x20 || c == 0x7f || c1)
            throw UsageError(fmt::format("invalid {} {}: contains a control character", field, json_quoted(value)));
    }
}

void validate_republished(const RepublishedFields& f) {
    validate_republished_text("id", f.id);
    validate_republished_text("type", f.type);
    const std::pair<const char*, const std::optional<std::string_view>*> context[] = {
        {"request_id", &f.request_id}, {"source_agent_id", &f.source_agent_id}, {"workspace_id", &f.workspace_id}};
    for (auto [name, value] : context)
        if (*value) validate_republished_text(name, **value);
    if (f.payload_kind != "object") throw UsageError(fmt::format("payload must be a JSON object (got {})", f.payload_kind));
    if (f.timestamp && !parse_timestamp(*f.timestamp))
        throw UsageError(fmt::format("invalid timestamp {}: expected RFC 3339, like 2026-11-26T16:10:30.237319Z",
                                     json_quoted(*f.timestamp)));
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

}  // namespace rbus
