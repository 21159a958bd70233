"""Whether a source sentence answers the question at all — the extractive composer's decision.

Verification proves that an LLM sentence is *in* the sources, not that it belongs in the answer: a
0.5B model asked for a list appended a verbatim sentence of an unrelated news article. So every
sentence an LLM sentence rests on must pass the decision that would let it into an extractive
answer: the answer model (ranker.py) scores each candidate sentence of the retrieved passages
(``Composer.candidates``), and a further sentence joins an extractive answer when its probability
reaches ``extra_ratio`` × the best candidate's (answer.select). Sentences the extractive answer
itself quotes are relevant by definition (that covers the structural answers — a formula's parts,
a document's author — that the model does not choose)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..schema import Chunk, Citation


class Scored(Protocol):
    """What relevance needs of a candidate sentence (candidates.Candidate is one)."""

    doc_id: str
    start: int
    end: int
    probability: float


@dataclass(frozen=True)
class SentenceScores:
    """Answer-model probabilities of the candidate sentences (document offsets) of one question,
    and the probability a sentence needs to join an answer."""

    sentences: tuple[tuple[str, int, int, float], ...]
    floor: float

    @classmethod
    def of(cls, candidates: Iterable[Scored], ratio: float) -> SentenceScores:
        """``ratio`` × the best candidate's probability is the bar (answer.select's rule)."""
        rows = tuple((c.doc_id, c.start, c.end, float(c.probability)) for c in candidates)
        best = max((p for *_, p in rows), default=0.0)
        return cls(rows, ratio * best)

    def for_passages(self, chunks: Sequence[Chunk], quoted: Sequence[Citation] = ()) -> PassageRelevance:
        """The relevant sentence spans of each passage (offsets into ``chunk.text``)."""
        out = []
        for chunk in chunks:
            spans = [(s, e) for d, s, e, p in self.sentences if d == chunk.doc_id and p >= self.floor]
            spans += [(c.start, c.end) for c in quoted if c.doc_id == chunk.doc_id]
            local = [(max(s, chunk.start) - chunk.start, min(e, chunk.end) - chunk.start)
                     for s, e in spans if s < chunk.end and chunk.start < e]
            out.append(tuple(sorted(set(local))))
        return PassageRelevance(tuple(out))


@dataclass(frozen=True)
class PassageRelevance:
    """Per passage (1-based, as cited), the spans of sentences that pass the relevance decision."""

    passages: tuple[tuple[tuple[int, int], ...], ...]

    def passes(self, passage: int, start: int, end: int) -> bool:
        """Whether the sentence at ``start:end`` of ``passage`` overlaps a relevant sentence."""
        if not 1 <= passage <= len(self.passages):
            return False
        return any(s < end and start < e for s, e in self.passages[passage - 1])
