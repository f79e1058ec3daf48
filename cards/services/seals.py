"""Seals of the ledger: `SEQ:HASH`, a chain's sequence number and the first 16 hex digits of that
transaction's keyed hash. A seal is printed (the Z report, the month close) and exported, so a
copy lives outside the database; `charity ledger verify --seal SEQ:HASH` then proves that the
books up to it are the ones sealed. Deleting the last transactions and rewinding the head, or
editing an earlier one and recomputing the chain without the key, no longer matches the seal.

A seal of another chain than the bureau's (issue [12]: `store:NN`) is written `CHAIN:SEQ:HASH`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.models import BUREAU_CHAIN, LedgerHead, LedgerTransaction
from cards.services.chain import GENESIS, walk
from core.errors import ValidationError
from core.keys import DataKeys

SEAL_HEX = 16
_SEAL = re.compile(
    r"^(?:(?P<chain>[a-z][a-z0-9_:]{0,31}):)?(?P<seq>\d{1,12}):(?P<hash>[0-9a-f]{16})$"
)


@dataclass(frozen=True)
class Seal:
    """A point of a chain: its sequence number and the start of that transaction's hash."""

    seq: int
    hash: str
    chain: str = BUREAU_CHAIN

    def __str__(self) -> str:
        text = f"{self.seq}:{self.hash}"
        return text if self.chain == BUREAU_CHAIN else f"{self.chain}:{text}"


def parse_seal(text: str) -> Seal:
    """A seal from its text (`SEQ:HASH` or `CHAIN:SEQ:HASH`); a ValidationError naming the value
    when it is not one."""
    found = _SEAL.match(text.strip().lower())
    if found is None:
        raise ValidationError(
            f"封印 {text!r} 格式不对：应为 序号:16位十六进制哈希，例如 1234:0123456789abcdef"
        )
    return Seal(int(found["seq"]), found["hash"], found["chain"] or BUREAU_CHAIN)


def current_seal(session: Session, chain: str = BUREAU_CHAIN) -> Seal:
    """The seal of a chain's head now (`0:000…` while the chain is empty)."""
    head = session.scalar(select(LedgerHead).where(LedgerHead.chain == chain))
    if head is None or head.seq == 0:
        return Seal(0, GENESIS[:SEAL_HEX], chain)
    return Seal(head.seq, head.hash[:SEAL_HEX], chain)


def seal_through(session: Session, last_business_date: date, chain: str = BUREAU_CHAIN) -> Seal:
    """The seal of the last transaction booked on or before `last_business_date` (a month's
    end, for its close)."""
    row = session.execute(
        select(LedgerTransaction.seq, LedgerTransaction.hash).where(
            LedgerTransaction.chain == chain,
            LedgerTransaction.seq
            == select(func.max(LedgerTransaction.seq))
            .where(
                LedgerTransaction.chain == chain,
                LedgerTransaction.business_date <= last_business_date,
            )
            .scalar_subquery(),
        )
    ).first()
    if row is None:
        return Seal(0, GENESIS[:SEAL_HEX], chain)
    return Seal(int(row[0]), str(row[1])[:SEAL_HEX], chain)


def check_seal(
    session: Session, keys: DataKeys, seal: Seal, *, limit: int = 20, relink: bool = False
) -> list[str]:
    """What is wrong with the books up to `seal` (empty: they are the books sealed): its
    transaction exists, the chain recomputed under `keys` from the genesis holds up to it, and
    the recomputed hash of its transaction starts with the seal's. `relink`: `keys` is an older
    key than the chain's (see `chain.walk`)."""
    if seal.seq == 0:
        return [] if seal.hash == GENESIS[:SEAL_HEX] else [f"封印 {seal} 不成立：序号 0 是空账本"]
    present = session.scalar(
        select(LedgerTransaction.id).where(
            LedgerTransaction.chain == seal.chain, LedgerTransaction.seq == seal.seq
        )
    )
    if present is None:
        return [f"封印 {seal} 对应的交易 #{seal.seq} 不在账本中（账本被回退或交易被删除）"]
    checked = walk(
        session,
        keys,
        chain=seal.chain,
        through_seq=seal.seq,
        keep=[seal.seq],
        limit=limit,
        relink=relink,
    )
    problems = [f"封印 {seal} 之前的账本不成立：{p}" for p in checked.problems]
    recomputed = checked.hashes.get(seal.seq, "")
    if recomputed[:SEAL_HEX] != seal.hash:
        problems.append(
            f"封印 {seal} 与账本不符：按密钥重算交易 #{seal.seq} 的哈希为 "
            f"{recomputed[:SEAL_HEX]}（封印之前的账本被改动，或封印来自另一把密钥）"
        )
    return problems
