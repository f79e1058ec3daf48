"""How names, ID numbers and card numbers are written: normalised on the way in (what real
files and scanners type), masked on the way out (rule 9: the minimum of personal data)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def mask_name(name: str) -> str:
    """'张三云' -> '张*云', '张三' -> '张*', a single character unchanged."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(id_number: str) -> str:
    """'410108199001011234' -> '4101**********1234' (first four and last four kept)."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """'13800001234' -> '138****1234', '0371-63123456' -> '*********3456': the last four kept
    (and a mobile number's first three); '' stays ''."""
    phone = phone.strip()
    if len(phone) <= 4:
        return "*" * len(phone)
    if len(phone) == 11 and phone.isdigit():
        return phone[:3] + "****" + phone[-4:]
    return "*" * (len(phone) - 4) + phone[-4:]


def normalise_text(value: str) -> str:
    """Full-width letters and digits to ASCII (NFKC), spaces removed."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", value))


def normalise_id_number(value: str) -> str:
    """What real files contain: spaces, full-width digits, a lower-case x."""
    return normalise_text(value).upper()
