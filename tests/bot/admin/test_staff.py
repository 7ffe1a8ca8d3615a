"""Roles and permissions (bot/admin/staff.py)."""

from __future__ import annotations

from bot.admin.staff import PERMISSIONS, Staff
from bot.storage import accounts


def _staff(role: str) -> Staff:
    return Staff(1, role, role, role, "csrf", False, "127.0.0.1")


def test_every_role_reads_the_dashboard_and_only_admins_manage_users() -> None:
    assert all(_staff(role).can("dashboard.read") for role in accounts.ROLES)
    assert [role for role in accounts.ROLES if _staff(role).can("users.manage")] == ["admin"]
    assert _staff("report_handler").can("reports.write") and not _staff("report_handler").can("faq.write")


def test_every_permission_names_known_roles() -> None:
    assert all(roles <= set(accounts.ROLES) for roles in PERMISSIONS.values())
