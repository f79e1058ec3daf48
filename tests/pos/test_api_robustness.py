"""Bad input to the JSON API: a 4xx in the contract's error shape that names what is wrong, and
nothing written. Each test here is a bug found by fuzzing (schemathesis) or by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.auth import Role
from core.errors import ERROR_CODES
from core.money import MoneyError
from pos.models import HeldSale, Sale, Shift
from tests.pos.conftest import Store


def refused(answer: Any, status: int = 400, code: str = "validation_error") -> str:
    """Assert the contract's error shape and return the message."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    body = answer.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code and code in ERROR_CODES
    message = body["error"]["message"]
    assert message and "Input should" not in message and "Field required" not in message
    return str(message)


def count(session: Session, model: Any) -> int:
    session.rollback()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def sale_body(store: Store, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_ref": str(uuid4()),
        "lines": [{"barcode": store.rice.barcode, "qty": 1}],
        "payments": [{"method": "cash", "amount": "10.00"}],
    }
    body.update(over)
    return body


# --- the body itself ------------------------------------------------------------------------


def test_deeply_nested_json_is_refused_not_a_500(client: FlaskClient) -> None:
    # was: RecursionError in the JSON decoder -> 500, on the public login call
    for raw in ("[" * 100_000 + "]" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000):
        answer = client.post("/api/v1/login", data=raw, content_type="application/json")
        assert "嵌套太深" in refused(answer)
    shallow_but_deep = '{"username": ' + "[" * 50 + "]" * 50 + ', "password": "x"}'
    answer = client.post("/api/v1/login", data=shallow_but_deep, content_type="application/json")
    assert "嵌套太深" in refused(answer)


def test_missing_body_and_wrong_content_type_say_so(client: FlaskClient) -> None:
    assert "缺少请求体" in refused(client.post("/api/v1/login"))
    answer = client.post(
        "/api/v1/login", data='{"username": "a", "password": "b"}', content_type="text/plain"
    )
    assert "Content-Type: application/json" in refused(answer)
    answer = client.post("/api/v1/login", data="null", content_type="application/json")
    assert refused(answer) == "字段 请求：应为对象"


def test_nul_characters_are_refused_everywhere(
    api: Callable[..., Any], store: Store, session: Session
) -> None:
    # was: PostgreSQL refuses NUL in text -> DataError -> 500
    cashier = api(Role.CASHIER)
    body = sale_body(store, client_ref="ref\x00")
    assert "client_ref" in refused(cashier.post("/api/v1/sales", json=body))
    body = sale_body(store, lines=[{"barcode": "69\x0001", "qty": 1}])
    assert "lines[0].barcode" in refused(cashier.post("/api/v1/sales", json=body))
    assert "barcode" in refused(cashier.get("/api/v1/products/69%0001"))
    assert "q" in refused(cashier.get("/api/v1/products?q=%00"))
    assert count(session, Sale) == 0


def test_lone_surrogates_get_a_chinese_message_naming_the_field(
    api: Callable[..., Any], store: Store
) -> None:
    raw = '{"lines": [{"barcode": "\\ud800", "qty": 1}]}'
    answer = api(Role.CASHIER).post("/api/v1/quote", data=raw, content_type="application/json")
    message = refused(answer)
    assert "lines[0].barcode" in message and "字符" in message


def test_huge_integers_are_refused_not_a_500(
    api: Callable[..., Any], store: Store, session: Session
) -> None:
    # was: "Python int too large to convert to SQLite INTEGER" -> 500
    supervisor = api(Role.SUPERVISOR)
    huge = "9" * 40
    assert "held_id" in refused(supervisor.post(f"/api/v1/held/{huge}/resume"))
    assert "held_id" in refused(supervisor.delete(f"/api/v1/held/{huge}"))
    assert "shift_id" in refused(supervisor.get(f"/api/v1/shifts/{huge}"))
    body = sale_body(store, proxy_id=10**30)
    assert "proxy_id" in refused(supervisor.post("/api/v1/sales", json=body))
    assert count(session, Sale) == 0


def test_huge_amounts_are_refused_and_nothing_is_written(
    api: Callable[..., Any], store: Store, session: Session
) -> None:
    # was: change_fen beyond BIGINT -> OverflowError / NumericValueOutOfRange -> 500
    body = sale_body(store, payments=[{"method": "cash", "amount": "99999999999999999999.00"}])
    message = refused(api(Role.CASHIER).post("/api/v1/sales", json=body))
    assert "payments[0].amount" in message and "1000000.00" in message
    assert count(session, Sale) == 0 and count(session, Shift) == 0


