"""Saved web pages: the article, not the page.

A news page carries menus, breadcrumbs, “相关新闻” link lists and a footer; indexed as they are,
they get quoted as answers. trafilatura (maintained, offline) finds the main text and the title,
author, date and canonical URL. Our own walker — every visible text node, one block element a
line — stays as the fallback: when trafilatura finds nothing, and when its text covers almost all
of the walker's (then the page had no boilerplate to drop, and the walker keeps inline elements
such as ``产业<b>帮扶</b>`` on one line)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from .base import Extracted, LoaderError, ReadOptions, normalise_newlines
from .text import decode_bytes, looks_binary

_UTF8_BOM = b"\xef\xbb\xbf"
_HTML_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Elements whose content is never visible text.
_HTML_SKIP = {"script", "style", "noscript", "template", "head", "title", "meta", "link",
              "iframe", "object", "embed", "svg", "canvas"}
_HTML_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "nav", "ol", "p",
    "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
# trafilatura's text must drop more than this share of the walker's characters to be preferred
ARTICLE_MAX_SHARE = 0.9


def decode_html(data: bytes, path: Path) -> str:
    """HTML bytes → str: a UTF-8 or UTF-16 BOM, else valid UTF-8, else the page's declared
    ``<meta charset>``, else :func:`~assistant.loaders.text.decode_bytes`' guesses."""
    if not data.startswith((_UTF8_BOM, b"\xff\xfe", b"\xfe\xff")):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            m = _HTML_CHARSET_RE.search(data[:4096])
            if m:
                declared = m.group(1).decode("ascii", "replace").lower()
                if declared in {"gb2312", "gbk", "x-gbk"}:
                    declared = "gb18030"
                try:
                    text = data.decode(declared)
                except (LookupError, UnicodeDecodeError):
                    pass
                else:
                    if not looks_binary(text):
                        return normalise_newlines(text)
    try:
        return decode_bytes(data, path.name)
    except LoaderError as exc:
        exc.path = str(path)
        raise


def walk_html(markup: str) -> tuple[str, str]:
    """(visible text, title) of an HTML page. Block elements end up on lines of their own;
    whitespace inside a block collapses as a browser would show it (except in ``<pre>``)."""
    from bs4 import BeautifulSoup, NavigableString, Tag
    from bs4.element import CData, PreformattedString

    soup = BeautifulSoup(markup, "lxml")
    title = ""
    if soup.title is not None:
        title = " ".join(soup.title.get_text(" ").split())
    if not title:
        h1 = soup.find("h1")
        if h1 is not None:
            title = " ".join(h1.get_text(" ").split())

    parts: list[str] = []

    def walk(node: Tag, pre: bool) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if isinstance(child, PreformattedString) and not isinstance(child, CData):
                    continue  # comments, doctype, processing instructions
                s = str(child)
                parts.append(s if pre else re.sub(r"\s+", " ", s))
                continue
            if not isinstance(child, Tag):
                continue
            name = (child.name or "").lower()
            if name in _HTML_SKIP:
                continue
            if name == "br":
                parts.append("\n")
                continue
            if name in ("td", "th"):
                walk(child, pre)
                parts.append("\t")
                continue
            block = name in _HTML_BLOCKS
            if block:
                parts.append("\n")
            walk(child, pre or name == "pre")
            if block:
                parts.append("\n")

    walk(soup, False)
    lines = (line.strip() for line in normalise_newlines("".join(parts)).split("\n"))
    text = "\n".join(line for line in lines if line)
    return text, title


def article(markup: str) -> Extracted | None:
    """trafilatura's main text and metadata, or None when it finds no text."""
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    try:
        found = trafilatura.bare_extraction(markup, with_metadata=True, include_comments=False,
                                            include_tables=True, include_links=False, include_images=False)
    except Exception:  # noqa: BLE001 - a page trafilatura cannot parse falls back to the walker
        return None
    if found is None:
        return None
    text = "\n".join(line.strip() for line in normalise_newlines(found.text or "").split("\n") if line.strip())
    if not text:
        return None
    return Extracted(text, title=_clean(found.title), author=_clean(found.author), date=_clean(found.date),
                     url=_clean(found.url))


def _clean(value: object) -> str:
    return " ".join(str(value).split()) if value else ""


def _visible_chars(text: str) -> int:
    return len(re.sub(r"\s+", "", text))


def extract_html(data: bytes, path: Path, options: ReadOptions) -> Extracted:
    markup = decode_html(data, path)
    walked, walked_title = walk_html(markup)
    main = article(markup)
    if main is None:
        return Extracted(walked, title=walked_title)
    if _visible_chars(main.text) >= ARTICLE_MAX_SHARE * _visible_chars(walked):
        # nothing to drop: keep the walker's text and title, take trafilatura's metadata
        return Extracted(walked, title=walked_title, author=main.author, date=main.date, url=main.url)
    return Extracted(main.text, title=main.title or walked_title, author=main.author, date=main.date, url=main.url)
