"""Offline OCR of one page image with rapidocr-onnxruntime (its wheel ships the PP-OCRv4 Chinese
detection and recognition models, so nothing is downloaded).

The engine is loaded on first use only — an image or a scanned PDF page — so start-up and the
question path never pay for it; OCR runs when files are read (build, upload), never when asked.

Page orientation is ours to fix: RapidOCR's per-line 0/180° classifier misreads upright lines now
and then (an upright line flipped → an empty result), so it is off. Instead a page whose boxes
stand upright (text running down the page) is turned a quarter, and a page read with low
confidence is also read upside down; the reading with more confidently recognised text wins.
Lines come back with their scores; :mod:`.layout` puts them in reading order."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .base import LoaderError, ReadOptions
from .layout import LaidOut, Piece, lay_out

log = logging.getLogger(__name__)

UPRIGHT_SCORE = 0.8  # a page read with a lower mean score is also tried the other way round
TALL = 1.5  # a box this many times taller than wide holds text running down the page

_engine = None
_lock = threading.Lock()


def engine():
    """The shared RapidOCR engine, created on first use."""
    global _engine
    with _lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:  # pragma: no cover - a declared dependency
                raise LoaderError(
                    f"文字识别（OCR）组件无法加载（{exc}）。请运行 `make install` 安装依赖，"
                    "或设置 ASSISTANT_OCR=0 关闭文字识别。"
                ) from None
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
            _engine = RapidOCR()
        return _engine


def engine_loaded() -> bool:
    return _engine is not None


@dataclass(frozen=True)
class PageResult:
    text: str
    low_confidence: tuple[tuple[int, int], ...]
    n_lines: int
    rotation: int  # degrees (counter-clockwise) the page was turned to read it
    seconds: float


def _read(image) -> list[Piece]:
    """One pass of detection + recognition over a BGR array; all lines kept with their scores."""
    ocr = engine()
    with _lock:
        found, _ = ocr(image, use_cls=False, text_score=0.0)
    return [Piece.from_quad(box, text, score) for box, text, score in (found or [])]


def _weight(pieces: list[Piece]) -> float:
    return sum(len(p.text.strip()) * p.score for p in pieces)


def _mean_score(pieces: list[Piece]) -> float:
    n = sum(len(p.text.strip()) for p in pieces)
    return _weight(pieces) / n if n else 0.0


def _sideways(pieces: list[Piece]) -> bool:
    tall = sum(max(p.x1 - p.x0, p.y1 - p.y0) for p in pieces if (p.y1 - p.y0) > TALL * (p.x1 - p.x0))
    total = sum(max(p.x1 - p.x0, p.y1 - p.y0) for p in pieces)
    return total > 0 and tall > total / 2


def recognise(image, min_confidence: float) -> PageResult:
    """Read a page (a PIL image). Lines scored below ``min_confidence`` are kept and reported."""
    import numpy as np

    started = time.perf_counter()
    bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
    best, rotation = _read(bgr), 0
    if _sideways(best):  # lines run down the page: its reading order is lost, so it never wins.
        # RapidOCR read each upright box turned a quarter counter-clockwise: if that read well, the
        # page wants the same turn, else the opposite one (tried first, the other as a fallback)
        tries, best = ((1, 3) if _mean_score(best) >= UPRIGHT_SCORE else (3, 1)), []
    elif best and _mean_score(best) < UPRIGHT_SCORE:
        tries = (2,)
    else:
        tries = ()
    for k in tries:
        pieces = _read(np.ascontiguousarray(np.rot90(bgr, k)))
        if _weight(pieces) > _weight(best):
            best, rotation = pieces, 90 * k
            if _mean_score(best) >= UPRIGHT_SCORE:
                break
    laid: LaidOut = lay_out(best, min_confidence)
    return PageResult(laid.text, laid.low_confidence, len(best), rotation, time.perf_counter() - started)


@contextlib.contextmanager
def page_progress(options: ReadOptions, name: str, total: int) -> Iterator[Callable[[int], None]]:
    """``step(k)`` before the k-th page to OCR (1-based): to ``options.on_page`` when set, else a
    progress bar on a terminal (none when output is not a terminal)."""
    bar = None
    if options.on_page is None:
        from tqdm import tqdm

        bar = tqdm(total=total, desc=f"文字识别 OCR {name}", unit="页", disable=None, leave=False)
    started = time.perf_counter()

    def step(k: int) -> None:
        if options.on_page is not None:
            options.on_page(name, k, total)
        elif bar is not None and k > 1:
            bar.update(1)

    try:
        yield step
    finally:
        if bar is not None:
            bar.update(total - bar.n)
            bar.close()
        if total:
            seconds = time.perf_counter() - started
            log.info("OCR %s: %d 页, %.1f 秒 (%.1f 秒/页)", name, total, seconds, seconds / total)
