"""What a question asks: its content words (weighted by IDF and part of speech), the named things
it mentions, and the kind of answer it wants — a person, a date, a number in a given unit, a
place, an organisation, a reason, an effect, a list — with the “slot” word that names it (哪个**区**,
什么**职务**, 多少**兆瓦**).

These are descriptions of the question, not decisions: the answer model (features.py) turns them
into evidence about each candidate sentence, and its weights are learned from data."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import jieba
import jieba.posseg as pseg

from .answer_types import (
    AGE, AREA, DIGITS, DURATION, LENGTH, LENGTH_OR_DURATION, MEASURE_WORDS, MONEY, NUMERAL_CHARS, PLACE_SUFFIXES,
    WEIGHT,
)
from .crosslingual import GlossedWords, PinyinNames
from .docmeta import FIELD_WORDS, FIND, GIST
from .normalize import normalize
from .terms import terms_in
from .tokens import STOPWORDS, content_words

# the asking part of a question carries no topic: strip it before looking for content words
QUESTION_FRAMES = re.compile(
    r"叫什么名字|叫什么|什么名字|是谁|是什么|是哪些|有哪些|包括哪些|哪几[个项条种]?|指什么|是多少|有多少|多少|"
    r"在哪里|在哪儿|在哪|哪里|怎么样|怎样|如何|为什么|为何|什么时候|哪一年|哪年|哪对|哪位|哪个|哪些|什么|"
    r"请问|请|帮我|查一下|介绍一下|说说|讲讲|能不能|可以|吗|呢"
)
# spoken asking words, read as their written forms so a question typed the way people talk is
# analysed like the written one (叫啥 → 叫什么, 咋样 → 怎么样, 几时 → 什么时候)
SPOKEN_ASKING: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"为啥"), "为什么"), (re.compile(r"啥时候?|几时|多会儿"), "什么时候"), (re.compile(r"咋样"), "怎么样"),
    (re.compile(r"咋"), "怎么"), (re.compile(r"啥子?"), "什么"), (re.compile(r"干嘛"), "干什么"),
    # spoken fillers carry no topic, and the corpus never writes them: as content words they would
    # be its rarest words and the quote would seem to miss them
    (re.compile(r"(想|我想)?(问一?下|知道一?下?)|告诉我(?!们)|给我(?!们)|跟我(?!们)|咱们?|俺们?|到底|究竟|来着|[呗哈啦嘞喽](?=[？?！!。]*$)|"
                r"那个|这个|那边|这边|里头"), ""))
# part of speech → how much a missing word of that kind says the corpus cannot answer
POS_WEIGHT = {"n": 1.0, "nr": 1.2, "ns": 1.0, "nt": 1.0, "nz": 1.0, "eng": 1.2, "m": 0.8, "t": 0.8, "vn": 0.8,
              "j": 1.0, "x": 1.0}
DEFAULT_POS_WEIGHT = 0.5
ENTITY_POS = ("nr", "ns", "nt", "nz")

# answer kinds, from the wording every Chinese question uses to ask (not from any one question set)
# 几 that asks a number (几栋, 几个钟头), not 这几项/哪几个 (which ones), 十几个/好几个 (a rough count
# already given) or 几乎 (almost); the kind and the asked unit read it alike
ASKING_JI = r"(?<![这那哪十好数])几(?![乎十])"
KINDS: list[tuple[str, re.Pattern]] = [
    # about the document itself: “这篇（…）的作者/来源/标题”, “作者是谁”, “哪位作者”, “署名是谁” — a
    # 来源/标题/题目 needs the document named (资金来源, 讲课的题目 are facts in the text)
    ("meta", re.compile(r"(这|该|此|本)(篇|则|份|个)?(文章|报道|稿件|新闻|资料|材料|文档|文件|文)?.{0,6}"
                        rf"({FIELD_WORDS})"
                        rf"|(这|该|此|本)(篇|则|份).{{0,10}}({FIELD_WORDS})"
                        r"|(作者|记者|撰稿人)是(谁|什么|哪)|(文章|报道|稿件|新闻|本文|全文)的?(出处|来源|标题|题目)"
                        r"|(谁|哪位记者)(写|撰写|报道)的|哪位(作者|记者|撰稿人)|(作者|撰稿人)的?(署名|名字|姓名)"
                        r"|署名(是|为)?(谁|什么|哪)|署名的?(作者|记者)|(文末|末尾|结尾|开头|文首).{0,8}(署名|作者|记者|通讯员)"
                        rf"|{GIST}|{FIND}")),
    ("role", re.compile(r"(什么|哪个|何)(职务|职位|身份|头衔|岗位|领导|干部|官)|担任.{0,4}(什么|何|哪)|任.{0,2}什么职"
                        r"|(做|干)什么(工作|的)|是干什么的|是做什么的")),
    ("who", re.compile(r"谁|什么人|哪位|哪对|哪些人|名字|叫什么|姓什么|哪名|哪一位")),
    ("when", re.compile(r"什么时候|何时|哪一?年|哪个?月|哪一?天|几月|几号|几日|什么时间|日期|哪个时间|何年")),
    ("number", re.compile(rf"多少|第几|{ASKING_JI}[\u4e00-\u9fff]|多长|多久|多大|多高|多远|多重|多深|多快|比例|占比|百分之|"
                          r"率是|增长了?几|增幅|降幅")),
    ("where", re.compile(r"哪里|在哪|什么地方|何处|哪儿|何地|哪个(省|市|县|区|镇|乡|村|国家|地区|城市)|哪(国|省|市|县)")),
    ("reason", re.compile(r"为什么|为何|原因|怎么(?:会|就|这么|那么)|为啥|缘何|何以|因为什么|目的|用意|初衷|出发点|起因|诱因|缘由|理由|动因"
                          r"|出于(什么|哪些|何种)|图(的是)?什么|为了什么")),
    ("effect", re.compile(r"作用|效果|成效|意义|影响|(带来|取得|达到|产生)了?(什么|哪些)|有何好处|成果|变化|什么结果|结果如何")),
    ("compare", re.compile(r"相比|比较|区别|不同|差别|对比|相较")),
    ("list", re.compile(r"哪些|哪几|包括|包含|有什么|分别|几大|几项|几个方面|哪[三四五六七八九十两]")),
    ("definition", re.compile(r"什么是|是什么|指什么|是指|含义|意思|内容|何谓")),
    ("how", re.compile(r"怎样|怎么|如何|什么方法|方法|措施|做法|办法|举措|途径")),
]
# after 哪/什么/多少/几: the word naming what is asked (哪个**区**, 什么**职务**, 多少**兆瓦**, 哪几所**科研院所**,
# 哪五类**人群**, 哪些**企业**); 哪里/哪儿 and 何时/何地/何处 ask for a place or a time, not for a noun; a measure word
# alone (哪几**位**, 哪两**句**) names no sort of thing; 为什么/凭什么 ask why, not for a thing (为什么**适合**)
_SLOT = re.compile(rf"(?:哪(?![里儿]|一?[天日号])(?:几|[{NUMERAL_CHARS}]{{1,3}})?|(?<![为凭])什么|何(?![时地处故])|多少|{ASKING_JI})"
                   r"(?:[个位家支所项座条种类名届次批款部只件些]|一)?([\u4e00-\u9fffA-Za-z]{1,4})")
_ASKED_UNIT = re.compile(rf"(?:多少|{ASKING_JI})([\u4e00-\u9fff%A-Za-z]{{1,4}})")
_ASKED_TIME_LENGTH = re.compile(r"多长的?时间|多久|多少时间|用时多少|耗时多少")
# a measure asked without a unit (多高, 多重, 面积多大); tried in order, after 多少/几 + unit. A
# rate, share or price asked with 多高 names no measure (贫困发生率多高 is a percentage).
_ASKED_MEASURES = (
    (re.compile(r"(?:率|比例|占比|比重|价格?|收入|温度|分数?|水平)有?多[高大]"), ""),
    (re.compile(r"多大(?:的)?(?:岁数|年纪|年龄)|(?:岁数|年纪|年龄)(?:有)?多大"), AGE),
    (re.compile(r"多大(?:的)?面积|(?:面积|占地)[^，,。？?]{0,4}多大"), AREA),
    (re.compile(r"多[高深宽厚远]"), LENGTH),
    (re.compile(r"多长"), LENGTH_OR_DURATION),
    (re.compile(r"多重|多沉"), WEIGHT),
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_LATIN = re.compile(r"[A-Za-z]")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]+\b")
_CJK = re.compile(r"[\u4e00-\u9fff]")

EN_KINDS: list[tuple[str, re.Pattern]] = [
    ("who", re.compile(r"\bwho(m|se)?\b", re.I)),
    ("when", re.compile(r"\bwhen\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|date|day|month)\b", re.I)),
    ("number", re.compile(r"\bhow (many|much|long|far|high|big|large|old)\b|\bwhat (percentage|proportion|share|rate|number)\b", re.I)),
    ("where", re.compile(r"\bwhere\b|\bwhich (city|county|province|country|district|village|town|place)\b", re.I)),
    ("reason", re.compile(r"\bwhy\b", re.I)),
    ("list", re.compile(r"\bwhich\b.*\b(are|were)\b|\blist\b|\bwhat are\b", re.I)),
    ("how", re.compile(r"\bhow\b", re.I)),
]


@dataclass(frozen=True)
class Query:
    text: str
    normalized: str
    words: tuple[str, ...]  # content words (search mode: words and their sub-words)
    terms: tuple[str, ...]  # glossary terms named in the question
    weights: dict[str, float] = field(default_factory=dict)  # maximal content word → weight
    entities: tuple[str, ...] = ()  # names of people, places, organisations in the question
    kind: str = "other"
    slot: str = ""  # the word naming what is asked (区, 职务, 部队, 兆瓦 …)
    unit: str = ""  # what follows 多少/几 (兆瓦, 家企业, 个百分点 …)
    years: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    language: str = "zh"  # "en" when the question has Latin letters and no Chinese
    focus: tuple[str, ...] = ()  # content words right around the asking word (疑似**什么**, 放弃什么**过时理念**)

    @property
    def topic(self) -> str:
        """The question without its asking words."""
        return QUESTION_FRAMES.sub("，", self.normalized)


class Vocabulary:
    """The corpus statistics a question is read against: how many chunks hold each word."""

    def __init__(self, doc_freq: Mapping[str, int], n_chunks: int, glossary_forms: Mapping[str, object],
                 translations_per_word: int = 0) -> None:
        self.doc_freq = doc_freq
        self.n = max(1, n_chunks)
        self.glossary_forms = glossary_forms
        self.translations_per_word = translations_per_word  # 0: English words are not looked up

    def idf(self, word: str) -> float:
        df = self.doc_freq.get(word, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    @functools.cached_property
    def pinyin_names(self) -> PinyinNames:
        """The corpus words by their pinyin, for names in an English question (built on first use)."""
        return PinyinNames(self.doc_freq)

    @functools.cached_property
    def glossed_words(self) -> GlossedWords:
        """The corpus words by the English words CC-CEDICT glosses them with (built on first use)."""
        return GlossedWords(self.doc_freq)

    def warm(self) -> None:
        """Build the tables the first English question would otherwise wait for (about 6 s on the
        evaluation index: pinyin of every corpus word, CC-CEDICT read backwards; crosslingual.py)."""
        _ = self.pinyin_names
        if self.translations_per_word > 0:
            _ = self.glossed_words

    def english_words(self, text: str) -> tuple[str, ...]:
        """The corpus words the dictionary gives for the English words of ``text``."""
        return self.glossed_words.words_in(text, self.translations_per_word) if self.translations_per_word > 0 else ()

    def known_name(self, name: str) -> str:
        """A name jieba glued a following character to (陈婵驻 ← 陈婵 + 驻, 郑某刚 ← 郑某 + 刚) is cut
        back to the name the corpus uses; a name the corpus never uses otherwise stays whole (青山村
        is not 青山: a place suffix is part of the name)."""
        if name in self.doc_freq or len(name) < 3 or name.endswith(PLACE_SUFFIXES):
            return name
        return name[:-1] if name[:-1] in self.doc_freq else name

    def known_pieces(self, words: list[str]) -> list[str]:
        """A word the corpus never uses is often jieba gluing two words (前住 ← 前 + 住在): split
        it into dictionary words when those pieces are in the corpus; keep it otherwise (GDP)."""
        out = []
        for w in words:
            if len(w) > 1 and w not in self.doc_freq:
                pieces = [p for p in jieba.lcut(w, HMM=False) if p.strip()]
                if len(pieces) > 1 and all(p in self.doc_freq for p in pieces):
                    out.extend(p for p in pieces if p not in STOPWORDS)
                    continue
            out.append(w)
        return out


def question_language(text: str) -> str:
    return "en" if _LATIN.search(text) and not _CJK.search(text) else "zh"


def question_kind(text: str) -> str:
    """The kind of answer ``text`` asks for (first matching pattern; ``other`` when none)."""
    patterns = EN_KINDS if question_language(text) == "en" else KINDS
    for kind, pattern in patterns:
        if pattern.search(text):
            return kind
    return "other"


def asked_slot(normalized: str) -> str:
    """The noun that names what is asked, cut to a dictionary word (哪支部队提供 → 部队)."""
    m = _SLOT.search(normalized)
    if not m:
        return ""
    tail = m.group(1)
    first = next((w for w in jieba.lcut(tail, HMM=False) if w.strip()), "")
    return "" if first in STOPWORDS or (len(first) == 1 and first in MEASURE_WORDS) else first


_ASKING_WORD = re.compile(r"什么|哪|多少|几|谁|何|怎么|怎样|如何|为什么|为何|多[长久大高远重深宽厚]")
FOCUS_BEFORE, FOCUS_AFTER = 8, 6  # characters either side of the asking word


def _token_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """``start`` and ``end`` moved out to the edges of the words they fall in, so a window of
    characters does not cut a word (2023年 into 023年)."""
    edges, at = [0], 0
    for token in jieba.lcut(text):
        at += len(token)
        edges.append(at)
    return max(e for e in edges if e <= start), min((e for e in edges if e >= end), default=len(text))


def focus_words(normalized: str) -> tuple[str, ...]:
    """The content words next to the asking word: what the answer must be said about."""
    m = _ASKING_WORD.search(normalized)
    if not m:
        return ()
    start, end = _token_edges(normalized, max(0, m.start() - FOCUS_BEFORE), m.end() + FOCUS_AFTER)
    window = normalized[start : m.start()] + "，" + normalized[m.end() : end]
    words = [w for w in content_words(QUESTION_FRAMES.sub("，", window)) if len(w) > 1]
    return tuple(dict.fromkeys(maximal(tuple(words))))[-4:]


def asked_unit(normalized: str) -> str:
    """What follows 多少/几 (兆瓦, 家企业), or the kind of amount asked: money for 多少钱, a
    length of time for 多长时间/多久, a distance, weight, area or age for 多远, 多重, 面积多大, 多大年纪."""
    if _ASKED_TIME_LENGTH.search(normalized):
        return DURATION
    m = _ASKED_UNIT.search(normalized)
    if m:
        return MONEY if m.group(1).startswith(("钱", "块钱")) else m.group(1)
    return next((measure for pattern, measure in _ASKED_MEASURES if pattern.search(normalized)), "")


def written_asking(normalized: str) -> str:
    """The question with its spoken asking words in their written forms and its spoken fillers dropped."""
    for pattern, written in SPOKEN_ASKING:
        normalized = pattern.sub(written, normalized)
    return normalized


def analyze(text: str, vocabulary: Vocabulary, use_terms: bool = True) -> Query:
    normalized = written_asking(normalize(text))
    topic = QUESTION_FRAMES.sub("，", normalized)
    language = question_language(text)
    names: tuple[str, ...] = ()
    if language == "en":
        # its English words match no Chinese text: it searches by the names it spells in pinyin, the
        # acronyms the corpus also writes (GDP, CEO) and the dictionary's words for the rest
        names = vocabulary.pinyin_names.words_in(text)
        written = [w.lower() for w in _ACRONYM.findall(text) if w.lower() in vocabulary.doc_freq]
        words = tuple(dict.fromkeys(list(names) + written + list(vocabulary.english_words(text))))
    else:
        words = tuple(dict.fromkeys(vocabulary.known_pieces(content_words(topic))))
    terms = tuple(terms_in(normalized, vocabulary.glossary_forms)) if use_terms else ()
    pos = {w: flag for w, flag in pseg.lcut(topic)}
    weights = {}
    for w in maximal(words):
        kind = pos.get(w, "x" if w in terms else "")
        weight = POS_WEIGHT.get(kind, POS_WEIGHT.get(kind[:1], DEFAULT_POS_WEIGHT)) if kind else 1.0
        weights[w] = vocabulary.idf(w) * weight
    slot = asked_slot(normalized)
    # the sort of thing asked (哪座**城市**, 多少名**小学生**) is no name the document must hold
    named = (vocabulary.known_name(e) for e in entities(topic))
    return Query(
        text=text, normalized=normalized, words=words, terms=terms, weights=weights,
        entities=names or tuple(dict.fromkeys(e for e in named if e != slot)),
        kind=question_kind(normalized),
        slot=slot, unit=asked_unit(normalized),
        years=tuple(dict.fromkeys(_YEAR.findall(normalized))),
        numbers=tuple(dict.fromkeys(DIGITS.findall(normalized))), language=language,
        focus=focus_words(normalized))


# a count the question words with a measure word of its own choosing (哪四样东西, 四件事, 那两场) is
# the same count the text writes with another (四个下沉, 八大攻坚战): the numeral carries it, not 样/件/场.
# Not 一 (一个, 一家 are articles), and not a unit of time (三年 is no 三个).
COUNT_CLASSIFIERS = "个大项件样类种条场支批位名家户所处座"
_COUNT_WORD = re.compile(rf"([二两三四五六七八九十百千][{NUMERAL_CHARS}]*|一[十百千][{NUMERAL_CHARS}]*)[{COUNT_CLASSIFIERS}]")


@functools.lru_cache(maxsize=4096)
def _count_form(word: str) -> re.Pattern | None:
    m = _COUNT_WORD.fullmatch(word)
    return re.compile(rf"(?<![{NUMERAL_CHARS}]){m.group(1)}[{COUNT_CLASSIFIERS}]") if m else None


def says(word: str, normalized_text: str) -> bool:
    """Whether the text holds the word, a count word (四件) also in another measure word (四个)."""
    if word in normalized_text:
        return True
    form = _count_form(word)
    return form is not None and form.search(normalized_text) is not None


def coverage(query: Query, normalized_text: str) -> float:
    """Weighted share of the question's content words found in ``normalized_text``.

    A word that is absent still earns half credit for the share of its characters present
    (搬迁 ~ 搬到), so paraphrase costs little while a missing topic (GDP, 门票) costs all."""
    total = sum(query.weights.values())
    if not total:
        return 0.0
    got = 0.0
    for w, weight in query.weights.items():
        if says(w, normalized_text):
            got += weight
        else:
            got += weight * 0.5 * sum(ch in normalized_text for ch in w) / len(w)
    return got / total


def entities(text: str) -> list[str]:
    """Names of people, places and organisations, a place suffix kept on (青山 + 村 → 青山村)."""
    tokens = [(p.word, p.flag) for p in pseg.lcut(text)]
    out = []
    for i, (word, flag) in enumerate(tokens):
        if not flag.startswith(ENTITY_POS):
            continue
        if i + 1 < len(tokens) and tokens[i + 1][0] in PLACE_SUFFIXES:
            word += tokens[i + 1][0]
        if len(word) >= 2:
            out.append(word)
    return out


def maximal(words: tuple[str, ...]) -> list[str]:
    """Drop words that are part of a longer word in the list (search mode yields both)."""
    return [w for w in words if not any(w != o and w in o for o in words)]
