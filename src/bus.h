// Opening a ready-to-use connection to the bus from a Context:
// transport, AUTH, SELECT, CLIENT SETNAME, with errors mapped to exit codes.
#pragma once

#include <memory>
#include <string_view>

#include "connection.h"
#include "context.h"

namespace rbus {

// Throws ConnectError (exit 3) when unreachable or refused, UsageError for
// parts that this build does not support.
std::unique_ptr<Connection> connect_bus(const ConnectOptions& options, std::string_view client_name);

}  // namespace rbus
