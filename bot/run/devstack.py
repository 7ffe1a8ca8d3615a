"""Run the whole stack as a subprocess of the real launcher on free ports (tests and benchmarks)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.run.launcher import READY
from bot.settings import REPO_ROOT

MADOGUCHI = [sys.executable, "-m", "bot.cli"]


class StackError(RuntimeError):
    pass


@dataclass
class StackProcess:
    url: str
    env: dict[str, str]
    data_dir: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def chat(self, sender: str, text: str, **extra: object) -> httpx.Response:
        return httpx.post(
            f"{self.url}/api/v1/chat", json={"sender_id": sender, "text": text, **extra}, timeout=30
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*MADOGUCHI, *args], cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_healthy(self, timeout_s: float, poll_s: float = 1.0) -> bool:
        """True once /healthz answers 200; False when the launcher exits first or the time runs out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.healthy():
                return True
            time.sleep(poll_s)
        return False

    def wait_launcher_ready(self, timeout_s: float, poll_s: float = 0.2) -> bool:
        """True once the launcher has seen every child healthy (its READY line): before that, a child that dies
        (a test killing Rasa) ends the start instead of being restarted, though /healthz may already answer."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            if READY in self.log.read_text(errors="replace"):
                return True
            time.sleep(poll_s)
        return False

    def children(self) -> dict[str, dict]:
        """The launcher's children (`{name: {"pid", "restarts", "started_at"}}`) from its pids file."""
        state = json.loads((self.data_dir / "run" / "pids.json").read_text())
        return dict(state["children"])

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


def free_port_block(
    count: int = 1, low: int = 20000, high: int = 32000, taken: set[int] | None = None
) -> int:
    """First of `count` consecutive free loopback ports, below the kernel's ephemeral range (32768+), so a
    client socket elsewhere on the machine cannot take the second Rasa port between this check and its bind.
    Ports in ``taken`` (another block chosen for the same stack, not bound yet) are never chosen; the block's
    ports are added to it."""
    for _ in range(200):
        base = random.randrange(low, high - count)
        if taken is not None and taken.intersection(range(base, base + count)):
            continue
        try:
            with contextlib.ExitStack() as held:
                for port in range(base, base + count):
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            if taken is not None:
                taken.update(range(base, base + count))
            return base
        except OSError:
            continue
    raise StackError(f"no {count} consecutive free ports in {low}-{high}")


def stack_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MADOGUCHI_", "LINE_"))}
    # the blocks are free now but bound only when the stack starts: each must avoid the others (two independent
    # picks once gave Rasa and the action server the same port, and the launcher refused to start)
    taken: set[int] = set()
    env.update(
        {
            "MADOGUCHI_ENV": "test",
            "MADOGUCHI_DATA_DIR": str(data_dir),
            "MADOGUCHI_PORT": str(free_port_block(taken=taken)),
            # Rasa instance i listens on base + i, action server i on base + i (--workers 2)
            "MADOGUCHI_RASA_PORT": str(free_port_block(2, taken=taken)),
            "MADOGUCHI_ACTIONS_PORT": str(free_port_block(2, taken=taken)),
            "MADOGUCHI_LINE_WORKER_PORT": str(free_port_block(taken=taken)),
            "MADOGUCHI_SECRET_KEY": "stack-test-secret",
            "RASA_TELEMETRY_ENABLED": "false",
            **extra,
        }
    )
    return env


def start_stack(
    data_dir: Path, timeout: float = 420, args: tuple[str, ...] = (), seed: bool = True, **extra: str
) -> StackProcess:
    """Seed the demo city into a fresh data dir, `madoguchi up`, wait for /healthz; raise with the log tail."""
    if not (REPO_ROOT / "models" / "madoguchi.tar.gz").exists():
        raise StackError("models/madoguchi.tar.gz is missing: run `madoguchi train` first")
    data_dir.mkdir(parents=True, exist_ok=True)
    cache = REPO_ROOT / "var" / "index"
    if cache.exists():  # reuse embeddings computed earlier (keyed by model + text hash)
        shutil.copytree(cache, data_dir / "index", dirs_exist_ok=True)
    env = stack_env(data_dir, **extra)
    if seed:
        seeded = subprocess.run([*MADOGUCHI, "seed"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        if seeded.returncode != 0:
            raise StackError(f"seed failed: {seeded.stderr[-2000:]}")
    log = data_dir / "launcher.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*MADOGUCHI, "up", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = StackProcess(
        url=f"http://127.0.0.1:{env['MADOGUCHI_PORT']}", env=env, data_dir=data_dir, proc=proc, log=log
    )
    if stack.wait_healthy(timeout) and stack.wait_launcher_ready(timeout):
        return stack
    if proc.poll() is not None:
        raise StackError(f"launcher exited {proc.returncode}:\n{stack.log_tail()}")
    stack.stop()
    raise StackError(f"stack not healthy in {timeout:.0f} s:\n{stack.log_tail()}")
