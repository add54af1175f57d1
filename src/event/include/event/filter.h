// Which received events a consumer keeps (SPEC §3 rbus-subscribe "Filters"):
// workspace, correlation and source agent from the Context, --min-priority,
// --where PATH=VALUE / PATH!=VALUE and --exclude TYPE|PATTERN. Parsed once at
// the edge into an EventFilter, then applied to every event.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event/run_context.h"
#include "event/event_read.h"
#include "json/json_scan.h"

namespace CLI {
class App;
}

namespace rbus {

// A dotted path from the envelope's root: "payload.status", "priority".
// A segment of digits also indexes an array ("payload.items.0").
class FieldPath {
public:
    // Throws UsageError for an empty path or an empty segment ("a..b").
    static FieldPath parse(std::string_view text);
    // The value at the path in valid compact JSON text without duplicate keys
    // (a normalised envelope, event_read.h), or nothing when any step is missing.
    std::optional<jscan::Value> find_in_text(std::string_view root_text) const;
    const std::vector<std::string>& segments() const { return segments_; }
    const std::string& text() const { return text_; }

private:
    std::vector<std::string> segments_;
    std::string text_;
};

// The filter flags as given (the -w/-c/--source-agent-id flags are common
// flags and reach the filter through the Context).
struct FilterOptions {
    std::string min_priority;
    std::vector<std::string> where;    // PATH=VALUE or PATH!=VALUE
    std::vector<std::string> exclude;  // TYPE or glob PATTERN (fnmatch on the type)
};

// Adds --min-priority, --where and --exclude (used by rbus-subscribe and rbus-tail).
void add_filter_options(CLI::App& app, FilterOptions& opts);

// The context filters a reader applies (-w/-c/--source-agent-id), with
// where each came from: "workspace ws-123 (RAPTORBUS_WORKSPACE_ID)", joined
// by ", "; empty when none. stats: only the workspace applies.
std::string describe_context_filters(const Context& ctx, bool workspace_only = false);

// A filter set by the environment drops events without a word: on a
// terminal or at -v (not with -q), one stderr line says so:
// "rbus-subscribe: note: only workspace ws-123 (RAPTORBUS_WORKSPACE_ID); unset it to see all events".
void note_environment_filters(const Context& ctx, bool workspace_only = false);

class EventFilter {
public:
    // Everything passes.
    EventFilter() = default;
    // Throws UsageError for an unknown priority, a --where without = or with an
    // empty path, or an empty --exclude.
    static EventFilter compile(const FilterOptions& opts, const Context& ctx);

    // True when the (valid, normalised) envelope passes every condition.
    bool matches(const EventView& e) const;
    bool empty() const;

    struct Where {
        FieldPath path;
        std::string value;
        bool negate = false;  // PATH!=VALUE; a missing path is "not equal"
    };
    // Parses one --where condition.
    static Where parse_where(std::string_view text);

private:
    std::optional<std::string> workspace_id_, correlation_id_, source_agent_id_;
    std::optional<Priority> min_priority_;
    std::vector<Where> where_;
    std::vector<std::string> exclude_;
};

}  // namespace rbus
