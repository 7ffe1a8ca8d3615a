"""The LINE worker as its own process: answers the LINE inbox while the gateway only acknowledges webhooks.

With `MADOGUCHI_LINE_WORKER=process` (what `madoguchi up` sets) the gateway stores each webhook event and answers
200 without running the worker; this process claims and answers the events. The split keeps acknowledgements
fast when the machine is busy answering (a burst of 500 events measured p99 1.2 s with the worker inside the
gateway) and lets the two scale and restart independently: claims are leased and fenced, so a worker killed
mid-batch loses nothing (its events are taken over when their lease expires).

Run by the launcher as `uvicorn bot.line.process:create_worker_app --factory --port $MADOGUCHI_LINE_WORKER_PORT`:
- `GET /healthz` on 127.0.0.1: the worker's state and the inbox backlog;
- UDP datagrams on the same port number wake the worker at once (the gateway sends one per stored batch;
  bot/line/wake.py); without them it still polls every `LineOptions.poll_s`, so a lost datagram only costs
  that delay.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.chat import ChatService
from bot.line.wake import listen_for_wakes
from bot.line.worker import LineOptions, LineWorker, build_worker
from bot.messages import for_settings
from bot.privacy import install_log_masking
from bot.rasa import RasaClient
from bot.settings import Settings, load_settings
from bot.storage import line_inbox as inbox
from bot.storage.db import make_engine, migrate, session_factory
from channels.line.client import LineClient

log = logging.getLogger(__name__)

# What `/healthz` reports of the worker: "starting", "running" or why it is not configured
WorkerState = dict[str, str]
Running = tuple[LineWorker, LineClient, asyncio.BaseTransport]


async def start_worker(
    app: FastAPI, settings: Settings, factory: sessionmaker[Session], state: WorkerState
) -> Running | None:
    """Start answering the inbox (with the app's `chat` and `line_options`, which tests may replace) and
    listening for wake-ups; None when no access token is configured."""
    built = build_worker(settings, factory, app.state.chat, app.state.line_options)
    if built is None:
        state["worker"] = "not configured (LINE_CHANNEL_ACCESS_TOKEN is empty)"
        return None
    worker, line_client = built
    transport = await listen_for_wakes(settings.line_worker_port, worker.wake)
    app.state.line_worker = worker
    worker.start()
    state["worker"] = "running"
    log.info("LINE worker process running; wake-ups on udp/%d", settings.line_worker_port)
    return worker, line_client, transport


async def stop_worker(running: Running | None) -> None:
    if running is None:
        return
    worker, line_client, transport = running
    transport.close()
    await worker.stop()
    await line_client.aclose()


def worker_lifespan(
    settings: Settings, engine: Engine, factory: sessionmaker[Session], rasa: RasaClient, state: WorkerState
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start the worker with the app; on shutdown stop it, then close the Rasa client and the database."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = await start_worker(app, settings, factory, state)
        try:
            yield
        finally:
            await stop_worker(running)
            await rasa.aclose()
            engine.dispose()

    return lifespan


def add_healthz(app: FastAPI, factory: sessionmaker[Session], state: WorkerState) -> None:
    """`GET /healthz`: the worker's state and the inbox backlog (503 when the database is down)."""

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        def backlog() -> int:
            with factory() as session:
                return inbox.backlog(session)

        try:
            pending = await anyio.to_thread.run_sync(backlog)
        except Exception as exc:  # the database is down: say so (the launcher only needs an answer)
            return JSONResponse(
                status_code=503,
                content={"status": "degraded", "worker": state["worker"], "error": type(exc).__name__},
            )
        return JSONResponse({"status": "ok", "worker": state["worker"], "pending": pending})


def create_worker_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    install_log_masking()
    settings.ensure_dirs()
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    factory = session_factory(engine)
    rasa = RasaClient(settings.rasa_url_list, timeout_s=settings.rasa_timeout_s)
    state: WorkerState = {"worker": "starting"}
    lifespan = worker_lifespan(settings, engine, factory, rasa, state)
    app = FastAPI(title="madoguchi LINE worker", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.session_factory = factory
    app.state.chat = ChatService(
        factory,
        rasa,
        settings.secret_key.get_secret_value(),
        contact=settings.contact,
        messages=for_settings(settings),
    )
    app.state.line_options = LineOptions.from_settings(settings)  # tests may tune both before start-up
    add_healthz(app, factory, state)
    return app
