"""The demo store: staff logins plus every package's sample data, made by the project's own code."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.orm import Session

import cards.demo
import clothing_exchange.demo
import inventory.demo
from core.auth import Role, add_user
from core.config import Settings
from core.keys import DataKeys

DEMO_LOGINS: tuple[tuple[str, str, Role, str], ...] = (
    ("cashier", "cashier123", Role.CASHIER, "收银员小王"),
    ("supervisor", "supervisor123", Role.SUPERVISOR, "店长老李"),
    ("bureau", "bureau123", Role.BUREAU, "民政局小张"),
    ("bureau2", "bureau123", Role.BUREAU, "民政局老赵"),
    ("admin", "admin123", Role.ADMIN, "管理员"),
)

# The demo accounts' passwords, printed by `charity serve --demo` and listed in the README: outside
# demo mode sign-in refuses them, and no account may be given one.
PUBLISHED_PASSWORDS: frozenset[str] = frozenset(password for _, password, _, _ in DEMO_LOGINS)


def load_demo(session: Session, settings: Settings, *, keys: DataKeys, at: datetime) -> list[str]:
    """Fill an empty database; returns the lines to print (the logins first)."""
    lines = ["演示账号（用户名 / 密码）："]
    for username, password, role, display in DEMO_LOGINS:
        add_user(session, username, password, role, at=at, display_name=display)
        lines.append(f"  {role.label:<6} {username} / {password}")
    # Lower layers first: clothing stock needs products, sales need cards.
    lines.extend(cards.demo.load(session, settings, keys=keys, at=at))
    for module in (inventory.demo, clothing_exchange.demo):
        lines.extend(module.load(session, settings, at=at))
    return lines


def demo_settings(settings: Settings) -> Settings:
    """The settings a demo store runs with: two-person approval (top-up runs and adjustments wait
    for a second bureau user), so that `bureau` prepares and `bureau2` approves, as the README
    offers. Everything else is the configuration's."""
    if settings.allowance.approval == "two_person":
        return settings
    return dataclasses.replace(
        settings, allowance=dataclasses.replace(settings.allowance, approval="two_person")
    )


DEMO_APPROVAL_LINE = (
    "演示门店使用双人审批：bureau 发起充值或调整，bureau2 审批（同一人不能审批自己发起的）。"
)
