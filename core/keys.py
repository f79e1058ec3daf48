"""The data key and the keys derived from it.

`security.data_key` (or `CHARITY_DATA_KEY`) is base64 of 32 random bytes kept outside the database.
Each use gets its own subkey by HKDF-SHA256 with a purpose label, so that the key which encrypts
resident ID numbers is never the one that seals the ledger. A demo store makes a key of its own
and keeps it in a file beside its database (mode 600), never in the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32

# Purposes: one subkey each. Add new ones here; never reuse a label for another meaning.
PURPOSE_FIELD_ENCRYPTION = "field-encryption"
PURPOSE_BLIND_INDEX = "blind-index"
PURPOSE_LEDGER_SEAL = "ledger-seal"
PURPOSE_STAGED_FILES = "staged-files"  # uploads waiting in the instance folder for confirmation


class DataKeyError(ValueError):
    """A data key that is missing or not 32 bytes of base64."""


def decode_key(text: str, *, what: str = "security.data_key") -> bytes:
    """32 bytes from their base64 text, or a Chinese one-line refusal naming `what`."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DataKeyError(f"{what} 不是有效的 base64 文本") from None
    if len(raw) != KEY_BYTES:
        raise DataKeyError(f"{what} 应为 {KEY_BYTES} 字节随机数的 base64（实际 {len(raw)} 字节）")
    return raw


def new_key_text() -> str:
    """A fresh data key as base64 text (what `charity keys new` or an operator would store)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


@dataclass(frozen=True)
class DataKeys:
    """The master data key and its derived subkeys (computed once per purpose)."""

    master: bytes = field(repr=False)
    _cache: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.master) != KEY_BYTES:
            raise DataKeyError(f"数据密钥应为 {KEY_BYTES} 字节")

    @classmethod
    def from_text(cls, text: str, *, what: str = "security.data_key") -> DataKeys:
        return cls(decode_key(text, what=what))

    @property
    def key_id(self) -> str:
        """A short public name of the key (not a secret): which key encrypted a value."""
        return hashlib.sha256(b"charity-key-id:" + self.master).hexdigest()[:8]

    def derive(self, purpose: str) -> bytes:
        """The 32-byte subkey for one purpose."""
        cached = self._cache.get(purpose)
        if cached is None:
            cached = HKDF(
                algorithm=hashes.SHA256(),
                length=KEY_BYTES,
                salt=None,
                info=b"charity-supermarket:" + purpose.encode("utf-8"),
            ).derive(self.master)
            self._cache[purpose] = cached
        return cached

    def mac(self, purpose: str, message: bytes) -> str:
        """HMAC-SHA256 of `message` under the purpose's subkey, as hex."""
        return hmac.new(self.derive(purpose), message, hashlib.sha256).hexdigest()


def demo_key(folder: Path) -> DataKeys:
    """The demo store's own key: read from `folder/demo-data-key`, made (mode 600) if absent."""
    path = folder / "demo-data-key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(new_key_text() + "\n")
    return DataKeys.from_text(path.read_text(encoding="ascii"), what=str(path))


def replace_demo_key(folder: Path, keys: DataKeys) -> Path:
    """Put `keys` in the demo store's key file (after `charity keys rotate`), atomically, mode
    600; returns the file."""
    path = folder / "demo-data-key"
    staging = folder / "demo-data-key.new"
    staging.unlink(missing_ok=True)
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(keys.master).decode("ascii") + "\n")
    os.replace(staging, path)
    return path


def resolve_keys(data_key: str, instance_dir: Path, *, demo: bool) -> DataKeys:
    """The keys a running store uses: `security.data_key` when set; a demo store's own key
    (made on first use); or the key file a demo store left in `instance_dir`, so the command
    line works on the demo database. Otherwise the key is missing: a refusal naming it."""
    if data_key:
        return DataKeys.from_text(data_key)
    if demo or (instance_dir / "demo-data-key").exists():
        return demo_key(instance_dir)
    raise DataKeyError(
        "未设置 security.data_key（或环境变量 CHARITY_DATA_KEY）：正式运行必须设置，"
        '它加密身份证号与电话并为账本加封；可用 python -c "import base64,secrets;'
        'print(base64.b64encode(secrets.token_bytes(32)).decode())" 生成，并保存在数据库以外'
    )
