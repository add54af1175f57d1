#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "app/context.h"
#include "base/error.h"
#include "redis/fake_transport.h"
#include "redis/sentinel.h"

using namespace rbus;
using rbus::testing::FakeTransport;

namespace {

// A connection whose server answers with `bytes`, then has nothing more.
std::unique_ptr<Connection> scripted(std::vector<std::string> replies) {
    auto t = std::make_unique<FakeTransport>();
    for (auto& r : replies) t->chunks.push_back(std::move(r));
    return std::make_unique<Connection>(std::move(t));
}

Reply reply_of(const std::string& bytes) {
    auto conn = scripted({bytes});
    return conn->read_reply(std::nullopt);
}

std::string addr_reply(const std::string& host, const std::string& port) {
    return "*2\r\n$" + std::to_string(host.size()) + "\r\n" + host + "\r\n$" + std::to_string(port.size()) + "\r\n" +
           port + "\r\n";
}
const std::string kNil = "*-1\r\n";
const std::string kMaster = "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n";
const std::string kReplica = "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:10\r\n";

// A scripted world: what each sentinel and node says, and who was asked.
struct World {
    // host:port → replies, one script per connection opened (in order);
    // missing: connection refused.
    std::map<std::string, std::vector<std::string>> sentinels, nodes;
    std::vector<std::string> log;
    int pauses = 0;
    int max_pauses = 100;

    SentinelIo io() {
        SentinelIo io;
        io.open_sentinel = [this](const HostPort& hp) { return open(sentinels, "sentinel", hp); };
        io.open_node = [this](const HostPort& hp) { return open(nodes, "node", hp); };
        io.pause = [this](std::chrono::milliseconds) { return ++pauses <= max_pauses; };
        io.command_timeout = std::chrono::milliseconds(100);
        return io;
    }

    std::unique_ptr<Connection> open(std::map<std::string, std::vector<std::string>>& where, const char* kind,
                                     const HostPort& hp) {
        std::string key = format_host_port(hp);
        log.push_back(std::string(kind) + " " + key);
        auto it = where.find(key);
        if (it == where.end() || it->second.empty())
            throw ConnectError("cannot connect to " + key + ": Connection refused");
        std::string script = it->second.front();
        if (it->second.size() > 1) it->second.erase(it->second.begin());  // the last one repeats
        return scripted({script});
    }
};

const std::vector<HostPort> kTwo = {{"10.0.0.1", 26379}, {"10.0.0.2", 26379}};

}  // namespace

TEST_CASE("get-master-addr-by-name replies") {
    auto hp = parse_master_addr_reply(reply_of(addr_reply("127.0.0.1", "6380")).get());
    REQUIRE(hp);
    CHECK(hp->host == "127.0.0.1");
    CHECK(hp->port == 6380);
    CHECK_FALSE(parse_master_addr_reply(reply_of(kNil).get()));
    CHECK_FALSE(parse_master_addr_reply(reply_of("$-1\r\n").get()));
    CHECK_THROWS_AS(parse_master_addr_reply(reply_of(addr_reply("h", "0")).get()), ProtocolError);
    CHECK_THROWS_AS(parse_master_addr_reply(reply_of(addr_reply("h", "65536")).get()), ProtocolError);
    CHECK_THROWS_AS(parse_master_addr_reply(reply_of(addr_reply("h", "63a")).get()), ProtocolError);
    CHECK_THROWS_AS(parse_master_addr_reply(reply_of(addr_reply("", "6379")).get()), ProtocolError);
    CHECK_THROWS_AS(parse_master_addr_reply(reply_of("+OK\r\n").get()), ProtocolError);
    CHECK_THROWS_AS(parse_master_addr_reply(reply_of("*1\r\n$1\r\nh\r\n").get()), ProtocolError);
}

