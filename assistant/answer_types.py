"""Typed spans in a sentence: the people, organisations, places, dates and quantities it names.

The answer model asks whether a candidate sentence holds a span of the kind the question wants
that the question does not already name (a question about 杨华祥 is not answered by a sentence
whose only person is 杨华祥). Recognition is jieba's part-of-speech tags plus the suffixes and
title words of Chinese names — general patterns of the language, not of any question set."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import jieba
import jieba.posseg as pseg

NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万亿"  # a number written in characters
NUMERAL = rf"(?:\d+(?:[.,．]\d+)*|[{NUMERAL_CHARS}]+)"
MAGNITUDE = "万亿千百"
# words that say what a person is (a name stands next to them) — Chinese titles, not a fixed roster
TITLE_WORDS = ("书记", "县长", "市长", "省长", "镇长", "乡长", "区长", "村长", "主任", "站长", "局长", "社长", "队长",
               "组长", "委员", "干部", "记者", "通讯员", "经理", "董事长", "总裁", "主席", "部长", "厅长", "院长",
               "校长", "教授", "研究员", "专家", "负责人", "发言人", "创始人", "会长", "秘书长", "处长", "科长",
               "所长", "馆长", "团长", "教练", "球员", "选手", "运动员", "总监", "首席", "大使", "代表", "总统",
               "总理", "首相", "议员", "警官", "医生", "教师", "老师", "村民", "党员", "理事长", "行长", "总经理",
               "副总", "书记员", "法官", "检察官", "律师", "作者", "编辑", "主编", "导演", "演员", "歌手",
               # what a person is, not an office: 移民搬迁群众张万富, 贫困户郑某
               "群众", "移民", "贫困户", "脱贫户", "农民", "农户", "工人", "学生", "志愿者", "退役军人", "老党员")
_TITLE = "|".join(sorted(TITLE_WORDS, key=len, reverse=True))
ORG_SUFFIXES = ("公司", "集团", "银行", "大学", "学院", "学校", "中学", "小学", "医院", "协会", "学会", "委员会",
                "基金会", "研究院", "研究所", "中心", "法院", "检察院", "政府", "部", "局", "厅", "署", "办公室",
                "委", "组织", "联盟", "合作社", "部队", "军", "队", "俱乐部", "电视台", "报社", "出版社", "交易所",
                "实验室", "商会", "联合会", "党委", "支部", "工委", "机构", "企业", "工厂", "厂", "所", "院", "馆",
                "社", "台", "网", "处", "科", "站")
PLACE_SUFFIXES = ("省", "市", "县", "区", "镇", "乡", "村", "街道", "社区", "州", "国", "岛", "湖", "山", "河", "江",
                  "组", "屯", "寨", "港", "湾", "盟", "旗", "洲")
_LATIN_NAME = re.compile(r"[A-Z][a-z]+(?:[ -][A-Z][a-zé]+)+")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{1,6}")
_NAME_AFTER_TITLE = re.compile(r"(?:%s)\s*([\u4e00-\u9fff]{2,3})(?=[，,。、；;：:（(\s说表示介绍告诉称]|$)" % _TITLE)
_BYLINE = re.compile(r"[（(]\s*(?:记者|通讯员|作者)?\s*([\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})*)\s*[）)]")
DATE = re.compile(r"(?:(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?|\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
                  r"|\d{1,2}\s*月(?:[上中下]旬|底|初|份)?|[一二三四五六七八九十]{1,3}月(?:[上中下]旬)?|\d{1,2}\s*[日号]"
                  r"|[上下]半年|年初|年底|年末|年中|上世纪[\u4e00-\u9fff]{2,4}年代|\d{2,4}年代|今年|去年|明年|前年"
                  r"|\d{1,2}[:：]\d{2}|(?:周|星期)[一二三四五六日天]|[春夏秋冬]季|凌晨|上午|下午|晚上|当天|次日)")
YEAR = re.compile(r"(?:19|20)\d{2}\s*年|(?:19|20)?\d0\s*年代")  # a decade answers 哪一年 only by its number (90年代, not 九十年代)
# a number, its magnitude and the words after it; 多/余/来 may stand before the magnitude (10余万元) or after
# it (3.4万余名, 5万多人), and are no part of the unit
QUANTITY = re.compile(r"(%s)\s*(?:多|余|来|几)?\s*([%s]*)\s*(?:多|余|来)?\s*([^\d\s，,。；;、：:！!？?（）()“”\"]{0,4})"
                      % (NUMERAL, MAGNITUDE))
# a count written in characters before its measure word (三度推迟, 八大攻坚战, 十余个): not a lone 一
# (一个, 一些 are articles), not after 第/周/星期 (an order or a weekday)
MEASURE_WORDS = "个次度回遍趟名位人户家项条件座栋幢所处种类批场支只头台辆架艘倍成大届期轮年天月周岁"
WORD_COUNT = re.compile(r"(?<![第周期])(?:[二两三四五六七八九十百千][%s]*|一[十百千万亿][%s]*)(?:多|余|来|几)?[%s]"
                        % (NUMERAL_CHARS, NUMERAL_CHARS, MEASURE_WORDS))
# an edition, round or batch of something (第五届, 第3期, 第二批): a look-alike is the same thing's other one
ORDINAL = re.compile(rf"第\s*([\d{NUMERAL_CHARS}]+)\s*(届|期|批|轮|季|次|代|版|集|场|站)")
# one of a numbered series, named by the two characters before its number (神舟十六号 → 神舟号; 嫦娥六号) or a
# line (12号线): a look-alike is the series' other member. Not a date (8月3号) nor a number after a digit or a mark.
SERIES = re.compile(rf"(?<=[\u4e00-\u9fff]{{2}})(?<![月第])([\d{NUMERAL_CHARS}]{{1,3}})号(线)?")
_DIGIT_OF = {ch: i for i, ch in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


PERCENT = re.compile(r"\d+(?:\.\d+)?\s*[%％]|百分之[零一二两三四五六七八九十百点]+|[一二三四五六七八九十]成")
ROLE = re.compile(r"(?:%s)" % _TITLE)
REASON_MARKERS = re.compile(r"因为|由于|原因|为了|因此|所以|导致|是因|缘于|源于|在于|鉴于|为此|之所以|造成|以此|旨在|目的|"
                            r"为解决|以便|以期|初衷|起因")
EFFECT_MARKERS = re.compile(r"使|让|推动|促进|带动|实现|提升|提高|增加|帮助|作用|效果|成效|意义|有效|助力|改善|增强|"
                            r"降低|减少|解决|保障|成为|确保")
DEFINITION_MARKERS = re.compile(r"[:：]|即|就是|是指|指的是|包括|分别是|分别为|主要有|是一种|称为")
LIST_SEPARATORS = re.compile(r"[、；;]")
_CLAUSES = re.compile(r"[,，、；;：:。！!？?]")


def list_items(text: str) -> int:
    """How many items ``text`` lists: its list separators, or its parallel clauses — clauses that
    end alike (干部培训全覆盖,入户走访全覆盖,思想动员全覆盖: the scraped seed lists with commas)."""
    endings: dict[str, int] = {}
    for clause in _CLAUSES.split(text):
        clause = clause.strip("“”\"' ")
        if len(clause) >= 4:
            endings[clause[-2:]] = endings.get(clause[-2:], 0) + 1
    parallel = max(endings.values(), default=0)
    return max(len(LIST_SEPARATORS.findall(text)), parallel if parallel >= 3 else 0)


DIGITS = re.compile(r"\d+(?:\.\d+)?")  # a number written in digits (72.6, 2023)


def named_numbers(question: str) -> frozenset[str]:
    """The numbers a question names: a sentence stating only these answers no "how many"."""
    return frozenset(DIGITS.findall(question))


def without_dates(text: str) -> str:
    """``text`` with its dates blanked (same length): 12月13日 is a date, not an amount."""
    return DATE.sub(lambda m: " " * len(m.group(0)), text)


def unnamed_numbers(text: str, question: str) -> list[Span]:
    """The numbers of ``text`` outside dates that the question does not name."""
    named = named_numbers(question)
    return [s for s in matches(DIGITS, without_dates(text)) if s.text not in named]


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def matches(pattern: re.Pattern, text: str, group: int = 0) -> list[Span]:
    """Every match of ``pattern`` in ``text`` (or of its ``group``) as a span."""
    return [Span(m.start(group), m.end(group), m.group(group)) for m in pattern.finditer(text)]


@functools.lru_cache(maxsize=4096)
def _tagged(text: str) -> tuple[tuple[str, str, int], ...]:
    out, pos = [], 0
    for p in pseg.lcut(text):
        out.append((p.word, p.flag, pos))
        pos += len(p.word)
    return tuple(out)


def _pos_spans(text: str, prefixes: tuple[str, ...], min_len: int = 2) -> list[Span]:
    return [Span(at, at + len(w), w) for w, flag, at in _tagged(text) if flag.startswith(prefixes) and len(w) >= min_len]


def _dotted_names(text: str) -> list[Span]:
    """Transliterated names: words joined by ·, taken whole (约瑟芬·科金斯)."""
    tokens = _tagged(text)
    out = []
    i = 0
    while i < len(tokens):
        j = i
        while j + 2 < len(tokens) and tokens[j + 1][0] == "·" and _CJK_WORD.fullmatch(tokens[j + 2][0]):
            j += 2
        if j > i and _CJK_WORD.fullmatch(tokens[i][0]):
            start = tokens[i][2]
            end = tokens[j][2] + len(tokens[j][0])
            out.append(Span(start, end, text[start:end]))
        i = j + 1
    return out


# jieba's dictionary tags many everyday words as names (荣誉, 文明, 阳光, 青少年); one it counts this
# often is an everyday word (the names it holds, 习近平 or 特朗普, it counts rarely)
EVERYDAY_NAME_COUNT = 300
# a "name" ending in one of these is a place jieba's tagger took for a person (嘎拉村, 立石镇)
_ADMINISTRATIVE = ("省", "市", "县", "区", "镇", "乡", "村", "街道", "社区", "州", "寨", "屯")


@functools.lru_cache(maxsize=1)
def _dictionary_name_counts() -> dict[str, int]:
    """How often jieba's own dictionary counts each word it tags as a name (read from its file:
    the words the corpus teaches jieba later change the tokenizer's counts, not these)."""
    counts = {}
    with jieba.dt.get_dict_file() as f:
        for line in f:
            parts = line.decode("utf-8").split()
            if len(parts) == 3 and parts[2].startswith("nr"):
                counts[parts[0]] = int(parts[1])
    return counts


