"""The data that flows through the pipeline: Document → Chunk → Hit → Citation/Answer.

Every text field named ``text`` is verbatim source text; normalised text used only for matching
lives in ``search_text`` and is never shown to a user."""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def content_hash(text: str) -> str:
    """Stable id for a text: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Document:
    """``text`` is the extracted text, verbatim; everything else is about it. A paged document
    (PDF, scan) has ``page_starts``: the offset in ``text`` where page 1, 2, … begins. Pages read by
    OCR are listed in ``ocr_pages`` (1-based); ``low_confidence`` holds (start, end) spans that OCR
    was unsure of. ``doc_id`` is the content hash of ``text``, or a JSON Lines line's own id.
    ``source`` is the file it was loaded from; ``publisher`` is where it was published (the
    ``source`` a sidecar or a JSON Lines line gives: a newspaper, a site, a series)."""

    doc_id: str
    title: str
    source: str
    text: str
    date: str = ""
    author: str = ""
    url: str = ""
    publisher: str = ""
    page_starts: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()
    low_confidence: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:  # JSON gives lists; keep the frozen object hashable
        object.__setattr__(self, "page_starts", tuple(int(s) for s in self.page_starts))
        object.__setattr__(self, "ocr_pages", tuple(int(p) for p in self.ocr_pages))
        object.__setattr__(self, "low_confidence", tuple((int(s), int(e)) for s, e in self.low_confidence))

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding ``text[offset]``; None for a document without pages."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))

    def from_ocr(self, start: int, end: int | None = None) -> bool:
        """Whether ``text[start:end]`` lies on a page read by OCR."""
        if not self.ocr_pages:
            return False
        first = self.page_at(start) or 1
        last = self.page_at(max(start, (end if end is not None else start + 1) - 1)) or first
        return any(first <= p <= last for p in self.ocr_pages)

    def uncertain(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` overlaps a span that OCR was unsure of."""
        return any(s < end and start < e for s, e in self.low_confidence)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str
    search_text: str
    title: str = ""
    date: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name → 1-based rank
    scores: dict[str, float] = field(default_factory=dict)  # retriever name → raw score

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "title": c.title,
            "text": c.text,
            "start": c.start,
            "end": c.end,
            "score": round(self.score, 6),
            "ranks": dict(self.ranks),
        }


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    text: str  # the quoted passage, verbatim: document.text[start:end]
    start: int
    end: int
    score: float
    chunk_id: str = ""
    page: int | None = None  # 1-based page of ``start`` in a paged document (PDF, scan)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "page": self.page,
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # with [n] markers
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    mode: str = "extractive"  # extractive | llm | help (intents.help_answer: not a question, no quote)
    notes: tuple[str, ...] = ()
    related: tuple[Hit, ...] = ()  # nearest passages, shown as “相关内容” on a refusal
    retrieved: tuple[Hit, ...] = ()  # what retrieval returned, the passages of the best answer sentences first
    resolved_question: str = ""  # the question after follow-up resolution

    def with_pages(self, documents: Mapping[str, Document]) -> "Answer":
        """The answer with each citation's page filled in from its document."""
        def paged(c: Citation) -> Citation:
            doc = documents.get(c.doc_id)
            return dataclasses.replace(c, page=doc.page_at(c.start) if doc is not None else None)

        return dataclasses.replace(self, citations=tuple(paged(c) for c in self.citations))

    def to_dict(self, n_retrieved: int = 10) -> dict[str, Any]:
        return {
            "question": self.question,
            "resolved_question": self.resolved_question or self.question,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "notes": list(self.notes),
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [
                {"doc_id": h.chunk.doc_id, "text": h.chunk.text, "score": round(h.score, 6),
                 "start": h.chunk.start, "end": h.chunk.end, "title": h.chunk.title}
                for h in self.retrieved[:n_retrieved]
            ],
        }
