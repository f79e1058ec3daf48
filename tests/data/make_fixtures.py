"""How the spreadsheet fixtures of tests/data were made (run it to make them again; needs
LibreOffice's `soffice`): the bureau's roster and an awkward workbook (an ID stored as a number, a
date, a time, a formula, a yes/no cell, a comment, a blank row, names with invisible characters),
each saved by LibreOffice as .xlsx, .xls and .ods, the files the reader must read alike; the
shipped catalog and clothing intake opened by LibreOffice from CSV and saved as .ods and .xls.

    python tests/data/make_fixtures.py

encrypted.xlsx is awkward.xlsx with the password "secret", made once with msoffcrypto-tool 6.1
(`OOXMLFile(source).encrypt("secret", target)`), which is not a dependency of the project.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment

HERE = Path(__file__).resolve().parent


def awkward_workbook(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet.append(["序号", "姓名", "身份证号", "类别", "日期", "重量kg", "是否", "备注"])
    sheet.append(
        [1, "\u202e张三云", 410108196001011234, "低保", date(2026, 1, 5), 12.5, True, "甲"]
    )
    sheet.append([])
    sheet.append(
        [
            2,
            "李\u200b四",
            "410108196001010012",
            "优抚",
            datetime(2026, 1, 5, 10, 30),
            "=2*3",
            False,
            "多行\n文字",
        ]
    )
    sheet.append([3, "王五\u00ad", "41010819600101002X", "特困", "2026-01-05", 0.1, None, None])
    sheet["B2"].comment = Comment("批注不是单元格的内容", "测试")
    sheet["E2"].number_format = "yyyy-mm-dd"
    sheet["E4"].number_format = "yyyy-mm-dd hh:mm"
    book.save(path)


def main() -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit("needs LibreOffice: apt-get install libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        awkward_workbook(folder / "awkward_source.xlsx")
        shutil.copy(HERE / "roster.xlsx", folder / "roster_source.xlsx")
        for stem in ("awkward", "roster"):
            for suffix, target in (
                ("xlsx", "Calc MS Excel 2007 XML"),
                ("xls", "MS Excel 97"),
                ("ods", "calc8"),
            ):
                subprocess.run(
                    [
                        soffice,
                        "--headless",
                        f"-env:UserInstallation=file://{folder}/profile",
                        "--convert-to",
                        f"{suffix}:{target}",
                        "--outdir",
                        str(folder / suffix),
                        str(folder / f"{stem}_source.xlsx"),
                    ],
                    check=True,
                    capture_output=True,
                )
                made = folder / suffix / f"{stem}_source.{suffix}"
                name = f"{stem}_lo.{suffix}" if stem == "roster" else f"awkward.{suffix}"
                shutil.copy(made, HERE / name)
        root = HERE.parent.parent
        for source, stem in (
            (root / "inventory/demo_data/products.csv", "products"),
            (root / "clothing_exchange/demo_data/clothing_intake.csv", "clothing_intake"),
        ):
            for suffix, target in (("xls", "MS Excel 97"), ("ods", "calc8")):
                subprocess.run(
                    [
                        soffice,
                        "--headless",
                        f"-env:UserInstallation=file://{folder}/profile",
                        "--infilter=CSV:44,34,76,1",
                        "--convert-to",
                        f"{suffix}:{target}",
                        "--outdir",
                        str(folder / suffix),
                        str(source),
                    ],
                    check=True,
                    capture_output=True,
                )
                shutil.copy(
                    folder / suffix / f"{source.stem}.{suffix}", HERE / f"{stem}_lo.{suffix}"
                )


if __name__ == "__main__":
    main()
