"""Tables of the cards package: beneficiaries and their history, proxies, accounts (wallets),
cards, roster imports, and the double-entry ledger with the bureau's top-up runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime

BENEFICIARY_STATUSES = ("active", "suspended", "exited")
CARD_STATUSES = ("active", "frozen", "closed")


class Beneficiary(Base):
    """A person on the bureau's roster, keyed by resident ID number. The ID number and the phone
    are stored encrypted (`*_cipher`, AES-GCM under the data key) and found through blind indexes
    (`*_index`, keyed HMACs): the number itself is never in the database. The name is kept in
    clear, to be searched (`cards.services.personal` says what is stored how)."""

    __tablename__ = "beneficiary"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number_cipher: Mapped[str] = mapped_column(String(128))
    id_number_index: Mapped[str] = mapped_column(String(32), unique=True)
    id_last4_index: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    phone_cipher: Mapped[str] = mapped_column(String(128), default="")
    phone_index: Mapped[str] = mapped_column(String(32), default="")
    phone_last4_index: Mapped[str] = mapped_column(String(32), default="", index=True)
    town: Mapped[str] = mapped_column(String(64), default="")
    community: Mapped[str] = mapped_column(String(64), default="")
    household_size: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'exited')", name="status"),
    )

    account: Mapped[Account | None] = relationship(back_populates="beneficiary", uselist=False)
    proxies: Mapped[list[Proxy]] = relationship(back_populates="beneficiary")
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="beneficiary", order_by="StatusChange.id"
    )


class StatusChange(Base):
    """One dated change of a beneficiary's status, with the reason and who made it."""

    __tablename__ = "beneficiary_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    effective_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="")

    beneficiary: Mapped[Beneficiary] = relationship(back_populates="status_changes")


class Proxy(Base):
    """A proxy collector (代领人) who may shop for a beneficiary; the phone is stored encrypted."""

    __tablename__ = "beneficiary_proxy"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32), default="")
    phone_cipher: Mapped[str] = mapped_column(String(128), default="")
    phone_last4_index: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="")

    beneficiary: Mapped[Beneficiary] = relationship(back_populates="proxies")


