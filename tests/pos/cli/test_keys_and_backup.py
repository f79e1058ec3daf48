"""`charity keys rotate` (every ID number and phone re-encrypted and re-indexed under a new key,
in one transaction, the old key needed) and `charity backup` (mode 600, personal data
encrypted in it)."""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text

from cards.models import Beneficiary
from cards.services import personal
from cards.services.seals import current_seal
from core import audit
from core.crypto import FieldCipher
from core.keys import DataKeys, demo_key, new_key_text
from tests.cards.conftest import make_id, person_row, roster_csv
from tests.conftest import Cli, cli_ok

NEW_KEY = new_key_text()


@pytest.fixture
def roster(cli: Cli, tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    rows = [person_row(n) for n in range(1, 6)]
    rows[0][6] = "13912345678"
    path.write_bytes(roster_csv(rows))
    cli_ok(cli("beneficiaries", "import", str(path), "--commit"))
    cli_ok(cli("cards", "issue", "--all"))
    return path


def _with_key(cli: Cli, key: str) -> Cli:
    return Cli(cli.settings.with_overrides(security={"data_key": key}), cli.database, cli.clock)


def test_rotate_reencrypts_everything_and_the_old_key_stops_working(roster, cli, session):
    out = cli_ok(cli("keys", "rotate", "--new-key-stdin", input=NEW_KEY + "\n"))
    new = DataKeys.from_text(NEW_KEY)
    assert f"编号 {new.key_id}" in out and "重新加密 5 名救助对象" in out
    assert "security.data_key" in out and "CHARITY_DATA_KEY" in out and NEW_KEY not in out
    # every value is under the new key, indexes too: the new key finds people
    rotated = _with_key(cli, NEW_KEY)
    cli_ok(rotated("beneficiaries", "set-status", make_id(2), "suspended", "--reason", "复核"))
    listing = csv.DictReader(io.StringIO(cli_ok(rotated("cards", "list", "--format", "csv"))))
    assert sorted(r["id_number"] for r in listing) == sorted(make_id(n) for n in range(1, 6))
    preview = cli_ok(rotated("beneficiaries", "import", str(roster)))
    assert "新增 0 人，信息变更 0 人" in preview
    session.rollback()
    cipher = FieldCipher(new)
    first = session.scalar(
        select(Beneficiary).where(
            Beneficiary.id_number_index == personal.id_index(cipher, make_id(1))
        )
    )
    assert first is not None and personal.phone_of(cipher, first) == "13912345678"
    # the old key now names the mismatch (one line, exit 1)
    old = cli("cards", "list", "--format", "csv")
    assert old.exit_code == 1 and new.key_id in old.output and len(old.output.splitlines()) == 1
    (event,) = list(audit.search(session, kinds=["key_rotate"]))
    assert event.detail["to"] == new.key_id and event.detail["people"] == 5


def test_rotate_rekeys_the_ledger_chain_in_the_same_transaction(roster, cli, database):
    cli_ok(cli("topup", "2026-11"))
    out = cli_ok(cli("keys", "rotate", "--new-key-stdin", input=NEW_KEY + "\n"))
    assert "账本哈希链 1 笔交易已用新密钥重新加封" in out
    assert "核对通过" in cli_ok(_with_key(cli, NEW_KEY)("ledger", "verify"))
    old = cli("ledger", "verify")
    assert old.exit_code == 1 and "按密钥重算哈希不符" in old.output


def test_after_a_rotation_a_process_with_the_old_key_cannot_write_the_ledger(roster, cli):
    cli_ok(cli("topup", "2026-11"))
    cli_ok(cli("keys", "rotate", "--new-key-stdin", input=NEW_KEY + "\n"))
    new = DataKeys.from_text(NEW_KEY)
    cli.clock.set(cli.clock().replace(month=12, day=1))
    refused = cli("topup", "2026-12")
    assert refused.exit_code == 1 and f"编号 {new.key_id}" in refused.output
    assert "重启服务" in refused.output and "Traceback" not in refused.output
    cli_ok(_with_key(cli, NEW_KEY)("topup", "2026-12"))
    assert "核对通过" in cli_ok(_with_key(cli, NEW_KEY)("ledger", "verify"))
    wrong = cli("ledger", "verify")
    assert wrong.exit_code == 1 and "请用加封时的密钥核对" in wrong.output


def test_a_seal_printed_before_a_rotation_is_checked_with_its_key(roster, cli, session):
    cli_ok(cli("topup", "2026-11"))
    session.rollback()
    seal = str(current_seal(session))
    cli_ok(cli("keys", "rotate", "--new-key-stdin", input=NEW_KEY + "\n"))
    rotated = _with_key(cli, NEW_KEY)
    assert rotated("ledger", "verify", "--seal", seal).exit_code == 1  # the new key's hashes
    old_key = cli.settings.security.data_key
    out = cli_ok(
        rotated("ledger", "verify", "--seal", seal, "--seal-key-stdin", input=old_key + "\n")
    )
    assert f"封印 {seal}：与账本相符" in out
    wrong = rotated("ledger", "verify", "--seal", seal, "--seal-key-stdin", input=NEW_KEY + "\n")
    assert wrong.exit_code == 1 and "与账本不符" in wrong.output


def test_rotate_refuses_a_chain_that_does_not_hold(roster, cli, database):
    cli_ok(cli("topup", "2026-11"))
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE ledger_txn SET hash = :h"), {"h": "f" * 64})
    result = cli("keys", "rotate", "--new-key-stdin", input=NEW_KEY + "\n")
    assert result.exit_code == 1 and "不能更换密钥" in result.output
    # nothing changed: the old key still reads everyone
    cli_ok(cli("beneficiaries", "set-status", make_id(1), "suspended", "--reason", "仍是旧密钥"))


def test_rotate_again_finds_everything_done(roster, cli):
    cli_ok(cli("keys", "rotate", "--new-key-stdin", input=NEW_KEY + "\n"))
    again = cli_ok(cli("keys", "rotate", "--new-key-stdin", input=NEW_KEY + "\n"))
    assert "重新加密 0 名救助对象" in again and "5 条已是新密钥" in again
    same = _with_key(cli, NEW_KEY)("keys", "rotate", "--new-key-stdin", input=NEW_KEY + "\n")
    assert same.exit_code == 1 and "相同" in same.output


def test_rotate_from_the_environment(roster, cli, monkeypatch):
    monkeypatch.setenv("CHARITY_NEW_DATA_KEY", NEW_KEY)
    cli_ok(cli("keys", "rotate"))
    cli_ok(
        _with_key(cli, NEW_KEY)(
            "beneficiaries", "set-status", make_id(1), "exited", "--reason", "迁出"
        )
    )


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("keys", "rotate"), None, "CHARITY_NEW_DATA_KEY"),
        (("keys", "rotate", "--new-key-stdin"), "", "标准输入是空的"),
        (("keys", "rotate", "--new-key-stdin"), "abc\n", "新密钥"),
    ],
)
def test_rotate_refusals_change_nothing(roster, cli, monkeypatch, args, stdin, says):
    monkeypatch.delenv("CHARITY_NEW_DATA_KEY", raising=False)
    result = cli(*args, input=stdin)
    assert result.exit_code == 1 and says in result.output
    assert len(result.output.strip().splitlines()) == 1
    cli_ok(cli("beneficiaries", "set-status", make_id(1), "suspended", "--reason", "仍是旧密钥"))


