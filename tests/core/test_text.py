"""core.text: invisible characters removed from imported text; formula-like cells told and
neutralised for CSV."""

from __future__ import annotations

import unicodedata

import pytest

from core.text import BIDI_CONTROLS, clean_text, formula_like, neutralise_csv


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_every_bidirectional_control_is_removed(control: str) -> None:
    assert clean_text(f"{control}张三{control}云") == "张三云"


def test_the_named_bidi_controls_are_the_issue_s_list() -> None:
    expected = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
    assert expected | {"\u200e", "\u200f", "\u061c"} == BIDI_CONTROLS


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("\u202e云三张", "云三张"),  # RLO: would print reversed
        ("张\u200b三", "张三"),  # zero-width space
        ("张\u00ad三", "张三"),  # soft hyphen
        ("张\u2060三", "张三"),  # word joiner
        ("\ufeff张三", "张三"),  # a BOM inside a cell
        ("张\u200d三", "张三"),  # zero-width joiner: removed too (see core.text)
        ("张\u200c三", "张三"),  # zero-width non-joiner
        ("张\x1b@三", "张@三"),  # ESC: a receipt printer command
        ("a\x00b\x07c\x7f", "abc"),  # ASCII controls
        ("张\x85三", "张三"),  # a C1 control
    ],
)
def test_invisible_and_control_characters_are_removed(text: str, clean: str) -> None:
    assert clean_text(text) == clean


@pytest.mark.parametrize(
    "text",
    [
        "张 三",  # an ordinary space
        "张\u3000三",  # an ideographic space (names normalise spaces later, not here)
        "张\u00a0三",  # no-break space
        "多行\n文字\r\n\t缩进",  # tabs and line breaks
        "买买提·艾力",
        "𠀀𪚥䶮",  # rare name characters outside the BMP and in Extension A
        "\ue000",  # private use: old GBK systems put rare name characters there
        "👩‍👩‍👧"[0],  # an emoji without its joiners is kept
    ],
)
def test_visible_text_is_kept(text: str) -> None:
    assert clean_text(text) == text


def test_no_format_character_survives() -> None:
    every_cf = "".join(chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf")
    assert len(every_cf) > 150
    assert clean_text(f"张{every_cf}三") == "张三"


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_leads_are_told_and_neutralised(lead: str) -> None:
    text = f'{lead}HYPERLINK("http://x","点我")'
    assert formula_like(text)
    assert neutralise_csv(text) == "'" + text


@pytest.mark.parametrize("text", ["张三", "", " =1", "1+1", "a@b.c", "'=1"])
def test_other_text_is_not_formula_like(text: str) -> None:
    assert not formula_like(text)
    assert neutralise_csv(text) == text
