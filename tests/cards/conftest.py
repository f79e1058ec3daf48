"""Fixtures of the cards tests: valid ID numbers made by code, roster files, people with cards."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session
from stdnum.cn import ric

from cards.models import Beneficiary, Card
from cards.services import beneficiaries, cards, personal, roster
from core.auth import Actor
from core.config import Settings
from core.crypto import FieldCipher
from tests.conftest import TEST_KEYS

ACTOR = Actor(None, "test")
HEADER = ["序号", "姓名", "身份证号", "类别", "镇街", "村社区", "联系电话", "家庭人口"]


def make_id(serial: int, born: date = date(1960, 1, 1), region: str = "410108") -> str:
    """A valid 18-digit resident ID number (check digit computed)."""
    body = f"{region}{born:%Y%m%d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def roster_csv(
    rows: Sequence[Sequence[Any]], *, header: Sequence[str] = HEADER, encoding: str = "utf-8"
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def person_row(n: int, name: str = "", category: str = "低保", **kw: Any) -> list[Any]:
    id_number = kw.get("id_number", make_id(n))
    return [
        n,
        name or f"测试{n}",
        id_number,
        category,
        "古荥镇",
        "古荥村",
        "13800000000",
        kw.get("household", 2),
    ]


@pytest.fixture
def import_rows(
    session: Session, settings: Settings, clock: Any
) -> Callable[..., roster.ImportPlan]:
    """Import rows (committed) and return the plan."""

    def run(
        rows: Sequence[Sequence[Any]], *, exit_missing: bool = False, skip_invalid: bool = False
    ) -> roster.ImportPlan:
        data = roster_csv(rows)
        plan = roster.plan_import(
            session,
            data,
            "t.csv",
            keys=TEST_KEYS,
            categories=settings.allowance.categories,
            at=clock(),
            tz=settings.tz,
        )
        roster.apply_import(
            session,
            plan,
            skip_invalid=skip_invalid,
            exit_missing=exit_missing,
            at=clock(),
            actor=ACTOR,
            tz=settings.tz,
        )
        session.commit()
        return plan

    return run


@pytest.fixture
def people_with_cards(import_rows: Callable[..., Any], session: Session, clock: Any) -> list[Card]:
    """Five active people (低保 x3, 优抚, 特困), each with a card."""
    import_rows(
        [
            person_row(1, "张三云"),
            person_row(2, "李四"),
            person_row(3, "王五"),
            person_row(4, "赵六", "优抚"),
            person_row(5, "钱七", "特困"),
        ]
    )
    issued = cards.issue_all(session, at=clock(), actor=ACTOR)
    session.commit()
    return issued


def person(session: Session, id_number: str) -> Beneficiary:
    return beneficiaries.find_beneficiary(session, id_number, keys=TEST_KEYS)


def id_index(id_number: str) -> str:
    """The blind index the test store keeps of an ID number (for a WHERE clause)."""
    return personal.id_index(FieldCipher(TEST_KEYS), id_number)


def id_number_of(p: Beneficiary) -> str:
    """A person's ID number, decrypted under the test store's key."""
    return personal.id_number_of(FieldCipher(TEST_KEYS), p)


def phone_of(p: Beneficiary) -> str:
    return personal.phone_of(FieldCipher(TEST_KEYS), p)
