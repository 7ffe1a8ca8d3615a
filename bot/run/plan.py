"""What `madoguchi up` starts: the child processes, their commands, environments and Rasa endpoints.

One action server and one Rasa instance per worker (`--workers N`): Rasa instance i sends its custom actions to
action server i, so no single action server serialises every resident's FAQ search (each runs its searches one at
a time on one core). The gateway's uvicorn workers and the LINE worker spread turns over the Rasa instances.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bot.run import training
from bot.settings import REPO_ROOT, Settings

PYTHON = Path(sys.executable)

# Rasa SQL tracker store that keeps every turn when a conversation's first messages arrive at once (see module).
TRACKER_STORE_CLASS = "bot.nlu.tracker_store.SessionOrderedSQLTrackerStore"
# Rasa Redis lock store whose ticket queue holds across Rasa instances (see module).
LOCK_STORE_CLASS = "bot.nlu.lock_store.AtomicRedisLockStore"


def numbered(name: str, i: int) -> str:
    """The `i`-th of several: `rasa`, `rasa2`, `rasa3`, … (process names, endpoints files)."""
    return name if i == 0 else f"{name}{i + 1}"


def loopback_urls(ports: list[int]) -> list[str]:
    return [f"http://127.0.0.1:{port}" for port in ports]


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


def endpoints_text(settings: Settings, workers: int, actions_url: str) -> str:
    """A Rasa instance's endpoints.yml: its own action server, the shared tracker store, and with several
    instances the Redis lock store that orders a conversation's turns across them."""
    text = f"action_endpoint:\n  url: {actions_url}/webhook\n\n" + tracker_store_yaml(settings)
    if workers > 1:
        redis = urlparse(settings.redis_url)
        text += (
            f"\nlock_store:\n  type: {LOCK_STORE_CLASS}\n"
            f"  url: {redis.hostname or '127.0.0.1'}\n  port: {redis.port or 6379}\n"
            f"  db: {(redis.path or '/0').lstrip('/') or 0}\n  key_prefix: madoguchi\n"
        )
    return text


def write_endpoints(settings: Settings, workers: int) -> list[Path]:
    """`<data dir>/run/endpoints.yml` for the first Rasa instance, `endpoints2.yml`, … for the others."""
    paths = []
    for i, url in enumerate(loopback_urls(actions_ports(settings, workers))):
        path = settings.data_dir / "run" / f"{numbered('endpoints', i)}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(endpoints_text(settings, workers, url))
        paths.append(path)
    return paths


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
    # the name of a child that must answer its health check before this one starts (a second action server
    # waits for the first, so it finds the FAQ embeddings the first one cached instead of computing them again)
    starts_after: str | None = None
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


BACKGROUND_NICE = 10  # Rasa, the action server and the LINE worker run at this lower CPU priority


def child_env(settings: Settings) -> dict[str, str]:
    """Every child's environment (an action server's as is): ours, plus the settings they must agree on."""
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


# Memory one more worker (gateway worker + Rasa instance + action server) costs, measured with the bench (Rasa
# ≈ 1.32 GB after load, an action server ≈ 0.54 GB, a gateway worker ≈ 0.2 GB), and what the rest of the stack
# and the system keep (docs/deploy.md).
MB_PER_WORKER = 2100
MB_RESERVED = 1500
MAX_WORKERS = 8


def auto_workers(
    settings: Settings, cores: int | None = None, available_mb: float | None = None
) -> tuple[int, str]:
    """`--workers auto`: one gateway worker, Rasa instance and action server per core the process may use, as
    many as the memory allows; one on SQLite (several Rasa instances share their tracker store and lock through
    PostgreSQL and Redis). Returns the count and the reason, which the launcher prints."""
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
        "MADOGUCHI_RASA_URLS": ",".join(loopback_urls(rasa_ports(settings, workers))),
        "MADOGUCHI_ACTIONS_URLS": ",".join(loopback_urls(actions_ports(settings, workers))),
        "MADOGUCHI_LINE_WORKER": "process",
        "MADOGUCHI_LINE_WORKER_PORT": str(settings.line_worker_port),
    }


def actions_ports(settings: Settings, workers: int) -> list[int]:
    """One action server per Rasa instance, on consecutive ports from `actions_port`."""
    return [settings.actions_port + i for i in range(max(1, workers))]


def actions_child(settings: Settings, i: int = 0, port: int | None = None) -> Child:
    """The `i`-th action server (`actions`, `actions2`, …) on `port` (`actions_port` for the first)."""
    port = settings.actions_port if port is None else port
    return Child(
        numbered("actions", i),
        [str(PYTHON), "-m", "actions.server", "--port", str(port)],
        f"http://127.0.0.1:{port}/health",
        300,
        env=child_env(settings),
        nice=BACKGROUND_NICE,
        starts_after=None if i == 0 else "actions",
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
    return Child(numbered("rasa", i), cmd, f"http://127.0.0.1:{port}/", 300, env=env, nice=BACKGROUND_NICE)


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


class PortClash(ValueError):
    """Two children of the plan would listen on the same loopback port (the settings name overlapping ports)."""


def check_ports(settings: Settings, workers: int) -> None:
    """Every child listens on a port of its own: the Rasa instances and action servers take consecutive ports
    from `rasa_port` and `actions_port`, so `--workers 3` with the action servers at 5055 needs 5055–5057 free of
    the LINE worker's and the gateway's ports."""
    owners: dict[int, str] = {}
    planned = [(f"rasa {i + 1}", p) for i, p in enumerate(rasa_ports(settings, workers))]
    planned += [(f"action server {i + 1}", p) for i, p in enumerate(actions_ports(settings, workers))]
    planned += [("LINE worker", settings.line_worker_port), ("gateway", settings.port)]
    for name, port in planned:
        if port in owners:
            raise PortClash(
                f"ポート {port} が {owners[port]} と {name} で重なっています。"
                f"MADOGUCHI_*_PORT の設定を見直してください (port {port} is planned for both {owners[port]} and {name}; with --workers {workers} the Rasa "
                f"ports are {settings.rasa_port}+i and the action server ports {settings.actions_port}+i)"
            )
        owners[port] = name


def build_children(settings: Settings, workers: int = 1) -> list[Child]:
    """The processes `madoguchi up` starts, in start order (docs/contracts.md lists them); PortClash when the
    settings would put two of them on one port."""
    check_ports(settings, workers)
    endpoints = write_endpoints(settings, workers)
    actions = [actions_child(settings, i, port) for i, port in enumerate(actions_ports(settings, workers))]
    rasa = [
        rasa_child(settings, i, port, endpoints[i]) for i, port in enumerate(rasa_ports(settings, workers))
    ]
    return [*actions, *rasa, line_worker_child(settings, workers), gateway_child(settings, workers)]
