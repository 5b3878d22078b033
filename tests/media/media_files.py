"""Media files made on the spot (nothing downloaded): PNGs of a chosen size, WAV tones, a PDF of some pages."""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib
from pathlib import Path


def png(width: int, height: int, seed: int = 0, *, stored: bool = False) -> bytes:
    """A valid RGB PNG; ``stored`` leaves it uncompressed (about ``3 * width * height`` bytes)."""
    row = bytes((x * 7 + seed * 31) % 256 for x in range(width * 3))
    raw = b"".join(b"\x00" + row[y % 3 :] + row[: y % 3] for y in range(height))
    data = zlib.compress(raw, 0 if stored else 6)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def wav(seconds: float, rate: int = 8000, pitch: float = 440.0) -> bytes:
    """A mono 16-bit sine tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / rate))) for i in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def pdf(pages: int) -> bytes:
    """A PDF of ``pages`` pages drawn with matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    with PdfPages(buffer) as document:
        for page in range(pages):
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.plot([0, 1, 2], [page, page + 1, page * 2])
            ax.set_title(f"page {page + 1}")
            document.savefig(fig)
            plt.close(fig)
    return buffer.getvalue()


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path
