"""`charity products ...` refusing broken catalogs and bad input."""

from __future__ import annotations

import pytest

from tests.pos.cli.contract import (
    ON_SQLITE_ONLY,
    Case,
    Outcome,
    Seed,
    c,
    check_case,
    run_cases,
)

pytestmark = ON_SQLITE_ONLY

CASES = [
    # products
    c("products-missing", "products", "import", "{bad}/nope.csv", says=("nope.csv",)),
    c("products-directory", "products", "import", "{bad}/folder", says=("目录",)),
    c("products-empty", "products", "import", "{bad}/empty.csv", says=("空",)),
    c("products-corrupt", "products", "import", "{bad}/corrupt.xlsx", says=("corrupt",)),
    c(
        "products-header-only",
        "products",
        "import",
        "{bad}/products_header_only.csv",
        says=("表头",),
    ),
    c(
        "products-missing-column",
        "products",
        "import",
        "{bad}/products_no_barcode.csv",
        says=("条码",),
    ),
    c(
        "products-mistakes",
        "products",
        "import",
        "{bad}/products_mistakes.csv",
        "--commit",
        says=("第 2 行", "标价", "第 3 行", "校验位", "第 4 行", "折扣率"),
        script=True,
    ),
    c("products-gbk-crlf", "products", "import", "{bad}/products_gbk_crlf.csv", code=0),
    c("products-show-unknown", "products", "show", "123", says=("123",)),
    c(
        "products-receive-huge",
        "products",
        "receive",
        "{barcode}",
        "1e400",
        says=("1e400",),
        script=True,
    ),
    c(
        "products-writeoff-huge",
        "products",
        "writeoff",
        "{barcode}",
        "99999999999",
        "--reason",
        "x",
        says=("99999999999",),
    ),
    c(
        "products-writeoff-empty-reason",
        "products",
        "writeoff",
        "{barcode}",
        "1",
        "--reason",
        " ",
        says=("原因",),
    ),
    c(
        "products-price-huge",
        "products",
        "set-price",
        "{barcode}",
        "--price",
        "99999999999",
        says=("99999999999",),
    ),
]


@pytest.fixture(scope="module")
def outcomes(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_cases(seed, CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_command_line_contract(case: Case, outcomes: dict[str, Outcome], seed: Seed) -> None:
    check_case(case, outcomes[case.id], seed)
