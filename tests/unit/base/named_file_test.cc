#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "base/named_file.h"

using namespace rbus;

namespace {
std::string temp_dir() {
    char dir[] = "/tmp/rbus-named-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    return dir;
}
}  // namespace

TEST_CASE("ready file: a stale one removed, the new one replaces a symlink and never writes through it") {
    std::string dir = temp_dir();
    std::string target = dir + "/target", ready = dir + "/ready";
    std::ofstream(target) << "precious";
    REQUIRE(::symlink(target.c_str(), ready.c_str()) == 0);
    create_ready_file(ready);
    struct stat st {};
    REQUIRE(::lstat(ready.c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK(st.st_size == 0);
    std::ifstream in(target);
    std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(kept == "precious");
    remove_stale_ready_file(ready);
    CHECK(::access(ready.c_str(), F_OK) != 0);
    remove_stale_ready_file(ready);  // none there: fine
    ::unlink(target.c_str());
    ::rmdir(dir.c_str());
}

TEST_CASE("a FIFO without its other end waits only until the deadline") {
    std::string dir = temp_dir();
    std::string fifo = dir + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    set_file_wait_deadline(Clock::now() + std::chrono::milliseconds(200));
    CHECK_THROWS_AS(read_named_file(fifo, "password file"), FileWaitTimeout);
    set_file_wait_deadline(Clock::now() + std::chrono::milliseconds(200));
    CHECK_THROWS_AS(open_for_appending(fifo, "record file"), FileWaitTimeout);
    set_file_wait_deadline(std::nullopt);
    ::unlink(fifo.c_str());
    ::rmdir(dir.c_str());
}

TEST_CASE("read_named_file: a FIFO with a writer, and a bound on the size") {
    std::string dir = temp_dir();
    std::string file = dir + "/f";
    std::ofstream(file) << "0123456789";
    CHECK(read_named_file(file, "file") == "0123456789");
    CHECK_THROWS_AS(read_named_file(file, "file", 5), UsageError);
    CHECK_THROWS_AS(read_named_file(dir + "/missing", "file"), UsageError);
    ::unlink(file.c_str());
    ::rmdir(dir.c_str());
}
