"""The clothing JSON API: stock by kind, size and season, for supervisors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.auth import Role
from tests.clothing_exchange.conftest import SAMPLE
from tests.conftest import Cli, cli_ok


def test_stock_api(api: Callable[..., Any], cli: Cli) -> None:
    cli_ok(cli("clothing", "intake", str(SAMPLE), "--commit"))
    answer = api(Role.SUPERVISOR).get("/api/v1/clothing/stock")
    assert answer.status_code == 200
    assert answer.get_json()["total"] == 4011
    assert api(Role.CASHIER).get("/api/v1/clothing/stock").status_code == 403
