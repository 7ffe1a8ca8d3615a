"""The wake-up from the gateway to a LINE worker in another process: one UDP datagram per stored batch.

The gateway's `LineInbox.wake` is a `UdpWaker` when `MADOGUCHI_LINE_WORKER=process`; the worker process binds the
same port number with `listen_for_wakes(port, worker.wake)`. Datagrams are fire-and-forget: the worker also polls
the inbox every `LineOptions.poll_s`, so a lost one only costs that delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable

WAKE = b"w"


class UdpWaker:
    """The gateway's side: a fire-and-forget datagram to the worker's port (never blocks, never raises)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self._address = (host, port)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)

    def __call__(self) -> None:
        with contextlib.suppress(OSError):  # worker down or restarting: it polls the inbox when it is back
            self._sock.sendto(WAKE, self._address)

    def close(self) -> None:
        self._sock.close()


class _WakeProtocol(asyncio.DatagramProtocol):
    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self._wake()


async def listen_for_wakes(
    port: int, wake: Callable[[], None], host: str = "127.0.0.1"
) -> asyncio.BaseTransport:
    """Bind the UDP wake port; every datagram calls `wake`."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _WakeProtocol(wake), local_addr=(host, port))
    return transport
