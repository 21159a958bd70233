"""Append-only staging files with a checkpoint (assistant.staging): what was appended after the
last checkpoint is cut off on restore; a missing or shortened file is damage, not silently kept."""

from __future__ import annotations

import pytest

from assistant.staging import Staging


def test_restore_cuts_files_back_to_the_checkpoint(tmp_path):
    staging = Staging(tmp_path / "build")
    staging.open("a.bin").write(b"12345")
    staging.checkpoint({"items": 5})
    staging.open("a.bin").write(b"678")  # written, never checkpointed: a kill came first
    staging.close()

    again = Staging(tmp_path / "build")
    state = again.state()
    assert state["items"] == 5 and state["files"] == {"a.bin": 5}
    again.restore(state)
    assert (tmp_path / "build" / "a.bin").read_bytes() == b"12345"
    again.finish()
    assert again.state() is None


def test_a_file_shorter_than_its_checkpoint_is_damage(tmp_path):
    staging = Staging(tmp_path / "build")
    staging.open("a.bin").write(b"12345")
    staging.checkpoint({})
    staging.close()
    (tmp_path / "build" / "a.bin").write_bytes(b"12")
    with pytest.raises(ValueError, match="shorter"):
        Staging(tmp_path / "build").restore(Staging(tmp_path / "build").state())
