// Reading what arrives on the bus: the three envelope shapes (rbus's own,
// BusEvent, the legacy publish() dict) into an Envelope, or a reason why not.
#include <array>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "event/envelope.h"
#include "event/envelope_keys.h"
#include "base/error.h"
#include "base/text.h"
#include "base/timestamp.h"
#include "base/uuid.h"

namespace rbus {

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

    bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception& e) {
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

using namespace envelope_keys;

}  // namespace

ReadResult read_envelope(std::string_view raw) try {
    // Anything deeper needs more than kMaxJsonDepth bytes, so short messages skip the scan.
    if (raw.size() > static_cast<std::size_t>(kMaxJsonDepth) && json_depth(raw) > kMaxJsonDepth)
        return invalid(fmt::format("nesting too deep (more than {} levels)", kMaxJsonDepth));
    if (raw.find_first_not_of(" \t\r\n") == npos) return invalid("empty message");
    // The JSON parser stops at a NUL as at the end of the text: `{...}\0junk` must not pass.
    if (std::size_t nul = raw.find('\0'); nul != npos) return invalid(fmt::format("invalid JSON at byte {}: a NUL byte", nul));
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
