"""The deployment's settings: `config.toml` read once into frozen, typed dataclasses.

Every key of the public contract has a default here. A wrong type or value stops the program
with one line naming the key (`ConfigError`); an unknown key only warns, so an old config file
keeps working after an upgrade.
"""

from __future__ import annotations

import os
import tomllib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.money import Money, MoneyError

DEFAULT_CONFIG_FILE = "config.toml"


class ConfigError(Exception):
    """A config value that cannot be used; the message names the key and the value."""


class UnknownConfigKey(UserWarning):
    """A key in config.toml that this version does not know (it is ignored)."""


@dataclass(frozen=True)
class StoreSettings:
    name: str = "惠济区慈善超市"
    timezone: str = "Asia/Shanghai"
    public_sales: bool = True
    address: str = ""
    hours: str = "每天 8:30-18:00"
    phone: str = ""
    terminal: str = "01"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/charity.db"


@dataclass(frozen=True)
class SecuritySettings:
    secret_key: str = ""
    token_ttl_hours: int = 12
    max_failed_logins: int = 5
    cookie_secure: bool = False


@dataclass(frozen=True)
class DiscountSettings:
    min_rate: Decimal = Decimal("0.05")
    max_rate: Decimal = Decimal("0.10")
    default_rate: Decimal = Decimal("0.05")
    by_category: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class AllowanceSettings:
    monthly: Money = field(default_factory=lambda: Money(5000))
    unspent: str = "carry_over"
    expire_after_months: int = 1
    approval: str = "single"
    categories: tuple[str, ...] = ("低保", "优抚", "特困")
    by_category: Mapping[str, Money] = field(default_factory=dict)
    topup_day: int = 1

    def amount_for(self, category: str) -> Money:
        """The monthly credit for one roster category."""
        return self.by_category.get(category, self.monthly)


@dataclass(frozen=True)
class InventorySettings:
    block_negative: bool = False
    # GS1 keeps 20-29 for in-store use: 20-28 are the scale's, 29 numbers unpackaged goods and
    # clothing with an ordinary EAN-13 (check digit included), so no scale parser claims them.
    scale_prefixes: tuple[str, ...] = ("20", "21", "22", "23", "24", "25", "26", "27", "28")
    scale_item_digits: int = 5
    scale_value: str = "price"
    instore_prefix: str = "29"


@dataclass(frozen=True)
class ClothingSettings:
    items_per_quarter: int = 1
    events_count: bool = False
    kinds: tuple[str, ...] = ("上衣", "裤子", "外套", "棉衣", "毛衣", "童装", "鞋", "床品")


@dataclass(frozen=True)
class PrinterSettings:
    kind: str = "none"
    paper_width_mm: int = 80
    encoding: str = "gb18030"
    qr: str = "native"
    profile: str = "default"
    host: str = ""
    port: int = 9100
    device: str = ""
    vendor_id: int = 0
    product_id: int = 0
    baudrate: int = 9600
    cups_name: str = ""
    timeout_seconds: Decimal = Decimal("3")
    drawer_pin: int = 2
    drawer_kick: bool = True
    footer: str = "感谢您的光临 · 慈善超市 爱心传递"
    chinese_mode: str = "auto"
    fallback: str = "image"
    font_path: str = ""
    status_check: bool = True
    retry_seconds: int = 30
    retry_max_age_minutes: int = 30

    @property
    def columns(self) -> int:
        """Characters of the normal font per line: 32 on 58 mm paper, 48 on 80 mm."""
        return 32 if self.paper_width_mm == 58 else 48


@dataclass(frozen=True)
class BalancePageSettings:
    base_url: str = "http://127.0.0.1:5000"
    pin: bool = False
    rate_limit: str = "30 per minute"


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
    source: str = "(defaults)"

    @property
    def tz(self) -> ZoneInfo:
        return self.store.tz

    def with_overrides(self, **sections: Mapping[str, Any]) -> Settings:
        """A copy with some keys replaced, validated like a file: `with_overrides(store={...})`."""
        raw = {name: dict(values) for name, values in sections.items()}
        return _build(raw, base=self, source=self.source)


# --- parsing ---------------------------------------------------------------------------------


def _as_str(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"配置项 {key} 应为文本，实际为 {value!r}")
    return value


def _as_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"配置项 {key} 应为 true 或 false，实际为 {value!r}")
    return value


def _as_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"配置项 {key} 应为整数，实际为 {value!r}")
    return value


