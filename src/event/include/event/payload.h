// The payload of rbus-publish from its arguments: one JSON object, @FILE, -
// (stdin), or HTTPie-style items (key=value, key:=json, key=@file,
// key:=@file.json, a[b][c]=v, tags[]=x).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "event/envelope.h"

namespace rbus {

// Reads a whole file ("-" is stdin). Throws UsageError naming the file and
// the reason (missing, a directory, ...), Interrupted on Ctrl-C.
std::string read_text_file(const std::string& path);

// Whether an argument reads standard input ("-", key=@-, key:=@-).
bool args_read_stdin(const std::vector<std::string>& args);
// Whether standard input is a pipe or socket with bytes already waiting
// (FIONREAD; never blocks, never consumes).
bool stdin_has_waiting_data();

using FileReader = std::function<std::string(const std::string& path)>;

// Applies one item to obj; throws UsageError naming the item.
void apply_item(Json& obj, std::string_view item, const FileReader& read_file = read_text_file);

// The payload from the arguments after TYPE. Throws UsageError.
Json payload_from_args(const std::vector<std::string>& args, const FileReader& read_file = read_text_file);

// Parses text as a payload object: "payload must be a JSON object (got array)".
Json parse_payload_object(std::string_view text, std::string_view what);

// nlohmann's parse error as users read it: "invalid JSON at byte 8: invalid
// literal" (byte: 1-based, as nlohmann counts; the reason without its noise).
std::string describe_json_error(std::string_view what, std::size_t byte);

// The JSON kind of a value as users read it: object, array, string, number, boolean, null.
std::string_view json_kind(const Json& v);

}  // namespace rbus
