#include "event/template.h"

#include <fmt/format.h>

#include <vector>

#include "event/canonical.h"
#include "base/error.h"
#include "event/filter.h"
#include "base/safe_text.h"
#include "base/timestamp.h"

namespace rbus {
namespace {

enum class Field {
    literal, id, type, channel, priority, request_id, workspace_id, source_agent_id,
    timestamp, payload, payload_path, received_at, lag_ms,
};

struct Token {
    Field field = Field::literal;
    std::string text;                // the literal, for Field::literal
    std::optional<FieldPath> path;   // for Field::payload_path
    bool raw = false;                // {field:raw}: strings as they are, not escaped
};

Field field_named(std::string_view name) {
    static const std::pair<std::string_view, Field> kFields[] = {
        {"id", Field::id}, {"type", Field::type}, {"channel", Field::channel}, {"priority", Field::priority},
        {"request_id", Field::request_id}, {"workspace_id", Field::workspace_id},
        {"source_agent_id", Field::source_agent_id}, {"timestamp", Field::timestamp}, {"payload", Field::payload},
        {"received_at", Field::received_at}, {"lag_ms", Field::lag_ms},
    };
    for (const auto& [n, f] : kFields)
        if (n == name) return f;
    if (name.substr(0, 8) == "payload.") return Field::payload_path;
    throw UsageError(fmt::format(
        "invalid --format template: unknown field {{{}}}; fields are {{id}} {{type}} {{channel}} {{priority}} "
        "{{request_id}} {{workspace_id}} {{source_agent_id}} {{timestamp}} {{payload}} {{payload.PATH}} "
        "{{received_at}} {{lag_ms}}; {{FIELD:raw}} writes a string unescaped",
        name));
}

// A string from the event: escaped as the inside of a JSON string, so that one
// event stays one line with the template's own separators; as it is with :raw.
void put_string(std::string& out, std::string_view s, bool raw) {
    if (raw) out += s;
    else append_template_escaped(out, s);
}

void put_value(std::string& out, const std::optional<jscan::Value>& v, bool raw) {
    if (!v || v->kind == jscan::Kind::null) return;
    if (v->kind == jscan::Kind::string) {
        std::string decoded;
        jscan::decode_string(v->text, decoded);
        put_string(out, decoded, raw);
        return;
    }
    // JSON text escapes C0 controls itself; C1 and bidi characters too unless :raw.
    if (raw) out += v->text;
    else out += json_terminal_safe(v->text);
}

void put_text(std::string& out, const std::optional<std::string_view>& s, bool raw) {
    if (s) put_string(out, *s, raw);
}

class TemplateFormatter : public EventFormatter {
public:
    explicit TemplateFormatter(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

    void format(const FormatInput& in, std::string& out) const override {
        const EventView& e = in.event;
        for (const Token& t : tokens_) {
            switch (t.field) {
                case Field::literal: out += t.text; break;
                case Field::id: put_string(out, e.id, t.raw); break;
                case Field::type: put_string(out, e.type, t.raw); break;
                case Field::channel: put_string(out, in.message.channel, t.raw); break;
                case Field::priority: put_string(out, e.priority_text, t.raw); break;
                case Field::request_id: put_text(out, e.request_id, t.raw); break;
                case Field::workspace_id: put_text(out, e.workspace_id, t.raw); break;
                case Field::source_agent_id: put_text(out, e.source_agent_id, t.raw); break;
                case Field::timestamp: put_text(out, e.timestamp, t.raw); break;
                case Field::payload: put_value(out, jscan::Value{jscan::kind_at(e.payload, 0), e.payload}, t.raw); break;
                case Field::payload_path: put_value(out, t.path->find_in_text(e.text), t.raw); break;
                case Field::received_at: out += format_timestamp(in.received_at); break;
                case Field::lag_ms: put_lag(out, in); break;
            }
        }
    }

private:
    static void put_lag(std::string& out, const FormatInput& in) {
        const std::optional<std::string_view>& ts = in.event.timestamp;
        if (!ts) return;
        auto sent = parse_timestamp(*ts);
        if (!sent) return;
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(in.received_at - *sent).count();
        out += fmt::format("{:.3f}", static_cast<double>(us) / 1000.0);
    }

    std::vector<Token> tokens_;
};

}  // namespace

std::unique_ptr<EventFormatter> compile_template(std::string_view text) {
    std::vector<Token> tokens;
    std::string literal;
    auto flush_literal = [&] {
        if (!literal.empty()) tokens.push_back(Token{Field::literal, std::move(literal), std::nullopt});
        literal.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        char ch = text[i];
        char next = i + 1 < text.size() ? text[i + 1] : '\0';
        if (ch == '\\' && (next == 't' || next == 'n' || next == '\\')) {
            literal += next == 't' ? '\t' : next == 'n' ? '\n' : '\\';
            ++i;
        } else if (ch == '{' && next == '{') {
            literal += '{';
            ++i;
        } else if (ch == '}' && next == '}') {
            literal += '}';
            ++i;
        } else if (ch == '}') {
            throw UsageError("invalid --format template: a lone } (write }} for a literal brace)");
        } else if (ch == '{') {
            std::size_t close = text.find('}', i + 1);
            if (close == std::string_view::npos)
                throw UsageError("invalid --format template: { without its } (write {{ for a literal brace)");
            std::string_view name = text.substr(i + 1, close - i - 1);
            bool raw = name.size() > 4 && name.substr(name.size() - 4) == ":raw";
            if (raw) name.remove_suffix(4);
            Field f = field_named(name);
            flush_literal();
            Token t{f, {}, std::nullopt, raw};
            if (f == Field::payload_path) t.path = FieldPath::parse(name);
            tokens.push_back(std::move(t));
            i = close;
        } else {
            literal += ch;
        }
    }
    flush_literal();
    return std::make_unique<TemplateFormatter>(std::move(tokens));
}

}  // namespace rbus
