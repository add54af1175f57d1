#include "event/run_context.h"

#include <fmt/format.h>

#include "base/text.h"

namespace rbus {

std::string Context::source_of(std::string_view key) const {
    auto it = sources.find(std::string(key));
    return it == sources.end() ? std::string("default") : it->second;
}

std::string Context::channel_for(std::string_view type) const {
    std::string channel;
    channel.reserve(prefix.size() + 1 + type.size());
    channel += prefix;
    channel += '.';
    channel += type;
    return channel;
}

std::string Context::publish_channel(std::string_view type) const {
    return channels.empty() ? channel_for(type) : channels.front();
}

std::string Context::type_from(std::string_view arg) const {
    if (arg.size() <= prefix.size() + 1 || arg.compare(0, prefix.size(), prefix) != 0 || arg[prefix.size()] != '.')
        return std::string(arg);
    std::string type(arg.substr(prefix.size() + 1));
    logger().info("\"{}\" is a full channel name: read as the type {} under the prefix {}",
                  escape_controls(arg), escape_controls(type), prefix);
    return type;
}

}  // namespace rbus
