"""The value types of `config.toml`: each checks a value as TOML gives it (or as already parsed,
for overrides) and says in one Chinese phrase what is wrong; `core.config` declares every key with
one of them and puts the key's path in front of the phrase (`ConfigError`)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many  # Flask-Limiter's own parser of limits
from pydantic import BeforeValidator, PlainValidator

from core.money import Money, MoneyError


class ConfigError(Exception):
    """A config value that cannot be used; the message names the key and the value."""


class UnknownConfigKey(UserWarning):
    """A key in config.toml that this version does not know (it is ignored)."""


class Invalid(ValueError):
    """What is wrong with one value; `_build` puts the key's path in front of it."""

    def __init__(self, detail: str, *, table: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.table = table  # about a whole table: `配置节 [key] ...` rather than `配置项 key ...`


def check_text(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(f"应为文本，实际为 {value!r}")
    return value


def check_flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"应为 true 或 false，实际为 {value!r}")
    return value


def check_integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"应为整数，实际为 {value!r}")
    return value


def check_positive(value: object) -> int:
    number = check_integer(value)
    if number < 1:
        raise Invalid(f"应为正整数，实际为 {value!r}")
    return number


def check_number(value: object) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid(f'应为带引号的数字（如 "0.05"），实际为 {value!r}')
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise Invalid(f"不是数字：{value!r}") from None
    if not number.is_finite():
        raise Invalid(f"不是有限数字：{value!r}")
    return number


def check_rate(value: object) -> Decimal:
    rate = check_number(value)
    if not Decimal(0) <= rate < Decimal(1):
        raise Invalid(f"的折扣率 {value!r} 应在 0 与 1 之间")
    return rate


def check_money(value: object) -> Money:
    if isinstance(value, Money):
        amount = value
    elif not isinstance(value, str | int) or isinstance(value, bool):
        raise Invalid(f'应为带引号的金额（如 "50.00"），实际为 {value!r}')
    else:
        try:
            amount = Money.parse(str(value))
        except MoneyError as exc:
            raise Invalid(f"金额无效：{value!r}（{exc}）") from None
    if amount.fen < 0:
        raise Invalid(f"不能为负数：{value!r}")
    return amount


def check_text_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise Invalid(f"应为文本列表，实际为 {value!r}")
    return tuple(value)


def check_table(value: object) -> dict[str, object]:
    if not isinstance(value, Mapping):
        raise Invalid(f"应为表，实际为 {value!r}", table=True)
    return {str(key): item for key, item in value.items()}


def one_of(*allowed: str) -> PlainValidator:
    def check(value: object) -> str:
        text = check_text(value)
        if text not in allowed:
            raise Invalid(f"的值 {value!r} 无效，可选：{', '.join(allowed)}")
        return text

    return PlainValidator(check)


def check_timezone(value: object) -> str:
    text = check_text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"的时区 {value!r} 不存在") from None
    return text


def check_two_digits(value: object) -> str:
    text = check_text(value)
    if len(text) != 2 or not text.isdigit():
        raise Invalid(f'应为两位数字（如 "29"），实际为 {value!r}')
    return text


def check_paper(value: object) -> int:
    width = check_integer(value)
    if width not in (58, 80):
        raise Invalid(f"应为 58 或 80，实际为 {value!r}")
    return width


def check_rate_limit(value: object) -> str:
    """A Flask-Limiter limit such as "10 per minute; 60 per hour" (checked here, so that a typo
    stops the program at start rather than switching the throttle off)."""
    text = check_text(value).strip()
    try:
        if not parse_many(text):
            raise ValueError(text)
    except ValueError:
        raise Invalid(
            f'应为限流规则（如 "10 per minute; 60 per hour"），实际为 {value!r}'
        ) from None
    return text


_STORAGE_URI = re.compile(r"^[a-z][a-z0-9+.-]*://")


def check_storage_uri(value: object) -> str:
    """A storage URI's shape; whether Flask-Limiter can use it (its scheme known, its client
    installed) is checked when the app is built (`pos.security.check_limiter_storage`)."""
    text = check_text(value).strip()
    if not _STORAGE_URI.match(text):
        raise Invalid(f'应为存储地址（如 "memory://" 或 "redis://host:6379"），实际为 {value!r}')
    return text


def check_database_url(value: object) -> str:
    text = check_text(value).strip()
    if not (text.startswith("sqlite") or text.startswith("postgresql")):
        raise Invalid(f"只支持 sqlite 或 postgresql，实际为 {value!r}")
    return text


def check_data_key(value: object) -> str:
    """Base64 (standard or URL-safe) of 32 random bytes, or empty (not set). The value itself is
    a secret: messages give its length, never its text."""
    text = check_text(value).strip()
    if not text:
        return text
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(
            padded, altchars=b"-_" if "-" in text or "_" in text else None, validate=True
        )
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise Invalid(
            "应为 32 个随机字节的 base64 编码（例如 openssl rand -base64 32 的输出），"
            f"当前值（{len(text)} 个字符）不是"
        )
    return text


Text = Annotated[str, PlainValidator(check_text)]
Flag = Annotated[bool, PlainValidator(check_flag)]
Integer = Annotated[int, PlainValidator(check_integer)]
Positive = Annotated[int, PlainValidator(check_positive)]
Number = Annotated[Decimal, PlainValidator(check_number)]
Rate = Annotated[Decimal, PlainValidator(check_rate)]
Amount = Annotated[Money, PlainValidator(check_money)]
TextList = Annotated[tuple[str, ...], PlainValidator(check_text_list)]
Table = BeforeValidator(check_table)
