"""What LibreOffice makes of the project's files (Debian's `libreoffice-calc-nogui`, as many district
offices use beside WPS and Excel):

- every xlsx export opened headless and printed to PDF (A4): the pages it should take, the header
  on every page, the last column on the same page as the first, no cell showing `###`; the PDFs
  are kept in the test artifacts (test-artifacts/libreoffice, or $CHARITY_TEST_ARTIFACTS);
- every CSV export opened: the same cells, no formula run;
- the bureau's roster (with some bad rows added) saved by LibreOffice as xlsx, xls, ods and CSV
  (UTF-8 and GBK) imports the same people, the same categories and the same invalid rows.

Skips, with the reason, when LibreOffice or poppler-utils is missing (a laptop without them runs
the README's `pytest` green); `.ci/run` installs both and sets CHARITY_REQUIRE_LIBREOFFICE=1, which
turns the skip into a failure.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from cards.services import roster_file
from cards.services.card_export import card_list_report
from cards.services.cards import CardEntry
from core.config import Settings
from core.export import Report, write_xlsx
from inventory.services.report_export import stock_warnings
from tests.cards.conftest import make_id
from tests.clothing_exchange.conftest import SAMPLE
from tests.conftest import ARTIFACTS, Cli, FakeClock, cli_ok

pytestmark = pytest.mark.libreoffice

DATA = Path(__file__).resolve().parent / "data"
PRODUCTS = Path(__file__).resolve().parent.parent / "inventory" / "demo_data" / "products.csv"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CATEGORIES = ("低保", "优抚", "特困")


@dataclass(frozen=True)
class Office:
    """LibreOffice headless with a profile of its own (two instances sharing one would clash)."""

    soffice: str
    profile: Path

    def convert(
        self, sources: list[Path], target: str, folder: Path, *, infilter: str | None = None
    ) -> list[Path]:
        """`sources` converted by LibreOffice to `target` (e.g. `pdf`, `xls:MS Excel 97`) into
        `folder`; the files made, in the order of `sources`."""
        folder.mkdir(parents=True, exist_ok=True)
        command = [
            self.soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={self.profile.as_uri()}",
        ]
        if infilter:
            command.append(f"--infilter={infilter}")
        command += ["--convert-to", target, "--outdir", str(folder), *map(str, sources)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        suffix = target.split(":")[0]
        made = [folder / f"{source.stem}.{suffix}" for source in sources]
        missing = [m.name for m in made if not m.exists()]
        assert not missing, (missing, result.stdout, result.stderr)
        return made


def _require(reason: str) -> None:
    if os.environ.get("CHARITY_REQUIRE_LIBREOFFICE"):
        pytest.fail(f"CHARITY_REQUIRE_LIBREOFFICE is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        _require("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        _require("poppler-utils is not installed (apt-get install poppler-utils)")
    assert soffice is not None
    return Office(soffice, tmp_path_factory.mktemp("libreoffice-profile"))


@pytest.fixture(scope="module")
def out() -> Path:
    folder = ARTIFACTS / "libreoffice"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pages(pdf: Path) -> list[str]:
    """The text of each page of `pdf`, laid out as printed."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    assert found is not None, info.stdout
    count = int(found.group(1))
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, count + 1)
    ]


# --- the exports ---------------------------------------------------------------------------


def _store(cli: Cli) -> None:
    """The bureau's roster with cards, and the sample clothing intake."""
    cli_ok(cli("beneficiaries", "import", str(DATA / "roster.xlsx"), "--commit"))
    cli_ok(cli("cards", "issue", "--all"))
    cli_ok(cli("clothing", "intake", str(SAMPLE), "--commit"))
    cli_ok(cli("products", "import", str(PRODUCTS), "--commit"))


def _hostile_card_list() -> Report:
    entries = [
        CardEntry(f"86000000000000{n:02d}", make_id(n), name, "低保", "active", 5000, "t")
        for n, name in enumerate(['=HYPERLINK("http://x","点我")', "+1+1", "@SUM(1)", "-1+2"])
    ]
    return card_list_report(
        entries, store="惠济区慈善超市", at=datetime(2026, 12, 1, tzinfo=UTC), tz=SHANGHAI
    )


