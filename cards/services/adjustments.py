"""Manual adjustments of a wallet under dual control (rule 12: no single person moves money by
hand). A bureau user makes one (a signed amount and a reason); within `allowance.adjustment_limit`
(either sign) it is posted at once, above it, or always under `allowance.approval =
"two_person"`, it waits for a second bureau user, who approves (it is then posted through the
ledger) or rejects it with a reason. Its maker never decides it. Only bureau staff move money:
an admin may administer accounts, not credit wallets.

Every make, approval and rejection is an audit event (`adjustment`, `adjustment_approve`,
`adjustment_reject`) in the same transaction. A `client_ref` makes a replayed request answer the
first adjustment; the approval posts under the idempotency key `adjustment:<id>`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from cards.models import Account, Adjustment, Beneficiary
from cards.services import ledger
from core import audit
from core.auth import Actor, Role, StaffUser
from core.config import AllowanceSettings
from core.errors import Conflict, Forbidden, InsufficientBalance, NotFound, ValidationError
from core.money import Money

MAX_ADJUSTMENT = Money(1_000_000)  # ¥10,000.00 in one adjustment: anything above is a slip
MIN_REASON = 2
MAX_REASON = 200
MAX_CLIENT_REF = 64

STATUS_LABELS = {"pending": "待审批", "posted": "已入账", "rejected": "已驳回"}


def needs_approval(allowance: AllowanceSettings, amount: Money) -> bool:
    """Whether an adjustment of `amount` waits for a second bureau user."""
    return allowance.approval == "two_person" or abs(amount.fen) > allowance.adjustment_limit.fen


def check_reason(reason: str, *, what: str = "调整原因") -> str:
    """A reason a reader of the statement understands: at least two characters, at most 200."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(f"{what}必须填写")
    if len(reason) < MIN_REASON:
        raise ValidationError(f"{what} {reason!r} 太短：请写明为什么调整（至少 {MIN_REASON} 个字）")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"{what}不能超过 {MAX_REASON} 个字，实际 {len(reason)} 个字")
    return reason


def check_amount(amount: Money) -> Money:
    """A non-zero amount of at most `MAX_ADJUSTMENT` either way."""
    if amount.fen == 0:
        raise ValidationError("调整金额不能为零")
    if abs(amount.fen) > MAX_ADJUSTMENT.fen:
        raise ValidationError(
            f"调整金额 {amount.format()} 超出单笔上限 {MAX_ADJUSTMENT.format()}：请核对金额"
        )
    return amount


def _check_bureau(session: Session, actor: Actor, doing: str) -> None:
    """Only bureau staff move money by hand (the command line is the bureau's own)."""
    if actor.user_id is None:
        return
    user = session.get(StaffUser, actor.user_id)
    if user is None or user.role != Role.BUREAU.value:
        raise Forbidden(f"只有民政局工作人员可以{doing}；管理员账号不经手资金")


def _same_person(adjustment: Adjustment, actor: Actor) -> bool:
    if adjustment.made_by_id is not None or actor.user_id is not None:
        return adjustment.made_by_id == actor.user_id
    return adjustment.made_by == actor.name


def _check_balance(account: Account, amount: Money) -> None:
    if amount.fen < 0 and account.balance_fen < -amount.fen:
        raise InsufficientBalance(
            f"卡内余额 {Money(account.balance_fen).format()}，不能扣减 {(-amount).format()}："
            "余额不能为负"
        )


def _replay(existing: Adjustment, account_id: int, amount: Money, reason: str) -> Adjustment:
    same = (
        existing.account_id == account_id
        and existing.amount_fen == amount.fen
        and existing.reason == reason
    )
    if not same:
        raise Conflict(f"client_ref {existing.client_ref} 已用于另一笔调整（#{existing.id}）")
    return existing


def _detail(adjustment: Adjustment, **more: str) -> dict[str, str | int]:
    return {
        "adjustment_id": adjustment.id,
        "account_id": adjustment.account_id,
        "amount": str(Money(adjustment.amount_fen)),
        "reason": adjustment.reason,
        "status": adjustment.status,
        **more,
    }


def make_adjustment(
    session: Session,
    allowance: AllowanceSettings,
    account_id: int,
    amount: Money,
    *,
    reason: str,
    at: datetime,
    tz: tzinfo,
    actor: Actor,
    client_ref: str | None = None,
    address: str = "",
) -> Adjustment:
    """Make an adjustment of one wallet: posted at once within the limit, else pending. A debit
    never takes the wallet below zero. A `client_ref` seen before with the same request answers
    the first adjustment and changes nothing (with another request: Conflict)."""
    ref = (client_ref or "").strip() or None
    if ref is not None and len(ref) > MAX_CLIENT_REF:
        raise ValidationError(f"字段 client_ref 不能超过 {MAX_CLIENT_REF} 个字符")
    reason = check_reason(reason)
    check_amount(amount)
    if ref is not None:
        existing = by_client_ref(session, ref)
        if existing is not None:
            return _replay(existing, account_id, amount, reason)
    _check_bureau(session, actor, "调整余额")
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"账户 {account_id} 不存在")
    _check_balance(account, amount)
    adjustment = Adjustment(
        account_id=account_id,
        amount_fen=amount.fen,
        reason=reason,
        status="pending",
        client_ref=ref,
        made_at=at,
        made_by_id=actor.user_id,
        made_by=actor.name,
    )
    try:
        with session.begin_nested():
            session.add(adjustment)
            session.flush()
    except IntegrityError:
        # The same client_ref committed by a concurrent request a moment ago.
        existing = None if ref is None else by_client_ref(session, ref)
        if existing is None:
            raise
        return _replay(existing, account_id, amount, reason)
    if not needs_approval(allowance, amount):
        _post(session, adjustment, at=at, tz=tz, actor=actor)
    audit.record(
        session,
        "adjustment",
        actor=actor,
        at=at,
        subject=f"account:{account_id}",
        detail=_detail(adjustment),
        address=address,
    )
    return adjustment


