// How fast each reader turns received messages into what rbus prints, per
// message, on files of one message per line (bench/shapes.py writes them):
//   one-pass  EnvelopeReader::read (what the tools use), and how many messages
//             it handed to the tree reader
//   tree      read_envelope + dump (nlohmann DOM: the oracle)
//   jscan     jscan::scan with its canonical check (validation only)
//   simdjson  simdjson's DOM parser (validation only; when built with libsimdjson-dev)
// Times are CPU time of this process (CLOCK_PROCESS_CPUTIME_ID), not wall
// clock: on a shared machine, waiting for a core is not counted.
// Usage: read-bench [--rounds N] [--only READER] FILE...
//   prints one line per file; --only runs that reader once over every file and
//   prints nothing else (for `valgrind --tool=callgrind` or `perf stat`).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "event/envelope.h"
#include "event/event_read.h"
#include "json/json_scan.h"

#ifdef RBUS_HAVE_SIMDJSON
#include <simdjson.h>
#endif

namespace {

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

double cpu_ns() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// The median over rounds of the CPU nanoseconds per message of f over every message.
template <class F>
double ns_per_message(const std::vector<std::string>& msgs, int rounds, F f) {
    std::vector<double> per;
    for (int r = 0; r < rounds; ++r) {
        const double t0 = cpu_ns();
        for (const std::string& m : msgs) f(m);
        per.push_back((cpu_ns() - t0) / static_cast<double>(msgs.size()));
    }
    std::sort(per.begin(), per.end());
    return per[per.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 5;
    std::string only;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
        else if (a == "--only" && i + 1 < argc) only = argv[++i];
        else files.push_back(a);
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: read-bench [--rounds N] [--only one-pass|tree|jscan|simdjson] FILE...\n");
        return 2;
    }
    std::size_t sink = 0;  // keeps the work from being optimised away
    if (!only.empty()) {
        rbus::EnvelopeReader reader;
#ifdef RBUS_HAVE_SIMDJSON
        simdjson::dom::parser parser;
#endif
        for (const std::string& path : files) {
            for (const std::string& m : lines_of(path)) {
                if (only == "one-pass") {
                    sink += reader.read(m).event.text.size();
                } else if (only == "tree") {
                    rbus::ReadResult r = rbus::read_envelope(m);
                    if (r.ok()) sink += r.envelope->dump().size();
                } else if (only == "jscan") {
                    bool canonical = false;
                    sink += rbus::jscan::scan(m, canonical).has_value() + canonical;
#ifdef RBUS_HAVE_SIMDJSON
                } else if (only == "simdjson") {
                    simdjson::dom::element doc;
                    sink += parser.parse(m).get(doc) == simdjson::SUCCESS;
#endif
                } else if (only != "none") {
                    std::fprintf(stderr, "read-bench: unknown reader %s\n", only.c_str());
                    return 2;
                }
            }
        }
        return sink == 42 ? 1 : 0;
    }
    fmt::print("{:<28} {:>10} {:>10} {:>10} {:>10} {:>12}\n", "file", "one-pass", "tree", "jscan", "simdjson",
               "to the tree");
    for (const std::string& path : files) {
        std::vector<std::string> msgs = lines_of(path);
        if (msgs.empty()) continue;
        rbus::EnvelopeReader reader;
        double one = ns_per_message(msgs, rounds, [&](const std::string& m) { sink += reader.read(m).event.text.size(); });
        const double handed = static_cast<double>(reader.full_reads()) /
                              static_cast<double>(reader.full_reads() + reader.one_pass_reads());
        double tree = ns_per_message(msgs, rounds, [&](const std::string& m) {
            rbus::ReadResult r = rbus::read_envelope(m);
            if (r.ok()) sink += r.envelope->dump().size();
        });
        double scan = ns_per_message(msgs, rounds, [&](const std::string& m) {
            bool canonical = false;
            sink += rbus::jscan::scan(m, canonical).has_value() + canonical;
        });
        std::string simd = "-";
#ifdef RBUS_HAVE_SIMDJSON
        simdjson::dom::parser parser;
        double sj = ns_per_message(msgs, rounds, [&](const std::string& m) {
            simdjson::dom::element doc;
            sink += parser.parse(m).get(doc) == simdjson::SUCCESS;
        });
        simd = fmt::format("{:.0f}", sj);
#endif
        std::string name = path.substr(path.rfind('/') + 1);
        fmt::print("{:<28} {:>10.0f} {:>10.0f} {:>10.0f} {:>10} {:>11.3f}%\n", name, one, tree, scan, simd,
                   100.0 * handed);
    }
    fmt::print("(CPU nanoseconds per message, median of {} rounds; sink {})\n", rounds, sink % 10);
    return 0;
}
