"""The tiny PNG bar chart: a valid PNG whose pixels are the bars."""

from __future__ import annotations

import struct
import zlib

import pytest

from bot.queue.chart import APPROVED, BACKGROUND, REJECTED, UNDECIDED, encode_png, grid_step, stacked_bars


def decode(png: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, RGB rows) of an 8-bit RGB PNG with unfiltered rows, checking each chunk's CRC."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        data = png[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + data
        position += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour_type) == (8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + width * 3
    rows = [raw[i * stride : (i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows)
    assert b"IEND" in chunks
    return width, height, [row[1:] for row in rows]


def pixel(rows: list[bytes], x: int, y_from_top: int) -> tuple[int, int, int]:
    r, g, b = rows[y_from_top][x * 3 : x * 3 + 3]
    return (r, g, b)


def column(rows: list[bytes], x: int) -> list[tuple[int, int, int]]:
    return [pixel(rows, x, y) for y in range(len(rows))]


def test_encode_png_round_trips() -> None:
    rows = [bytes([255, 0, 0, 0, 255, 0]), bytes([0, 0, 255, 255, 255, 255])]
    width, height, decoded = decode(encode_png(2, 2, rows))
    assert (width, height, decoded) == (2, 2, rows)


def test_encode_png_refuses_rows_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="width"):
        encode_png(2, 1, [b"\x00" * 5])


def test_bars_are_stacked_in_their_colours_and_scaled_to_the_tallest() -> None:
    width, height, rows = decode(stacked_bars([(2, 1, 1), (0, 0, 2)], width=100, height=60))
    assert (width, height) == (100, 60)
    first, second = column(rows, 12 + 19), column(rows, 12 + 38 + 19)  # the middle of each bar's slot
    # The first bar is the tallest (4): approved at the bottom, then rejected, then undecided up to the top margin.
    assert first.count(APPROVED) == pytest.approx(2 * first.count(REJECTED), abs=1)
    assert first.count(UNDECIDED) == pytest.approx(first.count(REJECTED), abs=1)
    assert first.index(UNDECIDED) < first.index(REJECTED) < first.index(APPROVED)  # top to bottom
    assert APPROVED not in second
    assert REJECTED not in second
    assert second.count(UNDECIDED) == pytest.approx(first.count(UNDECIDED) * 2 / 1, abs=2)
    assert pixel(rows, 1, 1) == BACKGROUND


@pytest.mark.parametrize("bars", [[], [(1, -1)], [(1, 2, 3, 4)]])
def test_refuses_bad_bars(bars: list[tuple[int, ...]]) -> None:
    with pytest.raises(ValueError):
        stacked_bars(bars)


@pytest.mark.parametrize(("top", "step"), [(1, 1), (5, 1), (6, 2), (10, 2), (11, 5), (30, 10), (400, 100), (1001, 500)])
def test_grid_step(top: int, step: int) -> None:
    assert grid_step(top) == step
