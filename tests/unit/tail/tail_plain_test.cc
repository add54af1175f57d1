// rbus-tail's piped line (no colour, no width), written field by field straight
// into the output, and its clock column cached per second.
#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/safe_text.h"
#include "tail/tail_clock.h"
#include "tail/strip_sgr.h"
#include "tail/tail_format.h"

using namespace rbus;
using std::chrono::milliseconds;
using Time = std::chrono::system_clock::time_point;

namespace {

// Sets TZ for one test, puts the previous value back after it.
class Zone {
public:
    explicit Zone(const char* tz) {
        if (const char* old = std::getenv("TZ")) old_ = old;
        setenv("TZ", tz, 1);
        tzset();
    }
    ~Zone() {
        if (old_) setenv("TZ", old_->c_str(), 1);
        else unsetenv("TZ");
        tzset();
    }
    Zone(const Zone&) = delete;
    Zone& operator=(const Zone&) = delete;

private:
    std::optional<std::string> old_;
};

Time at_ms(long long ms) { return Time(milliseconds(ms)); }

std::string cached_clock(LocalClock& clock, Time t, bool millis = true) {
    std::string out;
    clock.append(out, t, millis);
    return out;
}

struct PlainEvent {
    std::string type = "agent.task_started", prio = "high", payload = R"({"a":1})";
    std::optional<std::string> ws = "ws-123", corr = "corr-456", ts = "2026-11-26T16:10:30.237319Z";
    EventView view() const {
        EventView v;
        v.text = payload;
        v.payload = payload;
        v.type = type;
        v.priority_text = prio;
        if (ws) v.workspace_id = *ws;
        if (corr) v.request_id = *corr;
        if (ts) v.timestamp = *ts;
        return v;
    }
};

std::string plain_render(const TailLineFormatter& f, const PlainEvent& e, Time received = at_ms(0), std::string_view note = {}) {
    BusMessage m{"raptorflow.events.x", "", ""};
    EventView v = e.view();
    std::string out;
    f.format_noted({m, v, received}, note, out);
    return out;
}

}  // namespace

TEST_CASE("LocalClock: the text of local_clock for every time, across seconds, DST and zones") {
    // 2026-03-08 07:00 UTC: New York springs forward; 2026-11-01 06:00 UTC: back;
    // Berlin and St. John's (-03:30) in March; Lord Howe moves by half an hour in
    // October; Amsterdam's summer time of 1937 began from +00:19:32.
    const std::vector<std::pair<const char*, long long>> cases{
        {"UTC", 1'764'173'430'000},
        {"America/New_York", 1'772'953'200'000},
        {"America/New_York", 1'793'512'800'000},
        {"Europe/Berlin", 1'774'746'000'000},
        {"Australia/Lord_Howe", 1'791'041'400'000},
        {"Asia/Kolkata", 1'764'173'430'000},
        {"Europe/Amsterdam", -1'029'190'772'000},
        {"America/St_Johns", 1'772'947'800'000},
        {"UTC", -1},  // before 1970: the second is floored, the millis stay positive
    };
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> step(1, 1500);
    for (const auto& [tz, around] : cases) {
        Zone zone(tz);
        LocalClock clock;
        for (bool millis : {true, false}) {
            // Every millisecond near the change and each second boundary.
            for (long long ms = around - 2'500; ms <= around + 2'500; ++ms)
                REQUIRE(cached_clock(clock, at_ms(ms), millis) == local_clock(at_ms(ms), millis));
            // Around the change at random strides, forwards then backwards (a cache
            // keyed on the second must not care about order).
            for (long long ms = around - 4 * 3'600'000LL; ms <= around + 4 * 3'600'000LL; ms += step(rng) * 997LL)
                REQUIRE(cached_clock(clock, at_ms(ms), millis) == local_clock(at_ms(ms), millis));
            for (long long ms = around + 2 * 3'600'000LL; ms >= around - 2 * 3'600'000LL; ms -= step(rng) * 991LL)
                REQUIRE(cached_clock(clock, at_ms(ms), millis) == local_clock(at_ms(ms), millis));
        }
    }
}

TEST_CASE("LocalClock spelled out: New York's hour that repeats and the one that never happens") {
    Zone zone("America/New_York");
    LocalClock clock;
    CHECK(cached_clock(clock, at_ms(1'772'953'199'999)) == "01:59:59.999");  // 2026-03-08 06:59:59.999 UTC
    CHECK(cached_clock(clock, at_ms(1'772'953'200'000)) == "03:00:00.000");
    CHECK(cached_clock(clock, at_ms(1'793'512'799'999)) == "01:59:59.999");  // 2026-11-01 05:59:59.999 UTC (EDT)
    CHECK(cached_clock(clock, at_ms(1'793'512'800'000)) == "01:00:00.000");  // EST: the hour again
    CHECK(cached_clock(clock, at_ms(1'793'512'800'000), false) == "01:00:00");
    Zone utc("UTC");
    LocalClock fresh;
    CHECK(cached_clock(fresh, at_ms(-1)) == "23:59:59.999");
    CHECK(cached_clock(fresh, at_ms(1'764'173'430'237)) == "16:10:30.237");
}

