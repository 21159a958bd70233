"""Safe writes: a reader sees the old file or the new one; two writers take turns."""

from __future__ import annotations

import os
import threading

import pytest

from assistant.storage import atomic_write_bytes, atomic_write_text, locked


def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    atomic_write_text(target, "旧")
    atomic_write_text(target, "新内容")
    assert target.read_text(encoding="utf-8") == "新内容"
    assert os.listdir(target.parent) == ["f.txt"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.bin"]


def test_the_lock_lets_one_writer_in_at_a_time(tmp_path):
    inside, overlaps = [], []

    def work():
        with locked(tmp_path / ".lock"):
            if inside:
                overlaps.append(1)
            inside.append(1)
            threading.Event().wait(0.02)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlaps
