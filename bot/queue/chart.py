"""A tiny stacked bar chart as PNG bytes (pure: zlib and struct only, no fonts).

Labels stay in the message text beside the picture; the picture only has bars, a baseline
and faint gridlines, so no font is needed.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

Colour = tuple[int, int, int]

BACKGROUND: Colour = (255, 255, 255)
GRID: Colour = (225, 225, 225)
AXIS: Colour = (90, 90, 90)
APPROVED: Colour = (67, 160, 71)
REJECTED: Colour = (120, 120, 120)
UNDECIDED: Colour = (240, 180, 20)

_MARGIN = 12


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, rows: Sequence[bytes | bytearray]) -> bytes:
    """An 8-bit RGB PNG from rows of width*3 bytes each."""
    if len(rows) != height or any(len(row) != width * 3 for row in rows):
        raise ValueError("every row must hold width RGB pixels, and there must be height rows")
    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 (None) on each row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")


def grid_step(top: int) -> int:
    """A round gridline spacing giving at most about five lines up to top."""
    step = 1
    while top / step > 5:
        for factor in (2, 5, 10):
            if top / (step * factor) <= 5:
                return step * factor
        step *= 10
    return step


def stacked_bars(
    bars: Sequence[Sequence[int]],
    colours: Sequence[Colour] = (APPROVED, REJECTED, UNDECIDED),
    *,
    width: int = 480,
    height: int = 200,
) -> bytes:
    """One bar per entry, left to right, each stacked bottom up from its segments in the colours' order."""
    if not bars:
        raise ValueError("a chart needs at least one bar")
    if any(len(bar) > len(colours) for bar in bars) or any(v < 0 for bar in bars for v in bar):
        raise ValueError("each bar has at most one non-negative value per colour")
    pixels = [bytearray(bytes(BACKGROUND) * width) for _ in range(height)]

    def fill(x0: int, x1: int, y0: int, y1: int, colour: Colour) -> None:
        # y counts up from the baseline; rows count down from the top.
        span = bytes(colour) * (x1 - x0)
        for y in range(y0, y1):
            row = pixels[height - 1 - y]
            row[x0 * 3 : x1 * 3] = span

    top = max(max((sum(bar) for bar in bars), default=0), 1)
    plot_height = height - 2 * _MARGIN
    baseline = _MARGIN
    step = grid_step(top)
    for value in range(step, top + 1, step):
        y = baseline + round(value * plot_height / top)
        fill(_MARGIN, width - _MARGIN, y - 1, y, GRID)
    slot = (width - 2 * _MARGIN) / len(bars)
    bar_width = max(int(slot * 0.6), 1)
    for index, bar in enumerate(bars):
        x0 = _MARGIN + int(index * slot + (slot - bar_width) / 2)
        bottom = 0
        for value, colour in zip(bar, colours, strict=False):
            y0 = baseline + round(bottom * plot_height / top)
            bottom += value
            y1 = baseline + round(bottom * plot_height / top)
            fill(x0, x0 + bar_width, y0, y1, colour)
    fill(_MARGIN, width - _MARGIN, baseline - 1, baseline, AXIS)
    return encode_png(width, height, pixels)
