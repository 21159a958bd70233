"""Question files → figures. The format is ``../shared/eval/questions.jsonl``'s: ``answer_keys``
(groups of alternatives, every group must be present), ``evidence`` (substrings the retrieved or
cited passages must contain, compared without spaces or punctuation; a list item holds
alternatives), ``expect_refusal``, ``forbid_regex`` and ``turns`` (a conversation, the last turn
graded)."""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .grounding import ungrounded_numbers

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def squash(text: str) -> str:
    """Text without spaces or punctuation, NFKC: how evidence is compared."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text))


def load_questions(path: Path) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"问题文件第 {n} 行不是合法 JSON：{exc}") from exc
    return out


def question_turns(q: dict) -> list[str]:
    """What a question record asks, oldest turn first: its ``turns``, or its one ``question``."""
    return q.get("turns") or [q.get("question", "")]


def _evidence_items(q: dict) -> list[list[str]]:
    items = []
    for e in q.get("evidence") or []:
        items.append([squash(a) for a in (e if isinstance(e, list) else [e])])
    return items


def evidence_rank(q: dict, passages: list[str]) -> int | None:
    """1-based rank of the first passage holding an evidence item (any item), else None."""
    items = _evidence_items(q)
    if not items:
        return None
    for rank, p in enumerate(passages, start=1):
        sp = squash(p)
        if any(any(alt in sp for alt in alts) for alts in items):
            return rank
    return None


def evidence_all_in(q: dict, passages: list[str]) -> bool:
    """Every evidence item is in at least one of ``passages``."""
    joined = [squash(p) for p in passages]
    return all(any(any(alt in p for alt in alts) for p in joined) for alts in _evidence_items(q))


@dataclass
class Graded:
    id: str
    kind: str
    refused: bool
    expect_refusal: bool
    evidence_rank: int | None
    evidence_in_top_k: bool | None
    evidence_all_top_k: bool | None
    keys_recall: float | None
    correct: bool | None
    concise: bool
    numbers_grounded: bool
    forbid_ok: bool
    citations_support: bool | None
    latency_ms: float
    answer: str = ""
    hard_negative: bool = False  # a refusal about something the corpus really mentions


def grade(q: dict, result: dict, k: int = 3, latency_ms: float = 0.0, max_chars: int = 300) -> Graded:
    answer = result.get("answer", "")
    refused = bool(result.get("refused"))
    retrieved = [r["text"] for r in result.get("retrieved", [])]
    cited = [c["text"] for c in result.get("citations", [])]
    expect_refusal = bool(q.get("expect_refusal"))
    rank = evidence_rank(q, retrieved)
    has_evidence = bool(q.get("evidence"))
    keys = q.get("answer_keys") or []
    if keys and not expect_refusal:
        present = [any(squash(alt) in squash(answer) for alt in group) for group in keys]
        recall = sum(present) / len(present)
        correct = all(present) and not refused
    else:
        recall = None
        correct = refused if expect_refusal else None
    forbid = q.get("forbid_regex")
    forbid_ok = not (forbid and re.search(forbid, answer))
    if not expect_refusal and not keys and has_evidence:
        # a question without keys (e.g. a number the source lost): right = answered, cited, no forbidden claim
        correct = (not refused) and forbid_ok and evidence_all_in(q, cited)
    citations_support = None
    if has_evidence and not refused and not expect_refusal:
        citations_support = evidence_all_in(q, cited) if cited else False
    return Graded(
        id=q.get("id", ""),
        kind=q.get("type", ""),
        refused=refused,
        expect_refusal=expect_refusal,
        evidence_rank=rank,
        evidence_in_top_k=(rank is not None and rank <= k) if has_evidence else None,
        evidence_all_top_k=evidence_all_in(q, retrieved[:k]) if has_evidence else None,
        keys_recall=recall,
        correct=correct,
        concise=len(answer) <= max_chars,
        numbers_grounded=not ungrounded_numbers(answer, cited) if not refused else True,
        forbid_ok=forbid_ok,
        citations_support=citations_support,
        latency_ms=latency_ms,
        answer=answer,
        hard_negative=expect_refusal and bool(q.get("hard_negative")),
    )


@dataclass
class Report:
    graded: list[Graded] = field(default_factory=list)

    def _share(self, values: Iterable[bool | None]) -> float | None:
        vals = [v for v in values if v is not None]
        return sum(vals) / len(vals) if vals else None

    def figures(self, subset: list[Graded] | None = None) -> dict[str, float | None]:
        g = self.graded if subset is None else subset
        answerable = [x for x in g if not x.expect_refusal]
        out_of_corpus = [x for x in g if x.expect_refusal]
        ranks = [x.evidence_rank for x in answerable if x.evidence_in_top_k is not None]
        mrr = statistics.fmean([1 / r if r else 0.0 for r in ranks]) if ranks else None
        lat = sorted(x.latency_ms for x in g)
        return {
            "n": len(g),
            "evidence@k": self._share(x.evidence_in_top_k for x in answerable),
            "mrr": mrr,
            "key_recall": statistics.fmean([x.keys_recall for x in answerable if x.keys_recall is not None])
            if any(x.keys_recall is not None for x in answerable) else None,
            "correct": self._share(x.correct for x in answerable),
            "correct_concise": self._share(
                (x.correct and x.concise) if x.correct is not None else None for x in answerable),
            "refused_ooc": self._share(x.refused for x in out_of_corpus),
            "refused_in_corpus": self._share(x.refused for x in answerable),
            "citations_support": self._share(x.citations_support for x in answerable),
            "numbers_grounded": self._share(x.numbers_grounded and x.forbid_ok for x in g),
            "p50_ms": lat[len(lat) // 2] if lat else None,
            "p95_ms": lat[min(len(lat) - 1, int(len(lat) * 0.95))] if lat else None,
        }

    def by_kind(self) -> dict[str, dict]:
        kinds = sorted({x.kind for x in self.graded})
        return {k: self.figures([x for x in self.graded if x.kind == k]) for k in kinds}


COLUMNS = ["n", "evidence@k", "mrr", "correct_concise", "key_recall", "refused_ooc", "refused_in_corpus",
           "citations_support", "numbers_grounded", "p50_ms"]


def _fmt(v: float | None, col: str) -> str:
    if v is None:
        return "—"
    if col == "n":
        return str(int(v))
    if col.endswith("_ms"):
        return f"{v:.0f}"
    return f"{v:.2f}" if col == "mrr" else f"{100 * v:.0f}%"


def format_table(report: Report, title: str = "") -> str:
    rows = [("全部 all", report.figures())] + list(report.by_kind().items())
    header = "| kind | " + " | ".join(COLUMNS) + " |"
    lines = [f"### {title}" if title else "", header, "|" + "---|" * (len(COLUMNS) + 1)]
    for name, fig in rows:
        lines.append(f"| {name} | " + " | ".join(_fmt(fig.get(c), c) for c in COLUMNS) + " |")
    return "\n".join(line for line in lines if line is not None)


def evaluate(questions: list[dict], ask: Callable[[dict], dict], k: int = 3, max_chars: int = 300) -> Report:
    """``ask`` takes a question record and returns the ``ask --jsonl`` output object."""
    report = Report()
    for q in questions:
        t0 = time.perf_counter()
        result = ask(q)
        ms = (time.perf_counter() - t0) * 1000
        report.graded.append(grade(q, result, k=k, latency_ms=ms, max_chars=max_chars))
    return report


def failures(report: Report) -> list[Graded]:
    return [x for x in report.graded if x.correct is False or x.evidence_in_top_k is False
            or not x.numbers_grounded or not x.forbid_ok]


def format_comparison(a: Report, b: Report, name_a: str, name_b: str) -> str:
    """Two settings side by side: overall and per kind, A / B for each figure."""
    rows = [("全部 all", a.figures(), b.figures())]
    kinds_a, kinds_b = a.by_kind(), b.by_kind()
    rows += [(k, kinds_a[k], kinds_b.get(k, {})) for k in kinds_a]
    cols = [c for c in COLUMNS if c != "n"]
    lines = [f"A = {name_a}    B = {name_b}", "| kind | " + " | ".join(f"{c} A / B" for c in cols) + " |",
             "|" + "---|" * (len(cols) + 1)]
    for name, fa, fb in rows:
        cells = [f"{_fmt(fa.get(c), c)} / {_fmt(fb.get(c), c)}" for c in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
