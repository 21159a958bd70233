"""A deterministic stand-in for the embedding model in the fast unit tier: a text's vector is its
character bigrams hashed into 64 dimensions, L2-normalised. Texts sharing words are near, which
is all retrieval tests over a few made-up sentences need; the real model is tested in the slow tier."""

from __future__ import annotations

import hashlib

import numpy as np

DIM = 64


def _vector(text: str) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    t = text.removeprefix("query: ").removeprefix("passage: ")
    for i in range(len(t) - 1):
        h = int.from_bytes(hashlib.blake2b(t[i : i + 2].encode(), digest_size=4).digest(), "little")
        v[h % DIM] += 1.0
    n = float(np.linalg.norm(v))
    return v / n if n else v


class FakeEmbedder:
    model_id = "fake-bigram-64"
    dim = DIM

    def embed_passages(self, texts, progress: bool = False) -> np.ndarray:
        return np.stack([_vector(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def embed_queries(self, texts) -> np.ndarray:
        return self.embed_passages(list(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return _vector(text)
