"""Returns without the receipt: the card (or a holder found by name and last four digits) leads
to the holder's recent sales, and the refund is made from one of them as with a receipt
(`POST /api/v1/sales/{sale_no}/refund`, a supervisor's act, money back to the original
tenders)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from cards.services.cards import find_card
from core.auth import Role
from core.money import Money
from core.web import ApiBlueprint, ApiModel, db_session
from pos.models import Sale
from pos.services.sales import recent_sales_of_account

api = ApiBlueprint("returns_api", __name__, tag="checkout")


class SalesQuery(ApiModel):
    card_no: str = Field(min_length=1, max_length=32, description="卡号（16 位）")


class SaleSummary(ApiModel):
    sale_no: str
    at: datetime
    terminal: str
    items: int
    total: str
    paid_card: str
    paid_cash: str
    paid_qr: str
    refunded: str

    @classmethod
    def of(cls, sale: Sale) -> SaleSummary:
        return cls(
            sale_no=sale.sale_no,
            at=sale.at,
            terminal=sale.terminal,
            items=len(sale.lines),
            total=str(Money(sale.total_fen)),
            paid_card=str(Money(sale.paid_card_fen)),
            paid_cash=str(Money(sale.paid_cash_fen - sale.change_fen)),
            paid_qr=str(Money(sale.paid_qr_fen)),
            refunded=str(Money(sum(r.total.fen for r in sale.refunds))),
        )


class SaleSummaryList(ApiModel):
    items: list[SaleSummary]


@api.operation(
    "/sales",
    summary="无小票退货：按卡号查持卡人最近的销售（最多 10 笔，含同一账户的旧卡）",
    roles=(Role.CASHIER,),
    query=SalesQuery,
    response=SaleSummaryList,
    errors=("validation_error", "unknown_card"),
)
def card_sales(query: SalesQuery) -> SaleSummaryList:
    session = db_session()
    card = find_card(session, query.card_no.strip())
    return SaleSummaryList(
        items=[SaleSummary.of(s) for s in recent_sales_of_account(session, card.account_id)]
    )
