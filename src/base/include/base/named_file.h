// Files named on the command line: --config, --password-file, --record,
// --dead-letter, --ready-file, --envelopes FILE, @FILE. Any of them may be a
// FIFO, /dev/stderr, a process substitution (<(vault …), >(gzip > f)) or a
// symlink (Kubernetes secrets are symlinks): all keep working. What never
// happens is a wait without end: opening a FIFO whose other end is not there
// yet waits only until the run's deadline (--timeout, exit 124), and SIGINT or
// SIGTERM end the wait (130/143).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/deadline.h"

namespace rbus {

// The run's deadline reached while waiting for a file: exit 124.
class FileWaitTimeout : public Error {
public:
    using Error::Error;
    int exit_code() const override { return kExitTimeout; }
};

// Set once by the tool from --timeout (measured from the start of the run).
void set_file_wait_deadline(Deadline deadline);

// An fd open for reading (blocking reads, close-on-exec). A FIFO waits for its
// writer. Throws UsageError "cannot read WHAT PATH: reason", FileWaitTimeout,
// or Interrupted.
int open_for_reading(const std::string& path, std::string_view what);

// The whole content, refused past max_bytes ("WHAT PATH is larger than N bytes").
std::string read_named_file(const std::string& path, std::string_view what,
                            std::size_t max_bytes = 64 * 1024 * 1024);

// An fd open for appending (created 0644 when missing). A FIFO waits for its
// reader. Throws Error "cannot open WHAT PATH: reason", FileWaitTimeout or Interrupted.
int open_for_appending(const std::string& path, std::string_view what);

// --ready-file: a file from a previous run is removed when the run starts (a
// stale file must never say "ready"); the new one appears at once, whole,
// through a rename in the same directory, so that it replaces a symlink or
// FIFO at PATH instead of writing through it. It is kept after exit.
void remove_stale_ready_file(const std::string& path);
void create_ready_file(const std::string& path);

}  // namespace rbus
