"""Boosted trees: scoring the copied nodes, and the copy against scikit-learn's own scores."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from assistant.trees import Boosting, TreeConfig, Trees, fit_hist_trees, fit_trees

NAMES = ("a", "b", "c")
# a stump on ``a`` (left when ≤ 0.5) and one on ``b`` (left when ≤ 0.25)
STUMPS = Trees(NAMES, -0.5, 0.1, (
    ((0, 0.5, 1, 2, 0.0), (-1, 0.0, -1, -1, -2.0), (-1, 0.0, -1, -1, 3.0)),
    ((1, 0.25, 1, 2, 0.0), (-1, 0.0, -1, -1, -1.0), (-1, 0.0, -1, -1, 1.0))))


def test_trees_sum_their_leaves_on_the_log_odds():
    assert STUMPS.margin({"a": 0.5, "b": 0.9}) == pytest.approx(-0.5 + 0.1 * (-2.0 + 1.0))
    assert STUMPS.margin({"a": 2.0}) == pytest.approx(-0.5 + 0.1 * (3.0 - 1.0))  # a missing value reads 0
    assert STUMPS.probability({"a": 2.0}) == pytest.approx(1 / (1 + np.exp(0.3)))
    assert dict(STUMPS.usage()) == {"a": 0.5, "b": 0.5}
    assert Trees.from_dict({"features": list(NAMES), "base": -0.5, "rate": 0.1,
                            "trees": [[list(n) for n in t] for t in STUMPS.trees]}) == STUMPS


def _data(n: int = 300):
    rng = random.Random(0)
    x = np.asarray([[rng.random(), rng.random(), rng.choice((0.0, 1.0))] for _ in range(n)])
    y = np.asarray([int(a + 0.5 * c + rng.gauss(0, 0.2) > 0.8) for a, _, c in x])
    return x, y


def test_the_copied_trees_score_as_scikit_learn_does_and_refit_the_same():
    from sklearn.ensemble import GradientBoostingClassifier

    x, y = _data()
    config = Boosting(trees=30, depth=3, rate=0.1, share=0.5)
    trees = fit_trees(x, y, NAMES, config)
    reference = GradientBoostingClassifier(n_estimators=30, max_depth=3, learning_rate=0.1, subsample=0.8,
                                           min_samples_leaf=10, random_state=0).fit(x, y)
    rows = [dict(zip(NAMES, map(float, r))) for r in x]
    assert [trees.margin(r) for r in rows] == pytest.approx(list(reference.decision_function(x)), abs=1e-9)
    assert fit_trees(x, y, NAMES, config) == trees
    assert {name for name, _ in trees.usage()} <= set(NAMES)


def test_the_histogram_trees_copied_score_as_scikit_learn_does_with_weights_and_refit_the_same():
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, y = _data(600)
    weights = np.asarray([1.0 + (i % 3) for i in range(len(y))])
    config = Boosting(trees=25, depth=3, rate=0.1, share=0.5)
    trees = fit_hist_trees(x, y, NAMES, config, weights)
    reference = HistGradientBoostingClassifier(max_iter=25, max_depth=3, learning_rate=0.1, min_samples_leaf=20,
                                               random_state=0).fit(x, y, sample_weight=weights)
    rows = [dict(zip(NAMES, map(float, r))) for r in x]
    assert [trees.margin(r) for r in rows] == pytest.approx(list(reference.decision_function(x)), abs=1e-9)
    assert trees.margins(rows) == pytest.approx(list(reference.decision_function(x)), abs=1e-9)  # all rows at once
    assert trees.margins([]) == []
    assert trees.precision == "d" and len(trees.trees) == reference.n_iter_
    assert fit_hist_trees(x, y, NAMES, config, weights) == trees
    assert Trees.from_dict({**dataclasses.asdict(trees), "trees": [[list(n) for n in t] for t in trees.trees]}) == trees
    unweighted = fit_hist_trees(x, y, NAMES, config)
    assert [unweighted.margin(r) for r in rows[:50]] != pytest.approx([trees.margin(r) for r in rows[:50]])


def test_float64_trees_compare_in_float64():
    # 0.1 in float32 is 0.10000000149…, above the threshold 0.1; in float64 it is the threshold
    stump = Trees(("a",), 0.0, 1.0, (((0, 0.1, 1, 2, 0.0), (-1, 0.0, -1, -1, -1.0), (-1, 0.0, -1, -1, 1.0)),))
    assert stump.margin({"a": 0.1}) == 1.0
    assert dataclasses.replace(stump, precision="d").margin({"a": 0.1}) == -1.0
    with pytest.raises(ValueError):
        Trees.from_dict({**dataclasses.asdict(stump), "precision": "q"})


def test_the_settings_name_each_models_trees():
    config = TreeConfig(train_sentence_trees=200, train_sentence_tree_depth=4, train_sentence_tree_rate=0.1,
                        train_sentence_trees_share=0.5, train_question_trees=150, train_question_tree_depth=3,
                        train_question_tree_rate=0.05, train_question_trees_share=0.4, train_tree_seed=7)
    assert config.sentence == Boosting(200, 4, 0.1, 0.5, seed=7)
    assert config.question == Boosting(150, 3, 0.05, 0.4, seed=7)


def test_a_seed_names_the_trees_the_same_seed_refits_the_same():
    """``train --compare`` refits under several seeds to see how much of a change's figures is chance."""
    x, y = _data()
    config = Boosting(trees=30, depth=3, rate=0.1, share=0.5)
    assert fit_trees(x, y, NAMES, dataclasses.replace(config, seed=1)) == fit_trees(
        x, y, NAMES, dataclasses.replace(config, seed=1))
    assert fit_trees(x, y, NAMES, dataclasses.replace(config, seed=1)) != fit_trees(x, y, NAMES, config)


@pytest.mark.parametrize("fit", [fit_trees, fit_hist_trees])
def test_no_trees_when_asked_for_none_or_when_every_outcome_is_the_same(fit):
    x, y = _data()
    assert fit(x, y, NAMES, Boosting(trees=0, depth=3, rate=0.1, share=0.5)) is None
    assert fit(x, np.zeros(len(y), dtype=int), NAMES, Boosting(trees=10, depth=3, rate=0.1, share=0.5)) is None
