"""问答 tab (cadres): streamed answers with [n] markers that open their source cards, follow-up
questions, refusals that look different, copy as plain text, and 👍/👎 feedback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import gradio as gr

from ..conversation import Conversation
from ..schema import Answer, Hit
from .common import (
    RESULTS_JS,
    AppContext,
    DocViewer,
    doc_position,
    esc,
    notice,
    source_card,
    stream_pause,
    user_message,
)

STREAM_UPDATES = 40  # an extractive answer is revealed in about this many steps …
STREAM_DELAY = 0.025  # … this far apart (so the page shows it growing)
MAX_EXAMPLES = 6
MODE_LABELS = {"extractive": "原文摘录", "llm": "大模型生成（已核对出处）"}
REFUSAL_LABEL = "资料中没有相关内容"
_MARKER = re.compile(r"\[(\d+)\]")
WELCOME = (
    '<div class="chat-empty">您好！我只根据资料库中的文档回答问题，每句话都标有出处 [n]，'
    '点击 [n] 可以展开对应的原文段落。资料里没有的内容，我会直接说明“资料中没有相关内容”。</div>'
)


@dataclass(frozen=True)
class Partial:
    """A growing answer while it streams."""

    text: str
    label: str
    llm: bool = False


# ---------------------------------------------------------------------------------------------- answering
def stream_answer(assistant, question: str, conversation: Conversation) -> Iterator[Partial | Answer]:
    """Partial texts, then the final Answer (``conversation`` is updated, as by ``Assistant.ask``).

    Without an LLM the computed extractive answer is revealed a few characters at a time; with an
    LLM (``assistant.llm.stream``) its raw deltas are shown, then the verified answer."""
    llm = getattr(assistant, "llm", None)
    if llm is None or not hasattr(llm, "stream"):
        answer = assistant.ask(question, conversation)
        text = answer.text
        step = max(2, -(-len(text) // STREAM_UPDATES))
        for i in range(step, len(text), step):
            yield Partial(text[:i], MODE_LABELS["extractive"])
            stream_pause(STREAM_DELAY)
        yield answer
        return
    yield Partial("", "大模型生成中（尚未核对出处）", llm=True)
    text = ""
    for item in assistant.ask_stream(question, conversation):
        if isinstance(item, Answer):
            yield item
        elif item:
            text += item
            yield Partial(text, "大模型生成中（尚未核对出处）", llm=True)


def example_questions(store, limit: int = MAX_EXAMPLES) -> list[str]:
    """Questions drawn from the corpus: its numbered formulas (“X”包括哪些？ for a formula made of
    others, 什么是“X”？ for a defined one), most mentioned first."""
    glossary = store.glossary
    composite, defined = [], []
    for term in glossary.values():
        parts = [p for p in term.parts if p in glossary and glossary[p].definitions]
        first = min((s.start for s in term.mentions), default=0)
        if len(parts) >= 2:
            composite.append((-len(term.mentions), first, f"“{term.term}”包括哪些？"))
        elif term.definitions:
            defined.append((-len(term.mentions), first, f"什么是“{term.term}”？"))
    composite.sort()
    defined.sort()
    picked = [q for *_, q in composite[:2]] + [q for *_, q in defined]
    return picked[:limit]


# ---------------------------------------------------------------------------------------------- rendering
def _doc(store, doc_id: str):
    return store.documents.get(doc_id) if store is not None else None


def plain_text(answer: Answer, store) -> str:
    """The answer with its citations, as plain text for copying."""
    label = REFUSAL_LABEL if answer.refused else MODE_LABELS.get(answer.mode, answer.mode)
    lines = [f"问：{answer.question}"]
    if answer.resolved_question and answer.resolved_question != answer.question:
        lines.append(f"（理解为：{answer.resolved_question}）")
    lines.append(f"答（{label}）：{answer.text}")
    for note in answer.notes:
        lines.append(f"说明：{note}")
    if answer.citations:
        lines += ["", "出处："]
        for c in answer.citations:
            doc = _doc(store, c.doc_id)
            pos = doc_position(doc, c.start, c.end) if doc is not None else f"第 {c.start + 1}–{c.end} 字"
            lines.append(f"[{c.n}] 《{c.title}》{pos}：“{c.text}”")
    elif answer.refused and answer.related:
        lines += ["", "相关内容（未回答此问题，仅供参考）："]
        for k, h in enumerate(answer.related, start=1):
            lines.append(f"{k}. 《{h.chunk.title}》：{h.chunk.text}")
    return "\n".join(lines)


def answer_text_html(text: str, n_citations: int, prefix: str) -> str:
    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if not 1 <= n <= n_citations:
            return m.group(0)
        target = f"{prefix}-src-{n}"
        return f'<a class="cite" href="#{target}" data-target="{target}" title="查看出处 {n}">[{n}]</a>'

    return _MARKER.sub(link, esc(text))


def _related_cards(prefix: str, related: tuple[Hit, ...], store) -> str:
    cards = []
    for k, h in enumerate(related, start=1):
        c = h.chunk
        cards.append(source_card(f"{prefix}-rel-{k}", f"相关 {k}", _doc(store, c.doc_id), c.title, c.start, c.end))
    return "".join(cards)


def render_user(question: str, resolved: str = "") -> str:
    extra = ""
    if resolved and resolved != question:
        extra = f'<div class="resolved">按上文理解为：{esc(resolved)}</div>'
    return f'<div class="msg user"><div class="bubble">{esc(question)}</div>{extra}</div>'


def render_answer(index: int, answer: Answer, store) -> str:
    prefix = f"chat-{index}"
    notes = "".join(f'<div class="notes">说明：{esc(n)}</div>' for n in answer.notes)
    plain_id = f"{prefix}-plain"
    actions = (
        f'<div class="answer-actions"><button type="button" class="copy-answer" data-target="{plain_id}" '
        f'title="复制答案和出处（纯文本）">复制答案</button></div>'
        f'<textarea id="{plain_id}" class="plain-text" hidden readonly>{esc(plain_text(answer, store))}</textarea>'
    )
    if answer.refused:
        related = ""
        if answer.related:
            related = ('<div class="sources related"><div class="sources-title">相关内容（资料中最接近的段落，'
                       '但没有回答这个问题，仅供参考）</div>' + _related_cards(prefix, answer.related, store) + "</div>")
        return (
            f'<div class="msg bot refusal" data-turn="{index}"><div class="meta">'
            f'<span class="refusal-label">{REFUSAL_LABEL}</span></div>'
            f'<div class="answer-text">{esc(answer.text)}</div>{notes}{related}{actions}</div>'
        )
    mode = MODE_LABELS.get(answer.mode, answer.mode)
    cards = "".join(
        source_card(f"{prefix}-src-{c.n}", f"[{c.n}]", _doc(store, c.doc_id), c.title, c.start, c.end)
        for c in answer.citations
    )
    sources = f'<div class="sources"><div class="sources-title">出处（点击展开原文）</div>{cards}</div>' if cards else ""
    return (
        f'<div class="msg bot answer" data-turn="{index}"><div class="meta">'
        f'<span class="mode-badge {esc(answer.mode)}">{esc(mode)}</span></div>'
        f'<div class="answer-text">{answer_text_html(answer.text, len(answer.citations), prefix)}</div>'
        f'{notes}{sources}{actions}</div>'
    )


def render_pending(question: str, partial: Partial | None, resolved: str = "") -> str:
    label = partial.label if partial else "正在检索资料……"
    text = partial.text if partial else ""
    badge = "llm" if partial and partial.llm else "pending"
    return (
        render_user(question, resolved)
        + f'<div class="msg bot pending"><div class="meta"><span class="mode-badge {badge}">{esc(label)}</span>'
        f'</div><div class="answer-text streaming">{esc(text)}</div></div>'
    )


def render_transcript(conversation: Conversation | None, store, pending: str = "", partial: Partial | None = None,
                      error: str = "", upto: int | None = None) -> str:
    """The conversation (its first ``upto`` turns), then the answer being streamed, then an error."""
    parts = ['<div class="chat">']
    turns = conversation.turns if conversation else []
    turns = turns if upto is None else turns[:upto]
    if not turns and not pending and not error:
        parts.append(WELCOME)
    for i, turn in enumerate(turns):
        parts.append(render_user(turn.question, turn.resolved))
        if turn.answer is not None:
            parts.append(render_answer(i, turn.answer, store))
    if pending:
        parts.append(render_pending(pending, partial))
    if error:
        parts.append(notice(error, "error"))
    parts.append("</div>")
    return "".join(parts)


def examples_html(questions: list[str]) -> str:
    if not questions:
        return ""
    buttons = "".join(f'<button type="button" class="example-q" data-q="{esc(q)}">{esc(q)}</button>'
                      for q in questions)
    return f'<div class="examples"><span class="label">试试这些问题：</span>{buttons}</div>'


# ---------------------------------------------------------------------------------------------- the tab
def build(ctx: AppContext) -> list[tuple]:
    assistant = ctx.assistant

    def store():
        try:
            return assistant.store
        except Exception:  # noqa: BLE001 - no index: render without documents
            return None

    conv_state = gr.State(Conversation())
    with gr.Row(elem_classes=["stack-mobile"]):
        with gr.Column(scale=3, min_width=320):
            examples = gr.HTML("", js_on_load=RESULTS_JS, elem_id="chat-examples")
            transcript = gr.HTML(render_transcript(None, None), js_on_load=RESULTS_JS, elem_id="chat-transcript",
                                 min_height=200)
            with gr.Row(elem_classes=["stack-mobile"]):
                question = gr.Textbox(label="问题", placeholder="请输入问题，例如：江口县委书记是谁？（按回车提交）",
                                      lines=1, max_lines=5, scale=5, elem_id="chat-question", autofocus=True)
                with gr.Column(scale=1, min_width=120):
                    ask_btn = gr.Button("提问", variant="primary", elem_id="chat-ask")
                    clear_btn = gr.Button("清空对话", elem_id="chat-clear")
        with gr.Column(scale=2, min_width=300):
            viewer = DocViewer.create(assistant, "chat")
            with gr.Column(elem_id="chat-feedback", variant="panel"):
                gr.Markdown("**这个回答有帮助吗？**（评价最新的一条回答，可附意见，仅保存在本机供改进参考）")
                with gr.Row():
                    up_btn = gr.Button("👍 有帮助", size="sm", elem_id="chat-up")
                    down_btn = gr.Button("👎 没帮助", size="sm", elem_id="chat-down")
                comment = gr.Textbox(label="意见（可选）", placeholder="例如：引用的段落不对 / 漏了某个要点",
                                     lines=2, max_lines=5, elem_id="chat-comment")
                fb_status = gr.HTML("", elem_id="chat-fb-status")
            with gr.Accordion("复制答案（纯文本，含出处）", open=False, elem_id="chat-copy"):
                plain = gr.Textbox(label="最新回答", lines=8, max_lines=20, interactive=False, buttons=["copy"],
                                   elem_id="chat-plain")

    def respond(q: str, conv: Conversation | None):
        conv = conv if isinstance(conv, Conversation) else Conversation()
        try:
            text = assistant.check_question(q)
        except Exception as exc:  # noqa: BLE001
            yield render_transcript(conv, store(), error=user_message(exc)), gr.skip(), gr.skip(), conv, ""
            return
        before = len(conv.turns)  # the new turn is added to conv before its text has finished streaming
        yield render_transcript(conv, store(), pending=text), "", gr.skip(), conv, ""
        try:
            for item in stream_answer(assistant, text, conv):
                if isinstance(item, Answer):
                    yield render_transcript(conv, store()), "", plain_text(item, store()), conv, ""
                else:
                    yield (render_transcript(conv, store(), pending=text, partial=item, upto=before), gr.skip(),
                           gr.skip(), conv, "")
        except Exception as exc:  # noqa: BLE001
            yield render_transcript(conv, store(), error=user_message(exc), upto=before), text, gr.skip(), conv, ""

    def pick_example(evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        q = data.get("question") if isinstance(data, dict) else None
        return q if q else gr.skip()

    def clear():
        conv = Conversation()
        return render_transcript(conv, store()), "", "", conv, ""

    def rate(rating: str):
        def handler(text: str, conv: Conversation | None):
            turns = conv.turns if isinstance(conv, Conversation) else []
            if not turns or turns[-1].answer is None:
                return notice("还没有可以评价的回答：请先提问。", "warn"), gr.skip()
            try:
                ctx.feedback.append_answer(turns[-1].answer, rating, text)
            except Exception as exc:  # noqa: BLE001
                return notice(user_message(exc), "error"), gr.skip()
            shown = "👍" if rating == "up" else "👎"
            return notice(f"已记录您对最新回答的评价（{shown}），谢谢！", "ok"), ""

        return handler

    outputs = [transcript, question, plain, conv_state, fb_status]
    ask_args = dict(fn=respond, inputs=[question, conv_state], outputs=outputs, show_progress="hidden",
                    concurrency_id="read", concurrency_limit=4)
    question.submit(**ask_args)
    ask_btn.click(**ask_args)
    examples.click(pick_example, None, question, show_progress="hidden", concurrency_limit=None).then(**ask_args)
    clear_btn.click(clear, None, outputs, show_progress="hidden", concurrency_limit=None)
    up_btn.click(rate("up"), [comment, conv_state], [fb_status, comment], concurrency_limit=None)
    down_btn.click(rate("down"), [comment, conv_state], [fb_status, comment], concurrency_limit=None)
    viewer.connect(transcript)

    def refresh():
        s = store()
        return examples_html(example_questions(s)) if s is not None else ""

    return [(refresh, [], [examples])]
