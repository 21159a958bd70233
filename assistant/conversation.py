"""Follow-up questions resolved against the conversation so far.

A follow-up is recognised by how it refers back: a pronoun (他/她/他们/这些/该/其 …), an opening
that continues the story (后来/然后/还有呢/那么), an elliptic “那X呢”, or a question so short it
names nothing. It is then

- rewritten where the reference is clear: “他在省委党校讲了什么？” after “江口县委书记是谁？”
  becomes “杨华祥在省委党校讲了什么？”; “那‘四个结合’呢？” after “‘四个下沉’是什么？” becomes
  “‘四个结合’是什么？”, and “贫困人口呢？” after “江口有多少个贫困村？” becomes “江口有多少个贫困人口？”;
  他们/这些/后来 … take the names or the topic of the previous turn;
- and answered first from the documents the previous answer cited (the story goes on there),
  then from the whole corpus (``Resolution.scope``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jieba.posseg as pseg

from .answer_types import NUMERAL_CHARS, places
from .docmeta import names_something
from .normalize import normalize
from .question import QUESTION_FRAMES, asked_slot, question_kind
from .schema import Answer
from .text import person_names

_MEASURE = "个项条家种届次场批轮期位名座所件笔部篇份支台辆处段句"  # measure words a demonstrative refers back with
SINGULAR = re.compile(r"(此人|这个人|这位|该人|他|她)(?!们)")
PLURAL = re.compile(r"(他们|她们|二人|两人|夫妇俩|夫妻俩|俩人|他俩|她俩)")
DEMONSTRATIVE = re.compile(rf"(这些|那些|(?:这|那|该|本)[一{_MEASURE}]|该|其|此|上述|前者|后者|它们|它)")
# 那几名帮扶干部 / 这两个县: a counted group, which refers back only to a group the previous turn spoke of
_COUNTED_GROUP = re.compile(rf"^(?:那|这)(?:几|\d+|[{NUMERAL_CHARS}]+)[{_MEASURE}]([\u4e00-\u9fff]{{2}})")
# a question of its own inside “那…呢” (那这届比赛的MVP是谁呢): not an elliptic topic swap
_ASKS = re.compile(r"谁|什么|哪|多少|几|怎么|怎样|如何|为什么|为何|是否")
CONTINUATION = re.compile(r"^(?:后来|然后|之后|接着|此后|最后|另外|此外|还有呢|还有|那么|那)")
_NOT_PRONOUN = re.compile(r"其他|其中|其实|尤其|及其|极其|其余|其次|此外|因此|如此|此前|此后|从此|为此|该当")
_ELLIPTIC = re.compile(r"^(?:那么?|还有|另外|再说说|那个)?\s*(.+?)\s*(?:呢|又是什么|又如何|怎么样)?[？?。!！]*$")
_QUOTED = re.compile(r"[“\"'‘「]([^”\"'’」]+)[”\"'’」]")
_NOT_QUOTED = re.compile(r"[“\"'‘「][^”\"'’」]+[”\"'’」]")  # a quoted name may hold an asking word (“谁来扶”)
_ROLE_WORDS = re.compile(r"(书记|县长|镇长|乡长|主任|站长|局长|社长|队长|组长|委员|干部|村民|群众|记者|经理|董事长|主席|"
                         r"院长|校长|部长|市长|省长|总统|总理|教练|会长|负责人)")
# words for many people: what follows them is a name only when the tagger says so (群众认可度 is none)
_GROUP_WORDS = frozenset({"村民", "群众", "干部"})
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")
_YEAR_WORD = re.compile(r"(?:19|20)\d{2}年")
SHORT_QUESTION = 8  # characters: a question this short names nothing of its own
# 该县, 这个村, 那个镇: a demonstrative pointing at a place of a sort the previous turn named
_POINTED_PLACE = re.compile(rf"(?:这|那|该|本)(?:[一{_MEASURE}])?(街道|社区|省|市|县|区|镇|乡|村|州)")


@dataclass
class Turn:
    question: str
    resolved: str
    answer: Answer | None = None


@dataclass(frozen=True)
class Resolution:
    text: str  # the question to answer, references replaced
    follow_up: bool  # it refers back to the previous turn
    scope: frozenset[str] = frozenset()  # documents the previous answer cited: searched first
    inserted: str = ""  # the name that replaced a pronoun

    @property
    def searched(self) -> str:
        """The text to search and analyse: ``text`` with the inserted name set apart, so the word
        splitter cannot glue it to the next character (杨云去哪里 would read as 杨云去 / 哪里)."""
        if not self.inserted or self.inserted not in self.text:
            return self.text
        return self.text.replace(self.inserted, f" {self.inserted} ", 1).strip()


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)

    def add(self, question: str, resolved: str, answer: Answer | None) -> None:
        self.turns.append(Turn(question, resolved, answer))

    def clear(self) -> None:
        self.turns.clear()

    def resolve(self, question: str) -> str:
        return resolve_followup(question, self.turns).text

    def resolution(self, question: str) -> Resolution:
        return resolve_followup(question, self.turns)


def _main_person(turn: Turn) -> str | None:
    """The person the previous turn was about: named in its answer next to the role it asked
    for, else the first person its answer (or question) names."""
    if turn.answer is None or turn.answer.refused:
        names = person_names(turn.resolved)
        return names[0] if names else None
    text = turn.answer.text
    role = _ROLE_WORDS.search(turn.resolved)
    if role:
        m = re.search(re.escape(role.group(1)) + r"([\u4e00-\u9fff*]{2,3})", text)
        if m:
            cand = person_names(m.group(1) + "，")
            if cand:
                return cand[0]
            if role.group(1) not in _GROUP_WORDS:  # after a title, a name the tagger does not know
                return m.group(1)
    names = person_names(turn.resolved) or person_names(text)
    return names[0] if names else None


def _people(turn: Turn) -> str | None:
    """Several people of the previous turn, joined (潘文*和陈婵)."""
    names = person_names(turn.answer.text) if turn.answer is not None and not turn.answer.refused else []
    names = names or person_names(turn.resolved)
    return "和".join(names[:3]) if names else None


def _topic(question: str) -> str | None:
    m = _QUOTED.search(question)
    return m.group(1) if m else None


def _subject(turn: Turn) -> str:
    """What the previous question was about: its quoted term, else the whole question without its
    asking part (a noun phrase cut from it lost half of what the follow-up refers to: 携程度假农庄…
    河谷草原店 became 那拉提新建)."""
    quoted = _topic(turn.resolved)
    if quoted:
        return f"“{quoted}”"
    return QUESTION_FRAMES.sub("", turn.resolved).strip("，,。？?！! ")


def _said(turn: Turn) -> str:
    """All the previous turn put into words: its question, its answer and the passages it cited."""
    if turn.answer is None:
        return turn.resolved
    return "\n".join([turn.resolved, turn.answer.text, *(c.text for c in turn.answer.citations)])


def _scope(turn: Turn) -> frozenset[str]:
    if turn.answer is None or turn.answer.refused:
        return frozenset()
    return frozenset(c.doc_id for c in turn.answer.citations)


def resolve_followup(question: str, history: list[Turn]) -> Resolution:
    q = question.strip()
    # a greeting or a request answered with the help message is no topic to refer back to
    history = [t for t in history if t.answer is None or t.answer.mode != "help"]
    if not history:
        return Resolution(q, False)
    last = history[-1]
    scope = _scope(last)
    if question_kind(q) == "meta" and names_something(q):  # 概括一下外交部那篇报道: a document of its own
        return Resolution(q, False)
    group = _COUNTED_GROUP.match(q)
    if group and group.group(1) not in _said(last):  # 那几名帮扶干部 after a question about the 县长
        return Resolution(q, False)
    plain = _NOT_PRONOUN.sub("", q)
    continues = bool(CONTINUATION.match(q))
    # “那X呢？”: the previous question with its topic swapped for X
    if re.search(r"(呢|又是什么|又如何)[？?]*$", q) and len(q) <= 20 and not PLURAL.search(q):
        m = _ELLIPTIC.match(q)
        new_topic = (_topic(q) or (m.group(1) if m else "")).strip("“”\"'‘’ ")
        new_topic = CONTINUATION.sub("", new_topic)
        old_topic = _topic(last.resolved)
        asks_itself = bool(_ASKS.search(_NOT_QUOTED.sub("", m.group(1) if m else q)))
        if new_topic and new_topic not in ("还有", "后来", "然后") and not asks_itself:
            if old_topic and old_topic in last.resolved:
                return Resolution(last.resolved.replace(old_topic, new_topic, 1), True, scope)
            swapped = _swap_word(last.resolved, new_topic)
            if swapped:
                return Resolution(swapped, True, scope)
            return Resolution(f"{new_topic}{_question_tail(last.resolved)}", True, scope)
        if asks_itself:  # 那这届比赛的MVP是谁呢: a question of its own, read without its 那…呢 frame
            q = re.sub(r"呢([？?]*)$", r"\1", CONTINUATION.sub("", q)).lstrip("，, ")
            plain = _NOT_PRONOUN.sub("", q)
    plural = PLURAL.search(plain)
    if plural:
        people = _people(last)
        if people:
            return Resolution(PLURAL.sub(people, q, count=1), True, scope, inserted=people)
    if SINGULAR.search(plain):
        person = _main_person(last)
        if person:
            return Resolution(SINGULAR.sub(person, q, count=1), True, scope, inserted=person)
    pointed = _pointed_place(q, last) or _pointed_thing(q, last)
    if pointed:
        words, named = pointed
        return Resolution(q.replace(words, named, 1), True, scope, inserted=named)
    # 他们 with no people named (4名帮扶干部, 2003名村民) refers back to the group the previous turn spoke of
    if plural or DEMONSTRATIVE.search(plain) or continues or len(QUESTION_FRAMES.sub("", q)) <= SHORT_QUESTION - 4:
        subject = _subject(last)
        if subject and subject not in q:
            own = q if group else CONTINUATION.sub("", q).lstrip("，, ")  # 几名 without its 那 would ask how many
            return Resolution(f"{subject}，{own}", True, scope)
        return Resolution(q, True, scope)
    return Resolution(q, False)


def _pointed_place(question: str, last: Turn) -> tuple[str, str] | None:
    """该县 (这个村, 那个镇) and the place of that sort the previous turn named, in its question or
    else its answer, first named first (该县 after 向阿坝州哪个县捐赠 → 红原县, from the answer)."""
    m = _POINTED_PLACE.search(question)
    if not m:
        return None
    sort = m.group(1)
    said = [last.resolved] + ([last.answer.text] if last.answer is not None and not last.answer.refused else [])
    for text in said:
        named = [s for s in places(text) if s.text.endswith(sort) and len(s.text) >= len(sort) + 2
                 and s.text[0] not in "这那该本哪" and s.text not in question]
        if named:
            return m.group(0), min(named, key=lambda s: (s.end, len(s.text))).text
    return None


# 这些覆盖, 这一机制, 这个奖: a demonstrative, then the noun the previous turn's thing ends with
_POINTED_THING = re.compile(rf"(?:这些|那些|(?:这|那|该|本)(?![里样么时儿边])[一{_MEASURE}]?)([\u4e00-\u9fff]{{1,4}})")
_QUOTED_THING = re.compile(r"“([^”]{1,16})”([\u4e00-\u9fff]{0,6})")
_QUOTED_NOUN_GAP = 4  # characters between a quoted name and its noun: “捐一元”公益活动, not “…四评”的村


def _pointed_thing(question: str, last: Turn) -> tuple[str, str] | None:
    """这些覆盖 (这一机制, 这个奖) and the quoted name of that sort the previous turn named, in its question
    or else its answer: one that ends in the noun (“四个覆盖”) or that the noun follows (“四级包保”责任机制,
    “蜗牛”奖). 这些覆盖 after “四个覆盖”是哪四个 had been read as the question's first quoted name (“三个四”).
    None for the thing the previous question asked for (哪种方法 → 该方法): that is its answer, which may
    name other things of the sort too (…精准识别、…精准退出方法); the previous subject stands for it then."""
    m = _POINTED_THING.search(question)
    if not m:
        return None
    asked = asked_slot(normalize(last.resolved))
    answered = last.answer is not None and not last.answer.refused
    pointer, following = question[m.start() : m.start(1)], m.group(1)  # 这些, 覆盖要求在
    for size in range(len(following), 0, -1):
        noun = following[:size]
        if asked and (noun.endswith(asked) or asked.endswith(noun)):
            return None
        for text in [last.resolved] + ([last.answer.text] if answered else []):
            for quoted in _QUOTED_THING.finditer(text):
                inside, tail = quoted.groups()
                if inside.endswith(noun) and len(inside) > size:
                    return pointer + noun, f"“{inside}”"
                cut = tail.find(noun)
                if 0 <= cut <= _QUOTED_NOUN_GAP and not re.search(r"[的是在和与]", tail[:cut]):
                    return pointer + noun, f"“{inside}”{tail[: cut + size]}"
    return None


def _swap_word(question: str, new_topic: str) -> str | None:
    """``question`` with the word ``new_topic`` stands for put in its place: of the words sharing a
    character with it, one of its sort (a place for a place, a common noun for a common noun), then
    one ending in the same character, then the one nearest the asking word (种牛存栏多少头 + 育肥牛呢 →
    育肥牛存栏多少头; 多少个贫困村 + 贫困人口呢 → 多少个贫困人口); a name may also take the place of a name
    it shares no character with. None when nothing fits."""
    asking = [m.start() for m in QUESTION_FRAMES.finditer(question)] or [len(question)]
    frames = {m.group(0) for m in QUESTION_FRAMES.finditer(question)}
    if _YEAR_WORD.fullmatch(new_topic) and _YEAR_WORD.search(question):  # 2023年呢 after a question about 2022年
        return _YEAR_WORD.sub(new_topic, question, count=1)
    sort = _sort_of(new_topic)
    best, best_key, at = None, None, 0
    for word, flag in pseg.lcut(question):
        here, at = at, at + len(word)
        if len(word) < 2 or word in frames or word == new_topic or not _CJK_WORD.fullmatch(word):
            continue
        shared = sum(ch in new_topic for ch in set(word))
        same_sort = _sort_of(word, flag) == sort
        if not (shared or same_sort and sort == "name"):  # a name may stand for another name (凯德街道 → 梵瑞社区)
            continue
        key = (same_sort, word[-1] == new_topic[-1], shared, -min(abs(a - here) for a in asking))
        if best_key is None or key > best_key:
            best, best_key = word, key
    return question.replace(best, new_topic, 1) if best else None


def _sort_of(word: str, flag: str | None = None) -> str:
    """A name (person, place, organisation) or a common word, by its part-of-speech tag."""
    flag = flag if flag is not None else next((f for w, f in pseg.lcut(word) if w == word), "n")
    return "name" if flag in ("nr", "ns", "nt", "nz") else "word"


def _question_tail(question: str) -> str:
    """The asking part of a question (是什么？ / 是谁？ …), to reuse with a new topic."""
    m = re.search(r"(是什么|是谁|指什么|包括哪些|有哪些|怎么样|是多少|有多少)[？?]?$", question)
    return m.group(0) if m else "是什么？"
