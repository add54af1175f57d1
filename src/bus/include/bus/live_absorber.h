// The live part's bytes read while a replay runs: from subscribing until the
// replay has handed out its last event (printed to a slow reader, or run by a
// slow --exec), a thread of its own reads the subscription into memory
// (BusSubscriber::absorb), so that the server's pub/sub output buffer limit
// (client-output-buffer-limit pubsub, 32 MB by default) does not drop it and
// lose the events published meanwhile. The consume loop hands them out after
// the replay, in order, as if they had just arrived.
#pragma once

#include <atomic>
#include <thread>

#include "bus/bus_subscriber.h"

namespace rbus {

class LiveAbsorber {
public:
    // Starts reading `sub`, which the caller leaves alone until the absorber is
    // gone. The thread takes no signal (they stay the main thread's).
    explicit LiveAbsorber(BusSubscriber& sub);
    // Stops the reading and waits for the thread (a few milliseconds at most).
    ~LiveAbsorber();
    LiveAbsorber(const LiveAbsorber&) = delete;
    LiveAbsorber& operator=(const LiveAbsorber&) = delete;

private:
    void run();

    BusSubscriber& sub_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace rbus
