// Test helper: the text of a coloured line without its SGR sequences.
#pragma once

#include <cstddef>
#include <string>

inline std::string strip_sgr(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\x1b') {
            while (i < s.size() && s[i] != 'm') ++i;
            continue;
        }
        out += s[i];
    }
    return out;
}
