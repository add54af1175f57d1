// JSON text rewritten as nlohmann's dump() prints it after a parse, without
// building the tree: the fast way to put a payload line into an envelope
// byte for byte as Envelope::create(...).dump() would.
#pragma once

#include <string>
#include <string_view>

namespace rbus {

// Appends `valid` (text that jscan::scan accepted) to out as parse-then-dump gives it:
// no whitespace outside strings; strings with escapes decoded and escaped again the
// way nlohmann does (\" \\ \b \f \n \r \t, other control characters as \u00xx,
// everything else as UTF-8); integers kept unless out of 64-bit range; "-0" as "0";
// other numbers through strtod and nlohmann's shortest round-trip form.
// Returns false (out then holds a partial append) when the text needs the full parser:
// a key with escapes, a duplicate key, a number beyond a double's range.
bool append_canonical_json(std::string& out, std::string_view valid);

// Appends `text` (valid UTF-8) as nlohmann writes a string with ensure_ascii off:
// quoted, \" \\ \b \f \n \r \t, other control characters as \u00xx, the rest as it is.
void append_json_string(std::string& out, std::string_view text);
// Appends a valid JSON number token as nlohmann prints it after reading it
// (is_canonical_number's form); false, appending nothing, beyond a double's range.
bool append_canonical_number(std::string& out, std::string_view token);

// Whether a valid JSON string token (with quotes) is as nlohmann writes it:
// raw UTF-8, only the escapes \" \\ \b \f \n \r \t and \u00XX (lowercase)
// for the other control characters.
bool is_canonical_string(std::string_view token);
// Whether a valid JSON number is as nlohmann writes it after reading it.
bool is_canonical_number(std::string_view text);

// nlohmann's text for a finite double, byte for byte what json(x).dump() writes,
// through nlohmann's public API (dump() of that one number). kDoubleTextSize is
// the room it needs.
inline constexpr std::size_t kDoubleTextSize = 64;
std::string_view nlohmann_double_text(double x, char (&buf)[kDoubleTextSize]);

}  // namespace rbus
