"""Photos and scans saved as images (``.png .jpg .jpeg .tif .tiff .bmp``) → text by OCR.

A phone photo is turned upright by its EXIF orientation first; every frame of a multi-page TIFF is
a page. The ``Document`` remembers the pages and that its text came from OCR."""

from __future__ import annotations

import io
from pathlib import Path

from .base import Extracted, LoaderError, ReadOptions, too_many_pages
from .ocr import page_progress, recognise
from .pages import PageText, assemble


def ocr_off(path: Path, what: str) -> LoaderError:
    return LoaderError(
        f"{path.name} 是{what}，需要文字识别（OCR），但文字识别已关闭（ASSISTANT_OCR=0）。"
        "请去掉该设置（或设为 1）后重新加载，或上传文字版。",
        path,
    )


def open_frames(data: bytes, path: Path, max_pages: int | None = None) -> list:
    """The image's frames (pages) as upright RGB PIL images; more than ``max_pages`` is refused
    before any is decoded, and so is a picture too large to be real (Pillow's bomb check)."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        n_frames = getattr(image, "n_frames", 1)
        if max_pages is not None and n_frames > max_pages:
            raise too_many_pages(path, n_frames, max_pages)
        frames = [ImageOps.exif_transpose(frame.copy()).convert("RGB") for frame in ImageSequence.Iterator(image)]
    except LoaderError:
        raise
    except Image.DecompressionBombError:
        raise LoaderError(f"图片尺寸异常：{path.name} 的像素数大得不像真实的扫描件或照片，已拒绝读取。"
                          "请缩小图片（例如 300 dpi 以内）后重试。", path) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise LoaderError(
            f"无法打开图片：{path.name}（{type(exc).__name__}）。文件可能已损坏或不是图片；"
            "请用看图软件另存为 PNG 或 JPG 后重试。",
            path,
        ) from None
    return frames


def extract_image(data: bytes, path: Path, options: ReadOptions) -> Extracted:
    if not options.ocr:
        raise ocr_off(path, "图片")
    frames = open_frames(data, path, options.max_document_pages)
    pages: list[PageText] = []
    with page_progress(options, path.name, len(frames)) as step:
        for n, frame in enumerate(frames, start=1):
            step(n)
            result = recognise(frame, options.ocr_min_confidence)
            pages.append(PageText(result.text, ocr=True, low_confidence=result.low_confidence))
    extracted = assemble(pages)
    if not extracted.text.strip():
        raise LoaderError(
            f"图片中没有识别出文字：{path.name}。请确认照片清晰、光线均匀、文字没有被裁掉，"
            "或上传文字版。",
            path,
        )
    return extracted
