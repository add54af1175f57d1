#include <doctest/doctest.h>

#include "app/help_format.h"

using namespace rbus;

TEST_CASE("value names in --help: ours, not CLI11's") {
    CHECK(help_type_name("INT:INT in [1 - 10000]") == "N");
    CHECK(help_type_name("UINT") == "N");
    CHECK(help_type_name("TEXT") == "VALUE");
    CHECK(help_type_name("DUR") == "DUR");
}

TEST_CASE("a mistyped long option gets the nearest one") {
    CLI::App app;
    std::string s;
    app.add_option("--priority", s);
    app.add_option("--timeout", s);
    app.add_option("--min-receivers", s);
    CHECK(nearest_option(app, "--priorty") == "--priority");
    CHECK(nearest_option(app, "--priority=high") == "--priority");
    CHECK(nearest_option(app, "--timout") == "--timeout");
    CHECK(nearest_option(app, "--min-rec") == "--min-receivers");  // a unique prefix
    CHECK(nearest_option(app, "--zzzzzz").empty());
    CHECK(nearest_option(app, "-p").empty());
}

TEST_CASE("the help footer ends with the exit codes") {
    std::string f = help_footer("rbus-x", "  rbus-x a.b\n");
    CHECK(f.rfind("Examples:\n  rbus-x a.b\n\nExit status: 0 done;", 0) == 0);
    CHECK(f.ends_with("More: man rbus-x, man rbus."));
    CHECK(help_footer("rbus-x", "").rfind("Exit status:", 0) == 0);
}
