"""备课 tab (trainers): a topic in, an outline out — key points with verbatim quotes, typical
stories, numbered sources — shown as HTML (the outline's layout, :func:`assistant.lecture.blocks`,
rendered here) and downloadable as Markdown and Word. Topic examples come from the corpus."""

from __future__ import annotations

import gradio as gr

from ..examples import example_topics, topic_placeholder
from ..index import IndexStore
from ..lecture import Block, Outline, Quote, blocks, build_outline, outline_to_docx, outline_to_markdown
from .assets import results_js
from .context import AppContext, Refresh, clicked_example, no_file
from .errors import user_message
from .html import esc, examples_html, notice, source_card
from .viewer import DocViewer

HTML_HINT = "方括号数字是出处，点击可展开原文段落；小标题取自引文，仅作提示。"
TOPIC_LEAD = "输入讲课主题"


def _cite(q: Quote) -> str:
    target = f"prep-src-{q.n}"
    return f'<sup><a class="cite" href="#{target}" data-target="{target}" title="查看出处 {q.n}">[{q.n}]</a></sup>'


def _block_html(b: Block, store: IndexStore | None) -> str:
    match b.kind:
        case "title":
            return f"<h2>{esc(b.text)}</h2>"
        case "intro":
            return f'<div class="muted">{esc(b.text)}{esc(HTML_HINT)}</div>'
        case "note":
            return notice(b.text, "warn")
        case "section" | "sources":
            return f"<h3>{esc(b.text)}</h3>"
        case "heading":
            return f"<h4>{esc(b.text)}</h4>"
        case "parts":
            return f'<div class="muted">{esc(b.text)}</div>'
        case "quote":
            return f'<blockquote class="quote">{esc(b.quote.text)}{_cite(b.quote)}</blockquote>'
        case "source":
            src = b.source
            doc = store.documents.get(src.doc_id) if store is not None else None
            return source_card(f"prep-src-{src.n}", f"[{src.n}]", doc, src.title, src.start, src.end)
    raise ValueError(f"unknown block kind {b.kind!r}")


def outline_html(outline: Outline, store: IndexStore | None) -> str:
    return '<div class="outline">' + "".join(_block_html(b, store) for b in blocks(outline)) + "</div>"


def build(ctx: AppContext) -> list[Refresh]:
    with gr.Row(elem_classes=["stack-mobile"]):
        with gr.Column(scale=3, min_width=320):
            examples = gr.HTML("", js_on_load=results_js(), elem_id="prep-examples")
            with gr.Row(elem_classes=["stack-mobile"]):
                topic = gr.Textbox(label="讲课主题", scale=5, elem_id="prep-topic",
                                   placeholder=topic_placeholder(example_topics(ctx.store()), TOPIC_LEAD))
                go = gr.Button("生成提纲", variant="primary", scale=1, min_width=110, elem_id="prep-go")
            status = gr.HTML("", elem_id="prep-status")
            with gr.Row(elem_classes=["stack-mobile"]):
                md_file = gr.File(label="下载 Markdown", interactive=False, visible=False, elem_id="prep-md")
                docx_file = gr.File(label="下载 Word（.docx）", interactive=False, visible=False, elem_id="prep-docx")
            outline_view = gr.HTML("", js_on_load=results_js(), elem_id="prep-outline")
        with gr.Column(scale=2, min_width=300):
            viewer = DocViewer.create(ctx, "prep")

    def generate(text: str, request: gr.Request):
        assistant = ctx.assistant
        try:
            outline = build_outline(assistant, text)
            store = assistant.store
        except Exception as exc:  # noqa: BLE001
            return notice(user_message(exc), "error"), "", no_file(), no_file()
        if outline.empty:
            note = outline.notes[0] if outline.notes else "资料中没有相关内容。"
            return notice(note, "warn"), "", no_file(), no_file()
        try:
            ctx.check_export(request)
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

    args = dict(fn=generate, inputs=[topic], outputs=[status, outline_view, md_file, docx_file],
                concurrency_id="read", concurrency_limit=ctx.settings.read_concurrency)
    topic.submit(**args)
    go.click(**args)
    examples.click(clicked_example, None, topic, show_progress="hidden", concurrency_limit=None).then(**args)
    viewer.connect(outline_view)

    def refresh():
        topics = example_topics(ctx.store())
        return examples_html("可选主题：", topics), gr.Textbox(placeholder=topic_placeholder(topics, TOPIC_LEAD))

    return [Refresh(refresh, [], [examples, topic])]
