"""Staff accounts of the admin console: users (with their TOTP second factor), login sessions, login attempts,
the sign-in throttle's counters and the audit log. Password hashing and rules: `bot.storage.passwords`; the
throttle itself: `bot.storage.signin`."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, delete, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from bot.storage.db import Base, utcnow
from bot.storage.passwords import PasswordPolicy, password_problem

ROLES = ("admin", "editor", "viewer", "report_handler")
ROLE_LABELS = {"admin": "管理者", "editor": "編集者", "viewer": "閲覧者", "report_handler": "通報担当"}
# Roles that can see residents' personal data unmasked (or change reports): they must sign in with a second
# factor, and enrol one at their first sign-in.
TOTP_ROLES = ("admin", "report_handler")

LOCK_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20  # an office behind one NAT address shares this budget
SESSION_IDLE = timedelta(hours=2)
SESSION_MAX = timedelta(hours=12)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(128), default="")
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The TOTP time step (unix time // 30) of the last code accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
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


class LoginThrottle(Base):
    """Password guesses counted per account (`scope` "user") and per address ("ip"), counted *before* each
    guess is checked (`take_guess`); `last_at` is when the count last grew below the limit, so a lock lasts
    `LOCK_WINDOW` from the guess that reached it. Rows older than the window mean nothing and are deleted."""

    __tablename__ = "login_throttle"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


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
    problem = password_problem(password, [username, display_name])
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
    problem = password_problem(password, [user.username, user.display_name])
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


# --- second factor ---------------------------------------------------------------------------------


def must_enrol(user: StaffUser) -> bool:
    """A role that needs a second factor, without one yet: only the enrolment page is open to it."""
    return user.role in TOTP_ROLES and not user.totp_secret


def use_totp_step(session: Session, user: StaffUser, step: int) -> bool:
    """Spend the TOTP time step `step` of `user`: True only when no code of this step or a later one was accepted
    before. One conditional UPDATE, so two requests racing with the same code cannot both win."""
    result = session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def set_totp(session: Session, user: StaffUser, secret: str, step: int) -> None:
    """Turn the second factor on with `secret`; the code that confirmed it (at `step`) is spent."""
    user.totp_secret = secret
    user.totp_last_step = step
    session.flush()


def reset_totp(session: Session, user: StaffUser) -> None:
    """Remove the second factor (lost phone) and end the user's sessions; a role in `TOTP_ROLES` enrols a new
    one at its next sign-in."""
    user.totp_secret = None
    user.totp_last_step = None
    end_sessions(session, user.id)


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
