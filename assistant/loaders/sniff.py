"""What an upload really is, judged by its content, so that a program renamed ``.txt`` or a photo
renamed ``.pdf`` is refused with a clear message before anything is saved."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from .base import IMAGE_SUFFIXES, TEXT_SUFFIXES, LoaderError, display_name
from .text import decode_bytes

# magic numbers of the image formats we read (TIFF in both byte orders); BMP's "BM" could start a
# text, so it counts only with the file size that follows it
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
_LABELS = {"docx": "Word 文档", "pdf": "PDF", "text": "文本", "image": "图片"}


def _is_bmp(data: bytes) -> bool:
    return data[:2] == b"BM" and len(data) >= 26 and int.from_bytes(data[2:6], "little") == len(data)


def _expected(suffix: str) -> str:
    if suffix == ".docx":
        return "docx"
    if suffix == ".pdf":
        return "pdf"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    return "text" if suffix in TEXT_SUFFIXES else ""


def sniff_kind(data: bytes, filename: str) -> str:
    """``"docx"`` (a zip holding ``word/document.xml``), ``"pdf"`` (``%PDF-`` header), ``"image"``
    (PNG, JPEG, TIFF or BMP signature) or ``"text"`` (decodable text). Raises :class:`LoaderError`
    for anything else (e.g. a program renamed to ``.txt``), for an empty upload, and when the
    content contradicts the file's extension."""
    name = display_name(filename)
    suffix = Path(filename).suffix.lower() if filename else ""
    if not data or not data.strip():
        raise LoaderError(f"文件为空：{name}。请确认文件里有正文后重新上传。", filename)

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
    elif data.startswith(_IMAGE_MAGIC) or _is_bmp(data):
        kind = "image"
    else:
        decode_bytes(data, name)  # raises for binary content
        kind = "text"

    expected = _expected(suffix)
    if expected and kind != expected:
        raise LoaderError(
            f"文件内容与扩展名不符：{name} 的扩展名是 {suffix}，内容却是{_LABELS[kind]}。"
            "请改正扩展名或上传正确的文件。",
            filename,
        )
    return kind
