"""Checks that keep answers honest: every number an answer states must stand in a cited
passage, and a passage's missing numbers (``名机关干部`` where the scrape lost the digits) are
reported as missing instead of guessed."""

from __future__ import annotations

import re
import unicodedata

_MARKER = re.compile(r"\[\d+\]")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
UNITS = "名个户人家位座幢所处项条公里平方米亩元万亿岁年月日天小时分钟次批"


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(",", "").replace("，", "")


def numbers_in(text: str) -> list[str]:
    """Arabic numbers stated in ``text`` (citation markers excluded), as written (NFKC)."""
    text = _MARKER.sub(" ", unicodedata.normalize("NFKC", text))
    return [m.group(0) for m in _DIGITS.finditer(text.replace(",", ""))]


def ungrounded_numbers(answer_text: str, passages: list[str]) -> list[str]:
    """Numbers in the answer that appear in none of the passages."""
    sources = " ".join(_plain(p) for p in passages)
    source_numbers = set(_DIGITS.findall(sources))
    return [n for n in numbers_in(answer_text) if n not in source_numbers]


def missing_number_before(text: str, noun: str) -> bool:
    """True when ``noun`` follows a unit with no number before it (``与名村干部``)."""
    for m in re.finditer(re.escape(noun), text):
        i = m.start()
        if i == 0:
            continue
        unit = text[i - 1]
        if unit in UNITS:
            before = text[i - 2] if i >= 2 else ""
            if not (before.isdigit() or before in "零一二两三四五六七八九十百千万多余几"):
                return True
    return False
