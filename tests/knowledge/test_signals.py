"""One query's scoring signals: narrowing them to some entries keeps every array aligned and the flags as they are."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from knowledge.signals import Signals

ARRAYS = [f.name for f in dataclasses.fields(Signals) if f.type == "np.ndarray"]


def make(n: int = 4) -> Signals:
    """Entry i scores i + offset on every signal, so a row's origin shows in each array."""
    base = np.arange(n, dtype=np.float32)
    arrays = {name: base + 10 * k for k, name in enumerate(ARRAYS)}
    return Signals(**arrays, kana_query=True, latin_query=False, foreign_query=True, query_chars=7)


def test_the_three_signals_are_per_entry_arrays() -> None:
    assert {"dense", "lexical", "kana"} <= set(ARRAYS)


def test_take_reorders_and_narrows_every_array_together() -> None:
    signals = make()
    order = np.array([3, 1])
    taken = signals.take(order)
    for k, name in enumerate(ARRAYS):
        assert getattr(taken, name).tolist() == [3 + 10 * k, 1 + 10 * k], name


def test_take_keeps_the_query_facts() -> None:
    taken = make().take(np.array([2]))
    assert (taken.kana_query, taken.latin_query, taken.foreign_query, taken.query_chars) == (
        True,
        False,
        True,
        7,
    )


def test_take_leaves_the_original_alone() -> None:
    signals = make()
    signals.take(np.array([0]))
    assert signals.dense.tolist() == [0, 1, 2, 3]


def test_take_of_nothing_and_of_a_boolean_mask() -> None:
    signals = make()
    assert signals.take(np.array([], dtype=int)).lexical.shape == (0,)
    masked = signals.take(np.array([True, False, True, False]))
    assert masked.dense.tolist() == [0, 2]


def test_signals_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        make().query_chars = 3  # type: ignore[misc]
