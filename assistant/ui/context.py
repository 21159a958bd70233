"""What every tab shares: the assistant (swappable while the app runs), the settings, the
feedback log and a folder for downloads.

Handlers read ``ctx.assistant`` when they run, never a copy taken when the page was built, so
:meth:`AppContext.use` (another LLM, other settings) reaches every tab at once; the library tab's
uploads and deletions swap the index inside the assistant itself."""

from __future__ import annotations

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

EXPORT_MAX_AGE_S = 86400  # downloads older than a day are removed when a new one is made
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

    @property
    def assistant(self) -> Assistant:
        return self._assistant

    def use(self, assistant: Assistant) -> Assistant:
        """Answer with ``assistant`` from now on (e.g. ``ctx.assistant.with_settings(llm=…)``);
        returns the one it replaces. Requests already running finish with the old one."""
        with self._lock:
            previous, self._assistant = self._assistant, assistant
        return previous

    def export_path(self, stem: str, suffix: str) -> Path:
        """A fresh file path for a download (old exports are removed after a day)."""
        self.exports_dir.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - EXPORT_MAX_AGE_S
        for old in self.exports_dir.glob("*/*"):
            try:
                if old.stat().st_mtime < cutoff:
                    old.unlink()
                    old.parent.rmdir()
            except OSError:
                pass
        folder = self.exports_dir / uuid.uuid4().hex[:12]
        folder.mkdir()
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


def no_file() -> gr.File:
    """An empty, hidden download slot."""
    return gr.File(value=None, visible=False)


def clicked_example(evt: gr.EventData):
    """The question or topic of the example button clicked (results.js sends it), else no change."""
    data = getattr(evt, "_data", None) or {}
    q = data.get("question") if isinstance(data, dict) else None
    return q if q else gr.skip()
