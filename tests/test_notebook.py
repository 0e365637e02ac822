"""The notebook preset's pipeline (training/notebook.py, notebook_backend.py)."""

import numpy as np
import pytest
import torch

from conftest import need, QUIJOTE
from palabra2vec import TrainConfig, UsageError, Word2Vec, preset
from palabra2vec.training.model import masked_bce_loss
from palabra2vec.training.notebook import count_pairs, draw_examples, noise_distribution, subsample_keep
from palabra2vec.training.sampling import keep_probabilities
from palabra2vec.training.train import Trainer


def test_subsample_keep_counts_every_corpus_token_when_asked():
    counts = np.array([100, 10, 1])
    t = 1e-2
    vocab_cfg = TrainConfig(sample=t, subsample_formula="notebook")
    corpus_cfg = TrainConfig(sample=t, subsample_formula="notebook", subsample_total="corpus")
    # f over the 111 in-vocabulary tokens: keep = sqrt(t / f)
    assert np.allclose(subsample_keep(counts, 1000, vocab_cfg), np.minimum(1, np.sqrt(t * 111 / counts)), atol=1e-7)
    assert np.array_equal(subsample_keep(counts, 1000, vocab_cfg), keep_probabilities(counts, t, "notebook"))
    # f over all 1000 corpus tokens: que-like word 100/1000 keeps sqrt(0.01 / 0.1) = 0.3162
    keep = subsample_keep(counts, 1000, corpus_cfg)
    assert np.allclose(keep, [np.sqrt(0.1), 1.0, 1.0], atol=1e-7)
    w2v = TrainConfig(sample=t, subsample_formula="word2vec", subsample_total="corpus")
    r = t / 0.1
    assert np.allclose(subsample_keep(counts, 1000, w2v)[0], np.sqrt(r) + r, atol=1e-7)
    with pytest.raises(ValueError, match="less than"):
        subsample_keep(counts, 100, corpus_cfg)


def test_noise_skip_first_never_draws_the_most_frequent_word():
    counts = np.array([50, 20, 10, 5])
    noise = noise_distribution(counts, TrainConfig(noise_skip_first=True))
    w = counts[1:] ** 0.75
    assert np.allclose(noise.probabilities, np.concatenate([[0], w / w.sum()]))
    draws = noise.sample(100_000, np.random.default_rng(0))
    assert (draws != 0).all()
    assert np.allclose(np.bincount(draws, minlength=4)[1:] / draws.size, w / w.sum(), atol=0.01)
    plain = noise_distribution(counts, TrainConfig())
    assert plain.probabilities[0] == pytest.approx(50 ** 0.75 / (counts ** 0.75).sum())


def _stream(sentences):
    return np.array([t for s in sentences for t in [*s, -1]], dtype=np.int32)


def test_count_pairs_exact_with_window_1_and_no_subsampling():
    """Window 1, nothing discarded: a sentence of L >= 2 tokens gives 2 (L - 1) pairs and
    L centers; a one-token sentence none."""
    chunk = _stream([[0, 1, 2, 3], [4], [5, 6]])
    centers, pairs = count_pairs([chunk], np.ones(7, np.float32), 1, np.random.default_rng(0))
    assert (centers, pairs) == (6, 2 * 3 + 2 * 1)


def test_draw_examples_layout_and_rules():
    rng = np.random.default_rng(3)
    sentences = [list(rng.integers(0, 30, size=n)) for n in rng.integers(1, 15, size=60)]
    chunk = _stream(sentences)
    cfg = TrainConfig(noise_skip_first=True)
    noise = noise_distribution(np.arange(30, 0, -1), cfg)
    keep = np.ones(30, np.float32)
    ex = draw_examples(chunk, keep, noise, 3, 4, np.random.default_rng(1), block=7)  # several blocks
    n = sum(len(s) for s in sentences if len(s) >= 2)
    assert len(ex) == n and ex.contexts.shape == (n, 6) and ex.negatives.shape == (n, 24)
    assert (ex.neg_mask.sum(axis=1) == 4 * ex.mask.sum(axis=1)).all()  # K per context
    assert (ex.mask.sum(axis=1) >= 1).all()
    assert not (ex.negatives[ex.neg_mask] == 0).any()  # id 0 is never a negative
    for c, m, neg, nm in zip(ex.contexts, ex.mask, ex.negatives, ex.neg_mask):
        assert not set(neg[nm]) & set(c[m])  # never one of the center's contexts
    # the same generator state gives the same pairs as count_pairs
    _, pairs = count_pairs([chunk], keep, 3, np.random.default_rng(1))
    assert pairs == int(ex.mask.sum())


def _tiny_trainer(tiny_corpus, **kw):
    from palabra2vec.text.corpus import Corpus
    from palabra2vec.text.encoded import encode_corpus

    cfg = preset("notebook", tokenizer="spanish", min_count=1, vector_size=8, epochs=2, threads=1, **kw)
    vocab, enc = encode_corpus(Corpus([tiny_corpus]), 1)
    return Trainer(vocab, cfg, progress=False, corpus_words=enc.raw_words), enc


