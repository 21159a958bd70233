"""The ONNX export (set-up): built aside and swapped in, rebuilt when stale, checked against torch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.embedding import atomic, onnx_build
from assistant.embedding.common import MANIFEST_FILE
from assistant.embedding.folder import BUILDER_VERSION
from assistant.settings import Settings


def _fake_model_dir(path: Path, source_sha: str = "a" * 64) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "tokenizer.json").write_text("{}")
    atomic.write_manifest(path, source="test", source_sha256=source_sha, builder=BUILDER_VERSION)
    return path


def _fake_build(builds: list):
    def build(model_dir: Path, onnx_dir: Path, progress: bool = True) -> Path:
        builds.append(onnx_dir)
        source = atomic.read_manifest(model_dir)
        with atomic.staged_build(onnx_dir) as staging:
            (staging / "model.onnx").write_bytes(b"fp32")
            (staging / "model_int8.onnx").write_bytes(b"int8")
            atomic.write_manifest(staging, source_sha256=source["source_sha256"], model_builder=source["builder"],
                                  onnx_builder=onnx_build.ONNX_BUILDER_VERSION)
        return onnx_dir
    return build


@pytest.mark.slow  # builds a real model folder, runs OCR or several processes: seconds, not milliseconds
def test_onnx_folder_is_rebuilt_only_when_missing_damaged_or_stale(tmp_path, monkeypatch):
    builds: list = []
    monkeypatch.setattr(onnx_build, "build_onnx", _fake_build(builds))
    settings = Settings(model_dir=_fake_model_dir(tmp_path / "st"), onnx_model_dir=tmp_path / "onnx")
    onnx_build.ensure_onnx(settings, progress=False)
    onnx_build.ensure_onnx(settings, progress=False)
    assert len(builds) == 1  # reused
    (tmp_path / "onnx" / "model_int8.onnx").write_bytes(b"cut")
    onnx_build.ensure_onnx(settings, progress=False)
    assert len(builds) == 2  # a file of another size
    (tmp_path / "onnx" / "model_int8.onnx").write_bytes(b"INT8")
    onnx_build.ensure_onnx(settings, progress=False)
    assert len(builds) == 2  # same size: every start only compares sizes …
    onnx_build.ensure_onnx(settings, thorough=True, progress=False)
    assert len(builds) == 3  # … the set-up check re-hashes
    _fake_model_dir(tmp_path / "st", source_sha="b" * 64)  # the model folder was rebuilt from other weights
    onnx_build.ensure_onnx(settings, progress=False)
    assert len(builds) == 4
    manifest = json.loads((tmp_path / "onnx" / MANIFEST_FILE).read_text())
    manifest["onnx_builder"] = onnx_build.ONNX_BUILDER_VERSION - 1  # made by an older export
    (tmp_path / "onnx" / MANIFEST_FILE).write_text(json.dumps(manifest))
    onnx_build.ensure_onnx(settings, progress=False)
    assert len(builds) == 5


@pytest.mark.parametrize("error", [RuntimeError("export failed"), KeyboardInterrupt()])
def test_a_failed_export_leaves_the_previous_folder(tmp_path, monkeypatch, error):
    model_dir = _fake_model_dir(tmp_path / "st")
    out = tmp_path / "onnx"
    out.mkdir()
    (out / "keep.txt").write_text("previous export")

    def half_export(model_dir: Path, raw: Path) -> dict:
        raw.write_bytes(b"half a graph")
        raise error

    monkeypatch.setattr(onnx_build, "_export", half_export)
    with pytest.raises(type(error)):
        onnx_build.build_onnx(model_dir, out, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["onnx", "st"]  # no staging debris


@pytest.mark.slow
def test_built_onnx_folder_records_its_source_and_parity():
    settings = Settings()
    manifest = onnx_build.ensure_onnx(settings, progress=False)
    source = json.loads((settings.model_dir / MANIFEST_FILE).read_text())
    assert manifest["source_sha256"] == source["source_sha256"]
    assert {"model.onnx", "model_int8.onnx", "tokenizer.json"} <= set(manifest["files"])
    assert manifest["parity_min_cosine"]["onnx"] >= 0.999 and manifest["parity_min_cosine"]["onnx-int8"] >= 0.98
    assert set(manifest["versions"]) >= {"onnxruntime", "torch"}
    assert atomic.verify_folder(settings.onnx_model_dir)
    tokenizer = (settings.onnx_model_dir / "tokenizer.json").read_bytes()
    assert tokenizer == (settings.model_dir / "tokenizer.json").read_bytes()


@pytest.mark.slow
def test_a_damaged_onnx_file_says_what_to_do(tmp_path):
    from assistant.embedding import ModelError
    from assistant.embedding.onnx_backend import OnnxBackend

    settings = Settings()
    onnx_build.ensure_onnx(settings, progress=False)
    (tmp_path / "tokenizer.json").write_bytes((settings.onnx_model_dir / "tokenizer.json").read_bytes())
    (tmp_path / "model_int8.onnx").write_bytes(b"not a graph")
    backend = OnnxBackend(tmp_path, "onnx-int8", "test", dim=384)  # the session loads in the background …
    with pytest.raises(ModelError, match="^无法加载 ONNX 嵌入模型.*python -m assistant model"):
        backend.encode(["passage: 江口县"])  # … and its failure surfaces, in Chinese, at first use
