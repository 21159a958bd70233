"""Documents on disk, read one at a time: opening an index of 55k articles parses none of them.

A store holds ``documents.jsonl`` (one :class:`~assistant.schema.Document` as JSON a line),
``documents.ends.i64`` (the byte offset where each line ends) and ``document_ids.txt`` (the ids in
the same order). :class:`DocumentTable` maps the JSON file and builds a Document only when one is
asked for (an answer reads a handful); only the ids are read on opening. The build appends with
:class:`DocumentWriter` (see :mod:`assistant.staging`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from .schema import Document
from .staging import Staging

DOCS_FILE = "documents.jsonl"
ENDS_FILE = "documents.ends.i64"
IDS_FILE = "document_ids.txt"


def map_array(path: Path, dtype: str, width: int = 1) -> np.ndarray:
    """A raw little-endian array file mapped read-only (an empty file gives an empty array)."""
    size = path.stat().st_size
    if size == 0:
        return np.zeros((0, width) if width > 1 else 0, dtype=dtype)
    data = np.memmap(path, dtype=dtype, mode="r")
    return data.reshape(-1, width) if width > 1 else data


class DocumentWriter:
    """Appends documents to a staging folder; ``row_of`` maps the ids written so far to rows."""

    def __init__(self, staging: Staging) -> None:
        self._docs = staging.open(DOCS_FILE)
        self._ends = staging.open(ENDS_FILE)
        self._ids = staging.open(IDS_FILE)
        self.row_of: dict[str, int] = {}
        ids_path = staging.folder / IDS_FILE
        if ids_path.stat().st_size:  # resuming: the ids already written
            for i, doc_id in enumerate(ids_path.read_text(encoding="utf-8").splitlines()):
                self.row_of[doc_id] = i

    def add(self, doc: Document) -> int:
        """Append ``doc``; its row number."""
        if "\n" in doc.doc_id:
            raise ValueError(f"document id with a line break: {doc.doc_id!r}")
        self._docs.write((json.dumps(doc.to_dict(), ensure_ascii=False) + "\n").encode("utf-8"))
        self._ends.write(np.array([self._docs.tell()], dtype="<i8").tobytes())
        self._ids.write((doc.doc_id + "\n").encode("utf-8"))
        row = self.row_of[doc.doc_id] = len(self.row_of)
        return row


class DocumentTable(Mapping[str, Document]):
    """The documents of a saved store by id, read from disk on demand (a small cache keeps the
    last few hundred parsed)."""

    def __init__(self, folder: Path) -> None:
        self._ids = (folder / IDS_FILE).read_text(encoding="utf-8").splitlines()
        self._row = {doc_id: i for i, doc_id in enumerate(self._ids)}
        self._ends = map_array(folder / ENDS_FILE, "<i8")
        path = folder / DOCS_FILE
        self._data = np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else np.zeros(0, np.uint8)
        if len(self._ends) != len(self._ids) or (len(self._ends) and int(self._ends[-1]) != len(self._data)):
            raise ValueError("documents.jsonl does not match its offsets")
        self.by_row = functools.lru_cache(maxsize=512)(self._read)

    def _read(self, row: int) -> Document:
        start = int(self._ends[row - 1]) if row else 0
        raw = json.loads(bytes(self._data[start : int(self._ends[row])]).decode("utf-8"))
        return Document(**raw)

    def id_at(self, row: int) -> str:
        return self._ids[row]

    def __getitem__(self, doc_id: str) -> Document:
        return self.by_row(self._row[doc_id])

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def values(self):  # type: ignore[override]
        """Every document in order, parsed one at a time (not kept)."""
        return (self._read(i) for i in range(len(self._ids)))
