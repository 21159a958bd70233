"""Feedback on answers: 👍/👎 with an optional comment, appended to a local JSON Lines file
(``settings.feedback_file``) for later review.

One JSON object a line: ``time`` (ISO 8601 with offset), ``question``, ``resolved_question``,
``answer`` (the text with its ``[n]`` markers), ``mode``, ``refused``, ``citations`` (n, doc_id,
title, start, end, text — verbatim), ``rating`` (``"up"``/``"down"``) and ``comment``.

The file is only ever appended to. Each record is written with one ``write`` call under a lock
that is shared by every :class:`FeedbackLog` of the same file in this process and by an
``flock`` across processes, so concurrent users never interleave half lines.

Nobody can grow the server's disk through it: one client may post ``max_per_minute`` ratings a
minute, the file stops taking records at ``max_bytes``, and it is opened with ``O_NOFOLLOW``, so a
link planted in its place cannot point the log at another file. Error messages never show the
server's paths (the log does)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .schema import Answer, Citation
from .throttle import Throttle

log = logging.getLogger(__name__)

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
    """Append-only feedback file. Safe to share between threads (and processes). ``max_per_minute``
    ratings per client a minute, ``max_bytes`` in the file (None: no limit)."""

    def __init__(self, path: str | os.PathLike[str], max_per_minute: int | None = None,
                 max_bytes: int | None = None) -> None:
        self.path = Path(path)
        self._throttle = Throttle(max_per_minute, 60.0) if max_per_minute else None
        self.max_bytes = max_bytes

    def append(self, question: str, answer: str, citations: Iterable[Citation | dict] = (), rating: Any = "up",
               comment: Any = None, client: str = "", **extra: Any) -> dict[str, Any]:
        """Validate and append one record; returns it. Raises FeedbackError (Chinese message)."""
        if self._throttle is not None and not self._throttle.allow(client):
            raise FeedbackError(f"评价提交得太频繁（每分钟最多 {self._throttle.limit} 次）：请稍等一分钟再评价。")
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

    def append_answer(self, answer: Answer, rating: Any, comment: Any = None, client: str = "") -> dict[str, Any]:
        return self.append(
            answer.question,
            answer.text,
            answer.citations,
            rating,
            comment,
            client=client,
            resolved_question=answer.resolved_question or answer.question,
            mode=answer.mode,
            refused=answer.refused,
        )

    def _write(self, line: str) -> None:
        data = line.encode("utf-8", errors="replace")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _lock_for(self.path):
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    try:
                        if self.max_bytes is not None and os.fstat(fd).st_size + len(data) > self.max_bytes:
                            log.warning("反馈文件 %s 已达上限 %d 字节，不再写入。", self.path, self.max_bytes)
                            raise FeedbackError("评价记录已满，暂时无法保存：请联系管理员整理反馈文件。")
                        written = 0
                        while written < len(data):
                            written += os.write(fd, data[written:])
                    finally:
                        fcntl.flock(fd, fcntl.LOCK_UN)
                finally:
                    os.close(fd)
        except OSError as exc:
            log.error("无法写入反馈文件 %s：%s", self.path, exc)  # the path is for the log, not the page
            raise FeedbackError("无法保存评价：服务器上的反馈文件不可写。请联系管理员查看服务日志。") from exc

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
