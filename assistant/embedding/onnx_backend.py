"""The ONNX Runtime backend: the default at run time.

Needs only onnxruntime, tokenizers and numpy — no torch, transformers or sentence-transformers —
which is what lets a one-off ``ask`` start in a few seconds. The files it reads (``model.onnx``,
``model_int8.onnx``, ``tokenizer.json``) are written at set-up by :mod:`.onnx_build`; the graph
already contains mean pooling and L2 normalisation, so its output is the sentence embedding."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .common import MAX_SEQ_LENGTH, ModelError, cpu_threads

ONNX_FP32 = "onnx"
ONNX_INT8 = "onnx-int8"
ONNX_FILES = {ONNX_FP32: "model.onnx", ONNX_INT8: "model_int8.onnx"}
TOKENIZER_FILE = "tokenizer.json"
OUTPUT_NAME = "sentence_embedding"
_LOADER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnx-load")


class OnnxBackend:
    """Encodes already-prompted texts: tokenise (truncate to 512), pad to the batch's longest, run.

    The ONNX Runtime session is created on a worker thread: it releases the GIL, so it loads on the
    second core while this thread parses the tokenizer (which holds the GIL) and the caller goes on
    opening the index; the first ``encode`` waits for it."""

    def __init__(self, folder: Path, name: str, model_id: str, dim: int | None = None, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.name, self.model_id = name, model_id
        self.path = Path(folder) / ONNX_FILES[name]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads if threads > 0 else cpu_threads()  # 0 = every core we may use
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        self._session: Future = _LOADER.submit(
            ort.InferenceSession, str(self.path), options, providers=["CPUExecutionProvider"])
        try:
            self.tokenizer = Tokenizer.from_file(str(Path(folder) / TOKENIZER_FILE))
        except Exception as exc:  # noqa: BLE001 - a damaged file: say what to do
            raise self._damaged(exc) from exc
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_SEQ_LENGTH)
        pad = self.tokenizer.token_to_id("<pad>")
        self.pad_id = 1 if pad is None else int(pad)
        self.dim = int(dim) if dim else int(self.session.get_outputs()[0].shape[-1])
        # Dynamic quantisation scales activations by the whole batch's range (padding included), so
        # a text's int8 vector would depend on its batch-mates; one text per run keeps a text's
        # vector the same wherever it is embedded (cache, index, query) at about the same speed
        # (measured on 2 cores: 11.6 texts/s one at a time vs 12.4 in batches of 32).
        self.one_at_a_time = name == ONNX_INT8

    def _damaged(self, exc: Exception) -> ModelError:
        return ModelError(f"无法加载 ONNX 嵌入模型 {self.path}：{exc}。请运行 `python -m assistant model` 重新生成。")

    @property
    def session(self):
        try:
            return self._session.result()
        except Exception as exc:  # noqa: BLE001 - a damaged file: say what to do
            raise self._damaged(exc) from exc

    def token_ids(self, text: str) -> list[int]:
        """The ids the model sees: truncated at 512, as encode() does."""
        return list(self.tokenizer.encode(text).ids)

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        if self.one_at_a_time:
            return np.vstack([self._run([e]) for e in encodings])
        return self._run(encodings)

    def _run(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        session = self.session
        names = [i.name for i in session.get_inputs()]
        (vectors,) = session.run([OUTPUT_NAME], {name: feeds[name] for name in names})
        return np.asarray(vectors, dtype=np.float32)
