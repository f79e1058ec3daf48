"""Print jobs: queue a document with the sale, print it after the sale committed, retry what
failed, reprint copies marked 重打（副本）, and tell the terminal how the printer is doing.

The checkout calls `enqueue` inside its transaction (flush only), commits, then `deliver`, which
reads the job, talks to the printer with no database transaction open, and records the outcome
in a short transaction of its own. A dead printer costs at most a few seconds once: for
`printer.retry_seconds` after a failure, deliveries of new receipts do not even try (answer
`queued`) and the background worker takes over. A copy (重打) is always asked for by a person
standing at the printer, so it is tried at once, whatever happened to earlier jobs. The answer
vocabulary is the contract's `receipt.status`:
`printed`, `queued`, `failed`, `off` (printer kind none).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.auth import Actor
from core.config import Settings
from core.db import Database
from core.errors import NotFound
from pos.printing.adapter import PrinterError, print_document
from pos.printing.document import Document, from_payload, job_kind, to_payload, with_reprint
from pos.printing.models import PrintJob

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 20  # the worker stops retrying a job after this many tries
# How a delivery went: the contract's `receipt.status`.
Delivery = Literal["printed", "queued", "failed", "off"]
STATUSES: tuple[Delivery, ...] = ("printed", "queued", "failed", "off")

# Jobs being printed right now by this process (by database and job id): a second delivery of the
# same job waits for the first instead of printing it twice. A lock, not state of any app.
_in_flight: set[tuple[str, int]] = set()
_in_flight_lock = threading.Lock()


class PrinterState(TypedDict):
    """What the terminal shows of the printer."""

    status: str  # ok | error | off
    queued: int
    failed: int
    last_error: str | None
    last_error_at: datetime | None
    last_printed_at: datetime | None


def enqueue(
    session: Session, document: Document, *, reference: str, at: datetime, actor: Actor
) -> PrintJob:
    """Queue `document` for printing (in the caller's transaction; flushes, never commits)."""
    job = PrintJob(
        kind=job_kind(document),
        reference=reference,
        payload=to_payload(document),
        status="queued",
        attempts=0,
        reprint=getattr(document, "reprint", 0),
        created_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(job)
    session.flush()
    return job


def document_of(job: PrintJob) -> Document:
    """The document a job prints."""
    return from_payload(job.payload)


def _printer_is_cooling_down(session: Session, settings: Settings, at: datetime) -> bool:
    """The most recent attempt failed less than `retry_seconds` ago: don't make a cashier wait."""
    last = session.execute(
        select(PrintJob.status, PrintJob.last_attempt_at)
        .where(PrintJob.last_attempt_at.is_not(None))
        .order_by(PrintJob.last_attempt_at.desc(), PrintJob.id.desc())
        .limit(1)
    ).first()
    if last is None or last.status != "failed" or last.last_attempt_at is None:
        return False
    elapsed: timedelta = at - last.last_attempt_at
    return elapsed < timedelta(seconds=settings.printer.retry_seconds)


def deliver(
    db: Database, job_id: int, settings: Settings, *, at: datetime, force: bool = False
) -> Delivery:
    """Print one job now, outside any sale transaction; returns printed, queued, failed or off.

    Waits on the printer at most about 2 x `printer.timeout_seconds`. Without `force`, a printer
    that failed within `printer.retry_seconds` is not tried again for a new receipt (the job
    stays queued for the background worker); a copy (`reprint` > 0) is always tried. A job
    already printed is not printed twice (reprints are new jobs).
    """
    if settings.printer.kind == "none":
        return "off"
    key = (db.url, job_id)
    with _in_flight_lock:
        if key in _in_flight:
            return "queued"
        _in_flight.add(key)
    try:
        with db.session() as session:
            job = session.get(PrintJob, job_id)
            if job is None:
                raise NotFound(f"打印任务 {job_id} 不存在")
            if job.status == "printed":
                return "printed"
            explicit = force or job.reprint > 0
            if not explicit and _printer_is_cooling_down(session, settings, at):
                return "queued"
            document = document_of(job)
            name = f"job-{job.id:06d}-{job.kind}-{job.reference}"
            session.rollback()  # end the read transaction before talking to the printer
        error: str | None = None
        warnings: list[str] = []
        try:
            warnings = print_document(document, settings, name=name).warnings
        except PrinterError as exc:
            error = str(exc)
        except Exception as exc:  # a bug must not lose the sale's answer; it is recorded
            log.exception("printing job %s failed unexpectedly", job_id)
            error = f"打印出错：{type(exc).__name__}: {exc}"
        with db.transaction() as session:
            job = session.get(PrintJob, job_id)
            assert job is not None
            job.attempts += 1
            job.last_attempt_at = at
            if error is None:
                job.status = "printed"
                job.printed_at = at
                job.last_error = None
                job.warnings = "\n".join(warnings) or None
            else:
                job.status = "failed"
                job.last_error = error[:1000]
                log.warning("print job %s (%s) failed: %s", job_id, job.reference, error)
        return "printed" if error is None else "failed"
    finally:
        with _in_flight_lock:
            _in_flight.discard(key)


def reprint(
    session: Session,
    reference: str,
    *,
    at: datetime,
    actor: Actor,
    kind: str | None = None,
    amend: Callable[[Document], Document] | None = None,
) -> PrintJob:
    """Queue a copy of the latest document printed for `reference` (a sale, refund or shift
    number), marked 重打（副本）第 n 次 with n one more than the copies so far and the time `at`
    of the copy; `amend` adds what the caller knows of later events. Flushes only."""
    query = select(PrintJob).where(PrintJob.reference == reference)
    if kind is not None:
        query = query.where(PrintJob.kind == kind)
    original = session.scalars(query.order_by(PrintJob.id.desc()).limit(1)).first()
    if original is None:
        raise NotFound(f"单号 {reference} 没有可重打的小票")
    copies = session.scalar(
        select(func.max(PrintJob.reprint)).where(
            PrintJob.reference == reference, PrintJob.kind == original.kind
        )
    )
    count = (copies or 0) + 1
    document = with_reprint(document_of(original), count, at=at)
    if amend is not None:
        document = amend(document)
    return enqueue(session, document, reference=reference, at=at, actor=actor)


def pending_jobs(session: Session, settings: Settings, *, at: datetime) -> list[PrintJob]:
    """Jobs the worker should try: queued or failed, younger than `retry_max_age_minutes`,
    tried fewer than MAX_ATTEMPTS times, oldest first."""
    since = at - timedelta(minutes=settings.printer.retry_max_age_minutes)
    return list(
        session.scalars(
            select(PrintJob)
            .where(
                PrintJob.status.in_(("queued", "failed")),
                PrintJob.created_at >= since,
                PrintJob.attempts < MAX_ATTEMPTS,
            )
            .order_by(PrintJob.id)
        )
    )


def retry_pending(db: Database, settings: Settings, *, at: datetime) -> dict[int, Delivery]:
    """One retry pass (the worker's, and the terminal's 重试打印 button): tries pending jobs in
    order and stops at the first failure (the printer is still down). Returns {job id: status}."""
    if settings.printer.kind == "none":
        return {}
    with db.session() as session:
        ids = [job.id for job in pending_jobs(session, settings, at=at)]
    results: dict[int, Delivery] = {}
    for job_id in ids:
        results[job_id] = deliver(db, job_id, settings, at=at, force=True)
        if results[job_id] == "failed":
            break
    return results


def retry(db: Database, job_id: int, settings: Settings, *, at: datetime) -> Delivery:
    """Retry one job now, whatever happened before (a button next to a failed receipt)."""
    return deliver(db, job_id, settings, at=at, force=True)


def printer_state(session: Session, settings: Settings | None = None) -> PrinterState:
    """What the terminal shows: {"status": "ok"|"error"|"off", "queued": n, "failed": n,
    "last_error": text|None, "last_error_at": instant|None, "last_printed_at": instant|None}."""
    counts: dict[str, int] = {
        status: count
        for status, count in session.execute(
            select(PrintJob.status, func.count())
            .where(PrintJob.status.in_(("queued", "failed")))
            .group_by(PrintJob.status)
        ).all()
    }
    last = session.execute(
        select(PrintJob.status, PrintJob.last_error, PrintJob.last_attempt_at)
        .where(PrintJob.last_attempt_at.is_not(None))
        .order_by(PrintJob.last_attempt_at.desc(), PrintJob.id.desc())
        .limit(1)
    ).first()
    last_printed = session.scalar(select(func.max(PrintJob.printed_at)))
    failing = last is not None and last.status == "failed"
    if settings is not None and settings.printer.kind == "none":
        status = "off"
    else:
        status = "error" if failing else "ok"
    return {
        "status": status,
        "queued": int(counts.get("queued", 0)),
        "failed": int(counts.get("failed", 0)),
        "last_error": last.last_error if failing and last is not None else None,
        "last_error_at": last.last_attempt_at if failing and last is not None else None,
        "last_printed_at": last_printed,
    }
