"""Files → :class:`~assistant.schema.Document`.

Supported: plain text and Markdown (any common Chinese encoding), HTML, Word ``.docx``, PDF with a
text layer, and JSON Lines (one document a line). ``Document.text`` is the text as decoded — for
``.txt``/``.md`` the file's text exactly, with only a BOM dropped and line endings made ``\\n`` —
so that citations can quote ``text[start:end]`` verbatim.

Metadata can sit next to a file in a sidecar ``<file name>.meta.json`` (keys ``title``, ``date``,
``source``, ``author``; all optional). Only ``title`` and ``date`` reach the ``Document``;
``Document.source`` is always the file path (``path#id`` for JSON Lines) so an index can map a
document back to the file it came from. :func:`read_sidecar` returns the whole sidecar.

Errors are :class:`LoaderError` with a Chinese message saying what happened and what to do.
:func:`load_paths` collects them per file and never aborts the whole load.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Iterable

from .schema import Document, content_hash

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".jsonl")
SIDECAR_SUFFIX = ".meta.json"

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")

JSONL_TITLE_MAX_CHARS = 40

__all__ = [
    "SUPPORTED_SUFFIXES",
    "SIDECAR_SUFFIX",
    "LoaderError",
    "decode_bytes",
    "read_text_file",
    "read_sidecar",
    "sidecar_path",
    "is_sidecar",
    "load_file",
    "load_jsonl",
    "load_paths",
    "iter_supported_files",
    "sniff_kind",
]


class LoaderError(ValueError):
    """A file that cannot be loaded. ``str(err)`` is a Chinese message for the user; ``path`` is
    the file as given and ``line`` the 1-based line number for a bad JSON Lines line."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = "" if path is None else str(path)
        self.line = line


def _name(path: str | os.PathLike[str] | None, name: str = "") -> str:
    if name:
        return name
    if path is None or str(path) == "":
        return "（未命名）"
    return Path(path).name or str(path)


# --------------------------------------------------------------------------- decoding

_UTF8_BOM = b"\xef\xbb\xbf"
# UTF-32 before UTF-16: the UTF-32 LE BOM starts with the UTF-16 LE one.
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# C0/C1 control characters that never appear in real text (tab, LF, VT, FF, CR and ESC excluded).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.01


def _not_text(name: str, path: Any = None) -> LoaderError:
    return LoaderError(
        f"无法识别文件编码或不是文本文件：{name}。"
        "请确认它是文本文件，并另存为 UTF-8 编码后重新上传；"
        "Word 文档请保存为 .docx，扫描件请先做文字识别（OCR）。",
        path,
    )


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    if not text:
        return False
    sample = text[:65536]
    return len(_CONTROL_RE.findall(sample)) > _MAX_CONTROL_RATIO * len(sample)


def _decode(data: bytes) -> str | None:
    """The decoded text, or None when ``data`` is not text in an encoding we recognise."""
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                return None
    if b"\x00" in data:  # NUL bytes without a UTF-16/32 BOM: binary (or BOM-less UTF-16)
        return None
    try:
        return data.decode("utf-8-sig")  # strict; drops one UTF-8 BOM if present
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # superset of GBK and GB2312
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - the dependency is declared
        return None
    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    return text[1:] if text.startswith("\ufeff") else text


def decode_bytes(data: bytes, name: str = "") -> str:
    """Bytes → text. Tries, in order: a UTF-16/32 BOM, strict UTF-8 (a UTF-8 BOM is dropped),
    strict GB18030 (covers GBK/GB2312), then charset-normalizer's best guess. Line endings become
    ``\\n``; nothing else is changed. Empty input gives ``""``.

    Raises :class:`LoaderError` for binary content (NUL bytes without a BOM that explains them,
    control characters, or nothing that decodes)."""
    if not data:
        return ""
    text = _decode(data)
    if text is None or _looks_binary(text):
        raise _not_text(_name(None, name), name or None)
    return _normalise_newlines(text)


def read_text_file(path: Path) -> str:
    """A text file's content, decoded with :func:`decode_bytes`."""
    path = Path(path)
    return _decode_file(_read_bytes(path), path)


def _decode_file(data: bytes, path: Path) -> str:
    try:
        return decode_bytes(data, path.name)
    except LoaderError as exc:
        exc.path = str(path)
        raise


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LoaderError(f"找不到文件：{path.name}。请检查路径是否正确。", path) from None
    except IsADirectoryError:
        raise LoaderError(f"这是文件夹而不是文件：{path.name}。请用 load_paths 加载文件夹。", path) from None
    except PermissionError:
        raise LoaderError(f"没有权限读取文件：{path.name}。请检查文件权限后重试。", path) from None
    except OSError as exc:
        raise LoaderError(f"读取文件失败：{path.name}（{exc.strerror or exc}）。请检查文件后重试。", path) from None


