"""Text from outside, made safe to keep and to hand back: what the importers store and what the
exports write.

`clean_text` removes what a person cannot see but a program acts on: bidirectional controls
(U+202E turns `张三` into a name that prints backwards), the other invisible format characters
(Unicode category Cf: zero-width spaces, the soft hyphen, word joiners, a stray BOM) and control
characters (an ESC in a name is a command to a receipt printer). Ordinary spaces, tabs and line
breaks stay; the callers decide what spaces mean in their fields.

The zero-width joiner (U+200D) goes too. It is Cf like the rest, and what it joins (emoji
sequences, Indic and Arabic shaping) does not occur in a civil-affairs roster, whose names are in
Chinese characters, nor print on a GB18030 receipt; kept, it would make `张\u200d三` look like
`张三` and not match what a cashier types. Removing it from an emoji sequence leaves the emoji.

`formula_like` tells a cell that a spreadsheet would run as a formula (OWASP's CSV injection:
`=`, `+`, `-`, `@`, tab, carriage return at the start); `neutralise_csv` prefixes such a cell
with an apostrophe, the way a person types text into Excel.
"""

from __future__ import annotations

import unicodedata

# The bidirectional controls, named because they are the ones that change how text shows
# (embeddings, overrides, isolates, marks); every one is also in category Cf.
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]  # LRE RLE PDF LRO RLO
    + [chr(c) for c in range(0x2066, 0x206A)]  # LRI RLI FSI PDI
    + ["\u200e", "\u200f", "\u061c"]  # LRM RLM ALM
)
_KEPT_CONTROLS = frozenset("\t\n\r")
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _invisible(char: str) -> bool:
    if char in BIDI_CONTROLS:
        return True
    category = unicodedata.category(char)
    if category == "Cf":
        return True
    return category == "Cc" and char not in _KEPT_CONTROLS


def clean_text(value: str) -> str:
    """`value` without bidirectional controls, other invisible format characters (Cf) and
    control characters other than tab and line breaks. Cheap when there is nothing to remove."""
    if value.isprintable():  # no Cc, Cf (nor other non-printing) character: the common case
        return value
    if value.isascii():
        return "".join(c for c in value if c.isprintable() or c in _KEPT_CONTROLS)
    return "".join(c for c in value if not _invisible(c))


def formula_like(value: str) -> bool:
    """A text that a spreadsheet would take for a formula if it were typed into a cell."""
    return value.startswith(FORMULA_LEADS)


def neutralise_csv(value: str) -> str:
    """A CSV cell that opens as the text it is: formula-like text gets a leading apostrophe."""
    return "'" + value if formula_like(value) else value
