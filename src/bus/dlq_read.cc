#include "bus/dlq_read.h"

#include <fnmatch.h>

#include <algorithm>
#include <functional>
#include <set>

#include <fmt/format.h>

#include "base/error.h"
#include "bus/history_stream.h"
#include "redis/crc16.h"

namespace rbus {
namespace {

std::string text_of(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<long long> field_number(std::string_view s) {
    if (s.empty()) return std::nullopt;
    try {
        return std::stoll(std::string(s));
    } catch (...) {
        return std::nullopt;
    }
}

}  // namespace

std::optional<DlqEntry> parse_raptorbus_record(std::string_view key, std::string_view json) {
    Json j = Json::parse(json, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    DlqEntry e;
    e.source = DlqEntry::Source::raptorbus;
    e.ref = std::string(key);
    e.original_channel = text_of(j, "original_channel");
    e.reason = text_of(j, "reason");
    e.error_details = text_of(j, "error_details");
    e.failed_at = normalize_timestamp(text_of(j, "timestamp")).value_or(text_of(j, "timestamp"));
    auto ev = j.find("event");
    if (ev != j.end() && ev->is_string()) e.envelope = ev->get<std::string>();
    else if (ev != j.end() && ev->is_object()) e.envelope = ev->dump();
    return e;
}

Json dlq_json(const DlqEntry& e) {
    Json d = Json::object();
    bool rbus = e.source == DlqEntry::Source::rbus;
    d["source"] = rbus ? "rbus" : "raptorbus";
    d[rbus ? "entry" : "key"] = e.ref.empty() ? Json(nullptr) : Json(e.ref);  // an announcement names no key
    d["reason"] = e.reason;
    d["original_channel"] = e.original_channel;
    d["failed_at"] = e.failed_at.empty() ? Json(nullptr) : Json(e.failed_at);
    d["deliveries"] = e.deliveries ? Json(*e.deliveries) : Json(nullptr);
    d["group"] = e.group.empty() ? Json(nullptr) : Json(e.group);
    d["consumer"] = e.consumer.empty() ? Json(nullptr) : Json(e.consumer);
    d["exit_status"] = e.exit_status ? Json(*e.exit_status) : Json(nullptr);
    d["error_details"] = e.error_details.empty() ? Json(nullptr) : Json(e.error_details);
    return d;
}

std::string dlq_line(const DlqEntry& e) {
    ReadResult r = e.envelope.empty() ? ReadResult{} : read_envelope(e.envelope);
    Json out = r.ok() ? r.envelope->json() : Json::object();
    out["dlq"] = dlq_json(e);
    return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool dlq_selected(const DlqEntry& e, const DlqSelection& sel) {
    if (!sel.reasons.empty() && std::find(sel.reasons.begin(), sel.reasons.end(), e.reason) == sel.reasons.end())
        return false;
    if (sel.range.since || sel.range.until) {
        auto at = parse_timestamp(e.failed_at);
        if (!at) return false;
        if (sel.range.since && *at < *sel.range.since) return false;
        if (sel.range.until && *at > *sel.range.until) return false;
    }
    if (!sel.type_globs.empty()) {
        ReadResult r = e.envelope.empty() ? ReadResult{} : read_envelope(e.envelope);
        if (!r.ok()) return false;
        std::string type(r.envelope->type());
        bool any = false;
        for (const std::string& g : sel.type_globs) any = any || fnmatch(g.c_str(), type.c_str(), 0) == 0;
        if (!any) return false;
    }
    return true;
}

namespace {

// Reads {ns}:dlq page by page (run: XRANGE where the key lives), then
// RaptorBus's records: found by `scan_each` (SCAN on each node), read by `get_values`.
class DlqGather {
public:
    DlqGather(const DlqSelection& sel) : sel_(sel) {}

    // One XRANGE page; false after the last one.
    bool take_page(const redisReply* page, std::string& start) {
        std::vector<StreamEntry> entries;
        parse_entries(page, entries, "XRANGE");
        for (const StreamEntry& s : entries) {
            DlqEntry e;
            e.ref = std::string(s.id);
            e.envelope = std::string(s.envelope());
            e.reason = std::string(s.field("reason"));
            e.original_channel = std::string(s.field("channel"));
            e.failed_at = std::string(s.field("failed_at"));
            e.group = std::string(s.field("group"));
            e.consumer = std::string(s.field("consumer"));
            e.stream = std::string(s.field("stream"));
            e.error_details = std::string(s.field("error_details"));
            e.raptorbus_key = std::string(s.field("raptorbus_key"));
            if (!e.raptorbus_key.empty()) announced_.insert(e.raptorbus_key);
            e.deliveries = field_number(s.field("deliveries"));
            if (auto x = field_number(s.field("exit_status"))) e.exit_status = static_cast<int>(*x);
            if (dlq_selected(e, sel_)) out_.push_back(std::move(e));
        }
        if (entries.size() < 1000) return false;
        start = "(" + std::string(entries.back().id);
        return true;
    }
    // One RaptorBus record (nil: expired since the SCAN).
    void take_record(std::string_view key, const redisReply* value) {
        if (!value || value->type != REDIS_REPLY_STRING) return;
        if (announced_.count(std::string(key))) return;
        auto e = parse_raptorbus_record(key, reply_text(value));
        if (e && dlq_selected(*e, sel_)) out_.push_back(std::move(*e));
    }
    std::vector<DlqEntry> sorted() {
        std::stable_sort(out_.begin(), out_.end(),
                         [](const DlqEntry& a, const DlqEntry& b) { return a.failed_at < b.failed_at; });
        return std::move(out_);
    }

private:
    const DlqSelection& sel_;
    std::vector<DlqEntry> out_;
    std::set<std::string> announced_;  // RaptorBus records that rbus's own moves wrote: shown once, as rbus's
};

Reply xrange_dlq(const std::function<Reply(const std::vector<std::string_view>&)>& run, const HistoryKeys& keys,
                 const std::string& start) {
    try {
        return run({"XRANGE", keys.dlq(), start, "+", "COUNT", "1000"});
    } catch (const ReplyError& e) {
        if (std::string_view(e.what()).rfind("WRONGTYPE", 0) == 0)
            throw UsageError(fmt::format("DLQ key {} is not a stream", keys.dlq()));
        throw;
    }
}

// SCAN of one node for RaptorBus's records; each page handed to `page`.
void scan_records(Connection& conn, std::chrono::milliseconds timeout,
                  const std::function<void(const redisReply* keys)>& page) {
    std::string cursor = "0";
    do {
        Reply r = conn.command({"SCAN", cursor, "MATCH", "dlq:sys.dlq.*", "COUNT", "1000", "TYPE", "string"}, timeout);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) throw ProtocolError("unexpected reply to SCAN");
        cursor.assign(reply_text(r->element[0]));
        if (r->element[1]->elements > 0) page(r->element[1]);
    } while (cursor != "0");
}

}  // namespace

std::vector<DlqEntry> read_dlq(Connection& conn, const HistoryKeys& keys, const DlqSelection& sel,
                               std::chrono::milliseconds timeout) {
    DlqGather g(sel);
    std::string start = "-";
    auto run = [&](const std::vector<std::string_view>& args) { return conn.command(args, timeout); };
    while (g.take_page(xrange_dlq(run, keys, start).get(), start)) {
    }
    scan_records(conn, timeout, [&](const redisReply* ks) {
        std::vector<std::string_view> args{"MGET"};
        for (std::size_t i = 0; i < ks->elements; ++i) args.push_back(reply_text(ks->element[i]));
        Reply v = conn.command(args, timeout);
        for (std::size_t i = 0; i < v->elements && i < ks->elements; ++i)
            g.take_record(reply_text(ks->element[i]), v->element[i]);
    });
    return g.sorted();
}

std::vector<DlqEntry> read_dlq(ClusterSlots& cluster, const HistoryKeys& keys, const DlqSelection& sel) {
    DlqGather g(sel);
    std::string start = "-";
    int slot = hash_slot(keys.dlq());
    auto run = [&](const std::vector<std::string_view>& args) { return cluster.command(slot, args); };
    while (g.take_page(xrange_dlq(run, keys, start).get(), start)) {
    }
    for (const HostPort& master : cluster.masters()) {
        scan_records(cluster.node(master), cluster.reply_timeout(), [&](const redisReply* ks) {
            std::vector<SlotCommand> gets;  // the records are in different slots: no MGET
            for (std::size_t i = 0; i < ks->elements; ++i)
                gets.push_back(slot_command(reply_text(ks->element[i]), {"GET", reply_text(ks->element[i])}));
            std::vector<SlotResult> values = cluster.run(gets);
            for (std::size_t i = 0; i < values.size(); ++i) {
                if (!values[i].ok())
                    throw ReplyError(fmt::format("cannot read {}: {}", reply_text(ks->element[i]), values[i].error));
                g.take_record(reply_text(ks->element[i]), values[i].reply.get());
            }
        });
    }
    return g.sorted();
}

}  // namespace rbus
