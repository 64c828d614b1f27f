#!/usr/bin/python3
"""alert_sinks.py: a local SMTP sink and a local webhook receiver for the alert tests.

Usage: alert_sinks.py DIR
Listens on 127.0.0.1 with ports chosen by the kernel and writes them to DIR/ports
("SMTP_PORT WEBHOOK_PORT"). Every mail received becomes DIR/mail-N.eml and every webhook POST
DIR/hook-N.json. Set DIR/webhook-status to a number to make the receiver answer with it.
Runs until killed. Standard library only (no aiosmtpd in Debian's base python).
"""
import http.server
import os
import socketserver
import sys
import threading

OUT = sys.argv[1]
lock = threading.Lock()
counter = {"mail": 0, "hook": 0}


def save(kind, ext, data):
    with lock:
        counter[kind] += 1
        n = counter[kind]
    tmp = os.path.join(OUT, ".%s-%d.tmp" % (kind, n))
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(OUT, "%s-%d.%s" % (kind, n, ext)))


class SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 sink ESMTP")
        envelope = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            verb = cmd.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb in ("MAIL", "RCPT"):
                envelope.append(cmd)
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                body = b""
                while True:
                    l = self.rfile.readline()
                    if not l or l == b".\r\n":
                        break
                    body += l
                save("mail", "eml", ("\n".join(envelope) + "\n\n").encode() + body)
                envelope = []
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class HookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        status = 200
        try:
            with open(os.path.join(OUT, "webhook-status")) as f:
                status = int(f.read().strip())
        except (OSError, ValueError):
            pass
        if status == 200:
            save("hook", "json", body)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Threaded(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


smtp = Threaded(("127.0.0.1", 0), SMTPHandler)
hook = Threaded(("127.0.0.1", 0), HookHandler)
threading.Thread(target=smtp.serve_forever, daemon=True).start()
with open(os.path.join(OUT, "ports.tmp"), "w") as f:
    f.write("%d %d\n" % (smtp.server_address[1], hook.server_address[1]))
os.rename(os.path.join(OUT, "ports.tmp"), os.path.join(OUT, "ports"))
hook.serve_forever()
