"""`charity clothing intake` (preview, then commit once; bad rows refuse the whole file) and
`charity clothing report`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from tests.clothing_exchange.conftest import SAMPLE, batches
from tests.conftest import Cli, cli_ok


def test_cli_intake_previews_then_commits_once(cli: Cli, session: Session) -> None:
    out = cli_ok(cli("clothing", "intake", str(SAMPLE)))
    assert "新批次 30 个" in out and "预览" in out
    assert batches(session) == 0
    out = cli_ok(cli("clothing", "intake", str(SAMPLE), "--commit"))
    assert "已入库 30 个批次，4011 件" in out
    assert batches(session) == 30
    out = cli_ok(cli("clothing", "intake", str(SAMPLE), "--commit"))
    assert "没有任何变化" in out
    assert batches(session) == 30
    out = cli_ok(cli("clothing", "report", "stock"))
    assert "毛衣\tXXL\t冬" in out


def test_cli_refuses_bad_rows_and_writes_nothing(
    cli: Cli, session: Session, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "批次,日期,来源楼院,重量kg,分拣\n"
        "A1,2026-01-05,彩虹社区,10,毛衣/L/冬=3\n"
        "A2,2026-01-06,彩虹社区,-1,皮草/L/冬=3\n",
        encoding="gbk",
    )
    result = cli("clothing", "intake", str(bad), "--commit")
    assert result.exit_code == 1
    assert "第 3 行，字段「重量kg」的值 '-1'：不能为负数" in result.output
    assert "未知衣物种类 皮草" in result.output
    assert "Traceback" not in result.output
    assert batches(session) == 0
    missing = tmp_path / "missing.csv"
    missing.write_text("批次,日期\nA1,2026-01-05\n", encoding="utf-8")
    result = cli("clothing", "intake", str(missing))
    assert result.exit_code == 1 and "缺少列" in result.output
