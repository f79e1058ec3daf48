"""The card sheet without a choice of cards, and the warning when the QR codes would point at
this machine only (the shipped `balance_page.base_url`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from cards import qr
from core.auth import Role


def test_the_sheet_without_parameters_is_a_chinese_page_saying_how_to_choose(
    client: Any, login: Any
) -> None:
    login(Role.BUREAU)
    page = client.get("/cards/sheet")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bad Request" not in text and "请选择要打印的卡" in text and "all=1" in text
    assert "本机地址" not in text  # the test settings' base_url is a real host


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://localhost:5000/", True),
        ("http://[::1]:5000", True),
        ("http://127.8.0.1", True),
        ("http://192.168.1.20:5000", False),
        ("https://cs.example.org", False),
    ],
)
def test_loopback_base_urls_are_recognised(url: str, loopback: bool) -> None:
    assert qr.base_url_is_loopback(url) is loopback
    assert (qr.loopback_warning(url) is not None) is loopback


def test_serving_elsewhere_is_any_non_loopback_host() -> None:
    assert qr.serving_elsewhere("0.0.0.0") and qr.serving_elsewhere("192.168.1.20")
    assert not qr.serving_elsewhere("127.0.0.1") and not qr.serving_elsewhere("localhost")


def test_the_sheet_warns_when_the_qr_codes_point_at_this_machine(
    people_with_cards: Any, app: Any, client: Any, login: Any
) -> None:
    state = app.extensions["charity"]
    loopback = dataclasses.replace(
        state.settings,
        balance_page=dataclasses.replace(
            state.settings.balance_page, base_url="http://127.0.0.1:5000"
        ),
    )
    app.extensions["charity"] = dataclasses.replace(state, settings=loopback)
    login(Role.BUREAU)
    for url in ("/cards/sheet", "/cards/sheet?all=1"):
        text = client.get(url).get_data(as_text=True)
        assert "本机地址" in text and "http://127.0.0.1:5000" in text, url


def test_serve_warns_only_when_serving_beyond_this_machine_with_a_loopback_base_url() -> None:
    assert qr.serve_warning("0.0.0.0", "http://127.0.0.1:5000") is not None
    assert qr.serve_warning("127.0.0.1", "http://127.0.0.1:5000") is None
    assert qr.serve_warning("0.0.0.0", "http://192.168.1.20:5000") is None
