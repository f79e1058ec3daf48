"""`charity store add|list` and store 01 made by `charity init` from the [store] section."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from core.stores import Store, ensure_first_store, list_stores
from tests.conftest import FakeClock


def test_init_makes_store_01_from_the_config_once(cli, session: Session) -> None:
    first = cli("init")
    assert first.exit_code == 0, first.output
    assert "已按 [store] 配置建立门店 01" in first.output
    again = cli("init")
    assert again.exit_code == 0 and "建立门店" not in again.output
    session.rollback()
    assert [(s.code, s.name) for s in list_stores(session)] == [("01", "惠济区慈善超市")]


def test_add_and_list_stores(cli) -> None:
    cli("init")
    added = cli(
        "store", "add", "02", "--name", "二号店", "--address", "文化路 8 号", "--phone", "0371-1"
    )
    assert added.exit_code == 0 and "已添加门店 02：二号店" in added.output
    listed = cli("store", "list", "--format", "json")
    assert listed.exit_code == 0
    stores = json.loads(listed.output)
    assert [s["code"] for s in stores] == ["01", "02"]
    assert stores[1] == {
        "code": "02",
        "name": "二号店",
        "address": "文化路 8 号",
        "phone": "0371-1",
        "hours": "",
    }
    table = cli("store", "list")
    assert "二号店" in table.output and "惠济区慈善超市" in table.output


def test_bad_store_input_is_refused_naming_it(cli, session: Session) -> None:
    cli("init")
    for args, says in [
        (("store", "add", "2", "--name", "x"), "两位数字"),
        (("store", "add", "ab", "--name", "x"), "两位数字"),
        (("store", "add", "01", "--name", "重复"), "已存在"),
        (("store", "add", "03", "--name", "  "), "名称不能为空"),
    ]:
        result = cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert says in result.output
        assert "Traceback" not in result.output
    session.rollback()
    assert session.query(Store).count() == 1


def test_ensure_first_store_does_nothing_when_a_store_exists(
    session: Session, clock: FakeClock
) -> None:
    from core.config import StoreSettings

    made = ensure_first_store(session, StoreSettings(), at=clock())
    assert made is not None and made.code == "01"
    assert ensure_first_store(session, StoreSettings(name="别的"), at=clock()) is None
