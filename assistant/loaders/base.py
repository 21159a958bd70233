"""What every format reader shares: the suffixes we read, the error type, the options a read takes,
and :class:`Extracted` — the text and metadata one file gave before it becomes a ``Document``.

Kept free of imports from the other loader modules so that each of them can import it."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".jsonl") + IMAGE_SUFFIXES
SIDECAR_SUFFIX = ".meta.json"

# (file name, k, n): called before the k-th of the n pages of a file that need OCR
PageProgress = Callable[[str, int, int], None]


class LoaderError(ValueError):
    """A file that cannot be loaded. ``str(err)`` is a Chinese message for the user; ``path`` is
    the file as given and ``line`` the 1-based line number for a bad JSON Lines line."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = "" if path is None else str(path)
        self.line = line


@dataclass(frozen=True)
class OcrConfig:
    """The settings that say whether and how to OCR (field names are Settings fields, filled by
    :func:`assistant.settings.section`; the defaults live in Settings only)."""

    ocr: bool
    ocr_min_confidence: float
    ocr_dpi: int


@dataclass(frozen=True)
class ReadLimits:
    """How much one file may give, checked while it is parsed — after decompression, so a 59 KB
    ``.docx`` that unpacks into 40,000 paragraphs is stopped in seconds (Settings fields)."""

    max_document_chars: int
    max_document_pages: int
    max_unpacked_mb: int


@dataclass(frozen=True)
class ReadOptions(ReadLimits, OcrConfig):
    """How files are read: the OCR settings, the limits, and who hears of OCR progress page by page."""

    on_page: PageProgress | None = None

    @classmethod
    def from_settings(cls, settings=None, on_page: PageProgress | None = None) -> "ReadOptions":
        """From ``settings`` (default: the environment's, as ``ASSISTANT_OCR=0`` must work anywhere)."""
        from ..settings import Settings, section

        settings = settings if settings is not None else Settings.from_env()
        values = {**dataclasses.asdict(section(OcrConfig, settings)), **dataclasses.asdict(section(ReadLimits, settings))}
        return cls(**values, on_page=on_page)


def too_long(path: Path, chars: int, limit: int) -> LoaderError:
    return LoaderError(f"文档过长：{path.name} 有 {chars:,} 字以上，超过每篇 {limit:,} 字的上限"
                       "（ASSISTANT_MAX_DOCUMENT_CHARS）。请把它拆成几个较小的文件后再加入。", path)


def too_many_pages(path: Path, pages: int, limit: int) -> LoaderError:
    return LoaderError(f"页数过多：{path.name} 有 {pages:,} 页，超过每篇 {limit:,} 页的上限"
                       "（ASSISTANT_MAX_DOCUMENT_PAGES）。请把它拆成几个较小的文件后再加入。", path)


@dataclass(frozen=True)
class Extracted:
    """One file's text and what was found about it. ``page_starts``, ``ocr_pages`` and
    ``low_confidence`` have the meaning of the same ``Document`` fields."""

    text: str
    title: str = ""
    author: str = ""
    date: str = ""
    url: str = ""
    page_starts: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()
    low_confidence: tuple[tuple[int, int], ...] = ()


def display_name(path: str | os.PathLike[str] | None, name: str = "") -> str:
    if name:
        return name
    if path is None or str(path) == "":
        return "（未命名）"
    return Path(path).name or str(path)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def empty_file(path: Path) -> LoaderError:
    return LoaderError(f"文件为空：{path.name}。请确认文件里有正文后重新上传。", path)


_CONVERT_HINTS = {".doc": "旧版 Word 文件请用 Word 另存为 .docx", ".wps": "WPS 文件请另存为 .docx",
                  ".xls": "表格请另存为 .docx 或 .txt", ".xlsx": "表格请另存为 .docx 或 .txt",
                  ".zip": "压缩包请先解压，再加入其中的文件", ".rar": "压缩包请先解压，再加入其中的文件",
                  ".7z": "压缩包请先解压，再加入其中的文件"}


def unsupported(path: Path) -> LoaderError:
    suffix = path.suffix.lower()
    hint = _CONVERT_HINTS.get(suffix, "请转换为支持的格式后重试")
    return LoaderError(
        f"不支持的文件类型 {suffix or '（无扩展名）'}，已跳过：{path.name}。"
        f"支持的类型：{'、'.join(SUPPORTED_SUFFIXES)}；{hint}。",
        path,
    )
