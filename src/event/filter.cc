#include "event/filter.h"

#include <fnmatch.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "event/canonical.h"
#include "base/error.h"
#include "base/log.h"
#include "base/stderr_write.h"
#include "base/tool_name.h"
#include "base/text.h"

namespace rbus {
namespace {

// A path segment that indexes an array: 1 to 9 digits.
bool is_array_index(std::string_view s) { return s.size() <= 9 && all_digits(s); }

bool same_text(const std::optional<std::string_view>& field, const std::optional<std::string>& want) {
    return !want || (field && *field == *want);
}

}  // namespace

namespace {

struct ContextFilter {
    std::string_view what, key;  // "workspace", the Context::sources key
    const std::optional<std::string>& value;
};

std::vector<ContextFilter> context_filters(const Context& ctx, bool workspace_only) {
    std::vector<ContextFilter> all{{"workspace", "workspace-id", ctx.workspace_id}};
    if (!workspace_only) {
        all.push_back({"correlation id", "correlation-id", ctx.correlation_id});
        all.push_back({"source agent", "source-agent-id", ctx.source_agent_id});
    }
    std::vector<ContextFilter> set;
    for (const auto& f : all)
        if (f.value) set.push_back(f);
    return set;
}

}  // namespace

std::string describe_context_filters(const Context& ctx, bool workspace_only) {
    std::string out;
    for (const auto& f : context_filters(ctx, workspace_only)) {
        if (!out.empty()) out += ", ";
        out += fmt::format("{} {} ({})", f.what, escape_controls(*f.value), ctx.source_of(f.key));
    }
    return out;
}

void note_environment_filters(const Context& ctx, bool workspace_only) {
    if (ctx.quiet || !(::isatty(STDERR_FILENO) == 1 || logger().enabled(LogLevel::info))) return;
    for (const auto& f : context_filters(ctx, workspace_only)) {
        std::string source = ctx.source_of(f.key);
        if (source.rfind("RAPTORBUS_", 0) != 0 && source.rfind("config ", 0) != 0) continue;
        std::string line = fmt::format("{}: note: only {} {} ({}); {} to see all events\n", tool_name(), f.what,
                                       escape_controls(*f.value), source,
                                       source.rfind("config ", 0) == 0 ? "remove it" : "unset it");
        write_stderr(line);
    }
}

FieldPath FieldPath::parse(std::string_view text) {
    FieldPath p;
    p.text_ = std::string(text);
    if (text.empty()) throw UsageError("empty field path");
    std::size_t start = 0;
    while (true) {
        std::size_t dot = text.find('.', start);
        std::string_view seg = text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (seg.empty())
            throw UsageError(fmt::format("invalid field path \"{}\": empty part between dots", text));
        p.segments_.emplace_back(seg);
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return p;
}

std::optional<jscan::Value> FieldPath::find_in_text(std::string_view root_text) const {
    jscan::Value at{jscan::Kind::object, root_text};
    for (const std::string& seg : segments_) {
        std::optional<jscan::Value> next;
        if (at.kind == jscan::Kind::object) {
            jscan::for_each_member(at.text, [&](std::string_view key, jscan::Value v) {
                // key lies between its quotes in the text: the token is one byte wider each side.
                if (!token_equals(std::string_view(key.data() - 1, key.size() + 2), seg)) return true;
                next = v;  // keys are unique in a canonical message
                return false;
            });
        } else if (at.kind == jscan::Kind::array && is_array_index(seg)) {
            std::size_t want = std::stoul(seg), i = 0, pos = 1;
            while (at.text[pos] != ']') {
                std::size_t end = jscan::skip_value(at.text, pos);
                if (i++ == want) {
                    next = jscan::Value{jscan::kind_at(at.text, pos), at.text.substr(pos, end - pos)};
                    break;
                }
                pos = at.text[end] == ',' ? end + 1 : end;
            }
        }
        if (!next) return std::nullopt;
        at = *next;
    }
    return at;
}

void add_filter_options(CLI::App& app, FilterOptions& opts) {
    app.add_option("--min-priority", opts.min_priority, "only events of LEVEL or above (low|normal|high|critical)")
        ->type_name("LEVEL");
    app.add_option("--where", opts.where, "only events whose PATH=VALUE (or PATH!=VALUE); repeatable")
        ->type_name("PATH=VALUE")
        ->expected(1)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--exclude", opts.exclude, "drop events whose type matches TYPE or glob PATTERN; repeatable")
        ->type_name("PATTERN")
        ->expected(1)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

EventFilter::Where EventFilter::parse_where(std::string_view text) {
    std::size_t eq = text.find('=');
    if (eq == std::string_view::npos)
        throw UsageError(fmt::format("invalid --where \"{}\": use PATH=VALUE or PATH!=VALUE", text));
    bool negate = eq > 0 && text[eq - 1] == '!';
    std::string_view path = text.substr(0, negate ? eq - 1 : eq);
    if (path.empty()) throw UsageError(fmt::format("invalid --where \"{}\": the path is empty", text));
    Where w{FieldPath::parse(path), std::string(text.substr(eq + 1)), negate};
    return w;
}

EventFilter EventFilter::compile(const FilterOptions& opts, const Context& ctx) {
    EventFilter f;
    f.workspace_id_ = ctx.workspace_id;
    f.correlation_id_ = ctx.correlation_id;
    f.source_agent_id_ = ctx.source_agent_id;
    if (!opts.min_priority.empty()) {
        f.min_priority_ = parse_priority(opts.min_priority);
        if (!f.min_priority_)
            throw UsageError(fmt::format("invalid --min-priority \"{}\": use low, normal, high or critical",
                                         opts.min_priority));
    }
    for (const std::string& w : opts.where) f.where_.push_back(parse_where(w));
    for (const std::string& x : opts.exclude) {
        if (x.empty()) throw UsageError("empty --exclude pattern");
        f.exclude_.push_back(x);
    }
    return f;
}

bool EventFilter::empty() const {
    return !workspace_id_ && !correlation_id_ && !source_agent_id_ && !min_priority_ && where_.empty() &&
           exclude_.empty();
}

bool EventFilter::matches(const EventView& e) const {
    if (!same_text(e.workspace_id, workspace_id_)) return false;
    if (!same_text(e.request_id, correlation_id_)) return false;
    if (!same_text(e.source_agent_id, source_agent_id_)) return false;
    if (min_priority_ && e.priority < *min_priority_) return false;
    std::string text;
    for (const Where& w : where_) {
        auto v = w.path.find_in_text(e.text);
        text.clear();
        if (v) append_json_text(text, *v);
        bool equal = v && text == w.value;
        if (equal == w.negate) return false;
    }
    if (!exclude_.empty()) {
        std::string type(e.type);
        for (const std::string& x : exclude_)
            if (::fnmatch(x.c_str(), type.c_str(), 0) == 0) return false;
    }
    return true;
}

}  // namespace rbus
