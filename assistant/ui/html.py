"""HTML for the web app: every piece of document, user or file text goes through :func:`esc`.
Source cards (a quoted passage in its paragraph), highlighted search hits, the whole document
for “查看原文” (with its pages and OCR doubts marked), notices and example buttons."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..normalize import normalize
from ..schema import Document
from ..text import paragraph_bounds, paragraph_number

CONTEXT_CHARS = 150  # characters of surrounding text shown around a quoted passage


# ---------------------------------------------------------------------------------------------- text → HTML
def esc(text: object) -> str:
    """HTML-escape anything that came from a document, a user or a file name."""
    return html.escape("" if text is None else str(text), quote=True)


def position_text(text: str, start: int, end: int) -> str:
    """第 x–y 字 · 约第 n 段 (1-based, inclusive character positions)."""
    return f"第 {start + 1}–{max(end, start + 1)} 字 · 约第 {paragraph_number(text, start)} 段"


def doc_position(doc: Document, start: int, end: int) -> str:
    """:func:`position_text`, then 第 N 页 for a paged document (PDF, scan) and whether the passage
    was read by OCR."""
    parts = [position_text(doc.text, start, end)]
    page = doc.page_at(start)
    if page is not None:
        parts.append(f"第 {page} 页")
    if doc.from_ocr(start, end):
        parts.append("OCR 识别")
    return " · ".join(parts)


def spans_html(text: str, spans: Iterable[tuple[int, int]], cls: str = "q") -> str:
    """``text`` escaped, with the (possibly overlapping) ``spans`` wrapped in ``<mark class=cls>``."""
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(esc(text[pos:s]))
        out.append(f'<mark class="{cls}">{esc(text[s:e])}</mark>')
        pos = e
    out.append(esc(text[pos:]))
    return "".join(out)


def term_spans(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Where the (normalised) query ``words`` occur in ``text`` (matching on its normalised form,
    which keeps offsets, so 县*府 is found for 县政府)."""
    norm = normalize(text)
    spans = []
    for w in sorted({w for w in words if w and w.strip()}, key=len, reverse=True):
        for m in re.finditer(re.escape(w), norm):
            spans.append((m.start(), m.end()))
    return spans


def context_html(text: str, start: int, end: int, radius: int = CONTEXT_CHARS, mark_id: str = "") -> str:
    """The passage ``text[start:end]`` in ``<mark>`` within its paragraph (at most ``radius``
    characters either side, “……” where cut)."""
    p_lo, p_hi = paragraph_bounds(text, start, end)
    lo = max(p_lo, start - radius)
    hi = min(p_hi, end + radius)
    ident = f' id="{esc(mark_id)}"' if mark_id else ""
    return (
        ("……" if lo > p_lo else "")
        + esc(text[lo:start])
        + f'<mark class="quote"{ident}>{esc(text[start:end])}</mark>'
        + esc(text[end:hi])
        + ("……" if hi < p_hi else "")
    )


def view_button(doc_id: str, start: int, end: int, label: str = "查看原文") -> str:
    return (f'<button type="button" class="view-doc" data-doc="{esc(doc_id)}" data-start="{int(start)}" '
            f'data-end="{int(end)}" title="在“查看原文”面板中打开整篇文档，并定位到这段引文">{esc(label)}</button>')


def source_card(card_id: str, label: str, doc: Document | None, title: str, start: int, end: int,
                open_: bool = False, extra_class: str = "") -> str:
    """A collapsible card: [n] title · position, then the passage highlighted in its context."""
    title = doc.title if doc is not None else title
    if doc is None:
        body = '<p class="muted">该文档已不在当前索引中（可能已被删除）。</p>'
        pos = ""
    else:
        note = ""
        if doc.uncertain(start, end):
            note = ('<div class="ocr-note">这段引文由 OCR 从扫描件或图片识别，其中有识别置信度低的文字，'
                    '请对照原件核实。</div>')
        body = (f'<div class="src-context">{context_html(doc.text, start, end)}</div>{note}'
                f'<div class="src-actions">{view_button(doc.doc_id, start, end)}</div>')
        pos = doc_position(doc, start, end)
    date = f' · {esc(doc.date)}' if doc is not None and doc.date else ""
    return (
        f'<details class="src-card {esc(extra_class)}" id="{esc(card_id)}"{" open" if open_ else ""}>'
        f'<summary><span class="src-n">{esc(label)}</span> <span class="src-title">《{esc(title)}》</span>'
        f'<span class="src-pos">{esc(pos)}{date}</span></summary>{body}</details>'
    )


