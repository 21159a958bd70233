"""Verification of an LLM reply, sentence by sentence and claim by claim (pure: no model, no I/O).

A sentence of the reply is kept only when

1. its cited passage holds it: one window of ``verify_window_sentences`` consecutive sentences of
   that passage states every name, place, organisation, title, date and number of the sentence,
   with each title in one clause with the name it is given to, and most of its content words
   (claims.py); a sentence citing several passages may be held clause by clause;
2. the source sentences of that window would pass the extractive answer-relevance decision
   (relevance.py), when the caller gives one;

otherwise it is dropped. Missing or out-of-range markers are repaired with the passage that holds
the sentence, when one does. A short, number-free “资料中没有提到……” is kept uncited. When too
little of the reply survives, the caller shows the extractive answer instead."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..normalize import normalize
from ..settings import Settings, section
from .claims import Claims, Passage, Window, bad_numbers, claims_of, overlap
from .relevance import PassageRelevance
from .reply import cited_markers, clean_body, normalize_markers, render_sentence, split_answer, strip_think

REFUSAL_PHRASE = "资料中没有相关内容"
_LIMITATION = re.compile(
    r"(?:资料|材料|来源)[^。！？]{0,6}?(?:并|均|都)?(?:没有|未|没|无|不|无法|不能|未能)"
    r"(?:提及|提到|找到|涉及|包含|包括|说明|给出|记载|相关|回答|确定|明确|显示|介绍)"
)
_CONTRAST = re.compile(r"但|不过|然而|可是|而是|只知道")
_CLAUSE = re.compile(r"[^，,；;]+")


@dataclass(frozen=True)
class VerifyConfig:  # defaults and meanings: Settings.verify_*
    verify_min_overlap: float
    verify_min_kept_ratio: float
    verify_max_limitation_chars: int
    verify_window_sentences: int


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of the model's reply and what verification decided about it."""

    text: str  # the sentence as written, markers removed
    cited: tuple[int, ...]  # markers the model wrote (1-based, maybe out of range)
    sources: tuple[int, ...]  # passages (1-based) backing the kept sentence; () when dropped/uncited
    kept: bool
    status: str  # ok | repaired | limitation | refusal | unsupported | ungrounded_number | wrong_claim
    #              | irrelevant | no_source | empty | duplicate
    reason: str  # Chinese, for logs and debugging
    overlap: float = 0.0
    bad_numbers: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # claims (names, places, titles …) the cited window does not state

    @property
    def counted(self) -> bool:
        """Whether the sentence is a factual claim (counts toward the survival ratio)."""
        return self.status not in ("empty", "limitation", "refusal", "duplicate")


@dataclass(frozen=True)
class VerifiedText:
    sentences: tuple[SentenceCheck, ...]
    passed: bool  # enough survived to show the answer
    refusal: bool  # the reply only says the sources do not answer

    @property
    def kept(self) -> tuple[SentenceCheck, ...]:
        return tuple(s for s in self.sentences if s.kept)

    @property
    def dropped(self) -> tuple[SentenceCheck, ...]:
        return tuple(s for s in self.sentences if not s.kept and s.status != "empty")

    @property
    def claims(self) -> tuple[SentenceCheck, ...]:
        return tuple(s for s in self.sentences if s.counted)

    @property
    def kept_ratio(self) -> float:
        return _kept_ratio(self.sentences)

    @property
    def text(self) -> str:
        """Kept sentences with their (original-numbering) markers."""
        return "".join(render_sentence(s.text, s.sources) for s in self.kept)


