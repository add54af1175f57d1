// StreamCursor over the fake transport: pages asked for ahead, several cursors
// on one connection taking their replies in the order asked, errors.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "base/error.h"
#include "base/uuid.h"
#include "bus/history_cursor.h"
#include "redis/connection.h"
#include "redis/fake_transport.h"

using namespace rbus;
using rbus::testing::FakeTransport;

namespace {

std::string cursor_bulk(std::string_view s) { return fmt::format("${}\r\n{}\r\n", s.size(), s); }

std::string cursor_env(std::string_view id, std::string_view ts) {
    return fmt::format(R"({{"id":"{}","type":"a.b","payload":{{}},"priority":"normal","request_id":null,"source_agent_id":null,"workspace_id":null,"timestamp":"{}"}})",
                       id, ts);
}

// An XRANGE reply: entries (stream id, envelope); an empty envelope is a deleted entry (nil fields).
std::string cursor_page(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string out = fmt::format("*{}\r\n", entries.size());
    for (const auto& [id, env] : entries) {
        out += "*2\r\n" + cursor_bulk(id);
        out += env.empty() ? std::string("*-1\r\n") : "*2\r\n" + cursor_bulk("envelope") + cursor_bulk(env);
    }
    return out;
}

struct CursorRig {
    FakeTransport* transport;
    std::unique_ptr<Connection> conn;
    std::unique_ptr<StreamPages> pages;
    ReplayRange range;
    explicit CursorRig(std::deque<std::string> replies) {
        auto t = std::make_unique<FakeTransport>();
        t->chunks = std::move(replies);
        transport = t.get();
        conn = std::make_unique<Connection>(std::move(t));
        pages = std::make_unique<StreamPages>(*conn, std::chrono::milliseconds(1000));
    }
};

std::vector<std::string> cursor_ids(StreamCursor& c) {
    std::vector<std::string> ids;
    ReplayHead h;
    while (c.next(h)) ids.emplace_back(h.id);
    return ids;
}

}  // namespace

TEST_CASE("stream cursor: two streams on one connection, next pages asked for ahead, replies taken in order") {
    std::string a1 = cursor_page({{"1-0", cursor_env("a1", "2026-11-26T16:00:01.000000Z")},
                                  {"2-0", cursor_env("a2", "2026-11-26T16:00:02.000000Z")}});
    std::string b1 = cursor_page({{"5-0", cursor_env("b1", "2026-11-26T16:00:01.500000")}, {"6-0", ""}});
    std::string b2 = cursor_page({});
    std::string a2 = cursor_page({{"3-0", "not json"}});
    // Asked: a's first, b's first, a's second (ahead), b's second (ahead).
    CursorRig rig({a1, b1, a2, b2});
    StreamCursor a(*rig.pages, "rbus:history:{a}", "a", "", rig.range, 2, true);
    StreamCursor b(*rig.pages, "rbus:history:{b}", "b", "", rig.range, 2, true);
    a.start();
    b.start();
    rig.pages->send();
    a.first_page();
    b.first_page();
    CHECK(a.entries() == 2);
    CHECK(b.entries() == 2);
    ReplayHead h;
    REQUIRE(b.next(h));
    CHECK(h.id == "b1");
    CHECK(h.channel == "b");
    CHECK(h.timestamp == "2026-11-26T16:00:01.500000Z");  // normalised for the merge
    REQUIRE(h.read != nullptr);
    CHECK_FALSE(b.next(h));  // the deleted entry is skipped; b's second page is empty
    CHECK(cursor_ids(a) == std::vector<std::string>{"a1", "a2", uuid_v5("not json")});
    CHECK(a.entries() == 3);
    const std::string& sent = rig.transport->sent;
    std::size_t first_a = sent.find(fmt::format("$5\r\nCOUNT\r\n$1\r\n2\r\n"));
    CHECK(first_a != std::string::npos);
    CHECK(sent.find("$4\r\n(2-0\r\n") != std::string::npos);  // a's next page from past its last id
    CHECK(sent.find("$4\r\n(6-0\r\n") != std::string::npos);  // b's too, the deleted entry's id included
    CHECK(sent.find("$4\r\n(2-0\r\n") < sent.find("$4\r\n(6-0\r\n"));
    CHECK(rig.transport->chunks.empty());
}

