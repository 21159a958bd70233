"""JSON Lines corpora: good and bad lines, ids and metadata (assistant.loaders.jsonl)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from assistant.loaders import LoaderError, load_file, load_jsonl, load_paths
from assistant.schema import content_hash
from tests.loader_fixtures import NEWS


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_good_lines_load_and_bad_lines_are_reported(tmp_path):
    long_first = "这是一个很长很长的第一句话，" * 5 + "结束。第二句。"
    path = _jsonl(tmp_path / "news.jsonl", [
        json.dumps({"id": "n1", "text": "正文一。第二句。", "title": "标题一", "date": "2023-01-02"},
                   ensure_ascii=False),
        "",
        "{bad json",
        json.dumps({"id": "n2", "text": "乡村振兴见成效！后文。"}, ensure_ascii=False),
        json.dumps({"id": "n3", "title": "没有正文"}, ensure_ascii=False),
        "   ",
        json.dumps({"id": 4, "text": long_first}, ensure_ascii=False),
        json.dumps({"text": "\n\n"}, ensure_ascii=False),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "n5", "text": "？"}, ensure_ascii=False),
    ])
    docs, errors = load_jsonl(path)
    assert [d.source for d in docs] == [f"{path}#n1", f"{path}#n2", f"{path}#4", f"{path}#n5"]
    assert [d.title for d in docs] == ["标题一", "乡村振兴见成效", long_first[:40], "n5"]
    assert len(docs[2].title) == 40
    assert docs[0].date == "2023-01-02" and docs[1].date == ""
    assert docs[0].text == "正文一。第二句。"
    assert [d.doc_id for d in docs] == ["n1", "n2", "4", "n5"]  # the corpus's own ids, as researchers cite them
    assert [e.line for e in errors] == [3, 5, 8, 9]
    assert "第 3 行" in str(errors[0]) and "news.jsonl" in str(errors[0])
    assert all(e.path == str(path) for e in errors)

    assert [d.source for d in load_file(path)] == [d.source for d in docs]
    all_docs, all_errors = load_paths([path])
    assert len(all_docs) == 4
    assert [e.line for e in all_errors] == [3, 5, 8, 9]


def test_jsonl_title_stops_at_line_break_and_missing_id_uses_line(tmp_path):
    path = _jsonl(tmp_path / "x.jsonl", [json.dumps({"text": "第一行标题\n第二行正文。"}, ensure_ascii=False)])
    [doc] = load_file(path)
    assert doc.title == "第一行标题"
    assert doc.source == f"{path}#L1"
    assert doc.doc_id == content_hash(doc.text)  # no id: the content hash, stable when other lines change


def test_jsonl_with_no_good_line_raises(tmp_path):
    path = _jsonl(tmp_path / "bad.jsonl", ["{oops", "[1, 2]"])
    with pytest.raises(LoaderError, match="bad.jsonl"):
        load_file(path)
    docs, errors = load_paths([path])
    assert docs == [] and len(errors) == 1




def test_shared_news_jsonl_loads_fast():
    if not NEWS.is_file():
        pytest.skip(f"{NEWS} not present")
    start = time.perf_counter()
    docs, errors = load_paths([NEWS])
    elapsed = time.perf_counter() - start
    assert errors == []
    assert len(docs) == 1677
    assert elapsed < 2.0
    assert all(d.source.startswith(f"{NEWS}#news-") for d in docs)
    assert all(d.title and len(d.title) <= 40 for d in docs)
    assert sum(bool(d.date) for d in docs) > 0


def test_jsonl_metadata_is_kept(tmp_path):
    path = _jsonl(tmp_path / "meta.jsonl", [json.dumps(
        {"id": "news-00042", "text": "正文。", "title": "标题", "date": "2023-08-16", "url": "http://example.cn/a",
         "author": "记者甲", "source": "某日报", "extra": "ignored"}, ensure_ascii=False)])
    [doc] = load_file(path)
    assert (doc.doc_id, doc.title, doc.date, doc.url, doc.author, doc.publisher) == (
        "news-00042", "标题", "2023-08-16", "http://example.cn/a", "记者甲", "某日报")
    assert doc.source.endswith("meta.jsonl#news-00042")


def test_jsonl_duplicate_id_in_a_file_is_skipped_and_reported(tmp_path):
    path = _jsonl(tmp_path / "dup.jsonl", [
        json.dumps({"id": "a", "text": "第一篇。"}, ensure_ascii=False),
        json.dumps({"id": "b", "text": "第二篇。"}, ensure_ascii=False),
        json.dumps({"id": "a", "text": "另一篇，却用了同一个 id。"}, ensure_ascii=False),
        json.dumps({"text": "没有 id。"}, ensure_ascii=False),
        json.dumps({"text": "没有 id。"}, ensure_ascii=False),
    ])
    docs, errors = load_jsonl(path)
    assert [d.text for d in docs] == ["第一篇。", "第二篇。", "没有 id。"]
    assert [e.line for e in errors] == [3, 5]
    assert "id “a”与第 1 行重复" in str(errors[0]) and "dup.jsonl 第 3 行" in str(errors[0])
    assert "正文与第 4 行重复" in str(errors[1])


def test_same_id_across_files(tmp_path):
    one = _jsonl(tmp_path / "one.jsonl", [json.dumps({"id": "x1", "text": "同一篇文章。"}, ensure_ascii=False)])
    same = _jsonl(tmp_path / "same.jsonl", [json.dumps({"id": "x1", "text": "同一篇文章。"}, ensure_ascii=False)])
    other = _jsonl(tmp_path / "other.jsonl", [json.dumps({"id": "x1", "text": "别的文章。"}, ensure_ascii=False),
                                               json.dumps({"id": "x2", "text": "第二篇。"}, ensure_ascii=False)])
    docs, errors = load_paths([one, same, other])
    assert [(d.doc_id, d.text) for d in docs] == [("x1", "同一篇文章。"), ("x2", "第二篇。")]
    [error] = errors  # the same article twice is loaded once; another text under the id is refused
    assert "文档 ID “x1” 重复" in str(error) and "other.jsonl" in str(error) and error.path == str(other)


def test_shared_news_ids_are_the_article_ids():
    if not NEWS.is_file():
        pytest.skip(f"{NEWS} not present")
    docs, errors = load_paths([NEWS])
    first = json.loads(NEWS.read_text(encoding="utf-8").split("\n", 1)[0])
    assert errors == [] and docs[0].doc_id == first["id"] and docs[0].date == first.get("date", "")
    assert len({d.doc_id for d in docs}) == len(docs) == 1677


def test_a_sidecar_gives_lines_the_metadata_they_lack(tmp_path):
    """An upload's title and date reach a .jsonl's documents (issue 10: they were ignored)."""
    import json as _json

    from assistant.loaders import load_paths

    one = tmp_path / "one.jsonl"
    one.write_text(_json.dumps({"text": "正文一。"}, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "one.jsonl.meta.json").write_text(_json.dumps({"title": "标题", "date": "2021-03-04"}), encoding="utf-8")
    many = tmp_path / "many.jsonl"
    many.write_text("\n".join(_json.dumps(r) for r in (  # ASCII: the surrogate stays an escape
        {"text": "正文二。", "date": "2019-01-01"}, {"text": "正文三。\ud800"})), encoding="utf-8")
    (tmp_path / "many.jsonl.meta.json").write_text(_json.dumps({"title": "总标题", "date": "2021-03-04"}), encoding="utf-8")
    docs, errors = load_paths([one, many])
    assert not errors
    assert (docs[0].title, docs[0].date) == ("标题", "2021-03-04")
    assert [d.date for d in docs[1:]] == ["2019-01-01", "2021-03-04"]  # a line's own date wins
    assert "总标题" not in {d.title for d in docs}  # one title cannot name several documents
    assert docs[2].text == "正文三。\ufffd"  # a lone surrogate cannot be indexed as UTF-8
