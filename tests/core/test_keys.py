"""The data key: strict decoding, one subkey per purpose, the demo store's own key file."""

import base64
import stat
from pathlib import Path

import pytest

from core.keys import (
    PURPOSE_BLIND_INDEX,
    PURPOSE_LEDGER_SEAL,
    DataKeyError,
    DataKeys,
    decode_key,
    demo_key,
    new_key_text,
    resolve_keys,
)


def test_a_new_key_decodes_to_32_bytes() -> None:
    assert len(decode_key(new_key_text())) == 32


@pytest.mark.parametrize("bad", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_bad_keys_are_refused_naming_the_key(bad: str) -> None:
    with pytest.raises(DataKeyError, match=r"security\.data_key"):
        decode_key(bad)


def test_subkeys_differ_by_purpose_and_by_master() -> None:
    one = DataKeys.from_text(new_key_text())
    two = DataKeys.from_text(new_key_text())
    assert one.derive(PURPOSE_BLIND_INDEX) != one.derive(PURPOSE_LEDGER_SEAL)
    assert one.derive(PURPOSE_LEDGER_SEAL) != two.derive(PURPOSE_LEDGER_SEAL)
    assert one.mac(PURPOSE_LEDGER_SEAL, b"x") == one.mac(PURPOSE_LEDGER_SEAL, b"x")
    assert one.mac(PURPOSE_LEDGER_SEAL, b"x") != two.mac(PURPOSE_LEDGER_SEAL, b"x")
    assert one.key_id != two.key_id and len(one.key_id) == 8
    assert "master" not in repr(one)


def test_demo_key_is_made_once_with_mode_600(tmp_path: Path) -> None:
    first = demo_key(tmp_path / "var")
    again = demo_key(tmp_path / "var")
    assert first.master == again.master
    mode = stat.S_IMODE((tmp_path / "var" / "demo-data-key").stat().st_mode)
    assert mode == 0o600


def test_resolution_prefers_the_setting_then_a_demo_key_file(tmp_path: Path) -> None:
    text = new_key_text()
    assert resolve_keys(text, tmp_path, demo=False).master == decode_key(text)
    with pytest.raises(DataKeyError, match=r"security\.data_key"):
        resolve_keys("", tmp_path, demo=False)
    made = resolve_keys("", tmp_path, demo=True)
    # the command line on a demo store's database finds the demo store's own key
    assert resolve_keys("", tmp_path, demo=False).master == made.master