# Each xlsx export: (file name, the pages it takes, the header cells that repeat on every page and
# the last column's title, which must print on the same page as the first).
EXPECTED = {
    "卡清单.xlsx": (5, ("卡号", "余额（元）")),
    "衣物入库.xlsx": (1, ("月份", "分拣件数")),
    "衣物发放.xlsx": (1, ("季度", "合计")),
    "尚未领取.xlsx": (5, ("姓名", "可领")),
    "衣物库存.xlsx": (2, ("种类", "库存")),
    "库存报表.xlsx": (1, ("条码", "预警库存")),
    "资金月报.xlsx": (3, ("类别", "期末余额")),
    "公式姓名.xlsx": (1, ("卡号", "余额（元）")),
}


def test_every_xlsx_export_prints_on_its_pages_without_hashes(
    office: Office, out: Path, cli: Cli, session: Session, settings: Settings, clock: FakeClock
) -> None:
    _store(cli)
    made = {
        "卡清单.xlsx": ("cards", "list"),
        "衣物入库.xlsx": ("clothing", "report", "intake"),
        "衣物发放.xlsx": ("clothing", "report", "given"),
        "尚未领取.xlsx": ("clothing", "report", "unused"),
        "衣物库存.xlsx": ("clothing", "report", "stock"),
    }
    for name, command in made.items():
        cli_ok(cli(*command, "--xlsx", str(out / name)))
    warnings = stock_warnings(session, settings, at=clock())
    session.rollback()
    write_xlsx(warnings, out / "库存报表.xlsx")
    cli_ok(cli("topup", "2026-11"))
    cli_ok(cli("report", "fund", "2026-11", "--xlsx", str(out / "资金月报.xlsx")))
    write_xlsx(_hostile_card_list(), out / "公式姓名.xlsx")
    sources = [out / name for name in EXPECTED]
    pdfs = office.convert(sources, "pdf", out)
    problems = []
    for pdf, (name, (expected_pages, (first, last))) in zip(pdfs, EXPECTED.items(), strict=True):
        texts = pages(pdf)
        if len(texts) != expected_pages:
            problems.append(f"{name}: {len(texts)} pages, expected {expected_pages}")
        for number, text in enumerate(texts, start=1):
            if "###" in text:
                problems.append(f"{name} page {number} shows ###")
            if name != "资金月报.xlsx" or number == 1:
                if first not in text or last not in text:
                    problems.append(f"{name} page {number} lacks the header {first}…{last}")
    assert problems == []
    hostile = "".join(pages(out / "公式姓名.pdf"))
    assert '=HYPERLINK("http://x","点我")' in hostile and "+1+1" in hostile  # shown, not run


def _opened(path: Path) -> list[list[str]]:
    book = load_workbook(path)
    return [
        ["" if v is None else str(v) for v in row]
        for row in book.worksheets[0].iter_rows(values_only=True)
    ]


def test_csv_exports_open_as_the_same_cells_and_run_no_formula(
    office: Office, out: Path, cli: Cli
) -> None:
    """Opened with its columns as text (LibreOffice's text import, 文本 for each column) the card
    list is cell for cell what was written; opened as a double-click does, with types guessed,
    LibreOffice (like Excel) turns the 16-digit card and 18-digit ID numbers into numbers and
    loses digits: the CSV is the scripts' contract, the xlsx export is for reading (its numbers
    are text). Either way no cell runs as a formula."""
    _store(cli)
    listing = cli_ok(cli("cards", "list", "--format", "csv"))
    (out / "卡清单.csv").write_text(listing, encoding="utf-8")
    (out / "公式.csv").write_text(
        'card_no,name\n8600000000000017,\'=HYPERLINK("http://x")\n', encoding="utf-8"
    )
    sources = [out / "卡清单.csv", out / "公式.csv"]
    as_text = "/".join(f"{n}/2" for n in range(1, 8))
    typed = office.convert(
        sources, "xlsx", out / "csv-as-text", infilter=f"CSV:44,34,76,1,{as_text}"
    )
    guessed = office.convert(sources, "xlsx", out / "csv-guessed", infilter="CSV:44,34,76,1")
    expected = list(csv.reader(io.StringIO(listing)))
    assert _opened(typed[0]) == expected and len(expected) == 201
    cells = _opened(guessed[0])
    assert [row[2:5] for row in cells] == [row[2:5] for row in expected]  # name, category, status
    for path in (*typed, *guessed):
        sheet = load_workbook(path).worksheets[0]
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row), path
    assert load_workbook(guessed[1]).worksheets[0]["B2"].value.endswith('=HYPERLINK("http://x")')


