"""`install(app)`: the gateway's LINE webhook, `POST /line/webhook`, and who answers what it stores.

The route verifies the signature, stores the events in the inbox (bot/line/inbox.py) and answers 200; it is
mounted twice, as a documented route (OpenAPI) and as `WebhookFastPath`, which serves it ahead of the other
middleware and routing. Then the inbox wakes a worker: a `LineWorker` started in this process
(`MADOGUCHI_LINE_WORKER=inline`), or the separate worker process through a UDP datagram (`process`, what the
launcher runs; bot/line/process.py, bot/line/wake.py).
"""

from __future__ import annotations

import logging

import anyio
from fastapi import FastAPI

from bot.line.handlers import CHANNEL
from bot.line.inbox import LineInbox
from bot.line.wake import UdpWaker
from bot.line.worker import LineOptions, build_worker
from bot.services import services_of
from channels.line.webhook import WebhookFastPath, WebhookHandler, make_router

log = logging.getLogger(__name__)


def install(app: FastAPI) -> None:
    """Mount the LINE webhook; run the inbox worker in this process (`line_worker=inline`) or wake the separate
    worker process (`line_worker=process`, see bot/line/process.py)."""
    services = services_of(app)
    settings, factory = services.settings, services.factory
    app.state.line_options = LineOptions.from_settings(settings)  # tests may tune it before start-up
    # `services.chat` is read when used: tests put a ChatService with a stub Rasa there after create_app
    line_inbox = LineInbox(factory, lambda resident_id: services.chat.resident_key(CHANNEL, resident_id))
    app.state.line_inbox = line_inbox
    handler = WebhookHandler(lambda: settings.line_channel_secret.get_secret_value(), line_inbox.accept)
    app.include_router(make_router(handler))  # the documented route (OpenAPI)
    app.add_middleware(
        WebhookFastPath, handler=handler
    )  # serves it ahead of the other middleware and routing

    async def start(app: FastAPI) -> None:
        if settings.line_channel_secret.get_secret_value():
            try:
                await anyio.to_thread.run_sync(line_inbox.warm_up)
            except Exception as exc:  # database down at start: webhooks answer 503 until it is back
                log.warning("LINE inbox warm-up failed (%s); continuing", type(exc).__name__)
        if settings.line_worker == "process":
            app.state.line_waker = line_inbox.wake = UdpWaker(settings.line_worker_port)
            return
        built = build_worker(settings, factory, services.chat, app.state.line_options)
        if built is None:
            return
        worker, line_client = built
        app.state.line_worker = worker
        app.state.line_client = line_client
        line_inbox.wake = worker.wake
        worker.start()

    async def stop(app: FastAPI) -> None:
        worker = getattr(app.state, "line_worker", None)
        if worker is not None:
            await worker.stop()
            await app.state.line_client.aclose()
        waker = getattr(app.state, "line_waker", None)
        if waker is not None:
            waker.close()

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)
