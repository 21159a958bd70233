"""JSON Lines corpora: one document a line, ``{"id", "text", "title", "date", "url", "author", "source"}``
with only ``text`` required. ``name.jsonl.gz`` (gzip, UTF-8) is read the same way, streamed: a
corpus of 55k articles is never held whole in memory (:func:`iter_jsonl`).

Researchers cite their own ids, so a line's ``id`` is the document's id (``doc_id``), and its
``title``, ``date``, ``url``, ``author`` and ``source`` (where it was published) are the document's
metadata. A line without an id gets the content hash of its text (stable across edits of other
lines). A line whose id an earlier line of the file already used is skipped and reported with both
line numbers — an id must name one text. Across files the same rule holds in :func:`assistant.loaders.load_paths`, except that the
very same text under the same id (one article in two corpus files) is simply loaded once.

A sidecar (``news.jsonl.meta.json``, written by the library tab when an upload gives a title or a
date) supplies what a line does not say itself: its ``date``, ``author``, ``url`` and ``source``
for every line without one, its ``title`` only when the file holds a single document. A lone
surrogate (``"\ud800"`` in the JSON) becomes U+FFFD, as the text must be valid UTF-8 to be indexed."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

from ..schema import Document, content_hash
from ..text import LONE_SURROGATE
from .base import LoaderError, empty_file, normalise_newlines
from .sidecar import as_str
from .text import read_text_file

JSONL_TITLE_MAX_CHARS = 40
METADATA_KEYS = ("title", "date", "url", "author", "source")

_SENTENCE_END_RE = re.compile(r"[。！？!?\n]")


def first_sentence(text: str, limit: int = JSONL_TITLE_MAX_CHARS) -> str:
    text = text.strip()
    m = _SENTENCE_END_RE.search(text)
    sentence = text[: m.start()] if m else text
    return sentence.strip()[:limit].strip()


def _line_error(path: Path, lineno: int, message: str) -> LoaderError:
    return LoaderError(f"{path.name} 第 {lineno} 行{message}", path, lineno)


def _parse(path: Path, lineno: int, line: str) -> dict:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _line_error(path, lineno, f"不是合法的 JSON（{exc.msg}，第 {exc.colno} 列），已跳过。"
                                        "请修正该行后重新加载。") from None
    if not isinstance(obj, dict):
        raise _line_error(path, lineno, "不是 JSON 对象，已跳过。"
                                        "每行应是一个对象，例如 {\"id\": \"a1\", \"text\": \"正文\"}。")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _line_error(path, lineno, "缺少非空的 text 字段，已跳过。请补上正文后重新加载。")
    return obj


GZ_SUFFIX = ".jsonl.gz"


def is_jsonl_gz(path: Path) -> bool:
    return Path(path).name.lower().endswith(GZ_SUFFIX)


def _lines(path: Path) -> Iterator[str]:
    """The file's lines: a gzip file is streamed (UTF-8, as JSON Lines requires); a plain file is
    decoded whole with encoding detection (GBK files exist)."""
    if is_jsonl_gz(path):
        try:
            with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
                for line in fh:
                    yield line.rstrip("\r\n")
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise LoaderError(f"无法读取压缩文件 {path.name}（{type(exc).__name__}: {exc}）。"
                              "请确认它是 UTF-8 的 gzip 压缩 JSON Lines 文件后重试。", path) from None
        return
    raw = read_text_file(path)
    if not raw.strip():
        raise empty_file(path)
    yield from raw.split("\n")


def iter_jsonl(path: Path, max_chars: int | None = None,
               defaults: dict[str, str] | None = None) -> Iterator[Document | LoaderError]:
    """One Document per JSON Lines line, in file order, or a LoaderError for a bad line (not JSON,
    no text, an id used before, a text over ``max_chars``), which is skipped. ``defaults``:
    metadata for lines that lack it (see the module docstring; its title waits for the second
    document, so at most one is held). Raises :class:`LoaderError` for an empty or undecodable file."""
    path = Path(path)
    title = (defaults or {}).get("title")
    held: Document | None = None  # the first document, while it may still be the file's only one
    n_docs = 0
    for item in _iter_lines(path, max_chars, defaults):
        if isinstance(item, LoaderError) or not title:
            yield item
            continue
        n_docs += 1
        if n_docs == 1:
            held = item
            continue
        if held is not None:
            yield held
            held = None
        yield item
    if held is not None:
        yield dataclasses.replace(held, title=title)


def _iter_lines(path: Path, max_chars: int | None,
                defaults: dict[str, str] | None) -> Iterator[Document | LoaderError]:
    first_line_of: dict[str, int] = {}
    default_meta = {k: v for k, v in (defaults or {}).items() if k != "title" and v}
    for lineno, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        try:
            obj = _parse(path, lineno, line)
        except LoaderError as exc:
            yield exc
            continue
        text = LONE_SURROGATE.sub("\ufffd", normalise_newlines(obj["text"]))
        if max_chars is not None and len(text) > max_chars:
            yield _line_error(path, lineno, f"的正文有 {len(text):,} 字，超过每篇 {max_chars:,} 字的上限"
                                            "（ASSISTANT_MAX_DOCUMENT_CHARS），已跳过。请拆分后重新加载。")
            continue
        raw_id = obj.get("id")
        given_id = as_str(raw_id) if raw_id not in (None, "") else ""
        doc_id = given_id or content_hash(text)
        if doc_id in first_line_of:
            what = f"的 id “{given_id}”" if given_id else "的正文"
            yield _line_error(path, lineno, f"{what}与第 {first_line_of[doc_id]} 行重复，已跳过。"
                                            "每篇文档的 id 必须唯一；请改正 id 或删除重复的行。")
            continue
        first_line_of[doc_id] = lineno
        meta = {k: LONE_SURROGATE.sub("\ufffd", as_str(obj[k])) for k in METADATA_KEYS if obj.get(k) not in (None, "")}
        meta = {**default_meta, **meta}
        yield Document(
            doc_id=doc_id,
            title=meta.get("title") or first_sentence(text) or given_id or f"L{lineno}",
            source=f"{path}#{given_id or f'L{lineno}'}",
            text=text,
            date=meta.get("date", ""),
            author=meta.get("author", ""),
            url=meta.get("url", ""),
            publisher=meta.get("source", ""),
        )


def load_jsonl(path: Path, max_chars: int | None = None,
               defaults: dict[str, str] | None = None) -> tuple[list[Document], list[LoaderError]]:
    """:func:`iter_jsonl` collected: the documents and the errors of the bad lines."""
    docs: list[Document] = []
    errors: list[LoaderError] = []
    for item in iter_jsonl(path, max_chars, defaults):
        (errors if isinstance(item, LoaderError) else docs).append(item)
    if not docs and not errors:
        raise empty_file(Path(path))
    return docs, errors
