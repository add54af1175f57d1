#include "log.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "timestamp.h"

namespace rbus {

std::optional<LogLevel> parse_log_level(std::string_view s) {
    if (s == "error") return LogLevel::error;
    if (s == "warn" || s == "warning") return LogLevel::warn;
    if (s == "info") return LogLevel::info;
    if (s == "debug") return LogLevel::debug;
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

std::string Logger::render(LogLevel level, std::string_view message, const LogFields& fields) const {
    if (format_ == LogFormat::json) {
        nlohmann::ordered_json j;
        j["timestamp"] = now_timestamp();
        j["level"] = log_level_name(level);
        j["logger"] = "bus";
        j["program"] = program_;
        j["message"] = message;
        for (const auto& [k, v] : fields) j[std::string(k)] = v;
        return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    }
    std::string line;
    line.reserve(64 + message.size());
    line += log_level_name(level);
    line += " bus - ";
    line += message;
    for (const auto& [k, v] : fields) {
        line += ' ';
        line += k;
        line += '=';
        line += v;
    }
    line += '\n';
    return line;
}

void Logger::log(LogLevel level, std::string_view message, const LogFields& fields) const {
    if (!enabled(level)) return;
    std::string line = render(level, message, fields);
    // One write per line so that lines from concurrent processes do not interleave.
    ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
    (void)rc;
}

Logger& logger() {
    static Logger instance;
    return instance;
}

}  // namespace rbus
