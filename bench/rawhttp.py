"""A lean HTTP/1.1 load generator for latency measurements: keep-alive connections over asyncio streams.

Why not httpx: with 50 connections its pool kept the load generator at 100 % of a core while the gateway idled
at 15-30 % (measured with `top` during a 500-request burst: even a 404 then showed p50 280 ms), so the
benchmark measured the client. Here each connection is one coroutine that writes a request and reads the
response (status line, headers, Content-Length body); the time measured is from the first byte written to the
last byte read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Response:
    status: int
    body: bytes
    seconds: float  # first byte written -> last byte read
    finished: float  # time.perf_counter() when the last byte was read


class HttpError(Exception):
    pass


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        raise HttpError(f"bad status line {lines[0]!r}") from None
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        elif name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
            raise HttpError("chunked responses are not supported by this load generator")
    if length is None:
        raise HttpError("response without Content-Length")
    return status, await reader.readexactly(length)


def _request(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def post_all(
    url: str, requests: Sequence[tuple[bytes, dict[str, str]]], concurrency: int, timeout_s: float = 30.0
) -> list[Response | Exception]:
    """POST every (body, headers) to `url` over `concurrency` keep-alive connections, as fast as answered.

    Returns one entry per request in order: a Response, or the exception that request met (a broken connection
    is reopened for the next request)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path or "/"
    results: list[Response | Exception] = [HttpError("not sent")] * len(requests)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(requests)):
        queue.put_nowait(i)

    async def connection() -> None:
        reader = writer = None
        while not queue.empty():
            i = queue.get_nowait()
            body, headers = requests[i]
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                assert reader is not None
                started = time.perf_counter()
                writer.write(_request(f"{host}:{port}", path, body, headers))
                await writer.drain()
                status, answer = await asyncio.wait_for(_read_response(reader), timeout_s)
                finished = time.perf_counter()
                results[i] = Response(status, answer, finished - started, finished)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, HttpError) as exc:
                results[i] = exc
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return results
