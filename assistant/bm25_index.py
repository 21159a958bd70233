"""BM25 over ~300k chunks without holding the corpus's tokens in memory, in bm25s's own format.

bm25s's ``BM25.index`` wants every chunk's token list at once (≈ 30 M Python strings at the news
corpus's scale, several GB). Instead the build appends each chunk's postings — token ids and their
counts — to raw files in the staging folder (:class:`Bm25Writer`, resumable like every staging
file), and :func:`finish_bm25` turns them into the score matrix bm25s would have built (the same
Lucene BM25: ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``, ``tf / (tf + k1 (1 - b + b·dl/avgdl))``,
checked against ``bm25s.BM25.index`` in the tests) and saves it as bm25s's files. Reading uses
``bm25s.BM25.load(mmap=True)``: the matrix stays on disk and a query touches only its tokens'
columns. ``df.i64`` (chunks per token) is kept beside it and serves question analysis
(:class:`DocFreq`) without a second vocabulary in memory."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import bm25s
import numpy as np

from .doc_table import map_array
from .staging import Staging

BM25_DIR = "bm25"
DF_FILE = "df.i64"
K1, B = 1.5, 0.75  # bm25s's defaults (method "lucene")
_VOCAB = "bm25_vocab.jsonl"  # staging: one JSON string per token id, in order of first use
_TOKENS = "bm25_tokens.i32"  # staging: each chunk's distinct token ids …
_COUNTS = "bm25_counts.i32"  # … their counts …
_SIZES = "bm25_sizes.i32"  # … and per chunk: number of distinct tokens, number of tokens


class Bm25Writer:
    """Appends one chunk's tokens at a time; the vocabulary grows as tokens first appear."""

    def __init__(self, staging: Staging) -> None:
        self.folder = staging.folder
        self._vocab_fh = staging.open(_VOCAB)
        self._tokens = staging.open(_TOKENS)
        self._counts = staging.open(_COUNTS)
        self._sizes = staging.open(_SIZES)
        self.vocab: dict[str, int] = {}
        path = self.folder / _VOCAB
        if path.stat().st_size:  # resuming
            with open(path, encoding="utf-8") as fh:
                for i, line in enumerate(fh):
                    self.vocab[json.loads(line)] = i

    def add(self, tokens: Sequence[str]) -> None:
        counts = Counter(t for t in tokens if t)
        ids = []
        for token in counts:
            tid = self.vocab.get(token)
            if tid is None:
                tid = self.vocab[token] = len(self.vocab)
                self._vocab_fh.write((json.dumps(token, ensure_ascii=False) + "\n").encode("utf-8"))
            ids.append(tid)
        self._tokens.write(np.array(ids, dtype="<i4").tobytes())
        self._counts.write(np.array(list(counts.values()), dtype="<i4").tobytes())
        self._sizes.write(np.array([len(ids), sum(counts.values())], dtype="<i4").tobytes())


def finish_bm25(folder: Path, vocab: dict[str, int]) -> int:
    """Turn the staged postings in ``folder`` into bm25s's files (``folder/bm25``) and ``df.i64``
    (none for a store without chunks). Returns the number of chunks; :func:`drop_staged_postings`
    removes the staged files once the caller has checkpointed."""
    if not (folder / _SIZES).stat().st_size:
        return 0
    tokens = map_array(folder / _TOKENS, "<i4")
    counts = map_array(folder / _COUNTS, "<i4")
    sizes = map_array(folder / _SIZES, "<i4", width=2)
    n_docs, n_vocab = len(sizes), len(vocab) + 1  # + the empty token bm25s always has
    lengths = sizes[:, 1].astype(np.float32) if n_docs else np.zeros(0, np.float32)
    avg = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
    df = np.bincount(tokens, minlength=n_vocab).astype(np.int64)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    rows = np.repeat(np.arange(n_docs, dtype=np.int32), sizes[:, 0]) if n_docs else np.zeros(0, np.int32)
    norm = (K1 * (1 - B + B * lengths / avg)).astype(np.float32)
    tf = counts.astype(np.float32)
    scores = idf[tokens] * tf / (tf + norm[rows])
    order = np.argsort(tokens, kind="stable")  # column-major (one column per token), rows ascending
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    out = folder / BM25_DIR
    out.mkdir(exist_ok=True)
    np.save(out / "data.csc.index.npy", scores[order].astype(np.float32))
    np.save(out / "indices.csc.index.npy", rows[order].astype(np.int32))
    np.save(out / "indptr.csc.index.npy", indptr)
    full_vocab = dict(vocab)
    full_vocab[""] = n_vocab - 1
    (out / "vocab.index.json").write_text(json.dumps(full_vocab, ensure_ascii=False), encoding="utf-8")
    params = {"k1": K1, "b": B, "delta": 0.5, "method": "lucene", "idf_method": "lucene", "dtype": "float32",
              "int_dtype": "int32", "num_docs": n_docs, "version": bm25s.__version__, "backend": "numpy"}
    (out / "params.index.json").write_text(json.dumps(params, indent=1), encoding="utf-8")
    df.astype("<i8").tofile(folder / DF_FILE)
    return n_docs


