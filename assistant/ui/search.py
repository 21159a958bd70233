"""检索 tab (researchers): passage search with the query terms highlighted, filters by document
and date, the result count, opening a passage in its document, and CSV / JSONL export.

A search writes nothing to disk: the export files are made when 导出 is clicked (the search is run
again from its parameters, kept in the session), at most ``exports_max_per_minute`` times a minute
per client, and swept away with the other downloads (:meth:`AppContext.export_path`). A CSV cell
never starts a formula (``=HYPERLINK(…)`` in a passage is shown as text in Excel)."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass

import gradio as gr

from ..examples import example_topics, topic_placeholder
from ..index import IndexStore
from ..pipeline import Assistant
from ..schema import Hit
from ..text import paragraph_number
from .assets import results_js
from .context import AppContext, Refresh, no_file
from .errors import UserError, user_message
from .html import doc_position, esc, notice, spans_html, term_spans, view_button
from .viewer import DocViewer

DEFAULT_K = 20
MAX_K = 200
_DATE = re.compile(r"^\s*(\d{4})(?:\s*[-./年]\s*(\d{1,2})(?:\s*[-./月]\s*(\d{1,2})\s*日?)?\s*月?)?\s*年?\s*$")
_DATE_IN_TEXT = re.compile(r"(\d{4})(?:\s*[-./年]\s*(\d{1,2})(?:\s*[-./月]\s*(\d{1,2}))?)?")
QUERY_LEAD = "输入词语或句子"
CSV_COLUMNS = ["序号", "标题", "日期", "文档ID", "起始字", "结束字", "约第几段", "得分", "原文"]


# ---------------------------------------------------------------------------------------------- dates
@dataclass(frozen=True)
class DateRange:
    lo: tuple[int, int, int]
    hi: tuple[int, int, int]


def _range(y: int, m: int | None, d: int | None) -> DateRange:
    return DateRange((y, m or 1, d or 1), (y, m or 12, d or 31))


def parse_date_input(text: str, label: str) -> DateRange | None:
    """A filter date typed by the user (2019 / 2019-05 / 2019-05-01 / 2019年5月1日); None if empty."""
    text = (text or "").strip()
    if not text:
        return None
    m = _DATE.match(text)
    if not m:
        raise UserError(f"{label}“{text}”无法识别：请写成 2019、2019-05 或 2019-05-01 这样的格式。")
    y, mo, d = int(m.group(1)), int(m.group(2)) if m.group(2) else None, int(m.group(3)) if m.group(3) else None
    if (mo is not None and not 1 <= mo <= 12) or (d is not None and not 1 <= d <= 31):
        raise UserError(f"{label}“{text}”不是有效日期：月份应在 1–12，日期应在 1–31。")
    return _range(y, mo, d)


def document_date(text: str) -> DateRange | None:
    """The date range a document's ``date`` field stands for; None when it has none."""
    m = _DATE_IN_TEXT.search(text or "")
    if not m:
        return None
    y = int(m.group(1))
    mo = int(m.group(2)) if m.group(2) and 1 <= int(m.group(2)) <= 12 else None
    d = int(m.group(3)) if mo and m.group(3) and 1 <= int(m.group(3)) <= 31 else None
    return _range(y, mo, d)


def date_allowed(doc_date: str, lo: DateRange | None, hi: DateRange | None, include_undated: bool) -> bool:
    if lo is None and hi is None:
        return True
    r = document_date(doc_date)
    if r is None:
        return include_undated
    if lo is not None and r.hi < lo.lo:
        return False
    if hi is not None and r.lo > hi.hi:
        return False
    return True


# ---------------------------------------------------------------------------------------------- search
@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    words: list[str]  # the query's words, to highlight
    store: IndexStore  # the index the hits came from (documents for positions and exports)
    query: str = ""  # the query as searched (cleaned)


