"""The shared embedding cache: round trips, several processes at once, a kill mid-write, and two
indexes of overlapping documents sharing their vectors."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from assistant.embedding.cache import CACHE_FILE, VectorCache
from assistant.pipeline import Assistant
from assistant.schema import Document, content_hash
from assistant.settings import PROJECT_ROOT, Settings

DIM = 8


def fake_vectors(texts: list[str]) -> np.ndarray:
    """A vector that can be recomputed from its text alone (a torn or mixed-up row would not match),
    cheap enough that a writer spends its time inside put()."""
    digests = b"".join(hashlib.blake2b(t.encode(), digest_size=4 * DIM).digest() for t in texts)
    return (np.frombuffer(digests, "<u4").astype("float32") / 2**32).reshape(len(texts), DIM)


def test_round_trip_by_space(tmp_path):
    cache = VectorCache(tmp_path)
    texts = ["江口县", "脱贫", "passage text"]
    cache.put("model-a|passage: ", texts, fake_vectors(texts))
    got = cache.get("model-a|passage: ", ["脱贫", "没有存过", "江口县", "脱贫"])
    assert sorted(got) == [0, 2, 3]
    np.testing.assert_array_equal(got[0], fake_vectors(["脱贫"])[0])
    np.testing.assert_array_equal(got[2], fake_vectors(["江口县"])[0])
    assert cache.get("model-b|passage: ", texts) == {}  # another model's vectors are never mixed in
    assert cache.count() == 3 and cache.count("model-a|passage: ") == 3 and cache.count("nothing") == 0
    cache.put("model-a|passage: ", texts, fake_vectors(texts))  # storing again is harmless
    assert cache.count() == 3
    with pytest.raises(ValueError, match="8-dimensional"):
        cache.put("model-a|passage: ", ["x"], np.zeros((1, 4), "float32"))
    assert VectorCache(tmp_path).count() == 3  # reopened from disk


def test_unusable_directory_means_no_cache(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    assert VectorCache.open(tmp_path / "a-file" / "cache") is None


_WRITER = """
import sys, numpy as np
sys.path.insert(0, {tests!r})
from test_embedding_cache import batch_texts, fake_vectors
from assistant.embedding.cache import VectorCache
cache = VectorCache({path!r})
worker, batches, size = (int(a) for a in sys.argv[1:4])
for b in range(batches if batches >= 0 else 10**9):
    texts = batch_texts((worker * 10 + b) % 30 if batches >= 0 else b, size)
    cache.put("space", texts, fake_vectors(texts))
    assert len(cache.get("space", texts)) == size
    print(b, flush=True)
"""


def batch_texts(b: int, size: int) -> list[str]:
    return [f"text {b}-{i}" for i in range(size)]


def _writer(tmp_path, worker: int, batches: int, size: int) -> subprocess.Popen:
    script = _WRITER.format(tests=str(PROJECT_ROOT / "tests"), path=str(tmp_path))
    return subprocess.Popen([sys.executable, "-c", script, str(worker), str(batches), str(size)], cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stored_batches(tmp_path, n_batches: int, size: int) -> list[int]:
    """How many rows of each batch are stored, after checking the file and every stored vector."""
    db = sqlite3.connect(tmp_path / CACHE_FILE)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    cache = VectorCache(tmp_path)
    counts = []
    for b in range(n_batches):
        texts = batch_texts(b, size)
        got = cache.get("space", texts)
        for i, vec in got.items():
            np.testing.assert_array_equal(vec, fake_vectors([texts[i]])[0])
        counts.append(len(got))
    return counts


@pytest.mark.slow  # builds a real model folder, runs OCR or several processes: seconds, not milliseconds
def test_several_processes_write_at_once(tmp_path):
    VectorCache(tmp_path)
    procs = [_writer(tmp_path, w, 15, 50) for w in range(3)]  # batches 0-14, 10-24, 20-29 and 0-4
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert _stored_batches(tmp_path, 30, 50) == [50] * 30


def test_a_kill_mid_write_loses_at_most_the_unfinished_batch(tmp_path):
    VectorCache(tmp_path)
    size = 3000  # big batches: the kill lands inside a put() most of the time
    proc = _writer(tmp_path, 0, -1, size)  # writes until killed
    assert proc.stdout is not None
    for _ in range(3):
        proc.stdout.readline()  # three batches committed
    time.sleep(0.03)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    counts = _stored_batches(tmp_path, 8, size)
    assert counts[:3] == [size] * 3
    assert all(c in (0, size) for c in counts), counts  # whole batches only, none torn
    cache = VectorCache(tmp_path)  # and it keeps working
    cache.put("space", ["after the kill"], fake_vectors(["after the kill"]))
    assert cache.get("space", ["after the kill"])


@pytest.mark.slow
def test_a_second_index_of_overlapping_documents_embeds_only_new_text(embedder, tmp_path):
    cached = embedder.with_cache(VectorCache(tmp_path / "cache"))
    texts = ["青山村推行“两找三帮”工作法，全村建成蓝莓基地三百亩，带动农户一百二十户增收。",
             "绿水镇组织驻村工作队走访农户，建立问题清单，三个月内解决饮水、道路等问题四十余件。",
             "白石乡引进茶叶加工企业，采取“企业+合作社+农户”模式，带动脱贫户稳定增收。"]
    docs = [Document(content_hash(t), f"文档{i}", "test", t, "2023-05-01") for i, t in enumerate(texts)]
    first = Assistant(Settings(index_dir=tmp_path / "a"), embedder=cached)
    report_a = first.add_documents(docs[:2])
    assert report_a.n_embedded == report_a.n_chunks > 0
    second = Assistant(Settings(index_dir=tmp_path / "b"), embedder=cached)  # another index, same cache
    report_b = second.add_documents(docs[1:])
    new_chunks = sum(1 for c in second.store.chunks if c.doc_id == docs[2].doc_id)
    assert report_b.n_embedded == new_chunks
    shared = [i for i, c in enumerate(second.store.chunks) if c.doc_id == docs[1].doc_id]
    a_rows = [i for i, c in enumerate(first.store.chunks) if c.doc_id == docs[1].doc_id]
    np.testing.assert_array_equal(second.store.vectors()[shared], first.store.vectors()[a_rows])
    fresh = embedder.embed_passages([second.store.chunks[i].search_text for i in shared])
    np.testing.assert_allclose(second.store.vectors()[shared], fresh, atol=1e-5)  # cached = freshly embedded
