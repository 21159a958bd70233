"""Follow-up questions resolved against the conversation so far.

“他在省委党校讲了什么？” after “江口县委书记是谁？” becomes “杨华祥在省委党校讲了什么？”;
“那‘四个结合’呢？” after “‘四个下沉’是什么？” becomes “‘四个结合’是什么？”."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jieba.posseg as pseg

from .schema import Answer

PRONOUNS = re.compile(r"(他们|她们|他|她|此人|这个人|这位|该人|其)")
_ELLIPTIC = re.compile(r"^(?:那么?|还有|另外|再说说|那个)?\s*(.+?)\s*(?:呢|又是什么|又如何|怎么样)?[？?。!！]*$")
_QUOTED = re.compile(r"[“\"'‘「]([^”\"'’」]+)[”\"'’」]")
_ROLE_WORDS = re.compile(r"(书记|县长|镇长|乡长|主任|站长|局长|社长|队长|组长|委员|干部|村民|群众)")


@dataclass
class Turn:
    question: str
    resolved: str
    answer: Answer | None = None


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)

    def add(self, question: str, resolved: str, answer: Answer | None) -> None:
        self.turns.append(Turn(question, resolved, answer))

    def clear(self) -> None:
        self.turns.clear()

    def resolve(self, question: str) -> str:
        return resolve_followup(question, self.turns)


def _person_names(text: str) -> list[str]:
    names = []
    for word, flag in pseg.lcut(text):
        if flag.startswith("nr") and len(word) >= 2 and word not in names:
            names.append(word)
    return names


def _main_person(turn: Turn) -> str | None:
    """The person the previous turn was about: named in its answer next to the role it asked for."""
    if turn.answer is None or turn.answer.refused:
        names = _person_names(turn.resolved)
        return names[0] if names else None
    text = turn.answer.text
    role = _ROLE_WORDS.search(turn.resolved)
    if role:
        m = re.search(re.escape(role.group(1)) + r"([\u4e00-\u9fff]{2,3})", text)
        if m:
            cand = _person_names(m.group(1) + "，")
            if cand:
                return cand[0]
            return m.group(1)
    names = _person_names(text) or _person_names(turn.resolved)
    return names[0] if names else None


def _topic(question: str) -> str | None:
    m = _QUOTED.search(question)
    return m.group(1) if m else None


def resolve_followup(question: str, history: list[Turn]) -> str:
    q = question.strip()
    if not history:
        return q
    last = history[-1]
    # 1. a pronoun: put the person (or thing) of the previous turn in its place
    if PRONOUNS.search(q) and not re.search(r"其他|其中|其实|尤其|及其|极其", q):
        person = _main_person(last)
        if person:
            return PRONOUNS.sub(person, q, count=1)
    # 2. “那X呢？”: the previous question with its topic swapped for X
    if re.search(r"(呢|又是什么|又如何)[？?]*$", q) and len(q) <= 20:
        m = _ELLIPTIC.match(q)
        new_topic = (_topic(q) or (m.group(1) if m else "")).strip("“”\"'‘’ ")
        old_topic = _topic(last.resolved)
        if new_topic:
            if old_topic and old_topic in last.resolved:
                return last.resolved.replace(old_topic, new_topic, 1)
            return f"{new_topic}{_question_tail(last.resolved)}"
    return q


def _question_tail(question: str) -> str:
    """The asking part of a question (是什么？ / 是谁？ …), to reuse with a new topic."""
    m = re.search(r"(是什么|是谁|指什么|包括哪些|有哪些|怎么样|是多少|有多少)[？?]?$", question)
    return m.group(0) if m else "是什么？"
