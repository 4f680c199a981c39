"""Test server for runner_results.sh: 127.0.0.1 only, some slow responses and some errors.

/fast answers at once, /slow after 20-120 ms, /error fails every third request with a 500 and
/missing is always a 404. It prints its port on the first line of stdout and serves until killed.
"""
import http.server
import itertools
import random
import socketserver
import sys
import threading
import time

counter = itertools.count()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?")[0]
        status = 200
        if path == "/slow":
            time.sleep(random.uniform(0.02, 0.12))
        elif path == "/error":
            with lock:
                n = next(counter)
            if n % 3 == 0:
                status = 500
        elif path != "/fast":
            status = 404
        body = b'{"ok": true}' if status == 200 else b'{"ok": false}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Runners drop keep-alive connections when they stop; that is not a server fault.
        pass


if __name__ == "__main__":
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()
