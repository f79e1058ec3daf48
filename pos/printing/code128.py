"""CODE128 for the printer's own barcode command (ESC/POS GS k, m = 73): the data bytes with
their code-set choices, and how many modules wide the symbol is.

In GS k 73 data, `{A` `{B` `{C` select a code set (the first one is the start code), `{{` is a
literal `{` in set B, and in set C each byte is a number 0-99 standing for two digits. Digits
go in set C when a run is long enough to pay for the switch (4 at either end, 6 in the middle;
the whole text when it is only digits), everything else in set B.
"""

from __future__ import annotations

import re

SYMBOL = 11  # modules per symbol (start, data, switch, check)
STOP = 13  # the stop symbol and its final bar


def segments(text: str) -> list[tuple[str, str]]:
    """`text` split into (code set, characters) runs, "B" or "C"; C runs are of even length."""
    if not text or not all(32 <= ord(c) < 127 for c in text):
        raise ValueError(f"CODE128 barcode data must be printable ASCII, not {text!r}")
    out: list[tuple[str, str]] = []

    def add(code: str, chars: str) -> None:
        if not chars:
            return
        if out and out[-1][0] == code:
            out[-1] = (code, out[-1][1] + chars)
        else:
            out.append((code, chars))

    runs = re.findall(r"\d+|\D+", text)
    for index, run in enumerate(runs):
        first, last = index == 0, index == len(runs) - 1
        needed = 2 if first and last else 4 if first or last else 6
        if not run.isdigit() or len(run) < needed:
            add("B", run)
        elif len(run) % 2 == 0:
            add("C", run)
        elif first:  # an odd run at the start: the last digit goes with the text after it
            add("C", run[:-1])
            add("B", run[-1])
        else:  # elsewhere the first digit stays with the text before it
            add("B", run[0])
            add("C", run[1:])
    return out


def escpos_data(text: str) -> bytes:
    """The data bytes of GS k 73 for `text`."""
    data = bytearray()
    for code, chars in segments(text):
        data += b"{" + code.encode()
        if code == "C":
            data += bytes(int(chars[i : i + 2]) for i in range(0, len(chars), 2))
        else:
            data += chars.replace("{", "{{").encode("ascii")
    return bytes(data)


def modules(text: str) -> int:
    """The symbol's width in modules: start and switches, data, check symbol, stop."""
    symbols = 1  # the check symbol
    for code, chars in segments(text):
        symbols += 1 + (len(chars) // 2 if code == "C" else len(chars))
    return symbols * SYMBOL + STOP
