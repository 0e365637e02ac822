"""CBOW and hierarchical softmax end to end: the tables a config trains, deterministic threads,
exact resume from a checkpoint, model directories that record the variant, the command line."""

from __future__ import annotations

import numpy as np
import pytest

from palabra2vec.cli.main import main
from palabra2vec.config import TrainConfig
from palabra2vec.errors import UsageError
from palabra2vec.training.checkpoint import Checkpointer, read_checkpoint
from palabra2vec.variants import table_shapes
from palabra2vec.word2vec import Word2Vec

from test_checkpoint import _sentences, _StopAt

VARIANTS = [dict(model="cbow"), dict(hs=True, negative=0), dict(model="cbow", hs=True, negative=0),
            dict(model="cbow", hs=True), dict(model="cbow", cbow_mean=False, hs=True)]


def test_table_shapes_follow_the_variant():
    V = 10
    assert table_shapes(TrainConfig(vector_size=4), V) == {"input": (V, 4), "output": (V, 4)}
    assert table_shapes(TrainConfig(vector_size=4, hs=True, negative=0), V) == {"input": (V, 4), "hs_nodes": (V - 1, 4)}
    assert table_shapes(TrainConfig(vector_size=4, hs=True, model="cbow"), V) == {
        "input": (V, 4), "output": (V, 4), "hs_nodes": (V - 1, 4)}


def test_a_model_needs_a_loss():
    with pytest.raises(UsageError, match="negative must be at least 1 unless --hs"):
        TrainConfig(negative=0).validate()
    TrainConfig(negative=0, hs=True).validate()
    with pytest.raises(UsageError, match="model must be one of"):
        TrainConfig(model="glove").validate()


@pytest.mark.parametrize("kw", VARIANTS)
def test_every_variant_learns_and_threads_are_deterministic(kw):
    sents = _sentences(12000)
    cfg = TrainConfig(min_count=1, epochs=3, threads=2, vector_size=16, chunk_words=1024, alpha=0.05, **kw)
    a = Word2Vec.train(sents, cfg, progress=False)
    b = Word2Vec.train(sents, cfg, progress=False)
    assert set(a.tables) == set(table_shapes(cfg, len(a.vocab)))
    for name in a.tables:
        assert np.array_equal(a.tables[name], b.tables[name]), name
    losses = [h["loss"] for h in a.history]
    assert losses[-1] < losses[0], losses


@pytest.mark.parametrize("threads", [1, 2])
def test_cbow_hs_stop_and_resume_is_exact(tmp_path, threads):
    """Checkpoints and resume iterate over the named tables: hs_nodes comes back bit for bit."""
    sents = _sentences()
    cfg = TrainConfig(min_count=1, epochs=3, threads=threads, vector_size=16, chunk_words=1024, model="cbow",
                      hs=True, alpha=0.05)
    full = Word2Vec.train(sents, cfg, progress=False)
    part = Word2Vec.train(sents, cfg, callbacks=[Checkpointer(tmp_path, every=1e9), _StopAt(2, 3)], progress=False)
    assert part.info["stopped_early"]
    tensors, meta = read_checkpoint(tmp_path)
    assert "hs_nodes" in str(sorted(tensors))
    assert not np.array_equal(part.tables["hs_nodes"], full.tables["hs_nodes"])
    resumed = Word2Vec.train(sents, cfg, progress=False, resume_from=tmp_path)
    for name in ("input", "output", "hs_nodes"):
        assert np.array_equal(resumed.tables[name], full.tables[name]), name
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in full.history]


def test_model_directory_records_the_variant(tmp_path):
    cfg = TrainConfig(min_count=1, epochs=1, threads=1, vector_size=8, model="cbow", hs=True, negative=0)
    m = Word2Vec.train(_sentences(3000), cfg, progress=False)
    m.save(tmp_path / "m")
    back = Word2Vec.load(tmp_path / "m")
    assert (back.config.model, back.config.hs, back.config.negative) == ("cbow", True, 0)
    assert set(back.tables) == {"input", "hs_nodes"}
    assert np.array_equal(back.tables["hs_nodes"], m.tables["hs_nodes"])
    assert np.array_equal(back.wv.vectors, m.wv.vectors)


@pytest.mark.parametrize("kw", [dict(model="cbow", hs=True), dict(hs=True, negative=0),
                                dict(model="cbow", optimizer="adam", alpha=0.01)])
def test_torch_backend_trains_the_variants(kw):
    """The readable path (Word2VecNet on variant batches) learns the same tables."""
    sents = _sentences(8000)
    cfg = TrainConfig(min_count=1, epochs=3, threads=1, vector_size=16, backend="torch", batch_size=64,
                      **{"alpha": 0.05, **kw})
    m = Word2Vec.train(sents, cfg, progress=False)
    assert set(m.tables) == set(table_shapes(cfg, len(m.vocab)))
    losses = [h["loss"] for h in m.history]
    assert losses[-1] < losses[0] and all(np.isfinite(t).all() for t in m.tables.values()), losses
    fast = Word2Vec.train(sents, TrainConfig(**{**cfg.to_dict(), "backend": "fast", "optimizer": "sgd"}),
                          progress=False)
    if cfg.optimizer == "sgd":  # same objective, same schedule: the final losses are close
        assert abs(losses[-1] - fast.history[-1]["loss"]) < 0.05, (losses, fast.history[-1]["loss"])


def test_the_variant_label_names_subwords():
    from palabra2vec.variants import describe

    assert describe(TrainConfig(hs=True, negative=0)) == "skip-gram + hierarchical softmax"
    assert describe(TrainConfig(hs=True, negative=0, subwords=True, min_n=2, max_n=5)) == (
        "skip-gram + hierarchical softmax, subwords (n-grams 2-5)")
    assert describe(TrainConfig(model="cbow", subwords=True)).startswith("CBOW (mean) + negative sampling (5), subwords")


def test_cli_trains_cbow_hs_and_queries_it(tiny_corpus, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(["train", str(tiny_corpus), "--output", str(out), "--min-count", "1", "--sample", "0", "--epochs",
                 "2", "--vector-size", "8", "--quiet", "--model", "cbow", "--hs", "--negative", "0",
                 "--no-cbow-mean"]) == 0
    assert "8 dims, CBOW (sum) + hierarchical softmax)" in capsys.readouterr().out
    assert main(["similar", str(out), "caballero", "--topn", "3"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    assert main(["train", str(tiny_corpus), "--output", str(tmp_path / "m2"), "--negative", "0", "-q"]) == 2
    err = capsys.readouterr().err
    assert "negative must be at least 1 unless --hs" in err and err.count("\n") == 1
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = capsys.readouterr().out
    assert "--model {sg,cbow}" in help_text and "--hs" in help_text and "--no-cbow-mean" in help_text
