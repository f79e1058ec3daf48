"""Print jobs: queued with the sale, printed after it, failures recorded and retried, reprints
marked, printer state for the terminal, the preview."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import Actor
from core.config import Settings
from core.db import Database
from pos.printing.models import PrintJob
from pos.printing.preview import receipt_html
from pos.printing.services import jobs
from pos.printing.services.worker import RetryWorker

from .conftest import AT, CapturePrinter, network_settings, sample_receipt
from .escpos_parse import parse

ACTOR = Actor(None, "cli:test")


def queue(database: Database, reference: str = "S20261129-0001", **changes: object) -> int:
    with database.transaction() as session:
        job = jobs.enqueue(
            session,
            sample_receipt(number=reference, **changes),
            reference=reference,
            at=AT,
            actor=ACTOR,
        )
        return job.id


def state_of(database: Database, settings: Settings) -> dict[str, object]:
    with database.session() as session:
        return jobs.printer_state(session, settings)


def job_row(database: Database, job_id: int) -> PrintJob:
    with database.session() as session:
        job = session.get(PrintJob, job_id)
        assert job is not None
        return job


def test_enqueue_keeps_the_document(session: Session) -> None:
    job = jobs.enqueue(session, sample_receipt(), reference="S1", at=AT, actor=ACTOR)
    assert (job.status, job.kind, job.attempts, job.reprint) == ("queued", "receipt", 0, 0)
    assert jobs.document_of(job) == sample_receipt()


def test_printer_off_answers_off(database: Database, settings: Settings) -> None:
    job_id = queue(database)
    assert jobs.deliver(database, job_id, settings, at=AT) == "off"
    assert state_of(database, settings)["status"] == "off"


def test_dummy_printer_writes_a_file(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    settings = settings.with_overrides(printer={"kind": "dummy", "device": str(tmp_path)})
    job_id = queue(database)
    assert jobs.deliver(database, job_id, settings, at=AT) == "printed"
    (written,) = tmp_path.glob("*.bin")
    assert "S20261129-0001" in written.name
    assert "慈善优惠" in "\n".join(parse(written.read_bytes()).lines())
    row = job_row(database, job_id)
    assert (row.status, row.attempts, row.printed_at) == ("printed", 1, AT)
    # a printed job is not printed twice
    assert jobs.deliver(database, job_id, settings, at=AT) == "printed"
    assert len(list(tmp_path.glob("*.bin"))) == 1


def test_dead_printer_costs_one_timeout_then_nothing_and_a_reprint_arrives_marked(
    database: Database, settings: Settings, stalled_port: int
) -> None:
    dead = network_settings(settings, stalled_port, timeout_seconds="0.5")
    first = queue(database, "S1")
    started = time.monotonic()
    assert jobs.deliver(database, first, dead, at=AT) == "failed"
    assert time.monotonic() - started < 1.5
    row = job_row(database, first)
    assert row.status == "failed" and row.attempts == 1 and "无应答" in (row.last_error or "")

    # the next sale does not wait on the dead printer at all: its receipt is queued
    second = queue(database, "S2")
    started = time.monotonic()
    assert jobs.deliver(database, second, dead, at=AT + timedelta(seconds=5)) == "queued"
    assert time.monotonic() - started < 0.3
    state = state_of(database, dead)
    assert state["status"] == "error" and state["queued"] == 1 and state["failed"] == 1
    assert "无应答" in str(state["last_error"])

    # the printer comes back; the worker prints both, oldest first
    printer = CapturePrinter()
    try:
        alive = network_settings(settings, printer.port)
        worker = RetryWorker(database, alive, lambda: AT + timedelta(minutes=1))
        assert worker.run_once() == {first: "printed", second: "printed"}
        assert len(printer.wait(2)) == 2
        assert state_of(database, alive)["status"] == "ok"

        # a supervisor reprints the first sale: a new job, marked as the first copy
        with database.transaction() as session:
            copy = jobs.reprint(session, "S1", at=AT + timedelta(minutes=2), actor=ACTOR)
            copy_id = copy.id
        assert copy.reprint == 1
        assert jobs.deliver(database, copy_id, alive, at=AT + timedelta(minutes=2)) == "printed"
        text = "\n".join(parse(printer.wait(3)[2]).lines())
        assert "重打（副本）第 1 次" in text and "S1" in text
        assert b"\x1bp" not in printer.received[2]  # a copy does not open the drawer
        with database.transaction() as session:
            assert jobs.reprint(session, "S1", at=AT, actor=ACTOR).reprint == 2
    finally:
        printer.close()


def test_refused_connection_is_recorded_and_retried_by_the_button(
    database: Database, settings: Settings, closed_port: int
) -> None:
    job_id = queue(database)
    assert (
        jobs.deliver(database, job_id, network_settings(settings, closed_port), at=AT) == "failed"
    )
    assert "无法连接打印机" in (job_row(database, job_id).last_error or "")
    printer = CapturePrinter()
    try:
        # the button retries at once, cooling-down or not
        alive = network_settings(settings, printer.port)
        assert jobs.retry(database, job_id, alive, at=AT + timedelta(seconds=1)) == "printed"
        assert job_row(database, job_id).attempts == 2
    finally:
        printer.close()


def test_old_receipts_are_not_retried(database: Database, settings: Settings) -> None:
    queue(database)
    alive = settings.with_overrides(printer={"kind": "dummy", "retry_max_age_minutes": 10})
    with database.session() as session:
        assert jobs.pending_jobs(session, alive, at=AT + timedelta(minutes=11)) == []
        assert len(jobs.pending_jobs(session, alive, at=AT + timedelta(minutes=9))) == 1


def test_unknown_reference_cannot_be_reprinted(session: Session) -> None:
    import pytest

    from core.errors import NotFound

    with pytest.raises(NotFound, match="S404"):
        jobs.reprint(session, "S404", at=AT, actor=ACTOR)


def test_preview_is_the_same_layout(settings: Settings) -> None:
    html = receipt_html(sample_receipt(), settings.with_overrides(printer={"paper_width_mm": 58}))
    assert 'data-columns="32"' in html
    assert "慈善优惠" in html and "-￥6.30" in html and "<svg" in html
    assert "持卡人：张*䶮" in html and "¥" not in html


def test_job_page_and_retry_button(
    app: Flask, database: Database, login: object, tmp_path: Path
) -> None:
    job_id = queue(database)
    client = app.test_client()
    from core.auth import add_user

    with database.transaction() as session:
        add_user(session, "cashier9", "password123", "cashier", at=AT)
    client.post("/", data={"username": "cashier9", "password": "password123"})
    page = client.get(f"/printing/jobs/{job_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "待打印" in body and "慈善优惠" in body and "重试打印" in body
    answer = client.post(f"/printing/jobs/{job_id}/retry")
    assert answer.status_code == 302
    state = client.get("/printing/state").get_json()
    assert state["status"] == "off" and state["queued"] == 1
    with database.session() as session:
        assert session.scalar(select(PrintJob.status).where(PrintJob.id == job_id)) == "queued"


def test_a_copy_is_tried_at_once_during_the_cool_down(
    database: Database, settings: Settings, closed_port: int
) -> None:
    """After a failure a new receipt waits for the background retry, but a copy somebody asked
    for is tried at once, whatever happened to earlier jobs; it carries the time of the copy."""
    dead = network_settings(settings, closed_port)
    first = queue(database, "S1")
    assert jobs.deliver(database, first, dead, at=AT) == "failed"
    printer = CapturePrinter()
    try:
        alive = network_settings(settings, printer.port)
        second = queue(database, "S2")
        assert jobs.deliver(database, second, alive, at=AT + timedelta(seconds=1)) == "queued"
        later = AT + timedelta(seconds=2)
        with database.transaction() as session:
            copy_id = jobs.reprint(session, "S1", at=later, actor=ACTOR).id
        assert jobs.deliver(database, copy_id, alive, at=later) == "printed"
        text = "\n".join(parse(printer.wait(1)[0]).check(80).lines())
        assert "重打（副本）第 1 次" in text and "重打时间：2026-11-29 10:05:32" in text
    finally:
        printer.close()


def test_a_job_queued_before_this_version_still_prints(settings: Settings) -> None:
    """Payloads written before receipts had a phone, a proxy or weighed lines decode with the
    defaults: nothing queued is lost by an upgrade."""
    from pos.printing.document import Receipt, from_payload, to_payload

    payload = to_payload(sample_receipt())
    body = payload["document"]
    for key in ("store_phone", "store_hours", "proxy_masked", "reprinted_at", "later_refunds"):
        del body[key]
    for line in body["lines"]:
        del line["weighed"]
    old = from_payload(payload)
    assert isinstance(old, Receipt) and old.store_phone == "" and old.reprinted_at is None
    assert not any(line.weighed for line in old.lines)
    assert "慈善优惠" in receipt_html(old, settings)
