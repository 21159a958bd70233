"""English questions name Chinese people and places in pinyin (Jiangkou, Chen Chan, Li Bingjun): the
corpus words they spell, so that an English question can search the Chinese text for its names
instead of leaning on the cross-lingual embedding alone.

pypinyin gives each corpus word its toneless spelling; a run of capitalised words in the question
is matched longest first (Zhang Xinhua → zhangxinhua, else xinhua). Only capitalised words count (an
English word that happens to spell pinyin, like *change*, is not a name), and a spelling shorter than
four letters is too ambiguous to trust."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from pypinyin import lazy_pinyin

_NAME_RUN = re.compile(r"[A-Z][a-z]+(?:[\s-]+[A-Z][a-z]+)*")
_WORD = re.compile(r"[A-Z][a-z]+")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,6}")
MAX_PARTS = 3  # capitalised words one name may span (Zhang Xin Hua)
MIN_LETTERS = 4


class PinyinNames:
    """Toneless pinyin → the corpus words (two to six characters) spelled so."""

    def __init__(self, words: Iterable[str]) -> None:
        spelled: dict[str, list[str]] = defaultdict(list)
        for word in words:
            if _CJK_WORD.fullmatch(word):
                spelled["".join(lazy_pinyin(word))].append(word)
        self._spelled = {k: tuple(v) for k, v in spelled.items()}

    def __len__(self) -> int:
        return len(self._spelled)

    def words_in(self, text: str) -> tuple[str, ...]:
        """The corpus words the capitalised names of ``text`` spell, in the order they appear."""
        out: list[str] = []
        for run in _NAME_RUN.finditer(text):
            parts = [w.lower() for w in _WORD.findall(run.group(0))]
            i = 0
            while i < len(parts):
                for n in range(min(MAX_PARTS, len(parts) - i), 0, -1):
                    key = "".join(parts[i : i + n])
                    if len(key) >= MIN_LETTERS and key in self._spelled:
                        out.extend(self._spelled[key])
                        i += n
                        break
                else:
                    i += 1
        return tuple(dict.fromkeys(out))
