#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "app/output.h"
#include "event/envelope.h"  // Json
#include "json/json_paint.h"

using namespace rbus;

TEST_CASE("colour policy: --color beats the environment, NO_COLOR beats CLICOLOR_FORCE") {
    auto none = env_from_map({});
    CHECK(color_enabled(std::nullopt, true, none));
    CHECK_FALSE(color_enabled(std::nullopt, false, none));
    CHECK_FALSE(color_enabled(std::nullopt, true, env_from_map({{"TERM", "dumb"}})));
    CHECK_FALSE(color_enabled(std::nullopt, true, env_from_map({{"NO_COLOR", "1"}})));
    // CLICOLOR_FORCE colours diagnostics off a terminal, never data on a pipe.
    CHECK_FALSE(color_enabled(std::nullopt, false, env_from_map({{"CLICOLOR_FORCE", "1"}})));
    CHECK(diagnostics_color_enabled(std::nullopt, false, env_from_map({{"CLICOLOR_FORCE", "1"}})));
    CHECK_FALSE(diagnostics_color_enabled(std::nullopt, false, env_from_map({{"CLICOLOR_FORCE", "0"}})));
    CHECK_FALSE(diagnostics_color_enabled(std::nullopt, false, env_from_map({{"CLICOLOR_FORCE", "1"}, {"NO_COLOR", "1"}})));
    CHECK(diagnostics_color_enabled(ColorMode::always, false, env_from_map({})));
    CHECK_FALSE(color_enabled(std::nullopt, false, env_from_map({{"CLICOLOR_FORCE", "0"}})));
    CHECK_FALSE(color_enabled(std::nullopt, true, env_from_map({{"NO_COLOR", "1"}, {"CLICOLOR_FORCE", "1"}})));
    CHECK(color_enabled(ColorMode::always, false, env_from_map({{"NO_COLOR", "1"}})));
    CHECK_FALSE(color_enabled(ColorMode::never, true, env_from_map({{"CLICOLOR_FORCE", "1"}})));
    CHECK(color_enabled(ColorMode::automatic, true, none));
}

TEST_CASE("coloured JSON keeps the JSON once the escapes are removed") {
    Json j = Json::parse(R"({"a":"x","n":1,"b":null,"l":[true,2.5],"o":{}})");
    std::string c = colorize_json(j);
    CHECK(c.find("\x1b[") != std::string::npos);
    std::string plain;
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (c[i] == '\x1b') {
            while (i < c.size() && c[i] != 'm') ++i;
            continue;
        }
        plain += c[i];
    }
    CHECK(plain == j.dump());
}

TEST_CASE("held output: nothing reaches stdout until released, and a discard drops it all") {
    std::FILE* file = std::tmpfile();
    REQUIRE(file);
    auto written = [&] {
        std::string s;
        std::rewind(file);
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) s.append(buf, n);
        return s;
    };
    const std::string line(1000, 'x');  // 200 lines: past the 64 KiB at which output is written
    {
        StdoutWriter out(fileno(file));
        out.line("before");
        out.hold(1 << 20);
        CHECK(written() == "before\n");  // what came before is written first
        for (int i = 0; i < 200; ++i) out.line(line);
        out.flush();  // an end of burst while held writes nothing
        CHECK(out.held() == 200 * 1001);
        CHECK(written() == "before\n");
        out.discard();
        CHECK(out.held() == 0);
        out.hold(1 << 20);
        for (int i = 0; i < 200; ++i) out.line(line);
        out.line("last");
        CHECK(written() == "before\n");
        out.release();
        out.line("after");
    }  // written at the end
    std::string all = written();
    CHECK(all.size() == 7 + 200 * 1001 + 5 + 6);
    CHECK(all.rfind("before\n" + line + "\n", 0) == 0);
    CHECK(all.substr(all.size() - 11) == "last\nafter\n");
    std::fclose(file);
}
