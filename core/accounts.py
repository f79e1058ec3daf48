"""Administering staff accounts: list them, add one, set a password, disable and enable, change a
role, sign an account out everywhere. The command line (`charity user ...`) and the admin's page
call these same functions; each records its audit event in the caller's transaction.

Rules held here, whatever the entry point: only an admin (or the command line, which is the
machine's operator) changes accounts; nobody disables or demotes the last enabled admin, nor their
own account; disabling an account, changing its password or revoking its access ends every session
and token it holds at once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.auth import (
    Actor,
    Role,
    StaffUser,
    add_user,
    check_new_password,
    hash_password,
    parse_role,
)
from core.errors import Conflict, Forbidden, NotFound
from core.sessions import end_user_sessions, live_counts


@dataclass(frozen=True)
class AccountRow:
    """One account as the list shows it: never its password hash."""

    user: StaffUser
    live_sessions: int
    live_tokens: int

    @property
    def locked(self) -> bool:
        return self.user.locked_until is not None


def list_accounts(session: Session, *, at: datetime) -> list[AccountRow]:
    """Every staff account, by name, with its live sessions and tokens."""
    users = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    rows = []
    for user in users:
        sessions, tokens = live_counts(session, user.id, at=at)
        rows.append(AccountRow(user, sessions, tokens))
    return rows


def find_account(session: Session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if user is None:
        raise NotFound(f"没有用户名为 {username.strip()} 的员工账号")
    return user


def get_account(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(f"没有编号为 {user_id} 的员工账号")
    return user


def _require_admin(session: Session, actor: Actor) -> None:
    """Accounts are changed by an admin, or from the command line (no user id)."""
    if actor.user_id is None:
        return
    who = session.get(StaffUser, actor.user_id)
    if who is None or not who.active or not who.has_role(Role.ADMIN):
        raise Forbidden("只有管理员可以管理员工账号")


def _other_active_admins(session: Session, user: StaffUser) -> int:
    return int(
        session.scalar(
            select(func.count(StaffUser.id)).where(
                StaffUser.role == Role.ADMIN.value,
                StaffUser.active.is_(True),
                StaffUser.id != user.id,
            )
        )
        or 0
    )


def _keep_an_admin(session: Session, user: StaffUser, what: str) -> None:
    if user.role == Role.ADMIN.value and user.active and not _other_active_admins(session, user):
        raise Conflict(f"{user.username} 是唯一启用的管理员，不能{what}：请先添加另一位管理员")


def create_account(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    *,
    at: datetime,
    actor: Actor,
    display_name: str = "",
    refused_passwords: Collection[str] = (),
    address: str = "",
) -> StaffUser:
    """Add a staff account (`user_add`)."""
    _require_admin(session, actor)
    user = add_user(
        session,
        username,
        password,
        role,
        at=at,
        display_name=display_name,
        refused_passwords=refused_passwords,
    )
    audit.record(
        session,
        "user_add",
        actor=actor,
        at=at,
        subject=user.username,
        detail={"role": user.role},
        address=address,
    )
    return user


def set_password(
    session: Session,
    user: StaffUser,
    password: str,
    *,
    at: datetime,
    actor: Actor,
    refused_passwords: Collection[str] = (),
    address: str = "",
) -> None:
    """A new password (`password_change`): the lock is lifted and every session and token of the
    account ends, so whoever knew the old password is signed out."""
    _require_admin(session, actor)
    check_new_password(password, refused=refused_passwords)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    ended, revoked = end_user_sessions(session, user.id, at=at, reason="password")
    audit.record(
        session,
        "password_change",
        actor=actor,
        at=at,
        subject=user.username,
        detail={"sessions_ended": ended, "tokens_revoked": revoked},
        address=address,
    )


def disable_account(
    session: Session, user: StaffUser, *, at: datetime, actor: Actor, address: str = ""
) -> tuple[int, int]:
    """Disable an account (`user_disable`): its sign-in is refused and every session and token it
    holds ends now. Returns (sessions ended, tokens revoked)."""
    _require_admin(session, actor)
    if actor.user_id == user.id:
        raise Conflict("不能停用自己的账号")
    _keep_an_admin(session, user, "停用")
    user.active = False
    ended, revoked = end_user_sessions(session, user.id, at=at, reason="disabled")
    audit.record(
        session,
        "user_disable",
        actor=actor,
        at=at,
        subject=user.username,
        detail={"sessions_ended": ended, "tokens_revoked": revoked},
        address=address,
    )
    return ended, revoked


def enable_account(
    session: Session, user: StaffUser, *, at: datetime, actor: Actor, address: str = ""
) -> None:
    """Enable a disabled account again (`user_enable`); its old sessions stay ended."""
    _require_admin(session, actor)
    if user.active:
        return
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, "user_enable", actor=actor, at=at, subject=user.username, address=address)


def change_role(
    session: Session,
    user: StaffUser,
    role: Role | str,
    *,
    at: datetime,
    actor: Actor,
    address: str = "",
) -> None:
    """Give an account another role (`role_change`); only an admin may. Takes effect on the
    account's next request (the role is read on every one)."""
    _require_admin(session, actor)
    new = parse_role(role)
    if new.value == user.role:
        return
    if actor.user_id == user.id:
        raise Conflict("不能修改自己的角色")
    if new is not Role.ADMIN:
        _keep_an_admin(session, user, "改为其他角色")
    before = user.role
    user.role = new.value
    audit.record(
        session,
        "role_change",
        actor=actor,
        at=at,
        subject=user.username,
        detail={"from": before, "to": new.value},
        address=address,
    )


def revoke_access(
    session: Session, user: StaffUser, *, at: datetime, actor: Actor, address: str = ""
) -> tuple[int, int]:
    """Sign an account out everywhere (`token_revoke`): every session and token it holds ends; it
    may sign in again. Returns (sessions ended, tokens revoked)."""
    _require_admin(session, actor)
    ended, revoked = end_user_sessions(session, user.id, at=at, reason="revoked")
    audit.record(
        session,
        "token_revoke",
        actor=actor,
        at=at,
        subject=user.username,
        detail={"sessions_ended": ended, "tokens_revoked": revoked},
        address=address,
    )
    return ended, revoked