def _tagged_names(text: str) -> list[Span]:
    """The words jieba tags as names, less its everyday words and places."""
    counts = _dictionary_name_counts()
    return [s for s in _pos_spans(text, ("nr",))
            if counts.get(s.text, 0) < EVERYDAY_NAME_COUNT
            and not (len(s.text) >= 3 and s.text.endswith(_ADMINISTRATIVE))]


_FUNCTION_TAGS = ("u", "c", "p", "k", "r", "d", "x")  # particles, conjunctions, prepositions, suffixes, pronouns


def _name_after_title(words: str) -> bool:
    """Whether the two or three characters after a title read as a name: jieba tags a name in
    them (书记杨坤), or cuts off a single character that is no function word (干部张|新华), not a
    word of the dictionary (书记指出, 记者了解到) or a particle (们说, 的需求)."""
    if _tagged_names(words):
        return True
    first_word, flag, _ = _tagged(words)[0]
    return len(first_word) == 1 and not flag.startswith(_FUNCTION_TAGS)


def persons(text: str) -> list[Span]:
    spans = _tagged_names(text)
    spans += _dotted_names(text)
    spans += matches(_LATIN_NAME, text)
    spans += [s for s in matches(_NAME_AFTER_TITLE, text, 1) if _name_after_title(s.text)]
    spans += matches(_BYLINE, text, 1)
    return spans


