"""问答 tab (cadres): a chat (``gr.Chatbot``, messages format) whose answers stream when an LLM
streams, with follow-up questions, 👍/👎 and copy on every answer, and beside it the source cards
of the answers ([n] in an answer opens its card) and the “查看原文” viewer.

Each answer rated is written to the feedback log with its own question, answer and citations; a
refusal is labelled as one and lists the nearest passages as 相关内容; a greeting or a request the
documents cannot serve gets the help message (an Answer with mode ``"help"``)."""

from __future__ import annotations

import gradio as gr

from ..conversation import Conversation
from ..examples import example_questions, placeholder
from ..schema import Answer
from .assets import results_js
from .chat_view import WELCOME, messages, sources_html, with_pending
from .context import AppContext, Refresh, clicked_example, client_of
from .errors import user_message
from .html import examples_html, notice
from .viewer import DocViewer

EXTRA_FEEDBACK = ("出处不对", "答非所问", "漏了要点", "有错字或乱码")  # offered beside 👎, saved as its comment
CHAT_HEIGHT = 560
NOTHING_TO_RATE = "这条消息还没有可以评价的回答：请等回答完成后再评价。"


def _rating(liked) -> tuple[str | None, str]:
    """(rating, reason) from the chat's like event: True 👍, False 👎, an extra option 👎 with that
    reason, "" / None when a rating was withdrawn."""
    if liked is True:
        return "up", ""
    if liked is False:
        return "down", ""
    if isinstance(liked, str) and liked.strip():
        return "down", liked.strip()
    return None, ""


def _turn_of(index) -> int:
    """The conversation turn of a chat message index (a user and an assistant message per turn)."""
    i = index[0] if isinstance(index, (list, tuple)) else index
    return int(i) // 2


def build(ctx: AppContext) -> list[Refresh]:
    store = ctx.store()
    conv_state = gr.State(Conversation())
    with gr.Row(elem_classes=["stack-mobile"]):
        with gr.Column(scale=3, min_width=320):
            examples = gr.HTML("", js_on_load=results_js(), elem_id="chat-examples")
            chatbot = gr.Chatbot(
                value=[], elem_id="chat-transcript", label="问答", show_label=False, placeholder=WELCOME,
                render_markdown=False, group_consecutive_messages=False, buttons=["copy", "copy_all"],
                feedback_options=("Like", "Dislike", *EXTRA_FEEDBACK), height=CHAT_HEIGHT, autoscroll=True)
            with gr.Row(elem_classes=["stack-mobile"]):
                question = gr.Textbox(label="问题", lines=1, max_lines=5, scale=5, elem_id="chat-question",
                                      placeholder=placeholder(example_questions(store, ctx.settings.example_questions)),
                                      autofocus=True)
                with gr.Column(scale=1, min_width=120):
                    ask_btn = gr.Button("提问", variant="primary", elem_id="chat-ask")
                    clear_btn = gr.Button("清空对话", elem_id="chat-clear")
            status = gr.HTML("", elem_id="chat-status")
            with gr.Accordion("评价回答（每条回答下方的“赞”“踩”按钮）", open=False, elem_id="chat-feedback"):
                gr.Markdown("点回答下方的“赞”或“踩”评价那一条回答；旗形按钮可以说明不满意的原因。"
                            "评价和意见只保存在本机，供改进参考。")
                comment = gr.Textbox(label="意见（可选，随您的下一次评价一起保存）", lines=2, max_lines=5,
                                     placeholder="例如：引用的段落不对 / 漏了某个要点", elem_id="chat-comment")
            fb_status = gr.HTML("", elem_id="chat-fb-status")
        with gr.Column(scale=2, min_width=300):
            sources = gr.HTML(sources_html(None, None), js_on_load=results_js(), elem_id="chat-sources")
            viewer = DocViewer.create(ctx, "chat")

    def respond(q: str, conv: Conversation | None):
        conv = conv if isinstance(conv, Conversation) else Conversation()
        assistant = ctx.assistant
        history = messages(conv, ctx.store())
        try:
            text = assistant.check_question(q)
        except Exception as exc:  # noqa: BLE001
            yield history, gr.skip(), gr.skip(), conv, notice(user_message(exc), "error")
            return
        yield with_pending(history, text, None), "", gr.skip(), conv, ""
        draft = ""
        try:
            for item in assistant.ask_stream(text, conv):
                if isinstance(item, Answer):
                    store = ctx.store()
                    yield messages(conv, store), "", sources_html(conv, store), conv, ""
                elif item:
                    draft += item
                    yield with_pending(history, text, draft), gr.skip(), gr.skip(), conv, gr.skip()
        except Exception as exc:  # noqa: BLE001
            yield history, text, gr.skip(), conv, notice(user_message(exc), "error")

    def clear():
        conv = Conversation()
        return [], "", sources_html(None, None), conv, "", ""

    def rate(conv: Conversation | None, text: str, evt: gr.LikeData, request: gr.Request):
        turns = conv.turns if isinstance(conv, Conversation) else []
        k = _turn_of(evt.index)
        if not 0 <= k < len(turns) or turns[k].answer is None:
            return notice(NOTHING_TO_RATE, "warn"), gr.skip()
        rating, reason = _rating(evt.liked)
        if rating is None:
            return notice(f"已取消对第 {k + 1} 条回答的评价（已保存的记录不会删除）。", "info"), gr.skip()
        try:
            ctx.feedback.append_answer(turns[k].answer, rating, "；".join(x for x in (reason, (text or "").strip()) if x),
                                       client=client_of(request))
        except Exception as exc:  # noqa: BLE001
            return notice(user_message(exc), "error"), gr.skip()
        shown = "👍" if rating == "up" else f"👎{'（' + reason + '）' if reason else ''}"
        # the comment went with this rating: clear it; an empty box is left alone, so a comment typed
        # while the rating was being saved is not wiped
        return notice(f"已记录您对第 {k + 1} 条回答的评价 {shown}，谢谢！", "ok"), "" if (text or "").strip() else gr.skip()

    outputs = [chatbot, question, sources, conv_state, status]
    ask_args = dict(fn=respond, inputs=[question, conv_state], outputs=outputs, show_progress="hidden",
                    concurrency_id="read", concurrency_limit=ctx.settings.read_concurrency)
    question.submit(**ask_args)
    ask_btn.click(**ask_args)
    examples.click(clicked_example, None, question, show_progress="hidden", concurrency_limit=None).then(**ask_args)
    for event in (clear_btn.click, chatbot.clear):
        event(clear, None, [*outputs, fb_status], show_progress="hidden", concurrency_limit=None)
    chatbot.like(rate, [conv_state, comment], [fb_status, comment], show_progress="hidden", concurrency_limit=None)
    viewer.connect(sources)

    def refresh():
        questions = example_questions(ctx.store(), ctx.settings.example_questions)
        return examples_html("试试这些问题：", questions), gr.Textbox(placeholder=placeholder(questions))

    return [Refresh(refresh, [], [examples, question])]
