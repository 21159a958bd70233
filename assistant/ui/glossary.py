"""术语 tab: the numbered formulas the corpus defines (三个四, 四拼四争 …), each with its definition
quoted and cited, nested where a formula is made of others. Everything comes from the index's
glossary, so a new document brings its own terms."""

from __future__ import annotations

import gradio as gr

from ..index import IndexStore
from ..normalize import normalize
from ..terms import Term, TermSpan
from .assets import results_js
from .context import AppContext, Refresh
from .errors import user_message
from .html import doc_position, esc, notice, view_button
from .viewer import DocViewer

MAX_DEFINITIONS = 2
MAX_MINOR = 300  # terms without a definition listed at most (a large corpus has many)
FILTER_LEAD = "输入术语中的字词"


def _order(store: IndexStore) -> dict[str, tuple]:
    doc_rank = {doc_id: i for i, doc_id in enumerate(store.documents)}
    keys = {}
    for name, term in store.glossary.items():
        spans = term.mentions or term.definitions
        keys[name] = min(((doc_rank.get(s.doc_id, 1 << 30), s.start) for s in spans), default=(1 << 30, 0))
    return keys


def _quote_block(store: IndexStore, span: TermSpan, label: str) -> str:
    doc = store.documents.get(span.doc_id)
    if doc is None:
        return ""
    text = doc.text[span.start : span.end]
    return (
        f'<div class="term-def-wrap"><div class="sources-title">{esc(label)}</div>'
        f'<blockquote class="term-def">{esc(text)}</blockquote>'
        f'<div class="term-cite muted">出处：《{esc(doc.title)}》{esc(doc_position(doc, span.start, span.end))} '
        f'{view_button(doc.doc_id, span.start, span.end)}</div></div>'
    )


def _term_card(store: IndexStore, term: Term, ident: str, depth: int = 0, seen: frozenset = frozenset()) -> str:
    n_docs = len(term.doc_ids)
    meta = f"出现 {len(term.mentions)} 次" + (f" · {n_docs} 篇文档" if n_docs > 1 else "")
    body = []
    for k, span in enumerate(term.definitions[:MAX_DEFINITIONS]):
        body.append(_quote_block(store, span, "定义" if k == 0 else "另见"))
    parts = [store.glossary[p] for p in term.parts if p in store.glossary and p not in seen]
    if not term.definitions and term.mentions:
        body.append(_quote_block(store, term.mentions[0], "资料中的说法（未找到单独的定义）" if not parts else "首次出现"))
    if parts:
        nested = "".join(_term_card(store, p, f"{ident}-{i}", depth + 1, seen | {term.term})
                         for i, p in enumerate(parts, start=1))
        names = "、".join(f"“{esc(p.term)}”" for p in parts)
        body.append(f'<div class="term-parts"><div class="sources-title">由 {len(parts)} 个说法组成：{names}</div>'
                    f"{nested}</div>")
    return (f'<div class="term" id="{esc(ident)}" data-term="{esc(term.term)}" data-depth="{depth}">'
            f'<div><span class="term-name">“{esc(term.term)}”</span><span class="term-meta">{esc(meta)}</span></div>'
            f'{"".join(body)}</div>')


def glossary_html(store: IndexStore, query: str = "") -> str:
    glossary = store.glossary
    if not glossary:
        return notice("资料中还没有找到编号式的说法（如“三个四”“四拼四争”）。上传包含这类说法的文档后会自动出现在这里。")
    order = _order(store)
    parts_of = {p for t in glossary.values() for p in t.parts if p in glossary and p != t.term}
    main = [t for t in glossary.values() if (t.definitions or t.parts) and t.term not in parts_of]
    minor = [t for t in glossary.values() if not t.definitions and not t.parts and t.term not in parts_of]
    main.sort(key=lambda t: order[t.term])
    minor.sort(key=lambda t: order[t.term])
    q = normalize((query or "").strip())
    if q:
        def hit(t: Term) -> bool:
            return q in normalize(t.term) or any(q in normalize(p) for p in t.parts)

        main = [t for t in main if hit(t)]
        minor = [t for t in minor if hit(t)]
        # a part that matches shows inside its parent; a match that is only a part is shown on its own too
        for name in sorted(parts_of, key=lambda n: order[n]):
            t = glossary[name]
            if q in normalize(name) and not any(name in m.parts for m in main):
                main.append(t)
    n_defined = sum(1 for t in glossary.values() if t.definitions)
    out = [f'<div class="muted">资料中共找到 {len(glossary)} 个编号式说法，其中 {n_defined} 个有明确定义；'
           '组合式说法（如由几个“四个……”组成的“三个四”）下面嵌套列出其组成部分。</div>']
    if q and not main and not minor:
        out.append(notice(f"没有找到包含“{query.strip()}”的术语。", "warn"))
    for i, t in enumerate(main, start=1):
        out.append(_term_card(store, t, f"term-{i}"))
    if minor:
        items = [_term_card(store, t, f"term-m-{i}") for i, t in enumerate(minor[:MAX_MINOR], start=1)]
        more = f"（只列出前 {MAX_MINOR} 个，可用上面的查找框筛选）" if len(minor) > MAX_MINOR else ""
        out.append('<details class="term-list-minor"><summary>只被提及、资料中没有定义的说法'
                   f"（{len(minor)} 个）{more}</summary>{''.join(items)}</details>")
    return "".join(out)


def filter_placeholder(store: IndexStore | None) -> str:
    """“输入术语中的字词，例如：X” with X the start of the corpus's best-known formula."""
    names = sorted(store.glossary.values(), key=lambda t: -len(t.mentions)) if store is not None else []
    return f"{FILTER_LEAD}，例如：{names[0].term[:2]}" if names else FILTER_LEAD


def build(ctx: AppContext) -> list[Refresh]:
    with gr.Row(elem_classes=["stack-mobile"]):
        with gr.Column(scale=3, min_width=320):
            query = gr.Textbox(label="查找术语", placeholder=filter_placeholder(ctx.store()), elem_id="glossary-filter")
            view = gr.HTML("", js_on_load=results_js(), elem_id="glossary-list")
        with gr.Column(scale=2, min_width=300):
            viewer = DocViewer.create(ctx, "glossary")

    def render(q: str = ""):
        try:
            return glossary_html(ctx.assistant.store, q)
        except Exception as exc:  # noqa: BLE001
            return notice(user_message(exc), "error")

    def refresh(q: str = ""):
        return render(q), gr.Textbox(placeholder=filter_placeholder(ctx.store()))

    query.change(render, [query], [view], show_progress="hidden", concurrency_limit=None)
    viewer.connect(view)
    return [Refresh(refresh, [query], [view, query])]
