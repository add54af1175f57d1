// The Prometheus text exposition format 0.0.4, written one family at a time:
// "# HELP" and "# TYPE" lines, then the family's samples. rbus-stats's server,
// traffic and history sections all write through one PrometheusExposition.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rbus {

// A label value escaped for the exposition format (\\ \" \n); other control
// characters and bytes that are not UTF-8 as the text \u000d, \xff.
std::string prometheus_label_value(std::string_view value);

using PrometheusLabels = std::vector<std::pair<std::string_view, std::string_view>>;

class PrometheusExposition {
public:
    // Names and help are fixed rbus_* literals, written as they are.
    void family(std::string_view name, std::string_view type, std::string_view help);
    // name{label="value",...} value; label values escaped.
    void sample(std::string_view name, const PrometheusLabels& labels, double value);
    // A gauge family of one sample without labels.
    void gauge(std::string_view name, std::string_view help, double value);
    // A summary of quantiles 0.5 and 0.99, with _sum and _count.
    void summary(std::string_view name, std::string_view help, double p50, double p99, double sum, double count);
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

}  // namespace rbus
