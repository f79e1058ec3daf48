"""Small server-side charts as inline SVG: bars (one or more series side by side) and lines,
from labelled series. No script, no CDN and no `style` attribute (the pages' CSP forbids inline
styles): colours, sizes and fonts are SVG presentation attributes. Readable printed in black and
white: each series has its own colour *and* its own fill pattern or dash, values are written on
the bars, and the legend names every series.

    chart = bar_chart("支出按类别", ["粮油", "蔬菜"], [Series("金额（元）", [Decimal("12.5"), 3])])
    render_template("...", chart=chart)      # {{ chart }} in the page: already safe markup
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

Number = Decimal | int

# Dark enough for AA contrast on white and distinct in greyscale.
COLOURS = ("#1f4e79", "#b34700", "#2e6b30", "#6a1b9a", "#5d4037")
DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 3")
FONT = "Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei, sans-serif"


@dataclass(frozen=True)
class Series:
    """One named series of values, one per label (money as Decimal yuan, counts as int)."""

    name: str
    values: Sequence[Number]


def _fmt(value: Number) -> str:
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number:,.2f}"


def _nice_max(top: Decimal) -> Decimal:
    """A round axis maximum at or above `top` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return Decimal(1)
    power = Decimal(1)
    while power * 10 <= top:
        power *= 10
    while power > top:
        power /= 10
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if power * step >= top:
            return power * step
    return power * 10


def _text(
    x: float, y: float, body: str, *, size: int = 12, anchor: str = "middle", **kw: str
) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v, quote=True)}"' for k, v in kw.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="#111"{extra}>{escape(body)}</text>'
    )


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int = 64
    right: int = 16
    top: int = 40
    bottom: int = 56

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: Number, top: Decimal) -> float:
        return self.top + self.plot_h * (1 - float(Decimal(value) / top))


def _open(title: str, frame: _Frame) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" font-family="{escape(FONT, quote=True)}" '
        f'aria-label="{escape(title, quote=True)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{frame.width}" height="{frame.height}" fill="#fff"/>',
        _text(frame.width / 2, 20, title, size=15, font_weight="bold"),
    ]


def _axes(frame: _Frame, top: Decimal, labels: Sequence[str], slot: float) -> list[str]:
    out = []
    for i in range(5):
        value = top * i / 4
        y = frame.y(value, top)
        out.append(
            f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.width - frame.right}" '
            f'y2="{y:.1f}" stroke="#bbb" stroke-width="1"/>'
        )
        out.append(_text(frame.left - 6, y + 4, _fmt(value), size=11, anchor="end"))
    base = frame.top + frame.plot_h
    out.append(
        f'<line x1="{frame.left}" y1="{base:.1f}" x2="{frame.width - frame.right}" '
        f'y2="{base:.1f}" stroke="#111" stroke-width="1.5"/>'
    )
    every = max(1, len(labels) // 12 + (1 if len(labels) % 12 else 0)) if len(labels) > 12 else 1
    for i, label in enumerate(labels):
        if i % every:
            continue
        out.append(_text(frame.left + slot * (i + 0.5), base + 16, label, size=11))
    return out


def _legend(frame: _Frame, series: Sequence[Series], *, lines: bool) -> list[str]:
    out = []
    x = float(frame.left)
    y = frame.height - 14
    for i, s in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        if lines:
            dash = DASHES[i % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 18:.1f}" y2="{y - 4:.1f}" '
                f'stroke="{colour}" stroke-width="3"{dash_attr}/>'
            )
        else:
            out.append(
                f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="14" height="12" '
                f'fill="url(#p{i})" stroke="{colour}"/>'
            )
        out.append(_text(x + 22, y, s.name, size=12, anchor="start"))
        x += 34 + 13 * len(s.name)
    return out


