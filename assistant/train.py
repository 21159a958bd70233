"""``python -m assistant train``: (re)build the training index, collect candidates for every
training question, cross-validate, calibrate, fit, and write ``assistant/answer_model.json``
together with the non-question classifier. Deterministic: the same data and code give the same
file (the staleness test relies on it).

The candidates of each question are cached in .cache/ under a fingerprint of the question files,
the feature code and the index, so re-running after a change elsewhere is quick."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import training as tr
from .evaluation import load_questions, question_turns
from .intents import IntentModel, char_ngrams
from .normalize import normalize
from .ranker import AnswerModel, QuestionModel, SentenceModel
from .settings import PROJECT_ROOT, Settings, section

log = logging.getLogger(__name__)
ROWS_CACHE = PROJECT_ROOT / ".cache" / "train-rows"


def training_assistant(settings: Settings, progress: bool = True):
    """An assistant over the training corpus, answering with the untrained prior."""
    from .pipeline import Assistant

    train_settings = settings.replace(index_dir=settings.train_index_dir, corpus=settings.train_corpus)
    assistant = Assistant(train_settings, load_answer_model=False)
    assistant.build(train_settings.corpus, progress=progress)
    return assistant


def fingerprint(settings: Settings, assistant) -> dict:
    return {
        "questions": tr.file_fingerprint(settings.train_questions),
        "non_questions": tr.file_fingerprint([settings.non_questions, settings.document_requests]),
        "feature_code": tr.code_fingerprint(),
        "training_code": tr.code_fingerprint(tr.TRAINING_CODE),
        "model_id": assistant.embedder.model_id,
        "documents": len(assistant.store.documents),
        "chunks": len(assistant.store.chunks),
        "folds": settings.train_folds,
        "max_in_corpus_refused": settings.train_max_in_corpus_refused,
        "regularization": settings.train_regularization,
        "trees": dataclasses.asdict(section(tr.TreeConfig, settings)),
        "sentences_from_hits": settings.sentences_from_hits,
        "top_k": settings.top_k,
        "max_answer_sentences": settings.max_answer_sentences,  # how much an answer quotes: labels and threshold
        "max_answer_chars": settings.max_answer_chars,
    }


def cached_rows(settings: Settings, assistant, say: Callable[[str], None],
                question_files: tuple[Path, ...] | None = None) -> list[tr.QuestionRows]:
    """Every training question's candidates (or those of ``question_files``), cached per question file
    under a fingerprint of that file, the feature code and the index: adding a file collects only its questions."""
    inputs = {k: v for k, v in fingerprint(settings, assistant).items()
              if k not in ("training_code", "questions", "non_questions", "max_answer_sentences", "max_answer_chars",
                           "trees")}
    rows: list[tr.QuestionRows] = []
    for question_file in settings.train_questions if question_files is None else question_files:
        keyed = {**inputs, "questions": tr.file_fingerprint([question_file])}
        key = hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:16]
        path = ROWS_CACHE / f"{Path(question_file).stem}-{key}.jsonl"
        if path.exists():
            say(f"候选句缓存 / cached candidates: {path}")
            path.touch()  # last used: the version drop_superseded keeps beside a newer one
            rows += load_rows(path)
            continue
        say(f"为 {Path(question_file).name} 的每个问题收集候选句（约每题 0.1–1 秒）/ collecting candidates …")
        collected = tr.collect(assistant, [Path(question_file)], progress=say)
        save_rows(collected, path)
        drop_superseded(path)
        rows += collected
    return rows


def save_rows(questions: list[tr.QuestionRows], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for q in questions:
            fh.write(json.dumps(q.__dict__, ensure_ascii=False) + "\n")


def load_rows(path: Path) -> list[tr.QuestionRows]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            d["positions"] = [tuple(p) for p in d["positions"]]
            out.append(tr.QuestionRows(**d))
    return out


def drop_superseded(path: Path, keep: int = 1) -> list[Path]:
    """Delete the cached rows of the same question file under other keys (older feature code or
    file versions), all but the ``keep`` last used: an experiment and its revert then each find the
    rows of the other instead of collecting them again (7–14 minutes)."""
    stem, _, _ = path.stem.rpartition("-")
    others = [p for p in path.parent.glob(f"{stem}-*.jsonl")
              if p != path and re.fullmatch(re.escape(stem) + r"-[0-9a-f]{16}", p.stem)]
    stale = sorted(others, key=lambda p: p.stat().st_mtime, reverse=True)[keep:]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def intent_lines(path: Path) -> list[str]:
    """One text per line; ``#`` starts a comment line."""
    return [t.strip() for t in path.read_text(encoding="utf-8").splitlines() if t.strip() and not t.startswith("#")]


