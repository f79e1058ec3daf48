"""Reading the bureau's roster file: .xlsx, .xls, .ods or .csv (UTF-8, UTF-8 with BOM, GBK,
GB18030) through the kernel's reader (`core.tabular`: header checked before any row, limits,
invisible characters removed), the header spellings real files use, what real cells contain
(full-width digits, spaces, ID numbers a spreadsheet program turned into numbers, names that
would run as formulas), and every invalid row named by its spreadsheet row number (the header is
row 1). Writes nothing; `cards.services.roster` compares and applies."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric

from cards.services.text import mask_id_number, normalise_id_number, normalise_text
from core.errors import ValidationError
from core.tabular import Column, Columns, open_table
from core.text import formula_like

# The roster's columns: the headers accepted for each (Chinese as in the bureau's files, English
# too); the first is its label in messages.
ROSTER_COLUMNS = Columns(
    Column("name", "姓名", "name", required=True),
    Column(
        "id_number",
        "身份证号",
        "身份证号码",
        "证件号码",
        "公民身份号码",
        "id_number",
        "id",
        required=True,
    ),
    Column("category", "类别", "救助类别", "category", required=True),
    Column("town", "镇街", "乡镇街道", "乡镇(街道)", "街道", "town"),
    Column("community", "村社区", "村(社区)", "社区", "村", "community"),
    Column("phone", "联系电话", "电话", "手机", "手机号", "phone"),
    Column("household_size", "家庭人口", "人口", "household_size", "household"),
)

FieldValue = str | int  # a compared field's value
COMPARED = ("name", "category", "town", "community", "phone", "household_size")
_SCIENTIFIC = re.compile(r"^[0-9](\.[0-9]+)?E\+?[0-9]+$", re.IGNORECASE)


@dataclass(frozen=True)
class RosterRow:
    """One valid row of the file, normalised; `row` is its spreadsheet row number."""

    row: int
    id_number: str
    name: str
    category: str
    town: str
    community: str
    phone: str
    household_size: int

    def values(self) -> dict[str, FieldValue]:
        """The compared fields by name."""
        return {f: getattr(self, f) for f in COMPARED}


@dataclass(frozen=True)
class RowError:
    """Why one row of the file is refused."""

    row: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}"


def check_id_number(raw: object, *, today: date) -> tuple[str, str | None]:
    """(normalised number, None) or (what was given, the reason it is refused)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw), (
            f"身份证号被表格软件（Excel、WPS 或 LibreOffice）存成了数字（{raw!r}），末几位已丢失；"
            "请把该列设置为“文本”后重新录入"
        )
    text = normalise_id_number(str(raw or ""))
    if not text:
        return text, "缺少身份证号"
    if _SCIENTIFIC.match(text) or (text.endswith(".0") and text[:-2].isdigit()):
        return text, (
            f"身份证号 {text} 被表格软件（Excel、WPS 或 LibreOffice）存成了数字，末几位已丢失；"
            "请把该列设置为“文本”后重新录入"
        )
    if len(text) != 18:
        return text, f"身份证号 {text} 位数不对（应为 18 位，实为 {len(text)} 位）"
    # From here on the number has 18 characters, close to a real one: messages mask it.
    shown = mask_id_number(text)
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return text, f"身份证号 {shown} 含有无效字符（前 17 位应为数字，末位为数字或 X）"
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return text, f"身份证号 {shown} 中的出生日期 {text[6:14]} 不存在"
    if born > today or born.year < 1890:
        return text, f"身份证号 {shown} 中的出生日期 {text[6:14]} 不可能"
    if ric.calc_check_digit(text) != text[17]:
        return text, f"身份证号 {shown} 校验位错误（可能抄错了某一位），请核对原件"
    return text, None


def read_roster(
    data: bytes,
    filename: str,
    *,
    categories: Sequence[str],
    today: date,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[RosterRow], list[RowError], str, int]:
    """Parse and check every row: (valid rows, errors, encoding, rows read)."""
    table = open_table(data, filename)
    if table.empty:
        raise ValidationError("文件是空的（没有表头）")
    columns = ROSTER_COLUMNS.locate(table.header)  # before any row is read
    valid: list[RosterRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    allowed = set(categories)
    read = 0
    reported = 0
    for number, raw in table.rows():
        if progress is not None and number - reported >= 1000:
            progress(number - reported)
            reported = number
        read += 1
        problems: list[str] = []
        id_number, id_problem = check_id_number(columns.value(raw, "id_number"), today=today)
        if id_problem:
            problems.append(id_problem)
        name = normalise_name(columns.text(raw, "name"))
        if not name:
            problems.append("缺少姓名")
        elif formula_like(name):
            problems.append(f"姓名“{name[:20]}”以“{name[0]}”开头，像是表格公式而不是姓名")
        elif len(name) > 64:
            problems.append("姓名太长")
        category = normalise_text(columns.text(raw, "category"))
        if not category:
            problems.append("缺少类别")
        elif category not in allowed:
            problems.append(f"类别“{category}”无效，可选：{'、'.join(categories)}")
        size_text = normalise_text(columns.text(raw, "household_size"))
        household = 1
        if size_text:
            if size_text.isdigit() and 1 <= int(size_text) <= 99:
                household = int(size_text)
            else:
                problems.append(f"家庭人口“{size_text}”应为 1 到 99 的整数")
        if id_problem is None:
            earlier = first_seen.get(id_number)
            if earlier is not None:
                problems.append(f"身份证号 {mask_id_number(id_number)} 与第 {earlier} 行重复")
            else:
                first_seen[id_number] = number
        if problems:
            errors.append(RowError(number, "；".join(problems)))
            continue
        valid.append(
            RosterRow(
                row=number,
                id_number=id_number,
                name=name,
                category=category,
                town=columns.text(raw, "town")[:64],
                community=columns.text(raw, "community")[:64],
                phone=normalise_text(columns.text(raw, "phone")).replace("-", "")[:32],
                household_size=household,
            )
        )
    return valid, errors, table.encoding, read


def normalise_name(value: str) -> str:
    """Names lose spaces (also full-width ones); a middle dot is unified to '·'."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    return text.replace("•", "·").replace("・", "·").replace(".", "·")
