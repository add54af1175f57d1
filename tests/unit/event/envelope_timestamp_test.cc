// The one pass's short road for timestamps that are UTC with microseconds
// (naive, +00:00 and the other spellings of offset zero): the same text as
// parse_timestamp + format_timestamp, and as the tree reader, for every edge.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "event/envelope.h"
#include "event/event_read.h"
#include "base/timestamp.h"

using namespace rbus;

namespace {

std::string envelope_with(const std::string& timestamp) {
    return R"({"id":"e1","type":"a.b","payload":{},"timestamp":")" + timestamp + R"("})";
}

}  // namespace

TEST_CASE("one-pass read: UTC timestamps with microseconds in every spelling agree with the tree") {
    const std::vector<std::string> dates{
        "2026-11-26T16:10:30.237319", "2024-02-29T23:59:59.999999", "2026-02-29T12:00:00.000000",
        "2026-11-26T16:10:60.000000", "2026-11-26T24:00:00.000000", "2026-11-26T16:60:00.000000",
        "2026-13-01T00:00:00.000000", "2026-00-10T00:00:00.000000", "1699-12-31T23:59:59.999999",
        "1700-01-01T00:00:00.000000", "2200-12-31T23:59:59.999999", "2201-01-01T00:00:00.000000",
        "2026-11-26t16:10:30.237319", "2026-11-26 16:10:30.237319", "2026-11-26T16:10:30.23731",
        "2026-11-26T16:10:30.2373190", "2026-11-26T16:10:30", "2026-11-26T16:10:3a.237319",
        "1970-01-01T00:00:00.000000", "2000-02-29T00:00:00.000001", "1900-02-29T00:00:00.000000",
    };
    const std::vector<std::string> zones{"", "Z", "z", "+00:00", "-00:00", "+0000", "-0000", "+00:01",
                                         "+01:00", "-05:30", "+00", "+00:00Z", " ", "Z "};
    EnvelopeReader reader;
    int rewritten = 0;
    for (const std::string& date : dates) {
        for (const std::string& zone : zones) {
            const std::string raw = envelope_with(date + zone);
            INFO("message: " << raw);
            const EventRead& got = reader.read(raw);
            ReadResult want = read_envelope(raw);
            REQUIRE(got.ok() == want.ok());
            if (!want.ok()) {
                CHECK(got.error == want.error);
                continue;
            }
            CHECK(got.event.text == want.envelope->dump());
            CHECK_FALSE(got.full_read);
            // What the tree holds is parse_timestamp then format_timestamp.
            if (auto t = parse_timestamp(date + zone)) {
                REQUIRE(got.event.timestamp);
                CHECK(*got.event.timestamp == format_timestamp(*t));
                ++rewritten;
            }
        }
    }
    CHECK(rewritten > 60);
}

TEST_CASE("one-pass read: a naive BusEvent timestamp and a json.dumps +00:00 one, spelled out") {
    EnvelopeReader reader;
    const EventRead& naive = reader.read(envelope_with("2026-11-26T16:10:30.237319"));
    REQUIRE(naive.ok());
    CHECK(*naive.event.timestamp == "2026-11-26T16:10:30.237319Z");
    const EventRead& aware = reader.read(envelope_with("2026-11-26T16:10:30.000001+00:00"));
    REQUIRE(aware.ok());
    CHECK(*aware.event.timestamp == "2026-11-26T16:10:30.000001Z");
    CHECK(aware.event.text.find(R"("timestamp":"2026-11-26T16:10:30.000001Z")") != std::string_view::npos);
    const EventRead& leap = reader.read(envelope_with("2026-12-31T23:59:60.500000+00:00"));
    REQUIRE(leap.ok());
    CHECK(*leap.event.timestamp == "2027-01-01T00:00:00.500000Z");  // a leap second carries over
}
