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
class ReadOptions(OcrConfig):
    """How files are read: the OCR settings, and who hears of OCR progress page by page."""

    on_page: PageProgress | None = None

    @classmethod
    def from_settings(cls, settings=None, on_page: PageProgress | None = None) -> "ReadOptions":
        """From ``settings`` (default: the environment's, as ``ASSISTANT_OCR=0`` must work anywhere)."""
        from ..settings import Settings, section

        config = section(OcrConfig, settings if settings is not None else Settings.from_env())
        return cls(**dataclasses.asdict(config), on_page=on_page)


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


def unsupported(path: Path) -> LoaderError:
    suffix = path.suffix or "（无扩展名）"
    return LoaderError(
        f"不支持的文件类型 {suffix}：{path.name}。"
        f"支持的类型：{'、'.join(SUPPORTED_SUFFIXES)}；请转换格式后重试。",
        path,
    )
