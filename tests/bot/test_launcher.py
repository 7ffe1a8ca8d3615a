"""The launcher's process plan: what each child runs, at which priority, with which Rasa endpoints."""

from __future__ import annotations

from pathlib import Path

from bot.launcher import LOCK_STORE_CLASS, TRACKER_STORE_CLASS, build_children
from bot.settings import load_settings


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
