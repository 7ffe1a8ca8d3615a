"""`madoguchi up`: start the processes of the plan (`bot.run.plan`); watch them; stop them all together."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from bot.run import training
from bot.run.plan import Child, PortClash, build_children
from bot.settings import Settings

# The line the launcher prints once every child answered its health check: from then on it restarts a child
# that dies instead of giving up (tests that kill a child wait for it: bot.run.devstack.start_stack).
READY = "準備完了 (ready):"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback health URLs only
            return 200 <= response.status < 300
    except (URLError, OSError, ValueError):
        return False


class LaunchError(RuntimeError):
    pass


def pids_path(settings: Settings) -> Path:
    """`<data dir>/run/pids.json`: which process runs which child, rewritten on every (re)start."""
    return settings.data_dir / "run" / "pids.json"


def read_pids(settings: Settings) -> dict:
    """`{"launcher": pid, "children": {name: {"pid", "restarts", "started_at"}}}`, or {} when absent."""
    try:
        return json.loads(pids_path(settings).read_text())
    except (OSError, ValueError):
        return {}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Launcher:
    """Starts children in order, waits for health, restarts a crashed child, stops all on a signal."""

    def __init__(self, settings: Settings, workers: int = 1, max_restarts: int = 5) -> None:
        self.settings = settings
        self.workers = workers
        self.max_restarts = max_restarts
        self.children: list[Child] = []
        self._stopping = False
        self._started_at: dict[str, float] = {}

    def _write_pids(self) -> None:
        """Record the children's pids (operators and the fault tests read it); best effort."""
        state = {
            "launcher": os.getpid(),
            "children": {
                c.name: {
                    "pid": c.proc.pid if c.proc else None,
                    "restarts": c.restarts,
                    "started_at": self._started_at.get(c.name),
                }
                for c in self.children
            },
        }
        path = pids_path(self.settings)
        try:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state))
            os.replace(tmp, path)
        except OSError as exc:
            say(f"! could not write {path}: {exc}")

    def _start_child(self, child: Child) -> None:
        child.start(self.settings.log_dir)
        self._started_at[child.name] = time.time()
        self._write_pids()

    def _wait_healthy(self, child: Child) -> None:
        deadline = time.monotonic() + child.start_timeout
        started = time.monotonic()
        while time.monotonic() < deadline:
            if not child.alive():
                raise LaunchError(
                    f"{child.name} が起動中に終了しました (exited while starting); "
                    f"log {child.log_path}:\n{child.tail()}"
                )
            if http_ok(child.health_url):
                say(f"  ✔ {child.name} ready in {time.monotonic() - started:.0f} s ({child.health_url})")
                return
            time.sleep(0.5)
        raise LaunchError(
            f"{child.name} が {child.start_timeout:.0f} 秒以内に応答しませんでした "
            f"(not healthy in time); log {child.log_path}:\n{child.tail()}"
        )

    def start(self) -> None:
        s = self.settings
        s.ensure_dirs()
        if not training.model_path(s.model_dir).exists():
            raise LaunchError(
                "Rasa モデルがありません。`madoguchi train` を先に実行してください (no trained model)"
            )
        try:
            self.children = build_children(s, self.workers)
        except PortClash as exc:
            raise LaunchError(str(exc)) from exc
        say(f"madoguchi を起動しています (starting) — data dir {s.data_dir}")
        ready: set[str] = set()
        by_name = {c.name: c for c in self.children}
        for child in self.children:
            if child.starts_after is not None and child.starts_after not in ready:
                self._wait_healthy(by_name[child.starts_after])
                ready.add(child.starts_after)
            say(f"  … starting {child.name}")
            self._start_child(child)
        for child in self.children:
            if child.name not in ready:
                self._wait_healthy(child)
        say(f"{READY} http://{s.host}:{s.port}/  chat API: POST /api/v1/chat")

    def stop(self) -> None:
        self._stopping = True
        for child in reversed(self.children):
            child.stop()
        with contextlib.suppress(OSError):
            pids_path(self.settings).unlink(missing_ok=True)

    def supervise(self, poll_s: float = 1.0, until: float | None = None) -> int:
        """Keep children alive; returns an exit code when a child cannot be kept alive."""
        while not self._stopping and (until is None or time.monotonic() < until):
            for child in self.children:
                if child.alive() or self._stopping:
                    continue
                code = child.proc.returncode if child.proc else None
                if child.restarts >= self.max_restarts:
                    say(
                        f"✘ {child.name} が繰り返し終了しました (exit {code}); 停止します. log: {child.log_path}"
                    )
                    return 1
                child.restarts += 1
                say(f"! {child.name} exited ({code}); restarting ({child.restarts}/{self.max_restarts})")
                self._start_child(child)
                try:
                    self._wait_healthy(child)
                except LaunchError as exc:
                    say(str(exc))
            time.sleep(poll_s)
        return 0


def run(settings: Settings, workers: int = 1) -> int:
    launcher = Launcher(settings, workers=workers)

    def _on_signal(signum: int, _frame: object) -> None:
        launcher._stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        launcher.start()
        code = launcher.supervise()
    except LaunchError as exc:
        say(f"✘ {exc}")
        code = 1
    finally:
        say("停止しています (stopping)…")
        launcher.stop()
    return code