def test_draw_once_reuses_the_examples_and_reports_the_notebooks_loss(tiny_corpus):
    trainer, enc = _tiny_trainer(tiny_corpus)
    with enc:
        backend = trainer.backend
        assert type(backend).__name__ == "DrawOnceBackend" and trainer.backend_name == "torch"
        chunk = next(enc.chunks(1 << 20))
        ex = backend.examples(chunk)
        assert backend.examples(chunk) is ex  # drawn once
        # before the first step: the loss reported is the mean over examples of each
        # example's mean loss, computed here from the starting tables
        model = backend.model
        from palabra2vec.training.batches import pack_batch

        b = pack_batch(ex.centers, ex.contexts, ex.mask, ex.negatives, ex.neg_mask)
        with torch.no_grad():
            expect = masked_bce_loss(model(b.centers, b.contexts_negatives), b.labels, b.mask, "example_mean").sum()
        assert len(ex) < trainer.config.batch_size  # one batch: the loss is taken before the step
        loss, n = backend.train_item(chunk, 0.002, 0.002, seed=5)
        assert n == len(ex) and loss == pytest.approx(float(expect), rel=1e-5)
        # a second backend (a resumed run) draws the very same examples
        again, enc2 = _tiny_trainer(tiny_corpus)
        with enc2:
            ex2 = again.backend.examples(chunk)
            assert all(np.array_equal(a, b) for a, b in zip(ex, ex2))
        other, enc3 = _tiny_trainer(tiny_corpus, seed=2)
        with enc3:
            assert not np.array_equal(other.backend.examples(chunk).negatives, ex.negatives)


def test_draw_once_refuses_the_fast_backend_and_trains(tiny_corpus):
    with pytest.raises(UsageError, match="torch backend"):
        preset("notebook", backend="fast").validate()
    m = Word2Vec.train(tiny_corpus, preset("notebook", tokenizer="spanish", min_count=1, vector_size=8, epochs=3,
                                           threads=1), progress=False)
    losses = [h["loss"] for h in m.history]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert m.info["mean_loss_all_epochs"] == pytest.approx(sum(losses) / 3)  # the notebook's printed figure
    assert m.config.draw_once and m.config.subsample_total == "corpus" and m.config.noise_skip_first


def test_defaults_keep_palabra2vecs_pipeline():
    c = TrainConfig()
    assert (c.subsample_total, c.draw_once, c.noise_skip_first) == ("vocab", False, False)
    with pytest.raises(UsageError, match="subsample total"):
        TrainConfig(subsample_total="all").validate()


def test_notebook_preset_on_quijote_matches_the_notebook():
    """MISSION.md steps 3-4: 'que' keeps sqrt(1e-4 / (19546 / 389511)) = 0.0446 (about 872
    of 19,546), and the notebook's 303,511 center-context pairs are within the spread of
    our draws (measured over 20 seeds: mean 302,394, sd 1,138)."""
    from palabra2vec.text.corpus import Corpus
    from palabra2vec.text.encoded import encode_corpus

    cfg = preset("notebook")
    vocab, enc = encode_corpus(Corpus([need(QUIJOTE)], tokenizer="notebook"), cfg.min_count)
    with enc:
        keep = subsample_keep(vocab.counts, enc.raw_words, cfg)
        que = vocab["que"]
        assert enc.raw_words == 389_511 and vocab.counts[que] == 19_546
        assert keep[que] == pytest.approx(np.sqrt(1e-4 / (19_546 / 389_511)), rel=1e-6)
        assert 19_546 * keep[que] == pytest.approx(872, abs=1)
        pairs = [count_pairs(enc.chunks(1 << 20), keep, cfg.window, np.random.default_rng(s))[1] for s in range(3)]
        assert all(abs(p - 303_511) < 4 * 1_138 for p in pairs), pairs
        # f over the in-vocabulary tokens only gives about 270k: clearly apart
        low = subsample_keep(vocab.counts, enc.raw_words, preset("notebook", subsample_total="vocab"))
        _, p_low = count_pairs(enc.chunks(1 << 20), low, cfg.window, np.random.default_rng(0))
        assert abs(p_low - 270_000) < 5_000


def test_train_preset_notebook_on_the_command_line(tiny_corpus, tmp_path, capsys):
    from palabra2vec.cli.main import main

    out = tmp_path / "m"
    assert main(["train", str(tiny_corpus), "--preset", "notebook", "--tokenizer", "spanish", "--min-count", "1",
                 "--epochs", "2", "--vector-size", "8", "-o", str(out), "-q", "--no-plot"]) == 0
    text = capsys.readouterr().out
    assert "backend torch on cpu" in text
    line = next(x for x in text.splitlines() if x.startswith("mean loss over all 2 epochs"))
    history = Word2Vec.load(out).history
    assert f"{(history[0]['loss'] + history[1]['loss']) / 2:.4f}" in line


def test_draw_once_stop_and_resume_is_exact(tmp_path):
    """The examples depend on (seed, chunk), not on the epoch: a resumed run draws them again,
    identical, and ends with the uninterrupted run's vectors."""
    from palabra2vec.training.checkpoint import Checkpointer

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(60)]
    sents = [[words[j] for j in rng.integers(0, 60, size=n)] for n in rng.integers(2, 12, size=600)]
    cfg = preset("notebook", min_count=1, epochs=3, threads=1, vector_size=8, chunk_words=1024)

    class StopAt:
        def on_chunk_end(self, st):
            if (st.epoch, st.item) == (2, 1):
                st.stop = True

    full = Word2Vec.train(sents, cfg, progress=False)
    part = Word2Vec.train(sents, cfg, callbacks=[Checkpointer(tmp_path, every=1e9), StopAt()], progress=False)
    assert part.info["stopped_early"] and not np.array_equal(part.input, full.input)
    resumed = Word2Vec.train(sents, cfg, progress=False, resume_from=tmp_path)
    assert np.array_equal(resumed.input, full.input) and np.array_equal(resumed.output, full.output)
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in full.history]
