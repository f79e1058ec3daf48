"""The card list as the bureau takes it away: `charity cards list --format csv` (the contract's
columns, full ID numbers: the command line is the bureau's) and its printable Excel form, both
through the kernel's export writer (`core.export`: formula-like names neutralised)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from cards.services.cards import CARD_STATUS_LABELS, CardEntry, qr_url
from core.export import Column, Report, Sheet, Table, TitleBlock
from core.money import Money

CSV_COLUMNS = (
    Column("card_no"),
    Column("id_number"),
    Column("name"),
    Column("category"),
    Column("status"),
    Column("balance", "amount"),
    Column("qr_url"),
)
XLSX_COLUMNS = (
    Column("卡号"),
    Column("身份证号"),
    Column("姓名"),
    Column("类别"),
    Column("状态"),
    Column("余额（元）", "amount"),
)


def card_list_csv(entries: Sequence[CardEntry], *, base_url: str) -> Table:
    """The contract's csv: `card_no,id_number,name,category,status,balance,qr_url`, the status
    as its code (`active`, `frozen`, `closed`), the balance like `50.00`."""
    return Table(
        CSV_COLUMNS,
        [
            (
                e.card_no,
                e.id_number,
                e.name,
                e.category,
                e.status,
                Money(e.balance_fen),
                qr_url(base_url, e.qr_token),
            )
            for e in entries
        ],
    )


def card_list_report(
    entries: Sequence[CardEntry], *, store: str, at: datetime, tz: tzinfo
) -> Report:
    """The card list to print: one line per card, the count and total balance at the end."""
    total = sum((Money(e.balance_fen) for e in entries), Money.zero())
    table = Table(
        XLSX_COLUMNS,
        [
            (
                e.card_no,
                e.id_number,
                e.name,
                e.category,
                CARD_STATUS_LABELS[e.status],
                Money(e.balance_fen),
            )
            for e in entries
        ],
        totals=[("合计", f"{len(entries)} 张卡", "", "", "", total)],
    )
    title = TitleBlock(
        "慈善购物卡清单",
        store=store,
        printed_at=at,
        tz=tz,
        period=f"截至 {at.astimezone(tz):%Y-%m-%d}",
    )
    return Report(title, [Sheet("卡清单", [table])])
