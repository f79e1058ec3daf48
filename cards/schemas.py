"""The pydantic models of the cards package: what its JSON answers look like (the card, the
balance page), and what its pages accept. A page and the API that take the same input validate
it through the same model here; amounts are parsed by `core.fields` alone."""

from __future__ import annotations

from pydantic import Field

from cards.hooks import ClothingStatus
from cards.models import Card
from cards.services.balance import BalanceView, Movement
from cards.services.text import mask_name
from core.fields import SignedAmount
from core.forms import FormModel
from core.money import Money
from core.web import ApiModel

# --- the card --------------------------------------------------------------------------------


class ClothingAnswer(ApiModel):
    """The holder's clothing allowance this quarter."""

    quarter: str
    allowed: int
    used: int
    next_available: str | None = None


class ProxyAnswer(ApiModel):
    """A proxy collector (代领人) who may shop for the holder."""

    id: int
    name: str
    relation: str


class CardAnswer(ApiModel):
    """One card as the API (`GET /api/v1/cards/{card_no}`) and the terminal describe it: its
    status, the masked holder, the category, the balance, this quarter's clothing and the proxy
    collectors the cashier may accept."""

    card_no: str
    status: str
    holder: str
    category: str
    balance: str
    clothing: ClothingAnswer
    proxies: list[ProxyAnswer]

    @classmethod
    def of(cls, card: Card, *, balance: Money, clothing: ClothingStatus) -> CardAnswer:
        person = card.account.beneficiary
        return cls(
            card_no=card.card_no,
            status=card.status,
            holder=mask_name(person.name),
            category=person.category,
            balance=str(balance),
            clothing=ClothingAnswer(
                quarter=clothing.quarter,
                allowed=clothing.allowed,
                used=clothing.used,
                next_available=clothing.next_available.isoformat()
                if clothing.next_available
                else None,
            ),
            proxies=[
                ProxyAnswer(id=p.id, name=p.name, relation=p.relation)
                for p in sorted(person.proxies, key=lambda p: p.id)
            ],
        )


class CardLookupQuery(ApiModel):
    """`GET /api/v1/cards?q=张三 1234`: a name and the last four digits of the ID number or phone."""

    q: str = Field(default="", max_length=64)


class CardFound(ApiModel):
    """One holder found without the card: masked, with what the cashier needs to go on."""

    card_no: str
    holder: str
    balance: str
    status: str
    category: str


class CardLookupAnswer(ApiModel):
    items: list[CardFound]


# --- the balance page's JSON (`/b/{token}` with Accept: application/json) ------------------


class MovementAnswer(ApiModel):
    """One recent movement: when, its day in store time, what, how much (signed)."""

    at: str
    date: str
    label: str
    amount: str  # signed: "+50.00", "-28.23"

    @classmethod
    def of(cls, m: Movement) -> MovementAnswer:
        return cls(at=m.at.isoformat(), date=m.day.isoformat(), label=m.label, amount=m.signed)


class MonthTopupAnswer(ApiModel):
    """This month's credit: the month, the day it came, the amount."""

    month: str
    date: str
    amount: str


class BalanceClothingAnswer(ApiModel):
    """The quarter's clothing as the holder reads it: how many left, and from when again."""

    quarter: str
    allowed: int
    used: int
    left: int
    last_taken_at: str | None
    next_available: str | None


class StoreAnswer(ApiModel):
    """Where the store is and when it is open."""

    name: str
    address: str
    hours: str
    phone: str


