"""Chunks on disk as memory-mapped columns, read one at a time: opening an index costs the same for
30 chunks as for 300,000.

A saved store holds ``chunk_spans.i64`` (document row, start, end per chunk; the row is the
document's place in :class:`~assistant.doc_table.DocumentTable`) and, for each string column (chunk
id, text, search text), one UTF-8 blob ``chunk_<column>.bin`` plus ``chunk_<column>.ends.i64``, the
byte offset where each chunk's string ends. All are raw little-endian files that the streaming
build appends to (:class:`ChunkWriter`) and a reader maps (:class:`ChunkTable`), which builds a
:class:`~assistant.schema.Chunk` only when one is asked for (retrieval looks at a few dozen per
question). Title and date come from the chunk's document, as the index builder sets them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .doc_table import DocumentTable, map_array
from .schema import Chunk
from .staging import Staging

SPANS_FILE = "chunk_spans.i64"
COLUMNS = ("chunk_id", "text", "search_text")


def _blob(column: str) -> str:
    return f"chunk_{column}.bin"


def _ends(column: str) -> str:
    return f"chunk_{column}.ends.i64"


class ChunkWriter:
    """Appends chunks (of documents already written) to a staging folder."""

    def __init__(self, staging: Staging) -> None:
        self._spans = staging.open(SPANS_FILE)
        self._blobs = {c: staging.open(_blob(c)) for c in COLUMNS}
        self._ends = {c: staging.open(_ends(c)) for c in COLUMNS}

    def add(self, doc_row: int, chunk: Chunk) -> None:
        self._spans.write(np.array([doc_row, chunk.start, chunk.end], dtype="<i8").tobytes())
        for column in COLUMNS:
            blob = self._blobs[column]
            blob.write(getattr(chunk, column).encode("utf-8"))
            self._ends[column].write(np.array([blob.tell()], dtype="<i8").tobytes())


class ChunkTable(Sequence[Chunk]):
    """The chunks of a saved store, mapped from disk; ``table[i]`` is a Chunk."""

    def __init__(self, folder: Path, documents: DocumentTable) -> None:
        self._documents = documents
        self._spans = map_array(folder / SPANS_FILE, "<i8", width=3)
        self._columns = {}
        for column in COLUMNS:
            ends = map_array(folder / _ends(column), "<i8")
            blob = folder / _blob(column)
            data = np.memmap(blob, dtype=np.uint8, mode="r") if blob.stat().st_size else np.zeros(0, np.uint8)
            if len(ends) != len(self._spans) or (len(ends) and int(ends[-1]) != len(data)):
                raise ValueError(f"chunk column {column} does not match the chunk count")
            self._columns[column] = (ends, data)
        if len(self._spans) and int(self._spans[:, 0].max()) >= len(documents):
            raise ValueError("chunks refer to documents the store does not hold")

    def __len__(self) -> int:
        return len(self._spans)

    def string(self, column: str, i: int) -> str:
        ends, data = self._columns[column]
        start = int(ends[i - 1]) if i else 0
        return bytes(data[start : int(ends[i])]).decode("utf-8")

    def doc_rows(self) -> np.ndarray:
        """Each chunk's document row (mapped)."""
        return self._spans[:, 0]

    def chunk_counts(self) -> dict[str, int]:
        """Chunks per document id, without reading any chunk."""
        counts = np.bincount(self.doc_rows(), minlength=len(self._documents)) if len(self) else []
        return {self._documents.id_at(row): int(n) for row, n in enumerate(counts) if n}

    def _chunk(self, i: int) -> Chunk:
        doc_row, start, end = (int(x) for x in self._spans[i])
        doc = self._documents.by_row(doc_row)
        return Chunk(chunk_id=self.string("chunk_id", i), doc_id=doc.doc_id, start=start, end=end,
                     text=self.string("text", i), search_text=self.string("search_text", i),
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
