"""Helpers of the counter's browser tests: a cashier signed in at 1024x768, keys as a scanner
types them, and answers the test holds back to type ahead of a dialog."""

from __future__ import annotations

from typing import Any

from core.auth import Role, add_user

RICE = "6901234567892"  # 10.00 list, 9.50 with a card; 20 in stock
OIL = "6985430337657"  # 30.30 list, 27.88 with a card


def add_staff(database: Any, clock: Any, username: str, role: Role, name: str = "") -> None:
    """A staff account with the password `password123` and a display name."""
    with database.transaction() as s:
        add_user(s, username, "password123", role, at=clock(), display_name=name)


def sign_in(browser: Any, live_server: str, username: str, *, timezone: str = "") -> Any:
    """A page signed in as `username` through the / form, at 1024x768; `timezone` is the
    browser's own zone (to show the page speaks store time whatever the PC's zone is)."""
    options: dict[str, Any] = {"viewport": {"width": 1024, "height": 768}}
    if timezone:
        options["timezone_id"] = timezone
    page = browser.new_page(**options)
    page.goto(live_server + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "password123")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: not url.rstrip("/").endswith(live_server.split("//")[1]))
    return page


def terminal(browser: Any, live_server: str, username: str, **kw: Any) -> Any:
    """A cashier's terminal page, the scan field focused."""
    from playwright.sync_api import expect

    page = sign_in(browser, live_server, username, **kw)
    page.wait_for_url(live_server + "/terminal")
    expect(page.locator("#scan")).to_be_focused()
    return page


def scan(page: Any, code: str) -> None:
    """What a keyboard-wedge scanner does: characters typed fast, then Enter."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


class Stall:
    """Holds back the answers to requests matching `pattern` until `release()`: keys typed
    meanwhile are typed ahead of the dialog those answers open."""

    def __init__(self, page: Any, pattern: str, method: str = "") -> None:
        self.page = page
        self.pattern = pattern
        self.method = method
        self.routes: list[Any] = []
        page.route(pattern, self._hold)

    def _hold(self, route: Any) -> None:
        if self.method == "*" or (self.method and route.request.method != self.method):
            route.continue_()
            return
        self.routes.append(route)

    def wait(self, count: int = 1) -> None:
        """Until `count` requests are held."""
        for _ in range(1500):
            if len(self.routes) >= count:
                return
            self.page.wait_for_timeout(10)
        state = self.page.evaluate(
            "[document.getElementById('t-message')?.innerText,"
            " document.getElementById('t-dialog')?.innerText,"
            " document.activeElement && document.activeElement.id]"
        )
        raise AssertionError(f"no request to {self.pattern} was held; the page: {state}")

    def release(self) -> None:
        """Let every held request through, and later ones too."""
        routes, self.routes = self.routes, []
        self.method = "*"  # later ones go through
        for route in routes:
            route.continue_()
