"""Staff accounts, their roles, password checks with slow-down, and API bearer tokens.

Passwords are hashed with scrypt (werkzeug). Repeated failed sign-ins lock the account for a
growing while. API tokens are random, stored only as their SHA-256, expire, and can be revoked.
"""

from __future__ import annotations

import enum
import getpass
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import Base, UTCDateTime
from core.errors import Conflict, TooManyAttempts, Unauthorized, ValidationError


class Role(enum.StrEnum):
    CASHIER = "cashier"
    SUPERVISOR = "supervisor"
    BUREAU = "bureau"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.CASHIER: "收银员",
    Role.SUPERVISOR: "店长",
    Role.BUREAU: "民政局",
    Role.ADMIN: "管理员",
}

# Which roles may do what a role may do: a supervisor may work the till, an admin anything.
ROLE_IMPLIES: dict[Role, frozenset[Role]] = {
    Role.CASHIER: frozenset({Role.CASHIER}),
    Role.SUPERVISOR: frozenset({Role.SUPERVISOR, Role.CASHIER}),
    Role.BUREAU: frozenset({Role.BUREAU}),
    Role.ADMIN: frozenset(Role),
}

MIN_PASSWORD_LENGTH = 8
LOCK_AFTER_FAILURES = 5


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def has_role(self, *roles: Role | str) -> bool:
        """True if this user's role is, or implies, any of `roles`."""
        granted = ROLE_IMPLIES[self.role_enum]
        return any(Role(r) in granted for r in roles)

    # Flask-Login protocol, kept here so the kernel has one user class.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def name(self) -> str:
        return self.display_name or self.username


@dataclass(frozen=True)
class Actor:
    """Who did something, as recorded on every row that moves money or stock or changes a person
    or a card: a staff user (`user_id`), or the command line (`user_id` None, name `cli:<os user>`)."""

    user_id: int | None
    name: str

    @classmethod
    def of(cls, user: StaffUser) -> Actor:
        return cls(user.id, user.username)

    @classmethod
    def cli(cls) -> Actor:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        return cls(None, f"cli:{who}")

    @classmethod
    def system(cls, what: str) -> Actor:
        """Work the system does by itself (background retries, demo data)."""
        return cls(None, f"system:{what}")


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[StaffUser] = relationship(back_populates="tokens")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    *,
    at: datetime,
    display_name: str = "",
) -> StaffUser:
    """Create a staff account. Refuses a taken name, an unknown role or a short password."""
    username = username.strip()
    if not username or len(username) > 64:
        raise ValidationError("用户名不能为空，且不超过 64 个字符")
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError(
            f"角色 {role!r} 无效，可选：{', '.join(r.value for r in Role)}"
        ) from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在")
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=generate_password_hash(password, method="scrypt"),
        created_at=at,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, username: str, password: str, *, at: datetime, max_failures: int = 5
) -> StaffUser:
    """The user if the password is right. Failures are counted; after `max_failures` in a row the
    account is locked for 30 s, doubling each further failure (at most 15 min)."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if user is None or not user.active:
        # Same work as a real check, so that a wrong name is not faster than a wrong password.
        check_password_hash(_DUMMY_HASH, password)
        raise Unauthorized("用户名或密码错误")
    if user.locked_until is not None and user.locked_until > at:
        wait = int((user.locked_until - at).total_seconds()) + 1
        raise TooManyAttempts(f"登录失败次数过多，请 {wait} 秒后再试", retry_after=wait)
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            extra = user.failed_logins - max_failures
            user.locked_until = at + timedelta(seconds=min(30 * 2**extra, 900))
        session.flush()
        raise Unauthorized("用户名或密码错误")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = at
    session.flush()
    return user


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def issue_token(session: Session, user: StaffUser, *, at: datetime, ttl: timedelta) -> str:
    """A new bearer token for `user`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(token_hash=_hash_token(token), user=user, created_at=at, expires_at=at + ttl)
    )
    session.flush()
    return token


def resolve_token(session: Session, token: str, *, at: datetime) -> StaffUser:
    """The user behind a live token, or Unauthorized."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= at or not row.user.active:
        raise Unauthorized("登录已失效，请重新登录")
    return row.user


def revoke_token(session: Session, token: str, *, at: datetime) -> None:
    """Revoke a token (sign-out). Revoking an unknown or revoked token does nothing."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = at
        session.flush()
