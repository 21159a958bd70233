"""Recognised text boxes → text in reading order, lines joined into sentences.

An OCR engine returns one box per visual line (sometimes per piece of a line). A printed paragraph
wraps mid-sentence, and our chunker splits sentences at line breaks, so lines that continue a
paragraph are joined (no space between Chinese characters, one between Latin words) and a line
break is kept only where a paragraph ends: the next line is indented, the previous one stops short
of the margin, or a larger gap opens.

Reading order: boxes are grouped into rows (by vertical centre); rows whose boxes leave a common
vertical gutter free form a multi-column band, read column by column; every other row is read left
to right. A band is read as columns only when its columns hold running text (wide, mostly full
lines), so a table's rows stay rows, their cells separated by tabs. All distances are in units of
the median box height, i.e. of the text's size."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

COLUMN_GAP = 1.2  # a gap this wide (× text height), free down several rows, separates two columns
COLUMN_ROWS = 3  # … with text on both sides in at least this many rows
CELL_GAP = 2.5  # a gap this wide inside a row separates cells (a tab); narrower ones are spaces, as a
# full-width “ or 、 leaves about a character and a half of white beside it
INDENT = 0.8  # a line starting this far right of its column's margin starts a paragraph
SHORT = 1.5  # a line ending this far left of its column's right edge ends a paragraph
PARAGRAPH_GAP = 1.0  # a vertical gap this large between two lines ends a paragraph
ROW_TOLERANCE = 0.5  # boxes whose centres differ by less than this share a row
COLUMN_MIN_WIDTH = 8.0  # a text column is at least this wide …
COLUMN_FULLNESS = 0.6  # … and its median line fills at least this share of it

_LATIN_END = re.compile(r"[A-Za-z0-9.,;:!?%)\]'\"-]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9(\['\"]")


@dataclass(frozen=True)
class Piece:
    """One recognised box: its bounds (pixels), text and recognition score (0–1)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float = 1.0

    @classmethod
    def from_quad(cls, quad, text: str, score: float) -> "Piece":
        xs = [float(p[0]) for p in quad]
        ys = [float(p[1]) for p in quad]
        return cls(min(xs), min(ys), max(xs), max(ys), text, float(score))

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class _Line:
    """A run of pieces read as one visual line, with the flow (band, column) it belongs to."""

    pieces: list[Piece]
    flow: tuple[int, int]
    x0: float = field(init=False)
    x1: float = field(init=False)
    y0: float = field(init=False)
    y1: float = field(init=False)

    def __post_init__(self) -> None:
        self.pieces.sort(key=lambda p: p.x0)
        self.x0 = min(p.x0 for p in self.pieces)
        self.x1 = max(p.x1 for p in self.pieces)
        self.y0 = min(p.y0 for p in self.pieces)
        self.y1 = max(p.y1 for p in self.pieces)


@dataclass(frozen=True)
class LaidOut:
    text: str
    low_confidence: tuple[tuple[int, int], ...] = ()  # spans of pieces scored below the threshold


def _rows(pieces: list[Piece], h: float) -> list[list[Piece]]:
    rows: list[list[Piece]] = []
    centre = 0.0
    for p in sorted(pieces, key=lambda p: p.yc):
        if rows and abs(p.yc - centre) <= ROW_TOLERANCE * h:
            rows[-1].append(p)
            centre = statistics.fmean(q.yc for q in rows[-1])
        else:
            rows.append([p])
            centre = p.yc
    return [sorted(r, key=lambda p: p.x0) for r in rows]


def _segments(row: list[Piece], h: float) -> list[tuple[float, float]]:
    """The row's occupied x-intervals, pieces closer than a column gap merged."""
    spans: list[list[float]] = []
    for p in row:
        if spans and p.x0 - spans[-1][1] < COLUMN_GAP * h:
            spans[-1][1] = max(spans[-1][1], p.x1)
        else:
            spans.append([p.x0, p.x1])
    return [(a, b) for a, b in spans]


def _shrink(gutter: tuple[float, float], segments: list[tuple[float, float]], h: float) -> tuple[float, float] | None:
    """What is left of ``gutter`` beside a row's ``segments`` (the widest free part), or None when
    less than a gutter's width stays free."""
    free = [gutter]
    for a, b in segments:
        nxt = []
        for lo, hi in free:
            if b <= lo or a >= hi:
                nxt.append((lo, hi))
                continue
            if a > lo:
                nxt.append((lo, a))
            if b < hi:
                nxt.append((b, hi))
        free = nxt
    free = [g for g in free if g[1] - g[0] >= COLUMN_GAP * h]
    return max(free, key=lambda g: g[1] - g[0]) if free else None


def _both_sides(segments: list[tuple[float, float]], gutter: tuple[float, float]) -> bool:
    return any(b <= gutter[0] for _, b in segments) and any(a >= gutter[1] for a, _ in segments)


