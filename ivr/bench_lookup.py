"""The benchmark's lookup service: a small JSON answer per number (`python -m ivr.bench_lookup PORT`).
Separate process, so its CPU is measured apart from Asterisk and the AGI side."""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real integration would allow

    def do_GET(self):
        digits = self.path.rstrip("/").rsplit("/", 1)[-1]
        body = json.dumps({"found": True, "amount": int(digits[-2:] or 0) + 1}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
