"""`charity cards list --xlsx PATH`: the card list as a printable Excel file, beside the table or
the contract's csv."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from tests.pos.cli.contract import ON_SQLITE_ONLY, Seed, charity

pytestmark = ON_SQLITE_ONLY


def test_cards_list_xlsx(store_copy: tuple[Path, dict[str, str]], seed: Seed) -> None:
    folder, env = store_copy
    target = folder / "卡清单.xlsx"
    result = charity("cards", "list", "--xlsx", str(target), cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    assert f"已保存 {target}" in result.stdout
    sheet = load_workbook(target).worksheets[0]
    column_a = [sheet.cell(r, 1).value for r in range(1, sheet.max_row + 1)]
    assert column_a[0] == "慈善购物卡清单"
    assert seed.names["frozen"] in column_a
    assert int(sheet.page_setup.paperSize) == 9 and sheet.freeze_panes
    audit = charity("audit", "--kind", "export", "--format", "json", cwd=folder, env=env)
    if audit.returncode == 0:  # `charity audit` lands with issue [11]
        assert "cards list" in audit.stdout


def test_cards_list_csv_with_xlsx_keeps_stdout_the_contract_s(
    store_copy: tuple[Path, dict[str, str]],
) -> None:
    folder, env = store_copy
    target = folder / "卡清单.xlsx"
    result = charity("cards", "list", "--format", "csv", "--xlsx", str(target), cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("card_no,id_number,name,category,status,balance,qr_url\n")
    assert target.exists()


def test_cards_list_xlsx_refuses_another_suffix(store_copy: tuple[Path, dict[str, str]]) -> None:
    folder, env = store_copy
    result = charity("cards", "list", "--xlsx", str(folder / "卡.csv"), cwd=folder, env=env)
    assert result.returncode == 1 and ".xlsx 结尾" in result.stderr
