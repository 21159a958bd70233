"""The text of a model's reply: its ``[n]`` markers, its sentences, its reasoning blocks.

Models write citation markers in many shapes (``【1】`` ``［１］`` ``[1,2]`` ``[资料1]``); they are
brought to ``[1][2]`` before anything else reads the reply. Sentences are cut by the corpus's own
splitter (chunking.split_sentences, so a reply and a passage are cut alike), with the markers a
model writes right after a sentence's end kept with that sentence. ``<think>`` blocks of reasoning
models are never shown and never checked."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..chunking import CLOSERS, split_sentences

SENTENCE_END = "。！？!?"
MARKER = re.compile(r"\[(\d+)\]")
_ANY_MARKER = re.compile(
    r"[\[【［]\s*(?:资料|来源|出处|source)?\s*([0-9０-９]+(?:\s*[,，、;；]\s*[0-9０-９]+)*)\s*[\]】］]", re.IGNORECASE
)
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")
_CITED_END = re.compile(r"[。！？!?][”’」』）)】\"']*[ \t]*(?:\[\d+\])+|(?:\[\d+\])+[ \t]*[。！？!?][”’」』）)】\"']*")
_ENUMERATOR = re.compile(r"^\s*(?:#{1,6}\s*|[-*•·]\s+|\d{1,2}[.、)）](?!\d)\s*|[（(]\d{1,2}[)）]\s*)")
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
_OPEN_THINK = "<think>"


def normalize_markers(text: str) -> str:
    """``【1】`` ``［１］`` ``[1,2]`` ``[资料1]`` → ``[1]`` ``[1][2]``; the rest of the text is untouched."""

    def expand(m: re.Match) -> str:
        digits = unicodedata.normalize("NFKC", m.group(1))
        return "".join(f"[{int(n)}]" for n in re.findall(r"\d+", digits))

    return _ANY_MARKER.sub(expand, text)


def split_answer(text: str) -> list[str]:
    """Sentences of a reply (chunking.split_sentences, lists joined by ；kept whole); markers written
    right after a sentence's end, on its line, stay with that sentence (a marker opening a new line
    is that line's). A sentence end with its markers always ends a sentence, even inside a quote left
    open (“怒溪镇*委书记杨坤说。[1]…)."""
    out: list[str] = []
    last = prev_end = 0
    for cut in [m.end() for m in _CITED_END.finditer(text)] + [len(text)]:
        for span in split_sentences(text, last, cut, semicolons=False):
            piece = text[span.start : span.end]
            lead = _LEADING_MARKERS.match(piece)
            if lead and out and "\n" not in text[prev_end : span.start]:
                out[-1] += lead.group(0).replace(" ", "").replace("\t", "")
                piece = piece[lead.end() :].strip()
            if piece:
                out.append(piece)
            prev_end = span.end
        last = cut
    return out


def clean_body(sentence: str) -> str:
    """A sentence without its markers, emphasis and list enumerator."""
    body = MARKER.sub("", sentence).replace("**", "").replace("__", "")
    body = _ENUMERATOR.sub("", body)
    return re.sub(r"[ \t]+(?=[，。！？；：、])", "", body).strip()


def cited_markers(sentence: str) -> tuple[int, ...]:
    return tuple(int(m) for m in MARKER.findall(sentence))


def render_sentence(text: str, marks: Sequence[int]) -> str:
    """``text`` closed with a full stop when it has no end punctuation, then its ``[n]`` markers."""
    if text and text[-1] not in SENTENCE_END + "".join(CLOSERS) + "\"'；;…：:":
        text += "。"
    return text + "".join(f"[{n}]" for n in marks)


def strip_think(text: str) -> str:
    """Remove ``<think>…</think>`` reasoning blocks (and an unclosed one at the end)."""
    text = _THINK.sub("", text)
    i = text.find(_OPEN_THINK)
    return text[:i] if i >= 0 else text


def visible_prefix(raw: str) -> str:
    """What of a partial streamed reply may be shown: no reasoning, no half-written ``<think>``."""
    text = strip_think(raw)
    for k in range(min(len(text), len(_OPEN_THINK) - 1), 0, -1):
        if _OPEN_THINK.startswith(text[-k:]):
            text = text[:-k]
            break
    return text.lstrip()