def _as_decimal(key: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(f'配置项 {key} 应为带引号的数字（如 "0.05"），实际为 {value!r}')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ConfigError(f"配置项 {key} 不是数字：{value!r}") from None
    if not number.is_finite():
        raise ConfigError(f"配置项 {key} 不是有限数字：{value!r}")
    return number


def _as_money(key: str, value: Any) -> Money:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ConfigError(f'配置项 {key} 应为带引号的金额（如 "50.00"），实际为 {value!r}')
    try:
        amount = Money.parse(str(value))
    except MoneyError as exc:
        raise ConfigError(f"配置项 {key} 金额无效：{value!r}（{exc}）") from None
    if amount.fen < 0:
        raise ConfigError(f"配置项 {key} 不能为负数：{value!r}")
    return amount


def _as_str_tuple(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"配置项 {key} 应为文本列表，实际为 {value!r}")
    return tuple(value)


def _one_of(*allowed: str) -> Callable[[str, Any], str]:
    def check(key: str, value: Any) -> str:
        text = _as_str(key, value)
        if text not in allowed:
            raise ConfigError(f"配置项 {key} 的值 {value!r} 无效，可选：{', '.join(allowed)}")
        return text

    return check


def _timezone(key: str, value: Any) -> str:
    text = _as_str(key, value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"配置项 {key} 的时区 {value!r} 不存在") from None
    return text


def _positive_int(key: str, value: Any) -> int:
    number = _as_int(key, value)
    if number < 1:
        raise ConfigError(f"配置项 {key} 应为正整数，实际为 {value!r}")
    return number


def _rate(key: str, value: Any) -> Decimal:
    rate = _as_decimal(key, value)
    if not Decimal(0) <= rate < Decimal(1):
        raise ConfigError(f"配置项 {key} 的折扣率 {value!r} 应在 0 与 1 之间")
    return rate


def _two_digit_prefix(key: str, value: Any) -> str:
    text = _as_str(key, value)
    if len(text) != 2 or not text.isdigit():
        raise ConfigError(f'配置项 {key} 应为两位数字（如 "29"），实际为 {value!r}')
    return text


def _paper(key: str, value: Any) -> int:
    width = _as_int(key, value)
    if width not in (58, 80):
        raise ConfigError(f"配置项 {key} 应为 58 或 80，实际为 {value!r}")
    return width


def _database_url(key: str, value: Any) -> str:
    text = _as_str(key, value).strip()
    if not (text.startswith("sqlite") or text.startswith("postgresql")):
        raise ConfigError(f"配置项 {key} 只支持 sqlite 或 postgresql，实际为 {value!r}")
    return text


_PARSERS: dict[str, dict[str, Callable[[str, Any], Any]]] = {
    "store": {
        "name": _as_str,
        "timezone": _timezone,
        "public_sales": _as_bool,
        "address": _as_str,
        "hours": _as_str,
        "phone": _as_str,
        "terminal": _as_str,
    },
    "database": {"url": _database_url},
    "security": {
        "secret_key": _as_str,
        "token_ttl_hours": _positive_int,
        "max_failed_logins": _positive_int,
        "cookie_secure": _as_bool,
    },
    "discount": {"min_rate": _rate, "max_rate": _rate, "default_rate": _rate},
    "allowance": {
        "monthly": _as_money,
        "unspent": _one_of("carry_over", "expire"),
        "expire_after_months": _positive_int,
        "approval": _one_of("single", "two_person"),
        "categories": _as_str_tuple,
        "topup_day": _positive_int,
    },
    "inventory": {
        "block_negative": _as_bool,
        "scale_prefixes": _as_str_tuple,
        "scale_item_digits": _positive_int,
        "scale_value": _one_of("price", "weight"),
        "instore_prefix": _two_digit_prefix,
    },
    "clothing": {
        "items_per_quarter": _as_int,
        "events_count": _as_bool,
        "kinds": _as_str_tuple,
    },
    "printer": {
        "kind": _one_of("none", "dummy", "file", "network", "usb", "serial", "cups"),
        "paper_width_mm": _paper,
        "encoding": _one_of("gb18030", "gbk"),
        "qr": _one_of("native", "image"),
        "profile": _as_str,
        "host": _as_str,
        "port": _positive_int,
        "device": _as_str,
        "vendor_id": _as_int,
        "product_id": _as_int,
        "baudrate": _positive_int,
        "cups_name": _as_str,
        "timeout_seconds": _as_decimal,
        "drawer_pin": _as_int,  # 2 or 5, checked with the rest below
        "drawer_kick": _as_bool,
        "footer": _as_str,
        "chinese_mode": _one_of("auto", "on", "off"),
        "fallback": _one_of("image", "replace"),
        "font_path": _as_str,
        "status_check": _as_bool,
        "retry_seconds": _positive_int,
        "retry_max_age_minutes": _positive_int,
    },
    "balance_page": {"base_url": _as_str, "pin": _as_bool, "rate_limit": _as_str},
}

# Tables whose keys are free-form (a category name) with typed values.
_MAPPINGS: dict[tuple[str, str], Callable[[str, Any], Any]] = {
    ("allowance", "by_category"): _as_money,
    ("discount", "by_category"): _rate,
}

_SECTIONS: dict[str, type] = {
    "store": StoreSettings,
    "database": DatabaseSettings,
    "security": SecuritySettings,
    "discount": DiscountSettings,
    "allowance": AllowanceSettings,
    "inventory": InventorySettings,
    "clothing": ClothingSettings,
    "printer": PrinterSettings,
    "balance_page": BalancePageSettings,
}


def _build(raw: Mapping[str, Any], *, base: Settings, source: str) -> Settings:
    sections: dict[str, Any] = {}
    for name in _SECTIONS:
        current = getattr(base, name)
        values = raw.get(name, {})
        if not isinstance(values, Mapping):
            raise ConfigError(f"配置节 [{name}] 应为表，实际为 {values!r}")
        changes: dict[str, Any] = {}
        for key, value in values.items():
            dotted = f"{name}.{key}"
            if (name, key) in _MAPPINGS:
                if not isinstance(value, Mapping):
                    raise ConfigError(f"配置节 [{dotted}] 应为表，实际为 {value!r}")
                parse_value = _MAPPINGS[(name, key)]
                changes[key] = {str(k): parse_value(f"{dotted}.{k}", v) for k, v in value.items()}
            elif key in _PARSERS[name]:
                changes[key] = _PARSERS[name][key](dotted, value)
            else:
                warnings.warn(f"未知配置项 {dotted}（已忽略）", UnknownConfigKey, stacklevel=3)
        sections[name] = replace(current, **changes) if changes else current
    for name in raw:
        if name not in _SECTIONS:
            warnings.warn(f"未知配置节 [{name}]（已忽略）", UnknownConfigKey, stacklevel=3)
    settings = Settings(**sections, source=source)
    _check_consistency(settings)
    return settings


def _check_consistency(settings: Settings) -> None:
    d = settings.discount
    if d.min_rate > d.max_rate:
        raise ConfigError(
            f"配置项 discount.min_rate ({d.min_rate}) 不能大于 discount.max_rate ({d.max_rate})"
        )
    for key, rate in [("discount.default_rate", d.default_rate)] + [
        (f"discount.by_category.{k}", v) for k, v in d.by_category.items()
    ]:
        if not d.min_rate <= rate <= d.max_rate:
            raise ConfigError(f"配置项 {key} 的值 {rate} 不在 [{d.min_rate}, {d.max_rate}] 范围内")
    inv = settings.inventory
    for prefix in inv.scale_prefixes:
        if len(prefix) != 2 or not prefix.isdigit():
            raise ConfigError(f"配置项 inventory.scale_prefixes 中的 {prefix!r} 应为两位数字")
    if inv.instore_prefix in inv.scale_prefixes:
        raise ConfigError(
            f"配置项 inventory.instore_prefix ({inv.instore_prefix}) 不能同时出现在 "
            "inventory.scale_prefixes 中（店内码与电子秤条码会混淆）"
        )
    if not 1 <= inv.scale_item_digits <= 6:
        raise ConfigError(
            f"配置项 inventory.scale_item_digits 应在 1 到 6 之间，实际为 {inv.scale_item_digits!r}"
        )
    if settings.printer.drawer_pin not in (2, 5):
        raise ConfigError(
            f"配置项 printer.drawer_pin 应为 2 或 5，实际为 {settings.printer.drawer_pin!r}"
        )
    if settings.clothing.items_per_quarter < 0:
        raise ConfigError(
            "配置项 clothing.items_per_quarter 不能为负数，"
            f"实际为 {settings.clothing.items_per_quarter!r}"
        )
    for category in settings.allowance.by_category:
        if category not in settings.allowance.categories:
            raise ConfigError(
                f"配置项 allowance.by_category 中的类别 {category!r} "
                f"不在 allowance.categories {list(settings.allowance.categories)} 中"
            )


def load_settings(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the config file (explicit path, else `CHARITY_CONFIG`, else ./config.toml if present)
    and apply the environment overrides `CHARITY_DATABASE_URL` and `CHARITY_SECRET_KEY`."""
    env = os.environ if environ is None else environ
    explicit = path is not None or bool(env.get("CHARITY_CONFIG"))
    config_path = Path(
        path if path is not None else env.get("CHARITY_CONFIG") or DEFAULT_CONFIG_FILE
    )
    raw: dict[str, Any] = {}
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
    overrides = {
        ("database", "url"): env.get("CHARITY_DATABASE_URL"),
        ("security", "secret_key"): env.get("CHARITY_SECRET_KEY"),
    }
    for (section, key), value in overrides.items():
        if value:
            raw.setdefault(section, {})[key] = value
    return _build(raw, base=Settings(), source=source)


def section_keys() -> dict[str, list[str]]:
    """Every known key by section, for the README's reference and a test that keeps it true."""
    out: dict[str, list[str]] = {}
    for name, section_type in _SECTIONS.items():
        out[name] = [f.name for f in fields(section_type)]
    return out
