// Small pieces of reading canonical text (json_canon.h): the normalised
// timestamp form, and string tokens and values compared or printed as filters
// and templates see them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "json/json_scan.h"

namespace rbus {

// Whether a timestamp string body is already RFC 3339 UTC with microseconds
// and Z, as normalize_timestamp() would leave it.
bool is_canonical_timestamp(std::string_view text);

// A string token (with quotes) compared with decoded text; false for any other token.
bool token_equals(std::string_view token, std::string_view text);
// The text of a valid value as filters compare it (filter.h json_text): a
// string decoded, anything else as its (canonical, compact) JSON text.
void append_json_text(std::string& out, jscan::Value v);

}  // namespace rbus