def fit_intents(settings: Settings, assistant) -> tuple[IntentModel, dict]:
    """The non-question classifier on query embeddings and character n-grams (intents.py):
    data/intents/non_questions.txt against every training question and the requests about the
    documents, with the ``intent_ngrams`` n-grams that weigh most in a first fit on all of them
    (the model file stays small; the held-out figures were the same with 1,000 to all 14,700). The
    threshold is the out-of-fold probability that at most ``intent_max_questions_misread`` of the
    training questions reach (the most question-like training question alone, as before, set it so
    high that a third of the non-questions passed as questions).
    The held-out files are only scored, by the model as the assistant runs it."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    positives = intent_lines(settings.non_questions)
    negatives = intent_lines(settings.document_requests)
    for path in settings.train_questions:
        for q in load_questions(path):
            text = question_turns(q)[-1]
            (positives if q.get("type") == "non_question" else negatives).append(text)
    y = np.array([1] * len(positives) + [0] * len(negatives))
    normalized = [normalize(t) for t in positives + negatives]
    embeddings = assistant.embedder.embed_queries(normalized)
    dim = embeddings.shape[1]

    def classifier() -> LogisticRegression:
        return LogisticRegression(C=settings.intent_regularization, max_iter=5000, class_weight="balanced")

    # every n-gram two texts share, fitted once; the model keeps the ones weighing most and is refitted on them
    every = TfidfVectorizer(analyzer=char_ngrams, min_df=2, sublinear_tf=True)
    first = classifier().fit(hstack([csr_matrix(embeddings), every.fit_transform(normalized)]).tocsr(), y)
    names = every.get_feature_names_out()
    kept = sorted(np.argsort(-np.abs(first.coef_[0][dim:]), kind="stable")[: settings.intent_ngrams])
    ngrams = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, vocabulary=[str(names[i]) for i in kept])
    x = hstack([csr_matrix(embeddings), ngrams.fit_transform(normalized)]).tocsr()
    clf = classifier()
    oof = cross_val_predict(clf, x, y, cv=settings.train_folds, method="predict_proba")[:, 1]
    clf.fit(x, y)
    threshold = float(np.quantile(oof[y == 0], 1.0 - settings.intent_max_questions_misread))
    refused_threshold = min(threshold, float(np.quantile(oof[y == 0], 1.0 - settings.intent_max_refused_questions_misread)))
    coef = clf.coef_[0]
    model = IntentModel(tuple(float(v) for v in coef[:dim]), float(clf.intercept_[0]), threshold,
                        tuple(str(g) for g in ngrams.get_feature_names_out()), tuple(float(v) for v in ngrams.idf_),
                        tuple(float(v) for v in coef[dim:]), refused_threshold)

    def probabilities(path: Path) -> np.ndarray:
        texts = [normalize(t) for t in intent_lines(path)]
        vectors = assistant.embedder.embed_queries(texts)
        return np.array([model.probability(v, t) for v, t in zip(vectors, texts)])

    def share(probs: np.ndarray, at: float) -> float:
        return float(np.mean(probs >= at)) if len(probs) else float("nan")

    heldout_non_questions = probabilities(settings.heldout_non_questions)
    figures = {"non_questions": int(y.sum()), "questions": int((y == 0).sum()), "ngrams": len(model.ngrams),
               "cv_non_question_recall": share(oof[y == 1], threshold),
               "cv_questions_misread": share(oof[y == 0], threshold),
               "heldout_non_question_recall": share(heldout_non_questions, threshold),
               "heldout_requests_misread": share(probabilities(settings.heldout_document_requests), threshold),
               "cv_questions_over_refused_threshold": share(oof[y == 0], refused_threshold),
               "heldout_non_questions_over_refused_threshold": share(heldout_non_questions, refused_threshold)}
    return model, figures


def scored(sentence: SentenceModel, question: QuestionModel,
           questions: list[tr.QuestionRows]) -> tuple[list[list[float]], list[float]]:
    """Each question's candidate probabilities and answer probability under the two models."""
    probs = [sentence.probabilities(q.features) for q in questions]
    answered = [question.probability(tr.question_features(q.features, p)) if p else 0.0
                for q, p in zip(questions, probs)]
    return probs, answered


