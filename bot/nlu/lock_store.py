"""Rasa's Redis lock store, with its ticket bookkeeping made atomic across Rasa instances.

Rasa 3.6's ``RedisLockStore`` keeps one JSON "ticket lock" per conversation and changes it by read-modify-write
(``issue_ticket``, ``update_lock``, ``cleanup``) without any Redis transaction. One process is safe (those
steps never await), but two Rasa instances taking tickets for the same conversation at the same moment
overwrite each other: both get the same ticket and process at once, and the later tracker save drops the
other's turn (measured: a burst of 8 messages of one conversation alternating between two instances kept 4).
Each read-modify-write here runs under a short Redis mutex (redis-py ``Lock``: ``SET NX PX`` + a Lua
release), so the ticket queue is what Rasa meant it to be.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore

MUTEX_TIMEOUT_S = 10.0  # a crashed holder frees the mutex after this


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes are serialised per conversation across processes."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    @contextmanager
    def _mutex(self, conversation_id: str) -> Iterator[None]:
        name = f"{self.key_prefix.rstrip(':')}-mutex:{conversation_id}"
        with self.red.lock(name, timeout=MUTEX_TIMEOUT_S, blocking_timeout=MUTEX_TIMEOUT_S, sleep=0.005):
            yield

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)
