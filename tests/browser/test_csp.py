"""Every page of every package, loaded in Chromium under the app's Content-Security-Policy, runs
without a single violation: no inline script, no inline style, no `javascript:` URL, no handler
attribute anywhere (what the CSP would block is what this test fails on). The pages that work
(the terminal, the kiosk, print buttons) still work with the policy on."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cards.models import Card
from core.auth import Role
from pos.models import Sale, Shift
from pos.printing.models import PrintJob
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store

store = checkout_fixtures.store  # the checkout tests' small store, as a fixture here too

pytestmark = pytest.mark.browser

# Query strings a page needs to show something (it answers 400 without).
QUERIES = {"cards.sheet": "?all=1", "inventory.labels": "?received=today"}
# More views of one page: the card sheet before cards are chosen, every grouping of the sales
# report (each draws its own chart), the trend page of an earlier month.
EXTRA_URLS = [
    "/cards/sheet",
    *(f"/office/reports/sales?by={by}" for by in ("hour", "cashier", "category", "product")),
    "/cards/reports/flows?month=2026-01",
]
NOT_PAGES = {"healthz", "printing.state", "static"}  # JSON, not pages
# file downloads (their links are on the report pages, which are loaded)
NOT_PAGES |= {"clothing.report_download", "inventory.report_download", "cards.fund_download"}


def _watch(page: Any) -> list[str]:
    """Every CSP violation the page reports, from the console and from the DOM event."""
    seen: list[str] = []

    def on_console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            seen.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI"
        " + ' ' + (e.sourceFile || '') + ':' + e.lineNumber); });"
    )
    return seen


def _violations(page: Any) -> list[str]:
    found = page.evaluate("window.__csp || []")
    return [f"{page.url}: {v}" for v in found]


def _pages(app: Flask, values: dict[str, str]) -> list[str]:
    """Every GET page of the app, its parameters filled from `values` (a page whose parameter
    has no value fails the test: a new page must be added here)."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint in NOT_PAGES or rule.endpoint.endswith(".static"):
            continue
        url = rule.rule
        for name in rule.arguments:
            assert name in values, f"no value for <{name}> of {rule.rule}: add one to the test"
            url = re.sub(rf"<(?:[a-z]+:)?{name}>", values[name], url)
        urls.append(url + QUERIES.get(rule.endpoint, ""))
    return urls


def _sign_in(page: Any, live_server: str, username: str) -> None:
    page.goto(live_server + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "password123")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/office")


def test_every_page_loads_without_a_csp_violation(
    browser: Any,
    live_server: str,
    app: Flask,
    make_user: Any,
    api: Any,
    store: Store,
    session: Any,
    artifacts: Any,
) -> None:
    # a sale (with its shift and receipt job) so that the sale, shift and job pages show one
    body = {
        "client_ref": str(uuid.uuid4()),
        "card_no": store.card.card_no,
        "lines": [{"barcode": store.rice.barcode}],
        "payments": [{"method": "card", "amount": "9.50"}],
    }
    assert api(Role.CASHIER).post("/api/v1/sales", json=body).status_code == 201
    session.rollback()
    card = session.get(Card, store.card.id)
    values = {
        "sale_no": session.scalar(select(Sale.sale_no)),
        "shift_id": str(session.scalar(select(Shift.id))),
        "job_id": str(session.scalar(select(PrintJob.id))),
        "person_id": str(card.account.beneficiary_id),
        "product_id": str(store.rice.id),
        "token": card.qr_token,
    }
    make_user(Role.ADMIN, username="root")  # an admin may open every page
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = _watch(page)
    _sign_in(page, live_server, "root")
    urls = [*_pages(app, values), *EXTRA_URLS, "/no/such/page"]
    assert len(urls) > 25
    statuses = {}
    for url in urls:
        response = page.goto(live_server + url)
        page.wait_for_load_state("load")
        statuses[url] = response.status if response else 0
        assert "next=" not in page.url, f"{url} sent the admin to sign in"
        seen += _violations(page)
    bad = {url: status for url, status in statuses.items() if status >= 400}
    assert bad == {"/no/such/page": 404}
    # what the scripts do must work under the policy too: the terminal scans and prices
    page.goto(live_server + "/terminal")
    page.locator("#scan").focus()
    page.keyboard.type(store.rice.barcode, delay=5)
    page.keyboard.press("Enter")
    page.locator("#t-rows tr").first.wait_for()
    # the kiosk shows a scanned card and counts down
    page.goto(live_server + "/kiosk")
    page.fill("#kiosk-code", store.card.card_no)
    page.keyboard.press("Enter")
    page.locator("#kiosk-left").wait_for()
    page.wait_for_timeout(1200)
    assert int(page.locator("#kiosk-left").inner_text()) < 20  # kiosk.js runs
    # the error page's back link goes back (charity.js), not to a javascript: URL
    page.goto(live_server + "/office")
    page.goto(live_server + "/no/such/page")
    page.click("a[data-back]")
    page.wait_for_url(live_server + "/office")
    seen += _violations(page)
    page.screenshot(path=str(artifacts / "csp-last-page.png"))
    assert seen == []


def test_a_violation_would_be_seen(browser: Any, live_server: str) -> None:
    """The watch itself works: an inline script injected into a page is refused and reported."""
    page = browser.new_page()
    seen = _watch(page)
    page.goto(live_server + "/")
    page.evaluate(
        "var s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s);"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran === undefined")
    assert seen + _violations(page), "an inline script ran or went unreported"
