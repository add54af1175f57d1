"""Shared by bench/latency.py and bench/rss.py: a consumer process whose
stdout is a pipe, started and awaited until the server counts it as a
subscriber, and stopped whatever happens."""
import contextlib
import socket
import subprocess
import sys
import time


def resp(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


def command(port, *args):
    with socket.create_connection(('127.0.0.1', port)) as s:
        s.sendall(resp(*args))
        return s.recv(4096)


def numsub(port, channel):
    reply = command(port, b'PUBSUB', b'NUMSUB', channel)
    return int(reply.split(b'\r\n')[-2][1:])


@contextlib.contextmanager
def subscribed_consumer(port, channel, cmd, wait=10):
    """Starts CMD (stdout a pipe, stderr discarded), waits up to WAIT seconds
    for it to subscribe to CHANNEL (bytes), yields the Popen; terminates it
    on the way out."""
    consumer = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + wait
        while numsub(port, channel) < 1:
            if time.monotonic() > deadline:
                sys.exit('consumer did not subscribe')
            time.sleep(0.01)
        yield consumer
    finally:
        consumer.terminate()
        consumer.wait()
