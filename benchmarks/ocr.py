"""OCR cost and accuracy on rendered A4 pages (150 dpi) of the seed article.

    .venv/bin/python benchmarks/ocr.py [--rounds 1]

Draws the pages the OCR tests use (tests/render_pages.py, font fonts-wqy-microhei), reads each
through the real loader (image → RapidOCR → layout) and prints, per page, the character accuracy and
seconds, then seconds per page and the machine's load. CPU seconds (all threads of this process) are shown too:
on a busy shared machine they say what a page costs better than the wall clock does. The engine's
one-off load is timed apart."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.loaders import load_file  # noqa: E402
from assistant.loaders.ocr import engine  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from tests.render_pages import char_accuracy, image_pdf, render, seed_paragraphs  # noqa: E402

TITLE = "江口县：从“贫困标签”到“脱贫样板”"


def pages(folder: Path) -> list[tuple[str, Path, str]]:
    """(label, file, reference text) for each page."""
    paras = seed_paragraphs()
    out = []
    upright = render(paras)
    upright.image.save(folder / "upright.png")
    out.append(("A4 一栏（PNG）", folder / "upright.png", upright.text))
    columns = render(paras[12:], columns=2, title=TITLE, font_size=28)
    columns.image.save(folder / "two-column.png")
    out.append(("A4 两栏（PNG）", folder / "two-column.png", TITLE + "\n" + columns.text))
    later = render(paras[40:])
    image_pdf([later.image], folder / "scan.pdf")
    out.append(("A4 扫描 PDF", folder / "scan.pdf", later.text))
    image_pdf([later.image.rotate(90, expand=True)], folder / "sideways.pdf")
    out.append(("A4 横放扫描 PDF", folder / "sideways.pdf", later.text))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="times each page is read (the median is shown)")
    args = parser.parse_args()
    settings = Settings.from_env(ocr=True)
    started = time.perf_counter()
    engine()
    print(f"引擎加载 / engine load: {time.perf_counter() - started:.2f} s")
    upright_wall, upright_cpu = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for label, path, reference in pages(Path(tmp)):
            wall, cpu = [], []
            for _ in range(args.rounds):
                t0, c0 = time.perf_counter(), time.process_time()
                [doc] = load_file(path, settings)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            w, c = statistics.median(wall), statistics.median(cpu)
            if "横放" not in label:
                upright_wall.append(w)
                upright_cpu.append(c)
            print(f"{label:<14} {len(reference):>5} 字  准确率 {char_accuracy(doc.text, reference):.2%}  "
                  f"{w:6.1f} s  (CPU {c:5.1f} s)")
    print(f"正放页面平均 / upright pages: {statistics.mean(upright_wall):.1f} s/页 (CPU {statistics.mean(upright_cpu):.1f} s)；"
          f"负载 / load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
