#include <doctest/doctest.h>

#include "base/text_width.h"

using namespace rbus;

TEST_CASE("display width counts columns, not bytes") {
    CHECK(display_width("") == 0);
    CHECK(display_width("abc") == 3);
    CHECK(display_width("é") == 1);           // 2 bytes
    CHECK(display_width("e\xCC\x81") == 1);   // e + combining acute
    CHECK(display_width("日本") == 4);         // wide
    CHECK(display_width("🚀") == 2);           // emoji
    CHECK(display_width("…") == 1);
    CHECK(display_width("\xFF") == 1);        // not UTF-8: one column
}

TEST_CASE("fit_columns never splits a character") {
    CHECK(fit_columns("abcdef", 3) == "abc");
    CHECK(fit_columns("héllo", 2) == "hé");
    CHECK(fit_columns("日本語", 3) == "日");    // the second wide char would straddle the edge
    CHECK(fit_columns("日本語", 4) == "日本");
    CHECK(fit_columns("ae\xCC\x81x", 2) == "ae\xCC\x81");  // a mark stays with its character
    CHECK(fit_columns("abc", 0) == "");
    CHECK(fit_columns("ab", 10) == "ab");
}

TEST_CASE("cut_to_columns ends with an ellipsis only when it cuts") {
    CHECK(cut_to_columns("hello", 5) == "hello");
    CHECK(cut_to_columns("hello!", 5) == "hell…");
    CHECK(cut_to_columns("日本語", 4) == "日…");
    CHECK(display_width(cut_to_columns("日本語日本語", 7)) <= 7);
    CHECK(cut_to_columns("hello", 1) == "…");
    CHECK(cut_to_columns("hello", 0) == "");
}

TEST_CASE("terminal_safe keeps escapes away from the terminal") {
    CHECK(terminal_safe("agent.task") == "agent.task");
    CHECK(terminal_safe("a\x1b[2Jb") == "a\\u001b[2Jb");
    CHECK(terminal_safe("tab\there") == "tab\\u0009here");
    CHECK(terminal_safe("del\x7f") == "del\\u007f");
    CHECK(terminal_safe("c1\xC2\x9B") == "c1\\u009b");  // U+009B, the one-byte CSI
    CHECK(terminal_safe("bad\xFFz") == "bad\\xffz");  // one-to-one, never U+FFFD
    CHECK(terminal_safe("rtl\u202Egnp.exe") == "rtl\\u202egnp.exe");
    CHECK(terminal_safe("日本") == "日本");
}
