"""Bytes → text for plain-text files (``.txt``, Markdown, and the raw text of HTML and JSON Lines).

The decoded text is the file's text exactly, with only a BOM dropped and line endings made ``\\n``,
so that citations can quote ``text[start:end]`` verbatim. Order of attempts: a UTF-16/32 BOM,
strict UTF-8, then the legacy encoding whose text reads most like text (GB18030/GBK, Big5,
Shift-JIS, Korean, Western; :mod:`.encoding`) — a file none of them makes readable is refused,
never indexed as mojibake."""

from __future__ import annotations

import re
from pathlib import Path

from .base import Extracted, LoaderError, ReadOptions, display_name, normalise_newlines
from .encoding import guess_legacy

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


def not_text(name: str, path: object = None) -> LoaderError:
    return LoaderError(
        f"无法识别文件编码或不是文本文件：{name}。"
        "请确认它是文本文件，并另存为 UTF-8 编码后重新上传；"
        "Word 文档请保存为 .docx；扫描件和照片请存为 PDF 或图片（png/jpg）上传，会自动做文字识别（OCR）。",
        path,
    )


def looks_binary(text: str) -> bool:
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
    guess = guess_legacy(data)
    return guess[0] if guess else None


def decode_bytes(data: bytes, name: str = "") -> str:
    """Bytes → text (see the module docstring). Empty input gives ``""``.

    Raises :class:`LoaderError` for binary content (NUL bytes without a BOM that explains them,
    control characters, or nothing that decodes)."""
    if not data:
        return ""
    text = _decode(data)
    if text is None or looks_binary(text):
        raise not_text(display_name(None, name), name or None)
    return normalise_newlines(text)


def decode_file(data: bytes, path: Path) -> str:
    """:func:`decode_bytes` with the error pointing at ``path``."""
    try:
        return decode_bytes(data, path.name)
    except LoaderError as exc:
        exc.path = str(path)
        raise


def read_bytes(path: Path) -> bytes:
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


def read_text_file(path: Path) -> str:
    """A text file's content, decoded with :func:`decode_bytes`."""
    path = Path(path)
    return decode_file(read_bytes(path), path)


# --------------------------------------------------------------------------- .txt and Markdown

_ATX_HEADING_RE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")


def markdown_title(text: str) -> str:
    """The first ATX heading outside code fences, or ``""``."""
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


def extract_plain(data: bytes, path: Path, options: ReadOptions) -> Extracted:
    return Extracted(decode_file(data, path))


def extract_markdown(data: bytes, path: Path, options: ReadOptions) -> Extracted:
    text = decode_file(data, path)
    return Extracted(text, title=markdown_title(text))