def _columns(rows: list[list[Piece]], gutters: list[tuple[float, float]]) -> list[list[list[Piece]]]:
    """Each column's row pieces, left to right (empty rows dropped)."""
    bounds = [g[0] + (g[1] - g[0]) / 2 for g in sorted(gutters)]
    columns: list[list[list[Piece]]] = [[] for _ in range(len(bounds) + 1)]
    for row in rows:
        cells: list[list[Piece]] = [[] for _ in columns]
        for p in row:
            k = sum(1 for b in bounds if (p.x0 + p.x1) / 2 > b)
            cells[k].append(p)
        for k, cell in enumerate(cells):
            if cell:
                columns[k].append(cell)
    return columns


def _text_columns(columns: list[list[list[Piece]]], h: float) -> bool:
    for col in columns:
        if not col:
            return False
        widths = [max(p.x1 for p in cell) - min(p.x0 for p in cell) for cell in col]
        extent = max(p.x1 for cell in col for p in cell) - min(p.x0 for cell in col for p in cell)
        if extent < COLUMN_MIN_WIDTH * h or statistics.median(widths) < COLUMN_FULLNESS * extent:
            return False
    return True


def _lines(rows: list[list[Piece]], h: float) -> list[_Line]:
    """Rows → lines in reading order, multi-column bands read column by column."""
    out: list[_Line] = []
    band = 0
    i = 0
    while i < len(rows):
        segs = _segments(rows[i], h)
        gutters = [(a[1], b[0]) for a, b in zip(segs, segs[1:])]
        j, n_multi = i + 1, 1
        while gutters and j < len(rows):
            row_segs = _segments(rows[j], h)
            shrunk = [_shrink(g, row_segs, h) for g in gutters]
            if any(g is None for g in shrunk):
                break
            gutters = [g for g in shrunk if g is not None]
            n_multi += any(_both_sides(row_segs, g) for g in gutters)
            j += 1
        if gutters and n_multi >= COLUMN_ROWS:
            columns = _columns(rows[i:j], gutters)
            if _text_columns(columns, h):
                band += 1
                for k, col in enumerate(columns):
                    out.extend(_Line(cell, (band, k)) for cell in col)
                band += 1
                i = j
                continue
        out.append(_Line(list(rows[i]), (band, 0)))
        i += 1
    return out


def _cjk(ch: str) -> bool:
    return ord(ch) > 0x2E7F  # CJK characters and full-width punctuation


def _joiner(left: str, right: str) -> str:
    if not left or not right or _cjk(left[-1]) or _cjk(right[0]):
        return ""
    return " " if _LATIN_END.search(left) and _LATIN_START.search(right) else ""


def _cells(line: _Line, h: float) -> bool:
    """Whether the line is a row of cells (pieces a gutter apart): a table row or form line."""
    return any(b.x0 - a.x1 >= CELL_GAP * h for a, b in zip(line.pieces, line.pieces[1:]))


def _paragraph_break(prev: _Line, line: _Line, margins: dict, h: float) -> bool:
    if _cells(prev, h) or _cells(line, h):
        return True
    left, _ = margins[line.flow]
    _, right = margins[prev.flow]
    if line.x0 - left > INDENT * h or right - prev.x1 > SHORT * h:
        return True
    if prev.flow == line.flow:
        return line.y0 - prev.y1 > PARAGRAPH_GAP * h
    # a paragraph may run on into the next column of the same band, never into another band
    return prev.flow[0] != line.flow[0]


def _margins(lines: list[_Line]) -> dict[tuple[int, int], tuple[float, float]]:
    """Each flow's left margin (its leftmost line) and right edge (where most full lines end: a line
    closing on punctuation that typesetting let hang past the edge must not make the rest look short)."""
    starts: dict[tuple[int, int], list[float]] = {}
    ends: dict[tuple[int, int], list[float]] = {}
    for line in lines:
        starts.setdefault(line.flow, []).append(line.x0)
        ends.setdefault(line.flow, []).append(line.x1)
    out = {}
    for flow, xs in ends.items():
        xs = sorted(xs)
        out[flow] = (min(starts[flow]), xs[(3 * (len(xs) - 1)) // 4])
    return out


def lay_out(pieces: list[Piece], min_confidence: float = 0.0) -> LaidOut:
    """The text of ``pieces`` in reading order; spans of pieces scored below ``min_confidence``."""
    pieces = [p for p in pieces if p.text.strip()]
    if not pieces:
        return LaidOut("")
    h = statistics.median(p.y1 - p.y0 for p in pieces) or 1.0
    lines = _lines(_rows(pieces, h), h)
    margins = _margins(lines)

    out: list[str] = []
    low: list[tuple[int, int]] = []
    length = 0

    def add(text: str, score: float) -> None:
        nonlocal length
        if score < min_confidence:
            low.append((length, length + len(text)))
        out.append(text)
        length += len(text)

    prev: _Line | None = None
    for line in lines:
        if prev is not None:
            first = line.pieces[0].text.strip()
            add("\n" if _paragraph_break(prev, line, margins, h) else _joiner("".join(out[-1:]), first), 1.0)
        last: Piece | None = None
        for p in line.pieces:
            text = p.text.strip()
            if last is not None:
                gap = p.x0 - last.x1
                add("\t" if gap >= CELL_GAP * h else " " if gap >= 0.5 * h else _joiner(out[-1], text), 1.0)
            add(text, p.score)
            last = p
        prev = line
    text = "".join(out)
    return LaidOut(text, tuple(s for s in low if s[1] > s[0]))
