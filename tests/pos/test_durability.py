"""An acknowledged sale survives the server being killed (SIGKILL) right after its answer: the
real `charity serve` (waitress, outside demo mode) in a subprocess, a sale answered 201, `kill -9`,
and the sale is in the database with its ledger and stock intact (`charity ledger verify`)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import closing
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHARITY = Path(sys.executable).parent / "charity"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _call(url: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _charity(
    args: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHARITY), *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_sale_answered_201_survives_kill_9(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARITY_")}
    env["CHARITY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'store.db'}"
    env["CHARITY_SECRET_KEY"] = "s" * 32  # a real store, outside demo mode
    env["CHARITY_DATA_KEY"] = "A" * 43 + "="
    (tmp_path / "products.csv").write_text(
        "条码,品名,规格,单位,标价,慈善折扣率,库存\n6985430337657,鲁花菜籽油,1.8L,瓶,30.30,0.05,16\n",
        encoding="utf-8",
    )
    for command, stdin in (
        (["init"], None),
        (["user", "add", "wang", "--role", "cashier", "--password-stdin"], "long-enough-pw\n"),
        (["products", "import", "products.csv", "--commit"], None),
    ):
        done = _charity(command, tmp_path, env, stdin)
        assert done.returncode == 0, done.stderr
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(CHARITY), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _call(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        status, login = _call(
            base + "/api/v1/login", {"username": "wang", "password": "long-enough-pw"}
        )
        assert status == 200, login
        sale = {
            "client_ref": str(uuid.uuid4()),
            "lines": [{"barcode": "6985430337657", "qty": 1}],  # 鲁花菜籽油, 30.30
            "payments": [{"method": "cash", "amount": "50.00"}],
        }
        status, answer = _call(base + "/api/v1/sales", sale, login["token"])
        assert status == 201, answer
        server.send_signal(signal.SIGKILL)  # no shutdown, no flush: the process just dies
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        log.close()
    verify = _charity(["ledger", "verify"], tmp_path, env)
    assert verify.returncode == 0, verify.stderr
    with closing(sqlite3.connect(tmp_path / "store.db")) as db:
        row = db.execute(
            "SELECT total_fen, change_fen FROM sale WHERE sale_no = ?", (answer["sale_no"],)
        ).fetchone()
    assert row == (3030, 1970)
