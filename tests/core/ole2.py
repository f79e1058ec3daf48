"""A minimal OLE2 compound file (the container of .doc, .xls and encrypted .xlsx files) with one
named stream, for tests of what the reader says about such files; no Office program needed."""

from __future__ import annotations

import struct

SECTOR = 512
END, FREE, FAT, NONE = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded,
        len(encoded),
        kind,
        1,  # black
        NONE,
        NONE,
        child,
        b"\0" * 16,
        0,
        0,
        0,
        start,
        size,
    )


def compound_file(stream_name: str, content: bytes) -> bytes:
    """An OLE2 file (version 3, 512-byte sectors) holding `content` as the stream `stream_name`."""
    content = content.ljust(max(4096, len(content)), b"\0")  # past the mini-stream cutoff
    content += b"\0" * (-len(content) % SECTOR)
    sectors = len(content) // SECTOR
    if sectors + 2 > SECTOR // 4:
        raise ValueError("content too large for this little builder")
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\0" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,  # directory sectors (0 in version 3)
        1,  # FAT sectors
        1,  # first directory sector
        0,
        4096,  # mini stream cutoff
        END,  # first mini FAT sector
        0,
        END,  # first DIFAT sector
        0,
    ) + struct.pack("<109I", 0, *([FREE] * 108))
    fat = [FAT, END] + [3 + i for i in range(sectors - 1)] + [END]
    fat += [FREE] * (SECTOR // 4 - len(fat))
    directory = (
        _entry("Root Entry", 5, 1, END, 0)
        + _entry(stream_name, 2, NONE, 2, len(content))
        + _entry("", 0, NONE, 0, 0) * 2
    )
    return header + struct.pack(f"<{SECTOR // 4}I", *fat) + directory + content


def encrypted_xls_stream() -> bytes:
    """The start of an .xls "Workbook" stream that says it is password-protected: a BOF record
    for the workbook globals, then FILEPASS."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x0206)
    filepass = struct.pack("<HHHH", 0x002F, 4, 1, 1)
    return bof + filepass
