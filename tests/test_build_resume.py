"""A build killed while it tokenises for BM25 resumes to the very index a clean build gives.

Found by the kill -9 test (tests/test_kill9.py): the BM25 postings are appended to staging files
that no checkpoint lists until the first BM25 checkpoint, so a run killed before it left postings
that the next run appended to — and the build failed for good (“operands could not be broadcast”).
Here the kill is a KeyboardInterrupt raised by the tokenizer after some chunks (closing the files
flushes what was written, as a kill with a full buffer would); the resumed build must equal a
clean one, and a staging folder whose postings do not add up is tokenised again, not trusted."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant import indexer
from assistant.index import load_store
from assistant.indexer import build_index, input_from_paths
from assistant.settings import defaults

from .fakes import FakeEmbedder


def _corpus(path):
    lines = [{"id": f"n{i:02d}", "text": "".join(f"第{i}村第{j}年发展茶叶产业，带动{i + j}户增收。" for j in range(10))}
             for i in range(20)]
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


def _bm25(store) -> tuple:
    s = store.bm25.scores if hasattr(store.bm25, "scores") else store.bm25.bm25.scores
    return tuple(np.asarray(s[k]).tolist() for k in ("data", "indices", "indptr"))


def _index(tmp_path, name, corpus, settings):
    s = settings.replace(index_dir=tmp_path / name)
    build_index(input_from_paths([corpus], s), s.index_dir, FakeEmbedder(), s)
    return load_store(s.index_dir)


@pytest.mark.parametrize("share", [0.0, 0.5, None])
def test_a_build_killed_while_tokenising_resumes_to_the_clean_index(tmp_path, monkeypatch, share):
    corpus = _corpus(tmp_path / "news.jsonl")
    settings = defaults().replace(build_checkpoint_chunks=8)
    clean = _index(tmp_path, "clean", corpus, settings)
    kill_after = len(clean.chunks) * 2 if share is None else 1 + int(share * len(clean.chunks))
    real, calls = indexer.bm25_tokens, [0]

    def tokens_then_killed(text):
        calls[0] += 1
        if calls[0] > kill_after:
            raise KeyboardInterrupt
        return real(text)

    monkeypatch.setattr(indexer, "bm25_tokens", tokens_then_killed)
    s = settings.replace(index_dir=tmp_path / "killed")
    if share is not None:
        with pytest.raises(KeyboardInterrupt):
            build_index(input_from_paths([corpus], s), s.index_dir, FakeEmbedder(), s)
    monkeypatch.setattr(indexer, "bm25_tokens", real)
    resumed = _index(tmp_path, "killed", corpus, settings)
    assert [c.text for c in resumed.chunks] == [c.text for c in clean.chunks]
    assert _bm25(resumed) == _bm25(clean)


def test_postings_that_do_not_add_up_are_tokenised_again(tmp_path, monkeypatch):
    corpus = _corpus(tmp_path / "news.jsonl")
    settings = defaults().replace(build_checkpoint_chunks=8)
    clean = _index(tmp_path, "clean", corpus, settings)
    s = settings.replace(index_dir=tmp_path / "broken")
    # every chunk tokenised and checkpointed, then killed before the BM25 files are written
    monkeypatch.setattr(indexer, "finish_bm25", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        build_index(input_from_paths([corpus], s), s.index_dir, FakeEmbedder(), s)
    monkeypatch.undo()
    staged = next(s.index_dir.glob(".build-*"))
    tokens = staged / "bm25_tokens.i32"
    tokens.write_bytes(tokens.read_bytes()[: tokens.stat().st_size // 2])  # as a checkpoint that lied
    checkpoint = json.loads((staged / "checkpoint.json").read_text())
    checkpoint["files"]["bm25_tokens.i32"] = tokens.stat().st_size
    (staged / "checkpoint.json").write_text(json.dumps(checkpoint))
    resumed = _index(tmp_path, "broken", corpus, settings)
    assert _bm25(resumed) == _bm25(clean)
