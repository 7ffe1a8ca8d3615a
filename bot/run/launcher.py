"""`madoguchi up`: start Rasa, the action server and the gateway; watch them; stop them all together."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlparse
from urllib.request import urlopen

from bot.run import training
from bot.settings import REPO_ROOT, Settings

# The line the launcher prints once every child answered its health check: from then on it restarts a child
# that dies instead of giving up (tests that kill a child wait for it: bot.run.devstack.start_stack).
READY = "準備完了 (ready):"

PYTHON = Path(sys.executable)


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


# Rasa SQL tracker store that keeps every turn when a conversation's first messages arrive at once (see module).
TRACKER_STORE_CLASS = "bot.nlu.tracker_store.SessionOrderedSQLTrackerStore"
# Rasa Redis lock store whose ticket queue holds across Rasa instances (see module).
LOCK_STORE_CLASS = "bot.nlu.lock_store.AtomicRedisLockStore"


def tracker_store_yaml(settings: Settings) -> str:
    """Rasa's SQL tracker store on the same PostgreSQL, or a SQLite file beside the gateway's."""
    url = settings.db_url
    if url.startswith("postgres"):
        parsed = urlparse(url.replace("+psycopg", "").replace("+psycopg2", ""))
        lines = [
            "tracker_store:",
            f"  type: {TRACKER_STORE_CLASS}",
            "  dialect: postgresql",
            f"  url: {parsed.hostname or '127.0.0.1'}",
            f"  port: {parsed.port or 5432}",
            f"  db: {parsed.path.lstrip('/') or 'postgres'}",
        ]
        if parsed.username:
            lines.append(f"  username: {parsed.username}")
        if parsed.password:
            lines.append(f"  password: {parsed.password}")
        return "\n".join(lines) + "\n"
    return (
        f"tracker_store:\n  type: {TRACKER_STORE_CLASS}\n  dialect: sqlite\n"
        f"  db: {(settings.data_dir / 'rasa_tracker.db').resolve()}\n"
    )


def write_endpoints(settings: Settings, workers: int) -> Path:
    text = f"action_endpoint:\n  url: {settings.actions_url}/webhook\n\n" + tracker_store_yaml(settings)
    if workers > 1:
        redis = urlparse(settings.redis_url)
        text += (
            f"\nlock_store:\n  type: {LOCK_STORE_CLASS}\n"
            f"  url: {redis.hostname or '127.0.0.1'}\n  port: {redis.port or 6379}\n"
            f"  db: {(redis.path or '/0').lstrip('/') or 0}\n  key_prefix: madoguchi\n"
        )
    path = settings.data_dir / "run" / "endpoints.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@dataclass
class Child:
    name: str
    cmd: list[str]
    health_url: str
    start_timeout: float
    env: dict[str, str] = field(default_factory=dict)
    # CPU priority (`nice` increment): the back-end processes yield to the gateway, so acknowledging a LINE
    # webhook or serving the console never waits behind Rasa working through a burst
    nice: int = 0
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    log_path: Path | None = None

    def start(self, log_dir: Path) -> None:
        self.log_path = log_dir / f"{self.name}.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=REPO_ROOT,
            env=self.env or None,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=(lambda: os.nice(self.nice)) if self.nice else None,  # noqa: PLW1509 - no threads here
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=grace)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def tail(self, lines: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


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


BACKGROUND_NICE = 10  # Rasa, the action server and the LINE worker run at this lower CPU priority


def child_env(settings: Settings) -> dict[str, str]:
    """Every child's environment (the action server's as is): ours, plus the settings they must agree on."""
    return {
        **os.environ,
        "MADOGUCHI_DATA_DIR": str(settings.data_dir),
        "MADOGUCHI_DATABASE_URL": settings.db_url,
        "MADOGUCHI_ACTIONS_PORT": str(settings.actions_port),
        "MADOGUCHI_RASA_PORT": str(settings.rasa_port),
        "MADOGUCHI_PORT": str(settings.port),
        "MADOGUCHI_SESSION_MAX_TURNS": str(settings.session_max_turns),
        "MADOGUCHI_SESSION_QUIET_MINUTES": str(settings.session_quiet_minutes),
    }


# Memory one more (gateway worker + Rasa instance) pair costs, measured with `make bench` (Rasa ≈ 1.25 GB after
# load, a gateway worker ≈ 0.2 GB), and what the rest of the stack and the system keep (docs/deploy.md).
MB_PER_WORKER = 1500
MB_RESERVED = 1500
MAX_WORKERS = 8


def auto_workers(
    settings: Settings, cores: int | None = None, available_mb: float | None = None
) -> tuple[int, str]:
    """`--workers auto`: one gateway worker and one Rasa instance per core the process may use, as many as the
    memory allows; one on SQLite (several Rasa instances share their tracker store and lock through PostgreSQL
    and Redis). Returns the count and the reason, which the launcher prints."""
    if not settings.db_url.startswith("postgres"):
        return 1, "SQLite: 1 worker (scale-out needs PostgreSQL and Redis)"
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if available_mb is None:
        import psutil

        available_mb = psutil.virtual_memory().available / 2**20
    by_memory = int((available_mb - MB_RESERVED) // MB_PER_WORKER)
    n = max(1, min(cores, by_memory, MAX_WORKERS))
    return n, f"{n} workers ({cores} cores; memory for {max(by_memory, 0)} at {MB_PER_WORKER} MB each)"


def rasa_ports(settings: Settings, workers: int) -> list[int]:
    """One Rasa instance per gateway worker, on consecutive ports from `rasa_port`."""
    return [settings.rasa_port + i for i in range(max(1, workers))]


def gateway_env(settings: Settings, workers: int) -> dict[str, str]:
    """The gateway's and the LINE worker's environment: which Rasa instances to use, and that the LINE inbox
    is answered by its own process (the gateway only stores and acknowledges webhooks)."""
    return {
        **child_env(settings),
        "MADOGUCHI_RASA_URLS": ",".join(f"http://127.0.0.1:{p}" for p in rasa_ports(settings, workers)),
        "MADOGUCHI_LINE_WORKER": "process",
        "MADOGUCHI_LINE_WORKER_PORT": str(settings.line_worker_port),
    }


def actions_child(settings: Settings) -> Child:
    return Child(
        "actions",
        [str(PYTHON), "-m", "actions.server", "--port", str(settings.actions_port)],
        f"{settings.actions_url}/health",
        300,
        env=child_env(settings),
        nice=BACKGROUND_NICE,
    )


def rasa_child(settings: Settings, i: int, port: int, endpoints: Path) -> Child:
    """The `i`-th Rasa instance (`rasa`, `rasa2`, …) on `port`."""
    model = training.model_path(settings.model_dir)
    env = {
        **training.rasa_env(),
        **{k: v for k, v in child_env(settings).items() if k.startswith("MADOGUCHI_")},
    }
    cmd = [str(training.rasa_bin()), "run", "--model", str(model), "--interface", "127.0.0.1"]
    cmd += ["--port", str(port), "--credentials", "credentials.yml", "--endpoints", str(endpoints)]
    return Child(
        f"rasa{'' if i == 0 else i + 1}", cmd, f"http://127.0.0.1:{port}/", 300, env=env, nice=BACKGROUND_NICE
    )


def line_worker_child(settings: Settings, workers: int) -> Child:
    port = str(settings.line_worker_port)
    cmd = [str(PYTHON), "-m", "uvicorn", "bot.line.process:create_worker_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", port, "--no-access-log"]
    return Child(
        "line-worker",
        cmd,
        f"http://127.0.0.1:{port}/healthz",
        120,
        env=gateway_env(settings, workers),
        nice=BACKGROUND_NICE,
    )


def gateway_child(settings: Settings, workers: int) -> Child:
    cmd = [str(PYTHON), "-m", "uvicorn", "bot.app:create_app", "--factory"]
    cmd += ["--host", settings.host, "--port", str(settings.port), "--workers", str(max(1, workers))]
    cmd += ["--proxy-headers", "--forwarded-allow-ips", settings.forwarded_allow_ips, "--no-access-log"]
    return Child(
        "gateway", cmd, f"http://127.0.0.1:{settings.port}/healthz", 120, env=gateway_env(settings, workers)
    )


def build_children(settings: Settings, workers: int = 1) -> list[Child]:
    """The processes `madoguchi up` starts, in start order (docs/contracts.md lists them)."""
    endpoints = write_endpoints(settings, workers)
    rasa = [rasa_child(settings, i, port, endpoints) for i, port in enumerate(rasa_ports(settings, workers))]
    return [
        actions_child(settings),
        *rasa,
        line_worker_child(settings, workers),
        gateway_child(settings, workers),
    ]


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
        self.children = build_children(s, self.workers)
        say(f"madoguchi を起動しています (starting) — data dir {s.data_dir}")
        for child in self.children:
            say(f"  … starting {child.name}")
            self._start_child(child)
        for child in self.children:
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
