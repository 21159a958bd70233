"""Scanned pages made at run time: Chinese text drawn with the CJK font that the Makefile installs
(fonts-wqy-microhei) into page images, image-only PDFs of them, and the OCR accuracy measure.

Used by tests/test_loaders_ocr.py, the browser test and benchmarks/ocr.py. A page's ``text`` is
exactly what was drawn (paragraphs joined by ``\\n``), the reference for the accuracy figure."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from assistant.settings import PROJECT_ROOT

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
SEED = PROJECT_ROOT / "corpus" / "000_549b184018a73f24.txt"
A4_150DPI = (1240, 1754)
INDENT = "　　"  # two full-width spaces: how a Chinese paragraph starts
NO_LINE_START = set("，。、；：？！”’）》」』,.;:?!)…")  # typesetting keeps these at the end of a line


@dataclass(frozen=True)
class Page:
    image: Image.Image
    text: str  # the paragraphs drawn, joined by "\n"
    paragraphs: tuple[str, ...]


def seed_paragraphs() -> list[str]:
    return [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n") if p.strip()]


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def _wrap(draw: ImageDraw.ImageDraw, paragraph: str, font, width: float) -> list[str]:
    lines, current = [], INDENT
    for ch in paragraph:
        if current and ch not in NO_LINE_START and draw.textlength(current + ch, font=font) > width:
            lines.append(current)
            current = ""
        current += ch
    lines.append(current)
    return lines


def render(paragraphs: list[str], size: tuple[int, int] = A4_150DPI, font_size: int = 30, margin: int = 100,
           columns: int = 1, gutter: int = 80, title: str = "") -> Page:
    """Draw whole paragraphs (those that fit) in ``columns`` columns, an optional centred title
    above them spanning the page."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = _font(font_size)
    line_height = int(font_size * 1.6)
    top = margin
    if title:
        tfont = _font(int(font_size * 1.3))
        draw.text(((size[0] - draw.textlength(title, font=tfont)) / 2, top), title, font=tfont, fill=0)
        top += int(font_size * 1.3 * 2.2)
    col_width = (size[0] - 2 * margin - (columns - 1) * gutter) / columns
    drawn: list[str] = []
    col, y = 0, top
    for paragraph in paragraphs:
        lines = _wrap(draw, paragraph, font, col_width)
        if y + len(lines) * line_height > size[1] - margin:  # the paragraph does not fit here
            col, y = col + 1, top
            if col >= columns or top + len(lines) * line_height > size[1] - margin:
                break
        x = margin + col * (col_width + gutter)
        for line in lines:
            draw.text((x, y), line, font=font, fill=0)
            y += line_height
        drawn.append(paragraph)
    return Page(image, "\n".join(drawn), tuple(drawn))


def image_pdf(images: list[Image.Image], path: Path, resolution: float = 150.0) -> Path:
    """An image-only PDF (no text layer), one image a page, written by Pillow."""
    rgb = [im.convert("RGB") for im in images]
    rgb[0].save(path, "PDF", save_all=True, append_images=rgb[1:], resolution=resolution, quality=90)
    return path


def comparable(text: str) -> str:
    """Text as compared for accuracy: NFKC (full-width ，；： count as their ASCII forms) without
    any white space."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def char_accuracy(recognised: str, reference: str) -> float:
    """1 − (character edit distance / reference length), on :func:`comparable` forms."""
    from rapidfuzz.distance import Levenshtein

    ref = comparable(reference)
    return 1.0 - Levenshtein.distance(comparable(recognised), ref) / max(1, len(ref))
