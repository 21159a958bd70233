"""PDF → text, page by page: the text layer where a page has one, OCR where it has none.

A scanned PDF (a stamped 红头文件, a printed report) has pages that are only pictures. Such a page
— one whose text layer holds fewer than ``MIN_TEXT_LAYER_CHARS`` visible characters — is rendered
with pypdfium2 (which applies the page's own rotation) and read by OCR; the OCR text is kept when
it is longer than the text layer. Text pages stay text, so a mixed PDF is read both ways. Every
page's start offset is kept, so a citation can say 第 N 页."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

from .base import Extracted, LoaderError, ReadOptions, too_long, too_many_pages
from .ocr import page_progress, recognise
from .pages import PageText, assemble

log = logging.getLogger(__name__)

MIN_TEXT_LAYER_CHARS = 10


def _visible(text: str) -> int:
    return len(re.sub(r"\s+", "", text))


def _read_text_layer(data: bytes, path: Path, options: ReadOptions) -> tuple[list[str], str]:
    """(text of each page, metadata title); a PDF of more pages or characters than the limits is
    refused before (pages) or while (characters) its text is read."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoaderError(f"PDF 文件已加密：{path.name}。请先去掉密码保护再上传。", path)
        if len(reader.pages) > options.max_document_pages:
            raise too_many_pages(path, len(reader.pages), options.max_document_pages)
        texts, chars = [], 0
        for page in reader.pages:
            texts.append(page.extract_text() or "")
            chars += len(texts[-1])
            if chars > options.max_document_chars:
                raise too_long(path, chars, options.max_document_chars)
    except LoaderError:
        raise
    except Exception as exc:
        raise LoaderError(
            f"无法读取 PDF 文件：{path.name}（{type(exc).__name__}）。文件可能已损坏或已加密；"
            "请用 PDF 阅读器另存一份后重试。",
            path,
        ) from None
    title = ""
    try:
        meta = reader.metadata
        if meta is not None and meta.title:
            title = str(meta.title).strip()
    except Exception:
        title = ""
    return texts, title


def _ocr_pages(data: bytes, path: Path, numbers: list[int], texts: list[str], options: ReadOptions) -> dict[int, PageText]:
    """OCR of the pages ``numbers`` (0-based); a page whose reading is not longer than its text
    layer is left out."""
    import pypdfium2 as pdfium

    found: dict[int, PageText] = {}
    document = pdfium.PdfDocument(data)
    try:
        with page_progress(options, path.name, len(numbers)) as step:
            for k, i in enumerate(numbers, start=1):
                step(k)
                page = document[i]
                try:
                    image = page.render(scale=options.ocr_dpi / 72).to_pil()
                finally:
                    page.close()
                result = recognise(image, options.ocr_min_confidence)
                if _visible(result.text) > _visible(texts[i]):
                    found[i] = PageText(result.text, ocr=True, low_confidence=result.low_confidence)
    finally:
        document.close()
    return found


def extract_pdf(data: bytes, path: Path, options: ReadOptions) -> Extracted:
    texts, title = _read_text_layer(data, path, options)
    pages = [PageText(t) for t in texts]
    scanned = [i for i, t in enumerate(texts) if _visible(t) < MIN_TEXT_LAYER_CHARS]
    if scanned and options.ocr:
        try:
            for i, page in _ocr_pages(data, path, scanned, texts, options).items():
                pages[i] = page
        except LoaderError:
            raise
        except Exception as exc:  # pdfium cannot render it: say so, keep nothing half-read
            raise LoaderError(
                f"无法为文字识别渲染 PDF 页面：{path.name}（{type(exc).__name__}: {exc}）。"
                "请用 PDF 阅读器另存一份后重试。",
                path,
            ) from None
    extracted = assemble(pages, title=title)
    if not extracted.text.strip():
        if not options.ocr:
            why = "文字识别（OCR）已关闭（ASSISTANT_OCR=0），请去掉该设置后重新加载，或上传文字版。"
        else:
            why = "文字识别（OCR）也没有识别出文字；请确认扫描清晰、页面完整，或上传文字版。"
        raise LoaderError(f"PDF 中没有可提取的文字：{path.name}。它可能是扫描件或图片 PDF，{why}", path)
    if scanned and not options.ocr:
        log.warning("%s: %d 页没有文字层，文字识别已关闭，这些页未读取。", path.name, len(scanned))
    return extracted
