"""The ledger's hash chains: each transaction's hash is an HMAC-SHA256, under the subkey
`keys.derive(PURPOSE_LEDGER_SEAL)` of the data key (never in the database), of the previous
hash, every column of the transaction and every posting. Whoever can write the database but has
not the key can neither forge a transaction nor recompute the chain after an edit; a seal
(`cards.services.seals`) kept outside the database shows a rewound chain.

A chain has a name (`ledger_txn.chain`, `ledger_head.chain`): today only "bureau"; issue [12]
gives each store its own (`store:NN`). `seq` counts within a chain.

What is hashed is written once: `canonical_header` and `canonical_posting`. A new column of
`ledger_posting` joins `HASHED_POSTING_COLUMNS` (and `PostingKey`) and a migration re-hashes the
existing chain (as `cards_0600_keyed_chain` does).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from cards.models import BUREAU_CHAIN, LedgerHead, LedgerTransaction, Posting
from cards.services.statement import KIND_LABELS
from core.errors import Conflict
from core.keys import PURPOSE_LEDGER_SEAL, DataKeys

GENESIS = "0" * 64

# One posting as the chain hashes it, in the order of HASHED_POSTING_COLUMNS:
# (wallet, book, signed fen, the wallet's category then); exactly one of the first two is set,
# the category only with a wallet.
PostingKey = tuple[int | None, str | None, int, str | None]
HASHED_POSTING_COLUMNS = (Posting.account_id, Posting.book, Posting.amount_fen, Posting.category)

_BATCH = 500


class ChainedTxn(Protocol):
    """What of a transaction its hash covers (a `LedgerTransaction` or a streamed row)."""

    chain: str
    seq: int
    prev_hash: str
    kind: str
    business_date: date
    period: str
    idem_key: str | None
    memo: str
    at: datetime
    actor_id: int | None
    actor_name: str


def _canonical(values: Sequence[object]) -> bytes:
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def canonical_header(txn: ChainedTxn) -> bytes:
    """Every column of a transaction but its own id and hash, unambiguously (JSON)."""
    at = txn.at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    return _canonical(
        [
            txn.chain,
            txn.seq,
            txn.prev_hash,
            txn.kind,
            txn.business_date.isoformat(),
            txn.period,
            txn.idem_key,
            txn.memo,
            at,
            txn.actor_id,
            txn.actor_name,
        ]
    )


def canonical_posting(posting: Sequence[object]) -> bytes:
    """One posting: its values for HASHED_POSTING_COLUMNS, in that order."""
    return _canonical(posting)


def seal_key(keys: DataKeys) -> bytes:
    """The ledger's HMAC key (derived; never stored)."""
    return keys.derive(PURPOSE_LEDGER_SEAL)


def txn_hash(keys: DataKeys, txn: ChainedTxn, postings: Iterable[Sequence[object]]) -> str:
    """The keyed hash of a transaction: its header (which holds the previous hash) and its
    postings, sorted so that the order they were written in does not matter."""
    digest = hmac.new(seal_key(keys), canonical_header(txn), hashlib.sha256)
    for line in sorted(canonical_posting(p) for p in postings):
        digest.update(b"\n" + line)
    return digest.hexdigest()


def lock_head(session: Session, chain: str = BUREAU_CHAIN) -> LedgerHead:
    """A chain's head, locked for this transaction (PostgreSQL: FOR UPDATE; SQLite already
    holds the write lock from BEGIN IMMEDIATE); made at the genesis on first use. Every
    ledger write takes it first."""
    query = select(LedgerHead).where(LedgerHead.chain == chain).with_for_update()
    head = session.scalar(query)
    if head is None:
        session.execute(
            text(
                "INSERT INTO ledger_head (id, chain, seq, hash, key_id) "
                "SELECT COALESCE(MAX(id), 0) + 1, :c, 0, :h, '' FROM ledger_head "
                "WHERE true ON CONFLICT DO NOTHING"
            ),
            {"c": chain, "h": GENESIS},
        )
        head = session.scalar(query.execution_options(populate_existing=True))
        assert head is not None
    return head


