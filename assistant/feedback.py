"""Feedback on answers: 👍/👎 with an optional comment, appended to a local JSON Lines file
(``settings.feedback_file``) for later review.

One JSON object a line: ``time`` (ISO 8601 with offset), ``question``, ``resolved_question``,
``answer`` (the text with its ``[n]`` markers), ``mode``, ``refused``, ``citations`` (n, doc_id,
title, start, end, text — verbatim), ``rating`` (``"up"``/``"down"``) and ``comment``.

The file is only ever appended to. Each record is written with one ``write`` call under a lock
that is shared by every :class:`FeedbackLog` of the same file in this process and by an
``flock`` across processes, so concurrent users never interleave half lines."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .schema import Answer, Citation

MAX_COMMENT_CHARS = 1000
MAX_FIELD_CHARS = 20_000  # question / answer text kept per record (anything longer is cut, with a mark)
RATINGS = {"up": "up", "down": "down", "👍": "up", "👎": "down", "+1": "up", "-1": "down"}

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class FeedbackError(ValueError):
    """Feedback that cannot be saved as given; ``str(err)`` is a Chinese message for the user."""


def _lock_for(path: Path) -> threading.Lock:
    key = str(path.resolve())
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = threading.Lock()
        return lock


def normalize_rating(rating: Any) -> str:
    value = RATINGS.get(str(rating).strip()) if rating is not None else None
    if value is None:
        raise FeedbackError(f"评价只能是 👍（up）或 👎（down），收到的是 {rating!r}。")
    return value


def clean_comment(comment: Any) -> str:
    """The comment, stripped; ``None`` means no comment. Too long or not text raises FeedbackError."""
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise FeedbackError(f"评论必须是文字，收到的是 {type(comment).__name__}。")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise FeedbackError(
            f"评论过长（{len(comment)} 字）：请缩短到 {MAX_COMMENT_CHARS} 字以内再提交。"
        )
    return comment


def _cut(text: str) -> str:
    text = text or ""
    return text if len(text) <= MAX_FIELD_CHARS else text[:MAX_FIELD_CHARS] + "……（已截断）"


def citation_dicts(citations: Iterable[Citation | dict]) -> list[dict[str, Any]]:
    out = []
    for c in citations:
        if isinstance(c, Citation):
            out.append({"n": c.n, "doc_id": c.doc_id, "title": c.title, "start": c.start, "end": c.end,
                        "text": c.text})
        elif isinstance(c, dict):
            out.append({k: c.get(k) for k in ("n", "doc_id", "title", "start", "end", "text")})
        else:
            raise FeedbackError("出处格式不正确，无法保存评价。")
    return out


class FeedbackLog:
    """Append-only feedback file. Safe to share between threads (and processes)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def append(self, question: str, answer: str, citations: Iterable[Citation | dict] = (), rating: Any = "up",
               comment: Any = None, **extra: Any) -> dict[str, Any]:
        """Validate and append one record; returns it. Raises FeedbackError (Chinese message)."""
        rating = normalize_rating(rating)
        comment = clean_comment(comment)
        if not isinstance(question, str) or not isinstance(answer, str) or not answer.strip():
            raise FeedbackError("还没有可以评价的回答：请先提问，再对回答点 👍 或 👎。")
        record: dict[str, Any] = {
            "time": datetime.now().astimezone().isoformat(timespec="seconds"),
            "question": _cut(question),
            "answer": _cut(answer),
            "citations": citation_dicts(citations),
            "rating": rating,
            "comment": comment,
        }
        for key, value in extra.items():
            record.setdefault(key, value)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        self._write(line)
        return record

    def append_answer(self, answer: Answer, rating: Any, comment: Any = None) -> dict[str, Any]:
        return self.append(
            answer.question,
            answer.text,
            answer.citations,
            rating,
            comment,
            resolved_question=answer.resolved_question or answer.question,
            mode=answer.mode,
            refused=answer.refused,
        )

    def _write(self, line: str) -> None:
        data = line.encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _lock_for(self.path):
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    try:
                        written = 0
                        while written < len(data):
                            written += os.write(fd, data[written:])
                    finally:
                        fcntl.flock(fd, fcntl.LOCK_UN)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise FeedbackError(
                f"无法保存评价（{exc.strerror or exc}）：请检查反馈文件 {self.path} 所在文件夹是否可写。"
            ) from exc

    def records(self) -> Iterator[dict[str, Any]]:
        """The saved records, oldest first (a damaged line is skipped)."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                with contextlib.suppress(json.JSONDecodeError):
                    if line.strip():
                        yield json.loads(line)


__all__ = ["FeedbackError", "FeedbackLog", "MAX_COMMENT_CHARS", "clean_comment", "normalize_rating"]