def _post(
    session: Session, adjustment: Adjustment, *, at: datetime, tz: tzinfo, actor: Actor
) -> None:
    adjustment.txn_id = ledger.adjust(
        session,
        adjustment.account_id,
        Money(adjustment.amount_fen),
        reason=adjustment.reason,
        at=at,
        tz=tz,
        actor=actor,
        idem_key=f"adjustment:{adjustment.id}",
    )
    adjustment.status = "posted"
    session.flush()


def _pending(session: Session, adjustment_id: int, actor: Actor, doing: str) -> Adjustment:
    """The pending adjustment, locked for this transaction, that `actor` may decide."""
    _check_bureau(session, actor, doing)
    adjustment = session.scalar(
        select(Adjustment)
        .where(Adjustment.id == adjustment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if adjustment is None:
        raise NotFound(f"调整 #{adjustment_id} 不存在")
    if adjustment.status != "pending":
        raise Conflict(f"调整 #{adjustment_id} {STATUS_LABELS[adjustment.status]}，不能再{doing}")
    if _same_person(adjustment, actor):
        raise Forbidden(
            f"调整 #{adjustment_id} 须由另一位民政局工作人员{doing}，发起人不能自己{doing}"
        )
    return adjustment


def approve_adjustment(
    session: Session,
    adjustment_id: int,
    *,
    at: datetime,
    tz: tzinfo,
    actor: Actor,
    address: str = "",
) -> Adjustment:
    """A second bureau user approves a pending adjustment: it is posted now (dated today), the
    wallet still never going below zero."""
    adjustment = _pending(session, adjustment_id, actor, "审批")
    account = session.get(Account, adjustment.account_id)
    assert account is not None  # an adjustment's account is never deleted (FK)
    _check_balance(account, Money(adjustment.amount_fen))
    adjustment.decided_at = at
    adjustment.decided_by_id = actor.user_id
    adjustment.decided_by = actor.name
    _post(session, adjustment, at=at, tz=tz, actor=actor)
    audit.record(
        session,
        "adjustment_approve",
        actor=actor,
        at=at,
        subject=f"account:{adjustment.account_id}",
        detail=_detail(adjustment, made_by=adjustment.made_by),
        address=address,
    )
    return adjustment


def reject_adjustment(
    session: Session,
    adjustment_id: int,
    *,
    reason: str,
    at: datetime,
    actor: Actor,
    address: str = "",
) -> Adjustment:
    """A second bureau user rejects a pending adjustment with a reason; nothing is posted."""
    why = check_reason(reason, what="驳回原因")
    adjustment = _pending(session, adjustment_id, actor, "驳回")
    adjustment.status = "rejected"
    adjustment.decided_at = at
    adjustment.decided_by_id = actor.user_id
    adjustment.decided_by = actor.name
    adjustment.decision_reason = why
    session.flush()
    audit.record(
        session,
        "adjustment_reject",
        actor=actor,
        at=at,
        subject=f"account:{adjustment.account_id}",
        detail=_detail(adjustment, made_by=adjustment.made_by, rejected_because=why),
        address=address,
    )
    return adjustment


def pending_adjustments(session: Session) -> list[Adjustment]:
    """Every adjustment waiting for a second bureau user, oldest first (with its person)."""
    return list(
        session.scalars(
            select(Adjustment)
            .where(Adjustment.status == "pending")
            .options(selectinload(Adjustment.account).selectinload(Account.beneficiary))
            .order_by(Adjustment.id)
        )
    )


def recent_decisions(session: Session, *, limit: int = 50) -> list[Adjustment]:
    """The latest adjustments already posted or rejected, newest first."""
    return list(
        session.scalars(
            select(Adjustment)
            .where(Adjustment.status != "pending")
            .options(selectinload(Adjustment.account).selectinload(Account.beneficiary))
            .order_by(Adjustment.id.desc())
            .limit(limit)
        )
    )


def account_adjustments(session: Session, account_id: int) -> list[Adjustment]:
    """One wallet's adjustments, newest first (the person page shows the pending ones)."""
    return list(
        session.scalars(
            select(Adjustment)
            .where(Adjustment.account_id == account_id)
            .order_by(Adjustment.id.desc())
        )
    )


def holder_name(adjustment: Adjustment) -> str:
    """The name of the person whose wallet an adjustment moves."""
    person: Beneficiary = adjustment.account.beneficiary
    return person.name


def by_client_ref(session: Session, client_ref: str) -> Adjustment | None:
    """The adjustment made with this `client_ref`, if any."""
    return session.scalar(select(Adjustment).where(Adjustment.client_ref == client_ref))
