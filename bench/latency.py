#!/usr/bin/env python3
"""Publish -> consumer stdout latency, measured outside the consumer.

  latency.py measure PORT CHANNEL RATE SECONDS WARMUP -- CONSUMER_CMD...

Starts CONSUMER_CMD (its stdout a pipe), waits until the server counts it as
a subscriber of CHANNEL, then runs a publisher process pacing canonical rbus
envelopes at RATE/s for SECONDS. Each envelope carries its send time
(CLOCK_MONOTONIC ns, stamped just before the PUBLISH is written) in
payload.sent_ns. The reader takes the clock once per read() of the pipe and
charges that moment to every line in the chunk. Values (microseconds) go into
a log-linear histogram with src/base/histogram.cc's buckets (exact below 256,
within 1/128 above); the first WARMUP seconds are not recorded.
Prints `p50_us p99_us p999_us max_us count sent lost achieved_rate`.
"""
import os
import re
import select
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

from benchlib import subscribed_consumer

K_BITS, K_SUB, K_HALF = 8, 256, 128


class Histogram:
    def __init__(self):
        self.counts = {}
        self.count = 0
        self.max = 0

    @staticmethod
    def bucket_of(v):
        if v < K_SUB:
            return v
        exp = v.bit_length() - 1
        shift = exp - K_BITS + 1
        return K_SUB + (exp - K_BITS) * K_HALF + ((v >> shift) - K_HALF)

    @staticmethod
    def bucket_high(b):
        if b < K_SUB:
            return b
        group, mant = divmod(b - K_SUB, K_HALF)
        return ((K_HALF + mant + 1) << (group + 1)) - 1

    def record(self, v):
        v = max(0, int(v))
        b = self.bucket_of(v)
        self.counts[b] = self.counts.get(b, 0) + 1
        self.count += 1
        self.max = max(self.max, v)

    def percentile(self, p):
        if not self.count:
            return 0
        rank = max(1, min(self.count, -(-p * self.count // 100)))
        seen = 0
        for b in sorted(self.counts):
            seen += self.counts[b]
            if seen >= rank:
                return min(self.bucket_high(b), self.max)
        return self.max


def publish(port, channel, rate, seconds):
    """Paces PUBLISH of canonical envelopes; replies are drained without waiting."""
    s = socket.create_connection(('127.0.0.1', port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    head = b'*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n' % (len(channel), channel)
    total = int(rate * seconds)
    interval = 1e9 / rate
    start = time.monotonic_ns()
    for seq in range(total):
        due = start + int(seq * interval)
        while True:
            left = due - time.monotonic_ns()
            if left <= 0:
                break
            if left > 300_000:
                time.sleep((left - 200_000) / 1e9)
        ts = datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
        sent = time.monotonic_ns()
        body = ('{"id":"%s","type":"bench.latency","payload":{"seq":%d,"sent_ns":%d},"priority":"normal",'
                '"request_id":null,"source_agent_id":null,"workspace_id":"ws-bench","timestamp":"%s"}'
                % (uuid.uuid4(), seq, sent, ts)).encode()
        msg = head + b'$%d\r\n%s\r\n' % (len(body), body)
        while msg:
            try:
                msg = msg[s.send(msg):]
            except BlockingIOError:
                time.sleep(0)
        try:
            while s.recv(65536):
                pass
        except BlockingIOError:
            pass
    elapsed = (time.monotonic_ns() - start) / 1e9
    print('%d %.0f' % (total, total / elapsed if elapsed else 0), flush=True)


def measure(port, channel, rate, seconds, warmup, cmd):
    with subscribed_consumer(port, channel, cmd) as consumer:
        pub = subprocess.Popen([sys.executable, __file__, 'publish', str(port), channel.decode(), str(rate),
                                str(seconds)], stdout=subprocess.PIPE)
        hist, got, pending = Histogram(), 0, b''
        stamp = re.compile(rb'"seq":(\d+),"sent_ns":(\d+)')
        skip = int(rate * warmup)
        total = int(rate * seconds)
        fd = consumer.stdout.fileno()
        end_by = time.monotonic() + seconds + 10
        while got < total and time.monotonic() < end_by:
            if not select.select([fd], [], [], 0.5)[0]:
                continue
            chunk = os.read(fd, 1 << 20)
            now = time.monotonic_ns()
            if not chunk:
                break
            lines = (pending + chunk).split(b'\n')
            pending = lines.pop()
            for line in lines:
                m = stamp.search(line)
                if not m:
                    continue
                got += 1
                if int(m.group(1)) >= skip:
                    hist.record((now - int(m.group(2))) // 1000)
        sent, achieved = pub.communicate(timeout=seconds + 30)[0].split()
        print(hist.percentile(50), hist.percentile(99), hist.percentile(99.9), hist.max, hist.count,
              int(sent), int(sent) - got, achieved.decode())


if __name__ == '__main__':
    if sys.argv[1] == 'publish':
        publish(int(sys.argv[2]), sys.argv[3].encode(), float(sys.argv[4]), float(sys.argv[5]))
    else:
        sep = sys.argv.index('--')
        port, channel, rate, seconds, warmup = sys.argv[2:sep]
        measure(int(port), channel.encode(), float(rate), float(seconds), float(warmup), sys.argv[sep + 1:])
