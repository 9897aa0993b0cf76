#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Stand-in services for the Phalanx live demonstration (scripts/demo.sh).

A login service on TCP 22 and a web server on TCP 80. Every connection is real (it comes from
the attacker's or the benign client's network namespace) and each one is logged the way sshd
and nginx log it, with the peer's real address, into the files phalanxd follows:

  auth.log:    Dec  3 21:41:47 demo-host sshd[4242]: Failed password for root from 203.0.113.66 port 50122 ssh2
  access.log:  203.0.113.77 - - [03/Dec/2026:21:41:47 +0000] "GET /.env HTTP/1.1" 404 153 "-" "curl/7.88.1"

The login service rejects every password; the web server answers / with 200 and anything else
with 404. Usage: services.py AUTH_LOG ACCESS_LOG [ADDRESS]
"""
import http.server
import os
import socketserver
import sys
import threading
import time

AUTH_LOG, ACCESS_LOG = sys.argv[1], sys.argv[2]
ADDRESS = sys.argv[3] if len(sys.argv) > 3 else "0.0.0.0"
LOCK = threading.Lock()


def append(path, line):
    # One write per line, flushed at once: phalanxd sees it as soon as it is written.
    with LOCK, open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


class Login(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
        # The client sends "user password" lines, one attempt per line.
        for raw in self.rfile:
            user = raw.decode(errors="replace").split(" ")[0].strip() or "root"
            ip, port = self.client_address[0], self.client_address[1]
            stamp = time.strftime("%b %e %H:%M:%S")
            append(AUTH_LOG, f"{stamp} demo-host sshd[{os.getpid()}]: Failed password for {user} "
                             f"from {ip} port {port} ssh2")
            self.wfile.write(b"Permission denied, please try again.\r\n")


class Web(http.server.BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""

    def do_GET(self):
        status, body = (200, b"welcome\n") if self.path == "/" else (404, b"not found\n")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
        agent = self.headers.get("User-Agent", "-")
        append(ACCESS_LOG, f'{self.client_address[0]} - - [{stamp}] "GET {self.path} HTTP/1.1" '
                           f'{status} {len(body)} "-" "{agent}"')

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    login = Server((ADDRESS, 22), Login)
    web = Server((ADDRESS, 80), Web)
    for s in (login, web):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("services: login on :22, web on :80", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
