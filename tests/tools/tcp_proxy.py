#!/usr/bin/python3
"""tcp_proxy.py: a TCP proxy on 127.0.0.1 that misbehaves on purpose, for fault tests.

  tcp_proxy.py LISTEN_PORT_FILE TARGET_PORT [--drop PERCENT] [--log FILE] [--seed N] [--delay MS]
               [--mode-file FILE]

Listens on a free port (written to LISTEN_PORT_FILE) and forwards each connection to
127.0.0.1:TARGET_PORT. With --drop, that share of connections is reset after a random number
of bytes (0-64 KiB) have gone from the client to the server, i.e. mid-request or mid-upload.
With --log, the header block of every HTTP request seen is appended to FILE (so a test can
check what a client sends). With --delay, each chunk from the client waits that long (a slow
link). With --mode-file, each new connection takes its --drop and --delay from FILE when it
exists ("drop PERCENT" / "delay MS" lines), so that one proxy serves several phases of a test.
Stops by itself after 30 minutes.
"""
import argparse
import os
import random
import socket
import struct
import threading
import time


def pump(src, dst):
    """Copy src -> dst until either side ends."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def mode(args):
    """--drop and --delay for a new connection: from --mode-file when there is one."""
    drop, delay = args.drop, args.delay
    if args.mode_file:
        try:
            with open(args.mode_file) as f:
                for line in f:
                    k, _, v = line.partition(" ")
                    if k == "drop":
                        drop = float(v)
                    elif k == "delay":
                        delay = float(v)
        except OSError:
            pass
    return drop, delay


def handle(client, args, rng):
    drop, delay = mode(args)
    try:
        server = socket.create_connection(("127.0.0.1", args.target))
    except OSError:
        client.close()
        return
    budget = rng.randint(0, 65536) if rng.random() * 100 < drop else None
    threading.Thread(target=pump_logged, args=(client, server, budget, args.log, delay),
                     daemon=True).start()
    threading.Thread(target=pump, args=(server, client), daemon=True).start()


def pump_logged(src, dst, budget, log, delay):
    """Copy client -> server, logging request headers; reset both after `budget` bytes."""
    sent = 0
    pending = b""
    body_left = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if log:
                chunk = data
                while chunk:
                    if body_left:
                        take = min(body_left, len(chunk))
                        body_left -= take
                        chunk = chunk[take:]
                        continue
                    pending += chunk
                    chunk = b""
                    end = pending.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    head, chunk = pending[:end], pending[end + 4:]
                    pending = b""
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            body_left = int(line.split(b":", 1)[1])
                    with open(log, "ab") as f:
                        f.write(head + b"\n\n")
            if delay:
                time.sleep(delay / 1000)
            if budget is not None and sent + len(data) > budget:
                dst.sendall(data[: max(0, budget - sent)])
                raise ConnectionResetError
            dst.sendall(data)
            sent += len(data)
    except OSError:
        for s in (src, dst):
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
            except OSError:
                pass
        return
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port_file")
    ap.add_argument("target", type=int)
    ap.add_argument("--drop", type=float, default=0)
    ap.add_argument("--log")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--delay", type=float, default=0, help="ms to wait before each forwarded chunk")
    ap.add_argument("--mode-file", help="read --drop/--delay from this file for each connection")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    ls.settimeout(1)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    deadline = time.time() + 1800
    while time.time() < deadline:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        handle(c, args, rng)


if __name__ == "__main__":
    main()
