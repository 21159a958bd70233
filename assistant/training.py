"""Training the answer model from graded questions (``python -m assistant train``).

1. *collect*: every question is asked as the product would ask it (follow-ups resolved through a
   conversation), and each candidate sentence gets its features and a label: 1 when it holds an
   alternative of every group of the question's answer keys (or, for answers spread over several
   sentences, when it holds the most groups, at least half), else 0; questions the corpus does not
   answer label every candidate 0.
2. *cross-validate*: folds grouped by source article (two questions on one article share a
   fold); each fold is scored by a model trained on the others.
3. *calibrate* on those out-of-fold scores: the refusal threshold is the highest one that keeps
   in-corpus refusals within the target; the share of the best probability a further sentence
   needs to join the answer is the one that recovers the most answer keys.
4. *fit* on all data and write the model file with its fingerprint and the figures of step 2.

scikit-learn fits the models (LogisticRegression; trees.py for boosting); ranker.AnswerModel scores them."""

from __future__ import annotations

import hashlib
import logging
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .answer import MARKER_CHARS, fitting, room, select, shown_order
from .evaluation import load_questions, question_turns, squash
from .features import FEATURES, KINDS, LANGUAGE_MARK, QUESTION_FEATURES, question_features, vector
from .ranker import Linear, QuestionModel, SentenceModel
from .settings import defaults
from .trees import TreeConfig, fit_hist_trees, fit_trees

log = logging.getLogger(__name__)

# the code whose change makes a trained model stale (features, their inputs, candidates, the retrieval
# that ranks the passages they come from, and how a follow-up is rewritten before its candidates are
# collected); the question's parse reads the glossary terms and the cross-lingual glosses too
FEATURE_CODE = ("features.py", "answer_types.py", "question.py", "candidates.py", "chunking.py", "normalize.py",
                "tokens.py", "conversation.py", "retrieval.py", "terms.py", "crosslingual.py", "text.py")
# the code that turns collected candidates into the model (a change re-fits, without re-collecting)
TRAINING_CODE = ("training.py", "train.py", "ranker.py", "trees.py", "answer.py")
THRESHOLD_GRID = tuple(round(x, 3) for x in np.arange(0.02, 0.95, 0.01))
EXTRA_RATIO_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
# the composer's limits, mirrored here: how many sentences and characters an answer quotes
MAX_SENTENCES, MAX_CHARS = defaults().max_answer_sentences, defaults().max_answer_chars


