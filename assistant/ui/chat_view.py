"""What the 问答 tab shows for a conversation: the chat's messages and the sources panel beside it.

A message is plain text — the chat's copy button copies exactly what is shown: a label
(【原文摘录】, 【资料中没有相关内容】 …), the answer with its ``[n]`` markers, notes, and a short
source list. The sources panel holds one group of source cards per answer, in the order of the
answers (static/chat.js links an answer's ``[n]`` to its group's card ``chat-<turn>-src-<n>``)."""

from __future__ import annotations

import html
import zlib

from ..conversation import Conversation, Turn
from ..index import IndexStore
from ..schema import Answer, Citation
from .html import doc_position, esc, source_card

LABELS = {"answer": "原文摘录", "llm": "大模型生成（已核对出处）", "refusal": "资料中没有相关内容", "help": "使用说明"}
DRAFT_LABEL = "大模型生成中（尚未核对出处）"
SEARCHING = "正在检索资料……"
RESOLVED = "按上文理解为："
WELCOME = ('<div class="chat-empty">您好！我只根据资料库中的文档回答问题，每句话都标有出处 [n]，'
           '点击 [n] 可以在旁边展开对应的原文段落。资料里没有的内容，我会直接说明“资料中没有相关内容”。</div>')
PANEL_TITLE = '<div class="panel-title">出处</div>'
PANEL_HINT = ('<div class="muted">回答里的 [n] 对应的原文段落会列在这里：点击回答中的 [n]，'
              '这里就展开那条回答的那一处出处。</div>')
PANEL_TITLES = {
    "answer": "出处（点击展开原文）",
    "llm": "出处（点击展开原文）",
    "refusal": "相关内容（资料中最接近的段落，但没有回答这个问题，仅供参考）",
    "help": "这是使用说明，没有出处。",
}
RELATED_NOTE = "资料中最接近的段落列在“出处”栏的“相关内容”中，仅供参考。"


def kind(answer: Answer) -> str:
    """answer | llm | refusal | help — how an answer is labelled and styled."""
    if answer.mode == "help":
        return "help"
    if answer.refused:
        return "refusal"
    return "llm" if answer.mode == "llm" else "answer"


def _plain(text: str) -> str:
    """The chat inserts message text as (sanitised) HTML: escape it so that it shows as written."""
    return html.escape(text, quote=False)


def _doc(store: IndexStore | None, doc_id: str):
    return store.documents.get(doc_id) if store is not None else None


def _source_line(c: Citation, store: IndexStore | None) -> str:
    doc = _doc(store, c.doc_id)
    pos = doc_position(doc, c.start, c.end) if doc is not None else f"第 {c.start + 1}–{c.end} 字"
    return f"[{c.n}] 《{c.title}》{pos}"


# ---------------------------------------------------------------------------------------------- messages
def user_content(question: str, resolved: str = "") -> str:
    extra = f"\n{RESOLVED}{resolved}" if resolved and resolved != question else ""
    return _plain(question + extra)


def answer_content(answer: Answer, store: IndexStore | None) -> str:
    k = kind(answer)
    lines = [f"【{LABELS[k]}】", answer.text]
    lines += [f"说明：{note}" for note in answer.notes]
    if k in ("answer", "llm") and answer.citations:
        lines += ["", "出处："] + [_source_line(c, store) for c in answer.citations]
    elif k == "refusal" and answer.related:
        lines += ["", RELATED_NOTE]
    return _plain("\n".join(lines))


def pending_content(draft: str | None) -> str:
    """The answer while it is being made: searching, or the LLM's unchecked draft so far."""
    if draft is None:
        return SEARCHING
    return _plain(f"【{DRAFT_LABEL}】\n{draft}")


def messages(conversation: Conversation | None, store: IndexStore | None) -> list[dict]:
    """The chat's messages (user, assistant, user, assistant …) for the conversation's turns."""
    out: list[dict] = []
    for turn in conversation.turns if conversation else []:
        help_ = turn.answer is not None and kind(turn.answer) == "help"  # answered as it was written
        out.append({"role": "user", "content": user_content(turn.question, "" if help_ else turn.resolved)})
        if turn.answer is not None:
            out.append({"role": "assistant", "content": answer_content(turn.answer, store)})
    return out


def with_pending(history: list[dict], question: str, draft: str | None) -> list[dict]:
    return history + [{"role": "user", "content": user_content(question)},
                      {"role": "assistant", "content": pending_content(draft)}]


# ---------------------------------------------------------------------------------------------- sources panel
def _turn_sources(turn_no: int, turn: Turn, store: IndexStore | None, current: bool) -> str:
    answer = turn.answer
    k = kind(answer)
    prefix = f"chat-{turn_no}"
    if k == "refusal":
        cards = [source_card(f"{prefix}-rel-{i}", f"相关 {i}", _doc(store, h.chunk.doc_id), h.chunk.title,
                             h.chunk.start, h.chunk.end) for i, h in enumerate(answer.related, start=1)]
    else:
        cards = [source_card(f"{prefix}-src-{c.n}", f"[{c.n}]", _doc(store, c.doc_id), c.title, c.start, c.end)
                 for c in answer.citations]
    title = PANEL_TITLES[k] if cards or k == "help" else "这条回答没有出处。"
    key = zlib.crc32(f"{turn.question}\n{answer.text}".encode("utf-8"))
    return (f'<section class="turn-sources{" current" if current else ""}" data-turn="{turn_no}" '
            f'data-kind="{k}" data-count="{len(answer.citations)}" data-key="{turn_no}-{key}">'
            f'<div class="sources-title">{esc(title)}</div>'
            f'<div class="sources-question">第 {turn_no + 1} 问：{esc(turn.question)}</div>{"".join(cards)}</section>')


def sources_html(conversation: Conversation | None, store: IndexStore | None) -> str:
    """Every answer's cards, the latest answer's shown (clicking [n] in another answer shows its own)."""
    turns = [t for t in (conversation.turns if conversation else []) if t.answer is not None]
    if not turns:
        return f'<div class="chat-sources">{PANEL_TITLE}{PANEL_HINT}</div>'
    groups = [_turn_sources(i, t, store, current=i == len(turns) - 1) for i, t in enumerate(turns)]
    return f'<div class="chat-sources">{PANEL_TITLE}{"".join(groups)}</div>'
