"""Writing files safely: one cross-process lock and one atomic write, used by everything that
writes (the index, the answer model, uploads, feedback), and one file-name sanitiser for names
that come from users (uploads, downloads named after a query). A reader sees the old file or the
new one, never half of either; two writers take turns."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock


@contextlib.contextmanager
def locked(path: Path, timeout: float = -1) -> Iterator[None]:
    """Hold the lock file ``path`` (created if missing) across threads and processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path), timeout=timeout):
        yield


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a synced temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')  # path separators, reserved and control characters, spaces
MAX_STEM_CHARS = 80


def safe_filename(name: str, suffix: str | None = None, limit: int = MAX_STEM_CHARS, fallback: str = "文件") -> str:
    """A file name made from user text: unsafe characters become ``_``, no leading dot, the stem
    cut to ``limit`` characters. With ``suffix`` (``".csv"``) ``name`` is a stem and the suffix is
    added; without, ``name``'s own suffix is kept (lower case) and only the directory part dropped."""
    if suffix is None:
        name = re.split(r"[\\/]", name or "")[-1]
        stem, suffix = os.path.splitext(name)
        suffix = _UNSAFE_NAME.sub("", suffix).lower()
    else:
        stem = name or ""
    stem = _UNSAFE_NAME.sub("_", stem).strip("._ ") or fallback
    return stem[:limit] + suffix