# ---------------------------------------------------------------------------- locating a sentence
@dataclass(frozen=True)
class _Checker:
    passages: Sequence[Passage]
    cfg: VerifyConfig
    relevance: PassageRelevance | None

    def locate(self, claims: Claims, ids: Sequence[int]) -> list[Window]:
        """The smallest windows of passages ``ids`` that hold ``claims`` (all of that size)."""
        for size in range(1, max(1, self.cfg.verify_window_sentences) + 1):
            found = [w for i in ids for w in self.passages[i - 1].windows(i, size)
                     if w.supports(claims, self.cfg.verify_min_overlap)]
            if found:
                return found
        return []

    def relevant(self, window: Window) -> bool:
        """Every sentence of the window passes the answer-relevance decision."""
        return self.relevance is None or all(self.relevance.passes(window.passage, s, e) for s, e in window.spans)

    def by_clauses(self, body: str, claims: Claims, ids: Sequence[int]) -> list[list[Window]] | None:
        """A sentence citing several passages, held clause by clause: each clause's claims in one
        window of one cited passage, and the sentence's words in the cited passages together."""
        union = "\n".join(self.passages[i - 1].support_norm for i in ids)
        if len(ids) < 2 or overlap(claims.words, union) < self.cfg.verify_min_overlap:
            return None
        located = []
        for clause in _CLAUSE.findall(body):
            part = claims_of(clause)
            if not (part.items or part.numbers):
                continue
            windows = self.locate(replace(part, words=frozenset()), ids)
            if not windows:
                return None
            located.append(resting_on(windows, part.words))
        return located or None

    def best_miss(self, claims: Claims, ids: Sequence[int]) -> tuple[float, tuple[str, ...]]:
        """The passages' overlap with the sentence, and what the closest window lacks."""
        union = "\n".join(self.passages[i - 1].support_norm for i in ids)
        best: tuple[int, float, list[str]] | None = None
        for size in range(1, max(1, self.cfg.verify_window_sentences) + 1):
            for i in ids:
                for w in self.passages[i - 1].windows(i, size):
                    miss = w.missing(claims)
                    key = (-len(miss), overlap(claims.words, w.norm), miss)
                    if best is None or key[:2] > best[:2]:
                        best = key
        return overlap(claims.words, union), tuple(best[2]) if best else ()


def resting_on(windows: list[Window], words: frozenset[str]) -> list[Window]:
    """The windows a sentence rests on: of those that hold it, the ones sharing most of its words
    (a sentence copied from an off-topic sentence does not rest on a relevant one it half matches)."""
    if not windows:
        return []
    scores = [overlap(words, w.norm) for w in windows]
    best = max(scores)
    return [w for w, v in zip(windows, scores) if v >= best - 1e-9]


def _check_sentence(sentence: str, checker: _Checker) -> SentenceCheck:
    cited = cited_markers(sentence)
    body = clean_body(sentence)
    claims = claims_of(body)
    if claims.empty:
        return SentenceCheck(body, cited, (), False, "empty", "无实质内容")
    if _is_limitation(body, claims.numbers, checker.cfg):
        status = "refusal" if REFUSAL_PHRASE in body else "limitation"
        return SentenceCheck(body, cited, (), True, status, "说明资料中没有相关内容")
    n = len(checker.passages)
    valid = tuple(dict.fromkeys(i for i in cited if 1 <= i <= n))
    invalid = tuple(i for i in cited if not 1 <= i <= n)
    if valid:
        return _check_cited(body, cited, valid, invalid, claims, checker)
    return _repair(body, cited, invalid, claims, checker)


def _check_cited(body: str, cited: tuple[int, ...], valid: tuple[int, ...], invalid: tuple[int, ...],
                 claims: Claims, checker: _Checker) -> SentenceCheck:
    dropped = f"（已删去超出范围的编号 {list(invalid)}）" if invalid else ""
    windows = checker.locate(claims, valid)
    groups = [resting_on(windows, claims.words)] if windows else checker.by_clauses(body, claims, valid)
    if groups:
        if not all(any(checker.relevant(w) for w in g) for g in groups):
            return SentenceCheck(body, cited, (), False, "irrelevant",
                                 f"所引资料 {list(valid)} 中支持此句的原文不回答这个问题")
        sources = tuple(dict.fromkeys(w.passage for g in groups for w in g if checker.relevant(w)))
        ov = overlap(claims.words, "\n".join(checker.passages[i - 1].support_norm for i in sources))
        return SentenceCheck(body, cited, tuple(sorted(sources, key=valid.index)), True, "ok",
                             "有资料支持" + dropped, ov)
    union = "\n".join(checker.passages[i - 1].support for i in valid)
    bad = tuple(bad_numbers(" ".join(claims.numbers), union))
    ov, missing = checker.best_miss(claims, valid)
    if bad:
        return SentenceCheck(body, cited, (), False, "ungrounded_number",
                             f"数字 {'、'.join(bad)} 不在所引资料 {list(valid)} 中", ov, bad, missing)
    if ov < checker.cfg.verify_min_overlap or not missing:
        return SentenceCheck(body, cited, (), False, "unsupported",
                             f"所引资料 {list(valid)} 不支持此句（内容词重合 {ov:.0%}）", ov, (), missing)
    return SentenceCheck(body, cited, (), False, "wrong_claim",
                         f"所引资料 {list(valid)} 的同一处原文中没有：{'、'.join(missing)}", ov, (), missing)


