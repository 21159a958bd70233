"""Pages → one text, remembering where each page starts, which pages were read by OCR and which
spans OCR was unsure of. A citation's page then follows from its start offset
(:meth:`assistant.schema.Document.page_at`); the text itself stays plain."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Extracted, normalise_newlines


@dataclass(frozen=True)
class PageText:
    text: str
    ocr: bool = False
    low_confidence: tuple[tuple[int, int], ...] = ()  # (start, end) offsets into ``text``


def assemble(pages: list[PageText], title: str = "") -> Extracted:
    """The pages' texts (each stripped of surrounding blank space) joined with ``\\n``. An empty page
    adds no text but keeps its number (its start is where the previous page's text ends)."""
    parts: list[str] = []
    starts: list[int] = []
    ocr_pages: list[int] = []
    low: list[tuple[int, int]] = []
    length = 0
    for number, page in enumerate(pages, start=1):
        raw = normalise_newlines(page.text)
        lead = len(raw) - len(raw.lstrip())
        text = raw.strip()
        if text and parts:
            length += 1  # the "\n" that joins it to the previous page
        starts.append(length)
        if page.ocr:
            ocr_pages.append(number)
        for s, e in page.low_confidence:
            s, e = max(0, s - lead), min(len(text), e - lead)
            if e > s:
                low.append((length + s, length + e))
        if text:
            parts.append(text)
            length += len(text)
    return Extracted("\n".join(parts), title=title, page_starts=tuple(starts), ocr_pages=tuple(ocr_pages),
                     low_confidence=tuple(low))
