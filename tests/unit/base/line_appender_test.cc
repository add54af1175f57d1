#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "base/error.h"
#include "base/line_appender.h"

using namespace rbus;

namespace {
std::string appender_temp_dir() {
    char dir[] = "/tmp/rbus-appender-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    return dir;
}

std::string content(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("line appender: lines reach the file at flush, after what was there") {
    std::string dir = appender_temp_dir();
    std::string path = dir + "/rec";
    std::ofstream(path) << "{\"old\":1}\n";
    {
        LineAppender a(path, "record file");
        a.append(R"({"a":1})");
        a.append(R"({"b":2})");
        CHECK(content(path) == "{\"old\":1}\n");  // buffered until flushed
        a.flush();
        CHECK(content(path) == "{\"old\":1}\n{\"a\":1}\n{\"b\":2}\n");
        a.append(R"({"c":3})");
    }  // the destructor writes the rest
    CHECK(content(path) == "{\"old\":1}\n{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
}

TEST_CASE("line appender: a new file is created 0644; with flush_at, a full buffer is written at once") {
    std::string dir = appender_temp_dir();
    std::string path = dir + "/dl";
    mode_t umask_before = ::umask(022);
    LineAppender a(path, "dead-letter file", 10);
    ::umask(umask_before);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
    a.append("1234");
    CHECK(content(path).empty());
    a.append("56789");  // 10 bytes with the newlines
    CHECK(content(path) == "1234\n56789\n");
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
}

TEST_CASE("line appender: errors name the file by what it is") {
    std::string dir = appender_temp_dir();
    try {
        LineAppender a(dir + "/missing/rec", "record file");
        FAIL("opened a file in a missing directory");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "cannot open record file " + dir + "/missing/rec: No such file or directory");
    }
    ::rmdir(dir.c_str());
    if (::access("/dev/full", W_OK) != 0) return;
    LineAppender full("/dev/full", "dead-letter file");
    full.append("{}");
    try {
        full.flush();
        FAIL("a write to /dev/full succeeded");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "cannot write dead-letter file /dev/full: No space left on device");
    }
    full.flush();  // the lost lines are dropped, not written again
}
