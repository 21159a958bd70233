"""Text for matching only (never shown): NFKC, Traditional→Simplified, lower case, and the
scrape's masked characters restored.

The source masks 党 and 政 with ``*`` (``县*府``, ``*委书记``, ``*策``). Each mask is resolved to
the candidate that forms the most frequent word with its neighbours in jieba's dictionary, so
the rule is general rather than a list of this article's phrases."""

from __future__ import annotations

import functools
import re
import unicodedata

import jieba
import opencc

from .text import LONE_SURROGATE

jieba.setLogLevel(60)

MASK_CHARS = "*"  # defaults of Settings.mask_chars / mask_fills; configure_masks() sets them per corpus
MASK_FILLS = "党政"
NORMALIZER_VERSION = "2"
# a two-character word is evidence only when common (听政 44 is not); longer words are rarer and
# specific, so a few uses suffice (党工委 5)
MIN_FREQ_BY_LENGTH = {2: 100, 3: 3, 4: 3}
_masks = {"chars": MASK_CHARS, "fills": MASK_FILLS, "run": re.compile(r"[*]{1,3}")}


def configure_masks(chars: str, fills: str) -> None:
    """Which characters a scrape used as masks and what they may stand for (tried in order)."""
    _masks["chars"], _masks["fills"] = chars, fills
    _masks["run"] = re.compile(f"[{re.escape(chars)}]{{1,3}}") if chars else re.compile(r"(?!)")


def mask_config() -> dict[str, str]:
    """The mask rule in force (recorded with an index, whose search text depends on it)."""
    return {"chars": _masks["chars"], "fills": _masks["fills"]}


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _dictionary() -> dict[str, int]:
    jieba.dt.check_initialized()
    return jieba.dt.FREQ


def dictionary_frequency(word: str) -> int:
    """How often jieba's dictionary counts ``word`` (0 when it is not a word)."""
    return _dictionary().get(word, 0) or 0


_word_freq = dictionary_frequency


def _fills(width: int) -> list[str]:
    """Candidate fills, likeliest first: in the configured order (党 before 政), and for a run the
    configured sequence itself first (党政)."""
    candidates = _masks["fills"]
    fills = [""]
    for _ in range(width):
        fills = [f + c for f in fills for c in candidates]
    return sorted(fills, key=lambda f: (f != candidates[: len(f)] if len(f) > 1 else False))


def _best_fill(left: str, right: str, width: int) -> str:
    """The fill for ``width`` masked characters between ``left`` and ``right`` context.

    A fill is judged by the longest, then most frequent, dictionary word that crosses from the
    fill into its context; rare words (MIN_FREQ_BY_LENGTH) are not evidence. Ties keep the prior."""
    best, best_key = "", (0, 0)
    for fill in _fills(width):
        window = left + fill + right
        lo, hi = len(left), len(left) + len(fill)
        key = (0, 0)
        for i in range(len(window)):
            for j in range(i + 2, min(len(window), i + 4) + 1):
                crosses = i < hi and j > lo and (i < lo or j > hi)
                freq = _word_freq(window[i:j]) if crosses else 0
                if freq >= MIN_FREQ_BY_LENGTH[j - i]:
                    key = max(key, (j - i, freq))
        if not best or key > best_key:
            best, best_key = fill, key
    return best


def unmask(text: str) -> str:
    """Replace each run of mask characters by the fill that makes the likeliest words."""
    if not _masks["fills"] or not any(ch in text for ch in _masks["chars"]):
        return text
    out: list[str] = []
    last = 0
    for m in _masks["run"].finditer(text):
        out.append(text[last : m.start()])
        left = text[max(0, m.start() - 3) : m.start()]
        right = text[m.end() : m.end() + 3]
        out.append(_best_fill(left, right, m.end() - m.start()))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def _nfkc_aligned(text: str) -> str:
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        out.append(n if len(n) == 1 else ch)
    return "".join(out)


def to_simplified(text: str) -> str:
    # opencc cannot encode a lone surrogate (text from JSON escapes): U+FFFD stands in, same length
    text = LONE_SURROGATE.sub("\ufffd", text)
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(c if len(c := _t2s().convert(ch)) == 1 else ch for ch in text)


def normalize(text: str) -> str:
    """Canonical matching form of any text (document or question).

    The result has exactly the length of ``text`` and character i stands for character i, so
    offsets found in the normalised text hold in the original."""
    text = _nfkc_aligned(text)
    text = to_simplified(text)
    text = unmask(text)
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else "".join(
        lc if len(lc := ch.lower()) == 1 else ch for ch in text)
