"""The deployment's settings: `config.toml` read once into frozen, typed pydantic dataclasses.

Each key is declared once, below: its name, its type (which carries its check) and its default.
A wrong type or value stops the program with one line naming the key (`ConfigError`); an unknown
key only warns, so an old config file keeps working after an upgrade. Money and rates are quoted
text in the file (`"50.00"`), never floats.
"""

from __future__ import annotations

import base64
import binascii
import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many  # Flask-Limiter's own parser of limits
from pydantic import BeforeValidator, PlainValidator, TypeAdapter, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic.dataclasses import dataclass
from sqlalchemy.engine import make_url

from core.money import Money, MoneyError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

DEFAULT_CONFIG_FILE = "config.toml"

# Environment variables that override one key each (empty: no override).
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "CHARITY_DATABASE_URL": ("database", "url"),
    "CHARITY_SECRET_KEY": ("security", "secret_key"),
    "CHARITY_DATA_KEY": ("security", "data_key"),
}


class ConfigError(Exception):
    """A config value that cannot be used; the message names the key and the value."""


class UnknownConfigKey(UserWarning):
    """A key in config.toml that this version does not know (it is ignored)."""


class _Invalid(ValueError):
    """What is wrong with one value; `_build` puts the key's path in front of it."""

    def __init__(self, detail: str, *, table: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.table = table  # about a whole table: `配置节 [key] ...` rather than `配置项 key ...`


# --- value types: each checks a value as TOML gives it (or as already parsed, for overrides) ---


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"应为文本，实际为 {value!r}")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"应为 true 或 false，实际为 {value!r}")
    return value


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"应为整数，实际为 {value!r}")
    return value


def _positive(value: object) -> int:
    number = _integer(value)
    if number < 1:
        raise _Invalid(f"应为正整数，实际为 {value!r}")
    return number


def _number(value: object) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool) or not isinstance(value, str | int):
        raise _Invalid(f'应为带引号的数字（如 "0.05"），实际为 {value!r}')
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise _Invalid(f"不是数字：{value!r}") from None
    if not number.is_finite():
        raise _Invalid(f"不是有限数字：{value!r}")
    return number


def _rate(value: object) -> Decimal:
    rate = _number(value)
    if not Decimal(0) <= rate < Decimal(1):
        raise _Invalid(f"的折扣率 {value!r} 应在 0 与 1 之间")
    return rate


def _money(value: object) -> Money:
    if isinstance(value, Money):
        amount = value
    elif not isinstance(value, str | int) or isinstance(value, bool):
        raise _Invalid(f'应为带引号的金额（如 "50.00"），实际为 {value!r}')
    else:
        try:
            amount = Money.parse(str(value))
        except MoneyError as exc:
            raise _Invalid(f"金额无效：{value!r}（{exc}）") from None
    if amount.fen < 0:
        raise _Invalid(f"不能为负数：{value!r}")
    return amount


def _text_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise _Invalid(f"应为文本列表，实际为 {value!r}")
    return tuple(value)


def _table(value: object) -> dict[str, object]:
    if not isinstance(value, Mapping):
        raise _Invalid(f"应为表，实际为 {value!r}", table=True)
    return {str(key): item for key, item in value.items()}


def _one_of(*allowed: str) -> PlainValidator:
    def check(value: object) -> str:
        text = _text(value)
        if text not in allowed:
            raise _Invalid(f"的值 {value!r} 无效，可选：{', '.join(allowed)}")
        return text

    return PlainValidator(check)


def _timezone(value: object) -> str:
    text = _text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Invalid(f"的时区 {value!r} 不存在") from None
    return text


def _two_digits(value: object) -> str:
    text = _text(value)
    if len(text) != 2 or not text.isdigit():
        raise _Invalid(f'应为两位数字（如 "29"），实际为 {value!r}')
    return text


def _paper(value: object) -> int:
    width = _integer(value)
    if width not in (58, 80):
        raise _Invalid(f"应为 58 或 80，实际为 {value!r}")
    return width


def _rate_limit(value: object) -> str:
    """A Flask-Limiter limit such as "10 per minute; 60 per hour" (checked here, so that a typo
    stops the program at start rather than switching the throttle off)."""
    text = _text(value).strip()
    try:
        if not parse_many(text):
            raise ValueError(text)
    except ValueError:
        raise _Invalid(
            f'应为限流规则（如 "10 per minute; 60 per hour"），实际为 {value!r}'
        ) from None
    return text


def _storage_uri(value: object) -> str:
    text = _text(value).strip()
    if "://" not in text:
        raise _Invalid(f'应为存储地址（如 "memory://" 或 "redis://host:6379"），实际为 {value!r}')
    return text


