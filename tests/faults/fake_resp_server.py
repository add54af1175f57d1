#!/usr/bin/env python3
"""A fake RESP server on loopback for the hostile-server tests.

fake_resp_server.py PORTFILE MODE [ARG]: listens on a free port, writes it to
PORTFILE, then serves connections one at a time:
  huge-reply   every command after CLIENT SETNAME/AUTH gets `$9999999999`
               followed by up to 200 MB of 'x', then the connection is held open
  cluster NODE CLUSTER SLOTS names NODE (host:port) as the owner of every slot
  huge-message SUBSCRIBE/PSUBSCRIBE are confirmed, then one message of
               `$9999999999` follows, as above
Anything else gets +OK (PING +PONG).
"""
import socket
import sys
import time


def read_command(f):
    line = f.readline()
    if not line:
        return None
    if not line.startswith(b"*"):
        return line.split()
    n = int(line[1:])
    args = []
    for _ in range(n):
        size = int(f.readline()[1:])
        args.append(f.read(size + 2)[:-2])
    return args


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def stream_forever(conn):
    chunk = b"x" * 65536
    sent = 0
    try:
        while sent < 200 * 1024 * 1024:
            conn.sendall(chunk)
            sent += len(chunk)
        time.sleep(60)
    except OSError:
        pass  # the client gave up: what the test wants


def serve(conn, mode, arg):
    f = conn.makefile("rb")
    while True:
        cmd = read_command(f)
        if cmd is None:
            return
        name = cmd[0].upper() if cmd else b""
        sub = cmd[1].upper() if len(cmd) > 1 else b""
        if name in (b"AUTH", b"SELECT") or (name == b"CLIENT" and sub == b"SETNAME"):
            conn.sendall(b"+OK\r\n")
        elif mode == "huge-reply":
            conn.sendall(b"$9999999999\r\n")
            return stream_forever(conn)
        elif mode == "huge-message" and name in (b"SUBSCRIBE", b"PSUBSCRIBE"):
            kind = b"subscribe" if name == b"SUBSCRIBE" else b"psubscribe"
            for i, ch in enumerate(cmd[1:], 1):
                conn.sendall(b"*3\r\n" + bulk(kind) + bulk(ch) + b":%d\r\n" % i)
            if name == b"SUBSCRIBE":
                conn.sendall(b"*3\r\n" + bulk(b"message") + bulk(cmd[1]) + b"$9999999999\r\n")
            else:
                conn.sendall(b"*4\r\n" + bulk(b"pmessage") + bulk(cmd[1]) + bulk(b"raptorflow.events.a.b") +
                             b"$9999999999\r\n")
            return stream_forever(conn)
        elif mode == "cluster" and name == b"CLUSTER" and sub == b"SLOTS":
            host, port = arg.rsplit(":", 1)
            conn.sendall(b"*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n" + bulk(host.encode()) + b":%d\r\n" % int(port))
        elif name == b"PING":
            conn.sendall(b"+PONG\r\n")
        else:
            conn.sendall(b"+OK\r\n")


def main():
    portfile, mode = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else ""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    with open(portfile + ".tmp", "w") as p:
        p.write(str(s.getsockname()[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        conn, _ = s.accept()
        try:
            serve(conn, mode, arg)
        except OSError:
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
