// How fast each reader turns received messages into what rbus prints, per
// message, on files of one message per line (bench/shapes.py writes them):
//   one-pass  EnvelopeReader::read (what the tools use), and how many messages
//             it handed to the tree reader
//   tree      read_envelope + dump (nlohmann DOM: the oracle)
//   jscan     jscan::scan with its canonical check (validation only)
//   simdjson  simdjson's DOM parser (validation only; when built with libsimdjson-dev)
// Usage: read-bench [--rounds N] FILE...   prints one line per file and reader.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "envelope.h"
#include "event_read.h"
#include "json_scan.h"

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

// The median over rounds of the nanoseconds per message of f over every message.
template <class F>
double ns_per_message(const std::vector<std::string>& msgs, int rounds, F f) {
    std::vector<double> per;
    for (int r = 0; r < rounds; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        for (const std::string& m : msgs) f(m);
        auto t1 = std::chrono::steady_clock::now();
        per.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(msgs.size()));
    }
    std::sort(per.begin(), per.end());
    return per[per.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 5;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
        else files.push_back(a);
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: read-bench [--rounds N] FILE...\n");
        return 2;
    }
    std::size_t sink = 0;  // keeps the work from being optimised away
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
    fmt::print("(nanoseconds per message, median of {} rounds; sink {})\n", rounds, sink % 10);
    return 0;
}
