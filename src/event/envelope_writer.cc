#include "event/envelope_writer.h"

#include "json/json_canon.h"
#include "json/json_scan.h"

namespace rbus {
namespace {

std::string json_string(std::string_view s) { return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string json_string_or_null(const std::optional<std::string>& v) { return v ? json_string(*v) : std::string("null"); }

}  // namespace

EnvelopeWriter::EnvelopeWriter(const EnvelopeFields& base) {
    EnvelopeFields check = base;
    check.payload = Json::object();
    check.timestamp.reset();
    (void)Envelope::create(std::move(check));  // the same rules, the same errors

    type_part_ = "\",\"type\":" + json_string(base.type) + ",\"payload\":";
    rest_part_ = ",\"priority\":" + json_string(priority_name(base.priority)) +
                 ",\"request_id\":" + json_string_or_null(base.request_id) +
                 ",\"source_agent_id\":" + json_string_or_null(base.source_agent_id) +
                 ",\"workspace_id\":" + json_string_or_null(base.workspace_id) + ",\"timestamp\":\"";
}

bool EnvelopeWriter::append(std::string& out, std::string_view payload_line, std::string_view id,
                            std::string_view timestamp) const {
    // Envelope::create allows kMaxJsonDepth - 1 levels in the payload: the envelope adds one.
    bool canonical = false;
    auto v = jscan::scan(payload_line, canonical, nullptr, kMaxJsonDepth - 1);
    if (!v || v->kind != jscan::Kind::object) return false;
    const std::size_t start = out.size();
    out.append("{\"id\":\"").append(id).append(type_part_);
    if (canonical) {
        out.append(v->text);  // already as nlohmann prints it
    } else if (!append_canonical_json(out, v->text)) {
        out.resize(start);
        return false;
    }
    out.append(rest_part_).append(timestamp).append("\"}");
    return true;
}

}  // namespace rbus
