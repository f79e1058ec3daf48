"""Fixtures for printing: sample documents, printer settings, a loopback ESC/POS printer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.config import Settings
from core.money import Money
from pos.printing.document import Receipt, ReceiptLine, ZReport

AT = datetime(2026, 11, 29, 10, 5, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
BALANCE_URL = "http://kiosk.test/b/Q7xk2mPz"


def sample_receipt(**changes: Any) -> Receipt:
    """A cash-and-card sale: a long name, a weighed line, a free clothing item, a rare
    character in the holder's name (䶮, not in GBK) and a ￥ in a product name."""
    lines = (
        ReceiptLine(
            "金龙鱼 大豆油 5L 非转基因压榨一级食用油家庭装",
            Decimal(1),
            "桶",
            Money(6270),
            Money(6600),
            Money(6270),
        ),
        ReceiptLine("散装大米", Decimal("0.512"), "kg", Money(450), Money(500), Money(230)),
        ReceiptLine("挂面（特价￥2）", Decimal(2), "袋", Money(200), Money(200), Money(400)),
        ReceiptLine("冬季棉衣", Decimal(1), "件", Money(0), Money(0), Money(0), clothing=True),
    )
    receipt = Receipt(
        kind="sale",
        store_name="惠济区慈善超市",
        store_address="郑州市惠济区天河路 1 号",
        terminal="01",
        cashier="王收银",
        number="S20261129-0001",
        at=AT,
        lines=lines,
        list_total=Money(7530),
        discount_total=Money(630),
        total=Money(6900),
        paid_card=Money(5000),
        paid_cash=Money(2000),
        change=Money(100),
        card_balance_after=Money(0),
        holder_masked="张*䶮",
        card_tail="0427",
        clothing_used=1,
        clothing_left=0,
        qr_url=BALANCE_URL,
        footer="感谢您的光临 · 慈善超市 爱心传递",
    )
    return replace(receipt, **changes)


def sample_zreport(**changes: Any) -> ZReport:
    report = ZReport(
        store_name="惠济区慈善超市",
        terminal="01",
        cashier="王收银",
        shift_number="T01-20261129-1",
        opened_at=AT.replace(hour=8, minute=30),
        closed_at=AT.replace(hour=18, minute=0),
        sales_count=57,
        list_total=Money(312345),
        discount_total=Money(21000),
        card_total=Money(250000),
        cash_total=Money(41345),
        refunds_total=Money(1200),
        refunds_count=1,
        voids_count=2,
        clothing_items=6,
        opening_float=Money(20000),
        expected_cash=Money(60145),
        counted_cash=Money(60045),
        variance=Money(-100),
        reason="找零失误",
    )
    return replace(report, **changes)


@pytest.fixture
def receipt() -> Receipt:
    return sample_receipt()


def printer_settings(base: Settings | None = None, **printer: Any) -> Settings:
    return (base or Settings()).with_overrides(printer=printer)


# --- a loopback ESC/POS printer ------------------------------------------------------------------


@dataclass
class CapturePrinter:
    """A TCP server on 127.0.0.1 (port 0) that keeps every byte it receives and answers the
    real-time status queries DLE EOT 1 and 4 like a healthy printer (unless `paper_out`)."""

    paper_out: bool = False
    received: list[bytes] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._done = threading.Condition()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while True:
                    try:
                        chunk = conn.recv(65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    before = data
                    data += chunk
                    for query, answer in (
                        (b"\x10\x04\x01", b"\x16"),
                        (b"\x10\x04\x04", b"\x72" if self.paper_out else b"\x12"),
                    ):
                        if data.count(query) > before.count(query):
                            conn.sendall(answer)
            with self._done:
                self.received.append(data)
                self._done.notify_all()

    def wait(self, jobs: int = 1, timeout: float = 5) -> list[bytes]:
        with self._done:
            self._done.wait_for(lambda: len(self.received) >= jobs, timeout)
        return self.received

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(2)


@pytest.fixture
def capture_printer() -> Iterator[CapturePrinter]:
    printer = CapturePrinter()
    yield printer
    printer.close()


@pytest.fixture
def stalled_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never reads or answers."""
    server = socket.create_server(("127.0.0.1", 0), backlog=8)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def closed_port() -> int:
    """A port nobody listens on: connection refused."""
    probe = socket.create_server(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


def network_settings(base: Settings, port: int, **printer: Any) -> Settings:
    values: dict[str, Any] = {
        "kind": "network",
        "host": "127.0.0.1",
        "port": port,
        "timeout_seconds": "1",
    }
    values.update(printer)
    return base.with_overrides(printer=values)
