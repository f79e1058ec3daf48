"""The deployment's settings: `config.toml` read once into frozen, typed pydantic dataclasses.

Each key is declared once, below: its name, its type (which carries its check: the value types are
`core.config_values`) and its default.
A wrong type or value stops the program with one line naming the key (`ConfigError`); an unknown
key only warns, so an old config file keeps working after an upgrade. Money and rates are quoted
text in the file (`"50.00"`), never floats.
"""

from __future__ import annotations

import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import field, fields
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainValidator, TypeAdapter, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic.dataclasses import dataclass
from sqlalchemy.engine import make_url

from core.config_values import (
    Amount,
    Flag,
    Integer,
    Invalid,
    Number,
    Positive,
    Rate,
    Table,
    Text,
    TextList,
    check_data_key,
    check_database_url,
    check_paper,
    check_rate_limit,
    check_storage_uri,
    check_timezone,
    check_two_digits,
    one_of,
)
from core.config_values import ConfigError as ConfigError  # re-exported: importers use core.config
from core.config_values import UnknownConfigKey as UnknownConfigKey
from core.money import Money

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

DEFAULT_CONFIG_FILE = "config.toml"

# Environment variables that override one key each (empty: no override).
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "CHARITY_DATABASE_URL": ("database", "url"),
    "CHARITY_SECRET_KEY": ("security", "secret_key"),
    "CHARITY_DATA_KEY": ("security", "data_key"),
}


# --- the sections: every key, once ------------------------------------------------------------


@dataclass(frozen=True)
class StoreSettings:
    name: Text = "惠济区慈善超市"
    timezone: Annotated[str, PlainValidator(check_timezone)] = "Asia/Shanghai"
    public_sales: Flag = True
    address: Text = ""
    hours: Text = "每天 8:30-18:00"
    phone: Text = ""
    terminal: Text = "01"
    # What the customer display shows between customers: one notice a line.
    notices: Text = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DatabaseSettings:
    url: Annotated[str, PlainValidator(check_database_url)] = "sqlite:///var/charity.db"


MIN_SECRET_KEY_LENGTH = 32


@dataclass(frozen=True)
class SecuritySettings:
    secret_key: Text = ""
    data_key: Annotated[str, PlainValidator(check_data_key)] = ""
    token_ttl_hours: Positive = 12
    max_failed_logins: Positive = 5
    cookie_secure: Flag = False
    # A signed-in page (the back office) ends after this many minutes without a request.
    idle_minutes: Positive = 30
    # The cashier terminal stands at a public counter: it ends sooner (no scan, no key that
    # reaches the server, for this long).
    terminal_idle_minutes: Positive = 15
    # Failed sign-ins per client address (page and API together), on top of the per-account lock.
    login_rate_limit: Annotated[str, PlainValidator(check_rate_limit)] = (
        "10 per minute; 60 per hour"
    )
    # Where Flask-Limiter keeps its counts (sign-in and the balance page): "memory://" per process,
    # "redis://host:6379" to share them between server processes.
    rate_limit_storage: Annotated[str, PlainValidator(check_storage_uri)] = "memory://"

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
    unspent: Annotated[str, one_of("carry_over", "expire")] = "carry_over"
    expire_after_months: Positive = 1
    approval: Annotated[str, one_of("single", "two_person")] = "single"
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
    scale_value: Annotated[str, one_of("price", "weight")] = "price"
    instore_prefix: Annotated[str, PlainValidator(check_two_digits)] = "29"

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
    kind: Annotated[str, one_of("none", "dummy", "file", "network", "usb", "serial", "cups")] = (
        "none"
    )
    paper_width_mm: Annotated[int, PlainValidator(check_paper)] = 80
    encoding: Annotated[str, one_of("gb18030", "gbk")] = "gb18030"
    qr: Annotated[str, one_of("native", "image")] = "native"
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
    chinese_mode: Annotated[str, one_of("auto", "on", "off")] = "auto"
    fallback: Annotated[str, one_of("image", "replace")] = "image"
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
class CounterSettings:
    # A return without the receipt of a public (cash) sale: at most this much of one sale.
    receiptless_cash_limit: Amount = field(default_factory=lambda: Money(5000))


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
    counter: CounterSettings = field(default_factory=CounterSettings)
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
    if isinstance(cause, Invalid):
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
