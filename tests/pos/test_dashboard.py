"""The back-office home shows each role the figures it watches."""

from __future__ import annotations

import uuid

from core.auth import Role


def test_supervisor_sees_todays_sales_and_stock_warnings(client, login, api, store) -> None:
    api(Role.CASHIER).post(
        "/api/v1/sales",
        json={
            "client_ref": str(uuid.uuid4()),
            "card_no": store.card.card_no,
            "lines": [{"barcode": store.rice.barcode, "qty": 2}],
            "payments": [{"method": "card", "amount": "19.00"}],
        },
    )
    login(Role.SUPERVISOR)
    page = client.get("/office").get_data(as_text=True)
    assert "今日销售" in page and "1 笔 · ￥19.00" in page
    assert "爱心衣物库存" in page and "20 件" in page
    assert "救助对象（在册）" not in page  # the bureau's figures are not the store's


def test_bureau_sees_people_cards_and_topups(client, login, store) -> None:
    login(Role.BUREAU)
    page = client.get("/office").get_data(as_text=True)
    assert "救助对象（在册）" in page and "2 人" in page
    assert "有效卡 / 挂失卡" in page and "2 / 0 张" in page
    assert "今日销售" not in page


def test_admin_sees_everything(client, login, store) -> None:
    login(Role.ADMIN)
    page = client.get("/office").get_data(as_text=True)
    assert "今日销售" in page and "救助对象（在册）" in page and "收银台" in page
