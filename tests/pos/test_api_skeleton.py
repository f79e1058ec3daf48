"""The API's error shape, unknown routes, malformed JSON, OpenAPI, health."""

import re

from flask.testing import FlaskClient
from openapi_spec_validator import validate

from core.errors import ERROR_CODES


def test_unknown_api_route_answers_the_error_shape(client: FlaskClient) -> None:
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.get_json() == {"error": {"code": "not_found", "message": "接口不存在"}}


def test_wrong_method_is_json_too(client: FlaskClient) -> None:
    answer = client.get("/api/v1/login")
    assert answer.status_code == 405
    assert answer.get_json()["error"]["code"] == "validation_error"


def test_malformed_json_is_a_validation_error(client: FlaskClient) -> None:
    answer = client.post("/api/v1/login", data="{not json", content_type="application/json")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == {
        "code": "validation_error",
        "message": "请求体不是有效的 JSON",
    }


def test_missing_and_extra_fields_are_named(client: FlaskClient) -> None:
    missing = client.post("/api/v1/login", json={"username": "a"})
    assert missing.status_code == 400
    assert "password" in missing.get_json()["error"]["message"]
    extra = client.post("/api/v1/login", json={"username": "a", "password": "b", "x": 1})
    assert "x" in extra.get_json()["error"]["message"]
    wrong_type = client.post("/api/v1/login", json={"username": 5, "password": "b"})
    assert "username" in wrong_type.get_json()["error"]["message"]


def test_openapi_document_is_valid_and_covers_every_operation(client: FlaskClient, app) -> None:
    doc = client.get("/api/openapi.json").get_json()
    validate(doc)
    assert "/api/v1/login" in doc["paths"]
    assert doc["paths"]["/api/v1/login"]["post"]["security"] == []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            assert path in doc["paths"], f"{rule.rule} missing from OpenAPI"
    assert doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"][
        "enum"
    ] == list(ERROR_CODES)


def test_health(client: FlaskClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json()["status"] == "ok"


def test_unknown_page_is_a_chinese_404(client: FlaskClient) -> None:
    answer = client.get("/no-such-page")
    assert answer.status_code == 404 and "页面不存在" in answer.get_data(as_text=True)
