// The error hierarchy, mapped once to the exit codes of SPEC §4.
#pragma once

#include <stdexcept>
#include <string>

namespace rbus {

enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,       // runtime failure, --check threshold, unpublished events
    kExitUsage = 2,         // bad flag, type, payload, URL, template: nothing published
    kExitUnreachable = 3,   // bus unreachable, authentication or TLS failure
    kExitFewReceivers = 4,  // fewer receivers than --min-receivers
    kExitInvalidMessage = 5,
    kExitTimeout = 124,
    kExitSigint = 130,
    kExitSigterm = 143,
};

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    virtual int exit_code() const { return kExitFailure; }
};

// Bad input from the user: flags, payloads, types, URLs, templates.
class UsageError : public Error {
public:
    using Error::Error;
    int exit_code() const override { return kExitUsage; }
};

// Could not reach or authenticate to the bus (refused, DNS, AUTH, TLS).
class ConnectError : public Error {
public:
    using Error::Error;
    int exit_code() const override { return kExitUnreachable; }
};

// An established connection failed (reset, EOF, protocol garbage).
class IoError : public ConnectError {
public:
    using ConnectError::ConnectError;
};

class TimeoutError : public IoError {
public:
    using IoError::IoError;
};

class ProtocolError : public IoError {
public:
    using IoError::IoError;
};

// A whole reply past the connection's bound (Connection::skip_frame can read
// past it, so that a reader asks again for less).
class ReplyTooLarge : public ProtocolError {
public:
    using ProtocolError::ProtocolError;
};

// The server answered a command with an error reply.
class ReplyError : public Error {
public:
    using Error::Error;
};

// The run's own --timeout came during a long step of it (a SCAN walking the
// keyspace before anything could be printed, a page the server is slow to
// send): not an error; the caller ends the run as its timeout says (124 with
// --count, else 0). `before`: what it came before, for the warning.
struct RunTimedOut {
    const char* before = "the replay's SCAN for msg: keys ended";
};

// A SIGINT/SIGTERM ended a wait: the tool exits 130/143 without an error line.
class Interrupted : public Error {
public:
    explicit Interrupted(int exit_code) : Error("interrupted"), code_(exit_code) {}
    int exit_code() const override { return code_; }

private:
    int code_;
};

}  // namespace rbus
