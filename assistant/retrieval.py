"""Hybrid retrieval: dense and BM25 (sparse) candidates, fused by weighted reciprocal rank, then
re-scored by how much of the question's content the chunk covers. Which engine answers the two
searches (FAISS + bm25s, or Milvus) is the store's business (assistant.vector_store)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .index import IndexStore
from .normalize import normalize
from .question import Query, Vocabulary, analyze, coverage
from .schema import Hit
from .settings import defaults, section


@dataclass(frozen=True)
class RetrievalConfig:  # defaults and meanings: the retrieval block of Settings
    dense_candidates: int
    bm25_candidates: int
    rrf_k: int
    dense_weight: float
    bm25_weight: float
    coverage_weight: float
    term_weight: float
    use_terms: bool
    translations_per_word: int


class Retriever:
    def __init__(self, store: IndexStore, embedder, config: RetrievalConfig | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config or section(RetrievalConfig, defaults())
        self._vectors: dict[str, np.ndarray] = {}
        self.vocabulary = Vocabulary(store.doc_freq, len(store.chunks),
                                     {normalize(t): v for t, v in store.glossary.items()},
                                     self.config.translations_per_word)

    # -- question analysis shared with answering
    def parse(self, text: str) -> Query:
        return analyze(text, self.vocabulary, use_terms=self.config.use_terms)

    def idf(self, word: str) -> float:
        return self.vocabulary.idf(word)

    def coverage(self, query: Query, normalized_text: str) -> float:
        return coverage(query, normalized_text)

    # -- search
    def search(self, text: str, k: int = 10, doc_ids: set[str] | None = None) -> list[Hit]:
        query = self.parse(text)
        return self.search_query(query, k=k, doc_ids=doc_ids)

    def search_query(self, query: Query, k: int = 10, doc_ids: set[str] | None = None) -> list[Hit]:
        store, cfg = self.store, self.config
        if not store.chunks or not query.normalized.strip():
            return []
        widen = 4 if doc_ids else 1
        dense_ranks, dense_scores = (
            self._dense(query.normalized, cfg.dense_candidates * widen) if cfg.dense_weight > 0 else ({}, {}))
        bm25_ranks, bm25_scores = (
            self._bm25(query.words, cfg.bm25_candidates * widen) if cfg.bm25_weight > 0 else ({}, {}))
        candidates = set(dense_ranks) | set(bm25_ranks)
        if doc_ids is not None:
            candidates = {i for i in candidates if store.chunks[i].doc_id in doc_ids}
        term_forms = [normalize(t) for t in query.terms]
        # a question in another language covers a passage only with the Chinese words it stands for (if any)
        rescore = bool(query.weights)
        hits = []
        for i in candidates:
            chunk = store.chunks[i]
            fused = 0.0
            ranks: dict[str, int] = {}
            scores: dict[str, float] = {}
            if i in dense_ranks:
                fused += cfg.dense_weight / (cfg.rrf_k + dense_ranks[i])
                ranks["dense"], scores["dense"] = dense_ranks[i], dense_scores[i]
            if i in bm25_ranks:
                fused += cfg.bm25_weight / (cfg.rrf_k + bm25_ranks[i])
                ranks["bm25"], scores["bm25"] = bm25_ranks[i], bm25_scores[i]
            cov = self.coverage(query, chunk.search_text) if rescore else 0.0
            scores["coverage"] = cov
            fused += cfg.coverage_weight * cov
            if rescore and term_forms and any(t in chunk.search_text for t in term_forms):
                fused += cfg.term_weight
            hits.append(Hit(chunk=chunk, score=fused, ranks=ranks, scores=scores))
        hits.sort(key=lambda h: (-h.score, h.chunk.chunk_id))
        return hits[:k]

    def query_vector(self, normalized: str) -> np.ndarray:
        """The question's embedding (kept for the last few questions: retrieval and the
        non-question check share it)."""
        vec = self._vectors.get(normalized)
        if vec is None:
            if len(self._vectors) >= 64:
                self._vectors.pop(next(iter(self._vectors)))
            vec = self._vectors[normalized] = np.asarray(self.embedder.embed_query(normalized), dtype="float32")
        return vec

    def _dense(self, normalized: str, n: int) -> tuple[dict[int, int], dict[int, float]]:
        vec = self.query_vector(normalized).reshape(1, -1)
        n = min(n, self.store.dense.ntotal)
        if n <= 0:
            return {}, {}
        sims, rows = self.store.dense.search(vec, n)
        ranks, scores = {}, {}
        for r, (row, sim) in enumerate(zip(rows[0], sims[0]), start=1):
            if row >= 0:
                ranks[int(row)], scores[int(row)] = r, float(sim)
        return ranks, scores

    def _bm25(self, words: tuple[str, ...], n: int) -> tuple[dict[int, int], dict[int, float]]:
        bm25 = self.store.bm25
        if bm25 is None or not words:
            return {}, {}
        rows, scores = bm25.search(list(words), min(n, len(self.store.chunks)))
        ranks = {row: r for r, row in enumerate(rows, start=1)}
        return ranks, dict(zip(rows, scores))
