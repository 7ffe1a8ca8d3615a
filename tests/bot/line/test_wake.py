"""The UDP wake-up from the gateway to the LINE worker process: delivered when someone listens, harmless when not."""

from __future__ import annotations

import asyncio

from bot.line.wake import UdpWaker, listen_for_wakes
from tests.support.line import free_udp_port


def test_udp_wake_reaches_the_listener() -> None:
    port = free_udp_port()

    async def scenario() -> int:
        woken = asyncio.Event()
        count = 0

        def wake() -> None:
            nonlocal count
            count += 1
            woken.set()

        transport = await listen_for_wakes(port, wake)
        waker = UdpWaker(port)
        try:
            waker()
            await asyncio.wait_for(woken.wait(), 5)
        finally:
            waker.close()
            transport.close()
        return count

    assert asyncio.run(scenario()) >= 1


def test_waker_never_raises_when_nobody_listens() -> None:
    waker = UdpWaker(free_udp_port())
    for _ in range(3):
        waker()  # nothing bound there: the datagram is dropped, the webhook is not disturbed
    waker.close()
