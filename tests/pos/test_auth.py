"""Staff sign-in on pages and the API: hashes, slow-down, roles, tokens."""

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.auth import ApiToken, Role, StaffUser, add_user, authenticate
from core.errors import Conflict, TooManyAttempts, Unauthorized, ValidationError
from core.web import ApiBlueprint, api_user, roles_required


def test_passwords_are_hashed_with_scrypt(session, clock) -> None:
    user = add_user(session, "wang", "s3cret-pass", Role.CASHIER, at=clock())
    assert user.password_hash.startswith("scrypt:")
    assert "s3cret-pass" not in user.password_hash


def test_add_user_refuses_bad_input(session, clock) -> None:
    add_user(session, "wang", "s3cret-pass", "cashier", at=clock())
    with pytest.raises(Conflict):
        add_user(session, "wang", "another-pass", "cashier", at=clock())
    with pytest.raises(ValidationError, match="角色"):
        add_user(session, "li", "s3cret-pass", "boss", at=clock())
    with pytest.raises(ValidationError, match="密码"):
        add_user(session, "li", "short", "cashier", at=clock())


def test_repeated_failures_lock_for_a_growing_while(session, clock) -> None:
    add_user(session, "wang", "s3cret-pass", Role.CASHIER, at=clock())
    for _ in range(5):
        with pytest.raises(Unauthorized):
            authenticate(session, "wang", "wrong", at=clock())
    # locked now, even with the right password
    with pytest.raises(TooManyAttempts) as info:
        authenticate(session, "wang", "s3cret-pass", at=clock())
    assert info.value.details["retry_after"] == 31
    clock.advance(seconds=31)
    with pytest.raises(Unauthorized):
        authenticate(session, "wang", "wrong", at=clock())
    user = session.scalar(select(StaffUser).where(StaffUser.username == "wang"))
    assert user.locked_until - clock() == timedelta(seconds=60)  # doubled
    clock.advance(seconds=61)
    assert authenticate(session, "wang", "s3cret-pass", at=clock()).failed_logins == 0


def test_roles_imply_lesser_roles(session, clock) -> None:
    supervisor = add_user(session, "li", "s3cret-pass", Role.SUPERVISOR, at=clock())
    admin = add_user(session, "root", "s3cret-pass", Role.ADMIN, at=clock())
    cashier = add_user(session, "wang", "s3cret-pass", Role.CASHIER, at=clock())
    assert supervisor.has_role(Role.CASHIER) and not supervisor.has_role(Role.BUREAU)
    assert admin.has_role(Role.BUREAU) and admin.has_role(Role.SUPERVISOR)
    assert not cashier.has_role(Role.SUPERVISOR)


# --- pages ----------------------------------------------------------------------------------


def test_sign_in_page_is_chinese_and_has_csrf(csrf_app: Flask) -> None:
    page = csrf_app.test_client().get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'lang="zh-CN"' in html and "员工登录" in html and "csrf_token" in html


def test_sign_in_without_csrf_token_is_refused(csrf_app: Flask, make_user) -> None:
    user = make_user(Role.CASHIER)
    page = csrf_app.test_client().post(
        "/", data={"username": user.username, "password": "password123"}
    )
    assert page.status_code == 400
    assert "页面已过期" in page.get_data(as_text=True)


def test_sign_in_and_out(client: FlaskClient, make_user) -> None:
    user = make_user(Role.BUREAU)
    wrong = client.post("/", data={"username": user.username, "password": "nope"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)
    ok = client.post("/", data={"username": user.username, "password": "password123"})
    assert ok.status_code == 302
    office = client.get("/office")
    assert office.status_code == 200 and user.name in office.get_data(as_text=True)
    client.post("/logout")
    assert client.get("/office").status_code == 302


def test_session_cookie_is_httponly_lax_and_secure_over_https(app: Flask, make_user) -> None:
    user = make_user(Role.BUREAU)
    form = {"username": user.username, "password": "password123"}
    cookie = app.test_client().post("/", data=form).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = app.test_client().post("/", data=form, base_url="https://store.test")
    assert "Secure" in https.headers["Set-Cookie"]


def test_open_redirect_is_not_followed(client: FlaskClient, make_user) -> None:
    user = make_user(Role.BUREAU)
    answer = client.post(
        "/?next=https://evil.example/", data={"username": user.username, "password": "password123"}
    )
    assert answer.headers["Location"].endswith("/office")


# --- API ------------------------------------------------------------------------------------


@pytest.fixture
def guarded_app(app: Flask) -> Flask:
    """The app plus two guarded probes, to check the role machinery itself."""
    probe = ApiBlueprint("probe_api", __name__, tag="probe")

    @probe.operation("/probe/bureau", summary="probe", roles=(Role.BUREAU,))
    def bureau_only() -> dict[str, str]:
        return {"user": api_user().username}

    app.register_blueprint(probe)
    from flask import Blueprint

    pages = Blueprint("probe", __name__)

    @pages.get("/probe/supervisor")
    @roles_required(Role.SUPERVISOR)
    def supervisor_page() -> str:
        return "ok"

    app.register_blueprint(pages)
    return app


def test_api_login_wrong_password_is_401(client: FlaskClient, make_user) -> None:
    user = make_user()
    answer = client.post("/api/v1/login", json={"username": user.username, "password": "x"})
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"


def test_api_missing_token_is_401_wrong_role_403(guarded_app: Flask, api_token) -> None:
    client = guarded_app.test_client()
    assert client.get("/api/v1/probe/bureau").status_code == 401
    cashier = api_token(Role.CASHIER)
    denied = client.get("/api/v1/probe/bureau", headers={"Authorization": f"Bearer {cashier}"})
    assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "forbidden"
    bureau = api_token(Role.BUREAU)
    allowed = client.get("/api/v1/probe/bureau", headers={"Authorization": f"Bearer {bureau}"})
    assert allowed.status_code == 200


def test_page_role_decorator(guarded_app: Flask, make_user) -> None:
    client = guarded_app.test_client()
    assert client.get("/probe/supervisor").status_code == 302  # to sign-in
    cashier = make_user(Role.CASHIER)
    client.post("/", data={"username": cashier.username, "password": "password123"})
    assert client.get("/probe/supervisor").status_code == 403
    client.post("/logout")
    supervisor = make_user(Role.SUPERVISOR)
    client.post("/", data={"username": supervisor.username, "password": "password123"})
    assert client.get("/probe/supervisor").get_data(as_text=True) == "ok"


def test_tokens_expire_and_are_revoked(client: FlaskClient, api_token, clock, database) -> None:
    token = api_token(Role.CASHIER)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(hours=12, seconds=1)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    fresh = api_token(Role.CASHIER)
    headers = {"Authorization": f"Bearer {fresh}"}
    assert client.post("/api/v1/logout", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    with database.session() as s:
        stored = s.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and fresh not in stored  # only hashes are kept


def test_api_login_slows_down_after_failures(client: FlaskClient, make_user) -> None:
    user = make_user()
    for _ in range(5):
        client.post("/api/v1/login", json={"username": user.username, "password": "bad"})
    answer = client.post(
        "/api/v1/login", json={"username": user.username, "password": "password123"}
    )
    assert answer.status_code == 429
    assert answer.get_json()["error"]["code"] == "unauthorized"
    assert int(answer.headers["Retry-After"]) > 0