class Account(Base):
    """A beneficiary's wallet: the cached balance, always the sum of its ledger postings."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), unique=True)
    balance_fen: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("balance_fen >= 0", name="balance_not_negative"),)

    beneficiary: Mapped[Beneficiary] = relationship(back_populates="account")
    cards: Mapped[list[Card]] = relationship(back_populates="account", order_by="Card.id")


class Card(Base):
    """A physical credential pointing at an account: a printed number and a QR token. `status`,
    `status_reason` and `status_changed_at` are its current state; every change of it is a row
    of `CardStatusChange` (issue, freeze, unfreeze, replacement), never overwritten."""

    __tablename__ = "card"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_no: Mapped[str] = mapped_column(String(16), unique=True)
    qr_token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("card.id"), default=None)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        CheckConstraint("status IN ('active', 'frozen', 'closed')", name="status"),
        # At most one active card per account.
        Index(
            "uq_card_one_active_per_account",
            "account_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    account: Mapped[Account] = relationship(back_populates="cards")
    status_changes: Mapped[list[CardStatusChange]] = relationship(
        back_populates="card", order_by="CardStatusChange.id"
    )


class CardStatusChange(Base):
    """One change of a card's status (None -> active when issued), with the reason and who made
    it. Append-only (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "card_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="")

    card: Mapped[Card] = relationship(back_populates="status_changes")


class RosterImport(Base):
    """A committed roster file, keyed by the hash of its content (a replay changes nothing)."""

    __tablename__ = "roster_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    exited: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="")


# --- the ledger ------------------------------------------------------------------------------


class LedgerHead(Base):
    """One row: the last transaction of the hash chain. Locked by every ledger write, so the
    chain is a single line even with many terminals (PostgreSQL: SELECT ... FOR UPDATE)."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default="")


class LedgerTransaction(Base):
    """One balanced ledger transaction; its postings sum to zero. Append-only."""

    __tablename__ = "ledger_txn"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    period: Mapped[str] = mapped_column(String(7), default="")
    idem_key: Mapped[str | None] = mapped_column(String(96), unique=True, default=None)
    memo: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint(
            "kind IN ('topup', 'purchase', 'refund', 'expiry', 'adjustment')", name="kind"
        ),
    )


class Posting(Base):
    """One signed amount on one ledger account: a wallet (`account_id`) or a book of the
    bureau or store (`book`: 'fund:低保', 'sales', 'lapsed', 'adjustment'). Never updated or
    deleted (a trigger refuses it)."""

    __tablename__ = "ledger_posting"

    id: Mapped[int] = mapped_column(primary_key=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txn.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id"), index=True, default=None
    )
    book: Mapped[str | None] = mapped_column(String(32), default=None)
    amount_fen: Mapped[int] = mapped_column(Integer)
    # A wallet posting's roster category when the money moved (the statement groups by it, so a
    # later change of category does not restate a month); NULL on book postings.
    category: Mapped[str | None] = mapped_column(String(16), default=None)

    __table_args__ = (
        CheckConstraint("(account_id IS NULL) <> (book IS NULL)", name="wallet_or_book"),
    )


class TopUpRun(Base):
    """The bureau's credit of every eligible account for one month: prepared (with its preview
    and its lines, `TopUpRunLine`: who gets how much, fixed then), approved, and posted once the
    month has begun in store time (an approval made earlier leaves it `approved`). Several runs
    may exist for a month (late joiners: a supplementary run). `skipped_json` lists the people
    of its lines who were no longer eligible when it was posted."""

    __tablename__ = "topup_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[str] = mapped_column(String(16), default="prepared")
    people: Mapped[int] = mapped_column(Integer, default=0)
    amount_fen: Mapped[int] = mapped_column(Integer, default=0)
    preview_json: Mapped[str] = mapped_column(Text, default="{}")
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    prepared_by: Mapped[str] = mapped_column(String(64), default="")
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    approved_by: Mapped[str] = mapped_column(String(64), default="")
    txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"), default=None)
    skipped_json: Mapped[str] = mapped_column(Text, default="[]")

    __table_args__ = (
        CheckConstraint("status IN ('prepared', 'approved', 'posted', 'cancelled')", name="status"),
    )


class TopUpRunLine(Base):
    """One account of a prepared run with the category and amount the checker saw: approval
    posts exactly these lines (less those no longer eligible), nobody else."""

    __tablename__ = "topup_run_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("topup_run.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    category: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("run_id", "account_id"),)


class TopUpCredit(Base):
    """One account credited for one month: the unique key makes a month's credit happen once."""

    __tablename__ = "topup_credit"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    month: Mapped[str] = mapped_column(String(7), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("topup_run.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("account_id", "month"),)


ADJUSTMENT_STATUSES = ("pending", "posted", "rejected")


class Adjustment(Base):
    """A bureau user's manual credit (positive) or debit (negative) of one wallet, with its
    reason: posted at once when small, else pending until a second bureau user approves (then
    posted through the ledger) or rejects it (`cards.services.adjustments`)."""

    __tablename__ = "adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    client_ref: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime())
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    made_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"), default=None)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'posted', 'rejected')", name="status"),
        CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
    )

    account: Mapped[Account] = relationship()


class MonthClose(Base):
    """A closed month: its fund statement as stored then (the contract's json, read back as is)
    and the seal of the ledger up to its end (`SEQ:HASH`, the last transaction dated in or before
    it). Nothing dated on or before a closed month's end is posted afterwards."""

    __tablename__ = "month_close"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)
    statement_json: Mapped[str] = mapped_column(Text)
    seal: Mapped[str] = mapped_column(String(96))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
