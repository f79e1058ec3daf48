"""The clothing reports as files: `charity clothing report WHICH --format csv` and `--xlsx PATH`,
and the report page's downloads (Excel to print, CSV for Excel); the list of people who have not
taken their item is personal data, so its export is in the audit log."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import AuditEvent
from core.auth import Role
from tests.clothing_exchange.conftest import SAMPLE
from tests.conftest import Cli, cli_ok


@pytest.fixture
def intake(cli: Cli) -> None:
    cli_ok(cli("clothing", "intake", str(SAMPLE), "--commit"))


def test_intake_report_as_csv(cli: Cli, intake: None) -> None:
    rows = list(
        csv.reader(io.StringIO(cli_ok(cli("clothing", "report", "intake", "--format", "csv"))))
    )
    assert rows[0] == ["月份", "来源楼院", "批次", "重量kg", "送回收kg", "分拣件数"]
    assert rows[-1][0] == "合计" and rows[-1][2] == "30" and rows[-1][5] == "4011"
    assert all(row[3].count(".") <= 1 for row in rows[1:])


def test_stock_report_as_a_printable_xlsx(cli: Cli, intake: None, tmp_path: Path) -> None:
    target = tmp_path / "库存.xlsx"
    out = cli_ok(cli("clothing", "report", "stock", "--xlsx", str(target)))
    assert "毛衣\tXXL\t冬" in out and f"已保存 {target}" in out
    sheet = load_workbook(target).worksheets[0]
    assert sheet.cell(1, 1).value == "爱心衣物库存"
    assert int(sheet.page_setup.paperSize) == 9 and sheet.print_title_rows
    values = [sheet.cell(r, 1).value for r in range(1, sheet.max_row + 1)]
    total = values.index("合计") + 1
    assert sheet.cell(total, 5).value == 4011 and sheet.cell(total, 5).font.b


def test_an_xlsx_path_that_is_not_xlsx_is_refused_before_any_work(cli: Cli, tmp_path: Path) -> None:
    result = cli("clothing", "report", "stock", "--xlsx", str(tmp_path / "库存.csv"))
    assert result.exit_code == 1 and ".xlsx 结尾" in result.output
    assert not (tmp_path / "库存.csv").exists()


@pytest.mark.parametrize(("which", "fmt"), [("intake", "xlsx"), ("given", "csv"), ("stock", "csv")])
def test_the_report_page_offers_downloads(
    client, login, intake: None, which: str, fmt: str
) -> None:
    login(Role.SUPERVISOR)
    page = client.get("/clothing/reports")
    assert f"/clothing/reports/{which}.{fmt}" in page.get_data(as_text=True)
    answer = client.get(f"/clothing/reports/{which}.{fmt}")
    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"] == "no-store"
    if fmt == "xlsx":
        assert answer.mimetype.endswith("spreadsheetml.sheet")
        load_workbook(io.BytesIO(answer.data))
    else:
        assert answer.mimetype == "text/csv" and answer.data.startswith(b"\xef\xbb\xbf")


def test_the_unused_list_download_is_audited(client, login, session: Session) -> None:
    login(Role.SUPERVISOR)
    answer = client.get("/clothing/reports/unused.csv")
    assert answer.status_code == 200
    events = session.scalars(select(AuditEvent).where(AuditEvent.kind == "export")).all()
    session.rollback()
    assert [e.subject for e in events] == ["clothing report unused"]


def test_unknown_reports_are_not_found(client, login) -> None:
    login(Role.SUPERVISOR)
    assert client.get("/clothing/reports/secret.xlsx").status_code == 404
    assert client.get("/clothing/reports/stock.pdf").status_code == 404


def test_cashiers_cannot_download_reports(client, login) -> None:
    login(Role.CASHIER)
    assert client.get("/clothing/reports/stock.xlsx").status_code in (302, 403)


def test_the_unused_list_from_the_command_line_is_audited(cli: Cli, session: Session) -> None:
    cli_ok(cli("clothing", "report", "unused", "--format", "csv"))
    events = session.scalars(select(AuditEvent).where(AuditEvent.kind == "export")).all()
    session.rollback()
    assert [(e.subject, e.detail) for e in events] == [
        ("clothing report unused", '{"format": "csv"}')
    ]
