"""Files → :class:`~assistant.schema.Document`: the format registry, one file, many files.

Formats (one module each): plain text and Markdown in any common Chinese encoding (:mod:`.text`),
saved web pages — the article, not the menus (:mod:`.webpage`), Word ``.docx`` (:mod:`.word`),
PDF with its text layer and OCR for scanned pages (:mod:`.pdf`), photos and scans as images
(:mod:`.images`, OCR by :mod:`.ocr` and :mod:`.layout`), and JSON Lines (:mod:`.jsonl`).

``Document.text`` is the text as extracted, so that citations can quote ``text[start:end]``
verbatim; pages, OCR and OCR's doubts are metadata beside it (``page_starts``, ``ocr_pages``,
``low_confidence``). Metadata can sit next to a file in a sidecar ``<file name>.meta.json``
(:mod:`.sidecar`). Errors are :class:`LoaderError` with a Chinese message saying what happened and
what to do; :func:`load_paths` collects them per file and never aborts the whole load.
:func:`iter_documents` is the same load as a stream (documents and errors in order, never all held
at once): what the index build reads, so a 55k-article ``.jsonl.gz`` costs no more memory than one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..schema import Document, content_hash
from .base import (
    IMAGE_SUFFIXES,
    MARKDOWN_SUFFIXES,
    SIDECAR_SUFFIX,
    SUPPORTED_SUFFIXES,
    Extracted,
    LoaderError,
    PageProgress,
    ReadOptions,
    empty_file,
    too_long,
    unsupported,
)
from .images import extract_image
from .jsonl import is_jsonl_gz, iter_jsonl, load_jsonl
from .pdf import extract_pdf
from .sidecar import is_sidecar, read_sidecar, sidecar_path
from .sniff import sniff_kind
from .text import decode_bytes, extract_markdown, extract_plain, read_bytes, read_text_file
from .webpage import extract_html
from .word import extract_docx

__all__ = [
    "IMAGE_SUFFIXES",
    "SIDECAR_SUFFIX",
    "SUPPORTED_SUFFIXES",
    "LoaderError",
    "ReadOptions",
    "decode_bytes",
    "is_sidecar",
    "iter_documents",
    "iter_supported_files",
    "load_file",
    "load_jsonl",
    "load_paths",
    "read_sidecar",
    "read_text_file",
    "sidecar_path",
    "sniff_kind",
]

Extractor = Callable[[bytes, Path, ReadOptions], Extracted]
PLAIN_SUFFIXES = (".txt", *MARKDOWN_SUFFIXES)  # text whose length its size bounds (not HTML: markup)

# suffix → reader of one file's bytes (``.jsonl`` holds many documents and is read by load_jsonl)
EXTRACTORS: dict[str, Extractor] = {
    ".txt": extract_plain,
    ".md": extract_markdown,
    ".markdown": extract_markdown,
    ".html": extract_html,
    ".htm": extract_html,
    ".docx": extract_docx,
    ".pdf": extract_pdf,
    **{suffix: extract_image for suffix in IMAGE_SUFFIXES},
}
assert set(EXTRACTORS) | {".jsonl"} == set(SUPPORTED_SUFFIXES)


def _document(path: Path, found: Extracted, meta: dict[str, str]) -> Document:
    return Document(
        doc_id=content_hash(found.text),
        title=meta.get("title") or found.title or path.stem,
        source=str(path),
        text=found.text,
        date=meta.get("date") or found.date,
        author=meta.get("author") or found.author,
        url=meta.get("url") or found.url,
        publisher=meta.get("source", ""),
        page_starts=found.page_starts,
        ocr_pages=found.ocr_pages,
        low_confidence=found.low_confidence,
    )


def _supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES or is_jsonl_gz(path)


def _iter_jsonl_file(path: Path, options: ReadOptions) -> Iterator[Document | LoaderError]:
    """A JSON Lines file's documents and bad lines; a file with no good line is one error."""
    pending: list[LoaderError] = []
    any_doc = False
    for item in iter_jsonl(path, options.max_document_chars, defaults=read_sidecar(path)):
        if isinstance(item, LoaderError) and not any_doc:
            pending.append(item)
            continue
        if not any_doc:
            any_doc = True
            yield from pending
        yield item
    if not any_doc:
        detail = f"第一个问题：{pending[0]}" if pending else "文件里没有内容。"
        raise LoaderError(f"没有从 {path.name} 读出任何文档。{detail}", path, pending[0].line if pending else None)