def calibrated_model(settings: Settings, rows: list[tr.QuestionRows]) -> tuple[AnswerModel, dict]:
    """Sentence and question models fitted on the Chinese questions of ``rows``; how much an answer
    quotes (the extra sentence ratio, the kinds that take the next sentence) and the refusal
    threshold chosen on their out-of-fold probabilities. Questions in another language are scored by
    that model (their evidence — dense similarity, the Chinese words they stand for, the answer's
    shape — means what it means in Chinese; fitted alongside, their low word coverage bent the
    Chinese weights) and only set their own threshold. Returns the model and the cross-validated figures."""
    c, k, max_chars = settings.train_regularization, settings.train_folds, settings.max_answer_chars
    trees = section(tr.TreeConfig, settings)
    zh = [q for q in rows if tr.language(q) == "zh"]
    other = [q for q in rows if tr.language(q) != "zh"]
    zh_probs = tr.out_of_fold(zh, k=k, c=c, trees=trees)
    everything = [1.0] * len(zh)  # how much to quote is chosen as if every question were answered
    extra_ratio = tr.choose_extra_ratio(zh, zh_probs, everything, 0.0, max_chars)
    follow = tr.choose_follow_kinds(zh, zh_probs, everything, 0.0, extra_ratio, max_chars)
    zh_answered = tr.questions_out_of_fold(zh, zh_probs, k=k, extra_ratio=extra_ratio, follow_kinds=follow, trees=trees)
    sentence = tr.fit_sentences(zh, c=c, trees=trees)
    question = tr.fit_questions(zh, zh_probs, extra_ratio, follow, trees=trees)
    # never trained on, so the full model's scores are already out of sample
    other_probs, other_answered = scored(sentence, question, other)
    rows, probs, answered = zh + other, zh_probs + other_probs, zh_answered + other_answered
    thresholds = tr.choose_thresholds(rows, probs, answered, settings.train_max_in_corpus_refused)
    model = AnswerModel(sentence=sentence, question=question, threshold=thresholds["zh"],
                        other_language_threshold=thresholds["other"], extra_ratio=extra_ratio, follow_kinds=follow)
    threshold = thresholds
    cv = {name: tr.figures([rows[i] for i in idx], [probs[i] for i in idx], [answered[i] for i in idx], threshold,
                           extra_ratio, follow) for name, idx in tr.by_file(rows).items()}
    cv["chinese"] = tr.figures(zh, zh_probs, zh_answered, threshold, extra_ratio, follow)
    cv["all"] = tr.figures(rows, probs, answered, threshold, extra_ratio, follow)
    return model, {"cross_validated": cv,
                   "reliability": tr.reliability(zh, zh_probs, zh_answered, extra_ratio, follow)}


def fold_models(settings: Settings, rows: list[tr.QuestionRows]) -> dict[str, AnswerModel]:
    """For every training question, a model that never saw its fold (each calibrated by an inner
    cross-validation on the other folds): what ``eval --cv`` answers it with."""
    out: dict[str, AnswerModel] = {}
    for held in tr.folds(rows, settings.train_folds):
        held_set = set(held)
        model, _ = calibrated_model(settings, [q for i, q in enumerate(rows) if i not in held_set])
        for i in held:
            out[rows[i].qid] = model
    return out


def run(settings: Settings, say: Callable[[str], None] = print, reliability_png: Path | None = None) -> AnswerModel:
    assistant = training_assistant(settings)
    rows = cached_rows(settings, assistant, say)
    model, figures = calibrated_model(settings, rows)
    intent, intent_fig = fit_intents(settings, assistant)
    model = dataclasses.replace(
        model, trained_on=fingerprint(settings, assistant), figures={**figures, "intents": intent_fig},
        non_question=intent)
    model.save(settings.answer_model)
    if reliability_png is not None:
        from .reliability_plot import draw

        draw(model.figures["reliability"], reliability_png)
        say(f"可靠性图 / reliability diagram: {reliability_png}")
    return model


COMPARE_IN_CORPUS_REFUSED = (0.04, 0.06, 0.08, 0.10)


def at_equal_refusal(questions: list[tr.QuestionRows], probs: list[list[float]], answered: list[float],
                     model: AnswerModel, targets: tuple[float, ...] = COMPARE_IN_CORPUS_REFUSED) -> list[dict]:
    """The figures at the highest threshold whose in-corpus refusal stays within each target: two
    models compared here differ in how well they tell answers from look-alikes, not in where their
    calibration happened to put the threshold."""
    grid = [{**tr.figures(questions, probs, answered, t, model.extra_ratio, model.follow_kinds), "threshold": t}
            for t in tr.THRESHOLD_GRID]
    out = []
    for target in targets:
        within = [f for f in grid if f["refused_in_corpus"] <= target]
        out.append(within[-1] if within else grid[0])
    return out


