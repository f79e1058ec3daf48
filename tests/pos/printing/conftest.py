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


STORE = {
    "store_name": "惠济区慈善超市",
    "store_address": "郑州市惠济区天河路 1 号",
    "store_phone": "0371-6612 3456",
    "store_hours": "每天 8:30-18:00",
    "terminal": "01",
    "footer": "感谢您的光临 · 慈善超市 爱心传递",
}
SALE_NO = "20261129-01-000042"


def sample_receipt(**changes: Any) -> Receipt:
    """A card sale paid partly in cash: a long name, a weighed line, a free clothing item, a
    proxy, a rare character in the holder's name (䶮, not in GBK) and a ￥ in a product name."""
    lines = (
        ReceiptLine(
            "金龙鱼 大豆油 5L 非转基因压榨一级食用油家庭装",
            Decimal(1),
            "桶",
            Money(6270),
            Money(6600),
            Money(6270),
        ),
        ReceiptLine(
            "散装大米", Decimal("0.512"), "kg", Money(450), Money(500), Money(230), weighed=True
        ),
        ReceiptLine("挂面（特价￥2）", Decimal(2), "袋", Money(200), Money(200), Money(400)),
        ReceiptLine("冬季棉衣", Decimal(1), "件", Money(0), Money(0), Money(0), clothing=True),
    )
    receipt = Receipt(
        kind="sale",
        **STORE,
        cashier="王收银",
        number=SALE_NO,
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
        proxy_masked="李*",
        card_tail="0427",
        clothing_used=1,
        clothing_left=0,
        qr_url=BALANCE_URL,
    )
    return replace(receipt, **changes)


def sample_cash_sale(**changes: Any) -> Receipt:
    """A member of the public pays cash at list price: names mixing characters that GB18030
    sends as four-byte codes (ä ö ç © £, half-width katakana) with Han and Latin text."""
    lines = (
        ReceiptLine(
            "Käse Gouda ©Holland £4 ｶﾞｳﾀﾞ 奶酪（进口）片装",
            Decimal(3),
            "包",
            Money(1590),
            Money(1590),
            Money(4770),
        ),
        ReceiptLine("Crème brûlée 焦糖布丁", Decimal(1), "盒", Money(850), Money(850), Money(850)),
    )
    receipt = Receipt(
        kind="sale",
        **STORE,
        cashier="王收银",
        number="20261129-01-000043",
        at=AT.replace(minute=12),
        lines=lines,
        list_total=Money(5620),
        discount_total=Money(0),
        total=Money(5620),
        paid_card=Money(0),
        paid_cash=Money(6000),
        change=Money(380),
    )
    return replace(receipt, **changes)


def sample_refund(**changes: Any) -> Receipt:
    """The 退货单 of the oil and the rice of the card sale: list 68.56, charity 65.00, 50.00
    back to the card (all it paid) and 15.00 in cash; the card's balance is then 50.00."""
    sale = sample_receipt()
    receipt = Receipt(
        kind="refund",
        **STORE,
        cashier="赵店长",
        number=f"{SALE_NO}-R1",
        at=AT.replace(hour=15, minute=40, second=0),
        lines=(sale.lines[0], sale.lines[1]),
        list_total=Money(6856),
        discount_total=Money(356),
        total=Money(6500),
        paid_card=Money(5000),
        paid_cash=Money(1500),
        change=Money(0),
        card_balance_after=Money(5000),
        holder_masked="张*䶮",
        card_tail="0427",
        reason="包装破损",
        original_number=SALE_NO,
    )
    return replace(receipt, **changes)


def sample_reprint(**changes: Any) -> Receipt:
    """The card sale's first copy, printed the next morning, after one refund."""
    copy = replace(
        sample_receipt(),
        reprint=1,
        reprinted_at=AT.replace(day=30, hour=9, minute=15, second=0),
        later_refunds=1,
    )
    return replace(copy, **changes)


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