class BalanceAnswer(ApiModel):
    """The contract's `{holder, balance, last_topup, recent, clothing}` plus the rest of what the
    page shows. Amounts are strings with two decimals."""

    holder: str
    card_tail: str
    balance: str
    last_topup: MovementAnswer | None
    this_month_topup: MonthTopupAnswer | None
    recent: list[MovementAnswer]
    clothing: BalanceClothingAnswer | None
    next_topup: str | None
    store: StoreAnswer
    as_of: str

    @classmethod
    def of(cls, view: BalanceView) -> BalanceAnswer:
        clothing = view.clothing
        credit = view.this_month_credit
        return cls(
            holder=view.holder,
            card_tail=view.card_tail,
            balance=str(view.balance),
            last_topup=MovementAnswer.of(view.last_topup) if view.last_topup else None,
            this_month_topup=MonthTopupAnswer(
                month=str(credit.month), date=credit.day.isoformat(), amount=str(credit.amount)
            )
            if credit
            else None,
            recent=[MovementAnswer.of(m) for m in view.recent],
            clothing=BalanceClothingAnswer(
                quarter=clothing.quarter,
                allowed=clothing.allowed,
                used=clothing.used,
                left=view.clothing_left,
                last_taken_at=clothing.last_taken_at.isoformat()
                if clothing.last_taken_at
                else None,
                next_available=view.clothing_next.isoformat() if view.clothing_next else None,
            )
            if clothing is not None
            else None,
            next_topup=view.next_topup.isoformat() if view.next_topup else None,
            store=StoreAnswer(**view.store),
            as_of=view.as_of.isoformat(),
        )


# --- adjustments -----------------------------------------------------------------------------


class AdjustmentIn(ApiModel):
    """`POST /api/v1/adjustments`: a signed amount for the card's wallet and why; `client_ref`
    (optional) makes a replay answer the first adjustment."""

    card_no: str
    amount: SignedAmount
    reason: str
    client_ref: str | None = None


class AdjustmentDecisionIn(ApiModel):
    """`POST /api/v1/adjustments/{id}/reject`: why the second bureau user refuses it."""

    reason: str


class AdjustmentAnswer(ApiModel):
    """An adjustment as the API answers it: `status` `posted`, `pending` (waiting for a second
    bureau user) or `rejected`, and the card's balance now."""

    id: int
    status: str
    amount: str
    card_balance: str
    reason: str


# --- what the pages accept -------------------------------------------------------------------


class StatusForm(FormModel):
    """A person's new status and why."""

    status: str = ""
    reason: str = ""


class ProxyForm(FormModel):
    """A proxy collector to register."""

    name: str = ""
    relation: str = ""
    phone: str = ""


class FreezeForm(FormModel):
    """Why a card is reported lost or held."""

    reason: str = ""


class UnfreezeForm(FormModel):
    """Why a frozen card may pay again (found, say)."""

    reason: str = ""


class AdjustmentForm(FormModel):
    """A manual credit (positive) or debit (negative) of a wallet, with its reason."""

    amount: SignedAmount
    reason: str = ""


class RejectForm(FormModel):
    """Why a pending adjustment is rejected."""

    reason: str = ""


class TopUpForm(FormModel):
    """The month of a top-up run (YYYY-MM); empty: the current month."""

    month: str = ""


class RosterConfirmForm(FormModel):
    """The confirmation (or cancellation) of a previewed roster upload: `upload` names the
    waiting file."""

    upload: str = ""
    filename: str = "名册"
    skip_invalid: bool = False
    exit_missing: bool = False


# --- the fund statement ----------------------------------------------------------------------


class FundFiguresAnswer(ApiModel):
    """One category's (or the total's) figures: people credited and amounts like "12.34"."""

    people: int
    opening: str
    credited: str
    spent: str
    refunded: str
    lapsed: str
    adjustments: str
    closing: str


class FundStoreAnswer(ApiModel):
    """One store's card sales in the month."""

    spent: str
    refunded: str
    purchases: int


class FundStatementAnswer(ApiModel):
    """The month's fund statement (`GET /api/v1/reports/fund/{YYYY-MM}`): the json of
    `charity report fund --format json`."""

    month: str
    closed: bool
    balanced: bool
    total: FundFiguresAnswer
    categories: dict[str, FundFiguresAnswer]
    stores: dict[str, FundStoreAnswer]
    charity_discount: str
    purchases: int
    shoppers: int
    clothing_items: int


class MonthForm(FormModel):
    """A month picked on the fund statement or the month close page (YYYY-MM)."""

    month: str = ""
