"""``python -m assistant quality``: the figures behind docs/quality.md — every question set on the
training index (corpus/ + the news QA corpus), the training sets answered by models that never
saw their fold and the held-out sets by the committed model; per kind; learned vs hand-set
weights; the model's weights, its threshold curve and its reliability diagram."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from . import training as tr
from .batch import answer_record
from .evaluation import Graded, Report, evaluate, format_table, load_questions
from .features import QUESTION_FEATURES
from .pipeline import Assistant
from .ranker import AnswerModel, Linear, QuestionModel
from .settings import PROJECT_ROOT, section
from .storage import atomic_write_text
from .train import cached_rows, fold_models, report, training_assistant

RETRIEVAL_ABLATIONS: list[tuple[str, dict]] = [
    ("只用向量 dense only", {"bm25_weight": 0.0}),
    ("只用 BM25 BM25 only", {"dense_weight": 0.0}),
    ("不做覆盖度重排 no coverage re-score", {"coverage_weight": 0.0}),
]
# news articles per compiled document in the long-document check: 23,000–42,000 characters, the size of a
# long report, where every training document is at most 4,569 characters
ARTICLES_PER_LONG_DOCUMENT = 55
LONG_DOCUMENTS = PROJECT_ROOT / ".cache" / "long-documents.jsonl"
LONG_INDEX = PROJECT_ROOT / ".cache" / "index-long"
HEADER = ("| 问题集 set | n | evidence@3 | MRR | correct ≤300 | OOC refused | in-corpus refused | citations support "
          "| numbers grounded | p50 ms |\n|---|---|---|---|---|---|---|---|---|---|")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.0f}%"


def _line(name: str, f: dict) -> str:
    mrr = "—" if f["mrr"] is None else f"{f['mrr']:.2f}"
    p50 = "—" if f["p50_ms"] is None else f"{f['p50_ms']:.0f}"
    return (f"| {name} | {f['n']} | {_pct(f['evidence@k'])} | {mrr} | {_pct(f['correct_concise'])} | "
            f"{_pct(f['refused_ooc'])} | {_pct(f['refused_in_corpus'])} | {_pct(f['citations_support'])} | "
            f"{_pct(f['numbers_grounded'])} | {p50} |")


def refusal_lines(pools: dict[str, Report], public: Report | None) -> list[str]:
    """Out-of-corpus refusals split into hard negatives (the corpus mentions the thing, not the asked
    fact) and the rest, and the pooled figure at the ``public`` set's share of hard negatives: held-out
    sets hold far more hard negatives than the public one, so their pooled figure alone is not
    comparable with it."""
    def split(rep: Report) -> tuple[list[Graded], list[Graded], list[Graded]]:
        ooc = [x for x in rep.graded if x.expect_refusal]
        return ooc, [x for x in ooc if x.hard_negative], [x for x in ooc if not x.hard_negative]

    public_ooc, public_hard, _ = split(public) if public is not None else ([], [], [])
    public_mix = len(public_hard) / len(public_ooc) if public_ooc else None
    lines = ["| held out | hard negatives refused | other OOC refused | all OOC refused | at the public news mix |",
             "|---|---|---|---|---|"]
    for name, rep in pools.items():
        ooc, hard, other = split(rep)
        h, o, a = (rep.figures(xs)["refused_ooc"] for xs in (hard, other, ooc))
        mixed = public_mix * h + (1 - public_mix) * o if None not in (h, o, public_mix) else None
        lines.append(f"| {name} | {_pct(h)} of {len(hard)} | {_pct(o)} of {len(other)} | {_pct(a)} of {len(ooc)} "
                     f"| {_pct(mixed)} |")
    return lines


def rules_only(model: AnswerModel) -> AnswerModel:
    """Hand-set weights (the prior used to bootstrap training) with the same kind of threshold:
    what the learned model is compared against."""
    prior = AnswerModel.prior()
    question = QuestionModel(Linear.from_weights(QUESTION_FEATURES, {"top_logit": 1.0}, 0.0))
    return dataclasses.replace(model, sentence=prior.sentence, question=question, follow_kinds=())


def _evaluate(assistants: dict[str, Assistant], default: Assistant, stem: str, questions: list[dict]) -> Report:
    def ask(q: dict) -> dict:
        return answer_record(assistants.get(f"{stem}:{q.get('id')}", default), q)
    return evaluate(questions, ask, k=3, max_chars=default.settings.max_answer_chars)


def build_report(settings, say=print) -> str:
    base = training_assistant(settings, progress=False)
    learned = base.with_settings(answer_model=AnswerModel.load(settings.answer_model))
    rows = cached_rows(settings, base, say)
    per_question = {qid: model for qid, model in fold_models(settings, rows).items()}
    variants: dict[int, Assistant] = {}
    folded = {qid: variants.setdefault(id(m), learned.with_settings(answer_model=m)) for qid, m in per_question.items()}
    sets = [(p, "cv") for p in settings.train_questions] + [(p, "held out") for p in settings.heldout_questions]
    t0 = time.time()
    lines = ["# 答案质量 Answer quality", "",
             "由 `python -m assistant quality --out docs/quality.md` 生成，勿手工修改。Generated; do not edit by hand.", "",
             f"索引 index: {len(base.store.documents)} 篇文档 documents, {len(base.store.chunks)} 个文本块 chunks "
             f"(corpus/ + news-qa-corpus.jsonl); 嵌入模型 model {base.embedder.model_id}.", "",
             "## 各问题集 Question sets", "",
             "cv = a training set, each question answered by a model trained without its fold (folds grouped by "
             "source article, threshold calibrated by an inner cross-validation); held out = never used for "
             "training or tuning, answered by the committed model.", "", HEADER]
    reports: dict[str, Report] = {}
    for path, how in sets:
        questions = load_questions(path)
        rep = _evaluate(folded if how == "cv" else {}, learned, path.stem, questions)
        reports[path.stem] = rep
        lines.append(_line(f"{path.stem} ({how})", rep.figures()))
        say(f"{path.name}: {time.time() - t0:.0f}s")
    def pooled(*prefixes: str) -> Report:
        return Report([g for name, r in reports.items() if name.startswith(prefixes) for g in r.graded])

    lines += ["", "## 按题型 By kind", "", format_table(pooled("seed", "team"), "资料（江口）seed sets"), "",
              format_table(pooled("news"), "新闻 news sets"), "", format_table(pooled("english"), "英文 English sets"), ""]
    held_out = {p.stem for p in settings.heldout_questions}
    lines += ["## 拒答：难负例与其他 Out-of-corpus refusals: hard negatives and the rest", "",
              "A hard negative names something the corpus really mentions and asks a fact it never states. The "
              "held-out news sets hold far more of them than the public news set, so the last column weighs the "
              "two kinds as the public set does.", ""]
    lines += refusal_lines({f"{prefix} (held out)": Report([g for name, r in reports.items()
                                                           if name.startswith(prefix) and name in held_out
                                                           for g in r.graded]) for prefix in ("seed", "news")},
                           reports.get("news-questions")) + [""]
    lines += ["## 学习 vs 手工权重 Learned vs hand-set weights (news public, seed-a, seed public)", "", HEADER]
    hand = base.with_settings(answer_model=rules_only(learned.answer_model))
    for path in [p for p, _ in sets if p.stem in ("news-questions", "seed-a", "seed-public")]:
        questions = load_questions(path)
        lines.append(_line(f"{path.stem}: learned (cv)", reports[path.stem].figures()))
        lines.append(_line(f"{path.stem}: hand-set weights", _evaluate({}, hand, path.stem, questions).figures()))
    lines += ["", "## 检索消融 Retrieval ablations (held-out sets, committed model)", "",
              "The answer model was trained on the default retrieval's scores (dense similarities among them), so "
              "with one retriever switched off only evidence@3 and MRR compare fairly.", "", HEADER]
    held = [q for p in settings.heldout_questions for q in load_questions(p)]
    lines.append(_line("默认 default", Report([g for p in settings.heldout_questions
                                              for g in reports[p.stem].graded]).figures()))
    for name, changes in RETRIEVAL_ABLATIONS:
        lines.append(_line(name, _evaluate({}, learned.with_settings(**changes), "", held).figures()))
    lines += [""] + long_document_lines(settings, say)
    model = learned.answer_model
    lines += ["## 模型 The answer model", "", "```", report(model), "```", "",
              "![可靠性图 reliability diagram](reliability.png)", "",
              "The diagram plots the question model's probability (out-of-fold) against the share of questions "
              "whose best sentence really held the answer. The threshold curve (cross-validated, all training sets):",
              "", "| threshold | correct | in-corpus refused | OOC refused |", "|---|---|---|---|"]
    trees = section(tr.TreeConfig, settings)
    probs = tr.out_of_fold(rows, k=settings.train_folds, c=settings.train_regularization, trees=trees)
    answered = tr.questions_out_of_fold(rows, probs, k=settings.train_folds, extra_ratio=model.extra_ratio,
                                        follow_kinds=model.follow_kinds, trees=trees)
    for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, round(model.threshold, 2)):
        f = tr.figures(rows, probs, answered, t, model.extra_ratio, model.follow_kinds)
        lines.append(f"| {t:.2f} | {_pct(f['correct'])} | {_pct(f['refused_in_corpus'])} | {_pct(f['refused_ooc'])} |")
    lines.append("")
    return "\n".join(lines)


def compile_documents(source: Path, out: Path, per_document: int) -> Path:
    """``source``'s articles joined in file order into documents of ``per_document`` articles each."""
    articles = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = []
    for n, i in enumerate(range(0, len(articles), per_document)):
        text = "\n\n".join(a["text"] for a in articles[i : i + per_document])
        lines.append(json.dumps({"id": f"long-{n:03d}", "title": f"合集 {n + 1}", "text": text}, ensure_ascii=False))
    atomic_write_text(out, "\n".join(lines) + "\n")  # an interrupted run leaves no half file to reuse
    return out


