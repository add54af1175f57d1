// Redaction (url_redact.cc): no message or shown URL ever contains a password.
#include <doctest/doctest.h>

#include <string>

#include "redis/url.h"

using namespace rbus;

TEST_CASE("redact_url on raw text") {
    CHECK(redact_url("redis://user:pw@host:6379/0") == "redis://user:***@host:6379/0");
    CHECK(redact_url("redis://:pw@host") == "redis://:***@host");
    CHECK(redact_url("redis://user:p@ss@host") == "redis://user:***@host");
    CHECK(redact_url("redis://token@host") == "redis://***@host");
    CHECK(redact_url("redis://host:6379/0") == "redis://host:6379/0");
    CHECK(redact_url("redis://h1:7000,h2:7001") == "redis://h1:7000,h2:7001");
    CHECK(redact_url("redis://[::1]:6380") == "redis://[::1]:6380");
    CHECK(redact_url("redis://u:secret") == "redis://u:***");
    CHECK(redact_url("redis://u:sec/ret") == "redis://u:***");
    CHECK(redact_url("redis://h?db=2&password=x") == "redis://h?db=2&password=***");
    CHECK(redact_url("redis://h#frag") == "redis://h#***");
    CHECK(redact_url("unix:///run/redis@1/r.sock") == "unix:///run/redis@1/r.sock");
    CHECK(redact_url("unix://u:pw@/run/r.sock?db=1") == "unix://u:***@/run/r.sock?db=1");
    CHECK(redact_url("u:pw@host") == "u:***@host");
    CHECK(redact_url("localhost:6379") == "localhost:6379");
    CHECK(redact_url("redis://h\r\n") == "redis://h\\x0d\\x0a");
    CHECK(redact_url("") == "");
    CHECK(redact_url("not a url") == "not a url");
}

TEST_CASE("redacted() for every scheme never shows the password") {
    const char* urls[] = {
        "redis://u:hunter2@h",
        "rediss://:hunter2@h:6380/1",
        "redis://u:hunter2@h1:7000,h2:7001",
        "unix://u:hunter2@/tmp/r.sock?db=1",
        "redis+sentinel://:hunter2@s1,s2/m",
        "rediss+sentinel://u:hunter2@s1/m/2",
    };
    for (const char* text : urls) {
        CAPTURE(text);
        RedisUrl u = parse_url(text);
        CHECK(u.password == "hunter2");
        CHECK(u.redacted().find("hunter2") == std::string::npos);
        CHECK(u.redacted().find("***@") != std::string::npos);
        // The canonical text parses back to the same place.
        RedisUrl again = parse_url(u.redacted());
        CHECK(again.redacted() == u.redacted());
        CHECK(again.password == "***");
    }
}