TEST_CASE("ROLE replies and addresses") {
    CHECK(parse_role_reply(reply_of(kMaster).get()) == "master");
    CHECK(parse_role_reply(reply_of(kReplica).get()) == "slave");
    CHECK_THROWS_AS(parse_role_reply(reply_of(":1\r\n").get()), ProtocolError);
    CHECK_THROWS_AS(parse_role_reply(reply_of("*0\r\n").get()), ProtocolError);
    CHECK(format_host_port({"127.0.0.1", 6379}) == "127.0.0.1:6379");
    CHECK(format_host_port({"::1", 6380}) == "[::1]:6380");
}

TEST_CASE("the first sentinel that knows the master answers") {
    World w;
    w.sentinels["10.0.0.2:26379"] = {addr_reply("10.0.0.9", "6379")};
    w.nodes["10.0.0.9:6379"] = {kMaster};
    ResolvedMaster m = resolve_master(kTwo, "m", std::chrono::milliseconds(1000), w.io());
    CHECK(format_host_port(m.address) == "10.0.0.9:6379");
    CHECK(m.sentinel == "10.0.0.2:26379");
    REQUIRE(m.conn);
    CHECK(w.log == std::vector<std::string>{"sentinel 10.0.0.1:26379", "sentinel 10.0.0.2:26379", "node 10.0.0.9:6379"});
    // The sentinel was asked by name; the node was asked its role.
    auto& sent = static_cast<FakeTransport&>(m.conn->transport()).sent;
    CHECK(sent.find("ROLE") != std::string::npos);
}

TEST_CASE("the command sent to the sentinel") {
    // Records what was written, beyond the connection's lifetime.
    struct Recording : FakeTransport {
        std::string* out = nullptr;
        void write_all(std::string_view data, Deadline d) override {
            out->append(data);
            FakeTransport::write_all(data, d);
        }
    };
    std::string sent;
    World w;
    SentinelIo io = w.io();
    io.open_sentinel = [&](const HostPort&) {
        auto t = std::make_unique<Recording>();
        t->out = &sent;
        t->chunks.push_back(kNil);
        return std::make_unique<Connection>(std::move(t));
    };
    SentinelAnswer a = ask_sentinels({{"s", 1}}, "my-master", io);
    CHECK(sent == "*3\r\n$8\r\nSENTINEL\r\n$23\r\nget-master-addr-by-name\r\n$9\r\nmy-master\r\n");
    CHECK(a.any_reachable);
    CHECK_FALSE(a.master);
    REQUIRE(a.notes.size() == 1);
    CHECK(a.notes[0] == "sentinel s:1 does not know a master named \"my-master\"");
}

TEST_CASE("an unknown master name is an error naming every sentinel asked") {
    World w;
    w.sentinels["10.0.0.1:26379"] = {kNil};
    w.sentinels["10.0.0.2:26379"] = {kNil};
    try {
        resolve_master(kTwo, "nope", std::chrono::milliseconds(1000), w.io());
        FAIL("no error");
    } catch (const ConnectError& e) {
        std::string msg = e.what();
        CHECK(msg.find("cannot resolve master \"nope\"") != std::string::npos);
        CHECK(msg.find("10.0.0.1:26379 does not know a master named \"nope\"") != std::string::npos);
        CHECK(msg.find("10.0.0.2:26379 does not know") != std::string::npos);
        CHECK(e.exit_code() == kExitUnreachable);
    }
    CHECK(w.pauses == 0);  // not a transient state: no retry
}

TEST_CASE("no sentinel reachable") {
    World w;
    try {
        resolve_master(kTwo, "m", std::chrono::milliseconds(1000), w.io());
        FAIL("no error");
    } catch (const ConnectError& e) {
        std::string msg = e.what();
        CHECK(msg.find("no sentinel answered for master \"m\"") != std::string::npos);
        CHECK(msg.find("cannot connect to 10.0.0.1:26379") != std::string::npos);
        CHECK(msg.find("cannot connect to 10.0.0.2:26379") != std::string::npos);
    }
    CHECK(w.pauses == 0);
}