# --------------------------------------------------------------------------- sidecar metadata

def sidecar_path(path: Path) -> Path:
    """``dir/name.ext`` → ``dir/name.ext.meta.json``."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    return Path(path).name.lower().endswith(SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict[str, str]:
    """The metadata sidecar of ``path`` (not the sidecar's own path) as a dict of strings; ``{}``
    when there is none. A sidecar that is not a JSON object raises :class:`LoaderError`."""
    meta_path = sidecar_path(path)
    if not meta_path.is_file():
        return {}
    try:
        raw = read_text_file(meta_path)
        meta = json.loads(raw) if raw.strip() else {}
    except (LoaderError, json.JSONDecodeError) as exc:
        raise LoaderError(
            f"元数据文件格式错误：{meta_path.name}（{exc}）。"
            "请把它改成 JSON 对象（如 {\"title\": \"…\"}）或删除它后重试。",
            path,
        ) from None
    if not isinstance(meta, dict):
        raise LoaderError(
            f"元数据文件格式错误：{meta_path.name}（应为 JSON 对象）。"
            "请把它改成 {\"title\": \"…\", \"date\": \"…\"} 的形式或删除它后重试。",
            path,
        )
    return {str(k): _as_str(v) for k, v in meta.items() if v is not None}


def _as_str(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


# --------------------------------------------------------------------------- per-format extraction

_ATX_HEADING_RE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")


def _markdown_title(text: str) -> str:
    in_fence = False
    for line in text.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _ATX_HEADING_RE.match(line)
        if m:
            title = m.group(1).strip()
            if title:
                return title
    return ""


# Elements whose content is never visible text.
_HTML_SKIP = {"script", "style", "noscript", "template", "head", "title", "meta", "link",
              "iframe", "object", "embed", "svg", "canvas"}
_HTML_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "nav", "ol", "p",
    "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
_HTML_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _decode_html(data: bytes, path: Path) -> str:
    """HTML bytes → str: a UTF-8 or UTF-16 BOM, else valid UTF-8, else the page's declared
    ``<meta charset>``, else :func:`decode_bytes`' guesses."""
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
                    if not _looks_binary(text):
                        return _normalise_newlines(text)
    try:
        return decode_bytes(data, path.name)
    except LoaderError as exc:
        exc.path = str(path)
        raise


def _html_to_text(markup: str) -> tuple[str, str]:
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
    lines = (line.strip() for line in _normalise_newlines("".join(parts)).split("\n"))
    text = "\n".join(line for line in lines if line)
    return text, title


_HEADING_STYLE_RE = re.compile(r"^(heading|title|标题)", re.I)


def _docx_to_text(data: bytes, path: Path) -> tuple[str, str]:
    """(text, title) of a Word .docx: body paragraphs and table rows in document order, one a
    line (a row's cells separated by tabs); empty paragraphs dropped."""
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for bad files
        raise LoaderError(
            f"无法打开 Word 文件：{path.name}（{type(exc).__name__}）。文件可能已损坏或不是 .docx 格式；"
            "旧版 .doc 文件请用 Word 另存为 .docx 后重试。",
            path,
        ) from None

    lines: list[str] = []
    heading = ""

    def add_table(table: Table) -> None:
        for row in table.rows:
            cells: list[str] = []
            seen: set[int] = set()
            for cell in row.cells:
                if id(cell._tc) in seen:  # a merged cell repeats across the columns it spans
                    continue
                seen.add(id(cell._tc))
                cell_text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
                if cell_text:
                    cells.append(cell_text)
                for inner in cell.tables:
                    add_table(inner)
            if cells:
                lines.append("\t".join(cells))

    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = para.text.strip()
            if not text:
                continue
            lines.append(text)
            if not heading:
                try:
                    style_name = para.style.name if para.style is not None else ""
                except Exception:
                    style_name = ""
                if style_name and _HEADING_STYLE_RE.match(style_name):
                    heading = text
        elif tag == "tbl":
            add_table(Table(child, document))

    title = (document.core_properties.title or "").strip() or heading
    return _normalise_newlines("\n".join(lines)), title


def _pdf_to_text(data: bytes, path: Path) -> tuple[str, str]:
    """(text, metadata title) of a PDF: pypdf's page texts joined with newlines."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoaderError(
                f"PDF 文件已加密：{path.name}。请先去掉密码保护再上传。", path
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoaderError:
        raise
    except Exception as exc:
        raise LoaderError(
            f"无法读取 PDF 文件：{path.name}（{type(exc).__name__}）。文件可能已损坏或已加密；"
            "请用 PDF 阅读器另存一份后重试。",
            path,
        ) from None
    text = _normalise_newlines("\n".join(p.strip("\n") for p in pages)).strip()
    if not text:
        raise LoaderError(
            f"PDF 中没有可提取的文字：{path.name}。它可能是扫描件或图片 PDF，"
            "需要先做文字识别（OCR），再上传识别后的文本或 PDF。",
            path,
        )
    title = ""
    try:
        meta = reader.metadata
        if meta is not None and meta.title:
            title = str(meta.title).strip()
    except Exception:
        title = ""
    return text, title


# --------------------------------------------------------------------------- JSON Lines

_SENTENCE_END_RE = re.compile(r"[。！？!?\n]")


def _first_sentence(text: str, limit: int = JSONL_TITLE_MAX_CHARS) -> str:
    text = text.strip()
    m = _SENTENCE_END_RE.search(text)
    sentence = text[: m.start()] if m else text
    return sentence.strip()[:limit].strip()


def load_jsonl(path: Path) -> tuple[list[Document], list[LoaderError]]:
    """One Document per JSON Lines line (``text`` required; ``id``, ``title``, ``date`` optional).
    Blank lines are skipped; a bad line is skipped and reported (with its line number) in the
    returned errors. Raises :class:`LoaderError` for an empty or undecodable file."""
    path = Path(path)
    raw = read_text_file(path)
    if not raw.strip():
        raise _empty(path)
    docs: list[Document] = []
    errors: list[LoaderError] = []
    for lineno, line in enumerate(raw.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(LoaderError(
                f"{path.name} 第 {lineno} 行不是合法的 JSON（{exc.msg}，第 {exc.colno} 列），已跳过。"
                "请修正该行后重新加载。",
                path, lineno,
            ))
            continue
        if not isinstance(obj, dict):
            errors.append(LoaderError(
                f"{path.name} 第 {lineno} 行不是 JSON 对象，已跳过。"
                "每行应是一个对象，例如 {\"id\": \"a1\", \"text\": \"正文\"}。",
                path, lineno,
            ))
            continue
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            errors.append(LoaderError(
                f"{path.name} 第 {lineno} 行缺少非空的 text 字段，已跳过。请补上正文后重新加载。",
                path, lineno,
            ))
            continue
        text = _normalise_newlines(text)
        raw_id = obj.get("id")
        doc_key = _as_str(raw_id) if raw_id not in (None, "") else f"L{lineno}"
        title = _as_str(obj["title"]) if obj.get("title") not in (None, "") else ""
        title = title or _first_sentence(text) or doc_key
        date = _as_str(obj["date"]) if obj.get("date") is not None else ""
        docs.append(Document(
            doc_id=content_hash(text),
            title=title,
            source=f"{path}#{doc_key}",
            text=text,
            date=date,
        ))
    return docs, errors


# --------------------------------------------------------------------------- files and folders

def _empty(path: Path) -> LoaderError:
    return LoaderError(f"文件为空：{path.name}。请确认文件里有正文后重新上传。", path)


def _unsupported(path: Path) -> LoaderError:
    suffix = path.suffix or "（无扩展名）"
    return LoaderError(
        f"不支持的文件类型 {suffix}：{path.name}。"
        f"支持的类型：{'、'.join(SUPPORTED_SUFFIXES)}；请转换格式后重试。",
        path,
    )


def _load_one(path: Path) -> tuple[list[Document], list[LoaderError]]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _unsupported(path)
    if suffix == ".jsonl":
        docs, errors = load_jsonl(path)
        if not docs:
            detail = f"第一个问题：{errors[0]}" if errors else "文件里没有内容。"
            raise LoaderError(
                f"没有从 {path.name} 读出任何文档。{detail}", path,
                errors[0].line if errors else None,
            )
        return docs, errors

    meta = read_sidecar(path)
    data = _read_bytes(path)
    if not data.strip():
        raise _empty(path)
    if suffix in MARKDOWN_SUFFIXES:
        text = _decode_file(data, path)
        found_title = _markdown_title(text)
    elif suffix in HTML_SUFFIXES:
        text, found_title = _html_to_text(_decode_html(data, path))
    elif suffix == ".docx":
        text, found_title = _docx_to_text(data, path)
    elif suffix == ".pdf":
        text, found_title = _pdf_to_text(data, path)
    else:  # .txt
        text = _decode_file(data, path)
        found_title = ""
    if not text.strip():
        raise _empty(path)
    title = meta.get("title") or found_title or path.stem
    return [Document(
        doc_id=content_hash(text),
        title=title,
        source=str(path),
        text=text,
        date=meta.get("date", ""),
    )], []


def load_file(path: Path) -> list[Document]:
    """Load one file. A ``.jsonl`` gives one Document per good line (bad lines are dropped here;
    use :func:`load_jsonl` or :func:`load_paths` to see them). Raises :class:`LoaderError`."""
    docs, _ = _load_one(Path(path))
    return docs


def _is_hidden(rel: Path) -> bool:
    return any(part.startswith(".") or part.startswith("~$") for part in rel.parts)


def iter_supported_files(folder: Path) -> list[Path]:
    """Files under ``folder`` that :func:`load_paths` would load, sorted: recursive, skipping
    hidden files and folders (``.name``), Office lock files (``~$name``), ``*.meta.json``
    sidecars and unsupported suffixes."""
    folder = Path(folder)
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in filenames:
            if filename.startswith(".") or filename.startswith("~$"):
                continue
            if filename.lower().endswith(SIDECAR_SUFFIX):
                continue
            if os.path.splitext(filename)[1].lower() not in SUPPORTED_SUFFIXES:
                continue
            found.append(Path(dirpath) / filename)
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def load_paths(paths: Iterable[Path]) -> tuple[list[Document], list[LoaderError]]:
    """Load files and folders (recursively). Returns the documents and the errors, one per bad
    file or bad JSON Lines line; one bad file never stops the rest. A file named twice is
    loaded once."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    docs: list[Document] = []
    errors: list[LoaderError] = []
    seen: set[Path] = set()

    def load(file: Path) -> None:
        key = file.resolve()
        if key in seen:
            return
        seen.add(key)
        try:
            file_docs, file_errors = _load_one(file)
        except LoaderError as exc:
            errors.append(exc)
            return
        except Exception as exc:  # never let one odd file abort the whole load
            errors.append(LoaderError(
                f"读取文件失败：{file.name}（{type(exc).__name__}: {exc}）。请检查文件是否损坏后重试。",
                file,
            ))
            return
        docs.extend(file_docs)
        errors.extend(file_errors)

    for item in paths:
        item = Path(item)
        if item.is_dir():
            try:
                files = iter_supported_files(item)
            except OSError as exc:
                errors.append(LoaderError(
                    f"无法读取文件夹：{item.name}（{exc.strerror or exc}）。请检查权限后重试。", item
                ))
                continue
            for file in files:
                load(file)
        elif item.exists():
            if is_sidecar(item):
                continue  # metadata, read together with its file
            load(item)
        else:
            errors.append(LoaderError(f"找不到文件或文件夹：{item.name}。请检查路径是否正确。", item))
    return docs, errors


# --------------------------------------------------------------------------- upload checks

def sniff_kind(data: bytes, filename: str) -> str:
    """What an upload really is, judged by content: ``"docx"`` (a zip holding
    ``word/document.xml``), ``"pdf"`` (``%PDF-`` header) or ``"text"`` (decodable text).
    Raises :class:`LoaderError` for anything else (e.g. a program renamed to ``.txt``), for an
    empty upload, and when the content contradicts a ``.docx``/``.pdf``/text extension."""
    name = _name(filename)
    suffix = Path(filename).suffix.lower() if filename else ""
    if not data or not data.strip():
        raise LoaderError(f"文件为空：{name}。请确认文件里有正文后重新上传。", filename)

    kind = ""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            names = set()
        if "word/document.xml" not in names:
            raise LoaderError(
                f"文件不是 Word 文档：{name}（是其他压缩包或已损坏）。"
                "只支持 .docx 格式的 Word 文件，请用 Word 另存为 .docx 后重试。",
                filename,
            )
        kind = "docx"
    elif data.lstrip()[:5] == b"%PDF-":
        kind = "pdf"
    else:
        decode_bytes(data, name)  # raises for binary content
        kind = "text"

    expected = {".docx": "docx", ".pdf": "pdf"}.get(
        suffix, "text" if suffix in TEXT_SUFFIXES else ""
    )
    if expected and kind != expected:
        labels = {"docx": "Word 文档", "pdf": "PDF", "text": "文本"}
        raise LoaderError(
            f"文件内容与扩展名不符：{name} 的扩展名是 {suffix}，内容却是{labels[kind]}。"
            "请改正扩展名或上传正确的文件。",
            filename,
        )
    return kind
