"""A do-nothing Rasa action server for the bare-Rasa floor (`bench.floor`): every action answers at once with
no events and no messages. Run: `python -m bench.nullactions --port P`."""

from __future__ import annotations

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMPTY = b'{"events": [], "responses": []}'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Rasa's aiohttp client expects

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._reply(EMPTY)

    def do_GET(self) -> None:  # noqa: N802
        self._reply(b'{"status": "ok"}')

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence per-request logging
        return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
