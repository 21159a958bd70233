"""Shared pieces of the web app: HTML rendering (every piece of document text goes through
:func:`esc`), the “查看原文” viewer, the page's JavaScript and CSS, and Chinese error messages."""

from __future__ import annotations

import html
import logging
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from ..lecture import paragraph_number
from ..normalize import normalize
from ..schema import Document

log = logging.getLogger("assistant.ui")

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
    p_lo = text.rfind("\n", 0, start) + 1
    p_hi = text.find("\n", end)
    p_hi = len(text) if p_hi < 0 else p_hi
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


def no_file() -> gr.File:
    """An empty, hidden download slot."""
    return gr.File(value=None, visible=False)


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


# ---------------------------------------------------------------------------------------------- errors
USER_ERRORS = ("QuestionError", "LoaderError", "FeedbackError", "IndexUnavailable", "ModelError", "UserError")


class UserError(ValueError):
    """A message for the user (Chinese), shown as is."""


def user_message(exc: BaseException) -> str:
    """A clear Chinese message for ``exc``; unexpected errors are logged with their traceback and
    shown without it."""
    names = {c.__name__ for c in type(exc).__mro__}
    if names & set(USER_ERRORS):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "内存不足，无法完成此操作：请缩小文件或问题后重试。"
    log.exception("unexpected error in the web app", exc_info=exc)
    return f"出错了：程序内部错误（{type(exc).__name__}）。请稍后重试；如果问题持续出现，请联系管理员查看服务日志。"


# ---------------------------------------------------------------------------------------------- viewer
VIEWER_HINT = ('<div class="doc-hint">点击出处卡片里的“查看原文”，这里会显示整篇文档，'
               '并自动滚动到引文处（黄色标出）。</div>')