def long_document_lines(settings, say=print) -> list[str]:
    """The news questions over the same articles compiled into a few long documents (a user's long
    reports): the model learned from short documents, so this is where it could extrapolate."""
    source = next(p for p in settings.train_corpus if p.suffix == ".jsonl")
    LONG_DOCUMENTS.parent.mkdir(parents=True, exist_ok=True)
    if not LONG_DOCUMENTS.exists() or LONG_DOCUMENTS.stat().st_mtime < source.stat().st_mtime:
        compile_documents(source, LONG_DOCUMENTS, ARTICLES_PER_LONG_DOCUMENT)
    long = Assistant.open(settings.replace(index_dir=LONG_INDEX, corpus=(LONG_DOCUMENTS,)), build_if_missing=True)
    news = next(p for p in settings.train_questions if p.stem == "news-questions")
    say(f"long documents: {len(long.store.documents)} documents")
    intro = (f"The news questions (committed model) on {source.name} compiled into {len(long.store.documents)} "
             f"documents of {ARTICLES_PER_LONG_DOCUMENT} articles each (evidence is matched by its text, so "
             "evidence@3 still applies).")
    figures = _evaluate({}, long, news.stem, load_questions(news)).figures()
    return ["## 长文档 Long documents", "", intro, "", HEADER, _line(f"{news.stem}, long documents", figures), ""]


def write(settings, out: Path, say=print) -> Path:
    text = build_report(settings, say)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