TEST_CASE("piped line: exactly the columns, written without the terminal's segments") {
    Zone utc("UTC");
    auto plain = make_tail_line_formatter({});
    PlainEvent e;
    CHECK(plain_render(*plain, e) == R"(16:10:30.237 high     agent.task_started  ws=ws-123 corr=corr-456  {"a":1})");
    // rbus-tail --dlq's note goes before the payload.
    CHECK(plain_render(*plain, e, at_ms(0), "[max_retries_exceeded]") ==
          R"(16:10:30.237 high     agent.task_started  ws=ws-123 corr=corr-456  [max_retries_exceeded]  {"a":1})");
    PlainEvent bare;
    bare.prio = "";
    bare.ws.reset();
    bare.corr.reset();
    bare.ts.reset();
    // No timestamp: the time of receipt.
    CHECK(plain_render(*plain, bare, at_ms(1'764'173'431'005)) == R"(16:10:31.005 -        agent.task_started  ws=- corr=-  {"a":1})");
    PlainEvent empty_ids;
    empty_ids.ws = "";
    empty_ids.corr = "";
    empty_ids.prio = "extraordinary";  // longer than the column: not cut
    CHECK(plain_render(*plain, empty_ids) == R"(16:10:30.237 extraordinary agent.task_started  ws= corr=  {"a":1})");
    // A timestamp that is not one: the time of receipt too.
    PlainEvent odd;
    odd.ts = "yesterday";
    CHECK(plain_render(*plain, odd, at_ms(1'764'173'431'005)).rfind("16:10:31.005 high ", 0) == 0);
    // An offset is honoured, then shown in local time.
    PlainEvent offset;
    offset.ts = "2026-11-26T18:10:30.5+02:00";
    CHECK(plain_render(*plain, offset).rfind("16:10:30.500 high ", 0) == 0);
}

TEST_CASE("piped line: hostile bytes in every field are escaped, wide text pads by columns") {
    Zone utc("UTC");
    auto plain = make_tail_line_formatter({});
    PlainEvent e;
    e.prio = "h\xc2\x9bi";               // C1 CSI
    e.type = "agent.\x1b[2Jx\xe2\x80\xae";  // ESC and a bidi override
    e.ws = "ws\x1b]0;pwned\x07";
    e.corr = "c\xff\xfe";
    e.payload = R"({"t":"日本","bad":"1234567)" "\xe2\x80" R"("})";
    CHECK(plain_render(*plain, e) == "16:10:30.237 h\\u009bi agent.\\u001b[2Jx\\u202e  ws=ws\\u001b]0;pwned\\u0007 "
                               "corr=c\\xff\\xfe  {\"t\":\"日本\",\"bad\":\"1234567\\xe2\\x80\"}");
    PlainEvent wide;
    wide.prio = "高い";  // four columns: padded with four spaces, not two
    CHECK(plain_render(*plain, wide).rfind("16:10:30.237 高い     agent.task_started", 0) == 0);
}

TEST_CASE("piped line: --trace shows the time since the flow's first event") {
    Zone utc("UTC");
    auto plain = make_tail_line_formatter({false, 0, true});
    PlainEvent first;
    first.ts = "2026-11-26T16:10:30.000000Z";
    PlainEvent later;
    later.ts = "2026-11-26T16:10:31.250000Z";
    CHECK(plain_render(*plain, first) == R"(16:10:30.000 high     agent.task_started  ws=ws-123 corr=corr-456 +0.000s  {"a":1})");
    CHECK(plain_render(*plain, later) == R"(16:10:31.250 high     agent.task_started  ws=ws-123 corr=corr-456 +1.250s  {"a":1})");
}

TEST_CASE("piped line: the same text as the coloured line without its colours, on generated events") {
    Zone zone("Europe/Berlin");
    std::mt19937 rng(7);
    const std::vector<std::string> pieces{"a", "agent.task", "-", " ", "\x1b[31m", "\x07", "\x7f", "\xc2\x85",
                                          "\xe2\x80\xae", "\xe2\x80\xa8", "\xff", "\xe2\x80", "日本", "é", "😀",
                                          "12345678", "\"x\":1", "\\u001b"};
    std::uniform_int_distribution<std::size_t> which(0, pieces.size() - 1);
    std::uniform_int_distribution<int> count(0, 12), coin(0, 3);
    std::uniform_int_distribution<long long> ms(1'774'700'000'000, 1'774'800'000'000);  // around Berlin's DST
    auto text = [&] {
        std::string s;
        for (int k = count(rng); k > 0; --k) s += pieces[which(rng)];
        return s;
    };
    for (bool trace : {false, true}) {
        auto plain = make_tail_line_formatter({false, 0, trace});
        auto coloured = make_tail_line_formatter({true, 0, trace});
        for (int n = 0; n < 3000; ++n) {
            PlainEvent e;
            e.type = text();
            e.prio = coin(rng) ? std::vector<std::string>{"low", "normal", "high", "critical"}[n % 4] : text();
            e.payload = text();
            if (coin(rng) == 0) e.ws.reset();
            else e.ws = text();
            if (coin(rng) == 0) e.corr.reset();
            else e.corr = text();
            if (coin(rng) == 0) e.ts.reset();
            Time received = at_ms(ms(rng));
            std::string note = coin(rng) == 0 ? "[dlq: " + terminal_safe(text()) + "]" : "";
            std::string line = plain_render(*plain, e, received, note);
            REQUIRE(line == strip_sgr(plain_render(*coloured, e, received, note)));
            REQUIRE(line.find('\x1b') == std::string::npos);
        }
    }
}
