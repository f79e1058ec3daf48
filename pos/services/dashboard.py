"""The back-office home's figures: what each role looks at first thing in the morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.models import Adjustment, Card, TopUpCredit, TopUpRun
from cards.services.beneficiaries import count_people
from core.auth import Role, StaffUser
from core.config import Settings
from core.money import Money
from core.periods import Month, local_date
from inventory.models import Product
from inventory.services.reports import low_stock, negative_stock
from pos.models import Sale, Shift
from pos.printing.models import PrintJob
from pos.services.shifts import stale_shifts


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    endpoint: str | None = None
    warn: bool = False


def figures(session: Session, user: StaffUser, *, at: datetime, settings: Settings) -> list[Figure]:
    """The figures this user's role cares about (an admin sees them all)."""
    out: list[Figure] = []
    if user.has_role(Role.SUPERVISOR):
        day = local_date(at, settings.tz)
        start = datetime(day.year, day.month, day.day, tzinfo=settings.tz)
        count, total = session.execute(
            select(func.count(Sale.id), func.coalesce(func.sum(Sale.total_fen), 0)).where(
                Sale.at >= start, Sale.at < start + timedelta(days=1)
            )
        ).one()
        open_shifts = session.scalar(select(func.count(Shift.id)).where(Shift.status == "open"))
        stale = len(stale_shifts(session, at=at, tz=settings.tz))
        low = len(low_stock(session))
        negative = len(negative_stock(session))
        clothing = session.scalar(
            select(func.coalesce(func.sum(Product.stock_milli), 0)).where(
                Product.clothing.is_(True)
            )
        )
        failed = session.scalar(select(func.count(PrintJob.id)).where(PrintJob.status == "failed"))
        out += [
            Figure("今日销售", f"{count} 笔 · {Money(int(total)).format()}", "office.sales"),
            Figure("营业中的班次", f"{open_shifts} 个", "office.shifts"),
            Figure("跨营业日未交班", f"{stale} 个", "office.shifts", warn=bool(stale)),
            Figure("低于预警库存", f"{low} 种商品", "inventory.reports", warn=low > 0),
            Figure("负库存", f"{negative} 种商品", "inventory.reports", warn=negative > 0),
            Figure("爱心衣物库存", f"{int(clothing or 0) // 1000} 件", "clothing.stock"),
            Figure("打印失败的小票", f"{failed} 张", None, warn=bool(failed)),
        ]
    if user.has_role(Role.BUREAU):
        people = count_people(session)
        by_status = select(Card.status, func.count()).group_by(Card.status)
        cards: dict[str, int] = {status: count for status, count in session.execute(by_status)}
        month = Month.of(at, settings.tz)
        credited = session.scalar(
            select(func.count(TopUpCredit.id)).where(TopUpCredit.month == str(month))
        )
        waiting = session.scalar(
            select(func.count(TopUpRun.id)).where(TopUpRun.status == "prepared")
        )
        pending = session.scalar(
            select(func.count(Adjustment.id)).where(Adjustment.status == "pending")
        )
        out += [
            Figure("救助对象（在册）", f"{people.get('active', 0)} 人", "cards.people"),
            Figure("暂停 / 退出", f"{people.get('suspended', 0)} / {people.get('exited', 0)} 人"),
            Figure("有效卡 / 挂失卡", f"{cards.get('active', 0)} / {cards.get('frozen', 0)} 张"),
            Figure(f"{month.label}已充值", f"{credited} 人", "cards.topups"),
            Figure("待审批的充值批次", f"{waiting} 个", "cards.topups", warn=bool(waiting)),
            Figure("待审批的余额调整", f"{pending} 笔", "cards.adjustments", warn=bool(pending)),
        ]
    return out
