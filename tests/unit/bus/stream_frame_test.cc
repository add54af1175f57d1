#include <doctest/doctest.h>

#include <string>

#include "base/error.h"
#include "bus/stream_frame.h"

using namespace rbus;

namespace {
std::string sf_bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }
std::string sf_entry(std::string_view id, std::string_view fields) { return "*2\r\n" + sf_bulk(id) + std::string(fields); }
}  // namespace

TEST_CASE("XRANGE pages read in place: ids and envelopes as views, deleted entries, errors, bad shapes") {
    std::string page = "*4\r\n" +
                       sf_entry("1-0", "*4\r\n" + sf_bulk("reason") + sf_bulk("r") + sf_bulk("envelope") + sf_bulk("{\"x\":1}")) +
                       sf_entry("2-0", "*-1\r\n") +                    // deleted (RESP2 nil array)
                       sf_entry("3-0", "$-1\r\n") +                    // deleted (nil bulk)
                       sf_entry("4-0", "*2\r\n" + sf_bulk("other") + sf_bulk("v"));
    std::vector<FrameEntry> out;
    CHECK_FALSE(parse_entries_frame(page, out, "XRANGE"));
    REQUIRE(out.size() == 4);
    CHECK(out[0].id == "1-0");
    CHECK(out[0].envelope == "{\"x\":1}");
    CHECK(out[1].id == "2-0");
    CHECK(out[1].envelope.empty());
    CHECK(out[2].envelope.empty());
    CHECK(out[3].id == "4-0");
    CHECK(out[3].envelope.empty());

    out.clear();
    CHECK(parse_entries_frame("*0\r\n", out, "XRANGE") == std::optional<std::string_view>());
    CHECK(out.empty());
    auto error = parse_entries_frame("-WRONGTYPE Operation against a key\r\n", out, "XRANGE");
    REQUIRE(error);
    CHECK(*error == "WRONGTYPE Operation against a key");

    for (const std::string& bad : std::vector<std::string>{":5\r\n", "*1\r\n:5\r\n", "*1\r\n*2\r\n" + sf_bulk("1-0") + "*1\r\n" + sf_bulk("envelope"),
                            "*1\r\n*3\r\n" + sf_bulk("1-0") + "*0\r\n" + sf_bulk("x"), "*2\r\n" + sf_entry("1-0", "*0\r\n")}) {
        CHECK_THROWS_AS(parse_entries_frame(bad, out, "XRANGE"), ProtocolError);
    }
}
