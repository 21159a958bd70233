"""assistant.ui.chat_view: what the 问答 tab shows — plain-text messages (what the chat's copy
button copies) and one group of source cards per answer. Hand-made answers over a small document;
the browser tests drive the same views in Chromium."""

from __future__ import annotations

import re

from assistant.conversation import Conversation
from assistant.schema import Answer, Chunk, Citation, Document, Hit
from assistant.ui.chat_view import (
    answer_content,
    kind,
    messages,
    pending_content,
    sources_html,
    user_content,
    with_pending,
)

DOC = Document("d1", "江口县*委<案例>", "corpus/a.txt", "第一段。\n县*委书记杨华祥应邀授课。\n第三段。")
QUOTE = "县*委书记杨华祥应邀授课。"
START = DOC.text.index(QUOTE)


class _Store:
    documents = {"d1": DOC}


def _answer(**kw) -> Answer:
    citation = Citation(1, "d1", DOC.title, QUOTE, START, START + len(QUOTE), 0.9)
    values = dict(question="县委书记是谁？", text=f"{QUOTE}[1]", citations=(citation,))
    values.update(kw)
    return Answer(**values)


def _hit() -> Hit:
    chunk = Chunk("d1:0-4", "d1", 0, 4, "第一段。", "第一段。", DOC.title)
    return Hit(chunk, 0.5)


def test_an_answer_is_plain_text_with_its_label_markers_and_sources():
    content = answer_content(_answer(notes=("原文未给出具体数字。",)), _Store())
    lines = content.split("\n")
    assert lines[0] == "【原文摘录】" and lines[1] == f"{QUOTE}[1]"
    assert "说明：原文未给出具体数字。" in lines
    assert lines[-2:] == ["出处：", "[1] 《江口县*委&lt;案例&gt;》第 6–18 字 · 约第 2 段"]
    assert "<" not in content, "document text is escaped: the chat inserts message text as HTML"


def test_kinds_and_labels():
    assert kind(_answer()) == "answer" and kind(_answer(mode="llm")) == "llm"
    refusal = _answer(text="资料中没有相关内容：现有资料没有回答这个问题。", citations=(), refused=True, related=(_hit(),))
    assert kind(refusal) == "refusal"
    content = answer_content(refusal, _Store())
    assert content.startswith("【资料中没有相关内容】\n") and "相关内容" in content.split("\n")[-1]
    help_ = _answer(text="我是……助手。", citations=(), refused=True, mode="help")
    assert kind(help_) == "help" and answer_content(help_, _Store()).startswith("【使用说明】\n")
    assert answer_content(_answer(mode="llm"), None).startswith("【大模型生成（已核对出处）】\n")
    assert pending_content(None) == "正在检索资料……"
    assert pending_content("江口县委<书记>").endswith("\n江口县委&lt;书记&gt;")


def test_messages_pair_questions_and_answers_and_show_how_a_follow_up_was_read():
    conv = Conversation()
    conv.add("县委书记是谁？", "县委书记是谁？", _answer())
    conv.add("他讲了什么？", "杨华祥讲了什么？", _answer(question="他讲了什么？"))
    conv.add("你好", "杨华祥，你好", _answer(question="你好", citations=(), refused=True, mode="help"))
    shown = messages(conv, _Store())
    assert [m["role"] for m in shown] == ["user", "assistant"] * 3
    assert shown[0]["content"] == "县委书记是谁？"
    assert shown[2]["content"] == "他讲了什么？\n按上文理解为：杨华祥讲了什么？"
    assert shown[4]["content"] == "你好", "a help message answers what was written"
    assert user_content("a<b") == "a&lt;b"
    pending = with_pending(shown, "新问题", "草稿")
    assert pending[-2:] == [{"role": "user", "content": "新问题"},
                            {"role": "assistant", "content": "【大模型生成中（尚未核对出处）】\n草稿"}]


def test_sources_panel_has_one_group_per_answer_the_latest_shown():
    assert 'class="turn-sources' not in sources_html(None, None)
    conv = Conversation()
    conv.add("县委书记是谁？", "县委书记是谁？", _answer())
    conv.add("门票多少钱？", "门票多少钱？", _answer(question="门票多少钱？", text="资料中没有相关内容。", citations=(),
                                                       refused=True, related=(_hit(),)))
    html = sources_html(conv, _Store())
    groups = re.findall(r'<section class="turn-sources( current)?" data-turn="(\d)" data-kind="(\w+)" '
                        r'data-count="(\d+)"', html)
    assert groups == [("", "0", "answer", "1"), (" current", "1", "refusal", "0")]
    assert 'id="chat-0-src-1"' in html and 'id="chat-1-rel-1"' in html
    assert "江口县*委&lt;案例&gt;" in html and "<案例>" not in html
    assert "相关内容" in html.split('data-turn="1"')[1]
