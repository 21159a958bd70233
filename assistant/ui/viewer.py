"""The “查看原文” panel of a tab: the whole document in an accordion, scrolled to the passage
whose 查看原文 button was clicked (results.js sends the button's document and offsets)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .assets import viewer_js
from .context import AppContext
from .errors import user_message
from .html import document_html, notice

VIEWER_HINT = ('<div class="doc-hint">点击出处卡片里的“查看原文”，这里会显示整篇文档，'
               '并自动滚动到引文处（黄色标出）。</div>')
GONE = "该文档已不在当前索引中（可能已被删除），无法查看原文。"


@dataclass
class DocViewer:
    ctx: AppContext
    accordion: gr.Accordion
    html: gr.HTML

    @classmethod
    def create(cls, ctx: AppContext, prefix: str, open_: bool = False) -> "DocViewer":
        with gr.Accordion("查看原文", open=open_, elem_id=f"{prefix}-viewer", elem_classes=["doc-viewer"]) as acc:
            view = gr.HTML(VIEWER_HINT, js_on_load=viewer_js(), elem_id=f"{prefix}-doc", elem_classes=["doc-panel"])
        return cls(ctx, acc, view)

    def open(self, evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        doc_id = data.get("doc_id") if isinstance(data, dict) else None
        if not doc_id:  # a click that was not on a “查看原文” button
            return gr.skip(), gr.skip()
        try:
            doc = self.ctx.assistant.document(str(doc_id))
            if doc is None:
                return notice(GONE, "error"), gr.Accordion(open=True)
            start, end = int(data.get("start", 0)), int(data.get("end", 0))
            return document_html(doc, start, end), gr.Accordion(open=True)
        except Exception as exc:  # noqa: BLE001
            return notice(user_message(exc), "error"), gr.Accordion(open=True)

    def connect(self, *sources: gr.HTML) -> None:
        """Open documents from the 查看原文 buttons inside ``sources``."""
        for src in sources:
            src.click(self.open, None, [self.html, self.accordion], show_progress="hidden", concurrency_limit=None)
