"""Prices, receipts, counts and write-offs from the command line; `ledger verify` checks stock."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.config import ConfigError, Settings, load_settings
from core.money import Money
from inventory.models import StockMovement
from tests.conftest import cli_ok

CSV = (
    "条码,品名,规格,单位,分类,标价,慈善折扣率,来源,库存,预警库存\n"
    "6985430337657,鲁花菜籽油,1.8L,瓶,粮油,30.30,0.05,采购,16,10\n"
)


@pytest.fixture
def catalog(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(CSV, encoding="utf-8")
    cli_ok(cli("products", "import", str(path), "--commit"))


@pytest.mark.usefixtures("catalog")
def test_stock_commands(cli: Any) -> None:
    out = cli_ok(
        cli(
            "products", "receive", "6985430337657", "4", "--cost", "25.00", "--supplier", "粮油公司"
        )
    )
    assert "现库存 20" in out
    out = cli_ok(cli("products", "count", "6985430337657", "18", "--reason", "破损"))
    assert "差异 -2" in out
    out = cli_ok(cli("products", "writeoff", "6985430337657", "3", "--reason", "过期"))
    assert "现库存 15" in out
    out = cli_ok(cli("products", "set-price", "6985430337657", "--rate", "0.10"))
    assert "慈善价 ￥27.27" in out
    out = cli_ok(cli("products", "show", "6985430337657"))
    assert "报损" in out and "盘点调整" in out and "入库" in out


@pytest.mark.usefixtures("catalog")
def test_donation_through_the_receiving_service(cli: Any, session: Session) -> None:
    out = cli_ok(
        cli("products", "receive", "6985430337657", "2", "--donor", "爱心企业", "--value", "60.60")
    )
    assert "现库存 18" in out
    m = session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert m is not None and m.donor == "爱心企业" and m.reason == "捐赠入库"
    assert m.estimated_value == Money.parse("60.60") and m.unit_cost is None
    session.rollback()
    result = cli("products", "receive", "6985430337657", "1", "--value", "5.00")
    assert result.exit_code == 1 and "捐赠" in result.stderr  # a purchase has no estimated value


@pytest.mark.usefixtures("catalog")
def test_refusals_exit_1_with_a_message(cli: Any) -> None:
    for args, word in [
        (("receive", "6900000000000", "1"), "6900000000000"),
        (("receive", "6985430337657", "1.5"), "整数"),
        (("writeoff", "6985430337657", "abc", "--reason", "x"), "abc"),
        (("set-price", "6985430337657", "--rate", "0.5"), "超出允许范围"),
        (("set-price", "6985430337657", "--price", "-1"), "负数"),
    ]:
        result = cli("products", *args)
        assert result.exit_code == 1, (args, result.output)
        assert word in result.stderr and "Traceback" not in result.output


@pytest.mark.usefixtures("catalog")
def test_ledger_verify_checks_stock(cli: Any, session: Session) -> None:
    result = cli("ledger", "verify")
    assert "库存：1 个商品" in result.output
    session.execute(text("UPDATE product SET stock_milli = 1"))
    session.commit()
    result = cli("ledger", "verify")
    assert result.exit_code == 1 and "6985430337657" in result.stderr


def test_instore_prefix_may_not_be_a_scale_prefix(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[inventory]\nscale_prefixes = ["20", "29"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="instore_prefix"):
        load_settings(path, environ={})
    assert Settings().inventory.instore_prefix not in Settings().inventory.scale_prefixes
