"""The fund statement as the bureau takes it away, through the kernel's export writer
(`core.export`): a printable workbook (A4 landscape fitted to the width, Chinese headers, numbers
as numbers with two decimals, the title with the store, month, seal and time of printing; one
sheet per section: categories, stores, other figures) and the category table as csv."""

from __future__ import annotations

from datetime import datetime, tzinfo

from cards.services.fund_statement import COLUMNS, Figures, FundStatement
from core.export import Column, Report, Sheet, Table, TitleBlock
from core.export.model import Value
from core.money import Money

CATEGORY_COLUMNS = (
    Column("类别"),
    Column("充值人数", "integer"),
    *(Column(title, "amount") for title, _ in COLUMNS[2:]),
)


def _line(name: str, figures: Figures) -> tuple[Value, ...]:
    return (name, figures.people, *(Money(getattr(figures, key)) for _, key in COLUMNS[2:]))


def category_table(statement: FundStatement) -> Table:
    """The statement's main table: one line per category, the total in bold."""
    return Table(
        CATEGORY_COLUMNS,
        [_line(name, f) for name, f in statement.categories.items()],
        totals=[_line("合计", statement.total)],
    )


def fund_report(statement: FundStatement, *, store: str, at: datetime, tz: tzinfo) -> Report:
    """The statement as a printable workbook."""
    stores = Table(
        (
            Column("门店"),
            Column("卡消费（元）", "amount"),
            Column("卡退款（元）", "amount"),
            Column("购物笔数", "integer"),
        ),
        [
            (code, Money(s.spent_fen), Money(s.refunded_fen), s.purchases)
            for code, s in statement.stores.items()
        ],
        heading="各门店",
    )
    other = Table(
        (Column("项目"), Column("数值"), Column("说明")),
        [
            (
                "慈善让利（元）",
                str(Money(statement.charity_discount_fen)),
                "标价减慈善价，扣除退货",
            ),
            ("购物笔数", str(statement.purchases), "刷卡购物的笔数（作废的不计）"),
            ("购物人数", str(statement.shoppers), "刷卡购物的不同账户数"),
            ("发放衣物（件）", str(statement.clothing_items), "扣除退回的"),
            ("是否平衡", statement.balance_line, "期初+充值-消费+退款-过期+调整=期末=月末卡内余额"),
            ("状态", "已结账" if statement.closed else "未结账", ""),
        ],
        heading="其他",
    )
    title = TitleBlock(
        "慈善购物卡资金月报",
        store=store,
        period=statement.month,
        printed_at=at,
        tz=tz,
        seal=statement.seal,
    )
    return Report(
        title,
        [
            Sheet("资金月报", [category_table(statement)], landscape=True, freeze_columns=1),
            Sheet("门店", [stores]),
            Sheet("其他", [other]),
        ],
    )
