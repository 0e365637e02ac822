"""After-training checks: collapsed vectors, probe words (vectors/health.py)."""

import logging

import numpy as np
import pytest

from conftest import need, QUIJOTE
from palabra2vec import TrainConfig, Word2Vec
from palabra2vec.vectors.health import (COLLAPSE_THRESHOLD, FREQUENT_WORDS, collapse_warning, mean_random_cosine,
                                        probe_words)


def test_mean_random_cosine_exact_cases():
    parallel = np.array([[1.0, 2.0], [2.0, 4.0], [0.5, 1.0]], dtype=np.float32)
    assert mean_random_cosine(parallel) == pytest.approx(1.0, abs=1e-6)
    assert mean_random_cosine(np.eye(5, dtype=np.float32)) == 0.0  # distinct rows are orthogonal
    assert mean_random_cosine(np.array([[1.0, 0.0], [-1.0, 0.0]])) == pytest.approx(-1.0)
    assert mean_random_cosine(np.zeros((4, 3))) == 0.0  # zero rows count as 0, not nan
    assert np.isnan(mean_random_cosine(np.ones((1, 3))))
    rng = np.random.default_rng(0)
    assert abs(mean_random_cosine(rng.normal(size=(500, 50)))) < 0.02  # random directions


def test_collapse_warning_says_what_to_do():
    parallel = np.tile(np.arange(1.0, 5.0), (10, 1)) + np.random.default_rng(0).normal(0, 0.01, (10, 4))
    msg = collapse_warning(parallel, epochs=5)
    assert msg is not None and "collapsed" in msg and "--epochs 20" in msg and "mean cosine 1.00" in msg
    assert collapse_warning(np.eye(10), epochs=5) is None
    assert COLLAPSE_THRESHOLD == 0.6


def test_mean_random_cosine_top_rows_only():
    rows = np.vstack([np.eye(4), np.ones((6, 4))])  # 4 orthogonal rows, then 6 parallel ones
    assert mean_random_cosine(rows, top=4) == 0.0
    assert mean_random_cosine(rows) > 0.2
    assert mean_random_cosine(rows, top=100) == mean_random_cosine(rows)  # top past the end: all rows


def test_parallel_rare_words_are_not_a_collapse():
    """A large vocabulary's rare words share the early updates' direction in healthy models
    (corpus-es with word2vec's settings: all-word pairs 0.64 ours, 0.68 gensim's): only the
    frequent words decide. Frequent rows spread out, 20,000 rare rows nearly parallel."""
    rng = np.random.default_rng(1)
    frequent = rng.normal(size=(FREQUENT_WORDS, 50))
    rare = np.ones((20000, 50)) + rng.normal(0, 0.3, (20000, 50))
    vectors = np.vstack([frequent, rare])
    assert mean_random_cosine(vectors) > COLLAPSE_THRESHOLD  # the old all-word check would warn
    assert collapse_warning(vectors, epochs=5) is None
    collapsed = np.vstack([np.ones((FREQUENT_WORDS, 50)) + rng.normal(0, 0.3, (FREQUENT_WORDS, 50)), rare])
    msg = collapse_warning(collapsed, epochs=5)
    assert msg is not None and "frequent words" in msg


def test_probe_words_are_frequent_words_of_the_corpus():
    keys = ["que", "de", "y", "la", "sancho", "caballero", "dijo", "quijote", "12345", "señora", "mano"]
    assert probe_words(keys, n=3, skip=5) == ["caballero", "quijote", "señora"]
    assert probe_words(keys, n=3, skip=0) == ["sancho", "caballero", "quijote"]
    assert probe_words(keys, n=2, skip=100) == ["sancho", "caballero"]  # small vocabulary: earlier words
    assert probe_words(["a", "b", "c", "d"], n=2) == ["a", "b"]  # nothing qualifies
    bands = ["aa", "bb", "ccccc", "ddddd", "ee", "ff", "ggggg", "hh"]
    assert probe_words(bands, n=2, skip=2) == ["ccccc", "ggggg"]  # ranks >= 2 and >= 6: two frequency bands


def test_five_epochs_on_quijote_warn(caplog):
    """The issue's case: a 384k-word book and 5 epochs give collapsed vectors (mean random
    cosine of frequent words 0.86 measured, 0.94 over all words; 0.17 and 0.33 after the
    built-in default of 20 epochs)."""
    cfg = TrainConfig(epochs=5, threads=1, backend="fast")
    with caplog.at_level(logging.WARNING, logger="palabra2vec"):
        m = Word2Vec.train([need(QUIJOTE)], cfg, progress=False)
    assert m.info["mean_random_cosine"] > 0.8
    warnings = [r.getMessage() for r in caplog.records if "collapsed" in r.getMessage()]
    assert len(warnings) == 1 and "more than 5 epochs" in warnings[0]


def test_builtin_corpus_default_epochs_live_in_one_place(quijote):
    """Word2Vec.train(None, TrainConfig()) trains the CLI's 20 epochs on Don Quijote, 5 on
    other corpora; an explicit number always wins."""
    seen = []

    class StopAtOnce:
        def on_train_begin(self, state):
            seen.append(state.epochs)
            state.stop = True

    Word2Vec.train(None, TrainConfig(threads=1), callbacks=[StopAtOnce()], progress=False,
                   data_dir=str(quijote.parent))
    Word2Vec.train(None, TrainConfig(epochs=3, threads=1), callbacks=[StopAtOnce()], progress=False,
                   data_dir=str(quijote.parent))
    Word2Vec.train([["a", "b"]] * 10, TrainConfig(min_count=1, threads=1), callbacks=[StopAtOnce()], progress=False)
    assert seen == [20, 3, 5]
    assert TrainConfig().epochs is None and TrainConfig().resolve().epochs == 5
    assert TrainConfig().resolve(builtin_corpus=True).epochs == 20