def notice(message: str, kind: str = "info") -> str:
    role = ' role="alert"' if kind == "error" else ""
    return f'<div class="notice {esc(kind)}"{role}>{esc(message)}</div>'


def _annotated(doc: Document, lo: int, hi: int) -> str:
    """``doc.text[lo:hi]`` escaped, OCR's uncertain spans in ``<span class="ocr-low">`` and, in a
    document of several pages, an empty ``<span class="page-start">`` where a page begins (its label
    is drawn by CSS, so the text content stays the document's text)."""
    text = doc.text
    pages = [(s, n) for n, s in enumerate(doc.page_starts, start=1) if lo <= s < hi] if len(doc.page_starts) > 1 else []
    low = [(max(s, lo), min(e, hi)) for s, e in doc.low_confidence if s < hi and lo < e]
    cuts = sorted({lo, hi, *(s for s, _ in pages), *(p for span in low for p in span)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        out.extend(f'<span class="page-start" data-page="{n}"></span>' for s, n in pages if s == a)
        piece = esc(text[a:b])
        out.append(f'<span class="ocr-low" title="OCR 识别置信度低，可能有误">{piece}</span>'
                   if any(s <= a and b <= e for s, e in low) else piece)
    return "".join(out)


def document_html(doc: Document, start: int, end: int) -> str:
    """The whole document, the passage in ``<mark class="target">``; a nonce makes every opening
    a change, so the viewer scrolls to the passage even when the same one is opened again."""
    text = doc.text
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    meta = [f"共 {len(text)} 字"]
    if doc.page_starts:
        meta.append(f"共 {len(doc.page_starts)} 页")
    if doc.date:
        meta.append(f"日期：{doc.date}")
    if doc.author:
        meta.append(f"作者：{doc.author}")
    source_name = Path(doc.source.split("#", 1)[0]).name if doc.source else ""
    if source_name:
        meta.append(f"文件：{source_name}")
    ocr = ""
    if doc.ocr_pages:
        pages = "、".join(str(p) for p in doc.ocr_pages)
        low = "；虚线标出的是识别置信度低的文字" if doc.low_confidence else ""
        ocr = (f'<div class="ocr-note">第 {esc(pages)} 页的文字由 OCR 从扫描件或图片识别，可能有错字{low}，'
               '引用前请对照原件核实。</div>')
    return (
        f'<div class="doc-wrap" data-nonce="{uuid.uuid4().hex[:10]}" data-doc="{esc(doc.doc_id)}">'
        f'<div class="doc-head"><div class="doc-title">《{esc(doc.title)}》</div>'
        f'<div class="doc-meta">{esc(" · ".join(meta))} · 引文位置：{esc(doc_position(doc, start, end))}</div>'
        f'{ocr}</div>'
        f'<div class="doc-view">{_annotated(doc, 0, start)}<mark class="target" id="doc-target">'
        f'{_annotated(doc, start, end)}</mark>{_annotated(doc, end, len(text))}</div></div>'
    )


def examples_html(label: str, items: Sequence[str]) -> str:
    """Example buttons (``.example-q``; results.js sends the clicked one to the server)."""
    if not items:
        return ""
    buttons = "".join(f'<button type="button" class="example-q" data-q="{esc(q)}">{esc(q)}</button>' for q in items)
    return f'<div class="examples"><span class="label">{esc(label)}</span>{buttons}</div>'
