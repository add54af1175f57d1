#include <doctest/doctest.h>

#include <string>

#include "redis/push_frame.h"

using namespace rbus;
using Kind = PushFrame::Kind;

namespace {
std::string bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }
std::string message(std::string_view channel, std::string_view data) {
    return "*3\r\n" + bulk("message") + bulk(channel) + bulk(data);
}
std::string pmessage(std::string_view pattern, std::string_view channel, std::string_view data) {
    return "*4\r\n" + bulk("pmessage") + bulk(pattern) + bulk(channel) + bulk(data);
}
}  // namespace

TEST_CASE("a message frame is read in place") {
    std::string data = "{\"id\":\"x\",\"text\":\"with\\r\\nCRLF\r\n inside\"}";
    std::string frame = message("raptorflow.events.a.b", data);
    std::string buffered = frame + "*3\r\n";  // views into it must outlive the checks
    PushFrame f = next_push_frame(buffered);
    CHECK(f.kind == Kind::message);
    CHECK(f.size == frame.size());
    CHECK(f.channel == "raptorflow.events.a.b");
    CHECK(f.data == data);
    CHECK(f.pattern.empty());

    std::string empty_frame = message("c", "");
    PushFrame empty = next_push_frame(empty_frame);
    CHECK(empty.kind == Kind::message);
    CHECK(empty.data.empty());
}

TEST_CASE("a pmessage frame carries its pattern") {
    std::string frame = pmessage("raptorflow.events.*", "raptorflow.events.a.b", "{}");
    PushFrame f = next_push_frame(frame);
    CHECK(f.kind == Kind::message);
    CHECK(f.size == frame.size());
    CHECK(f.pattern == "raptorflow.events.*");
    CHECK(f.channel == "raptorflow.events.a.b");
    CHECK(f.data == "{}");
}

TEST_CASE("every prefix of a frame is incomplete") {
    for (const std::string& frame : {message("ch", "{\"a\":1}"), pmessage("c*", "ch", "xyz"),
                                     std::string("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"),
                                     std::string("-ERR wrong\r\n"), std::string(":12\r\n")}) {
        for (std::size_t n = 0; n < frame.size(); ++n) {
            INFO("frame ", frame, " cut at ", n);
            CHECK(next_push_frame(std::string_view(frame).substr(0, n)).kind == Kind::incomplete);
        }
        CHECK(next_push_frame(frame).kind != Kind::incomplete);
        CHECK(next_push_frame(frame).size == frame.size());
    }
}

TEST_CASE("other frames are measured for hiredis") {
    std::string confirm = "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n";
    PushFrame f = next_push_frame(confirm + message("ch", "x"));
    CHECK(f.kind == Kind::other);
    CHECK(f.size == confirm.size());

    std::string pong = "*2\r\n$4\r\npong\r\n$0\r\n\r\n";
    CHECK(next_push_frame(pong).kind == Kind::other);
    CHECK(next_push_frame(pong).size == pong.size());
    CHECK(next_push_frame("-ERR no\r\n").size == 9);
    CHECK(next_push_frame("+OK\r\n").size == 5);
    CHECK(next_push_frame("$-1\r\n").size == 5);
    CHECK(next_push_frame("*-1\r\n").size == 5);
    std::string nested = "*2\r\n*2\r\n:1\r\n:2\r\n$1\r\nx\r\n";
    CHECK(next_push_frame(nested).size == nested.size());
    // A message-looking frame with a null bulk is not a message: measured, handed to hiredis.
    std::string odd = "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$-1\r\n";
    CHECK(next_push_frame(odd).kind == Kind::other);
    CHECK(next_push_frame(odd).size == odd.size());
}

TEST_CASE("bytes that are not RESP are malformed") {
    CHECK(next_push_frame("hello\r\n").kind == Kind::malformed);
    // A status line must end in CRLF, as the hiredis reader expects: a bare LF is not RESP.
    CHECK(next_push_frame("+OK\n").kind == Kind::malformed);
    CHECK(next_push_frame("*2\r\n+a\n+b\r\n").kind == Kind::malformed);
    CHECK(next_push_frame("+OK\r\n").kind != Kind::malformed);
    CHECK(next_push_frame("$x\r\n").kind == Kind::malformed);
    CHECK(next_push_frame("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nxy\r\n").kind == Kind::malformed);
}

TEST_CASE("an incomplete frame says how long its length headers make it") {
    PushFrame f = next_push_frame("*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$9999999999\r\nxx");
    CHECK(f.kind == Kind::incomplete);
    CHECK(f.needed == 37 + 9999999999ULL + 2);
    PushFrame g = next_push_frame("$9999999999\r\nxx");
    CHECK(g.kind == Kind::incomplete);
    CHECK(g.needed == 13 + 9999999999ULL + 2);
    CHECK(next_push_frame("*3\r\n$7\r\nmessage\r\n$99").needed == 0);  // no whole header yet
}