@dataclass
class DocViewer:
    """The “查看原文” panel of a tab: an accordion holding the whole document."""

    assistant: object
    accordion: gr.Accordion
    html: gr.HTML

    @classmethod
    def create(cls, assistant, prefix: str, open_: bool = False) -> "DocViewer":
        with gr.Accordion("查看原文", open=open_, elem_id=f"{prefix}-viewer", elem_classes=["doc-viewer"]) as acc:
            view = gr.HTML(VIEWER_HINT, js_on_load=VIEWER_JS, elem_id=f"{prefix}-doc", elem_classes=["doc-panel"])
        return cls(assistant, acc, view)

    def open(self, evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        doc_id = data.get("doc_id") if isinstance(data, dict) else None
        if not doc_id:  # a click that was not on a “查看原文” button
            return gr.skip(), gr.skip()
        try:
            doc = self.assistant.document(str(doc_id))
            if doc is None:
                return notice("该文档已不在当前索引中（可能已被删除），无法查看原文。", "error"), gr.Accordion(open=True)
            start, end = int(data.get("start", 0)), int(data.get("end", 0))
            return document_html(doc, start, end), gr.Accordion(open=True)
        except Exception as exc:  # noqa: BLE001
            return notice(user_message(exc), "error"), gr.Accordion(open=True)

    def connect(self, *sources: gr.HTML) -> None:
        for src in sources:
            src.click(self.open, None, [self.html, self.accordion], show_progress="hidden", concurrency_limit=None)


def stream_pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


# ---------------------------------------------------------------------------------------------- JS / CSS
# Clicks inside result panes: [n] opens its card, 查看原文 asks the server for the document,
# example buttons ask their question, 复制 copies an answer with its citations.
RESULTS_JS = r"""
element.addEventListener('click', (ev) => {
  const t = ev.target;
  if (!t || !t.closest) return;
  const cite = t.closest('a.cite');
  if (cite) {
    ev.preventDefault();
    const card = document.getElementById(cite.getAttribute('data-target') || '');
    if (card) {
      if (card.tagName === 'DETAILS') card.open = true;
      card.classList.remove('flash'); void card.offsetWidth; card.classList.add('flash');
      card.scrollIntoView({block: 'nearest'});
    }
    return;
  }
  const view = t.closest('.view-doc');
  if (view) {
    ev.preventDefault();
    trigger('click', {doc_id: view.dataset.doc, start: Number(view.dataset.start), end: Number(view.dataset.end)});
    return;
  }
  const ex = t.closest('.example-q');
  if (ex) {
    ev.preventDefault();
    trigger('click', {question: ex.dataset.q});
    return;
  }
  const copy = t.closest('.copy-answer');
  if (copy) {
    ev.preventDefault();
    const src = document.getElementById(copy.dataset.target || '');
    if (!src) return;
    const text = src.value;
    if (!copy.dataset.label) copy.dataset.label = copy.textContent;
    const done = () => {
      copy.textContent = '已复制';
      setTimeout(() => { copy.textContent = copy.dataset.label; }, 1500);
    };
    const fallback = () => {
      src.hidden = false; src.select();
      try { document.execCommand('copy'); done(); } catch (e) {}
      src.hidden = true;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else { fallback(); }
  }
});
"""

# The viewer scrolls to the marked passage whenever a new document view arrives (or when its
# accordion opens and the passage becomes visible).
VIEWER_JS = r"""
let last = null;
const go = () => {
  const box = element.querySelector('[data-nonce]');
  if (!box) return;
  const nonce = box.getAttribute('data-nonce');
  if (nonce === last) return;
  const mark = box.querySelector('mark.target');
  if (!mark || mark.offsetParent === null) return;
  last = nonce;
  mark.scrollIntoView({block: 'center'});
};
new MutationObserver(() => requestAnimationFrame(go))
  .observe(element, {childList: true, subtree: true, characterData: true, attributes: true});
if (window.ResizeObserver) new ResizeObserver(() => requestAnimationFrame(go)).observe(element);
setTimeout(go, 50);
"""

CSS = r"""
.gradio-container { max-width: 1280px !important; margin: 0 auto !important; }
#app-header h1 { margin: 0.2em 0 0.1em; font-size: 1.6em; }
#app-header p { margin: 0; color: var(--body-text-color-subdued); }
.muted, .doc-hint { color: var(--body-text-color-subdued); font-size: 0.92em; }

/* notices */
.notice { border-radius: 8px; padding: 8px 12px; margin: 6px 0; border: 1px solid var(--border-color-primary); }
.notice.error { border-color: #dc2626; background: #fef2f2; color: #991b1b; }
.notice.ok { border-color: #16a34a; background: #f0fdf4; color: #14532d; }
.notice.warn { border-color: #d97706; background: #fffbeb; color: #78350f; }
.dark .notice.error { background: #3b1111; color: #fecaca; }
.dark .notice.ok { background: #0f2e1a; color: #bbf7d0; }
.dark .notice.warn { background: #3a2a0a; color: #fde68a; }

/* chat */
.chat { display: flex; flex-direction: column; gap: 14px; }
.chat-empty { padding: 12px; color: var(--body-text-color-subdued); }
.msg.user { align-self: flex-end; max-width: 88%; }
.msg.user .bubble { background: var(--color-accent-soft); border-radius: 12px 12px 2px 12px; padding: 8px 12px; }
.msg.user .resolved { font-size: 0.85em; color: var(--body-text-color-subdued); margin-top: 2px; text-align: right; }
.msg.bot { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 10px 14px;
           background: var(--background-fill-primary); }
.msg.bot .meta { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; font-size: 0.85em; }
.answer-text { line-height: 1.85; white-space: pre-wrap; word-break: break-word; }
.answer-text.streaming::after { content: "▍"; animation: blink 1s steps(1) infinite; }
@keyframes blink { 50% { opacity: 0; } }
.mode-badge { display: inline-block; border-radius: 999px; padding: 1px 10px; background: #e0f2fe; color: #075985; font-weight: 600; }
.mode-badge.llm { background: #ede9fe; color: #5b21b6; }
.mode-badge.pending { background: #f1f5f9; color: #475569; }
.msg.bot.refusal { border-left: 6px solid #d97706; background: #fffbeb; }
.dark .msg.bot.refusal { background: #2b2108; }
.refusal-label { display: inline-block; border-radius: 999px; padding: 1px 10px; background: #fde68a; color: #78350f; font-weight: 700; }
.notes { margin-top: 6px; font-size: 0.88em; color: var(--body-text-color-subdued); }
a.cite { color: #1d4ed8; font-weight: 600; text-decoration: none; cursor: pointer; padding: 0 1px; }
a.cite:hover { text-decoration: underline; }
.sources { margin-top: 8px; }
.sources-title { font-size: 0.85em; font-weight: 600; color: var(--body-text-color-subdued); margin-bottom: 2px; }
.answer-actions { margin-top: 6px; display: flex; gap: 8px; flex-wrap: wrap; }

/* source cards */
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: 6px 0; padding: 4px 10px;
            background: var(--background-fill-secondary); }
.src-card > summary { cursor: pointer; list-style-position: outside; padding: 2px 0; }
.src-card .src-n { font-weight: 700; color: #1d4ed8; }
.src-card .src-title { font-weight: 600; }
.src-card .src-pos { color: var(--body-text-color-subdued); font-size: 0.85em; margin-left: 4px; }
.src-card .src-context { line-height: 1.8; margin: 6px 0; white-space: pre-wrap; word-break: break-word; }
.src-card.flash { animation: flash 1.4s ease-out; }
@keyframes flash { 0% { box-shadow: 0 0 0 3px #f59e0b; } 100% { box-shadow: 0 0 0 0 transparent; } }
mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
mark.q { background: #bfdbfe; }
.dark mark { background: #a16207; color: #fff; }
.dark mark.q { background: #1e40af; }
button.view-doc, button.copy-answer, button.example-q {
  border: 1px solid var(--border-color-primary); border-radius: 999px; background: var(--background-fill-primary);
  padding: 2px 10px; font-size: 0.85em; cursor: pointer; color: inherit; margin: 2px 4px 2px 0; }
button.view-doc:hover, button.copy-answer:hover, button.example-q:hover { border-color: #1d4ed8; color: #1d4ed8; }
.examples { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; }
.examples .label { font-size: 0.85em; color: var(--body-text-color-subdued); margin-right: 4px; }

/* document viewer */
.doc-head { margin-bottom: 6px; }
.doc-title { font-weight: 700; font-size: 1.05em; }
.doc-meta { color: var(--body-text-color-subdued); font-size: 0.85em; }
.doc-view { max-height: 70vh; overflow: auto; white-space: pre-wrap; word-break: break-word; line-height: 1.9;
            border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; }
mark.target { background: #fcd34d; outline: 2px solid #f59e0b; }
.ocr-note { margin: 4px 0; padding: 4px 8px; border-radius: 6px; font-size: 0.85em; background: #f1f5f9; color: #334155; }
.dark .ocr-note { background: #1e293b; color: #cbd5e1; }
.ocr-low { text-decoration: underline dotted #dc2626; text-decoration-thickness: 2px; text-underline-offset: 3px; }
.page-start::before { content: "— 第 " attr(data-page) " 页 —"; display: block; text-align: center;
                      color: var(--body-text-color-subdued); font-size: 0.8em; margin: 6px 0; }

/* search */
.result { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 12px; margin: 8px 0; }
.result .r-head { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: baseline; font-size: 0.9em; }
.result .r-rank { font-weight: 700; color: #1d4ed8; }
.result .r-title { font-weight: 600; }
.result .r-meta { color: var(--body-text-color-subdued); }
.result .r-text { line-height: 1.85; margin: 6px 0; white-space: pre-wrap; word-break: break-word; }

/* lecture outline */
.outline h2 { font-size: 1.25em; margin: 0.6em 0 0.3em; }
.outline h3 { font-size: 1.05em; margin: 0.8em 0 0.2em; }
.outline h4 { font-size: 1em; margin: 0.6em 0 0.2em; }
.outline blockquote { border-left: 4px solid #93c5fd; margin: 6px 0; padding: 4px 12px; white-space: pre-wrap;
                      background: var(--background-fill-secondary); border-radius: 0 8px 8px 0; }
.outline .label-note { font-size: 0.8em; color: var(--body-text-color-subdued); }

/* glossary */
.term { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 12px; margin: 10px 0; }
.term .term-name { font-size: 1.15em; font-weight: 700; }
.term .term-meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin-left: 6px; }
.term .term-def { margin: 6px 0; line-height: 1.85; white-space: pre-wrap; word-break: break-word; }
.term .term-parts { margin-left: 14px; padding-left: 10px; border-left: 3px solid #bfdbfe; }
.term .term-parts .term { margin: 8px 0; }
.term-list-minor { font-size: 0.92em; }

/* phone-width windows: columns stack, controls get room */
@media (max-width: 760px) {
  .gradio-container { padding: 0 6px !important; }
  .stack-mobile { flex-direction: column !important; flex-wrap: wrap !important; }
  .stack-mobile > * { min-width: 100% !important; width: 100% !important; flex: 1 1 100% !important; }
  .msg.user { max-width: 100%; }
  .doc-view { max-height: 60vh; }
  #app-header h1 { font-size: 1.3em; }
}
"""


def theme() -> gr.themes.Base:
    """A calm theme with system Chinese fonts (no web fonts: the app works offline)."""
    fonts = ["system-ui", "-apple-system", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
             "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "sans-serif"]
    return gr.themes.Soft(primary_hue="blue", font=fonts, font_mono=["ui-monospace", "Consolas", "monospace"])


# ---------------------------------------------------------------------------------------------- app context
@dataclass
class AppContext:
    """What every tab needs: the assistant, the settings, the feedback log and a folder for exports."""

    assistant: object
    settings: object
    feedback: object
    exports_dir: Path

    def export_path(self, stem: str, suffix: str) -> Path:
        """A fresh file path for a download (old exports are removed after a day)."""
        self.exports_dir.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - 86400
        for old in self.exports_dir.glob("*/*"):
            try:
                if old.stat().st_mtime < cutoff:
                    old.unlink()
                    old.parent.rmdir()
            except OSError:
                pass
        folder = self.exports_dir / uuid.uuid4().hex[:12]
        folder.mkdir()
        return folder / f"{safe_filename(stem)}{suffix}"


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


def safe_filename(text: str, limit: int = 40) -> str:
    name = _UNSAFE.sub("_", text or "").strip("._") or "导出"
    return name[:limit]
