"""One writer between the app and the CLI (issue 10, “lost update”): a CLI ``build`` run while the
app is open is neither overwritten by the app's next upload nor ignored by its readers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from assistant.loaders import load_paths
from assistant.pipeline import Assistant
from assistant.settings import PROJECT_ROOT, Settings

from .conftest import SEED

pytestmark = pytest.mark.slow

CLI_TEXT = "红岩村由命令行加入的材料：村里建成茶叶加工厂，年产绿茶四十吨。"
APP_TEXT = "绿水村由网页上传的材料：村里修通产业路十二公里，方便运茶。"


def _cli_build(index_dir, *corpus) -> None:
    args = [sys.executable, "-m", "assistant", "--index", str(index_dir), "build"]
    for c in corpus:
        args += ["--corpus", str(c)]
    done = subprocess.run(args, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600,
                          env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert done.returncode == 0, done.stderr


@pytest.fixture
def setup(tmp_path, embedder):
    corpus, extra = tmp_path / "corpus", tmp_path / "extra"
    corpus.mkdir()
    extra.mkdir()
    shutil.copy(SEED, corpus)
    (extra / "红岩村.txt").write_text(CLI_TEXT, encoding="utf-8")
    (corpus / "uploads").mkdir()
    upload = corpus / "uploads" / "绿水村.txt"
    upload.write_text(APP_TEXT, encoding="utf-8")
    return tmp_path, corpus, extra, upload


def _titles(assistant) -> set[str]:
    return {d.title for d in assistant.store.documents.values()}


def test_the_apps_next_write_starts_from_what_the_cli_wrote(setup, embedder):
    root, corpus, extra, upload = setup
    settings = Settings.from_env(index_dir=root / "index", corpus=(corpus,), index_follow_s=3600)
    upload.rename(root / "绿水村.txt")  # not there yet when the app opens
    app = Assistant.open(settings, embedder=embedder)
    assert "红岩村" not in _titles(app)
    _cli_build(settings.index_dir, corpus, extra)  # the CLI adds a document while the app runs
    (root / "绿水村.txt").rename(upload)
    docs, _ = load_paths([upload], settings)
    app.add_documents(docs)  # an upload in the app
    assert {"红岩村", "绿水村"} <= _titles(app)
    reopened = Assistant.open(settings, embedder=embedder)
    assert {"红岩村", "绿水村"} <= _titles(reopened), "the CLI's document must survive the app's write"
    assert str(extra.absolute()) in reopened.sources()


def test_readers_follow_a_store_another_process_published(setup, embedder):
    root, corpus, extra, upload = setup
    settings = Settings.from_env(index_dir=root / "index", corpus=(corpus,), index_follow_s=0)
    app = Assistant.open(settings, embedder=embedder)
    assert "红岩村" not in _titles(app)
    _cli_build(settings.index_dir, corpus, extra)
    assert "红岩村" in _titles(app)  # no restart needed
    assert any(h.chunk.title == "红岩村" for h in app.search("茶叶加工厂"))


def test_a_damaged_store_published_by_another_process_is_not_followed(setup, embedder):
    root, corpus, extra, upload = setup
    settings = Settings.from_env(index_dir=root / "index", corpus=(corpus,), index_follow_s=0)
    app = Assistant.open(settings, embedder=embedder)
    before = _titles(app)
    (settings.index_dir / "CURRENT").write_text("store-gone", encoding="utf-8")
    assert _titles(app) == before and app.search("四拼四争")
