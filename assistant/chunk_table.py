"""Chunks on disk as memory-mapped columns, read one at a time: opening an index costs the same for
30 chunks as for 300,000.

A saved store holds ``chunk_spans.npy`` (document number, start, end per chunk) and, for each string
column (chunk id, text, search text), one UTF-8 blob plus an ``.npy`` of byte offsets. Opening maps
the files; :class:`ChunkTable` builds a :class:`~assistant.schema.Chunk` only when one is asked for
(retrieval looks at a few dozen per question). Title and date come from the chunk's document, as
the index builder sets them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .schema import Chunk, Document

SPANS_FILE = "chunk_spans.npy"
DOC_IDS_FILE = "chunk_doc_ids.txt"
_COLUMNS = ("chunk_id", "text", "search_text")


def _blob(folder: Path, column: str) -> Path:
    return folder / f"chunk_{column}.bin"


def _offsets(folder: Path, column: str) -> Path:
    return folder / f"chunk_{column}.offsets.npy"


def write_chunks(folder: Path, chunks: Sequence[Chunk]) -> None:
    """Write ``chunks`` as columns into ``folder`` (a store being built; never an open one)."""
    doc_ids = list(dict.fromkeys(c.doc_id for c in chunks))
    number = {d: i for i, d in enumerate(doc_ids)}
    (folder / DOC_IDS_FILE).write_text("".join(d + "\n" for d in doc_ids), encoding="utf-8")
    spans = np.array([(number[c.doc_id], c.start, c.end) for c in chunks], dtype=np.int64).reshape(-1, 3)
    np.save(folder / SPANS_FILE, spans)
    for column in _COLUMNS:
        encoded = [getattr(c, column).encode("utf-8") for c in chunks]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        _blob(folder, column).write_bytes(b"".join(encoded))
        np.save(_offsets(folder, column), offsets)


class ChunkTable(Sequence[Chunk]):
    """The chunks of a saved store, mapped from disk; ``table[i]`` is a Chunk."""

    def __init__(self, folder: Path, documents: dict[str, Document]) -> None:
        self._documents = documents
        self._doc_ids = (folder / DOC_IDS_FILE).read_text(encoding="utf-8").splitlines()
        self._spans = np.load(folder / SPANS_FILE, mmap_mode="r")
        self._columns = {}
        for column in _COLUMNS:
            offsets = np.load(_offsets(folder, column), mmap_mode="r")
            blob = _blob(folder, column)
            data = np.memmap(blob, dtype=np.uint8, mode="r") if blob.stat().st_size else np.zeros(0, np.uint8)
            if len(offsets) != len(self._spans) + 1 or int(offsets[-1]) != len(data):
                raise ValueError(f"chunk column {column} does not match the chunk count")
            self._columns[column] = (offsets, data)
        missing = set(self._doc_ids) - set(documents)
        if missing:
            raise ValueError(f"chunks refer to {len(missing)} documents the store does not hold")

    def __len__(self) -> int:
        return len(self._spans)

    def _string(self, column: str, i: int) -> str:
        offsets, data = self._columns[column]
        return bytes(data[int(offsets[i]) : int(offsets[i + 1])]).decode("utf-8")

    def _chunk(self, i: int) -> Chunk:
        doc_number, start, end = (int(x) for x in self._spans[i])
        doc = self._documents[self._doc_ids[doc_number]]
        return Chunk(chunk_id=self._string("chunk_id", i), doc_id=doc.doc_id, start=start, end=end,
                     text=self._string("text", i), search_text=self._string("search_text", i),
                     title=doc.title, date=doc.date)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._chunk(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(i)
        return self._chunk(i % n)

    def __iter__(self) -> Iterator[Chunk]:
        return (self._chunk(i) for i in range(len(self)))
