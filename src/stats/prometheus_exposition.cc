#include "stats/prometheus_exposition.h"

#include <fmt/format.h>

#include "base/safe_text.h"

namespace rbus {

std::string prometheus_label_value(std::string_view value) {
    // The exposition format escapes \\, " and newline; other controls and bytes
    // that are not UTF-8 are written as text first (\u000d, \xff), one-to-one.
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size();) {
        Utf8Char d = decode_utf8(value, i);
        std::string_view ch = value.substr(i, d.len);
        i += d.len;
        if (ch == "\\") out += "\\\\";
        else if (ch == "\"") out += "\\\"";
        else if (ch == "\n") out += "\\n";
        else if (d.valid && !is_hidden_control(d.cp)) out += ch;
        else out += "\\" + terminal_safe(ch);  // \u000d becomes \\u000d on the wire
    }
    return out;
}

void PrometheusExposition::family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void PrometheusExposition::sample(std::string_view name, const PrometheusLabels& labels, double value) {
    out_ += name;
    if (!labels.empty()) {
        out_ += '{';
        for (std::size_t i = 0; i < labels.size(); ++i)
            out_ += fmt::format("{}{}=\"{}\"", i ? "," : "", labels[i].first, prometheus_label_value(labels[i].second));
        out_ += '}';
    }
    out_ += fmt::format(" {}\n", value);
}

void PrometheusExposition::gauge(std::string_view name, std::string_view help, double value) {
    family(name, "gauge", help);
    sample(name, {}, value);
}

void PrometheusExposition::summary(std::string_view name, std::string_view help, double p50, double p99, double sum,
                                   double count) {
    family(name, "summary", help);
    sample(name, {{"quantile", "0.5"}}, p50);
    sample(name, {{"quantile", "0.99"}}, p99);
    sample(fmt::format("{}_sum", name), {}, sum);
    sample(fmt::format("{}_count", name), {}, count);
}

}  // namespace rbus