@dataclass
class QuestionRows:
    """One graded question and its candidate sentences."""

    qid: str
    group: str  # fold key: the source article, or the question itself
    kind: str
    answerable: bool
    keys: list[list[str]]
    texts: list[str] = field(default_factory=list)
    positions: list[tuple[str, int, int]] = field(default_factory=list)  # (doc_id, start, end)
    afters: list[str] = field(default_factory=list)  # each candidate's next sentence (same paragraph), verbatim
    features: list[dict[str, float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    counterfactual: list[dict[str, float]] = field(default_factory=list)  # lost-number reading, if any


def key_share(text: str, keys: list[list[str]]) -> float:
    if not keys:
        return 0.0
    sq = squash(text)
    return sum(any(squash(alt) in sq for alt in group) for group in keys) / len(keys)


def label_candidates(texts: list[str], keys: list[list[str]], answerable: bool) -> list[int]:
    if not answerable or not keys:
        return [0] * len(texts)
    shares = [key_share(t, keys) for t in texts]
    best = max(shares, default=0.0)
    return [1 if s == 1.0 or (s == best and s >= 0.5) else 0 for s in shares]


def file_fingerprint(paths: Iterable[Path]) -> dict[str, str]:
    return {Path(p).name: hashlib.sha256(Path(p).read_bytes()).hexdigest()[:16] for p in paths}


def code_fingerprint(files: tuple[str, ...] = FEATURE_CODE) -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in files:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    h.update(" ".join(FEATURES).encode())
    return h.hexdigest()[:16]


# ----------------------------------------------------------------------------- collecting
def collect(assistant, paths: list[Path], progress: Callable[[str], None] | None = None) -> list[QuestionRows]:
    out = []
    for path in paths:
        questions = load_questions(path)
        for i, q in enumerate(questions):
            out.append(_question_rows(assistant, q, path.stem))
            if progress and (i + 1) % 50 == 0:
                progress(f"{path.name}: {i + 1}/{len(questions)}")
    return out


def _question_rows(assistant, q: dict, file_stem: str) -> QuestionRows:
    keys = q.get("answer_keys") or []
    answerable = not q.get("expect_refusal")
    # questions on one news article share a fold; the seed questions all share one article, so
    # each is its own group (as are questions with no source)
    source = q.get("source_doc")
    group = source if source and source != "seed" else f"{file_stem}:{q.get('id')}"
    rows = QuestionRows(qid=f"{file_stem}:{q.get('id')}", group=group, kind=q.get("type", ""),
                        answerable=answerable, keys=keys)
    scored = assistant.candidates_for(question_turns(q))
    for cand in scored:
        rows.texts.append(cand.text)
        rows.positions.append((cand.doc_id, cand.start, cand.end))
        rows.afters.append(cand.after_text)
        rows.features.append(cand.features)
    rows.labels = label_candidates(rows.texts, keys, answerable)
    return rows


# ----------------------------------------------------------------------------- fitting
def _labelled(q: QuestionRows) -> bool:
    """Whether the question can teach the model: it has candidates, and keys or no answer at all
    (a number the source lost has neither)."""
    return bool(q.features) and (bool(q.keys) or not q.answerable)


def _linear(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], c: float,
            weights: np.ndarray | None = None) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    clf = LogisticRegression(C=c, max_iter=4000)
    clf.fit((x - mean) / scale, y, sample_weight=weights)
    return Linear(names, tuple(map(float, mean)), tuple(map(float, scale)), tuple(float(v) for v in clf.coef_[0]),
                  float(clf.intercept_[0]), tuple(map(float, x.min(axis=0))), tuple(map(float, x.max(axis=0))))


def fit_sentences(questions: list[QuestionRows], c: float = 1.0, trees: TreeConfig | None = None) -> SentenceModel:
    """The sentence model: every candidate of every labelled question, a question's weight spread
    over its candidates (one with many does not dominate)."""
    xs, ys, ws = [], [], []
    for q in filter(_labelled, questions):
        for feats, y in zip(q.features, q.labels):
            xs.append(vector(feats))
            ys.append(y)
            ws.append(1.0 / len(q.features) ** 0.5)
    x, y, w = np.asarray(xs, dtype=float), np.asarray(ys), np.asarray(ws)
    boosting = trees.sentence if trees is not None else None
    fitted = fit_hist_trees(x, y, FEATURES, boosting, w) if boosting is not None and boosting.share > 0 else None
    return SentenceModel(_linear(x, y, FEATURES, c, w), fitted, boosting.share if fitted else 0.0)


def question_label(q: QuestionRows, probs: list[float], extra_ratio: float = 1.01,
                   follow_kinds: tuple[str, ...] = ()) -> int:
    """1 when the answer the composer would give (best sentence, its close neighbours, the next
    sentence for the follow kinds) holds every key group."""
    if not q.answerable or not probs or not q.keys:
        return 0
    return int(key_share(answer_text(q, decide(q, probs, 1.0, 0.0, extra_ratio, follow_kinds)), q.keys) == 1.0)


def fit_questions(questions: list[QuestionRows], probs: list[list[float]], extra_ratio: float = 1.01,
                  follow_kinds: tuple[str, ...] = (), c: float = 0.3, trees: TreeConfig | None = None) -> QuestionModel:
    pairs = [(question_features(q.features, p), question_label(q, p, extra_ratio, follow_kinds))
             for q, p in zip(questions, probs) if _labelled(q)]
    x = np.asarray([[f[name] for name in QUESTION_FEATURES] for f, _ in pairs], dtype=float)
    y = np.asarray([y for _, y in pairs])
    boosting = trees.question if trees is not None else None
    fitted = fit_trees(x, y, QUESTION_FEATURES, boosting) if boosting is not None and boosting.share > 0 else None
    return QuestionModel(_linear(x, y, QUESTION_FEATURES, c), fitted, boosting.share if fitted else 0.0)


def folds(questions: list[QuestionRows], k: int, seed: int = 0) -> list[list[int]]:
    groups = sorted({q.group for q in questions})
    random.Random(seed).shuffle(groups)
    fold_of = {g: i % k for i, g in enumerate(groups)}
    out: list[list[int]] = [[] for _ in range(k)]
    for i, q in enumerate(questions):
        out[fold_of[q.group]].append(i)
    return out


def out_of_fold(questions: list[QuestionRows], k: int = 5, c: float = 1.0, seed: int = 0,
                trees: TreeConfig | None = None) -> list[list[float]]:
    """Each question's candidate probabilities from a sentence model that never saw its fold."""
    probs: list[list[float]] = [[] for _ in questions]
    for held in folds(questions, k, seed):
        held_set = set(held)
        model = fit_sentences([q for i, q in enumerate(questions) if i not in held_set], c=c, trees=trees)
        for i in held:
            probs[i] = model.probabilities(questions[i].features)
    return probs


def questions_out_of_fold(questions: list[QuestionRows], probs: list[list[float]], k: int = 5,
                          extra_ratio: float = 1.01, follow_kinds: tuple[str, ...] = (), seed: int = 0,
                          trees: TreeConfig | None = None) -> list[float]:
    """Each question's calibrated answer probability from a question model that never saw its fold
    (its inputs are the out-of-fold candidate probabilities)."""
    answered = [0.0] * len(questions)
    for held in folds(questions, k, seed):
        held_set = set(held)
        train = [i for i in range(len(questions)) if i not in held_set]
        model = fit_questions([questions[i] for i in train], [probs[i] for i in train], extra_ratio, follow_kinds,
                              trees=trees)
        for i in held:
            answered[i] = model.probability(question_features(questions[i].features, probs[i]))
    return answered


# ----------------------------------------------------------------------------- deciding
@dataclass(frozen=True)
class Decision:
    refused: bool
    chosen: tuple[int, ...]  # candidate indexes quoted, best first
    follow: bool = False  # the sentence after the last one quoted joins the answer


def analysed_kind(q: QuestionRows) -> str:
    """The kind question analysis gave (from the candidates' one-hot features)."""
    return next((k[5:] for k, v in q.features[0].items() if k.startswith("kind_") and v == 1.0), "other") \
        if q.features else "other"


def language(q: QuestionRows) -> str:
    """``zh``, or ``other`` for a question in another language (from its candidates' features)."""
    return "other" if q.features and q.features[0].get(LANGUAGE_MARK) else "zh"


Threshold = float | dict[str, float]  # one for all, or one per language ("zh", "other")


def threshold_for(q: QuestionRows, threshold: Threshold) -> float:
    return threshold if isinstance(threshold, (int, float)) else threshold[language(q)]


def decide(q: QuestionRows, probs: list[float], answered: float, threshold: Threshold, extra_ratio: float,
           follow_kinds: tuple[str, ...] = (), max_sentences: int = MAX_SENTENCES) -> Decision:
    """The choice the composer makes: refuse below the threshold, else answer.select (and, for
    the kinds whose answer follows its setting, the next sentence)."""
    if answered < threshold_for(q, threshold) or not probs:
        return Decision(True, ())
    return Decision(False, select(q.positions, probs, 0.0, extra_ratio, max_sentences),
                    analysed_kind(q) in follow_kinds)


def answer_text(q: QuestionRows, d: Decision, max_chars: int = MAX_CHARS) -> str:
    """What the composer would show: the chosen sentences that fit in ``max_chars`` with their marks
    (answer.fitting) in answer.shown_order, and the next one for the follow kinds while it fits —
    the first is cut to fit, as answer._render does."""
    kept = [d.chosen[i] for i in fitting([len(q.texts[i]) for i in d.chosen], max_chars)]
    order = shown_order(kept, lambda i: q.positions[i][1])
    pieces = [q.texts[i] for i in order]
    if d.follow and order:
        last = max(order, key=lambda i: q.positions[i][1])
        after_start = q.positions[last][2]
        if q.afters and not any(q.positions[i][1] >= after_start and q.positions[i][0] == q.positions[last][0]
                                for i in order):
            pieces.append(q.afters[last])
    text, left = "", max_chars
    for piece in pieces:
        if len(piece) > room(left):
            text = text or piece[: room(left)]
            break
        text += piece
        left -= len(piece) + MARKER_CHARS
    return text


def outcome(q: QuestionRows, d: Decision) -> dict[str, bool | None]:
    text = answer_text(q, d)
    correct = None
    if q.answerable and q.keys:
        correct = not d.refused and key_share(text, q.keys) == 1.0
    elif not q.answerable:
        correct = d.refused
    return {"refused": d.refused, "correct": correct}


def figures(questions: list[QuestionRows], probs: list[list[float]], answered: list[float], threshold: Threshold,
            extra_ratio: float, follow_kinds: tuple[str, ...] = ()) -> dict[str, float]:
    res_a, res_o = [], []
    for q, p, a in zip(questions, probs, answered):
        if not _labelled(q):
            continue
        (res_a if q.answerable else res_o).append(outcome(q, decide(q, p, a, threshold, extra_ratio, follow_kinds)))
    share = (lambda xs: sum(xs) / len(xs) if xs else float("nan"))
    return {
        "n_answerable": len(res_a), "n_ooc": len(res_o),
        "correct": share([r["correct"] for r in res_a]),
        "refused_in_corpus": share([r["refused"] for r in res_a]),
        "refused_ooc": share([r["refused"] for r in res_o]),
    }


def choose_threshold(questions: list[QuestionRows], probs: list[list[float]], answered: list[float],
                     max_in_corpus_refused: float) -> float:
    """The highest threshold whose in-corpus refusal rate stays within the target."""
    best = THRESHOLD_GRID[0]
    for t in THRESHOLD_GRID:
        if figures(questions, probs, answered, t, 1.01)["refused_in_corpus"] <= max_in_corpus_refused:
            best = t
    return best


def choose_thresholds(questions: list[QuestionRows], probs: list[list[float]], answered: list[float],
                      max_in_corpus_refused: float) -> dict[str, float]:
    """Chinese questions: the in-corpus refusal target. Questions in another language are found
    far less often (by the embedding and the Chinese words they stand for), so holding their refusals to the same
    target would mean answering nearly all of them wrongly: their threshold makes the most right
    decisions (right answers plus right refusals) less wrong quotes, instead — on a tie, the higher
    one, as a wrong quote is worse than no answer."""
    idx = {lang: [i for i, q in enumerate(questions) if language(q) == lang] for lang in ("zh", "other")}

    def part(lang: str) -> tuple[list, list, list]:
        return ([questions[i] for i in idx[lang]], [probs[i] for i in idx[lang]], [answered[i] for i in idx[lang]])

    out = {"zh": choose_threshold(*part("zh"), max_in_corpus_refused)}
    qs, ps, an = part("other")

    def right(t: float) -> float:
        """Right answers and right refusals, less wrong quotes (worse than no answer)."""
        f = figures(qs, ps, an, t, 1.01)
        n_a, n_o = f["n_answerable"], f["n_ooc"]
        correct = f["correct"] * n_a if n_a else 0.0
        wrong = (n_a - correct - f["refused_in_corpus"] * n_a if n_a else 0.0) + ((1 - f["refused_ooc"]) * n_o if n_o else 0.0)
        return correct + (f["refused_ooc"] * n_o if n_o else 0.0) - wrong

    out["other"] = max(THRESHOLD_GRID, key=lambda t: (right(t), t)) if qs else out["zh"]
    return out


def _complete(questions: list[QuestionRows], probs: list[list[float]], answered: list[float], threshold: float,
              ratio: float, follow_kinds: tuple[str, ...], max_chars: int, kind: str | None = None) -> int:
    """How many answerable questions (of ``kind``) get every key group within ``max_chars``."""
    total = 0
    for q, p, a in zip(questions, probs, answered):
        if not (_labelled(q) and q.answerable) or (kind is not None and analysed_kind(q) != kind):
            continue
        d = decide(q, p, a, threshold, ratio, follow_kinds)
        total += (not d.refused and key_share(answer_text(q, d, max_chars), q.keys) == 1.0)
    return total


def choose_extra_ratio(questions: list[QuestionRows], probs: list[list[float]], answered: list[float],
                       threshold: float, max_chars: int = MAX_CHARS) -> float:
    """The ratio that makes the most answers complete (all key groups) within the length limit."""
    return max(EXTRA_RATIO_GRID, key=lambda r: (_complete(questions, probs, answered, threshold, r, (), max_chars), -r))


def choose_follow_kinds(questions: list[QuestionRows], probs: list[list[float]], answered: list[float],
                        threshold: float, ratio: float, max_chars: int = MAX_CHARS) -> tuple[str, ...]:
    """The kinds of question whose answers are more often complete when the sentence after the
    quoted one joins them (an effect, a reason, what happened next)."""
    kinds = []
    for kind in KINDS:
        without = _complete(questions, probs, answered, threshold, ratio, (), max_chars, kind)
        with_next = _complete(questions, probs, answered, threshold, ratio, (kind,), max_chars, kind)
        if with_next > without:
            kinds.append(kind)
    return tuple(kinds)


def reliability(questions: list[QuestionRows], probs: list[list[float]], answered: list[float],
                extra_ratio: float = 1.01, follow_kinds: tuple[str, ...] = (),
                bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean predicted, observed share answered right, count) of the question model, binned."""
    pairs = [(a, question_label(q, p, extra_ratio, follow_kinds) == 1)
             for q, p, a in zip(questions, probs, answered) if _labelled(q)]
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(pr, ok) for pr, ok in pairs if lo <= pr < hi or (b == bins - 1 and pr == 1.0)]
        if inside:
            out.append((sum(pr for pr, _ in inside) / len(inside), sum(ok for _, ok in inside) / len(inside),
                        len(inside)))
    return out


def by_file(questions: list[QuestionRows]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(questions):
        out[q.qid.split(":", 1)[0]].append(i)
    return out
