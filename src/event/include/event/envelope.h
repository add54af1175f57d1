// The RaptorBus envelope (SPEC §1): built and validated for publishing, read
// tolerantly from the three shapes RaptorFlow publishes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rbus {

using Json = nlohmann::ordered_json;  // key order preserved everywhere

enum class Priority { low, normal, high, critical };
std::optional<Priority> parse_priority(std::string_view);  // exact lowercase names
std::string_view priority_name(Priority);

// The rule for what rbus publishes: ^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$, at most 200
// characters. Throws UsageError naming the problem, e.g.
// `invalid event type "Foo": must be lowercase dotted words like agent.task_started`.
void validate_type(std::string_view type);

// The fields of an envelope as read (event_read.h): strings decoded, nullopt
// for null (timestamp: for anything but a string), and the payload's JSON kind
// as nlohmann's type_name() says it ("object", "array", ...).
struct RepublishedFields {
    std::string_view id, type;
    std::optional<std::string_view> request_id, source_agent_id, workspace_id, timestamp;
    std::string_view payload_kind;
};
// An envelope read from a file or a queue and published again (--envelopes;
// record replay and DLQ redrive use the same): SPEC §1's reading rules (any
// non-empty type, an RFC 3339 timestamp when there is one, an object payload)
// and, in id, type, request_id, source_agent_id and workspace_id, at most 200
// characters of UTF-8 without control characters (C0, DEL, C1). Throws
// UsageError naming the field. The dotted-type rule is for types typed on the
// command line.
void validate_republished(const RepublishedFields& fields);

// The text rule above for one field, e.g. on the span of a canonical message.
void validate_republished_text(std::string_view field, std::string_view value);

// Limits: the length of a type and of a given id, and how deep JSON may nest.
inline constexpr std::size_t kMaxTypeLength = 200;
inline constexpr std::size_t kMaxIdLength = 200;
inline constexpr int kMaxJsonDepth = 512;

// What a publisher supplies.
struct EnvelopeFields {
    std::string type;
    Json payload = Json::object();  // must be an object
    Priority priority = Priority::normal;
    std::optional<std::string> id;  // default: a new UUID v4; a given id is kept as given
    std::optional<std::string> request_id, source_agent_id, workspace_id;
    std::optional<std::string> timestamp;  // default: now; a given one is normalised to UTC micro Z
};

struct ReadResult;

class Envelope {
public:
    // Validates and builds; throws UsageError: type rule, payload an object (valid UTF-8,
    // nesting < kMaxJsonDepth so the whole envelope reads back), id non-empty/printable/<= 200,
    // context ids valid UTF-8, timestamp parseable.
    static Envelope create(EnvelopeFields f);

    // The canonical object: id, type, payload, priority, request_id, source_agent_id,
    // workspace_id, timestamp, then unknown keys in the order received.
    const Json& json() const { return doc_; }
    Json& json() { return doc_; }

    std::string_view id() const { return string_at("id"); }
    std::string_view type() const { return string_at("type"); }
    std::string_view priority_text() const { return string_at("priority"); }
    std::optional<Priority> priority() const { return parse_priority(priority_text()); }
    const std::string* request_id() const { return string_ptr("request_id"); }  // nullptr when null
    const std::string* source_agent_id() const { return string_ptr("source_agent_id"); }
    const std::string* workspace_id() const { return string_ptr("workspace_id"); }
    const std::string* timestamp() const { return string_ptr("timestamp"); }  // nullptr unless a string
    const Json& payload() const;  // read: any JSON kind, as received

    // Compact, nulls included, UTF-8 kept as is. Never throws on invalid UTF-8 (replaced by
    // U+FFFD; create and read_envelope already refuse it, so only a json() edit can add it).
    std::string dump() const;

private:
    explicit Envelope(Json doc) : doc_(std::move(doc)) {}
    std::string_view string_at(const char* key) const;
    const std::string* string_ptr(const char* key) const;
    friend ReadResult read_envelope(std::string_view raw);

    Json doc_;
};

enum class Shape { rbus, bus_event, legacy };

struct ReadResult {
    std::optional<Envelope> envelope;  // set when valid
    Shape shape = Shape::rbus;
    std::string error;  // why it is invalid: one printable ASCII line
    bool ok() const { return envelope.has_value(); }
};

// Reads one message from the bus or an input line tolerantly (SPEC §1 "Reading"):
// the rbus shape; BusEvent (its extra keys kept after the known ones); the legacy dict
// (event_type → type, correlation_id → request_id). A missing id becomes uuid_v5(raw).
// Never throws, whatever the bytes.
ReadResult read_envelope(std::string_view raw);

// The deepest [ / { nesting of JSON text, brackets inside strings not counted. Stops
// counting once past `limit`, so a result > limit means "too deep". Cheap pre-check
// before handing untrusted text to a recursive consumer.
int json_depth(std::string_view text, int limit = kMaxJsonDepth);

// Strict RFC 3629 UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace rbus
