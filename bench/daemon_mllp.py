#!/usr/bin/python3
"""daemon_mllp.py: the MLLP half of bench/daemon (run by it, not alone).

Usage: daemon_mllp.py latency PORT CHARTVAULT DB N
       daemon_mllp.py throughput PORT SENDERS N_PER_SENDER [existing]

latency: N messages one after another, each an ADT^A08 for a new patient in UTF-8; for each,
the time from the first byte sent to the AA, and to the moment `chartvault query search`
finds the patient (the query is run right after the AA, and again until found).
throughput: SENDERS connections at once, each sending N messages and waiting for each AA.
Prints one line of figures per measurement.
"""
import socket
import subprocess
import sys
import threading
import time

SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"


def message(pid, control):
    segs = [
        "MSH|^~\\&|BENCH|FAC|CV|1234567890|20260101120000||ADT^A08^ADT_A01|%s|P|2.5|||||JPN|UNICODE UTF-8" % control,
        "EVN||20260101120000",
        "PID|||%s^^^^PI||試験^太郎^^^^^L^I~シケン^タロウ^^^^^L^P||19600101|M" % pid,
        "PV1||O",
    ]
    return ("\r".join(segs) + "\r").encode("utf-8")


def send(sock, data):
    sock.sendall(SB + data + EB + CR)
    buf = b""
    while not buf.endswith(EB + CR):
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
    if b"MSA|AA|" not in buf:
        raise RuntimeError("not accepted: %r" % buf[:300])


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def latency(port, chartvault, db, n):
    sock = socket.create_connection(("127.0.0.1", port))
    ack, found = [], []
    for i in range(n):
        pid = "8%08d" % i
        t0 = time.perf_counter()
        send(sock, message(pid, "LAT%06d" % i))
        t1 = time.perf_counter()
        while True:
            out = subprocess.run([chartvault, "query", "--db", db, "search", pid, "--json"],
                                 capture_output=True).stdout
            if pid.encode() in out:
                break
            if time.perf_counter() - t0 > 30:
                raise RuntimeError("message %d not searchable after 30 s" % i)
        t2 = time.perf_counter()
        ack.append((t1 - t0) * 1000)
        found.append((t2 - t0) * 1000)
    sock.close()
    print("mllp_ack_ms p50 %.2f p99 %.2f max %.2f (n=%d)" %
          (pct(ack, 50), pct(ack, 99), max(ack), n))
    print("send_to_searchable_ms p50 %.2f p99 %.2f max %.2f (n=%d; includes starting "
          "`chartvault query` once: %.2f ms p50 after the AA)" %
          (pct(found, 50), pct(found, 99), max(found), n,
           pct([f - a for f, a in zip(found, ack)], 50)))


def throughput(port, senders, per, existing):
    errors = []

    def run(k):
        try:
            sock = socket.create_connection(("127.0.0.1", port))
            for i in range(per):
                # new patients: five new folders per message; existing: 20 patients per sender,
                # so each message supersedes the patient's current file (_1 -> _2)
                pid = "7%02d%06d" % (k, i % 20 if existing else i)
                send(sock, message(pid, "TP%02d%06d" % (k, i)))
            sock.close()
        except Exception as e:  # noqa: BLE001 - report any failure
            errors.append(str(e))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(senders)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.perf_counter() - t0
    if errors:
        raise RuntimeError(errors[0])
    print("mllp_throughput_msgs_per_s %.0f (%s; %d senders x %d messages in %.2f s, each AA "
          "after fsync and indexing)" % (senders * per / dt, "updates of 200 known patients"
                                         if existing else "a new patient each", senders, per, dt))


if __name__ == "__main__":
    if sys.argv[1] == "latency":
        latency(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        throughput(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                   len(sys.argv) > 5 and sys.argv[5] == "existing")
