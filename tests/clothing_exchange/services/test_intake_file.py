"""Reading 衣暖人心 intake files: the sample file, every kind of bad row, .xlsx, encodings."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from clothing_exchange.services.intake_file import (
    SEASONS,
    IntakeFileError,
    SortedLine,
    parse_intake,
    parse_sorting,
)
from core.config import Settings
from tests.clothing_exchange.conftest import SAMPLE

KINDS = Settings().clothing.kinds
HEADER = "批次,日期,来源楼院,重量kg,分拣\n"


def parse_csv(text: str, *, encoding: str = "utf-8", header: str = HEADER):
    return parse_intake((header + text).encode(encoding), filename="in.csv", kinds=KINDS)


def test_sample_file_parses_whole() -> None:
    result = parse_intake(SAMPLE.read_bytes(), filename=SAMPLE.name, kinds=KINDS)
    assert result.problems == []
    assert len(result.rows) == 30
    first = result.rows[0]
    assert first.row == 2
    assert first.batch_code == "YN20260105-01"
    assert first.intake_date == date(2026, 1, 5)
    assert first.collection_point == "长兴路街道彩虹社区回收点"
    assert first.weight_kg == Decimal("142.6")
    assert SortedLine("毛衣", "XXL", "冬", 39) in first.lines
    assert first.items == 39 + 29 + 30 + 26
    assert sum(r.items for r in result.rows) == 4011


@pytest.mark.parametrize(
    ("row", "field", "value", "why"),
    [
        ("A1,2026-01-05,彩虹社区,10,皮草/L/冬=3", "分拣", "皮草/L/冬=3", "未知衣物种类 皮草"),
        ("A1,2026-01-05,彩虹社区,10,毛衣/巨大/冬=3", "分拣", "毛衣/巨大/冬=3", "尺码 巨大 无效"),
        ("A1,2026-01-05,彩虹社区,10,毛衣/L/雨季=3", "分拣", "毛衣/L/雨季=3", "季节 雨季 无效"),
        ("A1,2026-01-05,彩虹社区,10,毛衣/L/冬=三", "分拣", "毛衣/L/冬=三", "不是整数"),
        ("A1,2026-01-05,彩虹社区,10,毛衣/L/冬=-2", "分拣", "毛衣/L/冬=-2", "不能为负数"),
        ("A1,2026-01-05,彩虹社区,10,毛衣/L=2", "分拣", "毛衣/L=2", "格式应为"),
        ("A1,2026-01-05,彩虹社区,十公斤,毛衣/L/冬=2", "重量kg", "十公斤", "不是数字"),
        ("A1,2026-01-05,彩虹社区,-3.5,毛衣/L/冬=2", "重量kg", "-3.5", "不能为负数"),
        ("A1,2026-01-05,彩虹社区,1.2345,毛衣/L/冬=2", "重量kg", "1.2345", "最多 3 位小数"),
        ("A1,2026-02-30,彩虹社区,10,毛衣/L/冬=2", "日期", "2026-02-30", "日期无效"),
        ("A1,下周一,彩虹社区,10,毛衣/L/冬=2", "日期", "下周一", "日期无效"),
        (",2026-01-05,彩虹社区,10,毛衣/L/冬=2", "批次", "", "不能为空"),
        ("A1,2026-01-05,,10,毛衣/L/冬=2", "来源楼院", "", "不能为空"),
        ("A1,2026-01-05,彩虹社区,10,", "分拣", "", "不能为空"),
    ],
)
def test_each_bad_cell_is_named_by_row_field_and_value(
    row: str, field: str, value: str, why: str
) -> None:
    result = parse_csv("A0,2026-01-04,彩虹社区,1,上衣/M/夏=1\n" + row + "\n")
    assert [r.batch_code for r in result.rows] == ["A0"]
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.row, problem.field, problem.value) == (3, field, value)
    assert why in problem.reason
    assert "第 3 行" in str(problem) and field in str(problem)


def test_duplicate_batch_code_names_both_rows() -> None:
    result = parse_csv(
        "B1,2026-01-05,彩虹社区,10,上衣/M/夏=1\n"
        "B2,2026-01-06,彩虹社区,10,上衣/M/夏=1\n"
        "B1,2026-01-07,金桥社区,12,裤子/L/冬=2\n"
    )
    assert [p.row for p in result.problems] == [4]
    assert result.problems[0].field == "批次"
    assert "第 2 行重复" in result.problems[0].reason


def test_every_problem_of_a_row_is_reported() -> None:
    result = parse_csv("C1,2026-13-01,彩虹社区,abc,皮草/L/冬=1;毛衣/L/冬=-1\n")
    fields = sorted(p.field for p in result.problems)
    assert fields == ["分拣", "分拣", "日期", "重量kg"]
    assert result.rows == []


def test_repeated_items_in_one_cell_are_added_and_zero_counts_dropped() -> None:
    lines, reasons = parse_sorting(
        "毛衣/L/冬=2；毛衣/L/冬=3;鞋/均码/夏=0; 童装/童110/春秋=4", KINDS
    )
    assert reasons == []
    assert sorted(lines) == [
        SortedLine("毛衣", "L", "冬", 5),
        SortedLine("童装", "童110", "春秋", 4),
    ]


def test_kinds_come_from_the_settings() -> None:
    lines, reasons = parse_sorting("围巾/均码/冬=3", ("围巾",))
    assert reasons == [] and lines == [SortedLine("围巾", "均码", "冬", 3)]
    _, reasons = parse_sorting("毛衣/均码/冬=3", ("围巾",))
    assert "未知衣物种类 毛衣" in reasons[0]


def test_gbk_csv_and_english_headers() -> None:
    result = parse_csv(
        "D1,2026/1/5,彩虹社区,7.25,毛衣/XL/冬=2\n",
        encoding="gbk",
        header="batch,date,collection_point,weight_kg,sorting\n",
    )
    assert result.problems == []
    assert result.rows[0].intake_date == date(2026, 1, 5)
    assert result.rows[0].weight_kg == Decimal("7.25")


def test_missing_column_refuses_the_file() -> None:
    with pytest.raises(IntakeFileError, match="缺少列：分拣"):
        parse_csv("E1,2026-01-05,彩虹社区,10\n", header="批次,日期,来源楼院,重量kg\n")


def test_optional_recycled_weight_is_checked() -> None:
    header = "批次,日期,来源楼院,重量kg,分拣,回收重量kg\n"
    result = parse_csv(
        "F1,2026-01-05,彩虹社区,10,毛衣/L/冬=1,3.5\nF2,2026-01-05,彩虹社区,10,毛衣/L/冬=1,11\n",
        header=header,
    )
    assert result.rows[0].recycled_kg == Decimal("3.5")
    assert [(p.row, p.field) for p in result.problems] == [(3, "回收重量kg")]


def test_xlsx_with_numbers_and_dates_as_cells() -> None:
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["批次", "日期", "来源楼院", "重量kg", "分拣"])
    sheet.append(["X1", datetime(2026, 3, 2), "迎宾路社区", 255.1, "童装/童130/春秋=55"])
    sheet.append(["X2", "2026-03-09", "江山路社区", 12, "皮草/L/冬=1"])
    sheet.append([None, None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    result = parse_intake(buffer.getvalue(), filename="in.xlsx", kinds=KINDS)
    assert result.rows[0].weight_kg == Decimal("255.1")
    assert result.rows[0].intake_date == date(2026, 3, 2)
    assert [(p.row, p.field, p.value) for p in result.problems] == [(3, "分拣", "皮草/L/冬=1")]


def test_unreadable_file_is_refused_with_a_message() -> None:
    with pytest.raises(IntakeFileError):
        parse_intake(b"PK\x03\x04garbage", filename="in.xlsx", kinds=KINDS)
    with pytest.raises(IntakeFileError):
        parse_intake(b"", filename="in.csv", kinds=KINDS)


item = st.tuples(
    st.sampled_from(KINDS),
    st.sampled_from(["S", "M", "L", "XL", "XXL", "均码", "童110", "童130"]),
    st.sampled_from(SEASONS),
    st.integers(min_value=0, max_value=500),
)


@given(st.lists(item, min_size=1, max_size=12))
def test_sorting_cell_round_trips_totals(items: list[tuple[str, str, str, int]]) -> None:
    text = ";".join(f"{k}/{s}/{se}={n}" for k, s, se, n in items)
    lines, reasons = parse_sorting(text, KINDS)
    assert reasons == []
    assert sum(line.count for line in lines) == sum(n for *_, n in items)
    assert len({line.key for line in lines}) == len(lines)
