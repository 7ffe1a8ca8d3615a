"""`bot.run.devstack`: the free ports a test stack is started on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.run import devstack


def test_blocks_chosen_for_one_stack_never_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Free now is not enough: the blocks are bound only when the stack starts, so a second pick that lands on
    (or next to) the first must be drawn again (it once gave Rasa and the action server the same port)."""
    draws: Iterator[int] = iter([27981, 27981, 27980, 27990])
    monkeypatch.setattr(devstack.random, "randrange", lambda low, high: next(draws))
    taken: set[int] = set()
    assert devstack.free_port_block(2, taken=taken) == 27981
    assert devstack.free_port_block(2, taken=taken) == 27990  # 27981 and 27980 overlap the first block
    assert taken == {27981, 27982, 27990, 27991}


def test_a_stack_gets_distinct_ports(tmp_path: Path) -> None:
    for _ in range(300):
        env = devstack.stack_env(tmp_path)
        ports = [int(env["MADOGUCHI_PORT"]), int(env["MADOGUCHI_LINE_WORKER_PORT"])]
        for name in ("MADOGUCHI_RASA_PORT", "MADOGUCHI_ACTIONS_PORT"):  # instance i on base + i (two workers)
            ports += [int(env[name]), int(env[name]) + 1]
        assert len(set(ports)) == len(ports), env
