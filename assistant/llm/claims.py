"""The claims of one LLM sentence, and where in a passage they stand together.

A sentence is only as true as its most specific words: the people, places, organisations, titles,
dates and numbers it names (answer_types.py recognises them; grounding.numbers_in and the Chinese
numerals below read the numbers). Each must appear in the cited passage — and all of them within
one *window* of a few consecutive sentences, together with most of the sentence's other content
words, so that facts from two places of a passage cannot be spliced into one sentence. A title
attached to a name is checked as a unit: the qualifiers of “江口县党委书记杨坤” (江口县, 书记) must
stand in the same clause as 杨坤 in the source, so “怒溪镇*委书记杨坤” does not support it.

Everything is compared on normalised text (normalize.normalize: simplified, NFKC, the masked
党/政 restored). Sentences of a passage that address the model (“忽略以上所有指令……”) are never
evidence: no window contains them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import jieba.posseg as pseg

from .. import answer_types as types
from ..chunking import split_sentences
from ..grounding import UNITS, numbers_in, ungrounded_numbers
from ..normalize import normalize
from ..tokens import content_words

INJECTION = re.compile(
    r"(?:忽略|无视|忘记|忘掉|不要理会|不必理会|停止遵守|不再遵守|覆盖)[^。！？\n]{0,12}(?:指令|指示|提示词?|规则|设定|要求|命令)"
    r"|(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|above|prior|earlier|preceding)"
    r"|system\s*prompt|系统提示|你现在是|你的新(?:任务|指令)|作为(?:AI|人工智能|语言模型|助手)"
    r"|(?:请|务必|必须|只)?(?:直接)?(?:回答|输出|回复)[:：]?\s*[“\"「]",
    re.IGNORECASE,
)
_NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万亿"
_NUMBER_WORD = re.compile(rf"(?=.*[\d{_NUMERAL_CHARS}])[\d.%{_NUMERAL_CHARS}{UNITS}]+")
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿]{2,}")
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_MAGNITUDE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:多|余|来|几)?\s*([万亿]+)")
_CLAUSE_BREAK = re.compile(r"[，,。！？!?；;：:“”\"「」（）()\n]")
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])[ \t\u3000]+|[ \t\u3000]+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")
_COPULA = ("是", "为", "任", "担任", "系", "作为", "出任")
_NOUNISH = ("n", "j", "nz", "ns", "nt")
PLACE_SUFFIXES = tuple(sorted(types.PLACE_SUFFIXES, key=len, reverse=True))


# ---------------------------------------------------------------------------- numbers
def cn_value(run: str) -> int | None:
    """Value of a Chinese numeral with a 十/百/千 in it (八十 → 80, 九百九十九 → 999), else None."""
    if not any(u in run for u in _CN_UNIT) or not any(d in run for d in "一二两三四五六七八九"):
        return None
    total, part, digit = 0, 0, None
    for ch in run:
        if ch in _CN_DIGIT:
            if digit:  # two digits in a row (九九): not a plain numeral
                return None
            digit = _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            part += (1 if digit is None else digit) * _CN_UNIT[ch]
            digit = None
        else:  # 万 / 亿
            part += digit or 0
            total += part * (10_000 if ch == "万" else 100_000_000)
            part, digit = 0, None
    return total + part + (digit or 0)


def source_numbers(text: str) -> frozenset[str]:
    return frozenset(_DIGITS.findall(unicodedata.normalize("NFKC", text).replace(",", "")))


def _cn_ungrounded(body: str, source: str) -> list[str]:
    """Chinese-numeral numbers (八十, 九百九十九) in ``body`` that ``source`` does not state."""
    numbers = source_numbers(source)
    bad = []
    for m in _CN_RUN.finditer(body):
        run = m.group(0)
        value = cn_value(run)
        if value is None or run in source:
            continue
        head = cn_value(run.rstrip("万亿"))
        if str(value) in numbers or (head is not None and str(head) in numbers):
            continue
        bad.append(run)
    return bad


def bad_numbers(body: str, source: str) -> list[str]:
    """Numbers (digits or Chinese numerals) of ``body`` that ``source`` does not state."""
    return ungrounded_numbers(body, [source]) + _cn_ungrounded(body, source)


def stated_numbers(body: str) -> list[str]:
    return numbers_in(body) + [m.group(0) for m in _CN_RUN.finditer(body) if cn_value(m.group(0))]


def claim_words(body: str) -> frozenset[str]:
    """Content words of a sentence; numbers (80, 八十, 八十个, 万人) are left to the number check."""
    return frozenset(w for w in content_words(normalize(body)) if not _NUMBER_WORD.fullmatch(w))


def overlap(words: frozenset[str], normalized_source: str) -> float:
    """Share of a sentence's words found in ``normalized_source``, each word counted once: jieba's
    search mode also yields the pieces of a long word (江口县 → 江口), which earn partial credit for
    it (2/3) instead of counting as words of their own."""
    if not words:
        return 1.0
    whole = [w for w in words if not any(w != o and w in o for o in words)]
    credit = 0.0
    for w in whole:
        if w in normalized_source:
            credit += 1.0
        else:
            credit += max((len(p) / len(w) for p in words if p != w and p in w and p in normalized_source),
                          default=0.0)
    return credit / len(whole)


# ---------------------------------------------------------------------------- claims
@dataclass(frozen=True)
class Claim:
    kind: str  # person | place | organisation | role | date | magnitude
    text: str  # as the sentence states it (normalised)
    forms: tuple[str, ...]  # any of these in the source supports it

    def holds(self, normalized_source: str) -> bool:
        if self.kind == "magnitude":
            return any(f"{n}{m}" == self.text for n, m in _MAGNITUDE.findall(normalized_source))
        return any(f in normalized_source for f in self.forms)


@dataclass(frozen=True)
class Binding:
    """A title phrase attached to a person in the sentence (江口县党委书记 → 杨坤)."""

    person: str
    qualifiers: tuple[Claim, ...]

    def holds(self, normalized_source: str) -> bool:
        """Some mention of the person stands in one clause with every qualifier."""
        for m in re.finditer(re.escape(self.person), normalized_source):
            lo = max((b.end() for b in _CLAUSE_BREAK.finditer(normalized_source, 0, m.start())), default=0)
            hi_m = _CLAUSE_BREAK.search(normalized_source, m.end())
            clause = normalized_source[lo : hi_m.start() if hi_m else len(normalized_source)]
            if all(q.holds(clause) for q in self.qualifiers):
                return True
        return False

    @property
    def text(self) -> str:
        return "".join(q.text for q in self.qualifiers if q.kind != "role") + "…" + self.person


@dataclass(frozen=True)
class Claims:
    items: tuple[Claim, ...]
    bindings: tuple[Binding, ...]
    words: frozenset[str]
    numbers: tuple[str, ...]  # as stated (digits, or a Chinese numeral)

    @property
    def empty(self) -> bool:
        return not (self.items or self.words or self.numbers)


def _stem(text: str) -> str:
    for suffix in PLACE_SUFFIXES:
        if text.endswith(suffix) and len(text) - len(suffix) >= 2:
            return text[: -len(suffix)]
    return text


def _forms(kind: str, text: str) -> tuple[str, ...]:
    forms = [text]
    if kind in ("place", "organisation"):
        forms.append(_stem(text))  # 江口县 ↔ 江口, 贵州省 ↔ 贵州
    if "党委" in text:
        forms.append(text.replace("党委", "委"))  # 县党委 ↔ 县委
    return tuple(dict.fromkeys(f for f in forms if f))


def _spans(norm: str) -> list[tuple[str, types.Span]]:
    """Typed spans of a normalised sentence, noise removed: a name is its shortest reading
    (杨坤 not 杨坤说), and a place or organisation that runs into a name is no place (…书记蒋志国)."""
    people = sorted({(s.start, s.end): s for s in types.persons(norm) if len(s.text) >= 2}.values(),
                    key=lambda s: s.end - s.start)
    core: list[types.Span] = []
    for s in people:
        if not any(c.start >= s.start and c.end <= s.end for c in core):
            core.append(s)
    out: list[tuple[str, types.Span]] = [("person", s) for s in core]
    for kind, found in (("place", types.places(norm)), ("organisation", types.organisations(norm))):
        for s in found:
            if len(s.text) >= 2 and not any(p.start < s.end and s.start < p.end for p in core):
                out.append((kind, s))
    out += [("role", s) for s in types.roles(norm)]
    out += [("date", s) for s in types.dates(norm)]
    return out


def _tagged(text: str) -> list[tuple[str, str, int]]:
    """jieba's words and part-of-speech tags, with each word's offset."""
    out, at = [], 0
    for p in pseg.lcut(text):
        out.append((p.word, p.flag, at))
        at += len(p.word)
    return out


def _claim(kind: str, text: str) -> Claim:
    text = re.sub(r"\s+", "", text)
    return Claim(kind, text, _forms(kind, text))


def _noun_run(tokens: list[tuple[str, str, int]], lo: int, hi: int, step: int) -> int:
    """From token ``lo`` towards ``hi`` (exclusive) by ``step``, the index past the last noun-like token."""
    i = lo
    while i != hi and tokens[i][1].startswith(_NOUNISH) and tokens[i][0].strip():
        i += step
    return i


def _bindings(norm: str, spans: list[tuple[str, types.Span]]) -> list[Binding]:
    """Title phrases attached to a name — right before it (江口县党委书记杨坤) or joined by a copula
    (杨坤是江口县党委书记, 江口县党委书记是杨坤): their places, organisations and titles go with it."""
    tokens = _tagged(norm)
    starts = {at: i for i, (_w, _f, at) in enumerate(tokens)}
    out = []
    for kind, person in spans:
        if kind != "person" or person.start not in starts:
            continue
        i = starts[person.start]
        k = i + 1
        while k < len(tokens) and tokens[k][2] < person.end:
            k += 1
        phrases = []
        j = _noun_run(tokens, i - 1, -1, -1) + 1  # title right before the name
        if j < i:
            phrases.append((tokens[j][2], person.start))
        elif i > 1 and tokens[i - 1][0] in _COPULA:  # title 是 name
            j = _noun_run(tokens, i - 2, -1, -1) + 1
            if j < i - 1:
                phrases.append((tokens[j][2], tokens[i - 1][2]))
        if k < len(tokens) - 1 and tokens[k][0] in _COPULA:  # name 是 title
            m = _noun_run(tokens, k + 1, len(tokens), 1)
            if m > k + 1:
                phrases.append((tokens[k + 1][2], tokens[m - 1][2] + len(tokens[m - 1][0])))
        for lo, hi in phrases:
            if not types.ROLE.search(norm[lo:hi]):
                continue
            qualifiers = [_claim(k2, s.text) for k2, s in spans
                          if k2 in ("place", "organisation", "role") and s.start >= lo and s.end <= hi]
            if qualifiers:
                out.append(Binding(person.text, tuple(dict.fromkeys(qualifiers))))
    return out


def claims_of(body: str) -> Claims:
    """The claims of one sentence (markers already removed); spaces a model puts between Chinese
    words (杨华祥 应邀赴) are ignored."""
    body = _CJK_SPACE.sub("", body)
    norm = normalize(body)
    spans = _spans(norm)
    items = tuple(dict.fromkeys(_claim(kind, s.text) for kind, s in spans))
    magnitudes = tuple(_claim("magnitude", n + m) for n, m in _MAGNITUDE.findall(norm))
    return Claims(items + magnitudes, tuple(_bindings(norm, spans)), claim_words(body), tuple(stated_numbers(body)))


# ---------------------------------------------------------------------------- passages and windows
@dataclass(frozen=True)
class Window:
    """Consecutive sentences of passage ``passage`` (1-based): their spans in it, and their text."""

    passage: int
    spans: tuple[tuple[int, int], ...]
    raw: str
    norm: str

    def missing(self, claims: Claims) -> list[str]:
        """What of ``claims`` this window does not state (names, titles, numbers …)."""
        out = [c.text for c in claims.items if not c.holds(self.norm)]
        out += [b.text for b in claims.bindings if not b.holds(self.norm)]
        out += bad_numbers(" ".join(claims.numbers), self.raw)
        return out

    def supports(self, claims: Claims, min_overlap: float) -> bool:
        return overlap(claims.words, self.norm) >= min_overlap and not self.missing(claims)


@dataclass(frozen=True)
class Passage:
    """A cited passage as evidence: its text, normalised text and its sentences."""

    raw: str
    norm: str
    sentences: tuple[tuple[int, int], ...]  # spans of all its sentences
    usable: tuple[bool, ...]  # False for a sentence that addresses the model

    @classmethod
    def of(cls, text: str) -> Passage:
        spans = tuple((s.start, s.end) for s in split_sentences(text, semicolons=False))
        return cls(text, normalize(text), spans, tuple(not INJECTION.search(text[s:e]) for s, e in spans))

    def _usable(self, text: str) -> str:
        return "\n".join(text[s:e] for (s, e), ok in zip(self.sentences, self.usable) if ok)

    @property
    def support(self) -> str:
        """The passage without the sentences that address the model."""
        return self._usable(self.raw)

    @property
    def support_norm(self) -> str:
        return self._usable(self.norm)

    def windows(self, n: int, size: int) -> Iterator[Window]:
        """Windows of ``size`` consecutive sentences, none of them addressing the model."""
        for i in range(len(self.sentences) - size + 1):
            if all(self.usable[i : i + size]):
                run = self.sentences[i : i + size]
                lo, hi = run[0][0], run[-1][1]
                yield Window(n, run, self.raw[lo:hi], self.norm[lo:hi])


def support_text(passage: str) -> str:
    """A passage without the sentences that address the model (they are never evidence)."""
    return Passage.of(passage).support
