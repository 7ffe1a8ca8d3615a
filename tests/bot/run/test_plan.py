"""The process plan: what each child runs, at which priority, with which Rasa endpoints and action server."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.run.plan import LOCK_STORE_CLASS, TRACKER_STORE_CLASS, PortClash, build_children
from bot.settings import load_settings


def settings_for(tmp_path: Path, **extra: object):  # type: ignore[no-untyped-def]
    return load_settings(data_dir=tmp_path / "var", env="test", secret_key="test-secret-key", **extra)


def port_of(child) -> int:  # type: ignore[no-untyped-def]
    return int(child.cmd[child.cmd.index("--port") + 1])


def test_plan_has_an_action_server_per_rasa_instance_the_line_worker_and_the_gateway(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    children = {c.name: c for c in build_children(settings, workers=2)}
    assert sorted(children) == ["actions", "actions2", "gateway", "line-worker", "rasa", "rasa2"]
    assert port_of(children["rasa2"]) == port_of(children["rasa"]) + 1
    assert port_of(children["actions2"]) == port_of(children["actions"]) + 1 == settings.actions_port + 1
    assert "127.0.0.1" in children["rasa"].cmd  # Rasa is never exposed
    # Rasa instance i sends its actions to action server i, through an endpoints file of its own
    for rasa, actions in (("rasa", "actions"), ("rasa2", "actions2")):
        endpoints = Path(children[rasa].cmd[children[rasa].cmd.index("--endpoints") + 1]).read_text()
        assert f"url: http://127.0.0.1:{port_of(children[actions])}/webhook" in endpoints
        assert children[actions].health_url == f"http://127.0.0.1:{port_of(children[actions])}/health"
    # the second action server starts once the first is up (it then reads the embeddings the first cached)
    assert children["actions"].starts_after is None and children["actions2"].starts_after == "actions"
    # the gateway's health check asks every action server
    urls = children["gateway"].env["MADOGUCHI_ACTIONS_URLS"].split(",")
    assert urls == [
        children["actions"].health_url.removesuffix("/health"),
        children["actions2"].health_url[:-7],
    ]
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


def test_workers_auto_uses_every_core_the_memory_allows_on_postgresql(tmp_path: Path) -> None:
    from bot.run.plan import MB_PER_WORKER, MB_RESERVED, auto_workers

    pg = settings_for(tmp_path, database_url="postgresql://postgres@127.0.0.1:5432/x")
    assert auto_workers(pg, cores=2, available_mb=16_000)[0] == 2
    assert auto_workers(pg, cores=16, available_mb=64_000)[0] == 8  # the launcher's ceiling
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


def test_the_default_ports_leave_room_for_eight_workers_and_a_clash_is_refused(tmp_path: Path) -> None:
    children = build_children(settings_for(tmp_path), workers=8)
    ports = [port_of(c) for c in children]
    assert (
        len(ports) == len(set(ports)) == 18
    )  # 8 action servers, 8 Rasa instances, the LINE worker, the gateway
    clash = settings_for(tmp_path / "clash", actions_port=5055, line_worker_port=5056)
    build_children(clash, workers=1)  # one action server: 5056 is free
    with pytest.raises(PortClash, match="5056"):
        build_children(clash, workers=2)
