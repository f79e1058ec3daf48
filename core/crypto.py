"""Field encryption and blind indexes: how a personal value (a resident ID number, a phone) is
kept unreadable at rest and still found.

`FieldCipher(keys)` encrypts with AES-256-GCM under `keys.derive(PURPOSE_FIELD_ENCRYPTION)`: each
value gets its own random 96-bit nonce, the field's name is bound in as associated data (a
ciphertext moved to another column does not decrypt), and the stored text starts with the key id
(`DataKeys.key_id`), so that `charity keys rotate` knows what was encrypted under which key and a
wrong key is named instead of failing obscurely. A blind index is an HMAC-SHA256 (truncated to
128 bits) of a normalised value under `PURPOSE_BLIND_INDEX`, labelled by what it indexes: equal
values have equal indexes, which serve lookups and unique constraints without the value.

Build one cipher per unit of work (an import, a request) and reuse it for every row: the AES and
HMAC keys are set up once, each value then costs a few microseconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.keys import (
    PURPOSE_BLIND_INDEX,
    PURPOSE_FIELD_ENCRYPTION,
    PURPOSE_STAGED_FILES,
    DataKeyError,
    DataKeys,
)

NONCE_BYTES = 12
INDEX_CHARS = 32  # hex characters of a blind index: 128 bits
_SEPARATOR = ":"
_SHORT = 4  # values this short are few: their indexes are kept once computed


class FieldKeyError(DataKeyError):
    """A stored value that the configured key cannot decrypt (another key, or tampered)."""


def key_id_of(token: str) -> str:
    """The id of the key a stored value was encrypted under ('' for an empty value)."""
    return token.split(_SEPARATOR, 1)[0] if token else ""


class FieldCipher:
    """Encrypts, decrypts and indexes personal values under one set of data keys."""

    def __init__(self, keys: DataKeys) -> None:
        self.key_id = keys.key_id
        self._aead = AESGCM(keys.derive(PURPOSE_FIELD_ENCRYPTION))
        self._files = AESGCM(keys.derive(PURPOSE_STAGED_FILES))
        self._mac = hmac.new(keys.derive(PURPOSE_BLIND_INDEX), digestmod=hashlib.sha256)
        # Short values (the last four digits: 10,000 of them) recur on every other row of a
        # roster: each is computed once per cipher.
        self._short: dict[tuple[str, str], str] = {}

    # --- values ---------------------------------------------------------------------------

    def encrypt(self, value: str, *, field: str) -> str:
        """`value` as stored text: '<key id>:<base64url of nonce + ciphertext + tag>'. An empty
        value stays empty (nothing to hide, and 'no phone' must stay cheap to ask)."""
        if not value:
            return ""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), field.encode("ascii"))
        payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{self.key_id}{_SEPARATOR}{payload}"

    def decrypt(self, token: str, *, field: str) -> str:
        """The value of stored text made by `encrypt` under this key (FieldKeyError when it
        was made under another key, or does not authenticate)."""
        if not token:
            return ""
        key_id, _, payload = token.partition(_SEPARATOR)
        if key_id != self.key_id:
            raise FieldKeyError(
                f"{field} 是用编号为 {key_id} 的数据密钥加密的，当前密钥编号为 {self.key_id}："
                "security.data_key（或 CHARITY_DATA_KEY）设置的不是加密这些数据的密钥"
            )
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], field.encode("ascii"))
        except (binascii.Error, ValueError, InvalidTag):
            raise FieldKeyError(f"{field} 的密文无法解密（已损坏或被改动）") from None
        return plain.decode("utf-8")

    # --- blind indexes --------------------------------------------------------------------

    def index(self, label: str, value: str) -> str:
        """The blind index of a normalised value under `label` ('' for an empty value)."""
        if not value:
            return ""
        short = len(value) <= _SHORT
        if short:
            known = self._short.get((label, value))
            if known is not None:
                return known
        mac = self._mac.copy()
        mac.update(label.encode("ascii") + b"\x00" + value.encode("utf-8"))
        index = mac.hexdigest()[:INDEX_CHARS]
        if short:
            self._short[(label, value)] = index
        return index

    # --- files waiting on disk (an upload between its preview and its confirmation) ---------

    def seal_file(self, data: bytes, *, name: str) -> bytes:
        """`data` encrypted for a file on disk, bound to its file name."""
        nonce = os.urandom(NONCE_BYTES)
        return (
            self.key_id.encode("ascii")
            + b"\n"
            + nonce
            + self._files.encrypt(nonce, data, name.encode())
        )

    def open_file(self, sealed: bytes, *, name: str) -> bytes:
        """What `seal_file` sealed (FieldKeyError when the key or the name differ)."""
        key_id, _, rest = sealed.partition(b"\n")
        try:
            if key_id.decode("ascii") != self.key_id:
                raise ValueError("another key")
            return self._files.decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], name.encode())
        except (UnicodeDecodeError, ValueError, InvalidTag):
            raise FieldKeyError("暂存的上传文件无法解密（密钥已更换或文件被改动）") from None
