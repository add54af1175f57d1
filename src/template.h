// --format TEMPLATE: text with {field} placeholders, compiled once into tokens
// (kcat's -f), then each event just walks them.
//
// Fields: {id} {type} {channel} {priority} {request_id} {workspace_id}
// {source_agent_id} {timestamp} {payload} {payload.a.b} {received_at} {lag_ms}.
// Escapes: \t tab, \n newline, \\ backslash; {{ and }} are literal braces.
// Values: strings unquoted, numbers/booleans as JSON text, objects and arrays
// as compact JSON; null or a missing {payload.…} path prints nothing.
// {received_at} is RFC 3339 UTC with microseconds; {lag_ms} is receipt minus
// the envelope's timestamp in milliseconds with three decimals.
#pragma once

#include <memory>
#include <string_view>

#include "format.h"

namespace rbus {

// Throws UsageError naming the problem (unknown field, unclosed {, lone }).
std::unique_ptr<EventFormatter> compile_template(std::string_view text);

}  // namespace rbus
