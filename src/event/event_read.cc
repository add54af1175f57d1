#include "event/event_read.h"

#include "json/json_scan.h"

namespace rbus {

bool set_event_fields(EventView& view, std::string_view text, const std::array<std::string_view, 8>& tokens,
                      std::string& storage) {
    std::size_t need = 0;
    for (std::string_view t : tokens) need += t.size();
    storage.clear();
    storage.reserve(need);  // decoded text is never longer than its token: the views stay put
    bool ok = true;
    auto str = [&](std::string_view token) -> std::string_view {
        if (token.size() < 2 || token.front() != '"') {
            ok = false;
            return {};
        }
        std::string_view body = token.substr(1, token.size() - 2);
        if (jscan::plain(body)) return body;
        const std::size_t at = storage.size();
        ok = jscan::decode_string(token, storage) && ok;
        return std::string_view(storage).substr(at);
    };
    auto optional = [&](std::string_view token) -> std::optional<std::string_view> {
        if (token.empty() || token.front() != '"') return std::nullopt;
        return str(token);
    };
    view.text = text;
    view.id = str(tokens[0]);
    view.type = str(tokens[1]);
    view.payload = tokens[2];
    view.priority_text = str(tokens[3]);
    view.request_id = optional(tokens[4]);
    view.source_agent_id = optional(tokens[5]);
    view.workspace_id = optional(tokens[6]);
    view.timestamp = optional(tokens[7]);
    auto p = parse_priority(view.priority_text);
    if (p) view.priority = *p;
    return ok && p && !view.payload.empty();
}

bool index_envelope_text(std::string_view text, EventView& view, std::string& storage) {
    static constexpr std::array<std::string_view, 8> kKeys = {
        "id", "type", "payload", "priority", "request_id", "source_agent_id", "workspace_id", "timestamp"};
    std::array<std::string_view, 8> tokens;
    std::size_t n = 0;
    if (text.empty() || text.front() != '{') return false;
    jscan::for_each_member(text, [&](std::string_view key, jscan::Value v) {
        if (key != kKeys[n]) return false;
        tokens[n++] = v.text;
        return n < kKeys.size();
    });
    return n == kKeys.size() && set_event_fields(view, text, tokens, storage);
}

void EnvelopeReader::full_read(std::string_view raw) {
    ReadResult r = read_envelope(raw);
    result_.shape = r.shape;
    if (!r.ok()) {
        result_.error = r.error;
        return;
    }
    text_ = r.envelope->dump();
    if (!index_envelope_text(text_, result_.event, fields_)) result_.error = "unreadable message";
}

const EventRead& EnvelopeReader::read(std::string_view raw) {
    result_.error.clear();
    result_.full_read = false;
    if (one_pass(raw)) {
        ++one_pass_;
    } else {
        ++full_;
        result_.full_read = true;
        full_read(raw);
    }
    return result_;
}

}  // namespace rbus
