#include <doctest/doctest.h>

#include <fmt/format.h>

#include "redis/connection.h"
#include "base/error.h"
#include "redis/fake_transport.h"
#include "bus/history_merge.h"
#include "bus/history_stream.h"

using namespace rbus;
using rbus::testing::FakeTransport;

namespace {

// A reply as the server would send it, read by the real reader.
Reply replay_reply(std::string resp) {
    auto t = std::make_unique<FakeTransport>();
    t->chunks = {std::move(resp)};
    Connection conn(std::move(t));
    Reply r = conn.read_reply(std::nullopt);
    REQUIRE(r);
    return r;
}

std::string replay_bulk(std::string_view s) { return fmt::format("${}\r\n{}\r\n", s.size(), s); }

std::string replay_entry(std::string_view id, std::string_view envelope) {
    return "*2\r\n" + replay_bulk(id) + "*2\r\n" + replay_bulk("envelope") + replay_bulk(envelope);
}

std::string replay_env(std::string_view id, std::string_view ts) {
    return fmt::format(R"({{"id":"{}","type":"a.b","payload":{{}},"priority":"normal","request_id":null,"source_agent_id":null,"workspace_id":null,"timestamp":"{}"}})",
                       id, ts);
}

SystemTime replay_at(std::string_view ts) { return *parse_timestamp(ts); }

// What the merge handed out, copied (the views hold only until the next event).
struct Replayed {
    std::string id, timestamp, body;
};

std::vector<Replayed> replay_all(ReplayMerge& m, const std::vector<ReplaySource*>& sources, std::size_t stop_after = 0) {
    std::vector<Replayed> out;
    m.deliver(sources, [&](const ReplayHead& h) {
        out.push_back({std::string(h.id), std::string(h.timestamp), std::string(h.body)});
        return stop_after == 0 || out.size() < stop_after;
    });
    return out;
}

// A source read as it goes, as a stream cursor is: its ids are not the merge's yet.
using Events = std::vector<std::pair<std::string, std::string>>;

class ListedSource final : public ReplaySource {
public:
    explicit ListedSource(Events events) : events_(std::move(events)) {}
    bool next(ReplayHead& h) override {
        if (at_ == events_.size()) return false;
        const auto& [id, ts] = events_[at_++];
        h = ReplayHead{"ch", "", id, id, ts, nullptr};
        return true;
    }

private:
    Events events_;
    std::size_t at_ = 0;
};

}  // namespace

TEST_CASE("stream replies: XRANGE entries and XREADGROUP's keyed entries, deleted entries as nil") {
    Reply r = replay_reply("*2\r\n" + replay_entry("1-0", "{\"x\":1}") + "*2\r\n" + replay_bulk("2-0") + "$-1\r\n");
    std::vector<StreamEntry> out;
    parse_entries(r.get(), out, "XRANGE");
    REQUIRE(out.size() == 2);
    CHECK(out[0].id == "1-0");
    CHECK(out[0].envelope() == "{\"x\":1}");
    CHECK(out[0].field("reason") == "");
    CHECK(out[1].fields == nullptr);
    CHECK(out[1].envelope() == "");

    Reply g = replay_reply("*1\r\n*2\r\n" + replay_bulk("rbus:history:{a.b}") + "*1\r\n" + replay_entry("5-1", "e"));
    std::vector<KeyedEntry> keyed;
    parse_read_reply(g.get(), keyed, "XREADGROUP");
    REQUIRE(keyed.size() == 1);
    CHECK(keyed[0].key == "rbus:history:{a.b}");
    CHECK(keyed[0].entry.id == "5-1");
    Reply nil = replay_reply("*-1\r\n");
    keyed.clear();
    parse_read_reply(nil.get(), keyed, "XREADGROUP");
    CHECK(keyed.empty());

    Reply bad = replay_reply("*1\r\n:5\r\n");
    CHECK_THROWS_AS(parse_entries(bad.get(), out, "XRANGE"), ProtocolError);
    Reply odd = replay_reply("*1\r\n*2\r\n" + replay_bulk("1-0") + "*1\r\n" + replay_bulk("envelope"));
    CHECK_THROWS_AS(parse_entries(odd.get(), out, "XRANGE"), ProtocolError);
}

