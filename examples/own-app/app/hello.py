"""The example team's app: answers which version it is; SIGTERM lets in-flight requests finish."""
import argparse
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--version", required=True)
parser.add_argument("--port", type=int, required=True)
args = parser.parse_args()


# A version named "...-bad" fails every other request (not its health check): the canary
# judgement's example of a bad release.
failing = args.version.endswith("-bad")
requests = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        global requests
        status = 200
        if self.path != "/healthz" and failing:
            with lock:
                requests += 1
                status = 500 if requests % 2 == 0 else 200
        body = (b"ok\n" if self.path == "/healthz" else f"hello from {args.version}\n".encode())
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("x-app-version", args.version)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *a):
        print(f"{self.address_string()} {fmt % a}", flush=True)


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = False  # server_close() waits for in-flight requests
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever()
server.server_close()
