"""The outreach list (`charity report dormant`): active card holders who have not shopped for N
months, with town, community and last purchase, for the community workers who check on them.

Here in pos, not in cards, because it reads the sales (pos sits above cards). A purchase is a
sale made with the person's card that was not voided; a refund later does not undo the visit."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.models import Account, Beneficiary, Card
from cards.services.text import mask_name
from core.errors import ValidationError
from core.money import Money
from pos.models import Refund, Sale

DEFAULT_MONTHS = 2
CSV_COLUMNS = ("card_no", "name", "category", "town", "community", "last_purchase", "balance")


@dataclass(frozen=True)
class DormantHolder:
    """One card holder on the outreach list."""

    card_no: str
    name: str
    category: str
    town: str
    community: str
    last_purchase: date | None
    balance: Money

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    def csv_row(self) -> dict[str, str]:
        """The contract's csv columns, the full name (the command line is the bureau's)."""
        return {
            "card_no": self.card_no,
            "name": self.name,
            "category": self.category,
            "town": self.town,
            "community": self.community,
            "last_purchase": "" if self.last_purchase is None else self.last_purchase.isoformat(),
            "balance": str(self.balance),
        }


def check_months(months: int) -> int:
    """N is a whole number of months from 1 to 120."""
    if months < 1 or months > 120:
        raise ValidationError(f"月数应为 1 到 120 之间的整数，实际为 {months}")
    return months


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def dormant_holders(
    session: Session, *, months: int, at: datetime, tz: tzinfo
) -> list[DormantHolder]:
    """Active beneficiaries holding an active card with no purchase since the same day `months`
    months ago (store time), longest absent first (never shopped first), then by card number."""
    check_months(months)
    today = at.astimezone(tz).date()
    cutoff = datetime.combine(months_before(today, months), time(0), tzinfo=tz)
    voided = select(Refund.sale_id).where(Refund.kind == "void")
    last = (
        select(Sale.beneficiary_id, func.max(Sale.at).label("last_at"))
        .where(Sale.beneficiary_id.is_not(None), Sale.id.not_in(voided))
        .group_by(Sale.beneficiary_id)
        .subquery()
    )
    card_no = (
        select(func.min(Card.card_no))
        .where(Card.account_id == Account.id, Card.status == "active")
        .scalar_subquery()
    )
    rows = session.execute(
        select(Beneficiary, Account.balance_fen, card_no.label("card_no"), last.c.last_at)
        .join(Account, Account.beneficiary_id == Beneficiary.id)
        .outerjoin(last, last.c.beneficiary_id == Beneficiary.id)
        .where(Beneficiary.status == "active", card_no.is_not(None))
    ).all()
    holders = []
    for person, balance_fen, number, last_at in rows:
        if last_at is not None and last_at >= cutoff:
            continue
        holders.append(
            DormantHolder(
                card_no=number,
                name=person.name,
                category=person.category,
                town=person.town,
                community=person.community,
                last_purchase=None if last_at is None else last_at.astimezone(tz).date(),
                balance=Money(balance_fen),
            )
        )
    holders.sort(key=lambda h: (h.last_purchase is not None, h.last_purchase or today, h.card_no))
    return holders
