"""The printing package's table: print jobs, one row per piece of paper asked for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

JOB_KINDS = ("receipt", "refund", "x_report", "z_report", "slip")
JOB_STATUSES = ("queued", "printed", "failed")


class PrintJob(Base):
    """A document to print (its JSON in `payload`), and how printing it went.

    `reference` is the sale, refund or shift number; `reprint` 0 for the original, n for the
    n-th copy (printed 重打（副本）). `status` is queued until a printer took it (printed) or
    refused it (failed, `last_error` says why; it stays eligible for retries).
    """

    __tablename__ = "print_job"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'printed', 'failed')", name="status"),
        CheckConstraint("reprint >= 0", name="reprint"),
        Index("ix_print_job_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    warnings: Mapped[str | None] = mapped_column(Text, default=None)
    reprint: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=None, index=True
    )
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