def run_search(assistant: Assistant, query: str, k: int, doc_ids: list[str] | None, date_from: str, date_to: str,
               include_undated: bool) -> SearchResult:
    """Hits for ``query`` under the filters, all from one snapshot of the index."""
    q = assistant.check_question(query)
    lo = parse_date_input(date_from, "起始日期")
    hi = parse_date_input(date_to, "截止日期")
    if lo is not None and hi is not None and lo.lo > hi.hi:
        raise UserError("起始日期晚于截止日期：请调换两个日期后再检索。")
    k = max(1, min(int(k or DEFAULT_K), MAX_K))
    snap = assistant.snapshot
    allowed: set[str] | None = None
    if doc_ids:
        allowed = set(doc_ids)
    if lo is not None or hi is not None:
        dated = {d.doc_id for d in snap.store.documents.values() if date_allowed(d.date, lo, hi, include_undated)}
        allowed = dated if allowed is None else allowed & dated
    parsed = snap.parse(q)
    hits = [] if allowed is not None and not allowed else snap.search(parsed, k=k, doc_ids=allowed)
    return SearchResult(hits, list(parsed.words), snap.store, q)


def result_rows(store: IndexStore, hits: list[Hit]) -> list[dict]:
    rows = []
    for rank, h in enumerate(hits, start=1):
        c = h.chunk
        doc = store.documents.get(c.doc_id)
        rows.append({
            "rank": rank,
            "title": c.title,
            "date": c.date or (doc.date if doc else ""),
            "doc_id": c.doc_id,
            "start": c.start,
            "end": c.end,
            "paragraph": paragraph_number(doc.text, c.start) if doc else None,
            "page": doc.page_at(c.start) if doc else None,
            "score": round(h.score, 6),
            "text": c.text,
            "chunk_id": c.chunk_id,
            "ranks": dict(h.ranks),
        })
    return rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")  # Excel runs a cell that starts so


def csv_cell(value: object) -> object:
    """A CSV cell Excel shows as text: a text starting like a formula gets a leading ``'``
    (``=HYPERLINK(…)`` in a passage must not become a live link in the export)."""
    if isinstance(value, str) and value.lstrip(" ").startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(rows: list[dict], path) -> None:
    """UTF-8 with BOM, so Excel opens the Chinese text correctly; no cell is a formula."""
    with open(path, "w", encoding="utf-8-sig", newline="", errors="replace") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for r in rows:
            w.writerow([csv_cell(v) for v in (r["rank"], r["title"], r["date"], r["doc_id"], r["start"] + 1, r["end"],
                                              r["paragraph"], r["score"], r["text"])])


def write_jsonl(rows: list[dict], query: str, path) -> None:
    with open(path, "w", encoding="utf-8", errors="replace") as fh:
        for r in rows:
            fh.write(json.dumps(dict(r, query=query), ensure_ascii=False) + "\n")


def results_html(store: IndexStore, hits: list[Hit], words: list[str]) -> str:
    out = []
    for rank, h in enumerate(hits, start=1):
        c = h.chunk
        doc = store.documents.get(c.doc_id)
        pos = doc_position(doc, c.start, c.end) if doc else ""
        date = c.date or (doc.date if doc else "")
        via = "、".join({"dense": "语义", "bm25": "关键词"}.get(k, k) for k in h.ranks) or "—"
        out.append(
            f'<div class="result" id="search-r-{rank}"><div class="r-head"><span class="r-rank">#{rank}</span>'
            f'<span class="r-title">《{esc(c.title)}》</span>'
            f'<span class="r-meta">{esc(pos)}{" · " + esc(date) if date else ""} · 得分 {h.score:.4f} · 命中：{esc(via)}</span>'
            f'</div><div class="r-text">{spans_html(c.text, term_spans(c.text, words))}</div>'
            f'<div class="r-actions">{view_button(c.doc_id, c.start, c.end, "在原文中查看")}</div></div>'
        )
    return "".join(out)


