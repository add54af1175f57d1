// --format TEMPLATE: text with {field} placeholders, compiled once into tokens
// (kcat's -f), then each event just walks them.
//
// Fields: {id} {type} {channel} {priority} {request_id} {workspace_id}
// {source_agent_id} {timestamp} {payload} {payload.a.b} {received_at} {lag_ms}.
// Escapes: \t tab, \n newline, \\ backslash; {{ and }} are literal braces.
// Values: strings unquoted, numbers/booleans as JSON text, objects and arrays
// as compact JSON; null or a missing {payload.…} path prints nothing.
// Strings come from the bus: they are written as the inside of a JSON string
// (\n \t \r \\ \u001b, bidi overrides \u202e, bytes that are not UTF-8 \xff),
// so that one event is one line and a field never adds a column. {FIELD:raw}
// writes the string as it is (as jq -r does); --format raw is the byte-exact form.
// {received_at} is RFC 3339 UTC with microseconds; {lag_ms} is receipt minus
// the envelope's timestamp in milliseconds with three decimals.
#pragma once

#include <memory>
#include <string_view>

#include "event/format.h"

namespace rbus {

// Throws UsageError naming the problem (unknown field, unclosed {, lone }).
std::unique_ptr<EventFormatter> compile_template(std::string_view text);

}  // namespace rbus
