"""The back-office pages: supervisors only; intake typed in or uploaded (preview, then commit);
give-away events, which can name who took an item by card number; stock; reports."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from clothing_exchange.models import ClothingClaim
from clothing_exchange.services.allowance import status_for
from core.auth import Role
from core.web import app_state
from tests.clothing_exchange.conftest import SAMPLE, batches
from tests.pos import conftest as checkout_fixtures

store = checkout_fixtures.store  # a card holder and a clothing product


def test_pages_need_a_supervisor(client: FlaskClient, login: Callable[..., Any]) -> None:
    login(Role.CASHIER)
    assert client.get("/clothing/").status_code == 403


def test_intake_form_events_and_stock_pages(
    client: FlaskClient, login: Callable[..., Any], session: Session
) -> None:
    login(Role.SUPERVISOR)
    assert "尚无衣物库存" in client.get("/clothing/").get_data(as_text=True)
    form = {
        "batch_code": "YN20261201-01",
        "intake_date": "2026-12-01",
        "collection_point": "新城街道开元社区回收点",
        "weight_kg": "88.5",
        "sorting": "毛衣/XL/冬=12;童装/童110/冬=5",
        "action": "preview",
    }
    page = client.post("/clothing/intake", data=form)
    assert page.status_code == 200 and "新批次 1 个" in page.get_data(as_text=True)
    assert batches(session) == 0
    answer = client.post("/clothing/intake", data={**form, "action": "commit"})
    assert answer.status_code == 302
    assert batches(session) == 1
    stock = client.get("/clothing/").get_data(as_text=True)
    assert "共 17 件" in stock and "童110" in stock
    bad = client.post(
        "/clothing/intake", data={**form, "sorting": "毛衣/XL/冬=x", "action": "commit"}
    )
    assert bad.status_code == 400 and "不是整数" in bad.get_data(as_text=True)
    upload = client.post(
        "/clothing/intake",
        data={"file": (io.BytesIO(SAMPLE.read_bytes()), "intake.csv"), "action": "commit"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    assert batches(session) == 31
    event = client.post(
        "/clothing/events",
        data={"event_date": "2026-12-05", "place": "迎宾路社区广场", "count_棉衣": "30"},
    )
    assert event.status_code == 302
    listed = client.get("/clothing/events").get_data(as_text=True)
    assert "迎宾路社区广场" in listed and "棉衣 30" in listed
    refused = client.post("/clothing/events", data={"event_date": "明天", "place": "x"})
    assert refused.status_code == 400 and "发放日期" in refused.get_data(as_text=True)
    report = client.get("/clothing/reports").get_data(as_text=True)
    assert "2026-Q4" in report and "新城街道开元社区回收点" in report
    chart = report.split('<figure class="chart">', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in chart and "2026-Q4" in chart and "分拣入库" in chart and "发放" in chart


def _event(client: Any, handouts: str) -> Any:
    return client.post(
        "/clothing/events",
        data={"event_date": "2026-11-28", "place": "迎宾路社区广场", "handouts": handouts},
    )


def test_named_handouts_count_against_the_quarter_when_configured(
    app: Any, client: Any, login: Any, store: Any, session: Any, settings: Any, clock: Any
) -> None:
    app_state(app).settings = settings.with_overrides(clothing={"events_count": True})
    login(Role.SUPERVISOR)
    answer = _event(client, f"{store.card.card_no} 毛衣\n")
    assert answer.status_code == 302
    person = store.card.account.beneficiary_id
    counting = settings.with_overrides(clothing={"events_count": True})
    assert status_for(session, person, clock(), settings=counting).used == 1
    again = _event(client, f"{store.card.card_no} 棉衣")
    assert again.status_code == 400 and "2027-01-01" in again.get_data(as_text=True)


def test_named_handouts_are_only_recorded_by_default(
    client, login, store, session, settings, clock
) -> None:
    login(Role.SUPERVISOR)
    assert _event(client, f"{store.card.card_no} 毛衣").status_code == 302
    session.rollback()
    claim = session.scalar(select(ClothingClaim))
    assert claim is not None and claim.counted is False
    assert (
        status_for(session, store.card.account.beneficiary_id, clock(), settings=settings).used == 0
    )


def test_bad_handout_lines_are_named(client, login, store, session) -> None:
    login(Role.SUPERVISOR)
    for text, expected in [
        ("1234567812345678 毛衣", "第 1 行"),
        (f"\n{store.card.card_no} 西装", "第 2 行：未知衣物种类 西装"),
        (f"{store.card.card_no}", "应为：卡号 种类"),
    ]:
        page = _event(client, text)
        assert page.status_code == 400 and expected in page.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(ClothingClaim)) is None