def _repair(body: str, cited: tuple[int, ...], invalid: tuple[int, ...], claims: Claims,
            checker: _Checker) -> SentenceCheck:
    """No usable marker: attach the passage that holds the sentence, or reject it."""
    what = f"来源编号 {list(invalid)} 超出范围" if invalid else "缺少来源标注"
    ids = range(1, len(checker.passages) + 1)
    windows = resting_on(checker.locate(claims, ids), claims.words)
    if windows:
        relevant = [w for w in windows if checker.relevant(w)]
        if not relevant:
            return SentenceCheck(body, cited, (), False, "irrelevant", f"{what}，且支持此句的原文不回答这个问题")
        best = max(relevant, key=lambda w: overlap(claims.words, w.norm))
        return SentenceCheck(body, cited, (best.passage,), True, "repaired",
                             f"{what}，已改为最能支持此句的资料 [{best.passage}]",
                             overlap(claims.words, best.norm))
    everything = "\n".join(p.support for p in checker.passages)
    bad = tuple(bad_numbers(" ".join(claims.numbers), everything))
    ov, missing = checker.best_miss(claims, ids)
    if bad:
        return SentenceCheck(body, cited, (), False, "ungrounded_number",
                             f"{what}，且数字 {'、'.join(bad)} 不在任何资料中", ov, bad, missing)
    return SentenceCheck(body, cited, (), False, "no_source", f"{what}，且没有资料支持此句", ov, (), missing)


def _is_limitation(body: str, numbers: Sequence[str], cfg: VerifyConfig) -> bool:
    """A short, number-free statement that the sources do not say something (kept uncited)."""
    if numbers or len(body) > cfg.verify_max_limitation_chars:
        return False
    if REFUSAL_PHRASE in body:
        return True
    m = _LIMITATION.search(body)
    return m is not None and not _CONTRAST.search(body, m.end())


def _kept_ratio(sentences: Sequence[SentenceCheck]) -> float:
    claims = [s for s in sentences if s.counted]
    total = sum(len(s.text) for s in claims)
    return sum(len(s.text) for s in claims if s.kept) / total if total else 0.0


# ---------------------------------------------------------------------------- entry point
def verify(answer_text: str, passages: Sequence[str], config: VerifyConfig | None = None,
           relevance: PassageRelevance | None = None) -> VerifiedText:
    """Check each sentence of ``answer_text`` against ``passages`` (``[n]`` = ``passages[n-1]``);
    with ``relevance``, a sentence must also rest on source sentences that answer the question."""
    cfg = config or section(VerifyConfig, Settings())
    checker = _Checker([Passage.of(p) for p in passages], cfg, relevance)
    text = strip_think(normalize_markers(answer_text or ""))
    checks, seen = [], set()
    for sentence in split_answer(text):
        check = _check_sentence(sentence, checker)
        key = normalize(clean_body(sentence))
        if check.kept and key in seen:  # a looping reply repeats itself: say it once
            check = replace(check, kept=False, status="duplicate", reason="重复的句子")
        seen.add(key)
        checks.append(check)
    kept_claims = [s for s in checks if s.counted and s.kept]
    if kept_claims:  # a bare refusal next to real content is contradictory: drop it
        checks = [replace(s, kept=False, reason="与其余内容矛盾的拒答句") if s.status == "refusal" else s
                  for s in checks]
    refusal = not kept_claims and any(s.status in ("refusal", "limitation") for s in checks)
    passed = bool(kept_claims) and _kept_ratio(checks) >= cfg.verify_min_kept_ratio
    return VerifiedText(tuple(checks), passed, refusal)
