// rbus-publish --redrive: return dead letters where they came from (SPEC §8).
// rbus's entries become new entries of their history stream (same event id,
// deliveries reset, so their group processes them again), RaptorBus's records
// are PUBLISHed on their original_channel; either marked "redriven": true.
// Each entry is removed only once it is back: a PUBLISH that reached no
// subscriber keeps its record, and the run says so (exit 1).
#pragma once

#include <string>
#include <vector>

#include "app/context.h"
#include "bus/dlq_read.h"
#include "event/filter.h"

namespace rbus {

struct RedriveRequest {
    std::vector<std::string> type_globs;
    std::vector<std::string> reasons;
    std::string since, until;
    bool dry_run = false;  // print what would be redriven, change nothing
    // The reader's filters (rbus-subscribe --dlq: --where, -w, ...;
    // --redrive: -w, -c and the context's) on each entry's event; an entry
    // without a readable event passes only an empty filter.
    EventFilter filter;
};

// The TYPE arguments as globs on each entry's event type: a full channel name
// ({prefix}.x) read as its type, as a reader does; an argument no type can
// match (`=`, braces, quotes, `:`, `@FILE`, `-`: a payload given out of habit) is UsageError.
void add_type_globs(const Context& ctx, const std::vector<std::string>& args, RedriveRequest& req);

// The event of an entry with "redriven": true added (kept in its own shape);
// "" when the entry holds no readable event.
std::string redriven_body(const DlqEntry& e);

// Prints each redriven (or, dry, each selected) entry as a JSON line on stdout
// and a summary on stderr; returns the exit code.
int run_redrive(const Context& ctx, const RedriveRequest& req);

// rbus-subscribe --dlq: prints every selected entry of both queues (dlq_line),
// oldest failure first; returns the exit code.
int run_dlq_list(const Context& ctx, const RedriveRequest& selection);

}  // namespace rbus
