"""Staff accounts of the admin console: users, login sessions, login attempts and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.storage.db import Base, utcnow

if TYPE_CHECKING:
    from bot.settings import Settings

ROLES = ("admin", "editor", "viewer", "report_handler")
ROLE_LABELS = {"admin": "管理者", "editor": "編集者", "viewer": "閲覧者", "report_handler": "通報担当"}

LOCK_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20  # an office behind one NAT address shares this budget
SESSION_IDLE = timedelta(hours=2)
SESSION_MAX = timedelta(hours=12)


class PasswordPolicy:
    """How staff passwords are hashed and checked: argon2 with the cost the settings name (the library's
    defaults unless configured), or the cheap parameters tests pass
    (``PasswordPolicy(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))``).
    Build one per process and pass it as ``policy=`` to `create_user`, `set_password` and `check_password`."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        """argon2 with MADOGUCHI_PASSWORD_TIME_COST / _MEMORY_KIB / _PARALLELISM."""
        return cls(
            PasswordHasher(
                time_cost=settings.password_time_cost,
                memory_cost=settings.password_memory_kib,
                parallelism=settings.password_parallelism,
            )
        )

    @cached_property
    def _dummy(self) -> str:
        """Verified against when the user does not exist, so timing does not reveal which names exist."""
        return self.hasher.hash("not-a-real-password-0f3a")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def matches(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` fits the stored hash; the same work when there is none (``None``)."""
        try:
            self.hasher.verify(stored if stored is not None else self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        return stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(128), default="")
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class StaffSession(Base):
    """A login session; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class AuditLog(Base):
    """Every staff action: who did what to which thing, from where."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict | None] = mapped_column(nullable=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


# --- users -------------------------------------------------------------------------------------------


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < 10:
        return "パスワードは10文字以上にしてください (at least 10 characters)"
    if len(set(password)) < 4:
        return "同じ文字の繰り返しは使えません (too few distinct characters)"
    return None


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    *,
    policy: PasswordPolicy,
) -> StaffUser:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    username = username.strip()
    if not username or len(username) > 64:
        raise ValueError("username must be 1–64 characters")
    if get_user(session, username) is not None:
        raise ValueError(f"user {username!r} already exists")
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    user = StaffUser(
        username=username,
        password_hash=policy.hash(password),
        role=role,
        display_name=display_name or username,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))


def list_users(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))


def set_password(session: Session, user: StaffUser, password: str, *, policy: PasswordPolicy) -> None:
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    user.password_hash = policy.hash(password)
    end_sessions(session, user.id)


def check_password(
    session: Session, username: str, password: str, *, policy: PasswordPolicy
) -> StaffUser | None:
    """The active user whose password matches, else None (constant work either way)."""
    user = get_user(session, username)
    if not policy.matches(user.password_hash if user else None, password):
        return None
    if user is None or not user.active:
        return None
    if policy.needs_rehash(user.password_hash):
        user.password_hash = policy.hash(password)
    return user


# --- login attempts ----------------------------------------------------------------------------------


def record_attempt(session: Session, username: str, ip: str, success: bool) -> None:
    session.add(LoginAttempt(username=username.strip()[:64], ip=ip[:64], success=success))
    session.flush()


def _failures_since_success(session: Session, column, value: str, now: datetime) -> int:  # type: ignore[no-untyped-def]
    since = now - LOCK_WINDOW
    last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.success))
    if last_ok is not None and last_ok > since:
        since = last_ok
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(column == value, LoginAttempt.success.is_(False), LoginAttempt.at > since)
        )
        or 0
    )


def is_locked(session: Session, username: str, ip: str, now: datetime | None = None) -> bool:
    """Too many recent failures for this account or from this address (lock lasts `LOCK_WINDOW`)."""
    now = now or utcnow()
    return (
        _failures_since_success(session, LoginAttempt.username, username.strip()[:64], now)
        >= MAX_FAILURES_PER_ACCOUNT
        or _failures_since_success(session, LoginAttempt.ip, ip[:64], now) >= MAX_FAILURES_PER_IP
    )


def unlock(session: Session, username: str) -> int:
    result = session.execute(
        delete(LoginAttempt).where(LoginAttempt.username == username, LoginAttempt.success.is_(False))
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


# --- sessions ----------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: StaffUser, ip: str, user_agent: str) -> str:
    """Create a session; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            ip=ip[:64],
            user_agent=user_agent[:256],
        )
    )
    user.last_login_at = utcnow()
    session.flush()
    return token


def load_session(
    session: Session, token: str, now: datetime | None = None
) -> tuple[StaffSession, StaffUser] | None:
    """The live session and its active user, refreshing `last_seen_at`; None when expired or unknown."""
    if not token:
        return None
    now = now or utcnow()
    row = session.get(StaffSession, _token_hash(token))
    if row is None:
        return None
    user = session.get(StaffUser, row.user_id)
    if (
        user is None
        or not user.active
        or now - row.last_seen_at > SESSION_IDLE
        or now - row.created_at > SESSION_MAX
    ):
        session.delete(row)
        session.flush()
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    return row, user


def end_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))


# --- audit log ---------------------------------------------------------------------------------------


def audit(
    session: Session, actor: str, action: str, target: str = "", detail: dict | None = None, ip: str = ""
) -> AuditLog:
    row = AuditLog(actor=actor[:64], action=action[:64], target=target, detail=detail, ip=ip[:64])
    session.add(row)
    session.flush()
    return row


def list_audit(
    session: Session, actor: str = "", action: str = "", limit: int = 200, offset: int = 0
) -> list[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit).offset(offset)
    if actor:
        query = query.where(AuditLog.actor == actor)
    if action:
        query = query.where(AuditLog.action.startswith(action))
    return list(session.scalars(query))
