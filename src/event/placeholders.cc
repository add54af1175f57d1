#include "event/placeholders.h"

#include <string_view>

#include "base/timestamp.h"
#include "base/uuid.h"

namespace rbus {

PayloadTemplate::PayloadTemplate(Json payload) : payload_(std::move(payload)) {
    scan(payload_, Json::json_pointer());
}

void PayloadTemplate::scan(const Json& node, const Json::json_pointer& where) {
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) scan(it.value(), where / it.key());
        return;
    }
    if (node.is_array()) {
        for (std::size_t i = 0; i < node.size(); ++i) scan(node[i], where / i);
        return;
    }
    if (!node.is_string()) return;
    const std::string& s = node.get_ref<const std::string&>();
    if (s.find("{{") == std::string::npos) return;

    static constexpr std::pair<std::string_view, Part> kNames[] = {
        {"{{seq}}", Part::seq}, {"{{uuid}}", Part::uuid}, {"{{now}}", Part::now}};
    Slot slot{where, {}};
    std::string text;
    bool any = false;
    for (std::size_t i = 0; i < s.size();) {
        bool matched = false;
        for (auto [name, part] : kNames) {
            if (std::string_view(s).substr(i, name.size()) != name) continue;
            if (!text.empty()) slot.pieces.push_back({Part::text, std::move(text)});
            text.clear();
            slot.pieces.push_back({part, {}});
            uses_uuid_ = uses_uuid_ || part == Part::uuid;
            uses_now_ = uses_now_ || part == Part::now;
            i += name.size();
            matched = any = true;
            break;
        }
        if (!matched) text += s[i++];
    }
    if (!any) return;
    if (!text.empty()) slot.pieces.push_back({Part::text, std::move(text)});
    slots_.push_back(std::move(slot));
}

Json PayloadTemplate::render(const PlaceholderValues& values) const {
    Json out = payload_;
    if (slots_.empty()) return out;
    const std::string seq = std::to_string(values.seq);
    for (const Slot& slot : slots_) {
        std::string s;
        for (const Piece& p : slot.pieces) {
            switch (p.part) {
                case Part::text: s += p.text; break;
                case Part::seq: s += seq; break;
                case Part::uuid: s += values.uuid; break;
                case Part::now: s += values.now; break;
            }
        }
        out[slot.where] = std::move(s);
    }
    return out;
}

Json PayloadTemplate::render(std::uint64_t seq) const {
    PlaceholderValues v;
    v.seq = seq;
    if (uses_uuid_) v.uuid = uuid_v4();
    if (uses_now_) v.now = now_timestamp();
    return render(v);
}

}  // namespace rbus
