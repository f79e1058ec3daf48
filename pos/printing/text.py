"""Measuring and breaking receipt text the way a Chinese receipt printer draws it.

A printer in Chinese (Hanzi) mode prints a single byte below 0x80 from its half-width ASCII font
(12 x 24 dots, one column) and every multi-byte GB18030/GBK sequence, two-byte or four-byte, from
its full-width font (24 x 24 dots, two columns): ä, ©, £ and half-width katakana are four-byte
GB18030 codes and take two columns like a Han character, whatever Unicode's East Asian width says.
A character the printer cannot print is drawn as an image in the same two columns (or replaced
by a full-width □). So: ASCII one column, everything else two.

Lines break between characters by display columns, with the Chinese line-breaking rules (禁则):
no line starts with closing punctuation （）】」』》，。、；：？！… and none ends with an opening
bracket or ￥; a Latin word short enough moves to the next line whole.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Align = Literal["left", "center", "right"]

ELLIPSIS = "…"

# 行首禁则: never at the start of a line (closing brackets, stops, marks that follow a word)
NO_START = frozenset(
    "）)]｝}〕〉》」』】〙〗〟’”｠»"  # closing brackets and quotes
    "，,、。.．；;：:？?！!"  # stops
    "…‥·・～~％%‰℃°′″"  # marks that belong to what precedes them
    "ー々〻ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"  # small kana, iteration marks
)
# 行尾禁则: never at the end of a line (opening brackets and quotes, currency before its amount)
NO_END = frozenset("（([｛{〔〈《「『【〘〖〝‘“｟«￥$＄")


def clean(text: str) -> str:
    """Text safe to send: control and format characters (an ESC in a product name would be a
    printer command; a zero-width joiner would print as a box) become spaces, ¥ becomes ￥, and
    the string is NFC-normalised."""
    text = unicodedata.normalize("NFC", text).replace("¥", "￥")
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)


def char_width(char: str) -> int:
    """Display columns of one character on a Chinese receipt printer: 1 for ASCII, else 2."""
    return 1 if ord(char) < 0x80 else 2


def width_of(text: str) -> int:
    return sum(char_width(c) for c in text)


def _is_word(char: str) -> bool:
    """A letter or digit of Latin text: a line breaks inside a Latin word only as a last resort."""
    return char.isascii() and (char.isalnum() or char in "'-_./")


def _allowed(text: str, at: int) -> bool:
    """Whether a line may break before `text[at]` by the line-breaking rules (spaces at the break
    are dropped, so the characters that would end and start the lines are the non-spaces)."""
    head = text[:at].rstrip(" ")
    tail = text[at:].lstrip(" ")
    if not head.strip() or not tail:
        return bool(head.strip())
    return tail[0] not in NO_START and head[-1] not in NO_END


def _fit(text: str, width: int) -> int:
    """How many characters of `text` fit in `width` columns (at least one)."""
    used = 0
    for index, char in enumerate(text):
        used += char_width(char)
        if used > width:
            return max(1, index)
    return len(text)


def _break_at(text: str, width: int) -> int:
    """Where to break a line too long for `width`: the index of the first character that goes to
    the next line. In order of preference: at a space; before the last Latin word when it is at
    most half the width; elsewhere between characters by the rules; else wherever it fits."""
    n = _fit(text, width)
    if text[n] == " " and _allowed(text, n):
        return n
    lowest = max(1, n - width // 2)
    # move a short Latin word down whole: back to the space before it
    for at in range(n, lowest - 1, -1):
        if text[at - 1] == " ":
            if _allowed(text, at):
                return at
            break
    # between characters, not inside a Latin word
    for at in range(n, lowest - 1, -1):
        if _allowed(text, at) and not (_is_word(text[at - 1]) and _is_word(text[at])):
            return at
    # inside a Latin word, by the rules
    for at in range(n, lowest - 1, -1):
        if _allowed(text, at):
            return at
    return n


def wrap(text: str, width: int) -> list[str]:
    """Split into lines of at most `width` columns, between characters, by the line-breaking
    rules; spaces at a break are dropped. Always at least one line."""
    if width < 2:
        raise ValueError("width must be at least 2 columns")
    lines: list[str] = []
    rest = text
    while width_of(rest) > width:
        at = _break_at(rest, width)
        head = rest[:at]
        lines.append(head.rstrip() if head.strip() else head)
        rest = rest[at:].lstrip(" ")
    if rest or not lines:
        lines.append(rest)
    return lines


def cut(text: str, width: int, ellipsis: str = ELLIPSIS) -> str:
    """At most `width` columns; marked with … when something was cut."""
    if width_of(text) <= width:
        return text
    room = width - width_of(ellipsis)
    out = ""
    used = 0
    for char in text:
        if used + char_width(char) > room:
            break
        out += char
        used += char_width(char)
    return out + ellipsis


def pad(text: str, width: int, align: Align = "left") -> str:
    gap = max(0, width - width_of(text))
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


__all__ = [
    "ELLIPSIS",
    "NO_END",
    "NO_START",
    "Align",
    "char_width",
    "clean",
    "cut",
    "pad",
    "width_of",
    "wrap",
]
