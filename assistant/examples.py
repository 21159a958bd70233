"""Example questions and topics drawn from the corpus itself (or from ``Settings.example_questions``):
shown in the UI, in its placeholders and in the help message for non-questions, so nothing about
one corpus is written into the code."""

from __future__ import annotations

from collections.abc import Sequence

MAX_EXAMPLES = 6
MAX_TOPIC_CHARS = 12  # a document title this short can serve as a topic


def example_questions(store, configured: Sequence[str] = (), limit: int = MAX_EXAMPLES) -> list[str]:
    """The configured questions, else the corpus's numbered formulas (“X”包括哪些？ for a formula
    made of others, 什么是“X”？ for a defined one, most mentioned first), else its titles."""
    if configured:
        return list(configured)[:limit]
    glossary = store.glossary if store is not None else {}
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
    if len(picked) < limit and store is not None:
        titles = [d.title for d in store.documents.values() if d.title and len(d.title) <= 30]
        picked += [f"“{t}”讲了什么？" for t in titles[: limit - len(picked)]]
    return picked[:limit]


def placeholder(examples: Sequence[str]) -> str:
    return f"请输入问题，例如：{examples[0]}（按回车提交）" if examples else "请输入问题（按回车提交）"


def example_topics(store, limit: int = MAX_EXAMPLES) -> list[str]:
    """Topics for a lecture outline or a search: the corpus's formulas that are defined or made of
    others (the bigger and the more mentioned first), else short document titles."""
    glossary = store.glossary if store is not None else {}
    ranked = sorted((-len(t.mentions) - 3 * len(t.parts), t.term) for t in glossary.values()
                    if t.definitions or len(t.parts) >= 2)
    topics = [name for _, name in ranked[:limit]]
    if len(topics) < limit and store is not None:
        titles = [d.title for d in store.documents.values() if d.title and len(d.title) <= MAX_TOPIC_CHARS]
        topics += [t for t in titles if t not in topics][: limit - len(topics)]
    return topics


def topic_placeholder(topics: Sequence[str], lead: str) -> str:
    """``lead``, then up to three topics as examples: 例如：A、B、C."""
    return f"{lead}，例如：{'、'.join(topics[:3])}" if topics else lead