def compare(settings: Settings, seeds: tuple[int, ...], say: Callable[[str], None] = print) -> str:
    """``train --compare``: the held-out figures of a model trained as ``run`` trains it, once per tree
    seed, averaged — at the calibrated threshold and at equal in-corpus refusal (the held-out sets are
    only scored, never trained or tuned on). How this project judges a change to features or training."""
    assistant = training_assistant(settings)
    rows = cached_rows(settings, assistant, say)
    held = cached_rows(settings, assistant, say, tuple(settings.heldout_questions))
    stress = {Path(p).stem for p in settings.heldout_stress_questions}
    domains: dict[str, list[int]] = {}
    for i, q in enumerate(held):
        stem = q.qid.split(":")[0]
        if tr.language(q) != "zh":
            domains.setdefault("other languages", []).append(i)
        elif stem in stress:
            domains.setdefault("paraphrase stress", []).append(i)
        else:
            domains.setdefault("all Chinese", []).append(i)
            domains.setdefault(stem.split("-")[0], []).append(i)
    table: dict[str, list[list[float]]] = {name: [] for name in domains}
    counts: dict[str, str] = {}
    for seed in seeds:
        say(f"树的随机种子 tree seed {seed} …")
        model, _ = calibrated_model(settings.replace(train_tree_seed=seed), rows)
        probs, answered = scored(model.sentence, model.question, held)
        threshold = {"zh": model.threshold, "other": model.other_language_threshold}
        for name, idx in domains.items():
            qs, ps, an = [held[i] for i in idx], [probs[i] for i in idx], [answered[i] for i in idx]
            cal = tr.figures(qs, ps, an, threshold, model.extra_ratio, model.follow_kinds)
            counts[name] = f"{cal['n_answerable']}+{cal['n_ooc']}"
            equal = at_equal_refusal(qs, ps, an, model) if name != "other languages" else []
            table[name].append([cal["correct"], cal["refused_in_corpus"], cal["refused_ooc"]]
                               + [f[k] for f in equal for k in ("correct", "refused_ooc")])
    targets = "/".join(f"{100 * t:.0f}" for t in COMPARE_IN_CORPUS_REFUSED)
    lines = [f"留出集 held out, mean of tree seeds {', '.join(map(str, seeds))}", "",
             f"| set | n | calibrated: correct / in-corpus refused / OOC refused | OOC refused at {targets}% in-corpus "
             f"refused | correct there |", "|---|---|---|---|---|"]
    for name in domains:
        mean = np.nanmean(np.array(table[name], dtype=float), axis=0) * 100
        pairs = mean[3:].reshape(-1, 2) if len(mean) > 3 else np.zeros((0, 2))
        lines.append(f"| {name} | {counts[name]} | {mean[0]:.1f} / {mean[1]:.1f} / {mean[2]:.1f} | "
                     f"{'/'.join(f'{v:.1f}' for v in pairs[:, 1]) or '—'} | {'/'.join(f'{v:.1f}' for v in pairs[:, 0]) or '—'} |")
    return "\n".join(lines)


def report(model: AnswerModel) -> str:
    lines = [f"阈值 threshold {model.threshold:.2f}（其他语言 other languages {model.other_language_threshold:.2f}）, "
             f"追加句比例 extra ratio {model.extra_ratio:.2f}, "
             f"接续下一句的题型 follow kinds {', '.join(model.follow_kinds) or '—'}", "",
             "| 问题集 (交叉验证 out-of-fold) | n | correct | in-corpus refused | OOC refused |", "|---|---|---|---|---|"]
    for name, f in model.figures.get("cross_validated", {}).items():
        lines.append(f"| {name} | {f['n_answerable']}+{f['n_ooc']} | {_pct(f['correct'])} | "
                     f"{_pct(f['refused_in_corpus'])} | {_pct(f['refused_ooc'])} |")
    parts = (("句子模型 sentence model", model.sentence), ("问题模型 question model", model.question))
    for title, part in parts:
        lines += ["", f"{title} — 权重 weights (standardised, largest first):"]
        lines += [f"  {name:<24} {w:+.3f}" for name, w in part.linear.weights()]
    for title, part in parts:  # the trees after both regressions
        if part.trees is not None:
            lines += ["", f"{title}的提升树 boosted trees — {len(part.trees.trees)} trees, "
                          f"share {part.trees_share:.2f}; 各特征占分裂的比例 share of splits:"]
            lines += [f"  {name:<24} {used:.1%}" for name, used in part.trees.usage()]
    intents = model.figures.get("intents", {})
    if intents and model.non_question is not None:
        lines.append(f"\n非问题识别 non-questions: threshold {model.non_question.threshold:.2f}, "
                     f"CV recall {_pct(intents['cv_non_question_recall'])}, "
                     f"questions misread {_pct(intents['cv_questions_misread'])}; held out: "
                     f"non-questions caught {_pct(intents.get('heldout_non_question_recall', float('nan')))}, "
                     f"requests about the documents misread "
                     f"{_pct(intents.get('heldout_requests_misread', float('nan')))}; when the corpus answers nothing: "
                     f"threshold {model.non_question.refused_threshold:.2f}, CV questions over it "
                     f"{_pct(intents.get('cv_questions_over_refused_threshold', float('nan')))}, held-out non-questions "
                     f"over it {_pct(intents.get('heldout_non_questions_over_refused_threshold', float('nan')))}")
    return "\n".join(lines)


def _pct(v: float) -> str:
    return "—" if v != v else f"{100 * v:.0f}%"