# --- types: JSON has them -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"lines": [{"barcode": "6901234567892", "qty": True}]}, "lines[0].qty"),
        ({"proxy_id": False}, "proxy_id"),
        ({"proxy_id": "1"}, "proxy_id"),
        ({"lines": [{"barcode": "6901234567892", "qty": 1.5}]}, "lines[0].qty"),
    ],
)
def test_wrong_json_types_are_not_coerced(
    api: Callable[..., Any], store: Store, session: Session, over: dict[str, Any], field: str
) -> None:
    # was: `"qty": true` sold one item, `"proxy_id": false` was proxy 0 (lax coercion)
    message = refused(api(Role.CASHIER).post("/api/v1/sales", json=sale_body(store, **over)))
    assert message.startswith(f"字段 {field}：应为")
    assert count(session, Sale) == 0


def test_a_boolean_field_wants_a_boolean(api: Callable[..., Any], store: Store) -> None:
    answer = api(Role.SUPERVISOR).post(
        "/api/v1/sales/20261231-01-000001/refund", json={"reason": "x", "void": 0}
    )
    assert refused(answer) == "字段 void：应为 true 或 false"


def test_union_errors_name_the_field_once(api: Callable[..., Any], store: Store) -> None:
    # was: "字段 lines[0].qty.int：Input should be ... （另有 1 处错误）"
    body = {"lines": [{"barcode": store.rice.barcode, "qty": [1]}]}
    message = refused(api(Role.CASHIER).post("/api/v1/quote", json=body))
    assert message == "字段 lines[0].qty：应为文本或整数"


def test_query_strings_get_chinese_messages(api: Callable[..., Any]) -> None:
    cashier = api(Role.CASHIER)
    assert refused(cashier.get("/api/v1/products?limit=0")) == "字段 limit：应大于或等于 1"
    assert refused(cashier.get("/api/v1/products?limit=abc")) == "字段 limit：应为整数"
    assert refused(cashier.get("/api/v1/products?clothing=maybe")) == (
        "字段 clothing：应为 true 或 false"
    )
    assert refused(cashier.get("/api/v1/products?limit=9999999999999999999999")).startswith(
        "字段 limit："
    )


def test_shift_counts_refuse_a_fraction_in_chinese(api: Callable[..., Any]) -> None:
    cashier = api(Role.CASHIER)
    assert cashier.post("/api/v1/shifts", json={}).status_code == 201
    answer = cashier.post("/api/v1/shifts/current/close", json={"counts": {"100.00": 1.5}})
    assert refused(answer) == "字段 counts.100.00：应为整数"


def test_held_sale_refusal_writes_nothing(
    api: Callable[..., Any], store: Store, session: Session
) -> None:
    body = {"lines": [{"barcode": store.rice.barcode, "qty": 1}], "label": "桌\x00号"}
    refused(api(Role.CASHIER).post("/api/v1/held", json=body))
    assert count(session, HeldSale) == 0 and count(session, Shift) == 0


# --- methods and the last-resort handlers ---------------------------------------------------


def test_method_not_allowed_lists_the_allowed_methods(client: FlaskClient) -> None:
    # was: the JSON 405 dropped werkzeug's Allow header (RFC 9110)
    answer = client.open("/api/v1/sales", method="TRACE")
    refused(answer, 405)
    assert "POST" in answer.headers["Allow"]


def test_parse_errors_below_the_models_are_validation_errors(app: Flask) -> None:
    """MoneyError, OverflowError and Decimal overflow that slip past a model answer 400."""
    from decimal import Decimal

    def money() -> Any:
        raise MoneyError("金额格式不正确：'x'")

    def overflow() -> Any:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    def decimal_overflow() -> Any:
        return str(Decimal("1e999999") * 10_000)

    app.add_url_rule("/api/v1/_test/money", view_func=money)
    app.add_url_rule("/api/v1/_test/overflow", view_func=overflow)
    app.add_url_rule("/api/v1/_test/decimal", view_func=decimal_overflow)
    client = app.test_client()
    assert refused(client.get("/api/v1/_test/money")) == "金额格式不正确：'x'"
    assert "超出范围" in refused(client.get("/api/v1/_test/overflow"))
    assert "超出范围" in refused(client.get("/api/v1/_test/decimal"))


def test_a_replayed_sale_answers_a_documented_200(
    client: FlaskClient, api: Callable[..., Any], store: Store
) -> None:
    # was: the replay's 200 was missing from the OpenAPI document (schemathesis ST103)
    cashier = api(Role.CASHIER)
    body = sale_body(store)
    first = cashier.post("/api/v1/sales", json=body)
    again = cashier.post("/api/v1/sales", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["sale_no"] == first.get_json()["sale_no"]
    responses = client.get("/api/openapi.json").get_json()["paths"]["/api/v1/sales"]["post"][
        "responses"
    ]
    assert responses["200"] == responses["201"]
    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SaleOut")
