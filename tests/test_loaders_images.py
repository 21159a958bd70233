"""Images as documents (assistant.loaders.images) and the lazy OCR engine, without running OCR:
what happens with OCR off, broken files, EXIF orientation and multi-page TIFFs."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image

from assistant.loaders import LoaderError, load_file, load_paths
from assistant.loaders.images import open_frames
from assistant.settings import PROJECT_ROOT, Settings
from tests.loader_fixtures import PNG_HEADER

NO_OCR = Settings.from_env(ocr=False)


def test_with_ocr_off_an_image_is_refused_with_the_setting_named(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (200, 100), "white").save(path)
    with pytest.raises(LoaderError) as info:
        load_file(path, NO_OCR)
    assert str(info.value).startswith("photo.jpg 是图片，需要文字识别（OCR），但文字识别已关闭（ASSISTANT_OCR=0）")
    docs, errors = load_paths([tmp_path], NO_OCR)
    assert docs == [] and len(errors) == 1


def test_a_broken_image_gives_a_clear_error(tmp_path):
    path = tmp_path / "scan.png"
    path.write_bytes(PNG_HEADER)
    with pytest.raises(LoaderError, match="^无法打开图片：scan.png"):
        load_file(path)


def test_exif_orientation_turns_a_phone_photo_upright(tmp_path):
    upright = Image.new("RGB", (300, 100), "white")  # a landscape page …
    exif = Image.Exif()
    exif[0x0112] = 6  # … stored turned, with “rotate 90° clockwise to show” in its EXIF
    buf = io.BytesIO()
    upright.rotate(90, expand=True).save(buf, "JPEG", exif=exif)
    [frame] = open_frames(buf.getvalue(), tmp_path / "photo.jpg")
    assert frame.size == (300, 100) and frame.mode == "RGB"


def test_every_frame_of_a_tiff_is_a_page(tmp_path):
    frames = [Image.new("L", (120, 80), shade) for shade in (255, 200, 150)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    pages = open_frames(buf.getvalue(), tmp_path / "scan.tif")
    assert [p.getpixel((0, 0)) for p in pages] == [(255, 255, 255), (200, 200, 200), (150, 150, 150)]


def test_the_ocr_engine_loads_only_when_an_image_needs_it(tmp_path):
    (tmp_path / "a.txt").write_text("正文。", encoding="utf-8")
    code = (
        "import sys\n"
        "from assistant.loaders import load_paths\n"
        "from assistant.loaders.ocr import engine_loaded\n"
        "import assistant.pipeline\n"
        f"docs, errors = load_paths([{str(tmp_path)!r}])\n"
        "print(len(docs), engine_loaded(), 'rapidocr_onnxruntime' in sys.modules, 'cv2' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "False", "False", "False"]
