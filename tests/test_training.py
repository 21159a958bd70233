"""Training: labels from answer keys, folds by source article, the composer's selection, the
threshold that keeps in-corpus refusals within the target, and a committed model that is not stale."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

from assistant import training as tr
from assistant.answer import fitting, select
from assistant.features import FEATURES
from assistant.ranker import AnswerModel
from assistant.settings import defaults
from assistant.trees import TreeConfig


def test_labels_need_every_key_group_or_the_most_groups():
    keys = [["杨云"], ["县长"]]
    assert tr.label_candidates(["县长杨云发言", "杨云在场", "无关"], keys, True) == [1, 0, 0]
    # no sentence holds both groups: the ones holding the most (at least half) are the answer
    assert tr.label_candidates(["杨云在场", "县长讲话", "无关"], keys, True) == [1, 1, 0]
    assert tr.label_candidates(["县长杨云"], keys, False) == [0]


def test_select_quotes_the_best_and_close_neighbours_of_the_same_document():
    positions = [("d", 0, 10), ("d", 12, 20), ("e", 0, 10), ("d", 2000, 2010)]
    assert select(positions, [0.9, 0.7, 0.8, 0.85], 0.5, 0.6, 3) == (0, 1)
    assert select(positions, [0.4, 0.3, 0.2, 0.1], 0.5, 0.6, 3) == ()
    assert select(positions, [0.9, 0.7], 0.5, 1.01, 3) == (0,)


def test_the_best_sentence_is_quoted_though_a_long_lesser_one_stands_before_it():
    """Fitted best first, shown best first and the rest in document order: a long neighbour before the best
    sentence no longer pushes it out of a 300-character answer."""
    assert fitting([40, 260], 300) == [0]  # the best (40) and the neighbour (260) do not both fit
    assert fitting([40, 260, 30], 300) == [0, 2]  # a shorter third one still does
    assert fitting([400, 20], 300) == [0]  # the best alone, cut to fit
    long_before = "甲" * 288 + "。"
    q = tr.QuestionRows(qid="f:1", group="g", kind="fact", answerable=True, keys=[["答案"]],
                        texts=["答案在这里。", long_before], positions=[("d", 300, 306), ("d", 0, 289)],
                        features=[{}, {}])
    text = tr.answer_text(q, tr.Decision(False, (0, 1)))
    assert text == "答案在这里。"
    assert tr.answer_text(q, tr.Decision(False, (0,))) == "答案在这里。"
    short_before = "甲" * 20 + "。"
    q.texts[1] = short_before
    assert tr.answer_text(q, tr.Decision(False, (0, 1))) == "答案在这里。" + short_before  # the best is [1]
    q.texts.append("乙。")
    q.positions.append(("d", 400, 402))
    q.features.append({})
    assert tr.answer_text(q, tr.Decision(False, (0, 2, 1))) == "答案在这里。" + short_before + "乙。"  # the rest in order


def _question(i: int, answerable: bool, good: float, rng: random.Random) -> tr.QuestionRows:
    """A made-up question: candidate 0 is the answer (when answerable); ``good`` is its coverage."""
    feats = []
    for j in range(4):
        f = {name: 0.0 for name in FEATURES}
        f["cov_sent"] = good if j == 0 else rng.uniform(0.0, 0.5)
        f["type_ok"] = 1.0 if (j == 0 and answerable) else 0.0
        feats.append(f)
    q = tr.QuestionRows(qid=f"f:{i}", group=f"g{i // 2}", kind="fact", answerable=answerable,
                        keys=[["答"]] if answerable else [], texts=["答案" if j == 0 and answerable else "别的"
                                                               for j in range(4)],
                        positions=[("d", 100 * j, 100 * j + 10) for j in range(4)], features=feats)
    q.labels = tr.label_candidates(q.texts, q.keys, answerable)
    return q


@pytest.fixture(scope="module")
def questions():
    rng = random.Random(0)
    return [_question(i, i % 5 != 0, rng.uniform(0.6, 1.0) if i % 5 else rng.uniform(0.3, 0.7), rng)
            for i in range(120)]


def test_folds_keep_an_article_together(questions):
    folds = tr.folds(questions, 5)
    assert sorted(i for f in folds for i in f) == list(range(len(questions)))
    fold_of = {i: k for k, f in enumerate(folds) for i in f}
    for i, q in enumerate(questions):
        for j, other in enumerate(questions):
            if q.group == other.group:
                assert fold_of[i] == fold_of[j]


def test_cross_validated_threshold_keeps_in_corpus_refusals_within_target(questions):
    probs = tr.out_of_fold(questions, k=5)
    answered = tr.questions_out_of_fold(questions, probs, k=5)
    t = tr.choose_threshold(questions, probs, answered, 0.04)
    fig = tr.figures(questions, probs, answered, t, 1.01)
    assert fig["refused_in_corpus"] <= 0.04
    assert fig["refused_ooc"] > 0.5 and fig["correct"] > 0.9
    assert tr.figures(questions, probs, answered, t + 0.2, 1.01)["refused_in_corpus"] >= fig["refused_in_corpus"]
    bins = tr.reliability(questions, probs, answered)
    assert sum(n for *_, n in bins) == len(questions)


def test_the_question_model_takes_trees_when_configured(questions):
    probs = tr.out_of_fold(questions, k=5)
    config = TreeConfig(train_sentence_trees=0, train_sentence_tree_depth=2, train_sentence_tree_rate=0.1,
                        train_sentence_trees_share=0.5, train_question_trees=20, train_question_tree_depth=2,
                        train_question_tree_rate=0.1, train_question_trees_share=0.5, train_tree_seed=0)
    blend = tr.fit_questions(questions, probs, trees=config)
    assert blend.trees is not None and len(blend.trees.trees) == 20 and blend.trees_share == 0.5
    linear_only = tr.fit_questions(questions, probs)
    assert linear_only.trees is None and linear_only.linear == blend.linear
    no_trees = tr.fit_questions(questions, probs, trees=dataclasses.replace(config, train_question_trees=0))
    assert no_trees.trees is None and no_trees.trees_share == 0.0
    unweighed = tr.fit_questions(questions, probs, trees=dataclasses.replace(config, train_question_trees_share=0.0))
    assert unweighed.trees is None and unweighed.trees_share == 0.0
    answered = tr.questions_out_of_fold(questions, probs, k=5, trees=config)
    assert len(answered) == len(questions) and all(0.0 <= a <= 1.0 for a in answered)


def test_the_sentence_model_takes_trees_when_configured(questions):
    config = TreeConfig(train_sentence_trees=15, train_sentence_tree_depth=2, train_sentence_tree_rate=0.1,
                        train_sentence_trees_share=0.5, train_question_trees=0, train_question_tree_depth=2,
                        train_question_tree_rate=0.1, train_question_trees_share=0.5, train_tree_seed=0)
    blend = tr.fit_sentences(questions, trees=config)
    assert blend.trees is not None and blend.trees.precision == "d" and blend.trees_share == 0.5
    linear_only = tr.fit_sentences(questions)
    assert linear_only.trees is None and linear_only.linear == blend.linear
    unweighed = tr.fit_sentences(questions, trees=dataclasses.replace(config, train_sentence_trees_share=0.0))
    assert unweighed.trees is None and unweighed.trees_share == 0.0
    assert tr.fit_sentences(questions, trees=dataclasses.replace(config, train_sentence_trees=0)).trees is None
    # the blend ranks the answer first for most questions, as the regression does
    probs = tr.out_of_fold(questions, k=3, trees=config)
    labelled = [(q, p) for q, p in zip(questions, probs) if any(q.labels)]
    ranked_first = sum(q.labels[max(range(len(p)), key=p.__getitem__)] for q, p in labelled)
    assert ranked_first / len(labelled) > 0.8


def test_equal_refusal_takes_the_highest_threshold_within_each_target(questions):
    from types import SimpleNamespace

    from assistant.train import at_equal_refusal

    probs = tr.out_of_fold(questions, k=5)
    # answer probabilities that overlap: answerable ones spread over 0.3–1.0, the rest over 0–0.6
    answered = [(0.3 + 0.7 * (i % 17) / 16) if q.answerable else 0.6 * (i % 7) / 6 for i, q in enumerate(questions)]
    model = SimpleNamespace(extra_ratio=1.01, follow_kinds=())
    targets = (0.0, 0.05, 0.2, 0.5)
    found = at_equal_refusal(questions, probs, answered, model, targets)
    assert [f["refused_in_corpus"] <= t for f, t in zip(found, targets)] == [True] * len(targets)
    thresholds = [f["threshold"] for f in found]
    assert thresholds == sorted(thresholds) and thresholds[-1] > thresholds[0]  # a looser target, a higher threshold
    refusing = [f["refused_ooc"] for f in found]
    assert refusing == sorted(refusing)
    # the next threshold up would refuse more in-corpus questions than the target allows
    for f, t in zip(found, targets):
        up = [x for x in tr.THRESHOLD_GRID if x > f["threshold"]]
        assert not up or tr.figures(questions, probs, answered, up[0], 1.01)["refused_in_corpus"] > t


def test_fitting_is_deterministic(questions):
    a, b = tr.fit_sentences(questions).linear, tr.fit_sentences(questions).linear
    assert a.coef == b.coef and a.intercept == b.intercept
    assert dict(a.weights())["type_ok"] > 0


def test_the_committed_answer_model_is_not_stale():
    """Retrain (`python -m assistant train`) after changing the training questions or the code
    that computes features: the committed model records what it was trained on."""
    settings = defaults()
    model = AnswerModel.load(settings.answer_model)
    trained = model.trained_on
    assert trained["feature_code"] == tr.code_fingerprint(), "feature code changed since training"
    assert trained["training_code"] == tr.code_fingerprint(tr.TRAINING_CODE), "training code changed since training"
    assert trained["questions"] == tr.file_fingerprint(settings.train_questions), "training questions changed"
    assert trained["non_questions"] == tr.file_fingerprint([settings.non_questions, settings.document_requests])
    assert (trained["max_answer_sentences"], trained["max_answer_chars"]) == (
        settings.max_answer_sentences, settings.max_answer_chars), "answers quote another length than trained for"
    assert 0.0 < model.threshold < 1.0 and model.figures["cross_validated"]["chinese"]["refused_in_corpus"] <= 0.05
    assert model.intent(384) is not None
    json.dumps(model.figures)  # the figures stay plain JSON for docs/quality.md


def test_cached_rows_keep_the_last_used_older_key_and_drop_the_rest(tmp_path):
    """An experiment and its revert each find the other's rows; versions before those are deleted."""
    import os

    from assistant.train import drop_superseded

    current = tmp_path / "seed-a-0123456789abcdef.jsonl"
    previous = tmp_path / "seed-a-fedcba9876543210.jsonl"
    oldest = tmp_path / "seed-a-00000000000000ff.jsonl"
    other_file = tmp_path / "seed-a-extra-fedcba9876543210.jsonl"  # another question file, not a version
    for age, p in enumerate((current, previous, oldest, other_file)):
        p.write_text("", encoding="utf-8")
        os.utime(p, (1_000_000 - age * 10, 1_000_000 - age * 10))
    assert drop_superseded(current) == [oldest]
    assert current.exists() and previous.exists() and other_file.exists() and not oldest.exists()
    assert drop_superseded(current, keep=0) == [previous] and not previous.exists()


