"""What the assistant does when the index on disk is not the one it holds: damaged, or newer.

A damaged index (:class:`~assistant.integrity.IndexDamaged`: a truncated or edited file, a missing,
dangling or foreign ``CURRENT``) is never silently replaced. :func:`repair` sets it aside in
``<index>/damaged/`` and returns the sources it was built from (the manifest remembers them, see
:mod:`assistant.sources`) with a notice that says so, when every source still exists and
``index_auto_repair`` allows a rebuild; otherwise it raises with what is damaged and the one command
that rebuilds the index from *all* those sources.

A newer index is one another process (a CLI ``build``, a second app) published since this one was
loaded: :func:`disk_store` loads it, so readers follow it and a writer starts from it instead of
overwriting it with its own stale copy."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .index import IndexStore, load_store
from .integrity import DAMAGED_DIR, IndexDamaged, IndexUnavailable, pointer_name, set_aside
from .sources import MANIFEST_KEY, default_sources, rebuild_command, recorded

log = logging.getLogger(__name__)


def _manifest_sources(folders: list[Path]) -> list[Path] | None:
    """The sources named by the newest readable manifest among ``folders`` (set-aside stores)."""
    for folder in sorted(folders, key=lambda p: p.name, reverse=True):
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and isinstance(manifest.get(MANIFEST_KEY), list):
            return [Path(s) for s in manifest[MANIFEST_KEY]]
    return None


def repair(settings, damage: IndexDamaged, rebuild_allowed: bool) -> tuple[list[Path], str]:
    """Set the damaged index aside and say how to get it back: ``(sources, notice)`` to rebuild
    from, or :class:`IndexDamaged` naming the damage and the command that rebuilds it."""
    index_dir = Path(settings.index_dir)
    aside = set_aside(index_dir, damage.what)
    sources = recorded(index_dir) or _manifest_sources(aside)
    kept = f"损坏的索引已移到 {aside[0].parent}（未删除）。" if aside else ""
    missing = [str(p) for p in sources or [] if not p.exists()]
    if rebuild_allowed and settings.index_auto_repair and sources and not missing:
        notice = (f"索引已损坏：{damage.what}。{kept}已按建索引时的全部 {len(sources)} 个来源重新建立"
                  f"（{'、'.join(map(str, sources))}）。")
        log.warning(notice)
        return sources, notice
    if sources is None:
        advice = (f"{kept}这个索引没有记录它由哪些资料建成（旧版索引）；如果资料都在 "
                  f"{'、'.join(map(str, settings.corpus))} 中，请运行：{rebuild_command(index_dir, default_sources(settings))}")
    else:
        lost = f"其中 {'、'.join(missing)} 已不存在，请先找回，然后" if missing else "请"
        advice = (f"{kept}{lost}运行以下命令，从建索引时的全部 {len(sources)} 个来源重新建立："
                  f"{rebuild_command(index_dir, sources)}")
    raise IndexDamaged(damage.what, damage.store, advice) from damage


def disk_store(index_dir: Path, current: Path | None, keep_damage: bool = False, config=None) -> IndexStore | None:
    """The store ``CURRENT`` names when it is not ``current`` (another process published it), else
    None. A store that does not open is not taken: readers log it and keep what they have;
    a writer (``keep_damage``) sets it aside, since what it writes next replaces it."""
    name = pointer_name(index_dir)
    if current is not None and name == current.name:
        return None
    try:
        return load_store(index_dir, config)
    except IndexDamaged as exc:
        if keep_damage:
            set_aside(index_dir, exc.what)
        else:
            log.warning("磁盘上的索引无法打开（%s），继续使用已加载的索引。", exc)
        return None
    except IndexUnavailable:
        return None


__all__ = ["DAMAGED_DIR", "disk_store", "repair"]
