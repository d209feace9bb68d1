"""Small real documents built with the standard library: PNG X-rays (one CBCT-sized), PDF letters."""

from __future__ import annotations

import random
import struct
import zlib

from core_practice_twenty.source.generator.vocabulary import LARGE_FILE_BYTES


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


_SHADES = {base: bytes((base + (i & 0x3F)) & 0xFF for i in range(256)) for base in range(256)}
"""Byte maps that turn noise into a band of grey around `base` (one `bytes.translate` per PNG row)."""


def make_png(rng: random.Random, width: int = 48, height: int = 32, comment: str = "", level: int = 9) -> bytes:
    """A valid 8-bit greyscale PNG: a soft gradient with noise, like a tiny radiograph."""
    noise = rng.randbytes(width * height)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        base = 40 + (y * 150) // max(1, height - 1)
        rows += noise[y * width:(y + 1) * width].translate(_SHADES[base])
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    text = _png_chunk(b"tEXt", b"Comment\x00" + comment.encode("latin-1", "replace")) if comment else b""
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + text
            + _png_chunk(b"IDAT", zlib.compress(bytes(rows), level)) + _png_chunk(b"IEND", b""))


def make_large_png(rng: random.Random, minimum: int = LARGE_FILE_BYTES, comment: str = "") -> bytes:
    """A valid PNG of at least `minimum` bytes (stored, incompressible noise): a CBCT-sized export."""
    width = 4096
    height = minimum // (width + 1) + 1
    while True:
        raw = b"".join(b"\x00" + rng.randbytes(width) for _ in range(height))
        header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
        text = _png_chunk(b"tEXt", b"Comment\x00" + comment.encode("latin-1", "replace")) if comment else b""
        data = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + text
                + _png_chunk(b"IDAT", zlib.compress(raw, 0)) + _png_chunk(b"IEND", b""))
        if len(data) >= minimum:
            return data
        height += 16


def _pdf_text(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace("(", "\\(") \
        .replace(")", "\\)")


def make_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF (catalog, pages, page, font, content stream, xref, trailer)."""
    content_lines = ["BT", "/F1 12 Tf", "72 760 Td", "14 TL"]
    for line in lines:
        content_lines.append(f"({_pdf_text(line)}) '")
    content_lines.append("ET")
    stream = "\n".join(content_lines).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)

