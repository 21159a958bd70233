"""备课 tab (trainers): a topic in, an outline out — key points with verbatim quotes, typical
stories, numbered sources — downloadable as Markdown and Word."""

from __future__ import annotations

import gradio as gr

from ..lecture import Outline, Quote, build_outline, outline_to_docx, outline_to_markdown
from .common import RESULTS_JS, AppContext, DocViewer, esc, no_file, notice, source_card, user_message

_CN = "一二三四五六七八九十"
MAX_TOPIC_EXAMPLES = 6


def _cite(q: Quote) -> str:
    target = f"prep-src-{q.n}"
    return f'<sup><a class="cite" href="#{target}" data-target="{target}" title="查看出处 {q.n}">[{q.n}]</a></sup>'


def _quote(q: Quote) -> str:
    return f'<blockquote class="quote">{esc(q.text)}{_cite(q)}</blockquote>'


def outline_html(outline: Outline, store) -> str:
    out = [f'<div class="outline"><h2>备课提纲：{esc(outline.topic)}</h2>',
           '<div class="muted">引文均为资料原文（未改写），方括号数字是出处，点击可展开原文段落；小标题取自引文，仅作提示。</div>']
    for note in outline.notes:
        out.append(notice(note, "warn"))
    section = 0
    if outline.points:
        out.append(f"<h3>{_CN[section]}、要点</h3>")
        section += 1
        for i, p in enumerate(outline.points, start=1):
            out.append(f'<h4>{i}. {esc(p.heading)}</h4>')
            if p.parts:
                out.append(f'<div class="muted">由{"、".join("“" + esc(x) + "”" for x in p.parts)}组成（见下）。</div>')
            out += [_quote(q) for q in p.quotes]
    if outline.stories:
        out.append(f"<h3>{_CN[section]}、典型事例</h3>")
        for i, s in enumerate(outline.stories, start=1):
            out.append(f'<h4>事例 {i}：{esc(s.heading)}</h4>')
            out.append(_quote(s.quote))
    if outline.sources:
        out.append("<h3>资料来源</h3>")
        for src in outline.sources:
            doc = store.documents.get(src.doc_id) if store is not None else None
            out.append(source_card(f"prep-src-{src.n}", f"[{src.n}]", doc, src.title, src.start, src.end))
    out.append("</div>")
    return "".join(out)


def topic_examples(store) -> list[str]:
    names = []
    for term in store.glossary.values():
        if term.definitions or len(term.parts) >= 2:
            names.append((-len(term.mentions) - 3 * len(term.parts), term.term))
    names.sort()
    return [n for _, n in names[:MAX_TOPIC_EXAMPLES]]


def examples_html(topics: list[str]) -> str:
    if not topics:
        return ""
    buttons = "".join(f'<button type="button" class="example-q" data-q="{esc(t)}">{esc(t)}</button>' for t in topics)
    return f'<div class="examples"><span class="label">可选主题：</span>{buttons}</div>'


def build(ctx: AppContext) -> list[tuple]:
    assistant = ctx.assistant
    with gr.Row(elem_classes=["stack-mobile"]):
        with gr.Column(scale=3, min_width=320):
            examples = gr.HTML("", js_on_load=RESULTS_JS, elem_id="prep-examples")
            with gr.Row(elem_classes=["stack-mobile"]):
                topic = gr.Textbox(label="讲课主题", placeholder="例如：三个四工作法、易地扶贫搬迁、群众认可度", scale=5,
                                   elem_id="prep-topic")
                go = gr.Button("生成提纲", variant="primary", scale=1, min_width=110, elem_id="prep-go")
            status = gr.HTML("", elem_id="prep-status")
            with gr.Row(elem_classes=["stack-mobile"]):
                md_file = gr.File(label="下载 Markdown", interactive=False, visible=False, elem_id="prep-md")
                docx_file = gr.File(label="下载 Word（.docx）", interactive=False, visible=False, elem_id="prep-docx")
            outline_view = gr.HTML("", js_on_load=RESULTS_JS, elem_id="prep-outline")
        with gr.Column(scale=2, min_width=300):
            viewer = DocViewer.create(assistant, "prep")

    def generate(text: str):
        try:
            outline = build_outline(assistant, text)
            store = assistant.store
        except Exception as exc:  # noqa: BLE001
            return notice(user_message(exc), "error"), "", no_file(), no_file()
        if outline.empty:
            note = outline.notes[0] if outline.notes else "资料中没有相关内容。"
            return notice(note, "warn"), "", no_file(), no_file()
        try:
            stem = f"备课提纲_{outline.topic}"
            md_path = ctx.export_path(stem, ".md")
            md_path.write_text(outline_to_markdown(outline), encoding="utf-8")
            docx_path = outline_to_docx(outline, ctx.export_path(stem, ".docx"))
        except Exception as exc:  # noqa: BLE001
            return notice(user_message(exc), "error"), outline_html(outline, store), no_file(), no_file()
        summary = (f"已生成提纲：{len(outline.points)} 个要点、{len(outline.stories)} 个典型事例、"
                   f"{len(outline.sources)} 处出处。可在下面下载 Markdown 或 Word 文件。")
        return (notice(summary, "ok"), outline_html(outline, store), gr.File(value=str(md_path), visible=True),
                gr.File(value=str(docx_path), visible=True))

    def pick(evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        q = data.get("question") if isinstance(data, dict) else None
        return q if q else gr.skip()

    args = dict(fn=generate, inputs=[topic], outputs=[status, outline_view, md_file, docx_file],
                concurrency_id="read", concurrency_limit=4)
    topic.submit(**args)
    go.click(**args)
    examples.click(pick, None, topic, show_progress="hidden", concurrency_limit=None).then(**args)
    viewer.connect(outline_view)

    def refresh():
        try:
            return examples_html(topic_examples(assistant.store))
        except Exception:  # noqa: BLE001
            return ""

    return [(refresh, [], [examples])]
