#include "bus/history_options.h"

#include <charconv>
#include <climits>
#include <cstdint>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/duration.h"
#include "base/error.h"

namespace rbus {

CLI::Validator not_empty(const char* what) {
    return CLI::Validator(
        [what](std::string& v) { return v.empty() ? fmt::format("needs a {}, not \"\"", what) : std::string(); }, "",
        "not empty");
}

void add_retention_options(CLI::App& app, RetentionFlags& flags, const char* group) {
    app.add_option("--retain", flags.retain, "history: trim entries older than DUR")
        ->type_name("DUR")
        ->check(not_empty("duration"))  // "" (an unset variable) was no retention at all
        ->group(group);
    // Checked as written: CLI11 would take "-5" for 2^64 - 5 (a MAXLEN the server refuses after the XADD).
    CLI::Validator count([](std::string& v) {
        std::uint64_t n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n > std::uint64_t(LLONG_MAX))
            return fmt::format("needs a number of entries from 0 (no limit) to {}, not \"{}\"", LLONG_MAX, v);
        return std::string();
    }, "", "entries");
    app.add_option("--max-len", flags.max_len, "history: keep about N entries per channel")
        ->type_name("N")
        ->check(count)
        ->group(group);
}

HistorySettings history_settings(const Context& ctx, const RetentionFlags& flags) {
    HistorySettings s{HistoryKeys(ctx.history_prefix)};
    if (!flags.retain.empty()) {
        s.retain = parse_duration(flags.retain);
        if (s.retain.count() <= 0) throw UsageError("--retain must be longer than 0");
    }
    s.max_len = flags.max_len;
    return s;
}

void load_record_script(Connection& conn, std::chrono::milliseconds timeout) {
    Reply r = conn.command({"SCRIPT", "LOAD", record_script()}, timeout);
    if (reply_text(r.get()) != record_script_sha())
        throw ProtocolError(fmt::format("{} loaded the history script under another SHA-1", conn.peer()));
}

}  // namespace rbus
