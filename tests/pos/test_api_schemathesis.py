"""Property-based check of the whole JSON API against its own OpenAPI document (schemathesis,
in-process, derandomized): for generated valid and invalid requests to every operation, no 5xx
(the test app re-raises unexpected errors), every answer matches its documented schema, a request
outside the schema is refused, and every refusal is the contract's `{"error": {"code",
"message"}}` with a contract code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from core.auth import Role
from core.errors import ERROR_CODES
from tests.pos.conftest import Store

pytestmark = pytest.mark.slow

EXAMPLES = 25  # per operation, mode and kind of path

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("paths", ["generated", "existing"])
def test_every_operation_answers_its_schema(
    app: Flask, store: Store, api_token: Callable[..., str], mode: GenerationMode, paths: str
) -> None:
    bearer = {"Authorization": f"Bearer {api_token(Role.SUPERVISOR)}"}
    client = app.test_client()
    sale = client.post(
        "/api/v1/sales",
        headers=bearer,
        json={
            "client_ref": "schemathesis",
            "lines": [{"barcode": store.rice.barcode, "qty": 2}],
            "payments": [{"method": "cash", "amount": "100.00"}],
        },
    )
    assert sale.status_code == 201
    # With "existing", path parameters name rows that exist, so that bodies reach the services.
    known = {
        "barcode": store.rice.barcode,
        "card_no": store.card.card_no,
        "sale_no": sale.get_json()["sale_no"],
        "shift_id": 1,
        "held_id": 1,
        "adjustment_id": 1,
        "token": store.card.qr_token,
        "month": "2026-11",
    }
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/v1/logout":
            continue  # it would revoke the token the other examples use
        names = [p.name for p in operation.path_parameters]
        if paths == "existing" and not names:
            continue
        fixed = {n: known[n] for n in names} if paths == "existing" else None

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call_and_validate(headers=bearer, checks=CHECKS)
            if response.status_code >= 400:
                error = response.json()["error"]
                assert error["code"] in ERROR_CODES and error["message"], response.text

        run()
        tried += 1
    assert tried >= (25 if paths == "generated" else 14)