def _database_url(value: object) -> str:
    text = _text(value).strip()
    if not (text.startswith("sqlite") or text.startswith("postgresql")):
        raise _Invalid(f"只支持 sqlite 或 postgresql，实际为 {value!r}")
    return text


def _data_key(value: object) -> str:
    """Base64 (standard or URL-safe) of 32 random bytes, or empty (not set). The value itself is
    a secret: messages give its length, never its text."""
    text = _text(value).strip()
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
        raise _Invalid(
            "应为 32 个随机字节的 base64 编码（例如 openssl rand -base64 32 的输出），"
            f"当前值（{len(text)} 个字符）不是"
        )
    return text


Text = Annotated[str, PlainValidator(_text)]
Flag = Annotated[bool, PlainValidator(_flag)]
Integer = Annotated[int, PlainValidator(_integer)]
Positive = Annotated[int, PlainValidator(_positive)]
Number = Annotated[Decimal, PlainValidator(_number)]
Rate = Annotated[Decimal, PlainValidator(_rate)]
Amount = Annotated[Money, PlainValidator(_money)]
TextList = Annotated[tuple[str, ...], PlainValidator(_text_list)]
Table = BeforeValidator(_table)


# --- the sections: every key, once ------------------------------------------------------------


@dataclass(frozen=True)
class StoreSettings:
    name: Text = "惠济区慈善超市"
    timezone: Annotated[str, PlainValidator(_timezone)] = "Asia/Shanghai"
    public_sales: Flag = True
    address: Text = ""
    hours: Text = "每天 8:30-18:00"
    phone: Text = ""
    terminal: Text = "01"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DatabaseSettings:
    url: Annotated[str, PlainValidator(_database_url)] = "sqlite:///var/charity.db"


MIN_SECRET_KEY_LENGTH = 32


@dataclass(frozen=True)
class SecuritySettings:
    secret_key: Text = ""
    data_key: Annotated[str, PlainValidator(_data_key)] = ""
    token_ttl_hours: Positive = 12
    max_failed_logins: Positive = 5
    cookie_secure: Flag = False
    # A signed-in page (the back office) ends after this many minutes without a request.
    idle_minutes: Positive = 30
    # The cashier terminal stands at a public counter: it ends sooner (no scan, no key that
    # reaches the server, for this long).
    terminal_idle_minutes: Positive = 15
    # Failed sign-ins per client address (page and API together), on top of the per-account lock.
    login_rate_limit: Annotated[str, PlainValidator(_rate_limit)] = "10 per minute; 60 per hour"
    # Where Flask-Limiter keeps its counts (sign-in and the balance page): "memory://" per process,
    # "redis://host:6379" to share them between server processes.
    rate_limit_storage: Annotated[str, PlainValidator(_storage_uri)] = "memory://"

    def production_problem(self) -> str | None:
        """Why these settings cannot run a real store (outside demo mode), naming the key, or
        None: a secret key of at least 32 characters is required, and a data key."""
        if len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            what = "未设置" if not self.secret_key else f"只有 {len(self.secret_key)} 个字符"
            return (
                f"security.secret_key（或环境变量 CHARITY_SECRET_KEY）{what}：正式运行至少需要 "
                f"{MIN_SECRET_KEY_LENGTH} 个字符，例如 python -c 'import secrets; "
                "print(secrets.token_hex(32))' 的输出"
            )
        if not self.data_key:
            return (
                "未设置 security.data_key（或环境变量 CHARITY_DATA_KEY）：正式运行必须设置，"
                "例如 openssl rand -base64 32 的输出；演示请用 charity serve --demo"
            )
        return None


@dataclass(frozen=True)
class DiscountSettings:
    min_rate: Rate = Decimal("0.05")
    max_rate: Rate = Decimal("0.10")
    default_rate: Rate = Decimal("0.05")
    by_category: Annotated[Mapping[str, Rate], Table] = field(default_factory=dict)

    @model_validator(mode="after")
    def _in_range(self) -> DiscountSettings:
        if self.min_rate > self.max_rate:
            raise ConfigError(
                f"配置项 discount.min_rate ({self.min_rate}) "
                f"不能大于 discount.max_rate ({self.max_rate})"
            )
        named = [("discount.default_rate", self.default_rate)]
        named += [(f"discount.by_category.{k}", v) for k, v in self.by_category.items()]
        for key, rate in named:
            if not self.min_rate <= rate <= self.max_rate:
                raise ConfigError(
                    f"配置项 {key} 的值 {rate} 不在 [{self.min_rate}, {self.max_rate}] 范围内"
                )
        return self


