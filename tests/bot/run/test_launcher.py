"""The launcher: the gateway's proxy flags at work, the start order, the ready line tests wait for."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from bot.run.launcher import free_port, http_ok
from bot.run.plan import build_children
from bot.settings import Settings, load_settings


def settings_for(tmp_path: Path, **extra: object):  # type: ignore[no-untyped-def]
    return load_settings(data_dir=tmp_path / "var", env="test", secret_key="test-secret-key", **extra)


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


def test_a_child_that_starts_after_another_waits_for_its_health(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The second action server starts only once the first answers (it reads the embeddings the first cached)."""
    from bot.run import launcher as launcher_module
    from bot.run.plan import Child

    first_port, second_port = free_port(), free_port()
    slow = f"import time, http.server as h; time.sleep(1.5); h.test(h.SimpleHTTPRequestHandler, port={first_port}, bind='127.0.0.1')"
    serve = "import http.server as h, sys; h.test(h.SimpleHTTPRequestHandler, port=int(sys.argv[1]), bind='127.0.0.1')"
    children = [
        Child("first", [sys.executable, "-c", slow], f"http://127.0.0.1:{first_port}/", 30),
        Child(
            "second",
            [sys.executable, "-c", serve, str(second_port)],
            f"http://127.0.0.1:{second_port}/",
            30,
            starts_after="first",
        ),
    ]
    monkeypatch.setattr(launcher_module, "build_children", lambda _settings, _workers: children)
    monkeypatch.setattr(
        launcher_module.training, "model_path", lambda _dir: tmp_path
    )  # exists: no model needed
    launcher = launcher_module.Launcher(settings_for(tmp_path))
    try:
        launcher.start()
        started = launcher._started_at
        assert started["second"] - started["first"] >= 1.5  # it waited for the first's health check
        assert http_ok(children[0].health_url) and http_ok(children[1].health_url)
    finally:
        launcher.stop()
    assert not children[0].alive() and not children[1].alive()
