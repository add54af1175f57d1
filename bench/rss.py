#!/usr/bin/env python3
"""Peak RSS of a consumer at two marks of a stream (bench/rss.sh).

  rss.py PORT CHANNEL LINES_PER_EVENT FIRST TOTAL PUSH_SHELL -- CONSUMER_CMD...

Starts CONSUMER_CMD (stdout a pipe), waits until the server counts it as a
subscriber of CHANNEL, runs PUSH_SHELL (sh -c) to publish, and counts the
consumer's lines. When FIRST and then TOTAL events have been read, samples
VmHWM (peak resident set) from /proc/PID/status. Prints
`kib_at_first kib_at_total events_read`.
"""
import os
import select
import subprocess
import sys
import time

from benchlib import subscribed_consumer


def hwm_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return 0


def main():
    port, channel, per, first, total, push = sys.argv[1:7]
    port, per, first, total = int(port), int(per), int(first), int(total)
    channel = channel.encode()
    cmd = sys.argv[sys.argv.index('--') + 1:]
    with subscribed_consumer(port, channel, cmd) as consumer:
        pusher = subprocess.Popen(['sh', '-c', push])
        # redis-cli prints 3 confirmation lines before the messages.
        skip = 3 if per == 3 else 0
        lines, at_first, fd = 0, None, consumer.stdout.fileno()
        idle_since = time.monotonic()
        while lines < skip + total * per:
            if not select.select([fd], [], [], 0.5)[0]:
                if pusher.poll() is not None and time.monotonic() - idle_since > 5:
                    break  # everything pushed and nothing more comes: the rest was lost
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            idle_since = time.monotonic()
            lines += chunk.count(b'\n')
            if at_first is None and lines >= skip + first * per:
                at_first = hwm_kib(consumer.pid)
        at_total = hwm_kib(consumer.pid)
        pusher.wait()
        print(at_first or 0, at_total, max(0, lines - skip) // per)


if __name__ == '__main__':
    main()
