"""Barcodes: validation of product codes (EAN-13, EAN-8, UPC-A via python-stdnum), in-store codes,
and the layout of scale barcodes (13 digits carrying a price or a weight, or the 18-digit form
carrying both), as configured in `[inventory]`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from stdnum import ean

from core.config import InventorySettings
from core.errors import ValidationError
from core.money import Money


def check_digit(body: str) -> str:
    """The EAN/GS1 mod-10 check digit of `body` (any length)."""
    return ean.calc_check_digit(body)


def instore_code(prefix: str, number: int) -> str:
    """The in-store EAN-13 for a sequence number: prefix + 10 digits + check digit."""
    body = f"{prefix}{number:010d}"
    return body + check_digit(body)


@dataclass(frozen=True)
class ScaleCode:
    """What a scale barcode says: the item code (PLU), and the weight and/or the printed amount."""

    plu: str
    weight: Decimal | None  # kg, three decimals
    amount: Money | None


def parse_scale_code(code: str, layout: InventorySettings) -> ScaleCode | None:
    """A scale barcode's parts, or None when `code` is not one (wrong length, prefix or check).

    13 digits: prefix(2) + item(scale_item_digits) + value + check; the value is the price in fen
    (`scale_value = "price"`) or the weight in grams. 18 digits: prefix(2) + item + weight in grams
    (5) + price in fen + check."""
    if not code.isdigit() or code[:2] not in layout.scale_prefixes:
        return None
    if len(code) not in (13, 18) or check_digit(code[:-1]) != code[-1]:
        return None
    n = layout.scale_item_digits
    plu = code[2 : 2 + n]
    if len(code) == 13:
        value = int(code[2 + n : 12])
        if layout.scale_value == "price":
            return ScaleCode(plu=plu, weight=None, amount=Money(value))
        return ScaleCode(plu=plu, weight=Decimal(value) / 1000, amount=None)
    grams = int(code[2 + n : 7 + n])
    fen = int(code[7 + n : 17])
    return ScaleCode(plu=plu, weight=Decimal(grams) / 1000, amount=Money(fen))


def make_scale_code(
    layout: InventorySettings,
    plu: str,
    *,
    weight: Decimal | None = None,
    amount: Money | None = None,
    prefix: str | None = None,
) -> str:
    """The barcode a scale would print (for tests, demos and labels): the 18-digit form when both
    weight and amount are given, else the 13-digit form of the configured value."""
    n = layout.scale_item_digits
    prefix = prefix or layout.scale_prefixes[0]
    if len(plu) != n or not plu.isdigit():
        raise ValidationError(f"电子秤商品码 {plu!r} 应为 {n} 位数字")
    if weight is not None and amount is not None:
        body = f"{prefix}{plu}{int(weight * 1000):05d}{amount.fen:0{10 - n}d}"
    elif layout.scale_value == "price" and amount is not None:
        body = f"{prefix}{plu}{amount.fen:0{10 - n}d}"
    elif layout.scale_value == "weight" and weight is not None:
        body = f"{prefix}{plu}{int(weight * 1000):0{10 - n}d}"
    else:
        raise ValidationError("电子秤条码需要金额或重量（按配置 inventory.scale_value）")
    return body + check_digit(body)


def validate_barcode(code: str, layout: InventorySettings) -> str:
    """A product barcode as stored: digits only, a valid EAN-13, EAN-8 or UPC-A check digit, and
    not in a scale prefix (those numbers belong to the scale's printed labels)."""
    text = (code or "").strip()
    if not text:
        raise ValidationError("条码不能为空")
    if not text.isdigit():
        raise ValidationError(f"条码 {text} 只能包含数字")
    if len(text) not in (8, 12, 13):
        raise ValidationError(f"条码 {text} 长度应为 13（EAN-13）、8（EAN-8）或 12（UPC-A）位")
    if not ean.is_valid(text):
        raise ValidationError(
            f"条码 {text} 校验位错误（应为 {check_digit(text[:-1])}，实际为 {text[-1]}）"
        )
    if len(text) == 13 and text[:2] in layout.scale_prefixes:
        raise ValidationError(f"条码 {text} 以电子秤前缀 {text[:2]} 开头，不能作为商品条码")
    return text
