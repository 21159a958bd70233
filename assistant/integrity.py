"""Is the index on disk the one that was written? Checksums, the CURRENT pointer, damaged stores.

A store folder is sealed before it is published: ``checksums.json`` holds the size and xxh3-128 hash of
every file in it (the manifest included), so a truncated file, random bytes, or text and offsets
edited in place are found when the store is opened — not by a wrong answer later. The ``CURRENT``
pointer must name a ``store-…`` folder directly inside the index folder (never ``../`` or a
path); a missing, dangling or foreign pointer is damage, not “no index yet”.

A damaged store is never deleted: :func:`set_aside` moves it into ``<index>/damaged/`` with a note
saying what was wrong, so the next build (which removes replaced stores) cannot take it with it.
What is done about it (rebuild from every source, or the command that does) is
:mod:`assistant.recovery`'s.
The exceptions live here, not in :mod:`assistant.index`, because the index imports this module."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from pathlib import Path

import xxhash

from .storage import atomic_write_text

log = logging.getLogger(__name__)

CHECKSUMS_FILE = "checksums.json"
SEALED_KEY = "sealed"  # manifest key: the store was sealed (its checksums file must exist)
ALGORITHM = "xxh3_128"  # ≈ 11 GB/s here (sha256: 0.7): opening a 300k-chunk store stays fast
HASHERS = {"xxh3_128": lambda: xxhash.xxh3_128(), "sha256": hashlib.sha256}  # sha256: stores sealed before
DAMAGED_DIR = "damaged"
WHY_FILE = "WHY.txt"
POINTER = "CURRENT"
STORE_NAME = re.compile(r"^store-[0-9A-Za-z_.-]{1,100}$")
_CHUNK = 1 << 20


class IndexUnavailable(RuntimeError):
    """The index is missing or damaged. Message: Chinese first, with what to do."""


class IndexDamaged(IndexUnavailable):
    """The index exists but is not what was written (``what``: the damage, in Chinese)."""

    def __init__(self, what: str, store: Path | None = None, advice: str = "") -> None:
        super().__init__(f"索引已损坏：{what}。{advice}" if advice else f"索引已损坏：{what}。")
        self.what = what
        self.store = store


# ----------------------------------------------------------------------------- checksums


def _digest(path: Path, algorithm: str = ALGORITHM) -> str:
    h = HASHERS[algorithm]()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS_FILE)


def seal_store(folder: Path) -> None:
    """Write ``checksums.json`` for every file in the (finished, unpublished) store ``folder``."""
    entries = {p.relative_to(folder).as_posix(): {"size": p.stat().st_size, ALGORITHM: _digest(p)}
               for p in _files(folder)}
    text = json.dumps({"algorithm": ALGORITHM, "files": entries}, ensure_ascii=False, indent=1)
    atomic_write_text(folder / CHECKSUMS_FILE, text)


def _sealed(folder: Path) -> bool:
    """Whether the store says it was sealed (stores written before checksums existed are not)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexDamaged(f"{folder.name}/manifest.json 无法读取（{type(exc).__name__}）", folder) from None
    return bool(isinstance(manifest, dict) and manifest.get(SEALED_KEY))


def verify_store(folder: Path, full: bool = True) -> None:
    """Raise :class:`IndexDamaged` unless every file of ``folder`` has its recorded size (and, when
    ``full``, its recorded checksum). A store sealed before this check existed passes unchecked."""
    sums = folder / CHECKSUMS_FILE
    if not sums.exists():
        if (folder / "manifest.json").exists() and not _sealed(folder):
            return  # written before checksums existed: nothing to compare with
        raise IndexDamaged(f"{folder.name} 缺少校验文件 {CHECKSUMS_FILE}", folder)
    try:
        sealed = json.loads(sums.read_text(encoding="utf-8"))
        entries, algorithm = sealed["files"], sealed.get("algorithm", "sha256")
        assert isinstance(entries, dict) and algorithm in HASHERS
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        raise IndexDamaged(f"{folder.name}/{CHECKSUMS_FILE} 无法读取", folder) from None
    for rel, expected in entries.items():
        path = folder / rel
        if ".." in Path(rel).parts or not path.is_file():
            raise IndexDamaged(f"{folder.name} 缺少文件 {rel}", folder)
        size = path.stat().st_size
        if size != expected.get("size"):
            raise IndexDamaged(f"{folder.name}/{rel} 大小不对（应为 {expected.get('size')} 字节，实为 {size} 字节，"
                               "可能被截断或改写）", folder)
        if full and _digest(path, algorithm) != expected.get(algorithm):
            raise IndexDamaged(f"{folder.name}/{rel} 的内容与建索引时不同（校验和不符，文件被改动或损坏）", folder)