TEST_CASE("--since / --until: durations, timestamps and stream IDs become XRANGE bounds") {
    SystemTime now = replay_at("2026-11-26T16:10:30Z");
    ReplayRange r = parse_replay_range("5m", "", now);
    CHECK(r.start == "1795709130000");
    CHECK(r.end == "+");
    CHECK(*r.since == replay_at("2026-11-26T16:05:30Z"));
    CHECK_FALSE(r.until_given);

    r = parse_replay_range("2026-11-26T16:00:00.5Z", "1795709430000-3", now);
    CHECK(r.start == "1795708800500");
    CHECK(r.end == "1795709430000-3");
    CHECK(r.until_given);
    CHECK(*r.until == SystemTime(std::chrono::milliseconds(1795709430000)));

    r = parse_replay_range("0", "1m", now);  // "0" is a stream ID: from the beginning
    CHECK(r.start == "0");
    CHECK(r.end == "1795709370000");  // milliseconds alone: that millisecond's last entry

    // A bare number that is no recorded time: epoch seconds, a unitless duration, --until 0 for now.
    for (const char* bare : {"1764587000", "5", "99999999999"}) {
        CHECK_THROWS_AS(parse_replay_range(bare, "", now), UsageError);
        CHECK_THROWS_AS(parse_replay_range("0", bare, now), UsageError);
    }
    CHECK_THROWS_AS(parse_replay_range("0", "0", now), UsageError);
    try {
        parse_replay_range("1764587000", "", now);
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()) ==
              "invalid --since \"1764587000\": a bare number is a stream ID's milliseconds (1970-01-21T10:09:47.000000Z); "
              "give a duration with its unit (5m, 0s for now), an RFC 3339 timestamp, or 0 for the beginning");
    }
    CHECK(parse_replay_range("100000000000", "", now).start == "100000000000");  // 1973: a time
    CHECK(parse_replay_range("5-1", "", now).start == "5-1");  // an ID written whole is taken as given
    CHECK(parse_replay_range("00", "", now).start == "00");  // zero written so: the beginning too
    CHECK_THROWS_AS(parse_replay_range("1796124683294-18446744073709551616", "", now), UsageError);  // past 2^64 - 1
    CHECK(parse_replay_range("1796124683294-18446744073709551615", "", now).start == "1796124683294-18446744073709551615");

    CHECK_THROWS_AS(parse_replay_range("yesterday", "", now), UsageError);
    CHECK_THROWS_AS(parse_replay_range("1m", "5m", now), UsageError);  // until before since
    try {
        parse_replay_range("", "soon", now);
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()).find("invalid --until \"soon\"") == 0);
    }
}

TEST_CASE("replay merge: each id once, in timestamp order, stream order kept for ties") {
    ReplayMerge m;
    std::string a = replay_env("id-a", "2026-11-26T16:00:02.000000Z"), b = replay_env("id-b", "2026-11-26T16:00:01.000000Z");
    std::string c = replay_env("id-c", "2026-11-26T16:00:02.000000Z");
    std::string bus_event =  // RaptorBus's BusEvent: naive timestamp, extra keys
        R"({"id":"id-d","type":"a.b","payload":{},"priority":"normal","request_id":null,"source_agent_id":"x","timestamp":"2026-11-26T16:00:01.500000","version":"1.0","retry_count":0,"max_retries":3,"destination_guild":null})";
    CHECK(m.add("ch", a, "", nullptr));
    CHECK(m.add("ch", c, "", nullptr));
    CHECK(m.add("ch", b, "", nullptr));
    CHECK_FALSE(m.add("ch", a, "", nullptr));  // the same event from a second source
    CHECK(m.add("ch", bus_event, "", nullptr));
    CHECK(m.collected("id-a"));
    CHECK_FALSE(m.collected("id-z"));
    auto run = m.take_run(true);
    auto items = replay_all(m, {run.get()});
    REQUIRE(items.size() == 4);
    CHECK(items[0].id == "id-b");
    CHECK(items[1].id == "id-d");
    CHECK(items[1].timestamp == "2026-11-26T16:00:01.500000Z");
    CHECK(items[2].id == "id-a");
    CHECK(items[3].id == "id-c");
    CHECK(m.replayed("id-c"));  // ids are kept for the live part
}

