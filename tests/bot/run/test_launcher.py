"""The launcher's process plan: what each child runs, at which priority, with which Rasa endpoints."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from bot.run.launcher import LOCK_STORE_CLASS, TRACKER_STORE_CLASS, build_children, free_port, http_ok
from bot.settings import Settings, load_settings


def settings_for(tmp_path: Path, **extra: object):  # type: ignore[no-untyped-def]
    return load_settings(data_dir=tmp_path / "var", env="test", secret_key="test-secret-key", **extra)


def test_plan_has_actions_every_rasa_instance_the_line_worker_and_the_gateway(tmp_path: Path) -> None:
    children = {c.name: c for c in build_children(settings_for(tmp_path), workers=2)}
    assert sorted(children) == ["actions", "gateway", "line-worker", "rasa", "rasa2"]
    ports = [
        c.cmd[c.cmd.index("--port") + 1] for name, c in sorted(children.items()) if name.startswith("rasa")
    ]
    assert int(ports[1]) == int(ports[0]) + 1
    assert "127.0.0.1" in children["rasa"].cmd  # Rasa is never exposed
    # the gateway only acknowledges LINE webhooks; the worker process (loopback only) answers them
    worker, gateway = children["line-worker"], children["gateway"]
    assert gateway.env["MADOGUCHI_LINE_WORKER"] == worker.env["MADOGUCHI_LINE_WORKER"] == "process"
    port = worker.cmd[worker.cmd.index("--port") + 1]
    assert gateway.env["MADOGUCHI_LINE_WORKER_PORT"] == port and "127.0.0.1" in worker.cmd
    assert worker.health_url == f"http://127.0.0.1:{port}/healthz"


def test_endpoints_use_our_tracker_and_lock_stores(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, database_url="postgresql://postgres@127.0.0.1:5432/x")
    build_children(settings, workers=2)
    text = (settings.data_dir / "run" / "endpoints.yml").read_text()
    assert f"type: {TRACKER_STORE_CLASS}" in text and f"type: {LOCK_STORE_CLASS}" in text
    single = settings_for(tmp_path / "one")
    build_children(single, workers=1)
    assert "lock_store" not in (single.data_dir / "run" / "endpoints.yml").read_text()


def _client_seen_through(gateway_cmd: list[str], forwarded_for: str) -> dict[str, str]:
    """Run uvicorn with the gateway's own flags (the app swapped for an echo) and ask who the client is."""
    port = free_port()
    cmd = list(gateway_cmd)
    cmd[cmd.index("bot.app:create_app")] = "client_echo_app:create"
    cmd[cmd.index("--port") + 1] = str(port)
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[cmd.index("--workers") + 1] = "1"
    cmd += ["--app-dir", str(Path(__file__).resolve().parents[2] / "support")]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not http_ok(f"http://127.0.0.1:{port}/"):
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.1)
        headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"}
        return httpx.get(f"http://127.0.0.1:{port}/", headers=headers, timeout=5).json()  # type: ignore[no-any-return]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_gateway_believes_forwarding_headers_only_from_the_named_proxies(tmp_path: Path) -> None:
    def gateway(settings: Settings) -> list[str]:
        return next(c.cmd for c in build_children(settings) if c.name == "gateway")

    # default: a proxy on the same host (the test client is on 127.0.0.1, so it is that proxy)
    assert _client_seen_through(gateway(settings_for(tmp_path)), "203.0.113.7") == {
        "client": "203.0.113.7",
        "scheme": "https",
    }
    # the proxy is elsewhere: a client on 127.0.0.1 is not it, so its header is ignored
    elsewhere = settings_for(tmp_path / "b", forwarded_allow_ips="10.0.0.0/24")
    assert _client_seen_through(gateway(elsewhere), "203.0.113.7") == {
        "client": "127.0.0.1",
        "scheme": "http",
    }


@pytest.mark.parametrize("value", ["proxy.example.jp", "10.0.0.300", "127.0.0.1,nope"])
def test_a_proxy_that_is_not_an_address_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValidationError, match="MADOGUCHI_FORWARDED_ALLOW_IPS"):
        settings_for(tmp_path, forwarded_allow_ips=value)


def test_trusting_every_proxy_is_refused_in_production(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"FORWARDED_ALLOW_IPS=\*"):
        load_settings(
            data_dir=tmp_path, env="production", secret_key="a-long-random-production-secret-0123456789",
            forwarded_allow_ips="10.0.0.5, *",
        )  # fmt: skip
    assert (
        settings_for(tmp_path, forwarded_allow_ips=" 10.0.0.5 , ::1 ").forwarded_allow_ips == "10.0.0.5,::1"
    )


def test_a_started_stack_waits_for_the_launchers_ready_line(tmp_path: Path) -> None:
    """/healthz can answer before the launcher has seen every child healthy; a child killed then ends the start
    (tests/faults/test_rasa_killed.py once did), so start_stack also waits for the launcher's READY line."""
    import sys

    from bot.run.devstack import StackProcess
    from bot.run.launcher import READY

    log = tmp_path / "launcher.log"
    log.write_text("  ✔ actions ready in 7 s\n", encoding="utf-8")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        stack = StackProcess(url="http://127.0.0.1:9", env={}, data_dir=tmp_path, proc=sleeper, log=log)
        assert not stack.wait_launcher_ready(0.5, poll_s=0.05)
        log.write_text(
            log.read_text(encoding="utf-8") + f"{READY} http://127.0.0.1:8000/\n", encoding="utf-8"
        )
        assert stack.wait_launcher_ready(0.5, poll_s=0.05)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_workers_auto_uses_every_core_the_memory_allows_on_postgresql(tmp_path: Path) -> None:
    from bot.run.launcher import MB_PER_WORKER, MB_RESERVED, auto_workers

    pg = settings_for(tmp_path, database_url="postgresql://postgres@127.0.0.1:5432/x")
    assert auto_workers(pg, cores=2, available_mb=16_000)[0] == 2
    assert auto_workers(pg, cores=16, available_mb=16_000)[0] == 8  # the launcher's ceiling
    # memory for one more Rasa instance only: 3 cores, 2 workers
    assert auto_workers(pg, cores=3, available_mb=MB_RESERVED + 2.5 * MB_PER_WORKER)[0] == 2
    assert auto_workers(pg, cores=4, available_mb=500)[0] == 1  # never fewer than one
    count, reason = auto_workers(settings_for(tmp_path / "lite"), cores=8, available_mb=64_000)
    assert count == 1 and "PostgreSQL" in reason


def test_rasa_gets_the_session_limits(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, session_max_turns=12, session_quiet_minutes=20)
    rasa = next(c for c in build_children(settings) if c.name == "rasa")
    assert rasa.env["MADOGUCHI_SESSION_MAX_TURNS"] == "12"
    assert float(rasa.env["MADOGUCHI_SESSION_QUIET_MINUTES"]) == 20.0
    with pytest.raises(ValidationError):
        settings_for(tmp_path, session_max_turns=1)