TEST_CASE("a sentinel that is not a sentinel is skipped") {
    World w;
    w.sentinels["10.0.0.1:26379"] = {"-ERR unknown command 'SENTINEL'\r\n"};
    w.sentinels["10.0.0.2:26379"] = {addr_reply("10.0.0.9", "6379")};
    w.nodes["10.0.0.9:6379"] = {kMaster};
    CHECK(resolve_master(kTwo, "m", std::chrono::milliseconds(1000), w.io()).sentinel == "10.0.0.2:26379");
    SentinelAnswer a = ask_sentinels(kTwo, "m", w.io());
    CHECK(a.notes.size() == 1);
    CHECK(a.notes[0].find("sentinel 10.0.0.1:26379 refused: ERR unknown command") == 0);
}

TEST_CASE("during a failover: a replica, then the new master") {
    World w;
    // The sentinel first names the old master (now a replica), then the new one.
    w.sentinels["10.0.0.1:26379"] = {addr_reply("10.0.0.8", "6379"), addr_reply("10.0.0.9", "6379")};
    w.nodes["10.0.0.8:6379"] = {kReplica};
    w.nodes["10.0.0.9:6379"] = {kMaster};
    ResolvedMaster m = resolve_master({kTwo[0]}, "m", std::chrono::milliseconds(5000), w.io());
    CHECK(format_host_port(m.address) == "10.0.0.9:6379");
    CHECK(w.pauses == 1);
}

TEST_CASE("a master that stays down: the error says what was tried, after the deadline") {
    World w;
    w.sentinels["10.0.0.1:26379"] = {addr_reply("10.0.0.8", "6379")};
    w.max_pauses = 3;  // the pause stands in for time passing: stop after three rounds
    try {
        resolve_master({kTwo[0]}, "m", std::chrono::milliseconds(60000), w.io());
        FAIL("no error");
    } catch (const ConnectError& e) {
        std::string msg = e.what();
        CHECK(msg.find("no master \"m\" found") != std::string::npos);
        CHECK(msg.find("master 10.0.0.8:6379 (named by sentinel 10.0.0.1:26379): cannot connect") != std::string::npos);
    }
    CHECK(w.pauses == 4);
    // A zero budget: one round, no pause.
    World once;
    once.sentinels["10.0.0.1:26379"] = {addr_reply("10.0.0.8", "6379")};
    once.nodes["10.0.0.8:6379"] = {kReplica};
    try {
        resolve_master({kTwo[0]}, "m", std::chrono::milliseconds(0), once.io());
        FAIL("no error");
    } catch (const ConnectError& e) {
        CHECK(std::string(e.what()).find("10.0.0.8:6379 (named by sentinel 10.0.0.1:26379) is a replica") !=
              std::string::npos);
    }
    CHECK(once.pauses == 0);
}

TEST_CASE("ROLE refused by an ACL: the sentinel's word stands") {
    World w;
    w.sentinels["10.0.0.1:26379"] = {addr_reply("10.0.0.9", "6379")};
    w.nodes["10.0.0.9:6379"] = {"-NOPERM this user has no permissions to run the 'role' command\r\n"};
    CHECK(format_host_port(resolve_master({kTwo[0]}, "m", std::chrono::milliseconds(100), w.io()).address) ==
          "10.0.0.9:6379");
}

