import numpy as np
import pytest

from palabra2vec import TrainConfig, UsageError, Word2Vec, preset
from palabra2vec.training.backend import resolve_backend
from palabra2vec.training.train import Trainer


def _train(corpus, **kw):
    kw.setdefault("min_count", 1)
    kw.setdefault("epochs", 2)
    kw.setdefault("vector_size", 16)
    kw.setdefault("sample", 0)  # every word of a tiny corpus is "frequent"
    return Word2Vec.train(corpus, TrainConfig(**kw), progress=False)


def test_same_seed_same_vectors_fast_backend(tiny_corpus):
    a = _train(tiny_corpus, backend="fast", threads=1, seed=7)
    b = _train(tiny_corpus, backend="fast", threads=1, seed=7)
    c = _train(tiny_corpus, backend="fast", threads=1, seed=8)
    assert np.array_equal(a.input, b.input) and np.array_equal(a.output, b.output)
    assert not np.array_equal(a.input, c.input)


def test_same_seed_and_threads_same_vectors_with_two_threads(tiny_corpus):
    """The fast backend's default threads run in rounds and merge in a fixed order."""
    kw = dict(backend="fast", threads=2, seed=7, chunk_words=1024, epochs=3)
    a, b = _train(tiny_corpus, **kw), _train(tiny_corpus, **kw)
    assert np.array_equal(a.input, b.input) and np.array_equal(a.output, b.output)
    c = _train(tiny_corpus, **{**kw, "hogwild": True})
    assert c.info["backend"] == "fast" and np.isfinite(c.input).all()


def test_same_seed_same_vectors_torch_backend(tiny_corpus):
    a = _train(tiny_corpus, backend="torch", threads=2, seed=3)
    b = _train(tiny_corpus, backend="torch", threads=2, seed=3)
    assert np.array_equal(a.input, b.input) and np.array_equal(a.output, b.output)


def test_training_lowers_the_loss(tiny_corpus):
    for backend in ("fast", "torch"):
        m = _train(tiny_corpus, backend=backend, epochs=8, threads=1, alpha=0.05, batch_size=8)
        losses = [h["loss"] for h in m.history]
        assert len(losses) == 8
        assert losses[-1] < losses[0] - 0.05, (backend, losses)
        assert m.info["backend"] == backend


def test_notebook_preset_uses_adam_and_the_torch_path(tiny_corpus):
    cfg = preset("notebook", min_count=1, epochs=1, vector_size=8)
    assert (cfg.optimizer, cfg.alpha, cfg.init, cfg.batch_size, cfg.subsample_formula) == ("adam", 0.002, "xavier", 512, "notebook")
    assert resolve_backend(cfg, "cpu") == "torch"
    m = Word2Vec.train(tiny_corpus, cfg, progress=False)
    assert m.input.shape == (len(m.vocab), 8)


def test_learning_rate_decays_linearly(tiny_corpus):
    seen = []

    class Watch:
        def on_chunk_end(self, state):
            seen.append((state.words_done, state.alpha))

    cfg = TrainConfig(min_count=1, epochs=3, vector_size=8, threads=1, chunk_words=1024, alpha=0.02, min_alpha=0.001)
    Word2Vec.train(tiny_corpus, cfg, callbacks=[Watch()], progress=False)
    words, alphas = np.array(seen).T
    assert np.all(np.diff(alphas) < 0)
    total = words[-1]
    np.testing.assert_allclose(alphas, 0.02 - (0.02 - 0.001) * words / total, rtol=1e-9)


def test_callback_can_stop_training(tiny_corpus):
    class StopAfterFirstEpoch:
        def on_epoch_end(self, state):
            state.stop = True

    m = Word2Vec.train(tiny_corpus, TrainConfig(min_count=1, epochs=5, vector_size=8), callbacks=[StopAfterFirstEpoch()], progress=False)
    assert m.info["epochs_done"] == 1 and len(m.history) == 1


@pytest.mark.parametrize("field,value", [("window", 0), ("negative", -1), ("sample", -0.1), ("epochs", 0),
                                         ("vector_size", 0), ("alpha", 0), ("threads", 0), ("optimizer", "rmsprop")])
def test_absurd_hyperparameters_are_usage_errors(field, value):
    with pytest.raises(UsageError):
        TrainConfig(**{field: value}).validate()


def test_fast_backend_refuses_what_it_cannot_do():
    with pytest.raises(UsageError):
        resolve_backend(TrainConfig(backend="fast", optimizer="adam"), "cpu")


@pytest.mark.parametrize("variant", [dict(model="cbow"), dict(hs=True, negative=0), dict(hs=True)])
def test_batched_backend_refuses_cbow_and_hs_and_auto_on_a_gpu_takes_torch(variant):
    with pytest.raises(UsageError, match="batched backend trains skip-gram with negative sampling only"):
        resolve_backend(TrainConfig(backend="batched", **variant), "cpu")
    # on a GPU the fast kernel cannot run: auto must not hand a CBOW/HS model to the batched step
    assert resolve_backend(TrainConfig(**variant), "cuda") == "torch"
    assert resolve_backend(TrainConfig(), "cuda") == "batched"


def test_save_and_load_model_directory(tiny_corpus, tmp_path):
    m = _train(tiny_corpus)
    m.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "history.json", "model.safetensors", "vocab.tsv"]
    back = Word2Vec.load(tmp_path / "m")
    assert np.array_equal(back.input, m.input) and back.vocab.index_to_key == m.vocab.index_to_key
    assert back.config == m.config
    assert back.wv.most_similar("caballero", topn=3) == m.wv.most_similar("caballero", topn=3)


