"""Document → sentences → Chunk.

Sentences end at 。！？；… (full or half width) and at line breaks, never inside “ ” quotes.
Chunks are runs of whole sentences up to ``max_chars`` with ``overlap`` sentences shared with
the previous chunk. Every chunk's ``text`` is ``document.text[start:end]`` exactly.

Written here rather than with langchain-text-splitters: its splitters cut by length and separator
lists, not at Chinese sentence ends outside “ ” quotes, which quotable citations need."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import normalize
from .schema import Chunk, Document
from .text import CLOSING_MARKS, SENTENCE_ENDS

CHUNKER_VERSION = "2"
TERMINATORS = set(SENTENCE_ENDS)
CLOSERS = set(CLOSING_MARKS)
OPEN_QUOTES = {"“": "”", "「": "」", "『": "』"}
MAX_QUOTE_SPAN = 240  # a quote longer than this is likely a scrape error; allow a split inside
_SOFT_BREAK = re.compile(r"[，,、：:]")
_MARKUP = re.compile(r"[{}<>;=#/\\]|!important|:\s*[\w#-]+;")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_URL = re.compile(r"https?://[\w./?=&%#:~+-]+")


def is_markup(text: str) -> bool:
    """Style sheets and scripts a scrape left in the text (.imgisgif{display:inline-block;…}):
    nothing a reader asks about, and in another language's script they attract foreign-language
    questions. Such chunks are not indexed (the document text itself is kept as it is)."""
    body = _URL.sub("", text).replace(" ", "")
    if not body:
        return False
    marks = len(_MARKUP.findall(body))
    cjk = len(_CJK.findall(body)) / len(body)
    if "{" in body or "}" in body or "!important" in body:  # a style or script rule
        return cjk < 0.3
    return marks / len(body) > 0.04 and cjk < 0.3


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(text: str, start: int = 0, end: int | None = None, semicolons: bool = True) -> list[Span]:
    """Sentence spans (offsets into ``text``) covering ``text[start:end]`` minus blank space.

    ``semicolons=False`` keeps clauses joined by ；/; together (a list written as one sentence)."""
    end = len(text) if end is None else end
    terminators = TERMINATORS if semicolons else TERMINATORS - {"；", ";"}
    spans: list[Span] = []
    sent_start = start
    quote_stack: list[str] = []
    quote_open_at = 0
    i = start
    while i < end:
        ch = text[i]
        if ch == "\n":
            _add_span(text, spans, sent_start, i)
            sent_start = i + 1
            quote_stack.clear()
        elif ch in OPEN_QUOTES:
            # “ used as a closing mark by the scrape: treat as closing if it balances
            if quote_stack and quote_stack[-1] == "”" and ch == "“" and i + 1 < end and text[i + 1] in "，,。":
                quote_stack.pop()
            else:
                quote_stack.append(OPEN_QUOTES[ch])
                quote_open_at = i
        elif quote_stack and ch == quote_stack[-1]:
            quote_stack.pop()
            if not quote_stack and i > 0 and text[i - 1] in TERMINATORS:
                # “……。” ends the sentence unless speech attribution follows on the same line
                if i + 1 < end and text[i + 1] not in "\n" and _attribution_follows(text, i + 1, end):
                    pass
                else:
                    _add_span(text, spans, sent_start, i + 1)
                    sent_start = i + 1
        elif ch in terminators and (not quote_stack or i - quote_open_at > MAX_QUOTE_SPAN):
            j = i + 1
            while j < end and (text[j] in terminators or text[j] in CLOSERS):
                j += 1
            _add_span(text, spans, sent_start, j)
            sent_start = j
            if quote_stack and i - quote_open_at > MAX_QUOTE_SPAN:
                quote_stack.clear()
            i = j
            continue
        i += 1
    _add_span(text, spans, sent_start, end)
    return spans


def _attribution_follows(text: str, pos: int, end: int) -> bool:
    """True when the words after a closing quote are a short speech tag such as 杨华祥说。"""
    tail = text[pos : min(end, pos + 24)]
    m = re.match(r"[^。！？!?\n“]{0,20}?(说|表示|介绍|指出|感慨|坦言|告诉记者)[。！？!?,，:：]", tail)
    return m is not None


def _add_span(text: str, spans: list[Span], start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))


def _split_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Cut a sentence longer than ``max_chars`` at soft breaks (，、：), else hard."""
    pieces: list[Span] = []
    start = span.start
    while span.end - start > max_chars:
        window = text[start : start + max_chars]
        cuts = [m.end() for m in _SOFT_BREAK.finditer(window) if m.end() > max_chars // 3]
        cut = start + (cuts[-1] if cuts else max_chars)
        pieces.append(Span(start, cut))
        start = cut
    pieces.append(Span(start, span.end))
    return pieces


def chunk_document(doc: Document, max_chars: int = 220, overlap: int = 1) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_chars`` characters; runs of markup
    (:func:`is_markup`) end a chunk and are left out."""
    chunks: list[Chunk] = []
    run: list[Span] = []
    for s in split_sentences(doc.text):
        if is_markup(doc.text[s.start : s.end]):
            chunks += _pack(doc, run, max_chars, overlap)
            run = []
            continue
        run.extend(_split_long(doc.text, s, max_chars) if s.end - s.start > max_chars else [s])
    return chunks + _pack(doc, run, max_chars, overlap)


def _pack(doc: Document, sentences: list[Span], max_chars: int, overlap: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j].end - sentences[i].start <= max_chars:
            j += 1
        start, end = sentences[i].start, sentences[j - 1].end
        text = doc.text[start:end]
        chunks.append(Chunk(chunk_id=f"{doc.doc_id}:{start}-{end}", doc_id=doc.doc_id, start=start, end=end, text=text,
                            search_text=normalize(text), title=doc.title, date=doc.date))
        if j >= len(sentences):
            break
        # next chunk starts ``overlap`` sentences back, but always moves forward
        i = max(i + 1, j - overlap)
    return chunks