# --- reading a chain back, transaction by transaction ----------------------------------------


@dataclass
class StreamedTxn:
    """A transaction as read back for checking, with its postings."""

    id: int
    chain: str
    seq: int
    prev_hash: str
    kind: str
    business_date: date
    period: str
    idem_key: str | None
    memo: str
    at: datetime
    actor_id: int | None
    actor_name: str
    hash: str
    postings: list[PostingKey] = field(default_factory=list)


_TXN_COLUMNS = (
    LedgerTransaction.id,
    LedgerTransaction.chain,
    LedgerTransaction.seq,
    LedgerTransaction.prev_hash,
    LedgerTransaction.kind,
    LedgerTransaction.business_date,
    LedgerTransaction.period,
    LedgerTransaction.idem_key,
    LedgerTransaction.memo,
    LedgerTransaction.at,
    LedgerTransaction.actor_id,
    LedgerTransaction.actor_name,
    LedgerTransaction.hash,
)


def stream(
    session: Session, *, chain: str = BUREAU_CHAIN, through_seq: int | None = None
) -> Iterator[StreamedTxn]:
    """A chain's transactions in order, each with its postings, read through one streamed
    query: memory holds one transaction at a time, not the ledger."""
    query = (
        select(*_TXN_COLUMNS, *HASHED_POSTING_COLUMNS, Posting.id)
        .outerjoin(Posting, Posting.txn_id == LedgerTransaction.id)
        .where(LedgerTransaction.chain == chain)
        .order_by(LedgerTransaction.seq, Posting.id)
        .execution_options(yield_per=500)
    )
    if through_seq is not None:
        query = query.where(LedgerTransaction.seq <= through_seq)
    width = len(_TXN_COLUMNS)
    current: StreamedTxn | None = None
    for row in session.execute(query):
        if current is None or current.id != row[0]:
            if current is not None:
                yield current
            current = StreamedTxn(*row[:width])
        if row[-1] is not None:  # an outer join: a transaction without postings has a NULL row
            current.postings.append(tuple(row[width:-1]))  # type: ignore[arg-type]
    if current is not None:
        yield current


@dataclass
class ChainCheck:
    """What walking a chain found: how many transactions, the problems, and the last
    transaction's sequence and hash as recomputed."""

    count: int = 0
    problems: list[str] = field(default_factory=list)
    last_seq: int = 0
    last_hash: str = GENESIS
    hashes: dict[int, str] = field(default_factory=dict)  # only the `keep` ones


def walk(
    session: Session,
    keys: DataKeys,
    *,
    chain: str = BUREAU_CHAIN,
    through_seq: int | None = None,
    keep: Iterable[int] = (),
    limit: int = 50,
    relink: bool = False,
) -> ChainCheck:
    """Recompute a chain under `keys` from its genesis (up to `through_seq`): every sequence
    follows the one before, every `prev_hash` is the previous hash, every stored hash is the
    recomputed one. The recomputed hashes of the `keep` sequences are returned.

    With `relink` the stored hashes are ignored: each transaction is hashed after the previous
    recomputed one, as it was when `keys` sealed it (an older key's seal, after a rotation
    re-keyed the stored chain); only gaps in the sequence are problems then."""
    wanted = set(keep)
    result = ChainCheck()
    previous = GENESIS
    expected = 1
    for txn in stream(session, chain=chain, through_seq=through_seq):
        result.count += 1
        if relink:
            txn.prev_hash = previous
        digest = txn_hash(keys, txn, txn.postings)
        if relink:
            txn.hash = digest
        if len(result.problems) < limit:
            result.problems.extend(_link_problems(txn, expected, previous, digest))
        if txn.seq in wanted:
            result.hashes[txn.seq] = digest
        previous = txn.hash
        expected = txn.seq + 1
    result.last_seq = expected - 1
    result.last_hash = previous
    return result


