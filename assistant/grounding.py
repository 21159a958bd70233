"""Checks that keep answers honest: every number an answer states must stand in a cited
passage, and a passage's missing numbers (``名机关干部`` where the scrape lost the digits) are
reported as missing instead of guessed."""

from __future__ import annotations

import re
import unicodedata

from .answer_types import DIGITS
from .text import without_markers

UNITS = "名个户人家位座幢所处项条公里平方米亩元万亿岁年月日天小时分钟次批"


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(",", "").replace("，", "")


def numbers_in(text: str) -> list[str]:
    """Arabic numbers stated in ``text`` (citation markers excluded), as written (NFKC)."""
    text = without_markers(unicodedata.normalize("NFKC", text), " ")
    return [m.group(0) for m in DIGITS.finditer(text.replace(",", ""))]


def ungrounded_numbers(answer_text: str, passages: list[str]) -> list[str]:
    """Numbers in the answer that appear in none of the passages."""
    sources = " ".join(_plain(p) for p in passages)
    source_numbers = set(DIGITS.findall(sources))
    return [n for n in numbers_in(answer_text) if n not in source_numbers]


NUMERAL_CHARS = "0123456789零〇一二两三四五六七八九十百千万亿多余几数"
# words that stand before a measure word without any number (每名, 各个, 这家, 该户 …)
DETERMINERS = "每各这那该此某哪全整单本首上下同另其逐"


def _is_word(text: str) -> bool:
    from .normalize import dictionary_frequency

    return dictionary_frequency(text) > 0


def missing_number_before(text: str, noun: str) -> bool:
    """True when ``noun`` follows a measure word with no number before it (``与名村干部``): not
    after a numeral or a determiner (每名, 各个, 这家), and not when the measure word is part of a
    word (国家, 大家, 专家)."""
    for m in re.finditer(re.escape(noun), text):
        i = m.start()
        if i < 1 or text[i - 1] not in UNITS:
            continue
        before = text[i - 2] if i >= 2 else ""
        if before and (before in NUMERAL_CHARS or before in DETERMINERS or _is_word(before + text[i - 1])):
            continue
        return True
    return False


def lost_number(text: str, asked_unit: str) -> bool:
    """Whether ``text`` holds the asked measure word and noun (多少**名机关干部**) with the number
    lost before it. Needs the measure word and at least two characters of the noun."""
    if len(asked_unit) < 3 or asked_unit[0] not in UNITS:
        return False
    noun = asked_unit[1:]
    return any(missing_number_before(text, noun[:size]) for size in range(len(noun), 1, -1))
