#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "subscribe/exec_handler.h"
#include "redis/fake_transport.h"
#include "subscribe/group_keepalive.h"

using namespace rbus;
using rbus::testing::FakeTransport;
using std::chrono::milliseconds;

TEST_CASE("a running event is kept every quarter of --claim-idle, at least every second") {
    CHECK(keepalive_interval(milliseconds(60000)) == milliseconds(1000));  // a short --claim-idle elsewhere in the group
    CHECK(keepalive_interval(milliseconds(2000)) == milliseconds(500));
    CHECK(keepalive_interval(milliseconds(500)) == milliseconds(125));
    CHECK(keepalive_interval(milliseconds(1)) == milliseconds(10));
}

TEST_CASE("keeping an entry: one script, XCLAIM JUSTID only while it is still this consumer's") {
    CHECK(std::string(keepalive_script()).find("'JUSTID'") != std::string::npos);  // the delivery count stays
    CHECK(std::string(keepalive_script()).find("XPENDING") < std::string(keepalive_script()).find("XCLAIM"));
    for (auto [reply, kept] : {std::pair{":1\r\n", true}, std::pair{":0\r\n", false}}) {
        auto t = std::make_unique<FakeTransport>();
        FakeTransport* fake = t.get();
        fake->chunks = {reply};
        Connection conn(std::move(t));
        CHECK(keep_entry(conn, "rbus:history:{a.b}", "g", "c1", "5-0", milliseconds(1000)) == kept);
        CHECK(fake->sent.rfind("*7\r\n$4\r\nEVAL\r\n", 0) == 0);
        CHECK(fake->sent.find("$1\r\n1\r\n$18\r\nrbus:history:{a.b}\r\n$1\r\ng\r\n$2\r\nc1\r\n$3\r\n5-0\r\n") !=
              std::string::npos);
    }
}

TEST_CASE("the heartbeat is called while the handler runs") {
    char tmpl[] = "/tmp/rbus-beat-test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    std::string flag = std::string(tmpl) + "/third-beat";
    // The handler ends only once the third beat came; the run's deadline ends it otherwise.
    ExecHandler h("while [ ! -e " + flag + " ]; do sleep 0.01; done",
                  ExecLimits{milliseconds(0), deadline_after(milliseconds(30000))});
    int beats = 0;
    h.set_heartbeat(milliseconds(10), [&] {
        if (++beats == 3) std::fclose(std::fopen(flag.c_str(), "w"));
    });
    HandlerResult r = h.run("{}", {});
    CHECK(r.ok());
    CHECK(beats >= 3);
    std::remove(flag.c_str());
    ::rmdir(tmpl);
}