def _load_one(path: Path, options: ReadOptions) -> tuple[list[Document], list[LoaderError]]:
    suffix = path.suffix.lower()
    if is_jsonl_gz(path):
        suffix = ".jsonl"
    if suffix not in SUPPORTED_SUFFIXES:
        raise unsupported(path)
    if suffix == ".jsonl":
        docs, errors = load_jsonl(path, options.max_document_chars, defaults=read_sidecar(path))
        if not docs:
            detail = f"第一个问题：{errors[0]}" if errors else "文件里没有内容。"
            raise LoaderError(f"没有从 {path.name} 读出任何文档。{detail}", path,
                              errors[0].line if errors else None)
        return docs, errors
    meta = read_sidecar(path)
    data = read_bytes(path)
    if not data.strip():
        raise empty_file(path)
    if suffix in PLAIN_SUFFIXES and len(data) > 4 * options.max_document_chars:  # UTF-8: ≤ 4 bytes a character
        raise too_long(path, len(data) // 4, options.max_document_chars)
    found = EXTRACTORS[suffix](data, path, options)
    if not found.text.strip():
        raise empty_file(path)
    if len(found.text) > options.max_document_chars:
        raise too_long(path, len(found.text), options.max_document_chars)
    return [_document(path, found, meta)], []


def load_file(path: Path, settings=None, on_page: PageProgress | None = None) -> list[Document]:
    """Load one file. A ``.jsonl`` gives one Document per good line (bad lines are dropped here;
    use :func:`load_jsonl` or :func:`load_paths` to see them). ``settings`` (default: from the
    environment) says whether and how to OCR. Raises :class:`LoaderError`."""
    docs, _ = _load_one(Path(path), ReadOptions.from_settings(settings, on_page))
    return docs


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")


def folder_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(files under ``folder`` that :func:`load_paths` loads, files it skips for their type), both
    sorted, recursively. Hidden files and folders (``.name``), Office lock files (``~$name``) and
    ``*.meta.json`` sidecars are neither: they are not documents."""
    folder = Path(folder)
    found: list[Path] = []
    skipped: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in filenames:
            if _is_hidden(filename) or filename.lower().endswith(SIDECAR_SUFFIX):
                continue
            (found if _supported(Path(filename)) else skipped).append(Path(dirpath) / filename)

    def order(p: Path):
        return p.relative_to(folder).parts
    return sorted(found, key=order), sorted(skipped, key=order)


def iter_supported_files(folder: Path) -> list[Path]:
    """Files under ``folder`` that :func:`load_paths` would load (see :func:`folder_files`)."""
    return folder_files(folder)[0]


def _duplicate_id(doc: Document, first: Document) -> LoaderError:
    path = doc.source.split("#", 1)[0]
    return LoaderError(
        f"文档 ID “{doc.doc_id}” 重复：{Path(path).name} 中的《{doc.title}》与 "
        f"{Path(first.source.split('#', 1)[0]).name} 中已加载的文档正文不同，已跳过。"
        "每篇文档的 ID 必须唯一；请修改其中一个文件的 id（例如加上文件前缀）后重新加载。",
        path,
    )


def _read_file(file: Path, options: ReadOptions) -> Iterator[Document | LoaderError]:
    """One file's documents and errors; never raises (a bad file is one error)."""
    try:
        if file.suffix.lower() == ".jsonl" or is_jsonl_gz(file):
            yield from _iter_jsonl_file(file, options)
            return
        docs, errors = _load_one(file, options)
    except LoaderError as exc:
        yield exc
        return
    except Exception as exc:  # noqa: BLE001 - never let one odd file abort the whole load
        yield LoaderError(f"读取文件失败：{file.name}（{type(exc).__name__}: {exc}）。请检查文件是否损坏后重试。", file)
        return
    yield from errors
    yield from docs


def iter_documents(paths: Iterable[Path], settings=None,
                   on_page: PageProgress | None = None) -> Iterator[Document | LoaderError]:
    """Files and folders (recursively) as a stream of documents and errors, in a fixed order (the
    same input gives the same sequence, which is what lets an interrupted build skip what it has
    done). A file named twice is read once; a document id met again is kept once when the text is
    the same and is an error (the later one skipped) when it is not. Only ids and text hashes are
    remembered, never the documents."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    options = ReadOptions.from_settings(settings, on_page)
    seen_files: set[Path] = set()
    seen_ids: dict[str, tuple[str, Document]] = {}  # id → (text hash, the document without its text)

    def read(file: Path) -> Iterator[Document | LoaderError]:
        key = file.resolve()
        if key in seen_files:
            return
        seen_files.add(key)
        for item in _read_file(file, options):
            if isinstance(item, LoaderError):
                yield item
                continue
            digest = content_hash(item.text)
            first = seen_ids.get(item.doc_id)
            if first is None:
                seen_ids[item.doc_id] = (digest, Document(item.doc_id, item.title, item.source, ""))
                yield item
            elif first[0] != digest:
                yield _duplicate_id(item, first[1])

    for item in paths:
        item = Path(item)
        if item.is_dir():
            try:
                files, skipped = folder_files(item)
            except OSError as exc:
                yield LoaderError(f"无法读取文件夹：{item.name}（{exc.strerror or exc}）。请检查权限后重试。", item)
                continue
            for file in skipped:  # named, with the reason, never silently
                if file.resolve() not in seen_files:
                    seen_files.add(file.resolve())
                    yield unsupported(file)
            for file in files:
                yield from read(file)
        elif item.exists():
            if is_sidecar(item):
                continue  # metadata, read together with its file
            yield from read(item)
        else:
            yield LoaderError(f"找不到文件或文件夹：{item.name}。请检查路径是否正确。", item)


def load_paths(paths: Iterable[Path], settings=None,
               on_page: PageProgress | None = None) -> tuple[list[Document], list[LoaderError]]:
    """Load files and folders (recursively): :func:`iter_documents` collected. Returns the documents
    and the errors, one per bad file or bad JSON Lines line; one bad file never stops the rest.
    ``settings`` (default: from the environment) says whether and how to OCR; ``on_page(file name,
    k, n)`` is called before OCR of the k-th of a file's n scanned pages."""
    docs: list[Document] = []
    errors: list[LoaderError] = []
    for item in iter_documents(paths, settings, on_page):
        (errors if isinstance(item, LoaderError) else docs).append(item)
    return docs, errors
