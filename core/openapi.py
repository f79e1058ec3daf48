"""The OpenAPI 3.1 document, built from the operations that `ApiBlueprint` recorded."""

from __future__ import annotations

from typing import Any

from flask import Flask
from pydantic import BaseModel

from core.errors import ERROR_CODES
from core.web import Operation, api_operations

_REF = "#/components/schemas/{model}"


def _schema(model: type[BaseModel], components: dict[str, Any], mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=_REF, mode=mode)  # type: ignore[arg-type]
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": _REF.format(model=model.__name__)}


def _parameters(op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for part in op.path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            params.append(
                {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            )
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=_REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    return params


def build_openapi(app: Flask, *, title: str, version: str) -> dict[str, Any]:
    components: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "enum": list(ERROR_CODES)},
                        "message": {"type": "string"},
                        "details": {"type": "object"},
                    },
                }
            },
        }
    }
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(api_operations(app), key=lambda o: (o.path, o.method)):
        error_ref = {"$ref": "#/components/schemas/Error"}
        success = {
            "content": {
                "application/json": {
                    "schema": _schema(op.response, components, "serialization")
                    if op.response
                    else {"type": "object"}
                }
            },
        }
        responses: dict[str, Any] = {
            str(status): {"description": "成功", **success} for status in (op.status, *op.also)
        }
        responses["4XX"] = {
            "description": "请求被拒绝：" + ", ".join(op.errors or ("validation_error",)),
            "content": {"application/json": {"schema": error_ref}},
        }
        entry: dict[str, Any] = {
            "operationId": op.endpoint.replace(".", "_"),
            "summary": op.summary,
            "tags": [op.tag],
            "responses": responses,
        }
        params = _parameters(op, components)
        if params:
            entry["parameters"] = params
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": _schema(op.body, components, "validation")}
                },
            }
        if op.roles is None:
            entry["security"] = []
        elif op.roles:
            entry["description"] = "需要角色：" + ", ".join(op.roles)
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
