"""Typical stories (典型事例) for an outline: a sentence that narrates a person — a personal name
next to speech or a completed action — extended by the sentences that carry the story on.

Names come from the one name detector (:func:`assistant.text.person_names`); a story needs more
certainty than a follow-up question does, so a name is kept only when it starts with a common
surname, is not a place (李庄镇, 张家湾村) and, when it has two characters, acts like a person
(it speaks, feels, or follows a role word: 村民张某说 …)."""

from __future__ import annotations

import re

from ..chunking import split_sentences
from ..schema import Document
from ..text import paragraph_bounds, person_names

# the most common single-character surnames: a personal name must start with one of them
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛"
)
_ANONYMISED = re.compile(r"[\u4e00-\u9fff]某(?:某)?")  # 郑某, 王某某: the name detector misses some
_SPEECH = re.compile(r"说|道|讲述|回忆|表示|介绍|告诉|感慨|感叹|百感交集|不无自豪|[:：]\s*“")
_NARRATIVE = re.compile(r"了|过|曾|当年|那年|日前|不久前|目前|如今|上世纪|年代|\d{1,2}月\d{1,2}日|起初|后来|终于")
_CONTINUES = re.compile(r"^(?:[“\"「]|他|她|他们|她们|目前|如今|后来|此后|当时|从此|于是|终于|不但|不仅)")
_PLACE_END = "村乡镇组县市区社户街旗省州队站所校院厂场"  # “干部包村”, “流动白旗”: not people
_ROLE_BEFORE = re.compile(r"(?:书记|村民|群众|站长|主任|县长|镇长|乡长|社长|组长|委员|老人|大姐|大哥|大爷|大妈|老师|医生)$")
_NAME_CONTEXT_AFTER = re.compile(r"^(?:说|讲|道|表示|介绍|告诉|回忆|激动|感慨|笑|不无|百感|接过|坦言|算起)")
MIN_STORY_CHARS = 60  # a story shorter than this continues into the next paragraph


def _acts_like_person(text: str, name: str) -> bool:
    at = text.find(name)
    after = at + len(name)
    if not (2 <= len(name) <= 3 and name[0] in _SURNAMES):
        return False
    if name[-1] in _PLACE_END or text[after : after + 1] in _PLACE_END:  # 李庄镇, 张家湾村: places
        return False
    # a two-character “name” must act like a person: it speaks, feels, or follows a role word
    return len(name) == 3 or bool(_NAME_CONTEXT_AFTER.match(text[after:]) or _ROLE_BEFORE.search(text[:at]))


def story_people(text: str) -> list[str]:
    """The people of ``text`` that a story can be about (see the module docstring)."""
    names = [n for n in person_names(text) if _acts_like_person(text, n)]
    for m in _ANONYMISED.finditer(text):
        if m.group(0)[0] in _SURNAMES and not any(m.group(0) in n or n in m.group(0) for n in names):
            names.append(m.group(0))
    return names


def is_story(sentence: str) -> tuple[bool, list[str]]:
    """Whether ``sentence`` narrates a person, and the people it names."""
    names = story_people(sentence)
    if not names:
        return False, []
    return bool(_SPEECH.search(sentence) or _NARRATIVE.search(sentence)), names


def extend_story(doc: Document, start: int, end: int, names: list[str], max_chars: int) -> tuple[int, int]:
    """The story sentence with the quotation it attributes (the sentence before, when that is a
    quotation) and the following sentences that carry the story on (naming the same people, or
    opening with a quotation or a pronoun); a one-line paragraph continues into the next one."""
    text = doc.text
    lo, hi = paragraph_bounds(text, start, end)
    before = split_sentences(text, lo, start)
    if before and _SPEECH.search(text[start:end]) and "“" not in text[start:end]:
        prev = before[-1]
        if text[prev.start] in "“\"" and end - prev.start <= max_chars:
            start = prev.start
    while True:
        end, stopped = _continue(text, start, end, hi, names, max_chars)
        if stopped or end - start >= MIN_STORY_CHARS or hi >= len(text):
            return start, end
        lo, hi = paragraph_bounds(text, hi + 1)  # a short paragraph: the story goes on in the next one
        if lo >= hi:
            return start, end
        if hi - start > max_chars:
            first = split_sentences(text, lo, hi)
            if not first or first[0].end - start > max_chars:
                return start, end
        end = max(end, lo)


def _continue(text: str, start: int, end: int, hi: int, names: list[str], max_chars: int) -> tuple[int, bool]:
    """``end`` moved over the sentences up to ``hi`` that carry the story on; whether one stopped it."""
    for s in split_sentences(text, end, hi):
        nxt = text[s.start : s.end]
        if s.end - start > max_chars or not (any(n in nxt for n in names) or _CONTINUES.match(nxt)):
            return end, True
        end = s.end
    return end, False
