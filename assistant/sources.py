"""What an index was built from, remembered so that a rebuild loses nothing.

An index may hold documents from several ``--corpus`` paths and from the library tab's uploads.
Rebuilding it from the *default* corpus silently drops the rest, so every saved store records its
sources — the paths it was built from plus the file of any document added later — in its manifest
and, outside the store (where damage to the store cannot reach it), in ``<index>/sources.json``.
:func:`rebuild_command` turns them into the one command that rebuilds from all of them.

Uploads live in ``uploads/`` inside the first corpus folder; when the corpus names only files, in
``<index>/uploads`` (a file cannot hold a folder). A build of the default corpus always includes
that folder, so a rebuild keeps what was uploaded."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from .storage import atomic_write_text

SOURCES_FILE = "sources.json"
UPLOADS = "uploads"
MANIFEST_KEY = "sources"


def _is_folder(path: Path) -> bool:
    return path.is_dir() or (not path.exists() and not path.suffix)


def uploads_dir(settings) -> Path:
    """Where the library tab saves uploaded files (see the module docstring)."""
    for p in settings.corpus:
        if _is_folder(Path(p)):
            return Path(p) / UPLOADS
    return Path(settings.index_dir) / UPLOADS


def _absolute(path: Path | str) -> Path:
    return Path(path).expanduser().absolute()


def covered(path: Path | str, sources: Iterable[Path | str]) -> bool:
    """Whether ``path`` is one of ``sources`` or lies inside one of them."""
    p = _absolute(path)
    return any(p == s or p.is_relative_to(s) for s in map(_absolute, sources))


def default_sources(settings) -> list[Path]:
    """The corpus paths, plus the uploads folder when it holds files and lies outside them."""
    sources = [Path(p) for p in settings.corpus]
    uploads = uploads_dir(settings)
    if uploads.is_dir() and not covered(uploads, sources):
        sources.append(uploads)
    return sources


def source_file(document_source: str) -> str:
    """The file part of a ``Document.source`` (a JSON Lines line is ``file#line``)."""
    return document_source.split("#", 1)[0] if document_source else ""


def with_documents(sources: Sequence[Path | str], documents: Iterable) -> list[str]:
    """``sources`` plus the file of every document that none of them holds (files that exist)."""
    out = [str(_absolute(s)) for s in sources]
    for d in documents:
        file = source_file(getattr(d, "source", ""))
        if file and Path(file).is_file() and not covered(file, out):
            out.append(str(_absolute(file)))
    return list(dict.fromkeys(out))


def record(index_dir: Path, store_name: str, sources: Sequence[str]) -> None:
    """Remember the sources of the live store outside it (written after the store is published)."""
    payload = {"store": store_name, "sources": list(sources), "written": time.strftime("%Y-%m-%dT%H:%M:%S")}
    atomic_write_text(Path(index_dir) / SOURCES_FILE, json.dumps(payload, ensure_ascii=False, indent=1))


def recorded(index_dir: Path, manifest: dict | None = None) -> list[Path] | None:
    """The sources the index was built from: the store's manifest, else ``sources.json``; None
    when neither says (an index built before sources were recorded)."""
    if manifest and isinstance(manifest.get(MANIFEST_KEY), list):
        return [Path(s) for s in manifest[MANIFEST_KEY]]
    try:
        data = json.loads((Path(index_dir) / SOURCES_FILE).read_text(encoding="utf-8"))
        return [Path(s) for s in data["sources"]] if isinstance(data.get("sources"), list) else None
    except (OSError, ValueError, KeyError, AttributeError):
        return None


def rebuild_command(index_dir: Path, sources: Sequence[Path | str]) -> str:
    """The one command that rebuilds the index at ``index_dir`` from all of ``sources``."""
    parts = ["python", "-m", "assistant", "--index", str(index_dir), "build", "--rebuild"]
    for s in sources:
        parts += ["--corpus", str(s)]
    return " ".join(shlex.quote(p) for p in parts)


__all__ = ["uploads_dir", "default_sources", "with_documents", "record", "recorded", "rebuild_command", "covered",
           "source_file", "SOURCES_FILE", "UPLOADS"]
