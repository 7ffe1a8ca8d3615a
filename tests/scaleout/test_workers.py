"""Scale-out: `madoguchi up --workers 2` runs two gateway workers and two Rasa instances that share PostgreSQL
(tracker store) and Redis (lock store). One conversation's turns stay in order even when they hit both Rasa
instances at once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import psutil
import pytest

from bot.run.devstack import StackError, StackProcess, start_stack

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory, pg_available: bool) -> Iterator[StackProcess]:
    if not pg_available:
        pytest.fail("PostgreSQL at 127.0.0.1:5432 is required for the scale-out test")
    import psycopg

    name = f"madoguchi_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        stack = start_stack(
            tmp_path_factory.mktemp("scale") / "var",
            timeout=600,
            args=("--workers", "2"),
            MADOGUCHI_DATABASE_URL=url,
            MADOGUCHI_REDIS_URL="redis://127.0.0.1:6379/0",
        )
    except StackError as exc:
        pytest.fail(str(exc))
    stack.env["_DB_URL"] = url
    yield stack
    assert stack.stop() == 0, stack.log_tail()
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rasa_ports(stack: StackProcess) -> list[int]:
    base = int(stack.env["MADOGUCHI_RASA_PORT"])
    return [base, base + 1]


def rasa_answers(port: int, within_s: float = 60.0) -> bool:
    """Rasa answers on `port` (waiting while the launcher restarts an instance that died)."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(1)


def logs_of(stack: StackProcess) -> str:
    parts = [f"--- launcher\n{stack.log_tail(3000)}"]
    for log in sorted((stack.data_dir / "logs").glob("rasa*.log")):
        parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
    return "\n".join(parts)


def test_two_rasa_instances_and_two_gateway_workers_run(scaled: StackProcess) -> None:
    children = psutil.Process(scaled.proc.pid).children(recursive=True)
    cmds = [" ".join(c.cmdline()) for c in children]
    assert sum("rasa run" in c or c.endswith("rasa") or " run --model " in c for c in cmds) >= 2, cmds
    for port in rasa_ports(scaled):
        assert rasa_answers(port), f"Rasa on :{port} does not answer\n{logs_of(scaled)}"
    body = scaled.chat("scale-a", "住民票はどこで取れますか").json()
    assert body["faq_id"] and body["faq_id"].startswith("cert-")


def test_one_conversation_stays_in_order_across_rasa_instances(scaled: StackProcess) -> None:
    """Turns of one sender sent at once, alternating between both Rasa instances: every turn is recorded and
    each user message is followed by its own bot replies before the next user message (no interleaving)."""
    import psycopg

    sender = f"order-{uuid.uuid4().hex[:8]}"
    texts = [f"住民票の取り方を教えて ({i})" for i in range(8)]
    ports = rasa_ports(scaled)

    async def send(i: int, client: httpx.AsyncClient) -> int:
        port = ports[i % 2]
        response = await client.post(
            f"http://127.0.0.1:{port}/webhooks/madoguchi/webhook",
            json={"sender": sender, "message": texts[i], "metadata": {"channel": "web"}},
        )
        return response.status_code

    async def burst() -> list[int]:
        async with httpx.AsyncClient(timeout=120) as client:
            return await asyncio.gather(*[send(i, client) for i in range(len(texts))])

    assert asyncio.run(burst()) == [200] * len(texts)
    with psycopg.connect(scaled.env["_DB_URL"]) as conn:
        rows = conn.execute(
            "SELECT type_name, action_name, data FROM events WHERE sender_id = %s ORDER BY id", (sender,)
        ).fetchall()
    users = [r for r in rows if r[0] == "user"]
    assert len(users) == len(texts), f"{len(users)} user events recorded of {len(texts)}"
    # Each user turn ends with action_listen before the next user event starts.
    seen_user = False
    for type_name, action_name, _ in rows:
        if type_name == "user":
            assert not seen_user, "a user message was processed while the previous turn was still open"
            seen_user = True
        elif type_name == "action" and action_name == "action_listen" and seen_user:
            seen_user = False
