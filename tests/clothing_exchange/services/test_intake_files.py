"""Clothing intake in every format the reader takes: the shipped sample opened by LibreOffice and
saved as .xls and .ods (dates as dates, weights as numbers) reads the same batches as the CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from clothing_exchange.services.intake_file import IntakeFileError, parse_intake
from core.config import Settings

DATA = Path(__file__).resolve().parents[2] / "data"
CSV = (
    Path(__file__).resolve().parents[3] / "clothing_exchange" / "demo_data" / "clothing_intake.csv"
)
KINDS = Settings().clothing.kinds


@pytest.mark.parametrize("name", ["clothing_intake_lo.xls", "clothing_intake_lo.ods"])
def test_a_saved_intake_file_reads_the_same_batches(name: str) -> None:
    base = parse_intake(CSV.read_bytes(), filename="clothing_intake.csv", kinds=KINDS)
    parsed = parse_intake((DATA / name).read_bytes(), filename=name, kinds=KINDS)
    assert parsed.problems == base.problems
    assert parsed.rows == base.rows and len(parsed.rows) == 30


def test_an_unreadable_intake_file_is_one_line() -> None:
    with pytest.raises(IntakeFileError, match="这是一个 PDF 文件"):
        parse_intake(b"%PDF-1.7", filename="入库.pdf", kinds=KINDS)


def test_invisible_characters_leave_collection_points() -> None:
    text = (
        "批次,日期,来源楼院,重量kg,分拣\r\nYN1,2026-01-05,\u202e彩虹\u200b社区,1.5,毛衣/L/冬=1\r\n"
    )
    parsed = parse_intake(text.encode(), filename="in.csv", kinds=KINDS)
    assert [row.collection_point for row in parsed.rows] == ["彩虹社区"]