# --- the roster through LibreOffice's filters --------------------------------------------------


def _roster_with_bad_rows(path: Path) -> None:
    """The bureau's roster and five bad rows: an ID stored as a number, a wrong check digit, an
    unknown category, a duplicate ID, a missing name."""
    book = load_workbook(DATA / "roster.xlsx")
    sheet = book.worksheets[0]
    good = make_id(7, date(1970, 5, 6))
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    first_id = sheet.cell(2, 3).value
    for row in (
        [201, "数字号", 410108196001011234, "低保", "古荥镇", "古荥村", "13800000000", 1],
        [202, "错校验", wrong, "低保", "古荥镇", "古荥村", "13800000000", 1],
        [203, "五保户", make_id(8), "五保", "古荥镇", "古荥村", "13800000000", 1],
        [204, "重复人", first_id, "低保", "古荥镇", "古荥村", "13800000000", 1],
        [205, None, make_id(9), "特困", "古荥镇", "古荥村", "13800000000", 1],
    ):
        sheet.append(row)
    book.save(path)


def _reasons(errors: list[roster_file.RowError]) -> list[tuple[int, str]]:
    """Invalid rows, with the wording of an ID stored as a number (which quotes the value as the
    file holds it: a number, or the text a CSV has) made comparable."""
    return [
        (e.row, re.sub(r"身份证号[^；]*存成了数字[^；]*", "身份证号存成了数字", e.message))
        for e in errors
    ]


def test_the_roster_round_trips_through_every_libreoffice_filter(
    office: Office, out: Path, tmp_path: Path
) -> None:
    source = tmp_path / "名单.xlsx"
    _roster_with_bad_rows(source)
    expected_valid, expected_errors, _, _ = roster_file.read_roster(
        source.read_bytes(), source.name, categories=CATEGORIES, today=date(2026, 12, 1)
    )
    assert len(expected_valid) == 200 and [e.row for e in expected_errors] == [
        202,
        203,
        204,
        205,
        206,
    ]
    saved = {
        "xlsx": office.convert([source], "xlsx:Calc MS Excel 2007 XML", out / "roster-xlsx")[0],
        "xls": office.convert([source], "xls:MS Excel 97", out / "roster-xls")[0],
        "ods": office.convert([source], "ods:calc8", out / "roster-ods")[0],
        "UTF-8": office.convert(
            [source], "csv:Text - txt - csv (StarCalc):44,34,76,1", out / "roster-csv-utf8"
        )[0],
        "GBK": office.convert(
            [source], "csv:Text - txt - csv (StarCalc):44,34,67,1", out / "roster-csv-gbk"
        )[0],
    }
    for kind, path in saved.items():
        valid, errors, encoding, _ = roster_file.read_roster(
            path.read_bytes(), path.name, categories=CATEGORIES, today=date(2026, 12, 1)
        )
        assert encoding == kind, (kind, encoding)
        assert valid == expected_valid, kind
        assert sorted({v.category for v in valid}) == ["优抚", "低保", "特困"]
        assert _reasons(errors) == _reasons(expected_errors), kind


def test_the_gbk_filter_really_writes_gbk(office: Office, tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["姓名", "类别"])
    book.active.append(["张三", "低保"])
    book.save(tmp_path / "小.xlsx")
    (made,) = office.convert(
        [tmp_path / "小.xlsx"], "csv:Text - txt - csv (StarCalc):44,34,67,1", tmp_path / "gbk"
    )
    data = made.read_bytes()
    assert data.decode("gbk").startswith('"姓名","类别"')
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_without_libreoffice_the_test_skips_or_fails_as_told(monkeypatch) -> None:
    monkeypatch.delenv("CHARITY_REQUIRE_LIBREOFFICE", raising=False)
    with pytest.raises(pytest.skip.Exception, match="LibreOffice is not installed"):
        _require("LibreOffice is not installed")
    monkeypatch.setenv("CHARITY_REQUIRE_LIBREOFFICE", "1")
    with pytest.raises(pytest.fail.Exception, match="CHARITY_REQUIRE_LIBREOFFICE is set"):
        _require("LibreOffice is not installed")
