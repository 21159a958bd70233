"""Which legacy encoding a text file that is not UTF-8 is in — judged by whether the decoded text
reads like text, not merely by whether the bytes decode.

GB18030 decodes almost any byte string, so Big5, Shift-JIS and Latin-1 files used to be indexed as
mojibake (``郡绊叉砲ю绊参…``) with a success message. Each candidate encoding's text is scored by
the share of its non-ASCII characters that are plausible for that encoding: a Chinese character
whose simplified form is one of the 3,755 common characters (GB2312 level 1), CJK and full-width
punctuation, kana for Japanese, Hangul for Korean, accented Latin letters beside ASCII letters for
the Western encodings. The best candidate wins when it scores at least ``MIN_PLAUSIBLE``; below that
the file is refused with a message saying to save it as UTF-8, rather than guessed."""

from __future__ import annotations

import functools
import re
import unicodedata

# tried in this order; on a tie the earlier wins (the corpus is Chinese, mostly GBK when not UTF-8)
CANDIDATES = ("gb18030", "big5", "cp932", "cp949", "cp1252")
MIN_PLAUSIBLE = 0.8
_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff00-\uffef\u2010-\u2027\u2030-\u205e\u00a0-\u00bf\u00d7\u00f7]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@functools.cache
def common_han() -> frozenset[str]:
    """The 3,755 most common Chinese characters (GB2312 level 1, rows 16–55)."""
    chars = set()
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


@functools.cache
def _simplified(ch: str) -> str:
    from ..normalize import to_simplified

    return to_simplified(ch)


def _plausible(text: str, i: int, ch: str, encoding: str) -> bool:
    if _HAN.match(ch):
        return _simplified(ch) in common_han()
    if _PUNCTUATION.match(ch):
        return True
    if _KANA.match(ch):
        return encoding == "cp932"
    if _HANGUL.match(ch):
        return encoding == "cp949"
    if encoding == "cp1252" and unicodedata.category(ch).startswith("L") and ch <= "\u024f":
        around = text[max(0, i - 1): i] + text[i + 1: i + 2]
        return bool(_LATIN.search(around))  # an accented letter inside a Latin word
    return False


def plausibility(text: str, encoding: str) -> float:
    """Share of the non-ASCII characters of ``text`` that are plausible for ``encoding`` (1.0
    when there are none)."""
    scored = [_plausible(text, i, ch, encoding) for i, ch in enumerate(text) if ord(ch) > 0x7F and not ch.isspace()]
    return sum(scored) / len(scored) if scored else 1.0


def guess_legacy(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) of ``data`` in the most plausible legacy encoding, or None when no
    encoding gives text that reads like text."""
    best: tuple[float, str, str] | None = None
    for encoding in CANDIDATES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = plausibility(text, encoding)
        if best is None or score > best[0]:
            best = (score, text, encoding)
    if best is None or best[0] < MIN_PLAUSIBLE:
        return None
    return best[1], best[2]


__all__ = ["guess_legacy", "plausibility", "common_han", "CANDIDATES", "MIN_PLAUSIBLE"]
