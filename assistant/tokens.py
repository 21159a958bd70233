"""Word tokens for BM25 and for question analysis: jieba search-mode words over normalised text,
with the corpus's own domain terms kept whole (and their pieces still indexed)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

import jieba

from .normalize import normalize

jieba.setLogLevel(60)

_WORDISH = re.compile(r"[\w\u4e00-\u9fff]")
_lock = threading.Lock()
_added_terms: set[str] = set()

# function words and question words: they carry no topic, so they neither retrieve nor count
# as content the corpus must cover
STOPWORDS = frozenset(
    """的 了 和 与 及 或 是 在 有 为 对 把 被 让 从 到 以 于 就 都 也 还 又 而 但 并 等 之 其 这 那 此 该 各 个
    吗 呢 吧 啊 呀 么 嘛 我 你 他 她 它 们 我们 你们 他们 什么 哪些 哪个 哪里 哪儿 哪 谁 多少 几 几个 怎么 怎样
    怎么样 如何 为什么 为何 是否 是不是 有没有 请问 请 能 可以 会 要 想 问 说说 讲讲 介绍 一下 一些 关于 内容
    主要 具体 分别 包括 包含 指 是指 意思 含义 那么 呢 呐 哦 啥 咋 多久 多长 哪年 哪一年 一年 时候 时间""".split()
)


def add_terms(terms: Iterable[str]) -> None:
    """Teach jieba the corpus's terms so they stay one token (pieces still come in search mode)."""
    with _lock:
        for term in terms:
            t = normalize(term).replace("、", "")
            if len(t) >= 2 and t not in _added_terms:
                jieba.add_word(t, freq=2000)
                _added_terms.add(t)


def words(normalized_text: str) -> list[str]:
    """All word tokens (search mode: words and their sub-words), stop words kept."""
    return [w for w in jieba.lcut_for_search(normalized_text) if _WORDISH.search(w)]


def content_words(normalized_text: str) -> list[str]:
    """Tokens that carry meaning: no stop words, no single non-CJK characters."""
    out = []
    for w in words(normalized_text):
        if w in STOPWORDS:
            continue
        if len(w) == 1 and not ("\u4e00" <= w <= "\u9fff" or w.isdigit()):
            continue
        out.append(w)
    return out


def bm25_tokens(normalized_text: str) -> list[str]:
    return content_words(normalized_text)
