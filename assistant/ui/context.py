"""What every tab shares: the assistant (swappable while the app runs), the settings, the
feedback log and a folder for downloads (swept by age and total size whenever a download is made;
one client makes at most ``exports_max_per_minute`` a minute).

Handlers read ``ctx.assistant`` when they run, never a copy taken when the page was built, so
:meth:`AppContext.use` (another LLM, other settings) reaches every tab at once; the library tab's
uploads and deletions swap the index inside the assistant itself."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import gradio as gr

from ..feedback import FeedbackLog
from ..pipeline import Assistant
from ..settings import Settings
from ..storage import safe_filename
from ..throttle import Throttle
from .errors import UserError

EXPORT_STEM_CHARS = 40


class Refresh(NamedTuple):
    """What a tab re-renders when the page loads and whenever the tab is opened (documents, examples,
    the glossary may have changed through an upload): ``fn(*inputs) → outputs``."""

    fn: Callable
    inputs: list[gr.components.Component]
    outputs: list[gr.components.Component]


@dataclass
class AppContext:
    _assistant: Assistant
    settings: Settings
    feedback: FeedbackLog
    exports_dir: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _exports: Throttle | None = field(default=None, repr=False)

    @property
    def assistant(self) -> Assistant:
        return self._assistant

    def use(self, assistant: Assistant) -> Assistant:
        """Answer with ``assistant`` from now on (e.g. ``ctx.assistant.with_settings(llm=…)``);
        returns the one it replaces. Requests already running finish with the old one."""
        with self._lock:
            previous, self._assistant = self._assistant, assistant
        return previous

    def check_export(self, request: gr.Request | None) -> None:
        """Raise UserError when this client made ``exports_max_per_minute`` downloads in the last minute."""
        if self._exports is None:
            self._exports = Throttle(self.settings.exports_max_per_minute, 60.0)
        if not self._exports.allow(client_of(request)):
            raise UserError(f"导出得太频繁（每分钟最多 {self._exports.limit} 次）：请稍等一分钟再导出。")

    def export_path(self, stem: str, suffix: str) -> Path:
        """A fresh file path for a download. Downloads older than ``temp_max_age_s`` go first, then
        the oldest until all of them fit in ``exports_max_mb``."""
        sweep(self.exports_dir, self.settings.temp_max_age_s, self.settings.exports_max_mb * 1024 * 1024)
        folder = self.exports_dir / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True)
        return folder / safe_filename(stem, suffix, limit=EXPORT_STEM_CHARS, fallback="导出")

    def doc_choices(self) -> list[tuple[str, str]]:
        """(label, doc_id) of every document, for a dropdown: title, date, chunks and a short id."""
        try:
            docs = self.assistant.documents()
        except Exception:  # noqa: BLE001 - no index yet: nothing to choose
            return []
        out = []
        for d in docs:
            date = f"{d.date} · " if d.date else ""
            out.append((f"{d.title}（{date}{d.n_chunks} 块 · {d.doc_id[:8]}）", d.doc_id))
        return out

    def store(self):
        """The current index, or None when there is none (a page still renders, without documents)."""
        try:
            return self.assistant.store
        except Exception:  # noqa: BLE001
            return None


def sweep(folder: Path, max_age_s: float, max_bytes: int) -> int:
    """Delete the files under ``folder`` older than ``max_age_s``, then the oldest until the rest
    fit in ``max_bytes`` (and the folders left empty); returns how many were deleted."""
    files = []
    for path in folder.glob("**/*"):
        try:
            if path.is_file():
                st = path.stat()
                files.append((st.st_mtime, st.st_size, path))
        except OSError:
            pass
    files.sort()
    total, cutoff, deleted = sum(f[1] for f in files), time.time() - max_age_s, 0
    for mtime, size, path in files:
        if mtime >= cutoff and total <= max_bytes:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            total -= size
            deleted += 1
    for sub in sorted(folder.glob("**/*"), reverse=True):
        with contextlib.suppress(OSError):
            sub.rmdir()  # only empty folders go
    return deleted


def client_of(request: gr.Request | None) -> str:
    """The address a request came from (the key of the per-client limits)."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "") if client is not None else ""


def no_file() -> gr.File:
    """An empty, hidden download slot."""
    return gr.File(value=None, visible=False)


def clicked_example(evt: gr.EventData):
    """The question or topic of the example button clicked (results.js sends it), else no change."""
    data = getattr(evt, "_data", None) or {}
    q = data.get("question") if isinstance(data, dict) else None
    return q if q else gr.skip()
