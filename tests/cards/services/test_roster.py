"""Roster import: encodings, headers, normalisation, every refusal named by row, preview vs
commit, skip-invalid, exit-missing, idempotence."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from cards.models import Account, Beneficiary, StatusChange
from cards.services import roster, roster_file
from cards.services.text import mask_id_number
from tests.cards.conftest import (
    HEADER,
    id_index,
    id_number_of,
    make_id,
    person_row,
    phone_of,
    roster_csv,
)
from tests.conftest import TEST_KEYS, cli_ok

# The bureau's sample files (../shared/data), kept with the tests so that they always run.
SHARED = Path(__file__).resolve().parents[2] / "data"


def _count(session, model):
    # reads end their transaction: on SQLite the test's session would otherwise hold the lock
    n = session.scalar(select(func.count()).select_from(model))
    session.rollback()
    return n


def _registry(session):
    try:
        return _rows(session)
    finally:
        session.rollback()


def _rows(session):
    return sorted(
        (
            id_number_of(p),
            p.name,
            p.category,
            p.town,
            p.community,
            phone_of(p),
            p.household_size,
        )
        for p in session.scalars(select(Beneficiary))
    )


def test_sample_xlsx_and_gbk_csv_give_the_same_registry(cli, session, database):
    cli_ok(cli("beneficiaries", "import", str(SHARED / "roster.xlsx"), "--commit"))
    from_xlsx = _registry(session)
    assert len(from_xlsx) == 200
    assert _count(session, Account) == 200
    # the GBK file describes the same people: nothing changes
    out = cli_ok(cli("beneficiaries", "import", str(SHARED / "roster_gbk.csv")))
    assert "GBK" in out and "新增 0 人，信息变更 0 人" in out
    cli_ok(cli("beneficiaries", "import", str(SHARED / "roster_gbk.csv"), "--commit"))
    session.expire_all()
    assert _registry(session) == from_xlsx


def test_preview_writes_nothing_and_commit_applies(cli, session, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(roster_csv([person_row(1), person_row(2)]))
    out = cli_ok(cli("beneficiaries", "import", str(path)))
    assert "新增 2 人" in out and "未写入" in out
    assert _count(session, Beneficiary) == 0
    cli_ok(cli("beneficiaries", "import", str(path), "--commit"))
    assert _count(session, Beneficiary) == 2
    history = session.scalars(select(StatusChange)).all()
    assert {h.to_status for h in history} == {"active"} and history[0].actor_name


def test_every_kind_of_mistake_is_named_by_row_and_nothing_is_written(cli, session, tmp_path):
    good = make_id(1)
    bad_check = good[:-1] + ("1" if good[-1] != "1" else "2")
    body = "410108" + "19990231" + "123"
    bad_date = body + roster_file.ric.calc_check_digit(body + "0")
    rows = [
        person_row(1),  # row 2: fine
        person_row(2, id_number=bad_check),  # row 3: check digit
        person_row(3, id_number=bad_date),  # row 4: impossible date
        person_row(4, id_number="41010819600101123"),  # row 5: 17 digits
        person_row(5, id_number=""),  # row 6: missing id
        [6, "", make_id(6), "低保", "", "", "", 1],  # row 7: missing name
        person_row(7, category="五保"),  # row 8: unknown category
        person_row(8, id_number=good),  # row 9: duplicate of row 2
        person_row(9, id_number="4.10108E+17"),  # row 10: Excel number
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(roster_csv(rows))
    result = cli("beneficiaries", "import", str(path), "--commit")
    assert result.exit_code == 1
    text = result.output
    for row, words in [
        (3, "校验位"),
        (4, "出生日期"),
        (5, "位数"),
        (6, "缺少身份证号"),
        (7, "缺少姓名"),
        (8, "类别"),
        (9, "与第 2 行重复"),
        (10, "数字"),
    ]:
        assert f"第 {row} 行" in text and words in text, (row, words, text)
    assert "第 2 行" not in text.replace("与第 2 行", "")
    assert "Traceback" not in text
    assert _count(session, Beneficiary) == 0
    # the preview also lists them and exits 1
    assert cli("beneficiaries", "import", str(path)).exit_code == 1
    # --skip-invalid imports the one good row
    cli_ok(cli("beneficiaries", "import", str(path), "--commit", "--skip-invalid"))
    assert _count(session, Beneficiary) == 1


def test_xlsx_with_id_stored_as_number_is_refused(cli, tmp_path, session):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([1, "张三", 410108196001011234, "低保", "", "", "", 1])
    ws.append([2, "李四", make_id(2), "低保", "", "", "", 1])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    result = cli("beneficiaries", "import", str(path), "--commit")
    assert result.exit_code == 1
    assert "第 2 行" in result.output
    # the message names the programs that do this, not Excel alone
    assert "被表格软件（Excel、WPS 或 LibreOffice）存成了数字" in result.output


def test_normalisation_full_width_spaces_lower_x(session, settings, clock):
    ident = next(make_id(n) for n in range(1, 200) if make_id(n).endswith("X"))
    messy = (
        " ".join(ident[:6])
        + ident[6:17].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        + "x"
    )
    data = roster_csv(
        [[1, " 张 三 ", messy, " 低保 ", "古荥镇", "古荥村", "１３８ 0000 0000", "２"]]
    )
    plan = roster.plan_import(
        session,
        data,
        "r.csv",
        keys=TEST_KEYS,
        categories=settings.allowance.categories,
        at=clock(),
        tz=settings.tz,
    )
    assert plan.errors == []
    row = plan.valid[0]
    assert (row.id_number, row.name, row.category, row.phone, row.household_size) == (
        ident,
        "张三",
        "低保",
        "13800000000",
        2,
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(session, settings, clock, encoding):
    data = roster_csv([person_row(1, "龚鑫")], encoding=encoding)
    plan = roster.plan_import(
        session,
        data,
        "r.csv",
        keys=TEST_KEYS,
        categories=settings.allowance.categories,
        at=clock(),
        tz=settings.tz,
    )
    assert plan.errors == [] and plan.valid[0].name == "龚鑫"


def test_english_headers(session, settings, clock):
    header = ["no", "name", "id_number", "category", "town", "community", "phone", "household_size"]
    data = roster_csv([person_row(1, "Li")], header=header)
    plan = roster.plan_import(
        session,
        data,
        "r.csv",
        keys=TEST_KEYS,
        categories=settings.allowance.categories,
        at=clock(),
        tz=settings.tz,
    )
    assert len(plan.new) == 1


def test_missing_header_is_refused(session, settings, clock):
    data = roster_csv([[1, "x"]], header=["序号", "姓名"])
    with pytest.raises(roster_file.ValidationError, match="身份证号"):
        roster.plan_import(
            session,
            data,
            "r.csv",
            keys=TEST_KEYS,
            categories=settings.allowance.categories,
            at=clock(),
            tz=settings.tz,
        )


def test_changes_missing_and_exit_missing(import_rows, session, settings, clock):
    import_rows([person_row(1), person_row(2), person_row(3)])
    plan = import_rows([person_row(1, category="特困"), person_row(2)])
    assert [ch for _, _, ch in plan.changed] == [{"category": ("低保", "特困")}]
    assert [m.id for m in plan.missing] == [
        session.scalar(
            select(Beneficiary.id).where(Beneficiary.id_number_index == id_index(make_id(3)))
        )
    ]
    assert plan.missing_shown(5) == [("测试3", mask_id_number(make_id(3)))]
    # listed, not exited
    assert (
        session.scalar(
            select(Beneficiary.status).where(Beneficiary.id_number_index == id_index(make_id(3)))
        )
        == "active"
    )
    import_rows([person_row(1, category="特困"), person_row(2), person_row(4)], exit_missing=True)
    session.expire_all()
    assert (
        session.scalar(
            select(Beneficiary.status).where(Beneficiary.id_number_index == id_index(make_id(3)))
        )
        == "exited"
    )
    # back on a later roster: active again, with history
    plan = import_rows([person_row(3)])
    session.expire_all()
    person = session.scalar(
        select(Beneficiary).where(Beneficiary.id_number_index == id_index(make_id(3)))
    )
    assert person.status == "active"
    assert [h.to_status for h in person.status_changes] == ["active", "exited", "active"]


def test_same_file_twice_changes_nothing(cli, session, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(roster_csv([person_row(1), person_row(2)]))
    cli_ok(cli("beneficiaries", "import", str(path), "--commit"))
    before = _registry(session)
    out = cli_ok(cli("beneficiaries", "import", str(path), "--commit"))
    assert "已导入过" in out
    assert _registry(session) == before


def test_future_birth_date_is_refused():
    body = "410108" + "20991231" + "123"
    number = body + roster_file.ric.calc_check_digit(body + "0")
    _, problem = roster_file.check_id_number(number, today=date(2026, 11, 29))
    assert problem is not None and "出生日期" in problem