TEST_CASE("stream cursor: errors, ASKING, and no read-ahead") {
    SUBCASE("a key of the wrong type fails on its first page") {
        CursorRig rig({"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"});
        StreamCursor c(*rig.pages, "rbus:history:{x}", "x", "", rig.range, 10, true);
        c.start();
        try {
            c.first_page();
            FAIL("no error");
        } catch (const UsageError& e) {
            CHECK(std::string(e.what()) == "history key rbus:history:{x} is not a stream");
        }
    }
    SUBCASE("another error reply is a ReplyError with its text (a redirect the caller follows)") {
        CursorRig rig({"-MOVED 1234 127.0.0.1:7001\r\n"});
        StreamCursor c(*rig.pages, "rbus:history:{x}", "x", "", rig.range, 10, true);
        c.start();
        CHECK_THROWS_WITH_AS(c.first_page(), "MOVED 1234 127.0.0.1:7001", ReplyError);
    }
    SUBCASE("ASKING before each page on an importing node") {
        std::string p1 = cursor_page({{"1-0", cursor_env("a", "2026-11-26T16:00:01Z")}});
        CursorRig rig({"+OK\r\n", p1, "+OK\r\n", cursor_page({})});
        StreamCursor c(*rig.pages, "rbus:history:{x}", "x", "", rig.range, 1, false, true);
        c.start();
        c.first_page();
        CHECK(cursor_ids(c) == std::vector<std::string>{"a"});
        const std::string& sent = rig.transport->sent;
        CHECK(sent.find("ASKING") < sent.find("XRANGE"));
        CHECK(sent.rfind("ASKING") > sent.find("XRANGE"));  // asked again for the second page
    }
    SUBCASE("a refused ASKING names the node") {
        CursorRig rig({"-ERR unknown command\r\n", "-MOVED 1 127.0.0.1:1\r\n"});
        StreamCursor c(*rig.pages, "rbus:history:{x}", "x", "", rig.range, 1, false, true);
        c.start();
        CHECK_THROWS_WITH_AS(c.first_page(), "fake:0 refused ASKING: ERR unknown command", ReplyError);
    }
    SUBCASE("without read-ahead the next page is asked for only when this one is used up") {
        std::string p1 = cursor_page({{"1-0", cursor_env("a", "2026-11-26T16:00:01Z")}});
        CursorRig rig({p1, cursor_page({})});
        StreamCursor c(*rig.pages, "rbus:history:{x}", "x", "", rig.range, 1, false);
        c.start();
        c.first_page();
        CHECK(rig.transport->sent.find("(1-0") == std::string::npos);
        CHECK(cursor_ids(c) == std::vector<std::string>{"a"});
        CHECK(rig.transport->sent.find("(1-0") != std::string::npos);
    }
}

TEST_CASE("stream cursor: pages sized by bytes, so large envelopes never make a reply past the connection's bound") {
    auto entries = [](int from, int n) {  // each about 1 kB
        std::vector<std::pair<std::string, std::string>> page;
        for (int i = from; i < from + n; ++i)
            page.emplace_back(fmt::format("{}-0", i + 1),
                              cursor_env(fmt::format("e{}-{}", i, std::string(900, 'x')), "2026-11-26T16:00:01Z"));
        return page;
    };
    CursorRig rig({cursor_page(entries(0, 1)), cursor_page(entries(1, 2)), cursor_page(entries(3, 1))});
    StreamCursor c(*rig.pages, "rbus:history:{x}", "x", "", rig.range, 1000, true, false, 2500);
    c.start();
    c.first_page();
    const std::string& sent = rig.transport->sent;
    // The first page is one entry (whatever its size, it alone fits the bound), not 1,000.
    CHECK(sent.find("$5\r\nCOUNT\r\n$1\r\n1\r\n") != std::string::npos);
    CHECK(sent.find("$5\r\nCOUNT\r\n$1\r\n2\r\n") != std::string::npos);  // then 2 x ~1 kB in 2,500 bytes
    CHECK(cursor_ids(c).size() == 4);
}

// The COUNTs of the XRANGEs sent, in order.
std::vector<int> asked_counts(const std::string& sent) {
    std::vector<int> counts;
    const std::string mark = "$5\r\nCOUNT\r\n$";
    for (std::size_t at = sent.find(mark); at != std::string::npos; at = sent.find(mark, at + 1)) {
        std::size_t body = sent.find("\r\n", at + mark.size()) + 2;
        counts.push_back(std::stoi(sent.substr(body, sent.find("\r\n", body) - body)));
    }
    return counts;
}

// A page's bytes in pieces, as a socket gives them (a whole frame in one read is never past the bound).
std::deque<std::string> in_pieces(const std::string& page) {
    std::deque<std::string> pieces;
    for (std::size_t at = 0; at < page.size(); at += 1000) pieces.push_back(page.substr(at, 1000));
    return pieces;
}

