"""The counter's JSON beyond the checkout itself (blueprint `api`, under /api/v1):

- returns without the receipt: the card (or a holder found by name and last four digits) leads
  to the holder's recent sales, and the refund is made from one of them as with a receipt
  (`POST /api/v1/sales/{sale_no}/refund`, a supervisor's act, money back to the original
  tenders); a public (cash) sale is picked from today's recent sales without a card
  (`GET /api/v1/sales?public=1`) and refunded with `receiptless`, capped by
  `counter.receiptless_cash_limit`;
- a supervisor's authorisation of an open price above its product's threshold."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field, field_validator, model_validator

from cards.services.cards import find_card
from core.auth import Role
from core.fields import parse_amount
from core.money import Money
from core.periods import local_date
from core.web import ApiBlueprint, ApiModel, current_actor, data_keys, db_session, now, settings
from inventory.services.counter_keys import price_open_line
from inventory.services.products import require_product
from pos.models import Sale
from pos.services import open_price
from pos.services.sales import recent_public_sales, recent_sales_of_account

api = ApiBlueprint("counter_api", __name__, tag="checkout")


class SalesQuery(ApiModel):
    card_no: str | None = Field(
        default=None, min_length=1, max_length=32, description="卡号（16 位）"
    )
    public: bool = Field(default=False, description="true：本店当天最近的无卡（现金）销售")

    @model_validator(mode="after")
    def _one_of(self) -> SalesQuery:
        if (self.card_no is None) == (not self.public):
            raise ValueError("请给出卡号 card_no，或 public=1 查当天无卡销售（二选一）")
        return self


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
    summary="无小票退货：按卡号查持卡人最近的销售（最多 10 笔，含同一账户的旧卡），"
    "或 public=1 查本店当天最近的无卡销售（最多 20 笔）",
    roles=(Role.CASHIER,),
    query=SalesQuery,
    response=SaleSummaryList,
    errors=("validation_error", "unknown_card"),
)
def card_sales(query: SalesQuery) -> SaleSummaryList:
    session = db_session()
    if query.card_no is None:
        tz = settings().tz
        found = recent_public_sales(session, local_date(now(), tz), tz=tz)
    else:
        card = find_card(session, query.card_no.strip())
        found = recent_sales_of_account(session, card.account_id)
    return SaleSummaryList(items=[SaleSummary.of(s) for s in found])


# --- open prices -----------------------------------------------------------------------------


class OpenPriceApprovalIn(ApiModel):
    barcode: str = Field(min_length=1, max_length=32)
    price: str = Field(description='要授权的单价，如 "80.00"')

    @field_validator("price")
    @classmethod
    def _check_price(cls, value: str) -> str:
        parse_amount(value)
        return value


class OpenPriceApprovalOut(ApiModel):
    approval: str
    barcode: str
    price: str


@api.operation(
    "/open-price/approve",
    method="POST",
    summary="店长授权一个超过授权线的手工单价（当天有效，记入审计日志）",
    roles=(Role.SUPERVISOR,),
    body=OpenPriceApprovalIn,
    response=OpenPriceApprovalOut,
    errors=("validation_error", "unknown_product", "forbidden"),
)
def approve_open_price(body: OpenPriceApprovalIn) -> OpenPriceApprovalOut:
    session = db_session()
    product = require_product(session, body.barcode)
    price = Money.parse(body.price)
    at = now()
    # the bounds are the product's: a price outside them is refused before anyone signs it
    price_open_line(product, price, Decimal(1), charity=False)
    approval = open_price.approve(
        session,
        product,
        price,
        keys=data_keys(),
        day=local_date(at, settings().tz),
        at=at,
        actor=current_actor(),
    )
    session.commit()
    return OpenPriceApprovalOut(approval=approval, barcode=product.barcode, price=str(price))