def test_rotate_needs_the_old_key(roster, cli):
    result = _with_key(cli, "")("keys", "rotate", "--new-key-stdin", input=NEW_KEY + "\n")
    assert result.exit_code == 1 and "data_key" in result.output


def test_a_demo_store_key_file_follows_the_rotation(cli, tmp_path, settings):
    keys = demo_key(settings.instance_dir)  # the demo store's own key, beside its database
    demo = Cli(settings.with_overrides(security={"data_key": ""}), cli.database, cli.clock)
    path = tmp_path / "r.csv"
    path.write_bytes(roster_csv([person_row(1)]))
    cli_ok(demo("beneficiaries", "import", str(path), "--commit"))
    out = cli_ok(demo("keys", "rotate", "--new-key-stdin", input=NEW_KEY + "\n"))
    assert "密钥文件" in out
    assert (
        demo_key(settings.instance_dir).key_id == DataKeys.from_text(NEW_KEY).key_id != keys.key_id
    )
    key_file = settings.instance_dir / "demo-data-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    fresh = Cli(demo.settings, cli.database, cli.clock)
    cli_ok(fresh("beneficiaries", "set-status", make_id(1), "suspended", "--reason", "复核"))


def test_backup_is_private_and_holds_no_id_number(roster, cli, tmp_path, session):
    target = tmp_path / "backups" / "copy.db"
    target.parent.mkdir(mode=0o755)
    out = cli_ok(cli("backup", str(target)))
    assert "权限 600" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    data = target.read_bytes()
    if cli.database.dialect == "sqlite":
        assert data[:16] == b"SQLite format 3\x00"
    for n in range(1, 6):
        assert make_id(n).encode() not in data
    assert b"13912345678" not in data
    (event,) = list(audit.search(session, kinds=["backup"]))
    assert event.subject == str(target.resolve()) and event.outcome == "ok"


def test_backup_into_a_folder_anyone_may_write_warns(roster, cli, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o777)
    result = cli("backup", str(folder / "copy.db"))
    assert result.exit_code == 0 and "任何人都可以写入" in result.output
    assert stat.S_IMODE((folder / "copy.db").stat().st_mode) == 0o600
