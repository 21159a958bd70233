"""The shared embedding cache: passage vectors keyed by (model space, text hash), outside any index.

Every index on the machine reads and fills the same cache (``ASSISTANT_CACHE_DIR``, by default
``~/.cache/case-assistant``), so a second index of overlapping documents, or a fresh clone's
``make test``, embeds only text no index has embedded before.

Why SQLite (standard library) rather than append-only shards: several processes (the web app and
a CLI build at once) read and write it safely — WAL mode lets readers run beside the one writer,
and a writer waits for another (busy timeout) instead of failing; each stored batch is one
transaction, so a process killed mid-write loses at most that batch and never leaves a torn file;
and a primary-key lookup stays fast at ~300k vectors (≈ 0.5 GB of float32 at 384 dimensions) with no
index of our own to keep consistent. Vectors are stored as float32 bytes, exactly as computed, so
an index built from the cache is bit-identical to one built fresh.

A *space* names what produced a vector: the embedder's ``model_id`` (which differs per backend and
quantisation) and the passage prompt. Keys are 16-byte BLAKE2b digests of the text."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CACHE_FILE = "embeddings.sqlite3"
_LOOKUP_CHUNK = 500  # keys per SELECT … IN (…), well under SQLite's variable limit
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS spaces (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, dim INTEGER NOT NULL)",
    ("CREATE TABLE IF NOT EXISTS vectors (space INTEGER NOT NULL, key BLOB NOT NULL, vec BLOB NOT NULL, "
     "PRIMARY KEY (space, key)) WITHOUT ROWID"),
)


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class VectorCache:
    """Passage vectors shared by every index. Safe across threads and processes; each call opens
    its own short-lived connection."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory).expanduser() / CACHE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # persistent: set once per file
            for statement in _SCHEMA:
                db.execute(statement)

    @classmethod
    def open(cls, directory: Path) -> VectorCache | None:
        """The cache at ``directory``, or None (with a warning) when it cannot be used there."""
        try:
            return cls(directory)
        except (OSError, sqlite3.Error) as exc:
            log.warning("共享向量缓存不可用（%s：%s），本次不使用缓存。可设置 ASSISTANT_CACHE_DIR 指向可写目录。",
                        directory, exc)
            return None

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash may drop the last batch, never corrupts
            yield db
        finally:
            db.close()

    def _space_id(self, db: sqlite3.Connection, space: str, dim: int | None) -> int | None:
        row = db.execute("SELECT id, dim FROM spaces WHERE name = ?", (space,)).fetchone()
        if row is not None:
            if dim is not None and row[1] != dim:
                raise ValueError(f"cache space {space!r} holds {row[1]}-dimensional vectors, not {dim}")
            return int(row[0])
        if dim is None:
            return None
        return int(db.execute("INSERT INTO spaces (name, dim) VALUES (?, ?)", (space, dim)).lastrowid)

    def get(self, space: str, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """{position in ``texts``: vector} for the texts this space already holds."""
        keys = [text_key(t) for t in texts]
        found: dict[int, np.ndarray] = {}
        with self._connect() as db:
            space_id = self._space_id(db, space, None)
            if space_id is None:
                return found
            dim = db.execute("SELECT dim FROM spaces WHERE id = ?", (space_id,)).fetchone()[0]
            positions: dict[bytes, list[int]] = {}
            for i, k in enumerate(keys):
                positions.setdefault(k, []).append(i)
            unique = list(positions)
            for start in range(0, len(unique), _LOOKUP_CHUNK):
                part = unique[start : start + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(part))
                rows = db.execute(f"SELECT key, vec FROM vectors WHERE space = ? AND key IN ({marks})",
                                  (space_id, *part))
                for key, blob in rows:
                    vec = np.frombuffer(blob, dtype="<f4")
                    if vec.shape[0] != dim:
                        continue  # a damaged row is treated as missing and embedded again
                    for i in positions[key]:
                        found[i] = vec
        return found

    def put(self, space: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store one batch in one transaction."""
        vectors = np.ascontiguousarray(vectors, dtype="<f4")
        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        if not len(texts):
            return
        rows = [(text_key(t), v.tobytes()) for t, v in zip(texts, vectors)]
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                space_id = self._space_id(db, space, int(vectors.shape[1]))
                db.executemany("INSERT OR IGNORE INTO vectors (space, key, vec) VALUES (?, ?, ?)",
                               [(space_id, k, v) for k, v in rows])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def count(self, space: str | None = None) -> int:
        with self._connect() as db:
            if space is None:
                return int(db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
            space_id = self._space_id(db, space, None)
            if space_id is None:
                return 0
            return int(db.execute("SELECT COUNT(*) FROM vectors WHERE space = ?", (space_id,)).fetchone()[0])
