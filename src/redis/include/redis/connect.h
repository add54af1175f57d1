// Opening a ready-to-use connection to the bus from a Context:
// transport, AUTH, SELECT, CLIENT SETNAME, with errors mapped to exit codes.
#pragma once

#include <memory>
#include <string_view>

#include "redis/connection.h"
#include "redis/connect_options.h"

namespace rbus {

// How CLIENT SETNAME is sent: waited for, or (a one-shot publish, over plain TCP or
// a Unix socket) sent along with the first real command, its reply checked by the
// first read (Connection::defer_reply): one round trip less. AUTH and SELECT are
// always waited for: their failure must stop the command that follows.
enum class Greeting { wait, pipelined };

// Throws ConnectError (exit 3) when unreachable or refused, UsageError for
// parts that this build does not support.
std::unique_ptr<Connection> connect_bus(const ConnectOptions& options, std::string_view client_name,
                                        Greeting greeting = Greeting::wait);

}  // namespace rbus
