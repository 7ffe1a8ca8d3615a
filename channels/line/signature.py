"""`X-Line-Signature`: base64(HMAC-SHA256(channel secret, raw request body)), checked before parsing."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    """The signature LINE would send for `body` (used by tests and the fake LINE API)."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    """True only when `signature` is the channel's signature of exactly these bytes (constant-time compare)."""
    if not secret or not signature:
        return False
    expected = sign(secret, body)
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("ascii", "replace"))
