#include <doctest/doctest.h>

#include <string>

#include "base/error.h"
#include "redis/url.h"

using namespace rbus;

namespace {

// The message of the UsageError parse_url throws ("" if none is thrown).
std::string url_error(std::string_view text) {
    try {
        parse_url(text);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

// Fails, with a one-line message that does not contain `secret`.
void check_rejected(std::string_view text, std::string_view secret = {}) {
    CAPTURE(text);
    std::string msg = url_error(text);
    CHECK_FALSE(msg.empty());
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.find('\r') == std::string::npos);
    if (!secret.empty()) CHECK(msg.find(secret) == std::string::npos);
}

}  // namespace

TEST_CASE("redis:// basics and defaults") {
    RedisUrl u = parse_url("redis://localhost");
    CHECK(u.scheme == UrlScheme::redis);
    REQUIRE(u.hosts.size() == 1);
    CHECK(u.hosts[0].host == "localhost");
    CHECK(u.hosts[0].port == 6379);
    CHECK(u.db == 0);
    CHECK(u.username.empty());
    CHECK(u.password.empty());
    CHECK_FALSE(u.tls());
    CHECK_FALSE(u.is_cluster_seeds());
    CHECK(u.redacted() == "redis://localhost:6379/0");

    u = parse_url("redis://127.0.0.1:6380/3");
    CHECK(u.hosts[0].host == "127.0.0.1");
    CHECK(u.hosts[0].port == 6380);
    CHECK(u.db == 3);
    CHECK(u.redacted() == "redis://127.0.0.1:6380/3");

    CHECK(parse_url("redis://h/").db == 0);
    CHECK(parse_url("redis://h:6379?db=4").db == 4);
    CHECK(parse_url("redis://h/007").db == 7);
    CHECK(parse_url("redis://h/999999999").db == 999999999);
    CHECK(parse_url("REDIS://h").scheme == UrlScheme::redis);
    CHECK(parse_url("redis://my_host-1.example.com").hosts[0].host == "my_host-1.example.com");
}

TEST_CASE("rediss:// is TLS") {
    RedisUrl u = parse_url("rediss://default:tok3n@eu1-x.upstash.io:6379");
    CHECK(u.scheme == UrlScheme::rediss);
    CHECK(u.tls());
    CHECK(u.username == "default");
    CHECK(u.password == "tok3n");
    CHECK(u.redacted() == "rediss://default:***@eu1-x.upstash.io:6379/0");
}

TEST_CASE("user and password") {
    RedisUrl u = parse_url("redis://alice:s3cret@host:6379/2");
    CHECK(u.username == "alice");
    CHECK(u.password == "s3cret");
    CHECK(u.db == 2);
    CHECK(u.redacted() == "redis://alice:***@host:6379/2");
    CHECK(u.redacted().find("s3cret") == std::string::npos);

    // Password only.
    u = parse_url("redis://:pw@host");
    CHECK(u.username.empty());
    CHECK(u.password == "pw");
    CHECK(u.redacted() == "redis://***@host:6379/0");

    // A lone userinfo is the password, as redis-cli reads it, and hidden.
    u = parse_url("redis://s3cretPW@host");
    CHECK(u.username.empty());
    CHECK(u.password == "s3cretPW");
    CHECK(u.lone_userinfo);
    CHECK(u.redacted() == "redis://***@host:6379/0");
    CHECK_FALSE(parse_url("redis://:pw@host").lone_userinfo);

    // Empty userinfo.
    u = parse_url("redis://@host");
    CHECK(u.username.empty());
    CHECK(u.password.empty());
    CHECK(u.redacted() == "redis://host:6379/0");
}

TEST_CASE("percent-decoding of user and password") {
    RedisUrl u = parse_url("redis://us%40er:p%40ss%3Aw%2Ford%25@host");
    CHECK(u.username == "us@er");
    CHECK(u.password == "p@ss:w/ord%");
    CHECK(u.redacted() == "redis://us%40er:***@host:6379/0");
    CHECK(parse_url(u.redacted()).username == "us@er");  // canonical text re-parses
    CHECK(parse_url("redis://:%7e%7E@h").password == "~~");
    CHECK(parse_url("redis://:a%20b@h").password == "a b");

    // Malformed escapes are refused, without echoing the password.
    check_rejected("redis://u:bad%zzsecret@host", "bad%zzsecret");
    check_rejected("redis://u:secret%4@host", "secret%4");
    check_rejected("redis://u:secret%@host", "secret");
    CHECK(url_error("redis://u:x%zz@h").find("%25") != std::string::npos);
    // Decoded control characters (CR/LF injection) are refused.
    check_rejected("redis://u:pass%0d%0aFLUSHALL@host", "FLUSHALL");
    check_rejected("redis://us%0aer:pw@host", "pw@");
}

TEST_CASE("raw @ : / ? # in the password: userinfo ends at the last @") {
    RedisUrl u = parse_url("redis://user:p@ss@host:6380/1");
    CHECK(u.username == "user");
    CHECK(u.password == "p@ss");
    CHECK(u.hosts[0].host == "host");
    CHECK(u.hosts[0].port == 6380);
    CHECK(u.db == 1);
    CHECK(u.redacted() == "redis://user:***@host:6380/1");

    u = parse_url("redis://:a:b/c?d#e@@host");
    CHECK(u.password == "a:b/c?d#e@");
    CHECK(u.hosts[0].host == "host");
    CHECK(u.redacted() == "redis://***@host:6379/0");

    // A user name cannot hold a raw / ? #: that is a host/path before a stray @.
    check_rejected("redis://host/0?x=a@b");
}

TEST_CASE("IPv6 in brackets") {
    RedisUrl u = parse_url("redis://[::1]:6380");
    REQUIRE(u.hosts.size() == 1);
    CHECK(u.hosts[0].host == "::1");
    CHECK(u.hosts[0].port == 6380);
    CHECK(u.redacted() == "redis://[::1]:6380/0");

    u = parse_url("rediss://u:pw@[2001:db8::7]/5");
    CHECK(u.hosts[0].host == "2001:db8::7");
    CHECK(u.hosts[0].port == 6379);
    CHECK(u.db == 5);
    CHECK(u.redacted() == "rediss://u:***@[2001:db8::7]:6379/5");
    CHECK(parse_url("redis://[::ffff:10.0.0.1]:7000").hosts[0].host == "::ffff:10.0.0.1");

    check_rejected("redis://::1:6379");      // needs brackets
    check_rejected("redis://[::1:6379");     // unclosed
    check_rejected("redis://[]:6379");       // empty
    check_rejected("redis://[zz::1]:6379");  // not an address
    check_rejected("redis://[::1]6379");     // junk after ]
    check_rejected("redis://[::1]:");        // empty port
    CHECK(url_error("redis://::1").find("[::1]") != std::string::npos);
}

TEST_CASE("cluster seeds") {
    RedisUrl u = parse_url("redis://h1:7000,h2:7001");
    REQUIRE(u.hosts.size() == 2);
    CHECK(u.hosts[0].host == "h1");
    CHECK(u.hosts[0].port == 7000);
    CHECK(u.hosts[1].host == "h2");
    CHECK(u.hosts[1].port == 7001);
    CHECK(u.is_cluster_seeds());
    CHECK(u.redacted() == "redis://h1:7000,h2:7001/0");

    u = parse_url("rediss://:pw@h1,[::1]:7001,h3:7002");
    REQUIRE(u.hosts.size() == 3);
    CHECK(u.hosts[0].port == 6379);
    CHECK(u.hosts[1].host == "::1");
    CHECK(u.is_cluster_seeds());
    CHECK(u.tls());
    CHECK(u.redacted() == "rediss://***@h1:6379,[::1]:7001,h3:7002/0");

    check_rejected("redis://h1:7000,,h2:7001");
    check_rejected("redis://h1:7000,");
    check_rejected("redis://,h1");
    check_rejected("redis://h1:7000,h2:7001/2");  // cluster has only db 0
    CHECK_FALSE(parse_url("redis://h1:7000,h2:7001/0").db);
}

TEST_CASE("unix sockets") {
    RedisUrl u = parse_url("unix:///run/redis/redis.sock");
    CHECK(u.scheme == UrlScheme::unix_socket);
    CHECK(u.socket_path == "/run/redis/redis.sock");
    CHECK(u.hosts.empty());
    CHECK(u.db == 0);
    CHECK_FALSE(u.tls());
    CHECK_FALSE(u.is_cluster_seeds());
    CHECK(u.redacted() == "unix:///run/redis/redis.sock");

    u = parse_url("unix:///tmp/redis.sock?db=2");
    CHECK(u.socket_path == "/tmp/redis.sock");
    CHECK(u.db == 2);
    CHECK(u.redacted() == "unix:///tmp/redis.sock?db=2");

    // '@' inside the path is a path, not a userinfo.
    u = parse_url("unix:///run/redis-server@6380/redis.sock");
    CHECK(u.socket_path == "/run/redis-server@6380/redis.sock");
    CHECK(u.password.empty());

    // Userinfo before the path, and a percent-encoded path.
    u = parse_url("unix://bob:pw%40x@/var/run/my%20redis.sock?db=1");
    CHECK(u.username == "bob");
    CHECK(u.password == "pw@x");
    CHECK(u.socket_path == "/var/run/my redis.sock");
    CHECK(u.redacted() == "unix://bob:***@/var/run/my%20redis.sock?db=1");
    CHECK(parse_url(u.redacted()).socket_path == "/var/run/my redis.sock");

    check_rejected("unix://");
    check_rejected("unix:///");
    check_rejected("unix:///run/");
    check_rejected("unix://relative.sock");
    check_rejected("unix:/tmp/redis.sock");
    CHECK(url_error("unix:/tmp/redis.sock").find("three slashes") != std::string::npos);
    check_rejected("unix:///tmp/redis.sock?db=x");
    check_rejected("unix:///tmp/redis.sock?db=1&db=2");
    check_rejected("unix:///tmp/r.sock?password=hunter2", "hunter2");
    CHECK(url_error("unix:///tmp/r.sock?password=hunter2").find("\"password\"") != std::string::npos);
    check_rejected("unix:///tmp/r.sock?hunter2", "hunter2");
    check_rejected("unix:///tmp/r.sock?db=1#frag");
    check_rejected("unix://u:pw%0a@/tmp/r.sock", "pw");
}

TEST_CASE("sentinel") {
    RedisUrl u = parse_url("redis+sentinel://s1:26379,s2/mymaster");
    CHECK(u.scheme == UrlScheme::sentinel);
    REQUIRE(u.hosts.size() == 2);
    CHECK(u.hosts[0].port == 26379);
    CHECK(u.hosts[1].host == "s2");
    CHECK(u.hosts[1].port == 26379);  // sentinel default port
    CHECK(u.sentinel_master == "mymaster");
    CHECK(u.db == 0);
    CHECK_FALSE(u.tls());
    CHECK_FALSE(u.is_cluster_seeds());
    CHECK(u.redacted() == "redis+sentinel://s1:26379,s2:26379/mymaster");

    u = parse_url("rediss+sentinel://u:pw@s1:5000/m1/3");
    CHECK(u.scheme == UrlScheme::sentinel);
    CHECK(u.tls());
    CHECK(u.sentinel_master == "m1");
    CHECK(u.db == 3);
    CHECK(u.password == "pw");
    CHECK(u.redacted() == "rediss+sentinel://u:***@s1:5000/m1/3");

    CHECK(parse_url("redis+sentinel://s1/m?db=2").db == 2);
    check_rejected("redis+sentinel://s1:26379");
    check_rejected("redis+sentinel://s1:26379/");
    check_rejected("redis+sentinel://s1/m/x");
    check_rejected("redis+sentinel://s1/m/1?db=2");
    CHECK(url_error("redis+sentinel://s1").find("master name") != std::string::npos);
}

TEST_CASE("ports") {
    CHECK(parse_url("redis://h:1").hosts[0].port == 1);
    CHECK(parse_url("redis://h:65535").hosts[0].port == 65535);
    check_rejected("redis://h:0");
    check_rejected("redis://h:65536");
    check_rejected("redis://h:999999");
    check_rejected("redis://h:-1");
    check_rejected("redis://h:+80");
    check_rejected("redis://h:6379x");
    check_rejected("redis://h:");
    check_rejected("redis://h:1:2");
    CHECK(url_error("redis://h:0").find("1 to 65535") != std::string::npos);
}

TEST_CASE("databases") {
    check_rejected("redis://h/x");
    check_rejected("redis://h/-1");
    check_rejected("redis://h/1/2");
    check_rejected("redis://h/1/");
    check_rejected("redis://h/1234567890");  // too large for an int
    check_rejected("redis://h/1?db=2");      // given twice
    CHECK(url_error("redis://h/x").find("database") != std::string::npos);
}

TEST_CASE("query strings and fragments are strict") {
    check_rejected("redis://h?foo=bar");
    check_rejected("redis://h?");
    check_rejected("redis://h?db=1&");
    check_rejected("redis://h#frag");
    check_rejected("redis://h?password=hunter2", "hunter2");
    check_rejected("redis://h?protocol=3&token=abc123", "abc123");
    CHECK(url_error("redis://h?foo=bar").find("only ?db=N") != std::string::npos);
}

TEST_CASE("hosts") {
    check_rejected("redis://");
    check_rejected("redis:///0");
    check_rejected("redis://:6379");
    check_rejected("redis://u:pw@", "pw");
    check_rejected("redis://u:pw@:6379", "pw");
    check_rejected("redis://ho$t");
    check_rejected("redis://h]");
    CHECK(url_error("redis://").find("missing host") != std::string::npos);
}

TEST_CASE("empty, spaces and control characters") {
    check_rejected("");
    CHECK(url_error("") == "empty URL: use e.g. redis://127.0.0.1:6379");
    check_rejected(" redis://h");
    check_rejected("redis://h ");
    check_rejected("redis://h:6379\r\nFLUSHALL");
    check_rejected("redis://h\n");
    check_rejected("redis://h\t:6379");
    check_rejected(std::string_view("redis://h\0x", 11));
    check_rejected("redis://h\x7f");
    // The control character is shown escaped, never raw.
    std::string msg = url_error("redis://h/0\r\nFLUSHALL");
    CHECK(msg.find("\\x0d\\x0a") != std::string::npos);
    // A password with a space or CR/LF never appears.
    check_rejected("redis://u:hunter 2@h", "hunter");
    check_rejected("redis://u:hunter\r\n2@h", "hunter");
}

TEST_CASE("schemes") {
    std::string msg = url_error("foo://h");
    CHECK(msg ==
          "unsupported URL scheme \"foo\" in \"foo://h\": use redis://, rediss://, unix:// or redis+sentinel://");
    check_rejected("foo://user:hunter2@h", "hunter2");
    // host[:port] without a scheme, as CI services write REDIS_URL, is redis://.
    CHECK(parse_url("localhost:6379").redacted() == "redis://localhost:6379/0");
    CHECK(parse_url("redis").redacted() == "redis://redis:6379/0");
    CHECK(parse_url("[::1]:7000").hosts.at(0).host == "::1");
    check_rejected("localhost:6379:1");
    check_rejected("-x:6379");
    check_rejected("default:hunter2@host:6379", "hunter2");
    check_rejected("redis:/h");
    check_rejected("://h");
}

TEST_CASE("REST URLs are refused with a hint") {
    CHECK(url_error("https://eu1-x.upstash.io") ==
          "REST URL \"https://eu1-x.upstash.io\" is not supported: use the rediss:// endpoint of your Upstash "
          "database");
    check_rejected("http://localhost:8079");
    CHECK(url_error("http://localhost:8079").find("rediss://") != std::string::npos);
    check_rejected("https://default:AXtoken123@eu1-x.upstash.io", "AXtoken123");
    check_rejected("https://eu1-x.upstash.io/get/k?_token=AXtoken123", "AXtoken123");
}

TEST_CASE("no error message contains the password") {
    const std::string pw = "Sup3rS3cret";
    const char* bad[] = {
        "redis://u:Sup3rS3cret@h:0",
        "redis://u:Sup3rS3cret@h:99999",
        "redis://u:Sup3rS3cret@h/x",
        "redis://u:Sup3rS3cret@",
        "redis://u:Sup3rS3cret@h?x=1",
        "redis://u:Sup3rS3cret@h#f",
        "redis://u:Sup3rS3cret@[::1",
        "redis://:Sup3rS3cret@h1,,h2",
        "redis://u:Sup3rS3cret@ho$t",
        "rediss://default:Sup3rS3cret@h:6379/1/2",
        "redis+sentinel://u:Sup3rS3cret@s1",
        "unix://u:Sup3rS3cret@/",
        "foo://u:Sup3rS3cret@h",
        "https://u:Sup3rS3cret@h",
        "redis://u:Sup3rS3cret@h\n",
        "redis://u:Sup3rS3cret%zz@h",
        "redis://u:Sup3rS3cret",          // host forgotten: the password looks like a port
        "rediss://default:Sup3rS3cret/0",  // likewise, then a path
        "redis://u:a,Sup3rS3cret",         // ... with a comma in it
        "redis://Sup3rS3cret@h:0",         // a lone userinfo is hidden in errors
        "u:Sup3rS3cret@h",                 // no scheme
        "u:x://Sup3rS3cret@h",             // no valid scheme
    };
    for (const char* text : bad) check_rejected(text, pw);
}
