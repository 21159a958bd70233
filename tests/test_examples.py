"""Example questions come from the settings or from the corpus itself, never from code."""

from __future__ import annotations

from types import SimpleNamespace

from assistant.examples import example_questions, placeholder
from assistant.schema import Document
from assistant.terms import build_glossary

TEXT = ("江口创新运用“三个四”新时代群众工作法。“四个下沉”：责任体系下沉、村民自治下沉。"
        "“四个结合”：村民自治与民主法治相结合。“四拼四争”精神即拼全力争全胜。")


def _store(text: str, title: str = "江口县的做法"):
    doc = Document("d", title, "s", text)
    return SimpleNamespace(glossary=build_glossary([doc]), documents={"d": doc})


def test_configured_examples_win():
    assert example_questions(_store(TEXT), ["甲？", "乙？"]) == ["甲？", "乙？"]


def test_examples_from_the_corpus_formulas_then_titles():
    examples = example_questions(_store(TEXT))
    assert examples[0] == "“三个四”包括哪些？"
    assert any(q.startswith("什么是“四个") for q in examples)
    plain = example_questions(_store("今天村里开了会。", title="村务会议"))
    assert plain == ["“村务会议”讲了什么？"]
    assert placeholder(plain).startswith("请输入问题，例如：“村务会议”")
    assert placeholder([]) == "请输入问题（按回车提交）"
