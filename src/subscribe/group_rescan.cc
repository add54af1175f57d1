#include "subscribe/group_rescan.h"

#include <algorithm>
#include <iterator>

namespace rbus {

void GroupRescan::scanned(Clock::time_point started, Clock::time_point ended) {
    auto cost = std::chrono::duration_cast<std::chrono::milliseconds>(ended - started);
    next_ = ended + std::max<std::chrono::milliseconds>(kEvery, cost * 10);
}

std::vector<std::string> new_streams(const std::vector<std::string>& found, const std::vector<std::string>& known) {
    std::vector<std::string> out;
    std::set_difference(found.begin(), found.end(), known.begin(), known.end(), std::back_inserter(out));
    return out;
}

std::string start_on_new_stream(std::string_view start_id) {
    return start_id == "$" ? std::string("0") : std::string(start_id);
}

}  // namespace rbus