def staged_postings_ok(folder: Path, n_chunks: int) -> bool:
    """Whether the staged postings hold exactly ``n_chunks`` chunks, their token ids and counts."""
    try:
        if (folder / _SIZES).stat().st_size != 8 * n_chunks:
            return False
        expected = 4 * int(map_array(folder / _SIZES, "<i4", width=2)[:, 0].sum()) if n_chunks else 0
        return (folder / _TOKENS).stat().st_size == expected == (folder / _COUNTS).stat().st_size
    except (OSError, ValueError):
        return False


def drop_staged_postings(folder: Path) -> None:
    for name in (_TOKENS, _COUNTS, _SIZES, _VOCAB):
        (folder / name).unlink(missing_ok=True)


def load_bm25(folder: Path) -> bm25s.BM25 | None:
    """The store's BM25, memory-mapped; None for a store without chunks."""
    path = folder / BM25_DIR
    if not path.exists():
        return None
    return bm25s.BM25.load(str(path), mmap=True)


def bm25_postings(bm25: bm25s.BM25) -> Iterator[tuple[int, dict[int, float]]]:
    """Each chunk's BM25 weights ``(row, {token id: weight})`` read back from the score matrix (what
    a sparse-vector engine stores): the dot product with a query's ``{token id: 1}`` is the chunk's
    BM25 score. Memory: one transpose of the matrix (≈ 200 MB at 300k chunks)."""
    import scipy.sparse as sp

    s = bm25.scores
    csc = sp.csc_matrix((np.asarray(s["data"]), np.asarray(s["indices"]), np.asarray(s["indptr"])),
                        shape=(s["num_docs"], len(np.asarray(s["indptr"])) - 1))
    csr = csc.tocsr()
    for row in range(csr.shape[0]):
        lo, hi = csr.indptr[row], csr.indptr[row + 1]
        yield row, dict(zip(csr.indices[lo:hi].tolist(), csr.data[lo:hi].tolist()))


class DocFreq(Mapping[str, int]):
    """Token → number of chunks holding it, over bm25s's vocabulary and ``df.i64`` (no copy)."""

    def __init__(self, vocab: dict[str, int], df: np.ndarray) -> None:
        self._vocab, self._df = vocab, df

    @classmethod
    def open(cls, folder: Path, bm25: bm25s.BM25 | None) -> DocFreq:
        if bm25 is None:
            return cls({}, np.zeros(0, np.int64))
        return cls(bm25.vocab_dict, map_array(folder / DF_FILE, "<i8"))

    def __getitem__(self, token: str) -> int:
        tid = self._vocab[token]
        n = int(self._df[tid])
        if not n:
            raise KeyError(token)
        return n

    def __contains__(self, token: object) -> bool:
        tid = self._vocab.get(token)  # type: ignore[arg-type]
        return tid is not None and bool(self._df[tid])

    def get(self, token: str, default=None):  # type: ignore[override]
        tid = self._vocab.get(token)
        n = int(self._df[tid]) if tid is not None else 0
        return n if n else default

    def __iter__(self) -> Iterator[str]:
        return (t for t, i in self._vocab.items() if self._df[i])

    def __len__(self) -> int:
        return int(np.count_nonzero(self._df))


class LocalBm25:
    """BM25 search with bm25s over the memory-mapped score matrix (the FAISS-side sparse search)."""

    def __init__(self, bm25: bm25s.BM25) -> None:
        self.bm25 = bm25

    def search(self, words: Sequence[str], k: int) -> tuple[list[int], list[float]]:
        k = min(k, int(self.bm25.scores["num_docs"]))
        if k <= 0 or not words:
            return [], []
        rows, scores = self.bm25.retrieve([list(words)], k=k, show_progress=False)
        hits = [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if s > 0]
        return [r for r, _ in hits], [s for _, s in hits]
