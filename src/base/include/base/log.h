// Diagnostics on stderr, in the seed's form:
//   INFO bus - Published event agent.task_started to raptorflow.events.agent.task_started workspace_id=ws-123
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/core.h>

namespace rbus {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };
enum class LogFormat { text, json };

// error|warn|info|debug, Python's names (warning, critical), any case.
std::optional<LogLevel> parse_log_level(std::string_view);
std::string_view log_level_name(LogLevel);

using LogFields = std::vector<std::pair<std::string_view, std::string>>;

// Keeps info(message, fields) off the format-style overloads below.
template <typename... Args>
inline constexpr bool kNoFields = (!std::is_same_v<std::remove_cvref_t<Args>, LogFields> && ...);

class Logger {
public:
    void configure(LogLevel level, LogFormat format, std::string program);
    // Colour the level word of text lines (diagnostics_color_enabled's policy).
    void set_color(bool on) { color_ = on; }
    bool color() const { return color_; }
    bool enabled(LogLevel level) const { return level <= level_; }
    void log(LogLevel level, std::string_view message, const LogFields& fields = {}) const;
    void error(std::string_view m, const LogFields& f = {}) const { log(LogLevel::error, m, f); }
    void warn(std::string_view m, const LogFields& f = {}) const { log(LogLevel::warn, m, f); }
    void info(std::string_view m, const LogFields& f = {}) const { log(LogLevel::info, m, f); }
    void debug(std::string_view m, const LogFields& f = {}) const { log(LogLevel::debug, m, f); }
    // fmt-style, checked at compile time: logger().debug("connected to {}", peer).
    // The message is formatted only when the level is on (the arguments
    // themselves are still evaluated by the caller).
    template <typename T, typename... Args>
        requires kNoFields<T, Args...>
    void error(fmt::format_string<T, Args...> f, T&& a, Args&&... args) const {
        log_format(LogLevel::error, f, a, args...);
    }
    template <typename T, typename... Args>
        requires kNoFields<T, Args...>
    void warn(fmt::format_string<T, Args...> f, T&& a, Args&&... args) const {
        log_format(LogLevel::warn, f, a, args...);
    }
    template <typename T, typename... Args>
        requires kNoFields<T, Args...>
    void info(fmt::format_string<T, Args...> f, T&& a, Args&&... args) const {
        log_format(LogLevel::info, f, a, args...);
    }
    template <typename T, typename... Args>
        requires kNoFields<T, Args...>
    void debug(fmt::format_string<T, Args...> f, T&& a, Args&&... args) const {
        log_format(LogLevel::debug, f, a, args...);
    }
    // A security warning (--insecure, a password on argv, a secret file others
    // can read): a WARN line whatever the level, -q included.
    void security(std::string_view m) const;
    // Renders one line without writing it (used by log() and by tests).
    std::string render(LogLevel level, std::string_view message, const LogFields& fields) const;

private:
    template <typename... Args>
    void log_format(LogLevel level, fmt::string_view f, const Args&... args) const {
        if (enabled(level)) vlog(level, f, fmt::make_format_args(args...));
    }
    void vlog(LogLevel level, fmt::string_view format, fmt::format_args args) const;

    LogLevel level_ = LogLevel::warn;
    LogFormat format_ = LogFormat::text;
    std::string program_ = "rbus";
    bool color_ = false;
};

// The one logger of a process: tools configure it once from the context.
Logger& logger();

// An argument worked out only when its line is written, for one that costs a
// string of its own (a duration in words, a handler's end described):
//   logger().info("claimed {} idle for {}", n, log_lazy([&] { return format_duration(idle); }));
template <typename F>
struct LogLazy {
    F text;
};
template <typename F>
LogLazy<F> log_lazy(F text) {
    return {std::move(text)};
}

}  // namespace rbus

template <typename F>
struct fmt::formatter<rbus::LogLazy<F>> : fmt::formatter<std::string_view> {
    auto format(const rbus::LogLazy<F>& lazy, fmt::format_context& ctx) const {
        const auto text = lazy.text();
        return fmt::formatter<std::string_view>::format(std::string_view(text), ctx);
    }
};
