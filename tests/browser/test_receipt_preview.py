"""The receipt preview in a real browser, on 58 and 80 mm paper: every line exactly as wide as
the paper's columns, names with characters browsers draw narrow (ä © £ ｶ) included, the QR and
the sale number's barcode drawn; screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.auth import Actor, Role
from core.config import Settings
from core.db import Database
from pos.printing.services import jobs
from tests.pos.printing.conftest import AT, sample_cash_sale, sample_reprint

pytestmark = pytest.mark.browser


@pytest.fixture(params=[58, 80])
def paper(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def settings(settings: Settings, paper: int) -> Settings:
    return settings.with_overrides(printer={"paper_width_mm": paper})


MEASURE = """() => {
  const box = document.querySelector('.receipt-preview');
  const probe = document.createElement('pre');
  probe.className = 'line';
  probe.style.display = 'inline-block';
  probe.textContent = '0'.repeat(Number(box.dataset.columns));
  box.appendChild(probe);
  const paper = probe.getBoundingClientRect().width;
  probe.remove();
  const widths = [...box.querySelectorAll('pre.line')].map((line) => {
    const range = document.createRange();
    range.selectNodeContents(line);
    return range.getBoundingClientRect().width;
  });
  return {paper, widths, barcodes: box.querySelectorAll('.barcode svg').length,
          qr: box.querySelectorAll('.qr svg').length};
}"""


def test_preview_lines_are_as_wide_as_the_paper(
    browser: Any,
    live_server: str,
    make_user: Any,
    database: Database,
    paper: int,
    artifacts: Path,
) -> None:
    ids = []
    with database.transaction() as session:
        for document in (sample_cash_sale(), sample_reprint()):
            job = jobs.enqueue(
                session, document, reference=document.number, at=AT, actor=Actor(None, "t")
            )
            ids.append(job.id)
    make_user(Role.CASHIER, username="cashier")
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(live_server + "/")
    page.fill("input[name=username]", "cashier")
    page.fill("input[name=password]", "password123")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/terminal")
    for name, job_id in zip(("cash_sale", "reprint"), ids, strict=True):
        page.goto(f"{live_server}/printing/jobs/{job_id}")
        page.wait_for_load_state("networkidle")
        measured = page.evaluate(MEASURE)
        widths = measured["widths"]
        assert widths and measured["paper"] > 100
        # every line is padded to the full width: Han, ￥, ä, ©, ｶ, all in their two columns
        off = [w for w in widths if abs(w - measured["paper"]) > 1.0]
        assert not off, (measured["paper"], off)
        assert measured["barcodes"] == 1
        assert measured["qr"] == (1 if name == "reprint" else 0)
        page.locator(".receipt-preview").screenshot(
            path=str(artifacts / f"receipt_preview_{name}_{paper}.png")
        )