TEST_CASE("stream cursor: small entries, then large ones: a page past the bound is skipped and asked again smaller") {
    auto entries = [](int from, int n, std::size_t pad) {
        std::vector<std::pair<std::string, std::string>> page;
        for (int i = from; i < from + n; ++i)
            page.emplace_back(fmt::format("{}-0", i + 1),
                              cursor_env(fmt::format("e{}{}", i, std::string(pad, 'x')), "2026-11-26T16:00:01Z"));
        return page;
    };
    // A first entry of ~150 bytes sizes the next page at a dozen entries
    // (2,000 bytes / ~150), but those are ~1.2 kB each: past the 8 kB bound.
    // Skipped, asked again for an eighth: the entries that come then are read.
    std::deque<std::string> replies{cursor_page(entries(0, 1, 0))};
    for (std::string& piece : in_pieces(cursor_page(entries(1, 16, 1100)))) replies.push_back(std::move(piece));
    replies.push_back(cursor_page(entries(1, 1, 1100)));
    replies.push_back(cursor_page({}));
    CursorRig rig(std::move(replies));
    rig.conn->set_max_reply_bytes(8 * 1024);
    StreamCursor c(*rig.pages, "rbus:history:{x}", "x", "", rig.range, 1000, true, false, 2000);
    c.start();
    c.first_page();
    std::vector<std::string> ids = cursor_ids(c);
    REQUIRE(ids.size() == 2);
    CHECK(ids[0] == "e0");
    CHECK(ids[1].rfind("e1x", 0) == 0);
    std::vector<int> counts = asked_counts(rig.transport->sent);
    REQUIRE(counts.size() >= 3);
    CHECK(counts[0] == 1);
    CHECK(counts[1] > 8);                            // sized by the small first entry
    CHECK(counts[2] == std::max(counts[1] / 8, 1));  // asked again for an eighth
}

TEST_CASE("stream cursor: one entry past the bound alone ends the replay, naming the stream") {
    CursorRig rig(in_pieces(cursor_page({{"1-0", cursor_env("e" + std::string(9000, 'x'), "2026-11-26T16:00:01Z")}})));
    rig.conn->set_max_reply_bytes(8 * 1024);
    StreamCursor c(*rig.pages, "rbus:history:{x}", "x", "", rig.range, 1000, true);
    c.start();
    CHECK_THROWS_WITH_AS(c.first_page(), "an entry of rbus:history:{x} at its start is larger than 8192 bytes: not read",
                         ProtocolError);
}

TEST_CASE("stream cursor under the merge: the next entry read ahead, the one handed out keeps its views") {
    std::string p1 = cursor_page({{"1-0", cursor_env("e1", "2026-11-26T16:00:01.000000")},
                                  {"2-0", ""},  // deleted: skipped when reading ahead too
                                  {"3-0", "not json"},
                                  {"4-0", cursor_env("e4", "2026-11-26T16:00:04.000000Z")}});
    std::string p2 = cursor_page({{"5-0", cursor_env("e5", "2026-11-26T16:00:05.000000Z")}});
    CursorRig rig({p1, p2});
    StreamCursor c(*rig.pages, "rbus:history:{a}", "a", "", rig.range, 4, true);
    IdSet ids;
    ids.reserve(16);
    c.look_ahead(ids);
    c.start();
    rig.pages->send();
    c.first_page();
    ReplayHead first, second;
    REQUIRE(c.next(first));
    // Copies of what the first head said, checked after the next entry was read.
    std::string id = std::string(first.id), ts = std::string(first.timestamp), body = std::string(first.body);
    REQUIRE(first.read != nullptr);
    std::string type = std::string(first.read->event.type);
    CHECK(id == "e1");
    CHECK(ts == "2026-11-26T16:00:01.000000Z");  // normalised, in its own buffer
    REQUIRE(c.next(second));  // "not json": its v5 id, no reading
    CHECK(second.read == nullptr);
    CHECK(second.id == uuid_v5("not json"));
    CHECK(second.timestamp.empty());
    ReplayHead third;
    REQUIRE(c.next(third));
    CHECK(third.id == "e4");
    CHECK(third.read->event.type == "a.b");
    CHECK(second.id == uuid_v5("not json"));  // the one before still holds until the next call
    CHECK(c.next(third));  // the next page: nothing read ahead across it
    CHECK(third.id == "e5");
    CHECK_FALSE(c.next(third));
    CHECK(c.entries() == 5);
    CHECK(type == "a.b");
    CHECK(body == cursor_env("e1", "2026-11-26T16:00:01.000000"));
}

TEST_CASE("page sizer: as many as fit the bytes by what each took so far, within [1, most]; a reply past the bound shrinks it") {
    rbus::PageSizer sizer(4000, 100);
    CHECK(sizer.next() == 100);  // nothing seen: the most
    sizer.seen(10, 400);         // 40 bytes each
    CHECK(sizer.next() == 100);
    sizer.seen(10, 7600);  // 20 entries, 8000 bytes: 400 each
    CHECK(sizer.next() == 10);
    sizer.seen(1, 100000);  // one large entry: never below one
    CHECK(sizer.next() == 1);

    rbus::PageSizer small_first(4000, 1000);
    small_first.seen(100, 1000);  // 10 bytes each
    CHECK(small_first.next() == 400);
    // 400 asked for came past a 32,000-byte bound: an eighth asked again, and
    // what each may take (80 bytes) counts from now on.
    CHECK(small_first.shrink(400, 32000) == 50);
    CHECK(small_first.next() == 50);
    CHECK(small_first.shrink(1, 32000) == 1);
}
