"""Model folders that are never half-written: a build lock, a staging folder swapped into place,
and a manifest of file hashes to verify a folder later.

Both set-up builds (the sentence-transformers folder and the ONNX folder) use this. A build
writes into ``.<name>.tmp-*`` beside its target, checks it, and only then renames it into place;
a killed build leaves a staging folder that the next build removes. ``verify_folder`` re-hashes
every file (set-up); ``quick_check`` only compares sizes (every start: hashing ~0.5 GB would cost
seconds)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import MANIFEST_FILE, ModelError, sha256_file

MANIFEST_FORMAT = 1


def _tmp_prefix(out_dir: Path) -> str:
    return f".{out_dir.name}.tmp-"


def write_error(out_dir: Path, exc: OSError) -> ModelError:
    return ModelError(
        f"构建嵌入模型失败：{exc}。"
        f"请检查 {out_dir.parent} 是否可写、磁盘空间是否足够（约需 0.5 GB）。"
        f" / could not build the embedding model in {out_dir}"
    )


@contextlib.contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Serialise builds of one folder across processes (no-op where fcntl is unavailable)."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        fh = open(out_dir.parent / f".{out_dir.name}.lock", "a+")
    except OSError as exc:
        raise write_error(out_dir, exc) from exc
    with fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def staged_build(out_dir: Path) -> Iterator[Path]:
    """A fresh staging folder beside ``out_dir``; swapped into place when the block succeeds,
    removed when it fails. Call with the build lock held (stale stages are removed first)."""
    for stale in out_dir.parent.glob(_tmp_prefix(out_dir) + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    try:
        staging = Path(tempfile.mkdtemp(prefix=_tmp_prefix(out_dir), dir=out_dir.parent))
    except OSError as exc:
        raise write_error(out_dir, exc) from exc
    try:
        yield staging
        fix_permissions(staging)
        swap_into_place(staging, out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise write_error(out_dir, exc) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def fix_permissions(folder: Path) -> None:
    """mkdtemp and safetensors create owner-only files; give the folder the usual umask modes."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for p in folder.rglob("*"):
        p.chmod((0o777 if p.is_dir() else 0o666) & ~umask)


def swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists() and not out_dir.is_symlink():
        os.replace(staging, out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=_tmp_prefix(out_dir), dir=out_dir.parent))
    old.rmdir()
    os.replace(out_dir, old)
    try:
        os.replace(staging, out_dir)
    except BaseException:
        os.replace(old, out_dir)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


def write_manifest(folder: Path, **fields: Any) -> None:
    """``build_manifest.json``: every file's SHA-256 and size, plus ``fields`` (source, versions)."""
    paths = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST_FILE]
    manifest = {
        **fields,
        "files": {p.relative_to(folder).as_posix(): sha256_file(p) for p in paths},
        "sizes": {p.relative_to(folder).as_posix(): p.stat().st_size for p in paths},
        "format": MANIFEST_FORMAT,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((Path(folder) / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return None
    if not isinstance(manifest.get("files"), dict) or not manifest["files"]:
        return None
    return manifest


def verify_folder(folder: Path) -> bool:
    """True if ``folder`` has a build manifest and every file it lists has the recorded hash."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        return False
    for rel, digest in manifest["files"].items():
        path = folder / rel
        try:
            if not path.is_file() or sha256_file(path) != digest:
                return False
        except OSError:
            return False
    return True


def quick_check(folder: Path) -> dict[str, Any] | None:
    """The manifest if every file it lists is there with its recorded size (no hashing), else None."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        return None
    sizes = manifest.get("sizes") or {}
    for rel in manifest["files"]:
        try:
            size = (folder / rel).stat().st_size
        except OSError:
            return None
        if rel in sizes and sizes[rel] != size:
            return None
    return manifest