TEST_CASE("replay merge: msg: keys are filtered by envelope time, id-less messages get their v5 id") {
    ReplayRange range = parse_replay_range("2026-11-26T16:00:00Z", "2026-11-26T16:01:00Z", replay_at("2026-11-26T17:00:00Z"));
    ReplayMerge m;
    CHECK_FALSE(m.add("ch", replay_env("old", "2026-11-26T15:59:59.999999Z"), "", &range));
    CHECK(m.add("ch", replay_env("in", "2026-11-26T16:00:30.000000Z"), "", &range));
    CHECK_FALSE(m.add("ch", replay_env("late", "2026-11-26T16:01:00.000001Z"), "", &range));
    // No time: cannot be placed in the range, so kept (an invalid one is
    // reported, never dropped without a word), first in its run.
    CHECK(m.add("ch", "not json", "", &range));
    CHECK(m.add("ch", R"({"id":"untimed","type":"a.b","payload":{}})", "", &range));
    auto kept = m.take_run(true);
    auto in_range = replay_all(m, {kept.get()});
    REQUIRE(in_range.size() == 3);
    CHECK(in_range[0].body == "not json");  // invalid: read again for its reason when delivered
    CHECK(in_range[1].id == "untimed");
    CHECK(in_range[2].id == "in");
    ReplayMerge open;
    CHECK(open.add("ch", R"({"event_type":"a.b","payload":{}})", "", nullptr));
    auto run = open.take_run(true);
    auto items = replay_all(open, {run.get()});
    REQUIRE(items.size() == 1);
    CHECK(items[0].id.size() == 36);
}

TEST_CASE("replay merge: ids and times stay readable past many adds, sorted input stays as it came") {
    ReplayMerge m;
    std::vector<std::string> bodies;
    for (int i = 0; i < 5000; ++i)  // ids and times fill several of the merge's store chunks
        bodies.push_back(replay_env(fmt::format("id-{:05}-{}", i, std::string(40, 'x')),
                                    fmt::format("2026-11-26T{:02}:{:02}:{:02}.000000Z", 10 + i / 3600, i / 60 % 60, i % 60)));
    for (const std::string& b : bodies) CHECK(m.add("ch", b, "", nullptr));
    for (int i = 0; i < 5000; i += 499) CHECK(m.collected(fmt::format("id-{:05}-{}", i, std::string(40, 'x'))));
    auto run = m.take_run(true);
    auto items = replay_all(m, {run.get()});
    REQUIRE(items.size() == 5000);
    for (std::size_t i = 0; i < items.size(); ++i) {
        CHECK(items[i].body == bodies[i]);
        CHECK(items[i].id == fmt::format("id-{:05}-{}", i, std::string(40, 'x')));
    }
}