@dataclass(frozen=True)
class AllowanceSettings:
    monthly: Amount = field(default_factory=lambda: Money(5000))
    unspent: Annotated[str, _one_of("carry_over", "expire")] = "carry_over"
    expire_after_months: Positive = 1
    approval: Annotated[str, _one_of("single", "two_person")] = "single"
    adjustment_limit: Amount = field(default_factory=lambda: Money(10000))
    categories: TextList = ("低保", "优抚", "特困")
    by_category: Annotated[Mapping[str, Amount], Table] = field(default_factory=dict)
    topup_day: Positive = 1

    def amount_for(self, category: str) -> Money:
        """The monthly credit for one roster category."""
        return self.by_category.get(category, self.monthly)

    @model_validator(mode="after")
    def _known_categories(self) -> AllowanceSettings:
        for category in self.by_category:
            if category not in self.categories:
                raise ConfigError(
                    f"配置项 allowance.by_category 中的类别 {category!r} "
                    f"不在 allowance.categories {list(self.categories)} 中"
                )
        return self


@dataclass(frozen=True)
class InventorySettings:
    block_negative: Flag = False
    # GS1 keeps 20-29 for in-store use: 20-28 are the scale's, 29 numbers unpackaged goods and
    # clothing with an ordinary EAN-13 (check digit included), so no scale parser claims them.
    scale_prefixes: TextList = ("20", "21", "22", "23", "24", "25", "26", "27", "28")
    scale_item_digits: Positive = 5
    scale_value: Annotated[str, _one_of("price", "weight")] = "price"
    instore_prefix: Annotated[str, PlainValidator(_two_digits)] = "29"

    @model_validator(mode="after")
    def _barcode_layout(self) -> InventorySettings:
        for prefix in self.scale_prefixes:
            if len(prefix) != 2 or not prefix.isdigit():
                raise ConfigError(f"配置项 inventory.scale_prefixes 中的 {prefix!r} 应为两位数字")
        if self.instore_prefix in self.scale_prefixes:
            raise ConfigError(
                f"配置项 inventory.instore_prefix ({self.instore_prefix}) 不能同时出现在 "
                "inventory.scale_prefixes 中（店内码与电子秤条码会混淆）"
            )
        if not 1 <= self.scale_item_digits <= 6:
            raise ConfigError(
                "配置项 inventory.scale_item_digits 应在 1 到 6 之间，"
                f"实际为 {self.scale_item_digits!r}"
            )
        return self


@dataclass(frozen=True)
class ClothingSettings:
    items_per_quarter: Integer = 1
    events_count: Flag = False
    kinds: TextList = ("上衣", "裤子", "外套", "棉衣", "毛衣", "童装", "鞋", "床品")

    @model_validator(mode="after")
    def _not_negative(self) -> ClothingSettings:
        if self.items_per_quarter < 0:
            raise ConfigError(
                f"配置项 clothing.items_per_quarter 不能为负数，实际为 {self.items_per_quarter!r}"
            )
        return self


@dataclass(frozen=True)
class PrinterSettings:
    kind: Annotated[str, _one_of("none", "dummy", "file", "network", "usb", "serial", "cups")] = (
        "none"
    )
    paper_width_mm: Annotated[int, PlainValidator(_paper)] = 80
    encoding: Annotated[str, _one_of("gb18030", "gbk")] = "gb18030"
    qr: Annotated[str, _one_of("native", "image")] = "native"
    profile: Text = "default"
    host: Text = ""
    port: Positive = 9100
    device: Text = ""
    vendor_id: Integer = 0
    product_id: Integer = 0
    baudrate: Positive = 9600
    cups_name: Text = ""
    timeout_seconds: Number = Decimal("3")
    drawer_pin: Integer = 2
    drawer_kick: Flag = True
    footer: Text = "感谢您的光临 · 慈善超市 爱心传递"
    chinese_mode: Annotated[str, _one_of("auto", "on", "off")] = "auto"
    fallback: Annotated[str, _one_of("image", "replace")] = "image"
    font_path: Text = ""
    status_check: Flag = True
    retry_seconds: Positive = 30
    retry_max_age_minutes: Positive = 30

    @property
    def columns(self) -> int:
        """Characters of the normal font per line: 32 on 58 mm paper, 48 on 80 mm."""
        return 32 if self.paper_width_mm == 58 else 48

    @model_validator(mode="after")
    def _drawer(self) -> PrinterSettings:
        if self.drawer_pin not in (2, 5):
            raise ConfigError(f"配置项 printer.drawer_pin 应为 2 或 5，实际为 {self.drawer_pin!r}")
        return self


@dataclass(frozen=True)
class BalancePageSettings:
    base_url: Text = "http://127.0.0.1:5000"
    pin: Flag = False
    rate_limit: Text = "30 per minute"


