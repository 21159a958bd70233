"""assistant.feedback: an append-only, thread-safe JSON Lines log of 👍/👎 with comments."""

from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest

from assistant.feedback import MAX_COMMENT_CHARS, FeedbackError, FeedbackLog
from assistant.schema import Answer, Citation


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _answer() -> Answer:
    c = Citation(n=1, doc_id="d1", title="江口县", text="江口县委书记杨华祥", start=10, end=19, score=0.5)
    return Answer(question="他是谁？", text="江口县委书记杨华祥[1]", citations=(c,), mode="extractive",
                  resolved_question="江口县委书记是谁？")


def test_append_writes_one_complete_json_object_a_line(tmp_path):
    log = FeedbackLog(tmp_path / "sub" / "feedback.jsonl")  # the folder is created
    log.append("问题一", "回答一[1]", [{"n": 1, "doc_id": "d", "title": "t", "start": 0, "end": 2, "text": "原文"}],
               "up", "很好")
    log.append_answer(_answer(), "👎", "  出处不对  ")
    rows = _lines(tmp_path / "sub" / "feedback.jsonl")
    assert len(rows) == 2
    first, second = rows
    assert set(first) >= {"time", "question", "answer", "citations", "rating", "comment"}
    assert first["question"] == "问题一" and first["answer"] == "回答一[1]" and first["rating"] == "up"
    assert first["citations"][0]["text"] == "原文"
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert second["rating"] == "down" and second["comment"] == "出处不对"
    assert second["citations"] == [{"n": 1, "doc_id": "d1", "title": "江口县", "start": 10, "end": 19,
                                    "text": "江口县委书记杨华祥"}]
    assert second["resolved_question"] == "江口县委书记是谁？" and second["mode"] == "extractive"
    assert [r["question"] for r in log.records()] == ["问题一", "他是谁？"]


def test_append_only_never_rewrites_earlier_lines(tmp_path):
    path = tmp_path / "feedback.jsonl"
    log = FeedbackLog(path)
    log.append("q1", "a1", [], "up")
    before = path.read_bytes()
    log.append("q2", "a2", [], "down")
    assert path.read_bytes().startswith(before)


def test_concurrent_appends_from_threads_never_interleave(tmp_path):
    path = tmp_path / "feedback.jsonl"
    logs = [FeedbackLog(path), FeedbackLog(path)]  # two objects, one file: still one lock
    n_threads, per_thread = 8, 40
    long_answer = "长" * 5000  # big records make torn writes likely if writing were not atomic
    barrier = threading.Barrier(n_threads)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                logs[t % 2].append(f"q{t}-{i}", long_answer, [], "up" if i % 2 else "down", f"{t}:{i}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    rows = _lines(path)  # every line parses: no torn or interleaved writes
    assert len(rows) == n_threads * per_thread
    assert {r["comment"] for r in rows} == {f"{t}:{i}" for t in range(n_threads) for i in range(per_thread)}
    assert all(r["answer"] == long_answer for r in rows)


@pytest.mark.parametrize("comment", ["长" * (MAX_COMMENT_CHARS + 1), 123, {"text": "x"}, ["x"]])
def test_bad_comments_are_rejected_with_a_chinese_message_and_nothing_is_written(tmp_path, comment):
    path = tmp_path / "feedback.jsonl"
    with pytest.raises(FeedbackError) as err:
        FeedbackLog(path).append("问", "答", [], "up", comment)
    assert "评论" in str(err.value)
    assert not path.exists()


def test_comment_limits(tmp_path):
    log = FeedbackLog(tmp_path / "f.jsonl")
    assert log.append("问", "答", [], "up", "好" * MAX_COMMENT_CHARS)["comment"] == "好" * MAX_COMMENT_CHARS
    # surrounding blanks do not count toward the limit
    assert log.append("问", "答", [], "up", "  " + "好" * MAX_COMMENT_CHARS + "\n")["comment"] == "好" * MAX_COMMENT_CHARS
    assert log.append("问", "答", [], "up", None)["comment"] == ""
    assert log.append("问", "答", [], "up", "   ")["comment"] == ""


@pytest.mark.parametrize("rating", ["", "good", None, 5])
def test_bad_rating(tmp_path, rating):
    with pytest.raises(FeedbackError, match="评价"):
        FeedbackLog(tmp_path / "f.jsonl").append("问", "答", [], rating)


def test_no_answer_to_rate(tmp_path):
    with pytest.raises(FeedbackError, match="还没有可以评价的回答"):
        FeedbackLog(tmp_path / "f.jsonl").append("问", "  ", [], "up")


def test_unwritable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(FeedbackError, match="无法保存评价"):
        FeedbackLog(blocker / "feedback.jsonl").append("问", "答", [], "up")


def test_the_message_never_shows_the_servers_path(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(FeedbackError) as caught:
        FeedbackLog(blocker / "feedback.jsonl").append("问", "答", [], "up")
    assert str(tmp_path) not in str(caught.value) and "feedback.jsonl" not in str(caught.value)


def test_a_link_in_place_of_the_log_is_not_followed(tmp_path):
    """The feedback log cannot be pointed outside its folder by a link planted in its place."""
    outside = tmp_path / "outside.txt"
    outside.write_text("不能被改写\n", encoding="utf-8")
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "feedback.jsonl").symlink_to(outside)
    with pytest.raises(FeedbackError):
        FeedbackLog(folder / "feedback.jsonl").append("问", "答", [], "up")
    assert outside.read_text(encoding="utf-8") == "不能被改写\n"


def test_one_client_cannot_flood_the_log(tmp_path):
    """Issue 10: 100 posts in 10 s all landed (625 KB)."""
    log = FeedbackLog(tmp_path / "f.jsonl", max_per_minute=5, max_bytes=100_000)
    for _ in range(5):
        log.append("问", "答" * 100, [], "up", client="10.0.0.1")
    with pytest.raises(FeedbackError, match="太频繁"):
        log.append("问", "答", [], "up", client="10.0.0.1")
    log.append("问", "答", [], "up", client="10.0.0.2")  # another client is not held back
    assert len(list(log.records())) == 6


def test_the_log_stops_growing_at_its_size_limit(tmp_path):
    log = FeedbackLog(tmp_path / "f.jsonl", max_bytes=2_000)
    with pytest.raises(FeedbackError, match="已满"):
        for i in range(100):
            log.append("问", "答" * 100, [], "up", client=str(i))
    assert (tmp_path / "f.jsonl").stat().st_size <= 2_000
