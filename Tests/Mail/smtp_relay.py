#!/usr/bin/env python3
"""A scripted SMTP relay for the notifier's tests (RFC 5321 server side, small and strict).

It speaks EHLO/HELO, STARTTLS (with --tls-cert/--tls-key), AUTH PLAIN and LOGIN (with
--auth USER:PASS, then required before MAIL), MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP
and QUIT. The reply to the end of each message's data follows --plan (comma-separated
codes: 250, 451, 550; after the plan, 250); --reject-rcpt makes RCPT to that address 550.
Accepted messages are written to DIR/NNN.eml; every command line (AUTH secrets masked) to
DIR/commands.log. Prints "port N" on stdout once listening."""

import argparse
import base64
import os
import signal
import socket
import socketserver
import ssl
import sys
import threading

lock = threading.Lock()
state = {"messages": 0, "plan": [], "ends": 0}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--plan", default="")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--auth")
    p.add_argument("--reject-rcpt")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    state["plan"] = [int(c) for c in args.plan.split(",") if c]
    context = None
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)

    class Handler(socketserver.StreamRequestHandler):
        def setup(self):
            super().setup()
            self.tls = False

        def log(self, line):
            with lock, open(os.path.join(args.dir, "commands.log"), "a") as f:
                f.write(line + "\n")

        def send(self, text):
            self.wfile.write(text.encode() + b"\r\n")
            self.wfile.flush()

        def readline(self):
            line = self.rfile.readline(4096)
            if not line:
                raise EOFError
            if not line.endswith(b"\r\n"):
                self.send("500 5.5.2 lines end with CRLF")
                raise EOFError
            return line[:-2].decode("ascii", "replace")

        def handle(self):
            self.send("220 relay.test ESMTP scripted")
            authed = args.auth is None
            sender = None
            recipients = []
            try:
                while True:
                    line = self.readline()
                    verb = line.split(" ", 1)[0].upper()
                    self.log("AUTH ****" if verb == "AUTH" else line)
                    if verb == "EHLO":
                        ext = ["relay.test", "8BITMIME", "SIZE 10485760", "PIPELINING"]
                        if context and not self.tls:
                            ext.append("STARTTLS")
                        if args.auth:
                            ext.append("AUTH PLAIN LOGIN")
                        for i, e in enumerate(ext):
                            self.send(("250 " if i == len(ext) - 1 else "250-") + e)
                    elif verb == "HELO":
                        self.send("250 relay.test")
                    elif verb == "STARTTLS" and context and not self.tls:
                        self.send("220 2.0.0 go ahead")
                        self.connection = context.wrap_socket(self.connection, server_side=True)
                        self.rfile = self.connection.makefile("rb")
                        self.wfile = self.connection.makefile("wb")
                        self.tls = True
                        self.log("(TLS)")
                    elif verb == "AUTH" and args.auth:
                        words = line.split(" ")
                        if len(words) >= 2 and words[1].upper() == "PLAIN":
                            token = words[2] if len(words) > 2 else None
                            if token is None:
                                self.send("334 ")
                                token = self.readline()
                            parts = base64.b64decode(token).split(b"\0")
                            given = parts[1].decode() + ":" + parts[2].decode()
                        elif len(words) >= 2 and words[1].upper() == "LOGIN":
                            self.send("334 VXNlcm5hbWU6")
                            user = base64.b64decode(self.readline()).decode()
                            self.send("334 UGFzc3dvcmQ6")
                            given = user + ":" + base64.b64decode(self.readline()).decode()
                        else:
                            self.send("504 5.5.4 mechanism not supported")
                            continue
                        if given == args.auth:
                            authed = True
                            self.log("(AUTH ok)")
                            self.send("235 2.7.0 authenticated")
                        else:
                            self.send("535 5.7.8 authentication failed")
                    elif verb == "MAIL":
                        if not authed:
                            self.send("530 5.7.0 authentication required")
                            continue
                        sender = line[10:]
                        recipients = []
                        self.send("250 2.1.0 ok")
                    elif verb == "RCPT":
                        if sender is None:
                            self.send("503 5.5.1 MAIL first")
                            continue
                        address = line[8:].strip("<>")
                        if args.reject_rcpt and address == args.reject_rcpt:
                            self.send("550 5.1.1 <%s>: recipient unknown" % address)
                            continue
                        recipients.append(address)
                        self.send("250 2.1.5 ok")
                    elif verb == "DATA":
                        if not recipients:
                            self.send("503 5.5.1 RCPT first")
                            continue
                        self.send("354 end with <CRLF>.<CRLF>")
                        data = bytearray()
                        while True:
                            raw = self.rfile.readline(10000)
                            if not raw:
                                raise EOFError
                            if raw == b".\r\n":
                                break
                            if raw.startswith(b"."):
                                raw = raw[1:]
                            data += raw
                        with lock:
                            code = state["plan"][state["ends"]] if state["ends"] < len(state["plan"]) else 250
                            state["ends"] += 1
                            if code == 250:
                                state["messages"] += 1
                                name = os.path.join(args.dir, "%03d.eml" % state["messages"])
                                with open(name, "wb") as f:
                                    f.write(bytes(data))
                        replies = {250: "250 2.0.0 ok: queued as M%d" % state["messages"], 451: "451 4.3.0 try again later", 550: "550 5.7.1 message refused by policy"}
                        self.log("(end of data: %d)" % code)
                        self.send(replies.get(code, "%d scripted" % code))
                        sender = None
                        recipients = []
                    elif verb == "RSET":
                        sender, recipients = None, []
                        self.send("250 2.0.0 ok")
                    elif verb == "NOOP":
                        self.send("250 2.0.0 ok")
                    elif verb == "QUIT":
                        self.send("221 2.0.0 bye")
                        return
                    else:
                        self.send("502 5.5.2 command not recognised")
            except (EOFError, ConnectionError, ssl.SSLError):
                return

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    # Inherited dispositions may ignore SIGTERM: stop on it whatever the parent did.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server = Server(("127.0.0.1", 0), Handler)
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
