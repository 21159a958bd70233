"""Candidate answer sentences: the whole sentences of the top passages (and one either side of
each passage), each with its verbatim offsets, its normalised form and a context window.

Sentences end at 。！？ and line ends (；-joined lists stay one sentence); a short title-like
sentence is joined to the one after it (the scrape glued titles to text)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from .chunking import Span, is_markup, split_sentences
from .schema import Document, Hit

# lines a web page wraps every article in: never an answer
BOILERPLATE = re.compile(r"返回搜狐|查看更多|责任编辑[:：]|联系方式[:：]|版权所有|免责声明|转载请注明|点击(?:进入|查看|关注)|"
                         r"扫码|长按识别|[\w.-]+@[\w-]+\.[\w.]+|刷新重试|播放时间")
CONTEXT_BEFORE = 300  # characters of the document before a sentence that still count as its context
CONTEXT_AFTER = 60
SHORT_SENTENCE = 16


@dataclass
class Candidate:
    doc_id: str
    start: int
    end: int
    text: str  # verbatim: document.text[start:end]
    normalized: str  # same length as text
    context: str  # normalised text around the sentence
    hit_rank: int  # 1-based rank of the passage it came from
    hit: Hit
    index: int = 0  # sentence number within the document
    before: str = ""  # the previous sentence, normalised ("" at the start of a paragraph)
    after: str = ""  # the next sentence, normalised
    after_text: str = ""  # verbatim from this sentence's end to the next one's (same paragraph), else ""
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0


def sentence_spans(text: str) -> list[Span]:
    """The document's answer units: sentences, a short title-like one joined to its successor."""
    spans = split_sentences(text, semicolons=False)
    out: list[Span] = []
    i = 0
    while i < len(spans):
        s, e = spans[i].start, spans[i].end
        if e - s < SHORT_SENTENCE and i + 1 < len(spans) and "\n" not in text[e : spans[i + 1].start]:
            e = spans[i + 1].end
            i += 1
        out.append(Span(s, e))
        i += 1
    return out


class SentenceIndex:
    """Sentence spans of each document, computed once per document and kept (bounded)."""

    def __init__(self, normalize: Callable[[str], str], limit: int = 4000) -> None:
        self._normalize = normalize
        self._limit = limit
        self._spans: dict[str, tuple[list[Span], list[int]]] = {}
        self._norm: dict[str, str] = {}

    def spans(self, doc: Document) -> tuple[list[Span], list[int]]:
        found = self._spans.get(doc.doc_id)
        if found is None:
            if len(self._spans) > self._limit:
                self._spans.clear()
            spans = sentence_spans(doc.text)
            found = self._spans[doc.doc_id] = (spans, [s.end for s in spans])
        return found

    def normalized(self, doc: Document) -> str:
        norm = self._norm.get(doc.doc_id)
        if norm is None:
            if len(self._norm) > self._limit:
                self._norm.clear()
            norm = self._norm[doc.doc_id] = self._normalize(doc.text)
        return norm


def is_boilerplate(sentence: str) -> bool:
    """A page's wrapping (返回搜狐，查看更多；责任编辑：…; an e-mail address) rather than its article."""
    return bool(BOILERPLATE.search(sentence)) and len(sentence) < 120


def _neighbour(text: str, norm: str, spans: list[Span], j: int, span: Span) -> str:
    """Sentence ``j`` when it is in the same paragraph as ``span``."""
    if not 0 <= j < len(spans):
        return ""
    other = spans[j]
    between = text[other.end : span.start] if other.end <= span.start else text[span.end : other.start]
    return "" if "\n" in between else norm[other.start : other.end]


def candidates_from_hits(hits: list[Hit], documents: dict[str, Document], sentences: SentenceIndex,
                         n_hits: int, neighbours: int = 1) -> list[Candidate]:
    """Sentences overlapping each of the top ``n_hits`` passages, plus ``neighbours`` either side."""
    out: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    for rank, hit in enumerate(hits[:n_hits], start=1):
        doc = documents.get(hit.chunk.doc_id)
        if doc is None:
            continue
        spans, ends = sentences.spans(doc)
        if not spans:
            continue
        first = bisect_right(ends, hit.chunk.start)
        last = bisect_left(ends, hit.chunk.end)
        lo, hi = max(0, first - neighbours), min(len(spans) - 1, last + neighbours)
        norm = sentences.normalized(doc)
        for i in range(lo, hi + 1):
            span = spans[i]
            sentence = doc.text[span.start : span.end]
            if (doc.doc_id, span.start) in seen or is_markup(sentence) or is_boilerplate(sentence):
                continue
            seen.add((doc.doc_id, span.start))
            out.append(Candidate(
                doc_id=doc.doc_id, start=span.start, end=span.end, text=doc.text[span.start : span.end],
                normalized=norm[span.start : span.end],
                context=norm[max(0, span.start - CONTEXT_BEFORE) : span.end + CONTEXT_AFTER],
                hit_rank=rank, hit=hit, index=i,
                before=_neighbour(doc.text, norm, spans, i - 1, span), after=_neighbour(doc.text, norm, spans, i + 1, span),
                after_text=doc.text[span.end : spans[i + 1].end]
                if i + 1 < len(spans) and "\n" not in doc.text[span.end : spans[i + 1].start] else ""))
    return out
