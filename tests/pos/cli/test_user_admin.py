"""`charity user list|disable|enable|password` and the contract "Outside demo mode" refusals of
`charity serve` and of the app factory."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core import audit
from core.auth import StaffUser
from core.config import ConfigError, Settings
from pos.app import create_app
from tests.conftest import cli_ok
from tests.pos.cli.test_commands import run

DATA_KEY = "A" * 43 + "="  # base64 of 32 bytes


def _add(cli, name: str, role: str = "cashier", password: str = "long-enough-pw") -> None:
    cli_ok(cli("user", "add", name, "--role", role, "--password-stdin", input=password + "\n"))


def _user(database, name: str) -> StaffUser:
    with database.session(write=False) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == name))
        assert user is not None
        return user


def _kinds(database) -> list[tuple[str, str, str]]:
    with database.session(write=False) as session:
        return [(e.kind, e.subject, e.actor) for e in audit.search(session)]


def test_user_list_shows_accounts_and_no_secret(cli, database) -> None:
    _add(cli, "wang")
    _add(cli, "li", "supervisor")
    out = cli_ok(cli("user", "list"))
    lines = out.strip().splitlines()
    assert lines[0].split("\t") == [
        "用户名",
        "显示名",
        "角色",
        "状态",
        "最近登录",
        "在线会话",
        "令牌",
    ]
    assert lines[1].split("\t")[:4] == ["li", "li", "店长", "启用"]
    assert lines[2].split("\t")[:4] == ["wang", "wang", "收银员", "启用"]
    assert "共 2 个账号" in out
    assert "scrypt" not in out and "long-enough-pw" not in out


def test_user_disable_refuses_sign_in_and_ends_everything(cli, database, app) -> None:
    _add(cli, "wang")
    client = app.test_client()
    token = client.post(
        "/api/v1/login", json={"username": "wang", "password": "long-enough-pw"}
    ).get_json()["token"]
    out = cli_ok(cli("user", "disable", "wang"))
    assert "已停用 wang" in out and "1 个令牌" in out
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    refused = client.post("/api/v1/login", json={"username": "wang", "password": "long-enough-pw"})
    assert refused.status_code == 401
    assert "已停用" in cli_ok(cli("user", "list"))
    cli_ok(cli("user", "enable", "wang"))
    assert (
        client.post(
            "/api/v1/login", json={"username": "wang", "password": "long-enough-pw"}
        ).status_code
        == 200
    )
    kinds = [k for k in _kinds(database) if k[0] in ("user_add", "user_disable", "user_enable")]
    assert [(k, s) for k, s, _ in kinds] == [
        ("user_add", "wang"),
        ("user_disable", "wang"),
        ("user_enable", "wang"),
    ]
    assert all(actor.startswith("cli:") for _, _, actor in kinds)


def test_user_password_from_stdin(cli, database, app) -> None:
    _add(cli, "wang")
    out = cli_ok(cli("user", "password", "wang", "--password-stdin", input="brand-new-pw\n"))
    assert "wang" in out
    client = app.test_client()
    old = {"username": "wang", "password": "long-enough-pw"}
    assert client.post("/api/v1/login", json=old).status_code == 401
    new = {"username": "wang", "password": "brand-new-pw"}
    assert client.post("/api/v1/login", json=new).status_code == 200
    assert ("password_change", "wang") in [(k, s) for k, s, _ in _kinds(database)]


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("user", "disable", "nobody"), None, "nobody"),
        (("user", "password", "nobody", "--password-stdin"), "long-enough-pw\n", "nobody"),
        (("user", "password", "wang", "--password-stdin"), "short\n", "密码至少"),
        (("user", "password", "wang", "--password-stdin"), "cashier123\n", "演示密码"),
        (("user", "add", "zhao", "--role", "admin", "--password-stdin"), "admin123\n", "演示密码"),
        (("user", "disable", "root"), None, "唯一启用的管理员"),
    ],
)
def test_user_commands_refuse_bad_input(cli, database, args, stdin, says) -> None:
    _add(cli, "wang")
    _add(cli, "root", "admin")
    before = _user(database, "wang").password_hash
    result = cli(*args, input=stdin)
    assert result.exit_code == 1, result.output
    assert says in result.output and "Traceback" not in result.output
    assert _user(database, "wang").password_hash == before
    assert _user(database, "root").active


# --- outside demo mode ------------------------------------------------------------------------


def _serve(tmp_path: Path, **env: str):
    base = {"CHARITY_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    return run("serve", "--port", "5998", cwd=tmp_path, env={**base, **env})


def test_serve_refuses_a_short_secret_key_naming_it(tmp_path: Path) -> None:
    result = _serve(tmp_path, CHARITY_SECRET_KEY="x", CHARITY_DATA_KEY=DATA_KEY)
    assert result.returncode == 1
    assert "security.secret_key" in result.stderr and "32" in result.stderr
    assert "只有 1 个字符" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_without_a_data_key_naming_it(tmp_path: Path) -> None:
    result = _serve(tmp_path, CHARITY_SECRET_KEY="k" * 32)
    assert result.returncode == 1
    assert "security.data_key" in result.stderr and "CHARITY_DATA_KEY" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_app_factory_refuses_the_same_outside_demo_and_tests(settings: Settings) -> None:
    with pytest.raises(ConfigError, match=r"security\.secret_key"):
        create_app(settings.with_overrides(security={"secret_key": "", "data_key": DATA_KEY}))
    with pytest.raises(ConfigError, match=r"security\.data_key"):
        create_app(settings.with_overrides(security={"secret_key": "s" * 32, "data_key": ""}))
    ready = settings.with_overrides(security={"secret_key": "s" * 32, "data_key": DATA_KEY})
    assert create_app(ready).extensions["charity"].refused_passwords >= {"cashier123", "admin123"}
    assert create_app(settings, demo=True).extensions["charity"].refused_passwords == frozenset()


def test_a_storage_the_limiter_cannot_use_is_a_config_error(settings: Settings) -> None:
    unknown = settings.with_overrides(security={"rate_limit_storage": "mysql://db"})
    with pytest.raises(ConfigError, match=r"security\.rate_limit_storage"):
        create_app(unknown, testing=True)
    # redis:// is a known scheme, but this install has no redis client: one line, the key named
    broken = settings.with_overrides(security={"rate_limit_storage": "redis://127.0.0.1:1"})
    try:
        import redis  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"security\.rate_limit_storage"):
            create_app(broken, testing=True)
    else:  # pragma: no cover - a machine with redis installed: the app starts (lazy connection)
        create_app(broken, testing=True)
