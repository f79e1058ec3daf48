"""Catalog import: the shared products.csv, bad rows named by row number, all or nothing,
re-import as dated price changes, .xlsx and English headers."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.money import Money
from inventory.models import Product, ProductPrice, StockMovement
from inventory.services.products import get_product
from inventory.services.stock import verify_stock
from tests.conftest import cli_ok

SHARED = Path("/work/shared/data/products.csv")
BUNDLED = Path(__file__).parents[2] / "inventory" / "demo_data" / "products.csv"
HEADER = "条码,品名,规格,单位,分类,标价,慈善折扣率,来源,库存,预警库存\n"


def catalog() -> Path:
    return BUNDLED if BUNDLED.exists() else SHARED


def write(tmp_path: Path, text: str, name: str = "c.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def count(session: Session, model: Any) -> int:
    """Count rows, then end the read (SQLite's BEGIN IMMEDIATE would block the CLI's writes)."""
    n = session.scalar(select(func.count()).select_from(model)) or 0
    session.rollback()
    return n


def test_preview_writes_nothing_then_commit_imports_all(cli: Any, session: Session) -> None:
    out = cli_ok(cli("products", "import", str(catalog())))
    assert "300 行商品" in out and "新增 300 个商品" in out and "--commit" in out
    assert count(session, Product) == 0
    out = cli_ok(cli("products", "import", str(catalog()), "--commit"))
    assert "新增 300 个" in out
    assert count(session, Product) == 300
    pads = get_product(session, "6987013843296")
    assert pads is not None and pads.name == "雕牌成人纸尿裤" and pads.spec == "L码10片"
    assert pads.list_price == Money.parse("43.10") and pads.charity_price == Money.parse("40.95")
    assert pads.stock == Decimal(117) and pads.reorder_level == Decimal(10)
    oil = get_product(session, "6905740885761")
    assert oil is not None and oil.discount_rate == Decimal("0.08") and oil.source == "donated"
    receipts = session.scalar(
        select(func.count()).select_from(StockMovement).where(StockMovement.kind == "receipt")
    )
    with_stock = [
        line
        for line in catalog().read_text(encoding="utf-8").splitlines()[1:]
        if line.split(",")[8] not in ("", "0")
    ]
    assert receipts == len(with_stock) > 250
    assert verify_stock(session).ok


def test_reimport_identical_changes_nothing_and_price_change_is_dated(
    cli: Any, session: Session, tmp_path: Path, clock: Any
) -> None:
    cli_ok(cli("products", "import", str(catalog()), "--commit"))
    prices_before = count(session, ProductPrice)
    movements_before = count(session, StockMovement)
    out = cli_ok(cli("products", "import", str(catalog()), "--commit"))
    assert "新增 0 个，变更 0 个，无变化 300 个" in out
    assert count(session, ProductPrice) == prices_before
    assert count(session, StockMovement) == movements_before
    text = (
        catalog()
        .read_text(encoding="utf-8")
        .replace(
            "6987013843296,雕牌成人纸尿裤,L码10片,包,护理,43.10,0.05",
            "6987013843296,雕牌成人纸尿裤,L码10片,包,护理,45.00,0.10",
        )
    )
    clock.advance(days=1)
    out = cli_ok(cli("products", "import", str(write(tmp_path, text))))
    assert "变更 1 个" in out and "43.10 → 45.00" in out
    cli_ok(cli("products", "import", str(write(tmp_path, text)), "--commit"))
    session.expire_all()
    pads = get_product(session, "6987013843296")
    assert pads is not None and pads.charity_price == Money.parse("40.50")
    assert pads.stock == Decimal(117)  # stock is not re-imported
    rows = session.scalars(
        select(ProductPrice).where(ProductPrice.product_id == pads.id).order_by(ProductPrice.id)
    ).all()
    assert [r.list_price_fen for r in rows] == [4310, 4500]
    assert rows[1].effective_at == clock() and "目录导入" in rows[1].reason


def test_every_bad_row_named_and_nothing_written(
    cli: Any, session: Session, tmp_path: Path
) -> None:
    text = HEADER + (
        "6987013843296,好商品,1袋,袋,粮油,10.00,0.05,采购,5,1\n"  # row 2: fine
        "6987013843297,校验位错,1袋,袋,粮油,10.00,0.05,采购,5,1\n"  # row 3
        "6985430337657,折扣太大,1袋,袋,粮油,10.00,0.20,采购,5,1\n"  # row 4
        "6915833545335,负价,1袋,袋,粮油,-1.00,0.05,采购,5,1\n"  # row 5
        "6905740885761,非数字,1袋,袋,粮油,十元,0.05,采购,5,1\n"  # row 6
        "6987013843296,重复,1袋,袋,粮油,10.00,0.05,采购,5,1\n"  # row 7
    )
    for args in ((), ("--commit",)):
        result = cli("products", "import", str(write(tmp_path, text)), *args)
        assert result.exit_code == 1, result.output
        err = result.stderr
        assert "发现 5 行无效" in err
        assert "第 3 行" in err and "校验位" in err
        assert "第 4 行" in err and "超出允许范围" in err
        assert "第 5 行" in err and "负数" in err
        assert "第 6 行" in err and "十元" in err
        assert "第 7 行" in err and "与第 2 行重复" in err
        assert "第 2 行" not in err.replace("与第 2 行", "")
        assert "Traceback" not in result.output
    assert count(session, Product) == 0


def test_missing_columns_named(cli: Any, tmp_path: Path) -> None:
    result = cli("products", "import", str(write(tmp_path, "条码,品名\n6987013843296,x\n")))
    assert result.exit_code == 1 and "缺少列" in result.stderr and "标价" in result.stderr


def test_gbk_csv_and_english_headers(cli: Any, session: Session, tmp_path: Path) -> None:
    text = "barcode,name,spec,unit,category,list_price,discount_rate,source,stock,reorder_level\n"
    text += "6987013843296,金龙鱼大米,5kg,袋,粮油,29.90,8%,donated,3,1\n"
    cli_ok(cli("products", "import", str(write(tmp_path, text, "e.csv", "gbk")), "--commit"))
    p = get_product(session, "6987013843296")
    assert p is not None and p.name == "金龙鱼大米" and p.discount_rate == Decimal("0.08")
    movement = session.scalar(select(StockMovement).where(StockMovement.product_id == p.id))
    assert movement is not None and movement.donor == "目录导入"


def test_xlsx_import_with_numeric_cells(cli: Any, session: Session, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append([6987013843296, "鲁花花生油", "5L", "桶", "粮油", 43.1, 0.05, "采购", 12, 2])
    sheet.append(["6985430337657", "散装大米", "", "kg", "粮油", "5.98", "", "采购", "", ""])
    path = tmp_path / "c.xlsx"
    book.save(path)
    out = cli_ok(cli("products", "import", str(path), "--commit"))
    assert "新增 2 个" in out
    oil = get_product(session, "6987013843296")
    assert oil is not None and oil.list_price_fen == 4310 and oil.stock == Decimal(12)
    rice = get_product(session, "6985430337657")
    assert rice is not None and rice.discount_rate == Decimal("0.05") and rice.stock_milli == 0


def test_default_rate_by_category_when_blank(
    cli: Any, session: Session, tmp_path: Path, settings: Any
) -> None:
    cli.settings = settings.with_overrides(discount={"by_category": {"粮油": "0.07"}})
    text = HEADER + "6987013843296,米,5kg,袋,粮油,10.00,,采购,0,0\n"
    cli_ok(cli("products", "import", str(write(tmp_path, text)), "--commit"))
    p = get_product(session, "6987013843296")
    assert p is not None and p.discount_rate == Decimal("0.07")


@pytest.mark.parametrize("name", ["nope.csv"])
def test_missing_file_is_refused_naming_it(cli: Any, name: str) -> None:
    # The command was used rightly; the file is wrong: a refusal (exit 1), not a usage error.
    result = cli("products", "import", name)
    assert result.exit_code == 1 and name in result.output
