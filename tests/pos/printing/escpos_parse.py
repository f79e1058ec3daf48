"""A small ESC/POS reader for tests: splits a byte stream into text, QR payloads and images."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image


@dataclass
class Parsed:
    text: bytes = b""
    commands: list[bytes] = field(default_factory=list)
    qr: list[bytes] = field(default_factory=list)
    images: list[Image.Image] = field(default_factory=list)

    def lines(self, encoding: str = "gb18030") -> list[str]:
        return self.text.decode(encoding).split("\n")


FIXED = {
    b"\x1b@": 2,
    b"\x1c&": 2,
    b"\x1c.": 2,
    b"\x1ba": 3,
    b"\x1bE": 3,
    b"\x1b!": 3,
    b"\x1bd": 3,
    b"\x1bM": 3,
    b"\x1b-": 3,
    b"\x1d!": 3,
    b"\x1dB": 3,
    b"\x10\x04": 3,
    b"\x1bp": 5,
}


def parse(data: bytes) -> Parsed:
    out = Parsed()
    i = 0
    while i < len(data):
        two = data[i : i + 2]
        if two in FIXED:
            out.commands.append(data[i : i + FIXED[two]])
            i += FIXED[two]
        elif two == b"\x1dV":
            size = 4 if data[i + 2] in (65, 66) else 3
            out.commands.append(data[i : i + size])
            i += size
        elif data[i : i + 3] == b"\x1d(k":
            length = data[i + 3] + 256 * data[i + 4]
            body = data[i + 5 : i + 5 + length]
            out.commands.append(data[i : i + 5 + length])
            if body[:3] == b"1P0":  # cn=49 '1' (QR), fn=80 'P' store, m='0'
                out.qr.append(body[3:])
            i += 5 + length
        elif data[i : i + 3] == b"\x1dv0":
            width_bytes = data[i + 4] + 256 * data[i + 5]
            height = data[i + 6] + 256 * data[i + 7]
            raster = data[i + 8 : i + 8 + width_bytes * height]
            image = Image.frombytes("1", (width_bytes * 8, height), raster)
            out.images.append(image)
            out.commands.append(data[i : i + 8])
            i += 8 + width_bytes * height
        elif data[i] < 0x20 and data[i] not in (0x0A,):
            raise AssertionError(f"unknown command at {i}: {data[i : i + 8]!r}")
        else:
            out.text += data[i : i + 1]
            i += 1
    return out
