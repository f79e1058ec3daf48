"""The harness of the command line's contract, driven through the INSTALLED console script as a
bureau's script (or an outside acceptance test) would: every refusal exits 1 with a message on
stderr that names the row, field or value, writes nothing and prints no traceback; wrong usage
exits 2.

One store is initialised and seeded once per run (roster, cards, a top-up, catalog, clothing
intake, a frozen and a closed card: the `seed` fixture of this folder's conftest); each case runs
against its own copy of that SQLite file, a module's cases in parallel, and the copy must be
unchanged afterwards. The tables of cases are in the test modules, one per command group."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from stdnum import luhn

from pos.cli import main
from tests.conftest import TEST_DATA_KEY

ROOT = Path(__file__).resolve().parents[3]
EXE = Path(sys.executable).parent / "charity"
TEST_URL = os.environ.get("CHARITY_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_URL.startswith("postgresql")

# The tables run on their own SQLite files whatever the suite's database; the PostgreSQL run
# skips them (test_postgres.py has what differs there). Each table module sets
# `pytestmark = ON_SQLITE_ONLY`.
ON_SQLITE_ONLY = pytest.mark.skipif(ON_POSTGRES, reason="SQLite files of its own; run on SQLite")

ROSTER_HEADER = "序号,姓名,身份证号,类别,镇街,村社区,联系电话,家庭人口"
ROSTER_ROWS = [
    "1,戴文春,410108200210030742,低保,长兴路街道,彩虹社区,14655183825,2",
    "2,雷秀,410108194312038827,优抚,刘寨街道,刘寨村,18386314121,1",
    "3,肖生轩,410108198109143064,低保,迎宾路街道,迎宾路社区,14482383035,2",
    "4,廖小振,410108199408208379,低保,迎宾路街道,彩虹社区,19639914878,1",
    "5,谭冬,41010820070505771X,特困,新城街道,新城社区,13712345678,3",
]
PRODUCTS = ROOT / "inventory" / "demo_data" / "products.csv"
CLOTHING = ROOT / "clothing_exchange" / "demo_data" / "clothing_intake.csv"


def environment(url: str, **extra: str) -> dict[str, str]:
    """A clean environment for `charity`: this database, the test store's data key (a store
    outside demo mode must have one: it encrypts the ID numbers), nothing else of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARITY_")}
    env["CHARITY_DATABASE_URL"] = url
    env["CHARITY_DATA_KEY"] = TEST_DATA_KEY
    env.update(extra)
    return env


def charity(
    *args: str, cwd: Path, env: dict[str, str], stdin: str | None = None, close_stdin: bool = False
) -> subprocess.CompletedProcess[str]:
    command = [str(EXE), *args]
    if close_stdin:  # stdin closed, not merely empty
        command = ["sh", "-c", 'exec "$0" "$@" <&-', *command]
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def fingerprint(db: Path) -> str:
    """The database's content (not its file bytes, which WAL checkpoints move about)."""
    connection = sqlite3.connect(db)
    try:
        return hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()
    finally:
        connection.close()


# --- the broken files ------------------------------------------------------------------------


