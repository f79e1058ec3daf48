"""Staff accounts, their roles, sign-in with a per-name lockout, and the tables of server-side
sessions and API bearer tokens (what a session does is `core.sessions`; who administers accounts
is `core.accounts`).

Passwords are hashed with scrypt (werkzeug). Sign-in answers an unknown name exactly as it answers
a known name with a wrong password, after the same work (one scrypt hash either way), and repeated
failures lock a name for a growing while whether or not it is an account: nothing tells an
attacker which names exist. Session ids and tokens are random and stored only as their SHA-256.
"""

from __future__ import annotations

import enum
import getpass
import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, String, delete, select
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
MAX_USERNAME = 64
WRONG_CREDENTIALS = "用户名或密码错误"
# A name that is no account keeps its failure count this long after its last failure.
FAILURES_KEPT = timedelta(days=1)


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


SESSION_KINDS = ("page", "terminal", "api")


class StaffSession(Base):
    """One sign-in, kept on the server: a page session (its id travels in the signed cookie), the
    terminal's (a page session that opened the cashier terminal, with its bearer token), or an API
    client's (its token). Ended at sign-out, when the account is disabled or its password changed;
    dead after `idle_seconds` without a request or past `expires_at`."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="page")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    idle_seconds: Mapped[int] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    end_reason: Mapped[str] = mapped_column(String(16), default="")
    address: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[StaffUser] = relationship()

    def is_live(self, at: datetime) -> bool:
        """Not ended, not past its lifetime, not idle too long, and its account enabled."""
        return (
            self.ended_at is None
            and at < self.expires_at
            and at - self.last_seen_at < timedelta(seconds=self.idle_seconds)
            and self.user.active
        )


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    # The session the token belongs to (its idle clock and its end); None for tokens made before
    # sessions were kept, which live until they expire.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_session.id"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[StaffUser] = relationship(back_populates="tokens")
    staff_session: Mapped[StaffSession | None] = relationship()

    def is_live(self, at: datetime) -> bool:
        session = self.staff_session
        return (
            self.revoked_at is None
            and self.expires_at > at
            and self.user.active
            and (session is None or session.is_live(at))
        )


class LoginFailure(Base):
    """Failed sign-ins under a name that is no account, counted like an account's so that a
    name's lockout does not tell whether it exists."""

    __tablename__ = "login_failure"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())


def digest(secret: str) -> str:
    """What is stored of a session id or a token: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_new_password(password: str, *, refused: Collection[str] = ()) -> None:
    """Refuse a password too short, or one of `refused` (the demo accounts' published ones)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if password in refused:
        raise ValidationError("这是 README 里公开的演示密码，不能使用：请换一个")


def add_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    *,
    at: datetime,
    display_name: str = "",
    refused_passwords: Collection[str] = (),
) -> StaffUser:
    """Create a staff account. Refuses a taken name, an unknown role or a short password."""
    username = username.strip()
    if not username or len(username) > MAX_USERNAME:
        raise ValidationError("用户名不能为空，且不超过 64 个字符")
    role = parse_role(role)
    check_new_password(password, refused=refused_passwords)
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在")
    user = StaffUser(
        username=username,
        display_name=(display_name or username)[:64],
        role=role.value,
        password_hash=hash_password(password),
        created_at=at,
    )
    session.add(user)
    session.flush()
    return user


def parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError(
            f"角色 {role!r} 无效，可选：{', '.join(r.value for r in Role)}"
        ) from None


# --- sign-in ----------------------------------------------------------------------------------


class SignInRefused(Unauthorized):
    """A refused sign-in. `reason` (unknown_user, bad_password, disabled, demo_password) and
    `user_id` are for the audit log only: the answer is the same for every reason but the last."""

    def __init__(self, message: str, *, reason: str, user_id: int | None = None, **details: Any):
        super().__init__(message, **details)
        self.reason = reason
        self.user_id = user_id


class SignInLocked(TooManyAttempts):
    """Sign-in refused for a while after repeated failures under one name, account or not."""

    def __init__(self, message: str, *, user_id: int | None = None, **details: Any):
        super().__init__(message, **details)
        self.reason = "locked"
        self.user_id = user_id


def refusal_reason(error: Unauthorized) -> str:
    """Why a sign-in was refused, for the audit log."""
    return str(getattr(error, "reason", "refused"))


