"""Hybrid retrieval: FAISS (dense) and BM25 (sparse) candidates, fused by weighted reciprocal
rank, then re-scored by how much of the question's content the chunk covers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import jieba
import jieba.posseg as pseg

import numpy as np

from .index import IndexStore
from .normalize import normalize
from .schema import Hit
from .settings import defaults, section
from .terms import terms_in
from .tokens import STOPWORDS, content_words


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


@dataclass(frozen=True)
class Query:
    text: str
    normalized: str
    words: tuple[str, ...]  # content words (search mode: words and their sub-words)
    terms: tuple[str, ...]  # glossary terms named in the question
    weights: dict[str, float] = field(default_factory=dict)  # maximal content word → weight
    entities: tuple[str, ...] = ()  # names of people, places, organisations in the question


# the asking part of a question carries no topic: strip it before looking for content words
QUESTION_FRAMES = re.compile(
    r"叫什么名字|叫什么|什么名字|是谁|是什么|是哪些|有哪些|包括哪些|哪几[个项条种]?|指什么|是多少|有多少|多少|"
    r"在哪里|在哪儿|在哪|哪里|怎么样|怎样|如何|为什么|为何|什么时候|哪一年|哪年|哪对|哪位|哪个|哪些|什么"
)
# part of speech → how much a missing word of that kind says the corpus cannot answer
POS_WEIGHT = {"n": 1.0, "nr": 1.2, "ns": 1.0, "nt": 1.0, "nz": 1.0, "eng": 1.2, "m": 0.8, "t": 0.8, "vn": 0.8,
              "j": 1.0, "x": 1.0}
DEFAULT_POS_WEIGHT = 0.5
ENTITY_POS = {"nr", "ns", "nt", "nz"}


class Retriever:
    def __init__(self, store: IndexStore, embedder, config: RetrievalConfig | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config or section(RetrievalConfig, defaults())
        self._n = max(1, len(store.chunks))
        self._term_forms = {normalize(t): v for t, v in store.glossary.items()}

    # -- question analysis shared with answering
    def parse(self, text: str) -> Query:
        normalized = normalize(text)
        topic = QUESTION_FRAMES.sub("，", normalized)
        words = tuple(dict.fromkeys(self._known_pieces(content_words(topic))))
        terms = tuple(terms_in(normalized, self._term_forms)) if self.config.use_terms else ()
        pos = {w: flag for w, flag in pseg.lcut(topic)}
        weights = {}
        for w in _maximal(words):
            kind = pos.get(w, "x" if w in terms else "")
            weight = POS_WEIGHT.get(kind, POS_WEIGHT.get(kind[:1], DEFAULT_POS_WEIGHT)) if kind else 1.0
            weights[w] = self.idf(w) * weight
        entities = tuple(dict.fromkeys(_entities(topic)))
        return Query(text, normalized, words, terms, weights, entities)

    def _known_pieces(self, words: list[str]) -> list[str]:
        """A word the corpus never uses is often jieba gluing two words (前住 ← 前 + 住在): split
        it into dictionary words when those pieces are in the corpus; keep it otherwise (GDP)."""
        out = []
        for w in words:
            if len(w) > 1 and w not in self.store.doc_freq:
                pieces = [p for p in jieba.lcut(w, HMM=False) if p.strip()]
                if len(pieces) > 1 and all(p in self.store.doc_freq for p in pieces):
                    out.extend(p for p in pieces if p not in STOPWORDS)
                    continue
            out.append(w)
        return out

    def idf(self, word: str) -> float:
        df = self.store.doc_freq.get(word, 0)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def coverage(self, query: Query, normalized_text: str) -> float:
        """Weighted share of the question's content words found in ``normalized_text``.

        A word that is absent still earns half credit for the share of its characters present
        (搬迁 ~ 搬到), so paraphrase costs little while a missing topic (GDP, 门票) costs all."""
        total = sum(query.weights.values())
        if not total:
            return 0.0
        got = 0.0
        for w, weight in query.weights.items():
            if w in normalized_text:
                got += weight
            else:
                got += weight * 0.5 * sum(ch in normalized_text for ch in w) / len(w)
        return got / total

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
            cov = self.coverage(query, chunk.search_text)
            scores["coverage"] = cov
            fused += cfg.coverage_weight * cov
            if term_forms and any(t in chunk.search_text for t in term_forms):
                fused += cfg.term_weight
            hits.append(Hit(chunk=chunk, score=fused, ranks=ranks, scores=scores))
        hits.sort(key=lambda h: (-h.score, h.chunk.chunk_id))
        return hits[:k]

    def _dense(self, normalized: str, n: int) -> tuple[dict[int, int], dict[int, float]]:
        vec = np.asarray(self.embedder.embed_query(normalized), dtype="float32").reshape(1, -1)
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
        n = min(n, len(self.store.chunks))
        rows, scores = bm25.retrieve([list(words)], k=n, show_progress=False)
        ranks, raw = {}, {}
        r = 0
        for row, score in zip(rows[0], scores[0]):
            if score <= 0:
                continue
            r += 1
            ranks[int(row)], raw[int(row)] = r, float(score)
        return ranks, raw


PLACE_SUFFIXES = ("村", "镇", "乡", "县", "组", "社区", "街道", "市", "省", "区", "屯", "寨")


def _entities(text: str) -> list[str]:
    """Names of people, places and organisations, a place suffix kept on (青山 + 村 → 青山村)."""
    tokens = [(p.word, p.flag) for p in pseg.lcut(text)]
    out = []
    for i, (word, flag) in enumerate(tokens):
        if flag not in ENTITY_POS:
            continue
        if i + 1 < len(tokens) and tokens[i + 1][0] in PLACE_SUFFIXES:
            word += tokens[i + 1][0]
        if len(word) >= 2:
            out.append(word)
    return out


def _maximal(words: tuple[str, ...]) -> list[str]:
    """Drop words that are part of a longer word in the list (search mode yields both)."""
    return [w for w in words if not any(w != o and w in o for o in words)]
