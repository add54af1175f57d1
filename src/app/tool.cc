#include "app/tool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/color.h"
#include "base/error.h"
#include "base/duration.h"
#include "app/help_format.h"
#include "base/log.h"
#include "base/named_file.h"
#include "app/output.h"
#include "base/signals.h"
#include "base/stderr_write.h"
#include "version.h"  // generated in the build dir of src/app
#include "base/text.h"

namespace rbus {
namespace {

ContextDetails g_context_details;

// "rbus-publish" reads the config file's [publish] section.
std::string_view config_section(std::string_view tool) {
    constexpr std::string_view prefix = "rbus-";
    return tool.rfind(prefix, 0) == 0 ? tool.substr(prefix.size()) : tool;
}

// A standard stream the caller closed (`>&-`): its number taken by /dev/null,
// opened the wrong way round, so that no socket is given it (events and logs
// would go into the Redis connection) and using it fails (EBADF) as it would.
void hold_closed_standard_fds() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        int got = ::open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);  // inherited by handlers as it was
        if (got >= 0 && got != fd) {
            ::dup2(got, fd);
            ::close(got);
        }
    }
}

}  // namespace

std::string version_line(std::string_view tool) {
    std::string_view commit = kGitCommit;
    if (commit.empty()) return fmt::format("{} {}", tool, kVersion);
    return fmt::format("{} {} (git {})", tool, kVersion, commit);
}

void set_context_details(ContextDetails details) { g_context_details = std::move(details); }

void print_error(std::string_view tool, std::string_view message) {
    // CLI11 messages may span lines.
    std::string_view word = "error:";
    std::string line = fmt::format("{}: {} {}\n", tool, logger().color() ? sgr_text(sgr::red, word) : std::string(word),
                                   single_line(message));
    write_stderr(line);
}

int tool_main(std::string_view name, std::string_view description, int argc, char** argv,
              const ToolDeclare& declare) {
    hold_closed_standard_fds();
    set_tool_name(name);
    install_signal_handlers();
    logger().set_color(diagnostics_color_enabled(std::nullopt, ::isatty(STDERR_FILENO) == 1, process_env));
    CLI::App app{std::string(description), std::string(name)};
    app.set_version_flag("--version", version_line(name));
    auto formatter = std::make_shared<HelpFormatter>();
    formatter->column_width(34);
    formatter->label("OPTIONS", "OPTIONS");
    app.formatter(formatter);
    CommonOptions common;
    add_common_options(app, common);
    ToolRun run;
    Context ctx;
    try {
        run = declare(app);
        app.footer(help_footer(name, app.get_footer()));
        app.parse(argc, argv);
        // A FIFO named by a flag waits for its other end no longer than --timeout.
        if (auto* timeout = app.get_option_no_throw("--timeout"); timeout && timeout->count() > 0)
            set_file_wait_deadline(deadline_after(parse_duration(timeout->as<std::string>())));
    } catch (const CLI::ParseError& e) {
        // --help and --version are ParseErrors with exit code 0.
        if (e.get_exit_code() == 0) return app.exit(e);
        print_error(name, describe_parse_error(app, e));
        return kExitUsage;
    } catch (const Error& e) {
        print_error(name, e.what());
        return e.exit_code();
    }
    try {
        Config config = Config::load(common.config, process_env, config_section(name));
        ctx = resolve_context(common, process_env, config);
        logger().configure(ctx.log_level, ctx.log_format, std::string(name));
        logger().set_color(ctx.log_format == LogFormat::text &&
                           diagnostics_color_enabled(ctx.color_flag, ::isatty(STDERR_FILENO) == 1, process_env));
        // Security warnings survive -q; --no-auth-warning silences the password ones.
        if (ctx.url_password_on_argv && !ctx.no_auth_warning)
            logger().security("a password in --url is visible to other users (ps); use --password-file or "
                              "RAPTORBUS_PASSWORD (--no-auth-warning hides this)");
        for (const SecurityWarning& w : ctx.security_warnings)
            if (!w.auth || !ctx.no_auth_warning) logger().security(w.text);
        if (!ctx.config_path.empty()) logger().debug("config file {}", ctx.config_path);
        if (common.print_context) {
            StdoutWriter out;
            out.line(g_context_details ? describe_context(ctx, g_context_details) : describe_context(ctx));
            out.flush();
            return kExitOk;
        }
        return run(ctx);
    } catch (const StdoutClosed&) {
        return kExitOk;
    } catch (const Interrupted& e) {
        return e.exit_code();
    } catch (const ConnectError& e) {
        if (ctx.fail_soft) {
            logger().warn("bus unreachable, continuing (--fail-soft): {}", e.what());
            return kExitOk;
        }
        print_error(name, e.what());
        return e.exit_code();
    } catch (const Error& e) {
        print_error(name, e.what());
        return e.exit_code();
    } catch (const std::bad_alloc&) {
        print_error(name, "out of memory");
        return kExitFailure;
    } catch (const std::exception& e) {
        print_error(name, e.what());
        return kExitFailure;
    }
}

}  // namespace rbus
