"""The page forms, read through one model each: counts are whole numbers in ASCII digits (through
the kernel's quantity parser), the day and the handout lines are named when wrong."""

from __future__ import annotations

from datetime import date

import pytest

from clothing_exchange.schemas import EventForm, IntakeForm, StockAnswer
from clothing_exchange.services.events import CardHandout
from clothing_exchange.services.stock import StockLine
from core.config import Settings
from core.errors import ValidationError
from core.forms import read_form

KINDS = Settings().clothing.kinds


def test_event_form_gathers_counts_and_handouts() -> None:
    form = EventForm.from_page(
        {
            "event_date": "2026/12/5",
            "place": " 迎宾路社区广场 ",
            f"count_{KINDS[0]}": " 30 ",
            f"count_{KINDS[1]}": "",
            "handouts": f"\n8678141702490869 {KINDS[2]}\n",
            "csrf_token": "x",
        },
        kinds=KINDS,
    )
    assert form.event_date == date(2026, 12, 5)
    assert form.place == "迎宾路社区广场"
    assert form.totals == {KINDS[0]: 30}
    assert form.handouts == [CardHandout(2, "8678141702490869", KINDS[2])]


@pytest.mark.parametrize("text", ["x", "-1", "2.5", "²", "１２", "1e3", "100001"])
def test_event_counts_are_whole_ascii_numbers(text: str) -> None:
    kind = KINDS[0]
    with pytest.raises(ValidationError) as refused:
        EventForm.from_page(
            {"event_date": "2026-12-05", "place": "广场", f"count_{kind}": text}, kinds=KINDS
        )
    assert refused.value.message == f"{kind} 的件数 {text!r} 应为非负整数"


def test_event_form_names_the_first_problem() -> None:
    with pytest.raises(ValidationError, match="发放日期 '' 无效"):
        EventForm.from_page({"place": "广场", f"count_{KINDS[0]}": "x"}, kinds=KINDS)
    with pytest.raises(ValidationError, match="第 1 行“12 34 56”应为：卡号 种类"):
        EventForm.from_page({"event_date": "2026-12-05", "handouts": "12 34 56"}, kinds=KINDS)


def test_intake_form_is_one_row_of_an_intake_file() -> None:
    form = read_form(IntakeForm, {"batch_code": " A1 ", "weight_kg": "8", "action": "commit"})
    assert form.commit
    header, row = form.table()
    assert header[:5] == ["批次", "日期", "来源楼院", "重量kg", "分拣"]
    assert row == ["A1", "", "", "8", "", ""]
    assert not read_form(IntakeForm, {}).commit


def test_stock_answer_adds_up_the_lines() -> None:
    lines = [
        StockLine("毛衣", "L", "冬", "200001", 1, 3),
        StockLine("鞋", "M", "夏", "200002", 2, 4),
    ]
    answer = StockAnswer.of(lines)
    assert answer.total == 7
    assert answer.model_dump()["items"][1] == {
        "kind": "鞋",
        "size": "M",
        "season": "夏",
        "barcode": "200002",
        "stock": 4,
    }