TEST_CASE("replay merge: each event is kept as the reader read it, so delivering it reads nothing again") {
    ReplayMerge m;
    std::vector<std::string> bodies = {
        replay_env("id-plain", "2026-11-26T16:00:01.000000Z"),
        // BusEvent: the normalised text differs from the body (naive time, extra keys, spacing)
        R"({"id": "id-bus", "type": "a.b", "payload": {"k": [1, 2]}, "priority": "high", "request_id": null, "source_agent_id": "ag\u00e9nt", "timestamp": "2026-11-26T16:00:02", "version": "1.0"})",
        // escapes in the fields: decoded strings live apart from the text
        R"({"id":"id-\u0041","type":"a.\"b\"","payload":{},"priority":"low","request_id":"r\n1","source_agent_id":null,"workspace_id":"w\\s","timestamp":"2026-11-26T16:00:03.000000Z"})",
        "not json",
    };
    for (const std::string& b : bodies) CHECK(m.add("ch", b, "", nullptr));
    auto run = m.take_run(true);
    EnvelopeReader fresh;
    std::vector<Replayed> items;
    m.deliver({run.get()}, [&](const ReplayHead& h) {
        items.push_back({std::string(h.id), std::string(h.timestamp), std::string(h.body)});
        const EventRead& want = fresh.read(h.body);
        if (!want.ok()) {
            CHECK(h.read == nullptr);  // invalid: read again when delivered, for its reason
            return true;
        }
        REQUIRE(h.read != nullptr);
        const EventRead& kept = *h.read;
        CHECK(kept.ok());
        CHECK(kept.shape == want.shape);
        CHECK(kept.full_read == want.full_read);
        const EventView &k = kept.event, &w = want.event;
        CHECK(k.text == w.text);
        CHECK(k.payload == w.payload);
        CHECK(k.id == w.id);
        CHECK(k.id == h.id);
        CHECK(k.type == w.type);
        CHECK(k.priority_text == w.priority_text);
        CHECK(k.priority == w.priority);
        CHECK(k.request_id == w.request_id);
        CHECK(k.source_agent_id == w.source_agent_id);
        CHECK(k.workspace_id == w.workspace_id);
        CHECK(k.timestamp == w.timestamp);
        return true;
    });
    REQUIRE(items.size() == bodies.size());
    CHECK(items[0].body == "not json");  // no time: first
    CHECK(items[2].id == "id-bus");
    CHECK(items[2].body == bodies[1]);  // --raw prints the body as it was recorded
    CHECK(items[2].timestamp == "2026-11-26T16:00:02.000000Z");
    CHECK(items[3].id == "id-A");
}

TEST_CASE("replay merge: sources merged by timestamp, each in its own order, each id once") {
    ReplayMerge m;
    // A stream read whole, kept in its own order even where its times go back.
    CHECK(m.add("ch", replay_env("s-2", "2026-11-26T16:00:02.000000Z"), "", nullptr));
    CHECK(m.add("ch", replay_env("s-1", "2026-11-26T16:00:01.000000Z"), "", nullptr));
    CHECK(m.add("ch", replay_env("s-3", "2026-11-26T16:00:03.000000Z"), "", nullptr));
    auto stream = m.take_run(false);
    // msg: keys, found in no order: sorted.
    CHECK(m.add("ch", replay_env("k-25", "2026-11-26T16:00:02.500000Z"), "", nullptr));
    CHECK(m.add("ch", replay_env("k-15", "2026-11-26T16:00:01.500000Z"), "", nullptr));
    auto keys = m.take_run(true);
    // A stream read as it goes: s-3 again (a second mirror's copy), and one of its own.
    ListedSource live({{"s-3", "2026-11-26T16:00:03.000000Z"}, {"l-4", "2026-11-26T16:00:04.000000Z"}});
    auto got = replay_all(m, {stream.get(), keys.get(), &live});
    std::vector<std::string> ids;
    for (const Replayed& r : got) ids.push_back(r.id);
    CHECK(ids == std::vector<std::string>{"k-15", "s-2", "s-1", "k-25", "s-3", "l-4"});
    CHECK(m.replayed("l-4"));  // remembered as handed out: the live part skips it

    // A msg: key's copy of a stream's event (the same time): the stream's, in
    // the stream's order, even where msg: keys of equal times came in another.
    ReplayMerge both;
    CHECK(both.add("ch", replay_env("e-2", "2026-11-26T16:00:01.000000Z"), "", nullptr));
    CHECK(both.add("ch", replay_env("e-1", "2026-11-26T16:00:01.000000Z"), "", nullptr));
    auto msg_keys = both.take_run(true);
    ListedSource in_stream({{"e-1", "2026-11-26T16:00:01.000000Z"}, {"e-2", "2026-11-26T16:00:01.000000Z"}});
    got = replay_all(both, {&in_stream, msg_keys.get()});
    REQUIRE(got.size() == 2);
    CHECK(got[0].id == "e-1");
    CHECK(got[1].id == "e-2");

    ReplayMerge tie;  // equal times: the earlier source first
    ListedSource first(Events{{"a", "2026-11-26T16:00:01.000000Z"}}), second(Events{{"b", "2026-11-26T16:00:01.000000Z"}});
    got = replay_all(tie, {&second, &first});
    REQUIRE(got.size() == 2);
    CHECK(got[0].id == "b");
}

