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

}  // namespace rbus
