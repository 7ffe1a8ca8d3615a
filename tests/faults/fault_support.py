"""Fault-injection helpers: a private throwaway PostgreSQL cluster, the gateway on a real loopback port, a stub
Rasa.

The private cluster lives in a temp dir on a free port: the machine's shared server at 127.0.0.1:5432 is never
restarted (other tests use it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from bot.chat import ChatService
from bot.run.launcher import free_port
from bot.settings import load_settings
from channels.line.client import RetryPolicy
from channels.line.fake import FakeLine

CHANNEL_SECRET = "fault-channel-secret"
ACCESS_TOKEN = "fault-access-token"
SECRET_KEY = "fault-secret-key-not-for-production"
OPEN311_KEY = "fault-open311-key"


def pg_bindir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for bindir in reversed(candidates):
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


class PrivateCluster:
    """A PostgreSQL cluster only this test run uses: initdb in a temp dir, unix socket in it too, trust auth."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="madoguchi-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0  # the server refuses to run as root
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / tool), *args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stdout}{done.stderr}{self.log_tail()}")
        return done

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-1500:]
        except OSError:
            return ""

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        settings = {  # in the config file, so every start and restart keeps them (and never uses :5432)
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
        }
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self.start()

    def _ctl(self, *args: str) -> None:
        # -l always: without it the server inherits our captured stdout and `run` would wait for it forever
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", *args)

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server is back a moment later."""
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def start(self) -> None:
        self._ctl("start")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._ctl("-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class StubRasa:
    """Answers `answer: <text>` at once; records every call (to count how often an event was processed)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        return {"messages": [{"text": f"answer: {text}"}], "intent": {"name": "stub", "confidence": 1.0}}

    async def healthy(self) -> bool:
        return True

    async def aclose(self) -> None:
        pass


class LiveServer:
    """The gateway app served by uvicorn in a thread on a free loopback port (lifespan hooks run for real)."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="gateway", daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the gateway did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", timeout=10, **kwargs)


FAST = RetryPolicy(attempts=4, base_delay_s=0.05, max_delay_s=1.0, timeout_s=2.0, connect_timeout_s=1.0)


def gateway_app(data_dir: Path, db_url: str, fake: FakeLine, rasa: StubRasa, **extra: Any) -> FastAPI:
    """The real gateway app wired to the fake LINE API and a stub Rasa, with short retry/poll intervals."""
    from bot.app import create_app

    settings = load_settings(
        **{
            "data_dir": data_dir,
            "database_url": db_url,
            "embedder": "hashing",
            "env": "test",
            "secret_key": SECRET_KEY,
            "rasa_port": 9,
            "actions_port": 9,
            "open311_api_key": OPEN311_KEY,
            "chat_rate_per_minute": 10_000,
            "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
            "LINE_API_BASE_URL": fake.base_url,
            "LINE_DATA_API_BASE_URL": fake.base_url,
            **extra,
        }
    )
    app = create_app(settings)
    app.state.services.chat = ChatService(app.state.services.factory, rasa, SECRET_KEY)  # type: ignore[arg-type]
    options = app.state.line_options
    options.policy = FAST
    options.poll_s = 0.1
    options.retry_base_s = 0.2
    options.lease_s = 20.0
    app.state.upkeep_options.first_delay_s = 0.5
    app.state.upkeep_options.interval_s = 0.5
    return app