def demo_password_message(username: str) -> str:
    return (
        f"账号 {username} 仍在使用 README 里公开的演示密码，正式运行时不能登录："
        f"请管理员运行 charity user password {username} --password-stdin 为它设置新密码"
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    at: datetime,
    max_failures: int = LOCK_AFTER_FAILURES,
    refused_passwords: Collection[str] = (),
) -> StaffUser:
    """The user if the name and password are right and the account is enabled.

    Every path costs one scrypt hash (a dummy one for a name that is no account) and answers
    `用户名或密码错误`; failures are counted per name, account or not, and after `max_failures`
    in a row the name is locked for 30 s, doubling with each further failure (at most 15 min).
    A right password that is one of `refused_passwords` (the demo accounts' published ones,
    outside demo mode) is refused with a message saying how to set a new one."""
    name = username.strip()[:MAX_USERNAME]
    user = session.scalar(select(StaffUser).where(StaffUser.username == name)) if name else None
    failure = session.get(LoginFailure, name) if name else None
    right = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    counter: StaffUser | LoginFailure | None = user if user is not None else failure
    user_id = user.id if user is not None else None
    if counter is not None and counter.locked_until is not None and counter.locked_until > at:
        wait = int((counter.locked_until - at).total_seconds()) + 1
        raise SignInLocked(
            f"登录失败次数过多，请 {wait} 秒后再试", user_id=user_id, retry_after=wait
        )
    if user is None or not right or not user.active:
        if user is None:
            reason = "unknown_user"
            if name:
                counter = failure or _new_failure(session, name, at)
        else:
            reason = "disabled" if not user.active else "bad_password"
        if counter is not None:
            _count_failure(counter, at, max_failures)
        if user is None and name:
            _forget_old_failures(session, at, keep=name)
        session.flush()
        raise SignInRefused(WRONG_CREDENTIALS, reason=reason, user_id=user_id)
    if password in refused_passwords:
        raise SignInRefused(
            demo_password_message(user.username), reason="demo_password", user_id=user.id
        )
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = at
    session.flush()
    return user


def _new_failure(session: Session, name: str, at: datetime) -> LoginFailure:
    row = LoginFailure(name=name, failed_logins=0, last_failed_at=at)
    session.add(row)
    return row


def _count_failure(counter: StaffUser | LoginFailure, at: datetime, max_failures: int) -> None:
    counter.failed_logins += 1
    if isinstance(counter, LoginFailure):
        counter.last_failed_at = at
    if counter.failed_logins >= max_failures:
        extra = counter.failed_logins - max_failures
        counter.locked_until = at + timedelta(seconds=min(30 * 2 ** min(extra, 10), 900))


def _forget_old_failures(session: Session, at: datetime, *, keep: str) -> None:
    """Names that are no account are forgotten a day after their last failure (a table that
    someone trying random names could otherwise grow without end)."""
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.last_failed_at < at - FAILURES_KEPT, LoginFailure.name != keep
        )
    )


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


# --- bearer tokens ----------------------------------------------------------------------------


def issue_token(
    session: Session,
    user: StaffUser,
    *,
    at: datetime,
    ttl: timedelta,
    staff_session: StaffSession | None = None,
    token: str | None = None,
) -> str:
    """A new bearer token for `user` (random unless given); only its hash is stored. A token of a
    `staff_session` lives and dies with it."""
    token = token or secrets.token_urlsafe(32)
    expires = at + ttl
    if staff_session is not None:
        expires = min(expires, staff_session.expires_at)
    session.add(
        ApiToken(
            token_hash=digest(token),
            user=user,
            staff_session=staff_session,
            created_at=at,
            expires_at=expires,
        )
    )
    session.flush()
    return token


def find_token(session: Session, token: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))


def live_token(session: Session, token: str, *, at: datetime) -> ApiToken:
    """The live token row behind `token` (its session live too), or Unauthorized."""
    row = find_token(session, token)
    if row is None or not row.is_live(at):
        raise Unauthorized("登录已失效，请重新登录")
    return row


def resolve_token(session: Session, token: str, *, at: datetime) -> StaffUser:
    """The user behind a live token, or Unauthorized."""
    return live_token(session, token, at=at).user


def revoke_token(session: Session, token: str, *, at: datetime) -> ApiToken | None:
    """Revoke a token (sign-out); returns its row. An unknown or revoked token changes nothing."""
    row = find_token(session, token)
    if row is not None and row.revoked_at is None:
        row.revoked_at = at
        session.flush()
    return row
