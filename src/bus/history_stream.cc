#include "bus/history_stream.h"

#include <fmt/format.h>

#include "redis/connection.h"
#include "base/error.h"

namespace rbus {
namespace {

[[noreturn]] void bad_shape(std::string_view what) {
    throw ProtocolError(fmt::format("unexpected reply to {}", what));
}

bool is_string_reply(const redisReply* r) {
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

}  // namespace

std::string_view StreamEntry::field(std::string_view name) const {
    if (!fields) return {};
    for (std::size_t i = 0; i + 1 < fields->elements; i += 2)
        if (reply_text(fields->element[i]) == name) return reply_text(fields->element[i + 1]);
    return {};
}

void parse_entries(const redisReply* array, std::vector<StreamEntry>& out, std::string_view what) {
    if (!array || array->type != REDIS_REPLY_ARRAY) bad_shape(what);
    for (std::size_t i = 0; i < array->elements; ++i) {
        const redisReply* e = array->element[i];
        if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !is_string_reply(e->element[0])) bad_shape(what);
        const redisReply* f = e->element[1];
        if (!f) bad_shape(what);
        StreamEntry entry;
        entry.id = reply_text(e->element[0]);
        if (f->type == REDIS_REPLY_ARRAY) {
            if (f->elements % 2 != 0) bad_shape(what);
            for (std::size_t k = 0; k < f->elements; ++k)
                if (!is_string_reply(f->element[k])) bad_shape(what);
            entry.fields = f;
        } else if (f->type != REDIS_REPLY_NIL) {
            bad_shape(what);
        }
        out.push_back(entry);
    }
}

void parse_read_reply(const redisReply* reply, std::vector<KeyedEntry>& out, std::string_view what) {
    if (!reply || reply->type == REDIS_REPLY_NIL) return;
    if (reply->type != REDIS_REPLY_ARRAY) bad_shape(what);
    std::vector<StreamEntry> entries;
    for (std::size_t i = 0; i < reply->elements; ++i) {
        const redisReply* s = reply->element[i];
        if (!s || s->type != REDIS_REPLY_ARRAY || s->elements != 2 || !is_string_reply(s->element[0])) bad_shape(what);
        entries.clear();
        parse_entries(s->element[1], entries, what);
        for (const StreamEntry& e : entries) out.push_back(KeyedEntry{reply_text(s->element[0]), e});
    }
}

}  // namespace rbus