TEST_CASE("replay merge: delivery stops when asked, and only what was handed out is remembered") {
    ReplayMerge m;
    ListedSource one({{"a", "t1"}, {"b", "t2"}, {"c", "t3"}}), two(Events{{"d", "t15"}});
    auto got = replay_all(m, {&one, &two}, 2);
    REQUIRE(got.size() == 2);
    CHECK(got[0].id == "a");
    CHECK(got[1].id == "d");
    CHECK(m.replayed("d"));
    CHECK_FALSE(m.replayed("c"));
    ReplayMerge single;  // one source: its order, its duplicates dropped
    ListedSource dup({{"x", "t2"}, {"x", "t2"}, {"y", "t1"}});
    got = replay_all(single, {&dup});
    REQUIRE(got.size() == 2);
    CHECK(got[1].id == "y");
}

TEST_CASE("replay merge in steps: resume goes on after the event it stopped at, or offers it again") {
    // What the merge hands out when each resume() stops after `step` events,
    // every other stop taking the last event back (offer_again) instead.
    auto in_steps = [](const std::vector<ReplaySource*>& sources, ReplayMerge& m, std::size_t step) {
        std::vector<std::string> ids;
        m.begin(sources);
        bool more = true, take_back = false;
        while (more) {
            std::size_t n = 0;
            more = m.resume([&](const ReplayHead& h) {
                if (++n < step) {
                    ids.emplace_back(h.id);
                    return true;
                }
                take_back = !take_back;
                if (!take_back) ids.emplace_back(h.id);
                return false;
            });
            if (more && take_back) m.offer_again();
        }
        return ids;
    };
    for (std::size_t step : {1, 2, 3, 10}) {
        CAPTURE(step);
        ReplayMerge several;
        ListedSource one({{"a", "t1"}, {"b", "t3"}, {"c", "t5"}}), two({{"d", "t2"}, {"b", "t3"}, {"e", "t6"}});
        CHECK(in_steps({&one, &two}, several, step) == std::vector<std::string>{"a", "d", "b", "c", "e"});
        CHECK(several.replayed("e"));
        ReplayMerge single;
        ListedSource only({{"x", "t1"}, {"x", "t1"}, {"y", "t2"}, {"z", "t3"}});
        CHECK(in_steps({&only}, single, step) == std::vector<std::string>{"x", "y", "z"});
    }
    ReplayMerge done;  // at the end: nothing more, whatever is asked
    ListedSource empty(Events{});
    done.begin({&empty});
    CHECK_FALSE(done.resume([](const ReplayHead&) { return true; }));
    done.offer_again();
    CHECK_FALSE(done.resume([](const ReplayHead&) { return true; }));
}

TEST_CASE("stream_id_before: where a group starts so that it reads the entry at --since's ID itself") {
    CHECK(stream_id_before("1700000000000-5") == "1700000000000-4");
    CHECK(stream_id_before("1700000000000-0") == "1699999999999-18446744073709551615");
    CHECK(stream_id_before("1700000000000") == "1699999999999-18446744073709551615");  // milliseconds alone: its -0
    CHECK(stream_id_before("0-1") == "0-0");
    CHECK(stream_id_before("0") == "0");
    CHECK(stream_id_before("0-0") == "0");
    CHECK(stream_id_before("-") == "0");
    // --since as a time gives the millisecond's first entry: the group reads it too.
    ReplayRange r = parse_replay_range("2026-11-26T16:10:30Z", "", std::chrono::system_clock::now());
    CHECK(stream_id_before(r.start) == "1795709429999-18446744073709551615");
}