def write_bad_files(folder: Path) -> None:
    folder.mkdir()
    roster = "\n".join([ROSTER_HEADER, *ROSTER_ROWS]) + "\n"
    (folder / "empty.csv").write_bytes(b"")
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (folder / "binary.xlsx").write_bytes(bytes(range(256)) * 4)
    (folder / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200)
    (folder / "notes.txt").write_text("这不是名册\n只是一段文字\n", encoding="utf-8")
    book = Workbook()
    book.active.append(ROSTER_HEADER.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    (folder / "corrupt.xlsx").write_bytes(buffer.getvalue()[:300])
    (folder / "utf16.csv").write_text(roster, encoding="utf-16")
    (folder / "roster_header_only.csv").write_text(ROSTER_HEADER + "\n", encoding="utf-8")
    (folder / "roster_bom_crlf.csv").write_bytes(roster.replace("\n", "\r\n").encode("utf-8-sig"))
    (folder / "roster_gbk.csv").write_bytes(roster.encode("gbk"))
    (folder / "roster_extra_column.csv").write_text(
        "\n".join([ROSTER_HEADER + ",备注", *(r + ",x" for r in ROSTER_ROWS)]) + "\n",
        encoding="utf-8",
    )
    (folder / "roster_no_id_column.csv").write_text(
        "序号,姓名,类别\n1,戴文春,低保\n", encoding="utf-8"
    )
    (folder / "roster_mistakes.csv").write_text(
        "\n".join(
            [
                ROSTER_HEADER,
                "1,戴文春,410108200210030743,低保,,,,1",  # row 2: check digit
                "2,,410108194312038827,优抚,,,,1",  # row 3: no name
                "3,肖生轩,410108198109143064,五保,,,,1",  # row 4: unknown category
                "4,廖小振,12345,低保,,,,1",  # row 5: too short
                "5,谭冬,41010820070505771X,特困,,,,abc",  # row 6: household size
                "6,谭冬,41010820070505771X,特困,,,,1",  # row 7: same ID as row 6 (which is bad)
                "7,王五,410108194312038827,优抚,,,,1",  # row 8: valid
                "8,王六,410108194312038827,优抚,,,,1",  # row 9: duplicate of row 8
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    products = PRODUCTS.read_text(encoding="utf-8").splitlines()
    header = products[0]
    (folder / "products_header_only.csv").write_text(header + "\n", encoding="utf-8")
    (folder / "products_gbk_crlf.csv").write_bytes(
        ("\r\n".join(products[:4]) + "\r\n").encode("gbk")
    )
    (folder / "products_no_barcode.csv").write_text(
        "\n".join(",".join(line.split(",")[1:]) for line in products[:3]) + "\n",
        encoding="utf-8",
    )
    rows = [line.split(",") for line in products[1:5]]
    rows[0][5] = "abc"  # row 2: 标价
    rows[1][0] = rows[1][0][:-1] + str((int(rows[1][0][-1]) + 1) % 10)  # row 3: check digit
    rows[2][6] = "0.5"  # row 4: 慈善折扣率 out of range
    (folder / "products_mistakes.csv").write_text(
        "\n".join([header, *(",".join(r) for r in rows)]) + "\n", encoding="utf-8"
    )
    clothing = CLOTHING.read_text(encoding="utf-8").splitlines()
    (folder / "clothing_header_only.csv").write_text(clothing[0] + "\n", encoding="utf-8")
    (folder / "clothing_no_batch.csv").write_text(
        "\n".join(",".join(line.split(",")[1:]) for line in clothing[:3]) + "\n",
        encoding="utf-8",
    )
    (folder / "clothing_mistakes.csv").write_text(
        "\n".join(
            [
                clothing[0],
                "ZZ-1,2026-13-01,某社区回收点,10.5,毛衣/L/冬=3",  # row 2: date
                "ZZ-2,2026-01-05,某社区回收点,abc,毛衣/L/冬=3",  # row 3: weight
                "ZZ-3,2026-01-05,某社区回收点,10,西装/L/冬=3",  # row 4: unknown kind
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    (folder / "unknown_key.toml").write_text("[bogus]\nx = 1\n", encoding="utf-8")
    (folder / "broken.toml").write_text("[store\nname = 1\n", encoding="utf-8")
    (folder / "not_a_db.db").write_text("not a database\n", encoding="utf-8")
    (folder / "existing.db").write_bytes(b"")
    (folder / "a_file").write_text("x", encoding="utf-8")
    (folder / "folder").mkdir()


# --- the seeded store ------------------------------------------------------------------------


@dataclass
class Seed:
    folder: Path
    db: Path
    bad: Path
    fingerprint: str
    names: dict[str, str] = field(default_factory=dict)


def this_month() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


def make_seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """Initialise and seed the store every case starts from (in-process: set-up, not under
    test)."""
    folder = tmp_path_factory.mktemp("cli-contract")
    db = folder / "seed.db"
    env = environment(f"sqlite:///{db}")
    (folder / "roster.csv").write_text(
        "\n".join([ROSTER_HEADER, *ROSTER_ROWS]) + "\n", encoding="utf-8"
    )

    def seeding(*args: str) -> str:  # in-process: the seed is set-up, not under test
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.stdout

    seeding("init")
    seeding("beneficiaries", "import", str(folder / "roster.csv"), "--commit")
    seeding("cards", "issue", "--all")
    seeding("topup", this_month())
    seeding("products", "import", str(PRODUCTS), "--commit")
    seeding("clothing", "intake", str(CLOTHING), "--commit")
    listing = seeding("cards", "list", "--format", "csv")
    numbers = [row["card_no"] for row in csv.DictReader(io.StringIO(listing))]
    frozen, closed, active = numbers[0], numbers[1], numbers[2]
    seeding("cards", "freeze", frozen, "--reason", "丢失")
    seeding("cards", "replace", closed)
    unknown_body = "8" + "0" * 14
    names = {
        "frozen": frozen,
        "closed": closed,
        "active": active,
        "bad_check": active[:-1] + str((int(active[-1]) + 1) % 10),
        "unknown": unknown_body + luhn.calc_check_digit(unknown_body),
        "barcode": PRODUCTS.read_text(encoding="utf-8").splitlines()[1].split(",")[0],
        "month": this_month(),
    }
    bad = folder / "bad"
    write_bad_files(bad)
    # One self-contained file (the seeding connections may still hold part of it in the WAL).
    clean = folder / "clean.db"
    source, target = sqlite3.connect(db), sqlite3.connect(clean)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return Seed(folder, clean, bad, fingerprint(clean), names)


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int = 1
    says: tuple[str, ...] = ()  # fragments stderr must contain
    stdin: str | None = None
    close_stdin: bool = False
    url: str | None = None  # another database URL ({dir} is the case's own folder)
    env: tuple[tuple[str, str], ...] = ()
    script: bool = False  # also through the installed console script (a subprocess)


def c(
    id: str,
    *args: str,
    code: int = 1,
    says: tuple[str, ...] = (),
    stdin: str | None = None,
    close_stdin: bool = False,
    url: str | None = None,
    env: tuple[tuple[str, str], ...] = (),
    script: bool = False,
) -> Case:
    return Case(id, args, code, says, stdin, close_stdin or False, url, env, script or close_stdin)


def prepare(seed: Seed, case: Case, root: Path) -> tuple[Path, list[str], dict[str, str]]:
    folder = root / case.id
    folder.mkdir()
    names = {**seed.names, "bad": str(seed.bad), "dir": str(folder)}
    shutil.copyfile(seed.db, folder / "store.db")
    url = (case.url or f"sqlite:///{folder / 'store.db'}").format(**names)
    extra = {k: v.format(**names) for k, v in case.env}
    return folder, [a.format(**names) for a in case.args], environment(url, **extra)


def in_process(
    args: list[str], folder: Path, env: dict[str, str], stdin: str | None
) -> subprocess.CompletedProcess[str]:
    """`charity` through click in this process (same group, same exit codes): fast, for the bulk
    of the table. An exception other than SystemExit is what would have been a traceback."""
    overrides: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CHARITY_")}
    overrides.update({k: v for k, v in env.items() if k.startswith("CHARITY_")})
    here = Path.cwd()
    os.chdir(folder)  # no config.toml there: the defaults, as in the subprocess cases
    try:
        result = CliRunner().invoke(main, args, env=overrides, input=stdin or "")
    finally:
        os.chdir(here)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(result.exception)
        )
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, stderr)


@dataclass
class Outcome:
    case: Case
    result: subprocess.CompletedProcess[str]
    changed: bool
    folder: Path


def run_cases(
    seed: Seed, cases: list[Case], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """Every case: the scripted ones as subprocesses in parallel, the rest in-process meanwhile."""
    root = tmp_path_factory.mktemp("cli-cases")
    prepared = {case.id: prepare(seed, case, root) for case in cases}
    results: dict[str, subprocess.CompletedProcess[str]] = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            case.id: pool.submit(
                charity,
                *prepared[case.id][1],
                cwd=prepared[case.id][0],
                env=prepared[case.id][2],
                stdin=case.stdin,
                close_stdin=case.close_stdin,
            )
            for case in cases
            if case.script
        }
        for case in cases:
            if not case.script:
                folder, args, env = prepared[case.id]
                results[case.id] = in_process(args, folder, env, case.stdin)
        results.update({case_id: future.result() for case_id, future in futures.items()})
    return {
        case.id: Outcome(
            case,
            results[case.id],
            fingerprint(prepared[case.id][0] / "store.db") != seed.fingerprint,
            prepared[case.id][0],
        )
        for case in cases
    }


def check_case(case: Case, outcome: Outcome, seed: Seed) -> None:
    """The contract of one case: its exit code, no traceback, the database unchanged, one clear
    line on stderr for a refusal naming what `says` lists, usage shown for wrong usage."""
    result = outcome.result
    shown = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == case.code, shown
    assert "Traceback" not in result.stderr + result.stdout, shown
    if case.script:
        assert Path(result.args[0]).name in ("charity", "sh")
    assert not outcome.changed, f"the database changed\n{shown}"
    if case.code == 1:
        message = result.stderr.strip()
        assert message, shown
        row_list = sum(fragment.startswith("第 ") for fragment in case.says) > 1
        if not row_list:  # one clear line
            assert len(message.splitlines()) == 1, shown
    for fragment in case.says:
        assert fragment.format(**seed.names) in result.stderr, shown
    if case.code == 2:
        assert "Usage:" in result.stderr, shown