@dataclass(frozen=True)
class Settings:
    store: StoreSettings = field(default_factory=StoreSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    discount: DiscountSettings = field(default_factory=DiscountSettings)
    allowance: AllowanceSettings = field(default_factory=AllowanceSettings)
    inventory: InventorySettings = field(default_factory=InventorySettings)
    clothing: ClothingSettings = field(default_factory=ClothingSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    balance_page: BalancePageSettings = field(default_factory=BalancePageSettings)
    source: str = "(defaults)"  # where the settings were read from, not a key

    @property
    def tz(self) -> ZoneInfo:
        return self.store.tz

    @property
    def instance_dir(self) -> Path:
        """The folder of the store's private files (the demo data key, uploads waiting for
        confirmation, backups): beside a SQLite database, else `var/` in the working folder."""
        url = make_url(self.database.url)
        name = url.database or ""
        if url.get_backend_name() == "sqlite" and name not in ("", ":memory:"):
            if not name.startswith("file:"):
                return Path(name).resolve().parent
        return Path("var").resolve()

    def with_overrides(self, **sections: Mapping[str, object]) -> Settings:
        """A copy with some keys replaced, validated like a file: `with_overrides(store={...})`.
        A value may also be given already parsed (a `Decimal` rate, a `Money`, a tuple)."""
        raw = {name: dict(values) for name, values in sections.items()}
        return _build(raw, base=self, source=self.source)


# --- reading ----------------------------------------------------------------------------------

_DEFAULTS = Settings()
_SECTIONS: dict[str, type[DataclassInstance]] = {
    f.name: type(getattr(_DEFAULTS, f.name)) for f in fields(Settings) if f.name != "source"
}
_READ = TypeAdapter(Settings)


def _values(section: DataclassInstance) -> dict[str, object]:
    return {f.name: getattr(section, f.name) for f in fields(section)}


def _build(raw: Mapping[str, object], *, base: Settings, source: str) -> Settings:
    """`raw` (sections of keys, as TOML reads them) over `base`, checked key by key."""
    merged: dict[str, object] = {"source": source}
    for name, values in raw.items():
        section = _SECTIONS.get(name)
        if section is None:
            warnings.warn(f"未知配置节 [{name}]（已忽略）", UnknownConfigKey, stacklevel=3)
            continue
        if not isinstance(values, Mapping):
            raise ConfigError(f"配置节 [{name}] 应为表，实际为 {values!r}")
        known = {f.name for f in fields(section)}
        for key in values:
            if key not in known:
                warnings.warn(f"未知配置项 {name}.{key}（已忽略）", UnknownConfigKey, stacklevel=3)
        changes = {key: value for key, value in values.items() if key in known}
        if changes:
            merged[name] = {**_values(getattr(base, name)), **changes}
    for name in _SECTIONS:
        merged.setdefault(name, getattr(base, name))
    try:
        return _READ.validate_python(merged)
    except PydanticValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: PydanticValidationError) -> str:
    """The first bad value, as one line naming its key: `配置项 allowance.monthly 金额无效：...`."""
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, _Invalid):
        return f"配置节 [{key}] {cause.detail}" if cause.table else f"配置项 {key} {cause.detail}"
    return f"配置项 {key} 无效：{error['msg']}"


def load_settings(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the config file (explicit path, else `CHARITY_CONFIG`, else ./config.toml if present)
    and apply the environment overrides (`ENV_OVERRIDES`: `CHARITY_DATABASE_URL`,
    `CHARITY_SECRET_KEY`, `CHARITY_DATA_KEY`)."""
    env = os.environ if environ is None else environ
    explicit = path is not None or bool(env.get("CHARITY_CONFIG"))
    config_path = Path(
        path if path is not None else env.get("CHARITY_CONFIG") or DEFAULT_CONFIG_FILE
    )
    raw: dict[str, object] = {}
    source = "(defaults)"
    if config_path.is_file():
        try:
            raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"配置文件 {config_path} 格式错误：{exc}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"配置文件 {config_path} 不是 UTF-8 编码") from None
        source = str(config_path)
    elif explicit:
        raise ConfigError(f"配置文件 {config_path} 不存在")
    for variable, (section, key) in ENV_OVERRIDES.items():
        value = env.get(variable)
        if value:
            target = raw.setdefault(section, {})
            if isinstance(target, dict):
                target[key] = value
    return _build(raw, base=_DEFAULTS, source=source)


def section_keys() -> dict[str, list[str]]:
    """Every known key by section, for the README's reference and a test that keeps it true."""
    return {name: [f.name for f in fields(section)] for name, section in _SECTIONS.items()}
