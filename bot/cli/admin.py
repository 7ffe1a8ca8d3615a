"""`madoguchi admin ...`: staff accounts of the console (create, reset password or second factor, list, unlock)."""

from __future__ import annotations

import sys

import typer

from bot.cli.context import open_context
from bot.storage import accounts, signin
from bot.storage.db import transaction

app = typer.Typer(no_args_is_help=True)


def _read_password(password_stdin: bool, *user_inputs: str) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("パスワード (password)", hide_input=True, confirmation_prompt=True)
    problem = accounts.password_problem(password, user_inputs)
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    return password


@app.command("create-user")
def create_user(
    username: str = typer.Argument(..., help="login name"),
    role: str = typer.Option(..., "--role", help="admin | editor | viewer | report_handler"),
    display_name: str = typer.Option("", "--display-name", help="表示名"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from standard input"
    ),
) -> None:
    """管理画面のアカウントを作成します (create a staff account)."""
    if role not in accounts.ROLES:
        typer.echo(f"unknown role {role!r}; use one of: {', '.join(accounts.ROLES)}", err=True)
        raise typer.Exit(2)
    password = _read_password(password_stdin, username, display_name)
    ctx = open_context()
    policy = accounts.PasswordPolicy.from_settings(ctx.settings)
    try:
        with transaction(ctx.factory) as session:
            accounts.create_user(session, username, password, role, display_name, policy=policy)
            accounts.audit(session, "cli", "user.create", username, {"role": role})
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created {username} ({role})")
    if role in accounts.TOTP_ROLES:
        typer.echo("このアカウントは初回ログイン時に2段階認証(認証アプリ)を設定します。")


@app.command("set-password")
def set_password(
    username: str = typer.Argument(...), password_stdin: bool = typer.Option(False, "--password-stdin")
) -> None:
    """パスワードを再設定し、そのユーザーのログイン中のセッションを終了します."""
    password = _read_password(password_stdin, username)
    ctx = open_context()
    policy = accounts.PasswordPolicy.from_settings(ctx.settings)
    with transaction(ctx.factory) as session:
        user = accounts.get_user(session, username)
        if user is None:
            typer.echo(f"no such user {username!r}", err=True)
            raise typer.Exit(1)
        try:
            accounts.set_password(session, user, password, policy=policy)
        except ValueError as exc:  # the password leans on the account's own name
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc
        signin.unlock(session, username)
        accounts.audit(session, "cli", "user.password", username)
    typer.echo(f"password of {username} changed")


@app.command("list-users")
def list_users() -> None:
    """アカウントの一覧."""
    ctx = open_context()
    with ctx.factory() as session:
        for user in accounts.list_users(session):
            flags = ("" if user.active else " disabled") + (" totp" if user.totp_secret else "")
            flags += " totp-pending" if accounts.must_enrol(user) else ""
            typer.echo(f"{user.username}\t{user.role}{flags}")


@app.command("unlock")
def unlock(username: str = typer.Argument(...)) -> None:
    """ログイン失敗によるロックを解除します."""
    ctx = open_context()
    with transaction(ctx.factory) as session:
        cleared = signin.unlock(session, username)
        accounts.audit(session, "cli", "user.unlock", username, {"cleared": cleared})
    typer.echo(f"cleared {cleared} failed attempts of {username}")


@app.command("reset-totp")
def reset_totp(username: str = typer.Argument(...)) -> None:
    """2段階認証をリセットします(スマートフォンの紛失・機種変更)。ログイン中のセッションは終了し、管理者・通報担当は
    次回ログイン時に設定し直します (remove the second factor; recorded in the audit log)."""
    ctx = open_context()
    with transaction(ctx.factory) as session:
        user = accounts.get_user(session, username)
        if user is None:
            typer.echo(f"no such user {username!r}", err=True)
            raise typer.Exit(1)
        had = bool(user.totp_secret)
        accounts.reset_totp(session, user)
        accounts.audit(session, "cli", "user.totp_reset", username, {"had_totp": had})
    typer.echo(f"second factor of {username} reset" + ("" if had else " (it had none)"))
