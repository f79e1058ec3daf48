"""The admin's page of staff accounts: list, add, reset a password, disable and enable, change a
role, sign out everywhere; admins only, and the rules of `core.accounts` (the last admin stays,
nobody disables themselves), each action in the audit log."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from core import accounts, audit
from core.auth import Actor, Role, StaffUser
from core.errors import Conflict, Forbidden


def _user(database, name: str) -> StaffUser:
    with database.session(write=False) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == name))
        assert user is not None
        return user


def _audit(database) -> list[tuple[str, str, str]]:
    with database.session(write=False) as session:
        return [(e.kind, e.subject, e.actor) for e in audit.search(session)]


def test_only_admins_reach_the_page(client, login) -> None:
    login(Role.BUREAU)
    assert client.get("/admin/staff/").status_code == 403
    assert client.post("/admin/staff/", data={"username": "x"}).status_code == 403


def test_the_list_shows_accounts_without_secrets(client, login, make_user) -> None:
    make_user(Role.CASHIER, username="wang")
    admin = login(Role.ADMIN)
    page = client.get("/admin/staff/").get_data(as_text=True)
    assert "wang" in page and admin.username in page and "收银员" in page
    assert "scrypt" not in page and "password_hash" not in page
    assert "员工账号" in client.get("/office").get_data(as_text=True)  # in the admin's menu


def test_add_reset_disable_enable_and_role(app: Flask, client, login, database) -> None:
    admin = login(Role.ADMIN)
    form = {
        "username": "wang",
        "display_name": "小王",
        "role": "cashier",
        "password": "first-password",
        "password2": "first-password",
    }
    added = client.post("/admin/staff/", data=form, follow_redirects=True)
    assert "已添加员工 wang" in added.get_data(as_text=True)
    wang = _user(database, "wang")
    other = app.test_client()
    assert (
        other.post("/", data={"username": "wang", "password": "first-password"}).status_code == 302
    )

    reset = client.post(
        f"/admin/staff/{wang.id}/password",
        data={"password": "second-password"},
        follow_redirects=True,
    )
    assert "已为 wang 设置新密码" in reset.get_data(as_text=True)
    assert other.get("/terminal").status_code == 302  # signed out by the reset

    client.post(f"/admin/staff/{wang.id}/role", data={"role": "supervisor"})
    assert _user(database, "wang").role == "supervisor"

    disabled = client.post(f"/admin/staff/{wang.id}/disable", follow_redirects=True)
    assert "已停用 wang" in disabled.get_data(as_text=True)
    assert (
        other.post("/", data={"username": "wang", "password": "second-password"}).status_code == 401
    )
    client.post(f"/admin/staff/{wang.id}/enable")
    assert (
        other.post("/", data={"username": "wang", "password": "second-password"}).status_code == 302
    )
    out = client.post(f"/admin/staff/{wang.id}/revoke", follow_redirects=True)
    assert "已让 wang 在所有地方退出" in out.get_data(as_text=True)
    assert other.get("/office").status_code == 302

    kinds = [(k, s, a) for k, s, a in _audit(database) if s == "wang" and k != "login"]
    assert [k for k, _, _ in kinds] == [
        "user_add",
        "password_change",
        "role_change",
        "user_disable",
        "login_failed",
        "user_enable",
        "token_revoke",
    ]
    assert {a for k, _, a in kinds if k != "login_failed"} == {admin.username}


def test_refusals_are_shown_and_change_nothing(client, login, make_user, database) -> None:
    admin = login(Role.ADMIN)
    me = client.post(f"/admin/staff/{admin.id}/disable", follow_redirects=True)
    assert "不能停用自己的账号" in me.get_data(as_text=True)
    assert _user(database, admin.username).active
    demoted = client.post(
        f"/admin/staff/{admin.id}/role", data={"role": "cashier"}, follow_redirects=True
    )
    assert "不能修改自己的角色" in demoted.get_data(as_text=True)
    short = client.post(
        "/admin/staff/",
        data={"username": "li", "role": "cashier", "password": "short", "password2": "short"},
        follow_redirects=True,
    )
    assert "密码至少" in short.get_data(as_text=True)
    mismatch = client.post(
        "/admin/staff/",
        data={"username": "li", "role": "cashier", "password": "a" * 9, "password2": "b" * 9},
        follow_redirects=True,
    )
    assert "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    demo = client.post(
        "/admin/staff/",
        data={
            "username": "li",
            "role": "cashier",
            "password": "cashier123",
            "password2": "cashier123",
        },
        follow_redirects=True,
    )
    assert "演示密码" in demo.get_data(as_text=True)
    with database.session(write=False) as session:
        assert session.scalar(select(StaffUser).where(StaffUser.username == "li")) is None


def test_only_an_admin_changes_accounts_whatever_the_door(session, make_user, clock) -> None:
    bureau = Actor.of(make_user(Role.BUREAU, username="zhang"))
    target = session.get(StaffUser, make_user(Role.CASHIER, username="wang").id)
    assert target is not None
    with pytest.raises(Forbidden, match="只有管理员"):
        accounts.change_role(session, target, "admin", at=clock(), actor=bureau)
    with pytest.raises(Forbidden, match="只有管理员"):
        accounts.disable_account(session, target, at=clock(), actor=bureau)
    with pytest.raises(Forbidden, match="只有管理员"):
        accounts.revoke_access(session, target, at=clock(), actor=bureau)
    with pytest.raises(Forbidden, match="只有管理员"):
        accounts.set_password(session, target, "a-new-secret", at=clock(), actor=bureau)
    assert target.role == "cashier" and target.active


def test_the_last_admin_stays(session, make_user, clock) -> None:
    ids = make_user(Role.ADMIN, username="root").id, make_user(Role.ADMIN, username="root2").id
    root, root2 = (session.get(StaffUser, i) for i in ids)
    accounts.change_role(session, root, "bureau", at=clock(), actor=Actor.of(root2))
    with pytest.raises(Conflict, match="唯一启用的管理员"):
        accounts.disable_account(session, root2, at=clock(), actor=Actor.cli())
    with pytest.raises(Conflict, match="唯一启用的管理员"):
        accounts.change_role(session, root2, "cashier", at=clock(), actor=Actor.cli())
    assert root2.active and root2.role == "admin"