def test_the_answer_model_learns_from_chinese_questions_only_and_english_ones_set_their_threshold(questions):
    """English rows (marked on their candidates) never move the fitted weights, however unlike the
    Chinese ones they are; they are scored by the Chinese model and calibrate only their threshold."""
    from assistant.features import LANGUAGE_MARK
    from assistant.train import calibrated_model

    rng = random.Random(1)
    english = [_question(1000 + i, i % 4 != 0, rng.uniform(0.0, 0.2), rng) for i in range(40)]
    for q in english:
        q.qid = "english:" + q.qid
        for j, f in enumerate(q.features):
            f["cov_sent"] = 0.9 if j else 0.05  # the answer covers nothing: a Chinese model would learn the opposite
            f[LANGUAGE_MARK] = 1.0
    # few small trees: what is tested is which rows they are fitted on, not how well (the defaults took 15 s)
    settings = defaults().model_copy(update={"train_sentence_trees": 10, "train_question_trees": 10, "train_folds": 3})
    chinese_only, _ = calibrated_model(settings, questions)
    mixed, figures = calibrated_model(settings, questions + english)
    assert mixed.sentence == chinese_only.sentence and mixed.question == chinese_only.question
    assert mixed.threshold == chinese_only.threshold
    assert figures["cross_validated"]["english"]["n_answerable"] == 30
