#include "base/log.h"

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/color.h"
#include "base/safe_text.h"
#include "base/stderr_write.h"
#include "base/text.h"
#include "base/timestamp.h"

namespace rbus {

std::optional<LogLevel> parse_log_level(std::string_view text) {
    // Python's logging names too (INFO, WARNING, CRITICAL), in any case.
    std::string s = ascii_lower(text);
    if (s == "error" || s == "critical" || s == "fatal") return LogLevel::error;
    if (s == "warn" || s == "warning") return LogLevel::warn;
    if (s == "info") return LogLevel::info;
    if (s == "debug" || s == "trace") return LogLevel::debug;
    return std::nullopt;
}

std::string_view log_level_name(LogLevel l) {
    switch (l) {
        case LogLevel::error: return "ERROR";
        case LogLevel::warn: return "WARN";
        case LogLevel::info: return "INFO";
        case LogLevel::debug: return "DEBUG";
    }
    return "INFO";
}

void Logger::configure(LogLevel level, LogFormat format, std::string program) {
    level_ = level;
    format_ = format;
    program_ = std::move(program);
}

namespace {

// Text from the bus (a channel name, a type) may hold terminal escapes, line
// breaks or bidi overrides: one record stays one harmless line, C0 controls
// shown as \xNN as before, the others as terminal_safe writes them.
void append_printable(std::string& line, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < text.size();) {
        auto u = static_cast<unsigned char>(text[i]);
        if (u >= 0x20 && u < 0x7f) {
            line += text[i++];
        } else if (u < 0x20 || u == 0x7f) {
            line += "\\x";
            line += kHex[u >> 4];
            line += kHex[u & 0xf];
            ++i;
        } else {
            std::size_t len = decode_utf8(text, i).len;
            line += terminal_safe(text.substr(i, len));
            i += len;
        }
    }
}

}  // namespace

std::string Logger::render(LogLevel level, std::string_view message, const LogFields& fields) const {
    if (format_ == LogFormat::json) {
        nlohmann::ordered_json j;
        j["timestamp"] = now_timestamp();
        j["level"] = log_level_name(level);
        j["logger"] = "bus";
        j["program"] = program_;
        j["message"] = message;
        for (const auto& [k, v] : fields) j[std::string(k)] = v;
        return json_terminal_safe(lossless_json(j).dump()) + "\n";
    }
    std::string line;
    line.reserve(64 + message.size());
    if (color_) {
        // Red errors, yellow warnings, dim debug; info plain.
        static constexpr std::string_view kColor[] = {sgr::red, sgr::yellow, "", sgr::dim};
        append_sgr(line, kColor[static_cast<int>(level)], log_level_name(level));
    } else {
        line += log_level_name(level);
    }
    line += " bus - ";
    append_printable(line, message);
    for (const auto& [k, v] : fields) {
        line += ' ';
        line += k;
        line += '=';
        append_printable(line, v);
    }
    line += '\n';
    return line;
}

void Logger::log(LogLevel level, std::string_view message, const LogFields& fields) const {
    if (!enabled(level)) return;
    // One write per line so that lines from concurrent processes do not interleave.
    write_stderr(render(level, message, fields));
}

void Logger::vlog(LogLevel level, fmt::string_view format, fmt::format_args args) const {
    log(level, fmt::vformat(format, args));
}

void Logger::security(std::string_view message) const {
    write_stderr(render(LogLevel::warn, message, {}));
}

Logger& logger() {
    static Logger instance;
    return instance;
}

}  // namespace rbus
