"""A build's folder of append-only files with a checkpoint, so a killed build resumes exactly.

The streaming index build (:mod:`assistant.indexer`) writes every large thing — documents, chunk
columns, vectors, BM25 postings — by appending to files in a staging folder. Every few thousand
chunks it calls :meth:`Staging.checkpoint`: the files are flushed and fsynced, then their lengths
and the build's counters are written to ``checkpoint.json`` by an atomic rename. A build started
again on the same input finds the checkpoint, cuts every file back to its recorded length (what a
killed process appended after the checkpoint is dropped, never half-kept) and goes on from the
recorded counters: no chunk is lost or written twice."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import BinaryIO

from .storage import fsync_dir

CHECKPOINT_FILE = "checkpoint.json"


class Staging:
    """Append-only files under ``folder``; :meth:`open` them, :meth:`checkpoint` now and then."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, BinaryIO] = {}

    def state(self) -> dict | None:
        """The last checkpoint's state, or None (a new build)."""
        path = self.folder / CHECKPOINT_FILE
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a torn checkpoint cannot happen (atomic rename), but never trust one

    def restore(self, state: dict) -> None:
        """Cut every file back to its length at the checkpoint ``state``."""
        for name, length in state.get("files", {}).items():
            path = self.folder / name
            if not path.exists() or path.stat().st_size < length:
                raise ValueError(f"staging file {name} is shorter than its checkpoint")
            os.truncate(path, length)

    def open(self, name: str) -> BinaryIO:
        """The append handle of file ``name`` (created when missing)."""
        fh = self._files.get(name)
        if fh is None:
            fh = self._files[name] = open(self.folder / name, "ab")  # noqa: SIM115 - kept open until close()
        return fh

    def checkpoint(self, state: dict) -> None:
        """Make everything appended so far durable, then record ``state`` with the file lengths."""
        lengths = {}
        for name, fh in self._files.items():
            fh.flush()
            os.fsync(fh.fileno())
            lengths[name] = fh.tell()
        tmp = self.folder / f".{CHECKPOINT_FILE}.tmp"
        tmp.write_text(json.dumps(dict(state, files=lengths), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.folder / CHECKPOINT_FILE)
        fsync_dir(self.folder)

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        self._files.clear()

    def finish(self) -> None:
        """Close the files and drop the checkpoint: the folder is now a finished store."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            (self.folder / CHECKPOINT_FILE).unlink()