# ---------------------------------------------------------------------------------------------- the tab
def build(ctx: AppContext) -> list[Refresh]:
    with gr.Row(elem_classes=["stack-mobile"]):
        with gr.Column(scale=3, min_width=320):
            with gr.Row(elem_classes=["stack-mobile"]):
                query = gr.Textbox(label="检索词", scale=5, elem_id="search-query",
                                   placeholder=topic_placeholder(example_topics(ctx.store()), QUERY_LEAD))
                search_btn = gr.Button("检索", variant="primary", scale=1, min_width=100, elem_id="search-go")
            with gr.Accordion("筛选条件", open=False, elem_id="search-filters"):
                docs = gr.Dropdown(choices=ctx.doc_choices(), multiselect=True, label="限定文档（不选 = 全部文档）",
                                   elem_id="search-docs")
                with gr.Row(elem_classes=["stack-mobile"]):
                    date_from = gr.Textbox(label="起始日期", placeholder="如 2019 或 2019-05-01", elem_id="search-from")
                    date_to = gr.Textbox(label="截止日期", placeholder="如 2020-12-31", elem_id="search-to")
                    undated = gr.Checkbox(value=True, label="包含没有日期的文档", elem_id="search-undated")
                k = gr.Slider(5, MAX_K, value=DEFAULT_K, step=5, label="最多显示条数", elem_id="search-k")
            count = gr.HTML("", elem_id="search-count")
            export_btn = gr.Button("导出检索结果（CSV / JSONL）", size="sm", visible=False, elem_id="search-export")
            searched = gr.State(None)  # the last search's parameters, for the export
            with gr.Row(elem_classes=["stack-mobile"]):
                csv_file = gr.File(label="导出 CSV（Excel 可直接打开）", interactive=False, visible=False,
                                   elem_id="search-csv")
                jsonl_file = gr.File(label="导出 JSONL", interactive=False, visible=False, elem_id="search-jsonl")
            results = gr.HTML("", js_on_load=results_js(), elem_id="search-results")
        with gr.Column(scale=2, min_width=300):
            viewer = DocViewer.create(ctx, "search")

    def search(q, k_value, doc_ids, d_from, d_to, include_undated):
        params = (q, k_value, doc_ids, d_from, d_to, include_undated)
        try:
            found = run_search(ctx.assistant, *params)
        except Exception as exc:  # noqa: BLE001
            return notice(user_message(exc), "error"), "", gr.Button(visible=False), None, no_file(), no_file()
        hits = found.hits
        if not hits:
            return (notice("没有找到符合条件的段落：请换个说法，或放宽文档 / 日期筛选。", "warn"), "",
                    gr.Button(visible=False), None, no_file(), no_file())
        n_docs = len({h.chunk.doc_id for h in hits})
        summary = (f'<div class="notice info">共找到 <b>{len(hits)}</b> 条结果，来自 {n_docs} 篇文档'
                   f'（按相关度排序，最多显示 {int(k_value or DEFAULT_K)} 条）。检索词已用蓝色标出。</div>')
        return (summary, results_html(found.store, hits, found.words), gr.Button(visible=True), params, no_file(),
                no_file())

    def export(params, request: gr.Request):
        try:
            if not params:
                raise UserError("请先检索，再导出检索结果。")
            ctx.check_export(request)
            found = run_search(ctx.assistant, *params)
            rows = result_rows(found.store, found.hits)
            stem = f"检索结果_{found.query}"
            csv_path = ctx.export_path(stem, ".csv")
            write_csv(rows, csv_path)
            jsonl_path = ctx.export_path(stem, ".jsonl")
            write_jsonl(rows, found.query, jsonl_path)
        except Exception as exc:  # noqa: BLE001
            return notice(user_message(exc), "error"), no_file(), no_file()
        return gr.skip(), gr.File(value=str(csv_path), visible=True), gr.File(value=str(jsonl_path), visible=True)

    args = dict(fn=search, inputs=[query, k, docs, date_from, date_to, undated],
                outputs=[count, results, export_btn, searched, csv_file, jsonl_file], concurrency_id="read",
                concurrency_limit=ctx.settings.read_concurrency)
    query.submit(**args)
    search_btn.click(**args)
    export_btn.click(export, [searched], [count, csv_file, jsonl_file], concurrency_id="read",
                     concurrency_limit=ctx.settings.read_concurrency)
    viewer.connect(results)

    def refresh(current):
        choices = ctx.doc_choices()
        valid = {c[1] for c in choices}
        placeholder = topic_placeholder(example_topics(ctx.store()), QUERY_LEAD)
        return gr.Dropdown(choices=choices, value=[v for v in (current or []) if v in valid]), gr.Textbox(
            placeholder=placeholder)

    return [Refresh(refresh, [docs], [docs, query])]
