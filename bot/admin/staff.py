"""Who the console's user is: the signed-in `Staff`, the roles each permission needs, and the two refusals
(`NeedLogin`, `Denied`) that pages and the security layer both raise."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage import accounts

ALL_ROLES = frozenset(accounts.ROLES)

PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard.read": ALL_ROLES,
    "faq.read": ALL_ROLES,
    "faq.write": frozenset({"admin", "editor"}),
    "unanswered.read": frozenset({"admin", "editor", "viewer"}),
    "unanswered.write": frozenset({"admin", "editor"}),
    "reports.read": frozenset({"admin", "report_handler", "viewer"}),
    "reports.write": frozenset({"admin", "report_handler"}),
    "surveys.read": frozenset({"admin", "editor", "viewer"}),
    "surveys.write": frozenset({"admin", "editor"}),
    "audit.read": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "city.manage": frozenset({"admin"}),
    "pii.unmask": frozenset({"admin"}),
    "account.self": ALL_ROLES,
}


class NeedLogin(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class Denied(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member of this request."""

    user_id: int
    username: str
    display_name: str
    role: str
    csrf_token: str
    has_totp: bool
    ip: str

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]
