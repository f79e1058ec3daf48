"""Every response carries the security headers (contract "Pages"), and no template of any package
holds inline script or inline style, which the Content-Security-Policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from core.auth import Role
from core.config import Settings
from core.db import Database
from pos.app import create_app
from pos.security import CONTENT_SECURITY_POLICY
from tests.conftest import FakeClock

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "cards", "inventory", "clothing_exchange", "pos")


def _check(headers: object) -> None:
    csp = headers["Content-Security-Policy"]  # type: ignore[index]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"  # type: ignore[index]
    assert headers["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer")  # type: ignore[index]


def test_pages_api_errors_and_assets_carry_the_headers(app: Flask, client, login) -> None:
    answers = [
        client.get("/"),  # the sign-in page
        client.get("/api/v1/products/0000"),  # an API refusal
        client.get("/no/such/page"),  # an error page
        client.get("/api/openapi.json"),
        client.get("/healthz"),
        client.get("/static/charity.css"),
        client.get("/static/pos/terminal.js"),
        client.get("/b/no-such-token"),  # the public balance page (its own no-referrer kept)
    ]
    login(Role.CASHIER)
    answers += [client.get("/terminal"), client.get("/printing/state")]
    for answer in answers:
        _check(answer.headers)
        assert "Strict-Transport-Security" not in answer.headers
        answer.close()
    assert answers[-3].headers["Referrer-Policy"] == "no-referrer"
    assert answers[0].headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_hsts_when_cookies_are_https_only(
    settings: Settings, database: Database, clock: FakeClock
) -> None:
    secure = settings.with_overrides(security={"cookie_secure": True})
    app = create_app(secure, database=database, clock=clock, testing=True)
    answer = app.test_client().get("/", base_url="https://store.test")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    _check(answer.headers)


def _templates() -> list[Path]:
    found = [
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.html")
        if "templates" in path.parts
    ]
    assert len(found) > 30
    return sorted(found)


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on...= handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"<style", re.I), "a <style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
]


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_script_or_style(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    for pattern, what in INLINE:
        match = pattern.search(text)
        assert match is None, f"{template.relative_to(ROOT)} has {what}: {match.group(0)!r}"


def test_generated_svg_has_no_style_attributes(app: Flask) -> None:
    from inventory.services.labels import barcode_svg

    svg = str(barcode_svg("6901234567892"))
    assert "style=" not in svg and 'fill="black"' in svg and 'text-anchor="middle"' in svg
