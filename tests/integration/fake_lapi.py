#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A minimal LAPI decision stream for the bouncers' netns tests, driven over HTTP by the test:
#   POST /control/add    {"value", "scope", "seconds", "origin"}   a new decision
#   POST /control/delete {"value"}                                 delete its decisions
#   POST /control/raw    {...}                                     a raw row for the next "new"
#   GET  /control/usage                                            usage-metrics bodies received
# and serving GET /v1/decisions/stream (startup=true: every live decision; otherwise what
# changed since the previous request) and POST /v1/usage-metrics (201).
# Usage: fake_lapi.py PORT_FILE [--port N] [--state FILE]   (binds 127.0.0.1:N, default any free
# port, and writes the port to PORT_FILE; with --state the decisions are kept in FILE, as a real
# LAPI keeps them in its database, so that a restarted LAPI serves the ones it had)
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

lock = threading.Lock()
decisions = {}  # id -> row with "expires"
pending_new, pending_deleted, raw_rows, usage = [], [], [], []
next_id = [1]
state_file = None


def save_state():
    # Called with the lock held; replaced whole, so a reader never sees half a file.
    if state_file is None:
        return
    with open(state_file + ".tmp", "w") as f:
        json.dump({"next_id": next_id[0], "decisions": list(decisions.values())}, f)
    os.replace(state_file + ".tmp", state_file)


def load_state():
    if state_file is None or not os.path.exists(state_file):
        return
    with open(state_file) as f:
        saved = json.load(f)
    next_id[0] = saved["next_id"]
    for d in saved["decisions"]:
        decisions[d["id"]] = d


def row(d):
    left = d["expires"] - time.time()
    out = {k: v for k, v in d.items() if k != "expires"}
    out["duration"] = "%.3fs" % left
    return out


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/control/usage":
            with lock:
                return self.reply(200, usage)
        if url.path != "/v1/decisions/stream":
            return self.reply(404, {"message": "not found"})
        if not self.headers.get("X-Api-Key"):
            return self.reply(403, {"message": "access forbidden"})
        startup = parse_qs(url.query).get("startup", ["false"])[0] == "true"
        with lock:
            now = time.time()
            for i in [i for i, d in decisions.items() if d["expires"] <= now]:
                pending_deleted.append(row(decisions.pop(i)))
            if startup:
                new = [row(d) for d in decisions.values()]
                deleted = []
            else:
                new = [row(d) for d in pending_new if d["id"] in decisions]
                deleted = list(pending_deleted)
            new = raw_rows + new
            raw_rows.clear()
            pending_new.clear()
            pending_deleted.clear()
        self.reply(200, {"new": new or None, "deleted": deleted or None})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        path = urlparse(self.path).path
        with lock:
            if path == "/v1/usage-metrics":
                usage.append(body)
                return self.reply(201, {})
            if path == "/control/add":
                d = {"id": next_id[0], "origin": body.get("origin", "cscli"),
                     "scenario": "test", "scope": body.get("scope", "Ip"), "type": "ban",
                     "value": body["value"], "expires": time.time() + float(body["seconds"])}
                next_id[0] += 1
                decisions[d["id"]] = d
                pending_new.append(d)
                save_state()
            elif path == "/control/delete":
                for i in [i for i, d in decisions.items() if d["value"] == body["value"]]:
                    d = decisions.pop(i)
                    d["expires"] = time.time() - 1
                    pending_deleted.append(row(d))
                save_state()
            elif path == "/control/raw":
                raw_rows.append(body)
            else:
                return self.reply(404, {"message": "not found"})
        self.reply(200, {})


ThreadingHTTPServer.allow_reuse_address = True
args = sys.argv[2:]
port = int(args[args.index("--port") + 1]) if "--port" in args else 0
state_file = args[args.index("--state") + 1] if "--state" in args else None
load_state()
server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