def _link_problems(txn: StreamedTxn, expected: int, previous: str, digest: str) -> list[str]:
    problems = []
    if txn.seq != expected:
        problems.append(
            f"账本链 {txn.chain} 序号不连续：应为 #{expected}，实为 #{txn.seq}（有交易被删除）"
        )
    if txn.prev_hash != previous:
        problems.append(f"交易 #{txn.seq} 的前一哈希与链不符（链被改动或有交易被删除）")
    if not hmac.compare_digest(digest, txn.hash):
        kind = KIND_LABELS.get(txn.kind, txn.kind)
        problems.append(f"交易 #{txn.seq}（{kind}）的内容或分录被改动（按密钥重算哈希不符）")
    return problems


def head_problems(session: Session, checked: ChainCheck, *, chain: str = BUREAU_CHAIN) -> list[str]:
    """The chain's head must name its last transaction."""
    head = session.scalar(select(LedgerHead).where(LedgerHead.chain == chain))
    if head is None:
        return [] if checked.count == 0 else [f"账本链 {chain} 没有链头"]
    if head.seq != checked.last_seq or head.hash != checked.last_hash:
        return [f"账本链头（#{head.seq}）与最后一笔交易（#{checked.last_seq}）不符"]
    return []


def key_problems(session: Session, keys: DataKeys, *, chain: str = BUREAU_CHAIN) -> list[str]:
    """The key the head names must be the one checking (a clearer line than every hash)."""
    head = session.scalar(select(LedgerHead).where(LedgerHead.chain == chain))
    if head is None or not head.key_id or head.key_id == keys.key_id:
        return []
    return [
        f"账本链 {chain} 记录的密钥编号为 {head.key_id}，当前密钥编号为 {keys.key_id}："
        "请用加封时的密钥核对"
    ]


def chains(session: Session) -> list[str]:
    """Every chain the ledger holds (at least the bureau's)."""
    names = set(session.scalars(select(LedgerHead.chain)))
    names.update(session.scalars(select(LedgerTransaction.chain).distinct()))
    return sorted(names | {BUREAU_CHAIN})


# --- re-keying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rekeyed:
    """What `rekey` did: transactions re-hashed (0 when the chain was already under the new
    key)."""

    transactions: int
    already: bool = False


def rekey(session: Session, *, old: DataKeys, new: DataKeys) -> Rekeyed:
    """Re-hash every chain under `new`, in the caller's transaction, after checking that it
    holds under `old` (a chain that does not is never re-keyed: that would launder a tampered
    ledger). A chain already under `new` is left as it is."""
    total = 0
    already = True
    for name in chains(session):
        checked = walk(session, old, chain=name, limit=1)
        checked.problems.extend(head_problems(session, checked, chain=name))
        if checked.problems:
            under_new = walk(session, new, chain=name, limit=1)
            if not under_new.problems and not head_problems(session, under_new, chain=name):
                continue
            raise Conflict(
                f"账本链 {name} 在当前密钥下核对不通过，不能更换密钥（未做任何改动）："
                f"{checked.problems[0]}；请先运行 charity ledger verify 查明原因"
            )
        already = False
        total += _rehash(session, new, chain=name)
    return Rekeyed(total, already=already and total == 0)


def _rehash(session: Session, keys: DataKeys, *, chain: str) -> int:
    previous = GENESIS
    batch: list[dict[str, object]] = []
    count = 0
    # Read fully first: updating the table while a streamed cursor reads it is not portable.
    rows = list(stream(session, chain=chain))
    for txn in rows:
        txn.prev_hash = previous
        digest = txn_hash(keys, txn, txn.postings)
        batch.append({"id": txn.id, "prev_hash": previous, "hash": digest})
        previous = digest
        count += 1
        if len(batch) >= _BATCH:
            session.execute(update(LedgerTransaction), batch)
            batch = []
    if batch:
        session.execute(update(LedgerTransaction), batch)
    head = lock_head(session, chain)
    head.hash = previous
    head.key_id = keys.key_id if count else ""
    session.flush()
    return count