def _patterns(count: int) -> str:
    """Fill patterns per series (solid, hatched, dotted, ...), for black-and-white printing."""
    defs = []
    for i in range(count):
        colour = COLOURS[i % len(COLOURS)]
        kind = i % 3
        if kind == 0:
            body = f'<rect width="6" height="6" fill="{colour}"/>'
        elif kind == 1:
            body = (
                f'<rect width="6" height="6" fill="#fff"/>'
                f'<path d="M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5" stroke="{colour}" stroke-width="2"/>'
            )
        else:
            body = f'<rect width="6" height="6" fill="{colour}" fill-opacity="0.35"/>' + (
                f'<circle cx="3" cy="3" r="1.4" fill="{colour}"/>'
            )
        defs.append(
            f'<pattern id="p{i}" width="6" height="6" patternUnits="userSpaceOnUse">{body}</pattern>'
        )
    return "<defs>" + "".join(defs) + "</defs>"


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(
                f"series {s.name!r} has {len(s.values)} values for {len(labels)} labels"
            )


def _top(series: Sequence[Series]) -> Decimal:
    """The axis maximum; for counts (whole numbers only) a multiple of four, so that the four
    grid steps are whole numbers too."""
    values = [Decimal(v) for s in series for v in s.values]
    top = _nice_max(max(values, default=Decimal(0)))
    if all(isinstance(v, int) for s in series for v in s.values):
        top = Decimal(-(-int(top.to_integral_value(rounding="ROUND_CEILING")) // 4) * 4)
    return top


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 720,
    height: int = 320,
) -> Markup:
    """Bars per label, the series side by side, each bar with its value above it (values below
    zero are drawn as zero: the table beside the chart has the exact figures)."""
    _check(labels, series)
    frame = _Frame(width, height)
    top = _top(series)
    slot = frame.plot_w / max(1, len(labels))
    bar = min(slot * 0.8 / max(1, len(series)), 64.0)
    inset = (slot - bar * max(1, len(series))) / 2
    out = _open(title, frame)
    out.append(_patterns(len(series)))
    out += _axes(frame, top, labels, slot)
    base = frame.top + frame.plot_h
    show_values = len(labels) * len(series) <= 24
    for j, s in enumerate(series):
        colour = COLOURS[j % len(COLOURS)]
        for i, value in enumerate(s.values):
            shown = max(Decimal(value), Decimal(0))
            y = frame.y(shown, top)
            x = frame.left + slot * i + inset + bar * j
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{base - y:.1f}" '
                f'fill="url(#p{j})" stroke="{colour}" stroke-width="1">'
                f"<title>{escape(labels[i])} {escape(s.name)}：{_fmt(value)}</title></rect>"
            )
            if show_values and value:
                out.append(_text(x + bar / 2, y - 3, _fmt(value), size=10))
    if not labels:
        out.append(_text(width / 2, frame.top + frame.plot_h / 2, "所选期间没有数据", size=14))
    out += _legend(frame, series, lines=False)
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text and attribute above is escaped


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 720,
    height: int = 320,
) -> Markup:
    """One line per series across the labels, each with its own colour, dash and point marks."""
    _check(labels, series)
    frame = _Frame(width, height)
    top = _top(series)
    slot = frame.plot_w / max(1, len(labels))
    out = _open(title, frame)
    out += _axes(frame, top, labels, slot)
    for j, s in enumerate(series):
        colour = COLOURS[j % len(COLOURS)]
        dash = DASHES[j % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = [
            (frame.left + slot * (i + 0.5), frame.y(max(Decimal(v), Decimal(0)), top))
            for i, v in enumerate(s.values)
        ]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"'
                f"{dash_attr}/>"
            )
        for (x, y), value, label in zip(points, s.values, labels, strict=True):
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(label)} {escape(s.name)}：{_fmt(value)}</title></circle>"
            )
    if not labels:
        out.append(_text(width / 2, frame.top + frame.plot_h / 2, "所选期间没有数据", size=14))
    out += _legend(frame, series, lines=True)
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text and attribute above is escaped
