"""`charity clothing intake`, the back-office pages, the API, the card-page hook, the demo."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards import hooks
from cards.hooks import ClothingStatus
from cards.services.clothing import clothing_status
from clothing_exchange import demo
from clothing_exchange.models import ClothingEvent, ClothingIntakeBatch
from clothing_exchange.services import take_allowance
from core.auth import Role
from core.config import Settings
from inventory.models import Product
from tests.clothing_exchange.conftest import ACTOR
from tests.conftest import Cli, cli_ok, shanghai

SAMPLE = Path(__file__).parents[2] / "clothing_exchange" / "demo_data" / "clothing_intake.csv"


def batches(session: Session) -> int:
    n = int(session.scalar(select(func.count()).select_from(ClothingIntakeBatch)) or 0)
    session.rollback()  # end the read: on SQLite every transaction holds the write lock
    return n


def test_cli_intake_previews_then_commits_once(cli: Cli, session: Session) -> None:
    out = cli_ok(cli("clothing", "intake", str(SAMPLE)))
    assert "新批次 30 个" in out and "预览" in out
    assert batches(session) == 0
    out = cli_ok(cli("clothing", "intake", str(SAMPLE), "--commit"))
    assert "已入库 30 个批次，4011 件" in out
    assert batches(session) == 30
    out = cli_ok(cli("clothing", "intake", str(SAMPLE), "--commit"))
    assert "没有任何变化" in out
    assert batches(session) == 30
    out = cli_ok(cli("clothing", "report", "stock"))
    assert "毛衣\tXXL\t冬" in out


def test_cli_refuses_bad_rows_and_writes_nothing(
    cli: Cli, session: Session, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "批次,日期,来源楼院,重量kg,分拣\n"
        "A1,2026-01-05,彩虹社区,10,毛衣/L/冬=3\n"
        "A2,2026-01-06,彩虹社区,-1,皮草/L/冬=3\n",
        encoding="gbk",
    )
    result = cli("clothing", "intake", str(bad), "--commit")
    assert result.exit_code == 1
    assert "第 3 行，字段「重量kg」的值 '-1'：不能为负数" in result.output
    assert "未知衣物种类 皮草" in result.output
    assert "Traceback" not in result.output
    assert batches(session) == 0
    missing = tmp_path / "missing.csv"
    missing.write_text("批次,日期\nA1,2026-01-05\n", encoding="utf-8")
    result = cli("clothing", "intake", str(missing))
    assert result.exit_code == 1 and "缺少列" in result.output


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


def test_stock_api(api: Callable[..., Any], cli: Cli) -> None:
    cli_ok(cli("clothing", "intake", str(SAMPLE), "--commit"))
    answer = api(Role.SUPERVISOR).get("/api/v1/clothing/stock")
    assert answer.status_code == 200
    assert answer.get_json()["total"] == 4011
    assert api(Role.CASHIER).get("/api/v1/clothing/stock").status_code == 403


def test_the_card_pages_see_the_allowance_through_the_hook(
    app: Flask, session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    who = make_beneficiary()
    at = shanghai(2026, 12, 31, 23, 59)
    with app.app_context():
        allowance = hooks.current().clothing_allowance
    assert allowance is not None

    def status_at(when: datetime) -> ClothingStatus:
        return clothing_status(session, who, when, tz=settings.tz, allowance=allowance)

    assert status_at(at).used == 0
    take_allowance(
        session, beneficiary_id=who, items=[("鞋", None)], at=at, actor=ACTOR, settings=settings
    )
    status = status_at(at)
    assert (status.quarter, status.allowed, status.used) == ("2026-Q4", 1, 1)
    assert status_at(shanghai(2027, 1, 1, 0, 0)).used == 0


def test_demo_loads_the_sample_intake(session: Session, settings: Settings) -> None:
    lines = demo.load(session, settings, at=shanghai(2026, 11, 29, 10))
    session.commit()
    assert "4011 件" in lines[0]
    total = session.scalar(select(func.sum(Product.stock_milli)).where(Product.clothing))
    assert total == 4011 * 1000
    assert session.scalar(select(func.count()).select_from(ClothingEvent)) == 1
