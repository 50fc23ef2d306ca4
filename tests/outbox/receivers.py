"""Webhook receivers on loopback for the tests: real HTTP servers, and raw TCP ones that misbehave."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HTTPReceiver:
    """A loopback HTTP server that answers every POST with `status` (and `headers`), recording it."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None, host: str = "127.0.0.1", port=0):
        self.received: list[tuple[str, dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, dict(self.headers), body))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()

            do_GET = do_POST  # a followed redirect may arrive as a GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_port
        self.url = f"http://{host}:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RawReceiver:
    """A loopback TCP server that runs `behave(connection)` for each connection: no HTTP at all."""

    def __init__(self, behave):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.connections = 0
        self.stop = threading.Event()

        def serve():
            while not self.stop.is_set():
                try:
                    connection, _ = self.listener.accept()
                except OSError:
                    return
                self.connections += 1
                threading.Thread(target=self._run, args=(behave, connection), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()

    def _run(self, behave, connection) -> None:
        with connection:
            try:
                connection.recv(65536)  # the request (small enough to arrive in one read)
                behave(connection, self.stop)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
