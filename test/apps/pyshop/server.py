"""pyshop: a second application for zdr's tests, in Python's standard library only.

A tea shop's catalogue and orders in PostgreSQL; one file for all versions, with a column
cascade over releases:
  v1          reads items.legacy_code and copies it onto each order (orders.legacy_code)
  v2          stops using legacy_code; records which version placed an order (needs V2)
  v3          like v2; its release drops legacy_code (V3), safe once no v1 is live
  bad-health  like v3, but /health always answers 503: a bad release for the tests
  any other   like the newest (v3)
Every statement comes from queries/<version>.sql (or the newest vN.sql for a version without a
file): the same file the schema guard reads.

Routes: GET /health, GET /items, GET or POST /order?item=N, GET /slow (answers after 1.5 s).
Every response carries x-app-version; a 500 also x-error, and a line `ERROR ...` on stderr.
One line per request on stdout. SIGTERM or SIGINT: stop accepting connections, finish the
requests in flight (at most 30 s), exit 0.

Usage: python3 server.py --version VERSION --port PORT (defaults: $APP_VERSION, $PORT); the
database from PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGAPPNAME.
"""

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).parent))
import pg  # noqa: E402  (next to this file)

HERE = Path(__file__).parent
KNOWN = ("v1", "v2", "v3")
SLOW_SECONDS = 1.5
STOP_GRACE_SECONDS = 30


def load_queries(version):
    """The named statements of queries/<version>.sql, or of the newest vN.sql if it has none."""
    own = HERE / "queries" / f"{version}.sql"
    if not (re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", version) and own.is_file()):
        own = max((HERE / "queries").glob("v*.sql"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    queries = {}
    for block in re.split(r"^-- name: ", own.read_text(), flags=re.M)[1:]:
        name, _, body = block.partition("\n")
        sql = "\n".join(line for line in body.splitlines() if not line.startswith("--")).strip()
        queries[name.strip()] = sql.rstrip(";")
    return queries


class Shop:
    def __init__(self, version, db):
        self.version = version
        self.behaves_as = version if version in KNOWN else KNOWN[-1]
        self.queries = load_queries(version)
        self.db = db

    def handle(self, method, path, query):
        """(status, body) for one request; exceptions become a 500."""
        if path == "/health" and method == "GET":
            if self.version == "bad-health":
                return 503, {"status": "failing", "check": "bad-health release"}
            try:
                self.db.query(self.queries["health"])
            except Exception as e:  # the database is out of reach: unhealthy, not an app error
                return 503, {"status": "failing", "error": str(e)}
            return 200, {"status": "ok", "version": self.version}
        if path == "/items" and method == "GET":
            return 200, {"version": self.version, "items": self.db.query(self.queries["listItems"])}
        if path == "/order" and method in ("GET", "POST"):
            item = query.get("item", ["1"])[0]
            if not item.isdigit():
                return 400, {"error": "item must be a positive integer"}
            params = (item,) if self.behaves_as == "v1" else (item, self.version)
            rows = self.db.query(self.queries["placeOrder"], params)
            if not rows:
                return 404, {"error": f"no item {item}"}
            return 201, {"version": self.version, "orderId": int(rows[0]["id"])}
        if path == "/slow" and method == "GET":
            time.sleep(SLOW_SECONDS)
            return 200, {"version": self.version, "sleptMs": int(SLOW_SECONDS * 1000)}
        return 404, {"error": "not found"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # an idle keep-alive connection closes after 5 s, so a stop never waits on one
    server_version = "pyshop"

    def do_GET(self):
        self.respond()

    def do_POST(self):
        self.respond()

    def respond(self):
        started = time.monotonic()
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(min(length, 10000))
        error = None
        try:
            status, body = self.server.shop.handle(self.command, url.path, parse_qs(url.query))
        except Exception as e:
            error = f"{type(e).__name__}: {e}".replace("\n", " ")
            status, body = 500, {"error": error}
            print(f"ERROR {self.command} {self.path} version={self.server.shop.version} {error}", file=sys.stderr, flush=True)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-app-version", self.server.shop.version)
        if error:
            self.send_header("x-error", re.sub(r"[^\x20-\x7e]", "?", error)[:120])
        if self.server.stopping.is_set():
            self.send_header("connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)
        ms = (time.monotonic() - started) * 1000
        print(f"{time.time():.3f} {self.command} {self.path} {status} {ms:.1f}ms version={self.server.shop.version}", flush=True)

    def log_request(self, code="-", size="-"):
        pass  # respond() logs each request itself

    def log_message(self, format, *args):
        print(f"http: {format % args}", file=sys.stderr, flush=True)


class Server(ThreadingHTTPServer):
    """Counts the connections being served, so that a stop can wait for them."""

    daemon_threads = True

    def __init__(self, address, shop):
        super().__init__(address, Handler)
        self.shop = shop
        self.stopping = threading.Event()
        self.active = 0
        self.changed = threading.Condition()

    def process_request(self, request, client_address):
        with self.changed:
            self.active += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        super().shutdown_request(request)
        with self.changed:
            self.active -= 1
            self.changed.notify_all()

    def stop(self, grace):
        """Stops accepting, serves what already queued, waits for in-flight work; True if all finished."""
        self.stopping.set()
        self.shutdown()  # serve_forever returns; no accept() from here on
        self.socket.setblocking(False)
        while True:  # connections the kernel completed before the stop are served, not reset
            try:
                request, address = self.socket.accept()
            except (BlockingIOError, OSError):
                break
            request.setblocking(True)
            self.process_request(request, address)
        self.socket.close()
        deadline = time.monotonic() + grace
        with self.changed:
            while self.active > 0 and time.monotonic() < deadline:
                self.changed.wait(timeout=deadline - time.monotonic())
            return self.active == 0


def main():
    parser = argparse.ArgumentParser(description="pyshop, a test application for zdr")
    parser.add_argument("--version", default=os.environ.get("APP_VERSION"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 0))
    args = parser.parse_args()
    if not args.version or not args.port:
        parser.error("a version (--version or APP_VERSION) and a port (--port or PORT) are required")
    env = os.environ
    db = pg.Pool(
        host=env.get("PGHOST", "127.0.0.1"),
        port=int(env.get("PGPORT", "5432")),
        user=env.get("PGUSER", "postgres"),
        database=env.get("PGDATABASE", env.get("PGUSER", "postgres")),
        password=env.get("PGPASSWORD", ""),
        application_name=env.get("PGAPPNAME", f"pyshop-{args.version}"),
    )
    server = Server(("127.0.0.1", args.port), Shop(args.version, db))
    stop = threading.Event()
    received = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: (received.append(signal.Signals(signum).name), stop.set()))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    print(f"{time.time():.3f} listening on 127.0.0.1:{args.port} version={args.version} pid={os.getpid()}", flush=True)
    while not stop.wait(timeout=0.5):
        pass
    for sig in (signal.SIGTERM, signal.SIGINT):  # a repeated signal must not cut the stop short
        signal.signal(sig, signal.SIG_IGN)
    print(f"{time.time():.3f} stopping on {received[0]}: {server.active} connection(s) in flight", flush=True)
    finished = server.stop(STOP_GRACE_SECONDS)
    db.close()
    print(f"{time.time():.3f} stopped ({'all requests finished' if finished else 'grace period over'})", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
