"""How much one document and one upload may cost the index, checked before anything is embedded.

Characters and pages are checked by the loaders while a file is parsed (``max_document_chars``,
``max_document_pages``, ``max_unpacked_mb``, see :mod:`assistant.loaders.base`). What a document
costs the index is its chunks — each is embedded and searched — so a document new to the index is
chunked here first and refused when it would give more than ``max_document_chunks``; an upload is
refused as a whole past ``max_upload_chars``. A refused document is an error naming the limit and
its setting; the rest of a batch goes on."""

from __future__ import annotations

from collections.abc import Iterable

from .chunking import chunk_document
from .loaders import LoaderError
from .schema import Document


def too_many_chunks(doc: Document, n: int, limit: int) -> LoaderError:
    return LoaderError(f"文档切分后过大：《{doc.title}》有 {n:,} 个文本块，超过每篇 {limit:,} 块的上限"
                       "（ASSISTANT_MAX_DOCUMENT_CHUNKS）。请把它拆成几个较小的文件后再加入。",
                       doc.source.split("#", 1)[0])


def within_limits(documents: list[Document], known: Iterable[str], settings) -> tuple[list[Document], list[LoaderError]]:
    """(the documents within the chunk limit, an error for each one over it). Documents whose id is
    ``known`` (already indexed, so already within the limit when added) are not chunked again."""
    known = set(known)
    kept: list[Document] = []
    errors: list[LoaderError] = []
    limit = settings.max_document_chunks
    for doc in documents:
        if doc.doc_id not in known and len(doc.text) > limit:  # fewer characters cannot give more chunks
            n = len(chunk_document(doc, max_chars=settings.chunk_max_chars, overlap=settings.chunk_overlap_sentences))
            if n > limit:
                errors.append(too_many_chunks(doc, n, limit))
                continue
        kept.append(doc)
    return kept, errors


def check_upload_chars(documents: list[Document], settings) -> None:
    """Raise :class:`LoaderError` when the documents of one upload hold more than ``max_upload_chars``."""
    total = sum(len(d.text) for d in documents)
    if total > settings.max_upload_chars:
        raise LoaderError(f"本次上传的文件合计 {total:,} 字，超过每次上传 {settings.max_upload_chars:,} 字的上限"
                          "（ASSISTANT_MAX_UPLOAD_CHARS），没有加入索引。请分几次上传。")


__all__ = ["within_limits", "check_upload_chars", "too_many_chunks"]
