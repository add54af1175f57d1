// libFuzzer target: --format templates. The first line is the template; the
// rest, if any, is the message it is applied to. Compiling may only throw
// UsageError; formatting a valid envelope never throws.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "event/event_read.h"
#include "event/format.h"
#include "event/template.h"

namespace {
constexpr std::string_view kDefault =
    R"({"id":"2b1f0c1e-8d1c-4b7e-9a51-0d6f3f3c2a10","type":"agent.task_started",)"
    R"("payload":{"a":{"b":[1,"x",null]},"s":"t\u00e9"},"priority":"high","request_id":"r-1",)"
    R"("source_agent_id":null,"workspace_id":"ws","timestamp":"2026-11-26T16:10:30.237319Z"})";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::size_t nl = text.find('\n');
    std::string_view tmpl = text.substr(0, nl);
    std::string_view raw = nl == std::string_view::npos ? kDefault : text.substr(nl + 1);
    std::unique_ptr<rbus::EventFormatter> f;
    try {
        f = rbus::compile_template(tmpl);
    } catch (const rbus::UsageError&) {
        return 0;
    }
    static rbus::EnvelopeReader reader;
    const rbus::EventRead* r = &reader.read(raw);
    if (!r->ok()) r = &reader.read(kDefault);
    rbus::BusMessage msg{"raptorflow.events.agent.task_started", raw, ""};
    std::string out;
    f->format(rbus::FormatInput{msg, r->event, std::chrono::system_clock::now()}, out);
    return 0;
}
