// The one pass of EnvelopeReader (event_read.h): the received bytes are walked
// once by jscan's scanner in its emit mode, which validates each top-level value
// and writes its canonical form only where it differs from the bytes; the
// envelope is then assembled from those pieces in SPEC §1 order.
#include <array>
#include <cstdint>
#include <utility>

#include "event/canonical.h"
#include "event/envelope_keys.h"
#include "event/event_read.h"
#include "json/json_scanner.h"
#include "base/timestamp.h"
#include "base/uuid.h"

namespace rbus {
namespace {

using namespace envelope_keys;

// Past this many top-level keys the duplicate check (linear) is left to the tree.
constexpr std::size_t kMaxMembers = 64;

bool is_string_token(std::string_view t) { return !t.empty() && t.front() == '"'; }

// A UTC timestamp with microseconds whose rewrite is the same digits with "Z":
// naive (BusEvent's isoformat()), "+00:00" (json.dumps of an aware datetime) or
// another spelling of offset zero. Writes the quoted canonical form into out
// (2 + TimestampFormatter::kLength characters) and returns true when so.
bool utc_micros_as_canonical(std::string_view body, char* out) {
    constexpr std::size_t kDigits = TimestampFormatter::kLength - 1;  // up to the Z
    if (body.size() < kDigits) return false;
    const std::string_view zone = body.substr(kDigits);
    if (!zone.empty() && zone != "+00:00" && zone != "-00:00" && zone != "+0000" && zone != "-0000" && zone != "z")
        return false;
    out[0] = '"';
    body.copy(out + 1, kDigits);
    out[1 + kDigits] = 'Z';
    out[2 + kDigits] = '"';
    return is_canonical_timestamp(std::string_view(out + 1, TimestampFormatter::kLength));
}

bool is_priority_token(std::string_view t) {
    return t == R"("low")" || t == R"("normal")" || t == R"("high")" || t == R"("critical")";
}

}  // namespace

bool EnvelopeReader::one_pass(std::string_view raw) {
    using Scanner = jscan::impl::Scanner<jscan::impl::Mode::emit>;
    if (raw.size() > UINT32_MAX) return false;  // members are kept as 32-bit offsets
    members_.clear();
    scratch_.clear();
    Scanner sc{raw, 0, jscan::Error{}};
    sc.out = &scratch_;
    sc.decoded = &decoded_;

    std::size_t i = jscan::skip_ws(raw, 0);
    if (i >= raw.size() || raw[i] != '{') return false;
    i = jscan::skip_ws(raw, i + 1);
    std::array<std::size_t, kKnownKeys> at;  // member index per slot, kMaxMembers when absent
    at.fill(kMaxMembers);
    bool bus_event = false;
    while (i < raw.size() && raw[i] != '}') {
        if (raw[i] != '"' || members_.size() == kMaxMembers) return false;
        sc.i = i;
        sc.in_key = true;
        if (!sc.string()) return false;
        sc.in_key = false;
        std::string_view key = raw.substr(i + 1, sc.i - i - 2);
        if (!jscan::plain(key)) return false;  // "typ\u0065" is "type": the tree reads such keys
        i = jscan::skip_ws(raw, sc.i);
        if (i >= raw.size() || raw[i] != ':') return false;
        i = jscan::skip_ws(raw, i + 1);
        if (i >= raw.size()) return false;

        const std::size_t mark = scratch_.size();
        sc.i = sc.run = i;
        sc.nkeys = 0;
        sc.emitted = false;
        if (!sc.value(kMaxJsonDepth - 1) || sc.handback) return false;
        // A duplicate key is left to the tree: the last value at the first place.
        const std::size_t slot = key_index(key);
        if (slot < kKnownKeys) {
            if (at[slot] != kMaxMembers) return false;
            at[slot] = members_.size();
        } else {
            for (const Member& other : members_)
                if (!other.known && other.key == key) return false;
            if (!bus_event) bus_event = is_bus_event_key(key);
        }
        // Written in place, field by field: a Member composed on the stack and
        // copied in was read back before its stores had landed (a stall per key).
        Member& m = members_.emplace_back();
        m.key = key;
        m.known = slot < kKnownKeys;
        m.claimed = false;
        m.in_scratch = sc.emitted;
        if (sc.emitted) {
            sc.flush(sc.i);
            m.at = static_cast<std::uint32_t>(mark);
            m.size = static_cast<std::uint32_t>(scratch_.size() - mark);
        } else {
            m.at = static_cast<std::uint32_t>(i);
            m.size = static_cast<std::uint32_t>(sc.i - i);
        }

        i = jscan::skip_ws(raw, sc.i);
        if (i < raw.size() && raw[i] == ',') {
            i = jscan::skip_ws(raw, i + 1);
            if (i >= raw.size() || raw[i] == '}') return false;
        } else if (i >= raw.size() || raw[i] != '}') {
            return false;
        }
    }
    if (i >= raw.size() || jscan::skip_ws(raw, i + 1) != raw.size()) return false;

    auto token = [&](std::size_t slot) -> std::string_view {
        if (at[slot] == kMaxMembers) return {};
        const Member& m = members_[at[slot]];
        return m.in_scratch ? std::string_view(scratch_).substr(m.at, m.size) : raw.substr(m.at, m.size);
    };
    Shape shape = bus_event ? Shape::bus_event : Shape::rbus;
    if (at[kType] == kMaxMembers && at[kEventType] != kMaxMembers) {  // the legacy dict
        shape = Shape::legacy;
        at[kType] = std::exchange(at[kEventType], kMaxMembers);
        if (at[kRequestId] == kMaxMembers) at[kRequestId] = std::exchange(at[kCorrelationId], kMaxMembers);
    }
    at[kEventType] = at[kCorrelationId] = kMaxMembers;  // otherwise plain unknown keys

    // Anything the tree would call invalid is left to it, for its reason.
    const std::string_view type = token(kType), id = token(kId), priority = token(kPriority);
    if (!is_string_token(type) || type.size() == 2) return false;
    if (!id.empty() && !is_string_token(id)) return false;
    if (!priority.empty() && priority != "null" && !is_priority_token(priority)) return false;
    for (std::size_t k : {kRequestId, kSourceAgentId, kWorkspaceId})
        if (std::string_view t = token(k); !t.empty() && t != "null" && !is_string_token(t)) return false;

    std::array<char, 2 + TimestampFormatter::kLength> ts_buf;
    std::string_view timestamp = token(kTimestamp);
    if (is_string_token(timestamp)) {
        std::string_view body = timestamp.substr(1, timestamp.size() - 2);
        if (!jscan::plain(body)) {
            decoded_.clear();
            jscan::decode_string(timestamp, decoded_);
            body = decoded_;
        }
        if (utc_micros_as_canonical(body, ts_buf.data())) {
            timestamp = std::string_view(ts_buf.data(), ts_buf.size());
        } else if (!is_canonical_timestamp(body)) {
            if (auto t = parse_timestamp(body)) {
                ts_buf.front() = ts_buf.back() = '"';
                clock_.format(*t, ts_buf.data() + 1);
                timestamp = std::string_view(ts_buf.data(), ts_buf.size());
            }
        }
    }

    // The envelope: the known keys in order, then the rest as received.
    text_.clear();
    text_.reserve(raw.size() + 192);
    std::array<std::size_t, kCanonicalKeys> where, size;  // put() sets every slot
    static constexpr std::array<std::string_view, kCanonicalKeys> kOpen = {
        R"({"id":)", R"(,"type":)", R"(,"payload":)", R"(,"priority":)", R"(,"request_id":)",
        R"(,"source_agent_id":)", R"(,"workspace_id":)", R"(,"timestamp":)"};
    auto put = [&](std::size_t slot, std::string_view value) {
        text_.append(kOpen[slot]);
        where[slot] = text_.size();
        size[slot] = value.size();
        text_ += value;
    };
    if (!id.empty()) {
        put(kId, id);
    } else {  // the same id for the same bytes, in every reader
        std::array<char, 38> v5;
        v5.front() = v5.back() = '"';
        const std::string derived = uuid_v5(raw);
        derived.copy(v5.data() + 1, 36);
        put(kId, std::string_view(v5.data(), v5.size()));
    }
    put(kType, type);
    put(kPayload, at[kPayload] != kMaxMembers ? token(kPayload) : "{}");
    put(kPriority, priority.empty() || priority == "null" ? R"("normal")" : priority);
    for (std::size_t k : {kRequestId, kSourceAgentId, kWorkspaceId}) put(k, at[k] != kMaxMembers ? token(k) : "null");
    put(kTimestamp, timestamp.empty() ? "null" : timestamp);
    for (std::size_t k = 0; k < kCanonicalKeys; ++k)
        if (at[k] != kMaxMembers) members_[at[k]].claimed = true;
    for (const Member& u : members_) {
        if (u.claimed) continue;
        text_.append(R"(,")");
        text_.append(u.key);
        text_.append(R"(":)");
        text_.append(u.in_scratch ? std::string_view(scratch_).substr(u.at, u.size) : raw.substr(u.at, u.size));
    }
    text_ += '}';

    // Built from the spans at once (not default-constructed, then overwritten).
    auto span = [&](std::size_t k) { return std::string_view(text_).substr(where[k], size[k]); };
    static_assert(kCanonicalKeys == 8);
    const std::array<std::string_view, kCanonicalKeys> tokens{span(0), span(1), span(2), span(3),
                                                              span(4), span(5), span(6), span(7)};
    result_.shape = shape;
    return set_event_fields(result_.event, text_, tokens, fields_);
}

}  // namespace rbus