TEST_CASE("the sentinels' password: file > environment; the URL's stays the data nodes'") {
    CommonOptions o;
    o.url = "redis+sentinel://u:data-pw@s1,s2:5000/m/1";
    Context c = resolve_context(o, env_from_map({}));
    CHECK(c.connect.url.password == "data-pw");
    CHECK(c.connect.sentinel_password.empty());
    CHECK(c.sources["sentinel-password"] == "none");
    std::string described = describe_context(c);
    CHECK(described.find("\"sentinel_password\":null") != std::string::npos);

    auto env = env_from_map({{"RAPTORBUS_SENTINEL_PASSWORD", "env-pw"}});
    c = resolve_context(o, env);
    CHECK(c.connect.sentinel_password == "env-pw");
    CHECK(c.sources["sentinel-password"] == "RAPTORBUS_SENTINEL_PASSWORD");
    described = describe_context(c);
    CHECK(described.find("env-pw") == std::string::npos);
    CHECK(described.find("data-pw") == std::string::npos);
    CHECK(described.find("\"sentinel_password\":\"***\"") != std::string::npos);

    std::string path = "sentinel_test_pw.txt";
    std::ofstream(path) << "file-pw\n";
    o.sentinel_password_file = path;
    c = resolve_context(o, env);
    std::remove(path.c_str());
    CHECK(c.connect.sentinel_password == "file-pw");
    CHECK(c.sources["sentinel-password"] == "--sentinel-password-file");
    o.sentinel_password_file = "/nonexistent/sentinel-pw";
    CHECK_THROWS_AS(resolve_context(o, env), UsageError);
}

TEST_CASE("a PING tick's check: has the master moved away from this connection?") {
    SentinelAnswer a;
    CHECK_FALSE(moved_master(a, "10.0.0.1:6379"));  // no sentinel knew: keep the connection
    a.master = HostPort{"10.0.0.1", 6379};
    CHECK_FALSE(moved_master(a, "10.0.0.1:6379"));
    CHECK_FALSE(moved_master(a, "10.0.0.1:6379 (TLS)"));
    CHECK(moved_master(a, "10.0.0.2:6379") == std::optional<std::string>("10.0.0.1:6379"));
    CHECK(moved_master(a, "10.0.0.1:6380 (TLS)") == std::optional<std::string>("10.0.0.1:6379"));
    a.master = HostPort{"::1", 6379};
    CHECK_FALSE(moved_master(a, "[::1]:6379"));
}

TEST_CASE("the sentinel whose master checked out is asked first: an unreachable one costs one round, not every tick") {
    World w;
    w.sentinels["10.0.0.2:26379"] = {addr_reply("10.0.0.9", "6379")};
    w.nodes["10.0.0.9:6379"] = {kMaster};
    SentinelIo io = w.io();
    io.last_answered = std::make_shared<std::string>();
    ResolvedMaster m = resolve_master(kTwo, "m", std::chrono::milliseconds(1000), io);
    CHECK(m.sentinel == "10.0.0.2:26379");
    CHECK(w.log == std::vector<std::string>{"sentinel 10.0.0.1:26379", "sentinel 10.0.0.2:26379", "node 10.0.0.9:6379"});
    CHECK(*io.last_answered == "10.0.0.2:26379");  // recorded once ROLE said master
    w.log.clear();
    SentinelAnswer again = ask_sentinels(kTwo, "m", io);  // 10.0.0.1 is not tried again
    REQUIRE(again.master);
    CHECK(w.log == std::vector<std::string>{"sentinel 10.0.0.2:26379"});

    // A sentinel that names a replica (it lost touch) is no longer asked first.
    World stale;
    stale.sentinels["10.0.0.1:26379"] = {addr_reply("10.0.0.8", "6379")};
    stale.nodes["10.0.0.8:6379"] = {kReplica};
    stale.max_pauses = 0;
    SentinelIo stale_io = stale.io();
    stale_io.last_answered = std::make_shared<std::string>("10.0.0.1:26379");
    CHECK_THROWS_AS(resolve_master(kTwo, "m", std::chrono::milliseconds(1000), stale_io), ConnectError);
    CHECK(stale_io.last_answered->empty());

    // Without a place to keep it, the given order every time.
    World plain;
    plain.sentinels["10.0.0.2:26379"] = {addr_reply("10.0.0.9", "6379")};
    (void)ask_sentinels(kTwo, "m", plain.io());
    (void)ask_sentinels(kTwo, "m", plain.io());
    CHECK(plain.log == std::vector<std::string>{"sentinel 10.0.0.1:26379", "sentinel 10.0.0.2:26379",
                                                "sentinel 10.0.0.1:26379", "sentinel 10.0.0.2:26379"});
}
