"""Turning what pydantic and JSON let through into one Chinese sentence naming the field, and
refusing JSON values the database cannot store (NUL characters, lone surrogates, integers beyond
2**53, absurd nesting). The API and the pages share these (`core.web` re-exports them)."""

from __future__ import annotations

import re

from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails

from core.errors import ValidationError

_PYDANTIC_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段",
    "string_type": "应为文本",
    "string_unicode": "含有无效的字符编码",
    "string_pattern_mismatch": "格式不对",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能带小数",
    "int_parsing_size": "数值太大",
    "finite_number": "应为有限数字",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "too_short": "不能为空",
    "too_long": "太长",
    "string_too_short": "不能为空",
    "string_too_long": "太长",
    "greater_than": "应大于",
    "greater_than_equal": "应大于或等于",
    "less_than": "应小于",
    "less_than_equal": "超出范围",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
    "datetime_parsing": "应为日期时间",
    "datetime_type": "应为日期时间",
    "date_parsing": "应为日期",
    "date_type": "应为日期",
    "json_invalid": "不是有效的 JSON",
    "recursion_loop": "嵌套太深",
}

# What a type error expects, so that a union (`str | int`) reads "应为文本或整数".
_EXPECTED = {
    "string_type": "文本",
    "int_type": "整数",
    "int_parsing": "整数",
    "int_from_float": "整数",
    "bool_type": "true 或 false",
    "bool_parsing": "true 或 false",
    "list_type": "列表",
    "dict_type": "对象",
    "model_type": "对象",
    "float_type": "数字",
    "float_parsing": "数字",
    "none_required": "null",
}

# Pydantic names union members and wrappers in error locations (`qty.int`,
# `lines.0.qty.constrained-str`, `function-after[...]`); people want the field only.
_TAG = re.compile(r"^(int|str|float|bool|none|bytes|decimal|[a-z]+-[a-z-]+(\[.*\])?|\w+\[.*\])$")


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, str) and _TAG.match(part):
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "请求"


def _error_text(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        # our own validators raise ValueError with a Chinese message
        return str(ctx.get("error", error["msg"])).removeprefix("Assertion failed, ")
    text = _PYDANTIC_MESSAGES.get(kind, "取值无效")
    for key in ("gt", "ge", "lt", "le"):
        if key in ctx and kind.startswith(("greater", "less")):
            text = f"{text} {ctx[key]}"
    if kind in ("string_too_long", "too_long") and "max_length" in ctx:
        text = f"太长（最多 {ctx['max_length']} 个）"
    if kind in ("string_too_short", "too_short") and ctx.get("min_length", 1) > 1:
        text = f"太短（至少 {ctx['min_length']} 个）"
    if kind == "literal_error" and "expected" in ctx:
        text = f"取值无效，可选：{ctx['expected']}"
    return text


def describe_validation_error(exc: PydanticValidationError) -> str:
    """One Chinese sentence naming the first bad field, e.g. `字段 lines[0].qty：应为整数`."""
    errors = exc.errors()
    first = errors[0]
    where = _field_path(tuple(first["loc"]))
    same = [e for e in errors if _field_path(tuple(e["loc"])) == where]
    if len(same) > 1 and all(e["type"] in _EXPECTED for e in same):
        nouns = list(dict.fromkeys(_EXPECTED[e["type"]] for e in same))
        text = "应为" + "或".join(nouns)
    else:
        own = [e for e in same if e["type"] in ("value_error", "assertion_error")]
        text = _error_text(own[0] if own else first)
    more = len({_field_path(tuple(e["loc"])) for e in errors}) - 1
    suffix = f"（另有 {more} 处错误）" if more > 0 else ""
    return f"字段 {where}：{text}{suffix}"


# JSON numbers beyond 2**53 are not exact in most clients (RFC 7493) and overflow the database.
MAX_JSON_INT = 2**53
MAX_JSON_DEPTH = 32


def check_json_values(value: object, where: str = "", depth: int = 0) -> None:
    """Refuse what pydantic lets through but the database cannot store: NUL characters, lone
    surrogates, integers beyond 2**53, and absurd nesting. Names the field."""
    label = where or "请求"
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(f"字段 {label}：嵌套太深")
    if isinstance(value, str):
        check_text(value, f"字段 {label}")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) > MAX_JSON_INT:
            raise ValidationError(f"字段 {label}：数值太大（{str(value)[:24]}…）")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(str(key), f"字段 {label} 的键")
            check_json_values(item, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_values(item, f"{where}[{index}]", depth + 1)


def check_text(text: str, what: str) -> None:
    if "\x00" in text:
        raise ValidationError(f"{what}：含有不允许的空字符（\\u0000）")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{what}：含有无效的字符编码（不成对的代理字符）") from None
