"""Checks that keep answers honest: every number an answer states must stand in a cited
passage, and a passage's missing numbers (``名机关干部`` where the scrape lost the digits) are
reported as missing instead of guessed."""

from __future__ import annotations

import re
import unicodedata

from .answer_types import DIGITS, MAGNITUDE, MEASURE_WORDS, MEASURES
from .text import without_markers

# one character that counts what follows it (名干部, 个工作队): the characters of 公里, 平方米, 小时 and 分钟
# are not such words on their own (可养小龙虾, 中、小学生 are no lost numbers)
COUNTERS = "名个户人家位座幢所处项条亩元万亿岁年月日天次批"
# the characters of the units a number carries (30公里, 2小时, 4.3万人): what a number written in a claim is read with
UNITS = COUNTERS + "公里平方米小时分钟"


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
    word (国家, 大家, 专家, 被告人)."""
    for m in re.finditer(re.escape(noun), text):
        i = m.start()
        if i < 1 or text[i - 1] not in COUNTERS or _counted(text, i - 1) or _ends_word(text, i - 1):
            continue
        return True
    return False


def _ends_word(text: str, at: int) -> bool:
    """Whether ``text[at]`` is the last character of a word of three or four (三名被告人有期徒刑: 人 ends
    被告人, it counts no one)."""
    return any(_is_word(text[at - size + 1 : at + 1]) for size in (3, 4) if at - size + 1 >= 0)


_SPACES = " \u00a0\u3000"


def _counted(text: str, at: int) -> bool:
    """Whether a number or a determiner stands before ``text[at]``, or the two make a word (国家). A
    number may stand a space away (水域面积 816 平方公里)."""
    before = text[at - 1] if at else ""
    if before and before in _SPACES:
        spaced = text[:at].rstrip(_SPACES)[-1:]
        return bool(spaced) and (spaced.isdigit() or spaced in NUMERAL_CHARS)
    return bool(before) and (before.isdigit() or before in NUMERAL_CHARS or before in DETERMINERS
                             or _is_word(before + text[at]))


def missing_number_before_unit(text: str, unit: str) -> bool:
    """True when the unit ``unit`` stands with no number before it (``在平方公里土地上``): not after
    a numeral, a digit or a determiner (每平方公里, 几公里), and not inside a longer word (小时候)."""
    for m in re.finditer(re.escape(unit), text):
        after = text[m.end()] if m.end() < len(text) else ""
        if _counted(text, m.start()) or text[m.start() - 1 : m.start()] == "少" or (after and _is_word(unit + after)):
            continue
        return True
    return False


# a unit of measure that 多 (“more than”) can only qualify after a number: 10多公里, 3多万平方米 — unlike
# a measure word (多名干部, 多处工程: “several”) or a word of its own (多元, 多米诺)
_APPROXIMATED = re.compile(r"多([万亿千百]*)(?:平方公里|平方千米|平方米|公里|千米|公顷|公斤|千克|亩|吨)"
                           r"|多([万亿千百]+)(?:元|米|斤)")


def _approximation_alone(text: str, at: int) -> bool:
    """Whether the unit at ``text[at]`` follows a bare 多 (and magnitude: 多万) with no number before it:
    the scrape lost the number (江口干完了多公里组组通). 许多公里, 10多公里 and 一万多公里 are whole."""
    start = at
    while start > 0 and text[start - 1] in MAGNITUDE:
        start -= 1
    if start == 0 or text[start - 1] != "多":
        return False
    before = text[: start - 1].rstrip(" \u3000")[-1:]
    return not (before and (before in NUMERAL_CHARS or before.isdigit() or _is_word(before + "多")))


def _unit_of(amount: str) -> str:
    return amount.lstrip("多").lstrip(MAGNITUDE)


def lost_amounts(text: str) -> list[str]:
    """The amounts of ``text`` whose number the scrape lost before 多 (多公里, 多万平方米), as written."""
    return [m.group(0) for m in _APPROXIMATED.finditer(text)
            if _approximation_alone(text, m.start() + 1 + len(m.group(1) or m.group(2) or ""))]


# a head count whose number was lost: a village, town or community, (共)有, then 人 or 户 and the clause
# ends (全村有人,贫困发生率2.13% / 2个社区共有人,). On the 54,889 articles of news.jsonl.gz it finds none.
_LOST_HEADCOUNT = re.compile(r"(?:[村乡镇县市区组]|社区|街道)(?:共|总)?(?:有|计)([人户])(?=[,，。;；、])")


def lost_number(text: str, asked_unit: str) -> bool:
    """Whether ``text`` holds what a “how many” question asks with the number lost before it: the
    measure word and noun (多少**名机关干部**: the measure word and at least two characters of the
    noun), or a unit of measure on its own (多少**平方公里**), or that unit after a bare 多 (多少公里组组通:
    江口干完了**多公里**组组通)."""
    if any(asked_unit.lstrip(MAGNITUDE).startswith(_unit_of(amount)) for amount in lost_amounts(text)):
        return True
    if any(m.group(1) == asked_unit[:1] for m in _LOST_HEADCOUNT.finditer(text)):
        return True
    if len(asked_unit) >= 3 and asked_unit[0] in COUNTERS + MEASURE_WORDS:  # 多少支驻村工作队: …组成个驻村工作队
        noun = asked_unit[1:]
        return any(missing_number_before(text, noun[:size]) for size in range(len(noun), 1, -1))
    return is_unit(asked_unit) and missing_number_before_unit(text, asked_unit)


def is_unit(word: str) -> bool:
    """Whether ``word`` is a unit of measure of two characters or more (平方公里, 万元, 小时), not a
    noun asked about (多少保费: 保费总额397652元 states its number)."""
    return len(word) >= 2 and any(p.fullmatch(word.lstrip(MAGNITUDE)) for p in MEASURES.values())


# an opening quotation mark followed at once by its closing one: what stood between was lost (ASCII
# quotes are left out: "a" "b" has an empty-looking pair between two quotations)
EMPTY_QUOTES = re.compile(r"“\s*”|「\s*」|『\s*』|‘\s*’")


def lost_quoted_text(text: str) -> bool:
    """Whether ``text`` holds an empty pair of quotation marks (以“”的好成绩脱贫)."""
    return EMPTY_QUOTES.search(text) is not None
