"""Reading what people post through pydantic, the one way for every package's pages: a page's
form goes through a model (`read_form`), and a refusal is a `core.errors.ValidationError` whose
Chinese message names the field, as the API's (`core.web.describe_validation_error`) does.

    class ProxyForm(FormModel):
        name: str = ""
        phone: str | None = None

    form = read_form(ProxyForm, request.form)     # csrf_token ignored, a blank phone is None

A page that takes the API's own model (an `ApiModel`, which refuses unknown fields) reads its
form the same way: `read_form` hands the model only the fields it declares.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo

from core.errors import ValidationError
from core.web import describe_validation_error

M = TypeVar("M", bound=BaseModel)


class FormModel(BaseModel):
    """Base of a page's own form: text as typed with its surrounding spaces dropped; fields the
    page posts beside the model's (the CSRF token, the button pressed) are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _admits_none(field: FieldInfo) -> bool:
    annotation = field.annotation
    if annotation is None or annotation is Any:
        return True
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


def form_fields(model: type[BaseModel], form: Mapping[str, object]) -> dict[str, object]:
    """What of a posted `form` (a `request.form`, a dict) goes to `model`: the first value of
    each field the model declares, other names left out. A field left blank is a field not
    filled in: it takes its default (None for an optional field); a required field keeps its
    blank text, so that its own parser says what is missing."""
    data: dict[str, object] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in form:
            continue
        value = form[key]
        if isinstance(value, str) and not value.strip():
            if not field.is_required():
                continue
            if _admits_none(field):
                value = None
        data[key] = value
    return data


def describe_input_error(exc: PydanticValidationError, model: type[BaseModel]) -> str:
    """The first problem of `exc` in Chinese: the field's own validator message when it has one
    (ours name their field, e.g. `标价：金额格式不正确`), else `describe_validation_error`'s
    sentence, with the field called by its `title` when the model gives one."""
    errors = exc.errors()
    where = errors[0]["loc"][:1]
    for error in errors:
        if error["type"] == "value_error" and error["loc"][:1] == where:
            return str((error.get("ctx") or {}).get("error", error["msg"]))
    text = describe_validation_error(exc)
    name = str(where[0]) if where else ""
    field = model.model_fields.get(name)
    if field is not None and field.title:
        text = text.replace(f"字段 {name}", field.title, 1)
    return text


def read_input(
    model: type[M],
    data: Mapping[str, object],
    *,
    where: str = "",
    context: Mapping[str, object] | None = None,
) -> M:
    """`data` (fields a page gathered, a command's options) validated through `model`; a refusal
    is a ValidationError naming the field in Chinese, after `where` (e.g. `第 2 行：`).
    `context` is handed to the model's validators (pydantic's validation context)."""
    try:
        return model.model_validate(dict(data), context=dict(context) if context else None)
    except PydanticValidationError as exc:
        raise ValidationError(where + describe_input_error(exc, model)) from None


def read_form(
    model: type[M],
    form: Mapping[str, object],
    *,
    where: str = "",
    context: Mapping[str, object] | None = None,
) -> M:
    """A page's posted `form` through `model` (see `form_fields` for what reaches it), refused
    as `read_input` refuses."""
    return read_input(model, form_fields(model, form), where=where, context=context)
