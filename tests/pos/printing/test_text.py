"""Measuring and breaking receipt text: display cells as a GB18030 printer counts them, and the
line-breaking rules (禁则)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos.printing.text import NO_END, NO_START, char_width, clean, cut, width_of, wrap

from .escpos_parse import parse

# names as they come: Han (incl. rare ones), ASCII, full-width punctuation, ￥, spaces, and
# characters GB18030 sends as four-byte codes (ä ö ç © £ and half-width katakana)
name_chars = st.text(
    alphabet=st.sampled_from(
        list("大米油盐酱醋茶面粉䶮𠀀ABCxyz0129 .-（）￥·、，：×…äöç©£ｱｶﾞ「」【】《》。！？；")
    ),
    max_size=80,
)

FOUR_BYTE = "äöç©£ｱｶﾞ"


def test_ascii_is_one_cell_everything_else_two() -> None:
    assert width_of("大米5kg") == 2 + 2 + 3
    assert char_width("￥") == 2 and char_width("×") == 2 and char_width("a") == 1
    for char in FOUR_BYTE:
        assert len(char.encode("gb18030")) == 4, char  # why they are full width on paper
        assert char_width(char) == 2, char
    assert width_of("Käse") == 5 and width_of("£4") == 3 and width_of("ｶﾞｳﾀﾞ") == 10


def test_cells_agree_with_the_printer_reading_the_bytes() -> None:
    """The checker counts cells from the bytes; the layout counts them from the characters."""
    for text in ("Käse Gouda ©Holland £4", "ｶﾞｳﾀﾞ 奶酪（进口）", "张*䶮 ￥62.70", "Crème brûlée"):
        (line,) = parse(text.encode("gb18030") + b"\n").text_lines()
        assert line.cells == width_of(text) and line.text == text


def test_clean_removes_printer_commands_and_half_width_yen() -> None:
    assert clean("油\x1b@\x1dV0") == "油 @ V0"
    assert clean("¥5") == "￥5"
    assert clean("A\u200db") == "A b"  # a zero-width joiner would print as a box


@settings(deadline=None)  # a busy CI machine must not make these flaky
@given(name_chars, st.integers(min_value=2, max_value=48))
def test_wrap_never_exceeds_width_nor_splits_a_character(text: str, width: int) -> None:
    lines = wrap(text, width)
    assert all(width_of(line) <= width for line in lines)
    # every character arrives whole and in order (only spaces at breaks may go)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert line.encode("gb18030").decode("gb18030") == line


# text as words: a word of 1-4 letters, perhaps inside brackets, perhaps followed by a stop
word = st.builds(
    lambda opening, body, closing, stop: opening + body + closing + stop,
    st.sampled_from(["", "（", "【", "「", "《", "“"]),
    st.text(alphabet=st.sampled_from(list("大米油盐酱醋茶面粉Käseç©ｱ12")), min_size=1, max_size=4),
    st.sampled_from(["", "）", "】", "」", "》", "”"]),
    st.sampled_from(["", "，", "。", "、", "；", "：", "？", "！", "…"]),
)


@settings(deadline=None)
@given(st.lists(word, min_size=1, max_size=30).map("".join), st.integers(16, 48))
def test_no_line_starts_with_closing_punctuation_or_ends_with_an_opening_one(
    text: str, width: int
) -> None:
    lines = wrap(text, width)
    assert all(width_of(line) <= width for line in lines)
    assert "".join(lines) == text
    for line in lines[1:]:
        assert line[0] not in NO_START, lines
    for line in lines[:-1]:
        assert line[-1] not in NO_END, lines


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        # the closing bracket does not go alone to the next line: 价 goes down with it
        ("本店自营挂面（特价）", 18, ["本店自营挂面（特", "价）"]),
        ("挂面特价促销中心（本店自营）好", 16, ["挂面特价促销中心", "（本店自营）好"]),
        # nor a stop
        ("大米，油，盐，醋。", 8, ["大米，", "油，盐，", "醋。"]),
        # an opening bracket does not end a line
        ("好吃的挂面（特价）", 12, ["好吃的挂面", "（特价）"]),
        # ￥ stays with its amount
        ("今日特价挂面￥2.00", 14, ["今日特价挂面", "￥2.00"]),
        # a short Latin word moves down whole; a long one is cut only where it must
        ("Käse Gouda aus Holland", 12, ["Käse Gouda", "aus Holland"]),
        ("abcdefghijklmnopqrstuvwxyz", 10, ["abcdefghij", "klmnopqrst", "uvwxyz"]),
        # nothing but stops: broken where it fits, never lost
        ("。。。。。。", 4, ["。。", "。。", "。。"]),
    ],
)
def test_line_breaking_rules(text: str, width: int, expected: list[str]) -> None:
    assert wrap(text, width) == expected


@settings(deadline=None)  # a busy CI machine must not make these flaky
@given(name_chars, st.integers(min_value=2, max_value=48))
def test_cut_fits_and_marks_the_cut(text: str, width: int) -> None:
    out = cut(text, width)
    assert width_of(out) <= width
    if out != text:
        assert out.endswith("…") and text.startswith(out[:-1])