_NOUNISH = ("n", "ns", "nt", "nz", "nr", "j", "eng")


def _compounds(text: str, suffixes: frozenset[str], max_tokens: int = 4, min_len: int = 3) -> list[Span]:
    """Runs of noun tokens ending in one of ``suffixes`` (中国 + 石油 + 大学, 翠屏 + 区)."""
    tokens = _tagged(text)
    out = []
    for i, (word, _flag, at) in enumerate(tokens):
        ends = word in suffixes or any(word.endswith(x) and len(word) > len(x) for x in suffixes)
        if not ends:
            continue
        j = i
        while j > 0 and i - j < max_tokens and tokens[j - 1][1].startswith(_NOUNISH) and tokens[j - 1][0].strip():
            j -= 1
        start = tokens[j][2]
        end = at + len(word)
        if end - start >= min_len:
            out.append(Span(start, end, text[start:end]))
    return out


_ORG_SET = frozenset(ORG_SUFFIXES)
_PLACE_SET = frozenset(x for x in PLACE_SUFFIXES if x != "组")


def organisations(text: str) -> list[Span]:
    return _pos_spans(text, ("nt",)) + _compounds(text, _ORG_SET, min_len=4)


def places(text: str) -> list[Span]:
    return _pos_spans(text, ("ns",)) + _compounds(text, _PLACE_SET, max_tokens=2)