# ----------------------------------------------------------------------------- the CURRENT pointer


def pointer_name(index_dir: Path) -> str | None:
    """What CURRENT says (stripped), or None when there is no CURRENT."""
    try:
        return (Path(index_dir) / POINTER).read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None
    except OSError:
        return ""


def valid_store_path(index_dir: Path) -> Path | None:
    """The store folder CURRENT names, when it is a ``store-…`` folder directly inside
    ``index_dir`` (not a link, not outside); else None."""
    name = pointer_name(index_dir)
    if not name or not STORE_NAME.match(name):
        return None
    path = Path(index_dir) / name
    return path if path.is_dir() and not path.is_symlink() else None


def _stores(index_dir: Path) -> list[Path]:
    try:
        return sorted(p for p in Path(index_dir).iterdir() if p.is_dir() and p.name.startswith("store-"))
    except OSError:
        return []


def pointer_problem(index_dir: Path) -> IndexUnavailable:
    """Why there is no valid store: “no index yet” (nothing was ever built here) or damage."""
    index_dir = Path(index_dir)
    name = pointer_name(index_dir)
    if name is None:
        if not _stores(index_dir):
            return IndexUnavailable(f"索引不存在：{index_dir}。请先运行 `python -m assistant build` 建立索引。")
        return IndexDamaged(f"{index_dir} 中缺少指向当前索引的 {POINTER} 文件")
    if not name or not STORE_NAME.match(name):
        return IndexDamaged(f"{POINTER} 的内容无效（{name[:60]!r}），它必须是本文件夹中的 store-… 文件夹名")
    return IndexDamaged(f"{POINTER} 指向的 {name} 不存在或不是文件夹")


# ----------------------------------------------------------------------------- keeping damage aside


def set_aside(index_dir: Path, reason: str) -> list[Path]:
    """Move every store folder of ``index_dir`` (the damaged live one, and any unpublished one a
    killed build left) into ``index_dir/damaged/`` with a ``WHY.txt`` saying what was wrong and
    what ``CURRENT`` held; returns where they went. Nothing is deleted."""
    index_dir = Path(index_dir)
    pointer = pointer_name(index_dir)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved: list[Path] = []
    for store in _stores(index_dir):
        target = index_dir / DAMAGED_DIR / f"{stamp}-{store.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(store, target)
        except OSError:
            shutil.move(str(store), str(target))
        why = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {reason}\n{POINTER}: {pointer!r}\n"
        (target / WHY_FILE).write_text(why, encoding="utf-8")
        log.warning("已将损坏的索引 %s 移到 %s（未删除）。", store.name, target)
        moved.append(target)
    current = index_dir / POINTER
    if current.is_dir() or current.is_symlink():  # a CURRENT that is no plain file cannot be replaced
        target = index_dir / DAMAGED_DIR / f"{stamp}-{POINTER}"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(current, target)
        moved.append(target)
    return moved


def damaged_stores(index_dir: Path) -> list[Path]:
    folder = Path(index_dir) / DAMAGED_DIR
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


__all__ = [
    "CHECKSUMS_FILE",
    "SEALED_KEY",
    "IndexDamaged",
    "IndexUnavailable",
    "damaged_stores",
    "pointer_name",
    "pointer_problem",
    "seal_store",
    "set_aside",
    "valid_store_path",
    "verify_store",
]
