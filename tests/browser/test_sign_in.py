"""A person signs in through a real browser and lands where their role works."""

import pytest

from core.auth import Role

pytestmark = pytest.mark.browser


def test_staff_sign_in_in_chinese(browser, live_server, make_user, artifacts) -> None:
    user = make_user(Role.BUREAU, username="zhang")
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "员工登录"
    page.fill("input[name=username]", "zhang")
    page.fill("input[name=password]", "wrong-password")
    page.keyboard.press("Enter")
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()
    page.fill("input[name=password]", "password123")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/office")
    assert user.name in page.locator(".topbar").inner_text()
    page.screenshot(path=str(artifacts / "sign-in-office.png"))