def dates(text: str) -> list[Span]:
    return matches(DATE, text)


def quantities(text: str) -> list[tuple[Span, str]]:
    """Numbers with what follows them (magnitude and unit): (span, unit text)."""
    out = []
    for m in QUANTITY.finditer(text):
        if not re.search(r"\d|[一二两三四五六七八九十]", m.group(1)):
            continue
        out.append((Span(m.start(), m.end(), m.group(0)), m.group(3)))
    return out


def numeral_value(text: str) -> int | None:
    """A whole number under a hundred, in digits or characters (12, 十二, 二十); None for 一百 or 廿.
    Written here: cn2an would add two packages for a two-character reading."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _DIGIT_OF.get(text) if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or (tens and tens not in _DIGIT_OF) or (ones and ones not in _DIGIT_OF):
        return None
    return (_DIGIT_OF[tens] if tens else 1) * 10 + (_DIGIT_OF[ones] if ones else 0)


def ordinals(text: str) -> frozenset[tuple[int, str]]:
    """(number, measure word) of every ordinal in ``text``: 第五届 → (5, 届); and of every member of a numbered
    series: 神舟十六号 → (16, 神舟号), 12号线 → (12, 号线)."""
    out = set()
    for m in ORDINAL.finditer(text):
        value = numeral_value(m.group(1))
        if value is not None:
            out.add((value, m.group(2)))
    for m in SERIES.finditer(text):
        value = numeral_value(m.group(1))
        if value is not None:
            out.add((value, "号线" if m.group(2) else text[m.start() - 2 : m.start()] + "号"))
    return frozenset(out)


def roles(text: str) -> list[Span]:
    return matches(ROLE, text)


def new_spans(spans: list[Span], question: str) -> list[Span]:
    """Spans whose text the question does not already contain."""
    return [s for s in spans if s.text not in question]


# units said two ways (几回 / 三度推迟; 几个钟头 / 8个小时; 多少人 / 3.4万余名果农, 第几名 / 第95位): each read
# as the second before matching; 人次 (visits) stays apart from 人 (people)
SAME_UNIT = {"个钟头": "个小时", "钟头": "小时", "回": "次", "度": "次", "遍": "次", "趟": "次", "千米": "公里", "幢": "栋",
             "名": "人", "位": "人"}
_SAME_UNIT = re.compile("|".join(sorted(SAME_UNIT, key=len, reverse=True)))


def same_unit(unit: str) -> str:
    """``unit`` with a leading unit said another way replaced (个钟头 → 个小时, 回 → 次)."""
    m = _SAME_UNIT.match(unit)
    return SAME_UNIT[m.group(0)] + unit[m.end() :] if m else unit


# what a question asks when it names a measure rather than a unit: an amount in any currency
# (多少钱), a length of time (多长时间, 多久), a distance or height (多高, 多远), either of those
# (多长: a road or a drive), a weight (多重), an area (面积多大) or an age (多大年纪), in any unit
MONEY, DURATION, LENGTH, LENGTH_OR_DURATION, WEIGHT, AREA, AGE = "钱", "时长", "长度", "长度或时长", "重量", "面积", "年龄"
_CURRENCY = re.compile(r"元|块钱|美元|港元|港币|欧元|日元|英镑|韩元|澳元|加元|卢布|美金|人民币")
_TIME_LENGTH = re.compile(r"个多?月|个?多?小时|个钟头|钟头|分钟|秒|天|周|个?星期|年|昼夜|个?工作日")
_DISTANCE = re.compile(r"[千公厘毫海英]?米|公里|里|尺|丈")
MEASURES = {
    MONEY: _CURRENCY,
    DURATION: _TIME_LENGTH,
    LENGTH: _DISTANCE,
    LENGTH_OR_DURATION: re.compile(f"{_DISTANCE.pattern}|{_TIME_LENGTH.pattern}"),
    WEIGHT: re.compile(r"[公市]?斤|[千毫]?克|吨|磅"),
    AREA: re.compile(r"亩|平方(?:公里|千米|米)|平米|公顷|㎡"),
    AGE: re.compile(r"周?岁"),
}
_A_YEAR = re.compile(r"(?:19|20)\d{2}")  # 2016年 is a date, not a length of time


def _unnamed_quantities(text: str, question: str) -> Iterator[tuple[list[str], str]]:
    """The numbers of ``text`` the question does not name, each with the words after it."""
    named = named_numbers(question)
    for span, after in quantities(text):
        digits = DIGITS.findall(span.text)
        if not (digits and all(d in named for d in digits)):
            yield digits, after


def _class_match(text: str, unit: str, question: str) -> float:
    """1 when a number the question does not name carries a unit of the asked measure (any
    currency for ``MONEY``, any unit of time for ``DURATION`` but not a year such as 2016年), else 0."""
    pattern = MEASURES[unit]
    for digits, after in _unnamed_quantities(text, question):
        if unit in (DURATION, LENGTH_OR_DURATION) and any(_A_YEAR.fullmatch(d) for d in digits):
            continue
        if pattern.match(after):
            return 1.0
    return 0.0


def unit_match(text: str, unit: str, question: str) -> float:
    """How much of the asked unit (多少**兆瓦**) follows a number the question does not name:
    the longest matching prefix of ``unit`` over its length (0 when no number carries it). For
    a measure (money, a length of time, a distance …), any unit of it matches whole."""
    if not unit:
        return 0.0
    if unit in MEASURES:
        return _class_match(text, unit, question)
    unit = same_unit(unit)
    best = 0
    for _, after in _unnamed_quantities(text, question):
        after = same_unit(after)
        k = 0
        while k < min(len(unit), len(after)) and after[k] == unit[k]:
            k += 1
        best = max(best, k)
        if best == len(unit):
            break
    return best / len(unit)


def slot_match(text: str, slot: str, question: str) -> float:
    """1 when the sentence names a new thing of the asked sort (哪个区 → 郧阳区): a name ending in
    the slot word that the question does not contain, 0.5 when it ends in the slot's last
    character (部队 → 陆战队)."""
    if not slot:
        return 0.0
    score = 0.0
    for suffix, value in ((slot, 1.0), (slot[-1], 0.5)):
        for m in re.finditer(r"[\u4e00-\u9fffA-Za-z·]{2,8}?" + re.escape(suffix), text):
            name = m.group(0)
            if len(name) > len(suffix) and name not in question and name[-len(suffix) - 1 :] not in question:
                return value
        if len(slot) == 1:
            break
    return score