def test_quijote_sanity(quijote):
    """Calibrated: with 10 epochs (seeds 1-3 measured) related words are far closer than
    unrelated ones and rank in the top 1% of each other's neighbours."""
    m = Word2Vec.train([quijote], TrainConfig(seed=1, threads=1, epochs=10), progress=False)
    wv = m.wv
    unrelated = ["comer", "libro", "agua", "tres", "casa", "dijo", "verdad", "cura"]
    for a, b in [("caballero", "escudero"), ("don", "quijote"), ("rocinante", "rucio"), ("día", "noche")]:
        sim = wv.similarity(a, b)
        base = np.mean([wv.similarity(a, x) for x in unrelated])
        rank = int((wv.unit_vectors @ wv.get_vector(a, norm=True) > sim).sum())
        assert sim > base + 0.15, (a, b, sim, base)
        assert rank <= 50, (a, b, rank)


def test_torch_sgd_is_stable_when_one_batch_repeats_the_same_words(tmp_path):
    """A minibatch sums a row's gradients at the old value; on a small repetitive corpus the
    plain sum diverged to NaN (measured). sparse_sgd_step's 1/sqrt(n) scaling must not."""
    from tests.conftest import TINY_ES

    p = tmp_path / "rep.txt"
    p.write_text(TINY_ES * 200, encoding="utf-8")
    m = Word2Vec.train([p], TrainConfig(backend="torch", epochs=5, threads=1, sample=0, min_count=1, alpha=0.05,
                                        vector_size=16), progress=False)
    losses = [h["loss"] for h in m.history]
    assert np.isfinite(m.input).all() and np.isfinite(losses).all()
    assert losses[-1] < losses[0] - 0.1, losses


def test_return_free_memory_gives_heap_back():
    """After freeing many small blocks, malloc_trim lowers the resident set (glibc, Linux)."""
    import sys

    from palabra2vec.memory import return_free_memory

    if not sys.platform.startswith("linux"):
        assert return_free_memory() is False
        return

    def rss_kb() -> int:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("RssAnon:"))

    blocks = [bytearray(4000) for _ in range(20000)]  # 80 MB of small blocks, freed below
    for b in blocks:
        b[::512] = b"x" * len(b[::512])  # touch every page
    before = rss_kb()
    del blocks
    if return_free_memory():
        assert rss_kb() < before - 40_000


@pytest.mark.parametrize("n_ids,size,threads", [(1000, 100, 2), (1050, 100, 2), (1050, 100, 3), (99, 100, 2),
                                                (7, 3, 4), (1_000_003, 65_536, 2), (10, 100, 1)])
def test_even_rounds_cuts_a_multiple_of_threads_items(tmp_path, n_ids, size, threads):
    from palabra2vec.text.encoded import sentence_chunks
    from palabra2vec.training.train import even_rounds

    ids = np.arange(n_ids, dtype=np.int32) % 5
    ids[4::5] = -1  # sentences of 4 words
    ids[-1] = -1
    path = tmp_path / "ids.bin"
    ids.tofile(path)
    got = even_rounds(n_ids, size, threads)
    chunks = [c.size for c in sentence_chunks(path, got)]
    assert sum(chunks) == n_ids
    plain = -(-n_ids // size)
    if plain % threads == 0 or threads == 1:
        assert got == size  # already even: unchanged
    elif n_ids >= threads:
        assert len(chunks) % threads == 0 and len(chunks) >= plain


@pytest.mark.parametrize("variant,grows", [({}, 4), ({"model": "cbow"}, 4), ({"hs": True, "negative": 0}, 2),
                                           ({"model": "cbow", "hs": True}, False),
                                           ({"subwords": True, "model": "cbow"}, False),
                                           ({"subwords": True, "hs": True}, False), ({"subwords": True}, False)])
def test_deterministic_work_items_grow_on_large_corpora(variant, grows):
    """Deterministic rounds' items grow up to ROUND_GROWTH (NS) or HS_ROUND_GROWTH (skip-gram +
    HS) x chunk_words, >= 16 rounds an epoch; CBOW + HS and every subword model keep VARIANT_ROUND_WORDS."""
    from types import SimpleNamespace

    from palabra2vec.text.vocab import Vocab
    from palabra2vec.training.train import HS_ROUND_GROWTH, ROUND_GROWTH, VARIANT_ROUND_WORDS

    vocab = Vocab([f"w{i}" for i in range(50)], np.arange(100, 50, -1))
    cfg = TrainConfig(min_count=1, vector_size=8, threads=2, backend="fast", chunk_words=65536, **variant)
    trainer = Trainer(vocab, cfg, progress=False)
    assert trainer.backend.deterministic
    n = 64 * 65536  # ids with room for 4x items: 64 * 65536 / (16 * 2) = 2 x 65536 per item
    big = SimpleNamespace(n_words=n, n_ids=n)
    huge = SimpleNamespace(n_words=1000 * 65536, n_ids=1000 * 65536)
    assert (HS_ROUND_GROWTH, ROUND_GROWTH) == (2, 4)
    if grows:
        assert trainer.chunk_words(big) == 2 * 65536  # 16 rounds of two items
        assert trainer.chunk_words(huge) == grows * 65536
    else:
        assert trainer.chunk_words(big) == trainer.chunk_words(huge) == VARIANT_ROUND_WORDS
