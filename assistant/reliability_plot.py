"""The reliability diagram of the answer model (predicted probability of the best candidate vs
the observed share that was right), drawn with Pillow for docs/quality.md."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIZE, MARGIN = 480, 56


def draw(bins: list[tuple[float, float, int]], path: Path) -> Path:
    img = Image.new("RGB", (SIZE, SIZE), "white")
    d = ImageDraw.Draw(img)
    lo, hi = MARGIN, SIZE - MARGIN

    def xy(px: float, py: float) -> tuple[float, float]:
        return lo + px * (hi - lo), hi - py * (hi - lo)

    d.rectangle([lo, lo, hi, hi], outline="black")
    for t in (0.25, 0.5, 0.75):
        d.line([xy(t, 0), xy(t, 1)], fill="#dddddd")
        d.line([xy(0, t), xy(1, t)], fill="#dddddd")
    d.line([xy(0, 0), xy(1, 1)], fill="#999999", width=1)
    total = sum(n for *_, n in bins) or 1
    points = [xy(p, o) for p, o, _ in bins]
    if len(points) > 1:
        d.line(points, fill="#1f77b4", width=2)
    for (p, o, n), (x, y) in zip(bins, points):
        r = 3 + 12 * (n / total) ** 0.5
        d.ellipse([x - r, y - r, x + r, y + r], outline="#1f77b4", width=2)
    for t in (0.0, 0.5, 1.0):
        d.text((xy(t, 0)[0] - 8, hi + 8), f"{t:.1f}", fill="black")
        d.text((lo - 30, xy(0, t)[1] - 6), f"{t:.1f}", fill="black")
    d.text((lo, hi + 28), "predicted probability of the best sentence (out-of-fold)", fill="black")
    d.text((lo, lo - 40), "observed share correct; circle area = questions in bin", fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path
