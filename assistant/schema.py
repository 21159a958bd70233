"""The data that flows through the pipeline: Document → Chunk → Hit → Citation/Answer.

Every text field named ``text`` is verbatim source text; normalised text used only for matching
lives in ``search_text`` and is never shown to a user."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any


def content_hash(text: str) -> str:
    """Stable id for a text: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    source: str
    text: str
    date: str = ""

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # with [n] markers
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    mode: str = "extractive"  # extractive | llm
    notes: tuple[str, ...] = ()
    related: tuple[Hit, ...] = ()  # nearest passages, shown as “相关内容” on a refusal
    retrieved: tuple[Hit, ...] = ()  # what retrieval returned, in rank order
    resolved_question: str = ""  # the question after follow-up resolution

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
