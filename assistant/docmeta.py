"""Facts about a document itself — its author, reporter, source, date, title, editor — read from
the header and footer lines news and case documents carry (作者：…, 来源：…, （记者 …）, a byline
“（郭进）” at the end, “8月14日电”), each with its span in the text so an answer can cite it.
Metadata given with the file (a sidecar or a JSONL line's fields) comes in as ``given``."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEAD, TAIL = 160, 200  # characters at the start and end of a document where such lines live
NAME = r"[\u4e00-\u9fff·]{2,8}"
_PATTERNS: list[tuple[str, re.Pattern, str]] = [
    ("title", re.compile(r"原标题[:：]\s*(?P<v>[^\n]{4,60}?)(?=作者[:：]|来源[:：]|【|[（(]?记者|\n|$|(?:央广网|新华社|中新网|人民网|"
                         r"[\u4e00-\u9fff]{2,6}(?:网|报|社|台))?[\u4e00-\u9fff]{0,6}\d{1,2}月\d{1,2}日)"), "head"),
    ("author", re.compile(rf"作者[:：]\s*(?P<v>{NAME}(?:[、，,\s]+{NAME})*?)(?=\s|来源|编辑|责任|原标题|[，。；]|$)"), "any"),
    ("source", re.compile(r"来源[:：]\s*(?P<v>[\u4e00-\u9fffA-Za-z0-9-]{1,16}?(?:网|报|社|台|视窗|新闻|客户端|频道|融媒|中心|APP|号))"),
     "any"),
    ("source", re.compile(r"来源[:：]\s*(?P<v>[\u4e00-\u9fffA-Za-z0-9]{2,20}?)(?=\s|返回|作者|责任|编辑|[，。；]|$)"), "any"),
    ("reporter", re.compile(rf"[（(【]\s*(?:[\u4e00-\u9fff]{{0,10}})?记者\s*(?P<v>{NAME}(?:[\s、，,]+{NAME})*)\s*[）)】]"), "any"),
    ("reporter", re.compile(rf"记者\s+(?P<v>{NAME}(?:[\s、]+{NAME})*?)(?=\s*(?:报道|摄|[）)】，。]|$))"), "head"),
    ("correspondent", re.compile(rf"通讯员\s*(?P<v>{NAME}(?:[\s、]+{NAME})*?)(?=\s*[）)】，。]|\s*$)"), "any"),
    ("editor", re.compile(rf"(?:责任)?编辑[:：]\s*(?P<v>{NAME})"), "tail"),
    ("author", re.compile(r"[（(]\s*(?P<v>[\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})*)\s*[）)]\s*(?:\n\S{0,4})?\s*$"), "tail"),
    ("date", re.compile(r"(?P<v>(?:20|19)\d{2}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日)(?:电|讯|消息)"), "head"),
]
LABELS = {"title": "标题", "author": "作者", "source": "来源", "reporter": "记者", "correspondent": "通讯员",
          "editor": "编辑", "date": "日期"}
# what the document as a whole is about: “这篇文章主要讲了什么”, “文章的主要内容”, “帮我总结一下
# 江口那篇文章” — the document word ends the request, so 总结一下文章里的脱贫经验 stays a question
# about 脱贫经验 and 文章中关于搬迁讲了什么 a question about 搬迁
_DOC_WORD = r"(?:文章|报道|稿件|稿子|新闻|本文|全文|该文|此文|(?:这|那|该|此|本)[篇份个]?(?:材料|资料|文档|文件|案例))"
GIST = (rf"{_DOC_WORD}(?:主要|大致|大概|大体|都|到底|究竟|一共)?(?:是)?(?:讲|说|写|谈|介绍|报道|叙述|描述|记述|记录|反映|关于)"
        r"(?:了|的是|的|述了?)?(?:什么|些什么|哪些(?:内容|事情?)|什么(?:内容|事情?))的?(?:内容)?[？?。！!]*$"
        rf"|{_DOC_WORD}的?(?:主要内容|主旨|大意|要点|中心思想|核心内容|梗概|概要|摘要|主题)"
        rf"|(?:总结|概括|归纳|概述|梳理|介绍|讲讲|说说)(?:一下)?[^，。？?！!]{{0,30}}?{_DOC_WORD}"
        r"(?:的?(?:内容|要点|大意))?[？?。！!]*$")
# which documents speak of something: “有没有关于易地搬迁的文章”, “哪些报道提到了松茸”
_DOCS = r"(?:文章|报道|稿件|新闻|资料|材料|文档|文件|案例)"
_FIND = [re.compile(r"^(?:请问)?(?:有没有|有无|是否有|有)(?:关于|讲|写|涉及|提到|介绍)(?P<topic>[^，。？?！!]{2,30}?)的?"
                    rf"{_DOCS}(?:吗|呢)?[？?。！!]*$"),
         re.compile(r"^(?:请问)?(?:有没有|有无|是否有)(?P<topic>[^，。？?！!]{2,30}?)的?"
                    rf"{_DOCS}(?:吗|呢)?[？?。！!]*$"),
         re.compile(rf"^(?:关于|讲|写|涉及|提到|介绍)(?P<topic>[^，。？?！!]{{2,30}}?)的{_DOCS}有(?:哪些|几篇|多少篇?)[？?。！!]*$"),
         re.compile(r"^(?:有)?哪些(?:关于|讲|写|涉及|提到|介绍)(?P<topic>[^，。？?！!]{2,30}?)的"
                    rf"{_DOCS}[？?。！!]*$"),
         re.compile(rf"^哪些{_DOCS}(?:讲|写|谈|提到|涉及|介绍|报道)(?:了|过|到)?(?P<topic>[^，。？?！!]{{2,30}}?)[？?。！!]*$")]
FIND = "|".join(f"(?:{p.pattern})" for p in _FIND).replace("?P<topic>", "")


def searched_topic(question: str) -> str:
    """What a question asking which documents speak of something names (“易地搬迁” in 有没有关于易地搬迁的文章), or ""."""
    for pattern in _FIND:
        m = pattern.search(question)
        if m:
            return m.group("topic")
    return ""


# what a question about the document asks for
ASKED = [
    ("gist", re.compile(GIST)),
    ("find", re.compile(FIND)),
    ("reporter", re.compile(r"记者|采写|报道(的)?人")),
    ("author", re.compile(r"作者|撰写|撰稿|谁写|写的|执笔")),
    ("source", re.compile(r"来源|出处|哪家媒体|刊载|转载|出自|刊登|(发表|登|刊)在(哪|什么)")),
    ("date", re.compile(r"哪天|何时|时间|日期|发表|发布|刊发")),
    ("title", re.compile(r"标题|题目|题为|叫什么")),
]
_ROLE_AFTER = re.compile(r"[、，,\s]*(?:通讯员|记者|实习生|摄影|摄|编辑|报道)")
FALLBACK = {"reporter": ("author", "correspondent"), "author": ("reporter", "correspondent"), "source": ()}


@dataclass(frozen=True)
class MetaField:
    name: str
    value: str
    start: int = -1  # span of the value in the document text; -1 when it came with the file
    end: int = -1


def extract(text: str, given: dict[str, str] | None = None) -> list[MetaField]:
    """Fields found in the head and tail of ``text``, then the ``given`` ones not found there."""
    out: list[MetaField] = []
    tail_from = max(0, len(text) - TAIL)
    for name, pattern, where in _PATTERNS:
        lo, hi = {"head": (0, HEAD), "tail": (tail_from, len(text)), "any": (0, len(text))}[where]
        for m in pattern.finditer(text, lo, hi):
            if where == "any" and HEAD <= m.start() < tail_from:
                continue
            value = _ROLE_AFTER.split(m.group("v"))[0].strip()
            if value and not any(f.name == name and (f.value == value or f.start == m.start("v")) for f in out):
                out.append(MetaField(name, value, m.start("v"), m.start("v") + len(value)))
    for name, value in (given or {}).items():
        if name in LABELS and value and not any(f.name == name for f in out):
            at = text.find(value)
            out.append(MetaField(name, value, at, at + len(value)) if at >= 0 else MetaField(name, value))
    return out


# what closes a source, dateline or byline (…8月3日电 (记者李发兴)) before the report begins
AFTER_FIELD = "）)】]电讯：: \u3000\n"


def header_end(text: str) -> int:
    """Where a document's source, dateline and byline (来源：… …电（记者 …）) end and its report
    begins: past the last such field in the head and its closing marks; 0 when there is none (or
    nothing after it). A title (原标题：…) does not count: where it ends is a guess, as it runs on
    into the report when no line break or dateline follows."""
    ends = [f.end for f in extract(text) if f.name != "title" and 0 <= f.start < HEAD]
    if not ends:
        return 0
    end = max(ends)
    while end < len(text) and text[end] in AFTER_FIELD:
        end += 1
    return end if end < len(text) else 0


# words naming a fact about a document itself (its author, where and when it was published, its
# title): a question about the document names one of them (question.KINDS "meta")
FIELD_WORDS = "作者|记者|通讯员|来源|出处|出自|刊登|刊载|标题|题目|发表|发布|刊发|撰写"
# words that ask about a document without saying which one: 这篇文章, 末尾署名的作者, 什么时候发表
# (a longer word before its first character: 文末 before 文, else 文末 leaves 末 as a name)
_ABOUT_THE_DOCUMENT = re.compile(r"这|该|此|本|那|篇|则|份|个|位|文章|报道|稿件|稿子|特稿|通讯|新闻|资料|材料|案例|文档|文件|"
                                  r"末尾|结尾|开头|文末|文首|文|的|是|谁|什么|哪|"
                                  rf"{FIELD_WORDS}|转载|登|在|地方|媒体|"
                                  r"撰稿人?|写|体裁|类型|属于|里|说|吗|呢|"
                                  r"括号|署名|署|名字|姓名|叫|时候|时间|日期|哪天|何时|年份|"
                                  r"帮我|请|总结|概括|归纳|概述|梳理|介绍|讲讲|说说|一下|主要|大致|大概|内容|主旨|大意|要点|"
                                  r"讲了|说了|了些|关于|中心思想|核心|梗概|概要|摘要|主题|"
                                  r"[，。？?！!、()（）\s]")


def named_part(topic: str) -> str:
    """What a question about a document says to find it by (“江口” in 这篇江口的文章是谁写的), or ""."""
    rest = _ABOUT_THE_DOCUMENT.sub("", topic)
    return rest if len(rest) >= 2 else ""


def names_something(topic: str) -> bool:
    """Whether a question about a document says which one (江口县那篇文章) beyond “这篇文章”."""
    return bool(named_part(topic))


def title_match(named: str, title: str) -> int:
    """How many two-character pieces of ``named`` the document's title (or publisher) holds."""
    return sum(1 for i in range(len(named) - 1) if named[i : i + 2] in title)


def asked_field(question: str) -> str | None:
    for name, pattern in ASKED:
        if pattern.search(question):
            return name
    return None


def find(fields: list[MetaField], name: str) -> MetaField | None:
    for wanted in (name, *FALLBACK.get(name, ())):
        for f in fields:
            if f.name == wanted:
                return f
    return None
