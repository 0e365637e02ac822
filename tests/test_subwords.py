"""fastText's subword model: n-grams and hashes against gensim's reproduction of fastText, the
kernel step against autograd, per-thread private rows, and vectors for unknown words."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from palabra2vec.config import TrainConfig
from palabra2vec.errors import UnknownWordError, UsageError
from palabra2vec.text.subwords import bucket_rows, char_ngrams, compact_rows, ft_hash, ngram_ids, vocab_subwords
from palabra2vec.variants import WORD_ROW_STEP, ngram_layout
from palabra2vec.training import fast
from palabra2vec.vectors.subword_vectors import SubwordVectors

SPANISH = ["niño", "camión", "pingüino", "ñandú", "caballerosidades", "de", "a", "él"]


# -- n-grams and hashes -------------------------------------------------------------------------
@pytest.mark.parametrize("word", SPANISH)
def test_ngrams_and_ids_equal_gensims(word):
    fti = pytest.importorskip("gensim.models.fasttext_inner", reason="gensim is not installed")
    grams = fti.compute_ngrams_bytes(word, 3, 6)
    assert char_ngrams(word, 3, 6) == grams
    assert [ft_hash(g) for g in grams] == [fti.ft_hash_bytes(g) for g in grams]
    want = [fti.ft_hash_bytes(g) % 2_000_000 for g in grams]
    assert ngram_ids(word, 3, 6, 2_000_000).tolist() == want


def test_ngrams_count_characters_not_bytes():
    assert [g.decode() for g in char_ngrams("sí", 3, 4)] == ["<sí", "<sí>", "sí>"]
    assert [g.decode() for g in char_ngrams("ñu", 1, 2)] == ["<ñ", "ñ", "ñu", "u", "u>"]  # no "<" or ">" alone
    assert char_ngrams("ab", 3, 2) == []


def test_hash_sign_extends_bytes():
    """Textbook FNV-1a over unsigned bytes differs from fastText's on every non-ASCII byte."""
    def fnv_unsigned(data: bytes) -> int:
        h = 2166136261
        for b in data:
            h = ((h ^ b) * 16777619) & 0xFFFFFFFF
        return h

    assert ft_hash(b"de") == fnv_unsigned(b"de")  # ASCII: the same
    assert ft_hash("ñ".encode()) != fnv_unsigned("ñ".encode())
    # by hand: h = (h ^ 0xffffffc3) * p, then (h ^ 0xffffffb1) * p, mod 2^32
    h = ((2166136261 ^ 0xFFFFFFC3) * 16777619) & 0xFFFFFFFF
    h = ((h ^ 0xFFFFFFB1) * 16777619) & 0xFFFFFFFF
    assert ft_hash("ñ".encode()) == h


def test_vocab_subwords_is_csr_of_each_word():
    offsets, ids = vocab_subwords(SPANISH, 3, 5, 1000)
    assert offsets.dtype == np.int64 and ids.dtype == np.int32 and offsets[0] == 0
    for i, w in enumerate(SPANISH):
        assert ids[offsets[i]:offsets[i + 1]].tolist() == ngram_ids(w, 3, 5, 1000).tolist()


@pytest.mark.parametrize("min_n,max_n,buckets", [(1, 2, 7), (1, 6, 1000), (3, 6, 2_000_000), (4, 4, 13), (5, 3, 10)])
def test_compiled_vocab_subwords_equal_the_readable_definition(min_n, max_n, buckets):
    words = SPANISH + ["日本語", "x", "", "camión-grúa", "ÑANDÚ", "🙂ok"]
    offsets, ids = vocab_subwords(words, min_n, max_n, buckets)
    for i, w in enumerate(words):
        assert ids[offsets[i]:offsets[i + 1]].tolist() == ngram_ids(w, min_n, max_n, buckets).tolist(), w


def test_compact_rows_keep_only_the_reached_buckets_in_bucket_order():
    used, rows = compact_rows(np.array([9, 2, 9, 5, 2], np.int32), 12)
    assert used.tolist() == [2, 5, 9] and rows.tolist() == [2, 0, 2, 1, 0]
    assert bucket_rows(np.array([5, 3, 9, 11, 0]), used).tolist() == [1, -1, 2, -1, -1]  # -1: no row
    assert bucket_rows(np.array([5, 3]), None).tolist() == [5, 3]  # a full table: row = bucket


def test_compact_and_full_tables_give_the_same_vectors():
    """A compact table (rows of the reached buckets) composes exactly as the full one whose other
    rows are zero: an unknown word's n-gram without a row adds nothing but counts in the mean."""
    words, _, _, syn0, _, _ = _toy(5)
    B = 97
    ngr = np.random.default_rng(5).normal(0, 0.3, (B, 5)).astype(np.float32)
    used, _ = compact_rows(vocab_subwords(words, 2, 3, B)[1], B)
    full = np.zeros_like(ngr)
    full[used] = ngr[used]
    a = SubwordVectors.compose(syn0, full, words, None, 2, 3)
    b = SubwordVectors.compose(syn0, np.ascontiguousarray(ngr[used]), words, None, 2, 3, buckets=B)
    assert b.ngrams.shape[0] == len(used) < B and b.buckets == B
    np.testing.assert_array_equal(a.vectors, b.vectors)
    oov = [w for w in ("soles", "lunar", "marea", "panes") if a.has_vector(w)]
    assert oov and any(not set(ngram_ids(w, 2, 3, B)) <= set(used.tolist()) for w in oov)
    for w in oov:
        np.testing.assert_array_equal(a[w], b[w])


def test_config_checks_ngram_settings():
    with pytest.raises(UsageError, match="min n must not exceed"):
        TrainConfig(subwords=True, min_n=5, max_n=3).validate()
    with pytest.raises(UsageError, match="buckets"):
        TrainConfig(subwords=True, buckets=0).validate()


# -- the kernel step against autograd -----------------------------------------------------------
def _toy(seed, V=7, B=13, D=5):
    rng = np.random.default_rng(seed)
    words = ["sol", "luna", "mar", "río", "ñu", "pan", "té"][:V]
    offsets, ids = vocab_subwords(words, 2, 3, B)
    syn0 = rng.normal(0, 0.3, (V, D)).astype(np.float32)
    syn1 = rng.normal(0, 0.3, (V, D)).astype(np.float32)
    ngr = rng.normal(0, 0.3, (B, D)).astype(np.float32)
    return words, offsets, ids, syn0, syn1, ngr


def _kernel_step(syn0, syn1, ngr, offsets, ids, w, outs, m, K, alpha, private=False, table=False):
    from palabra2vec.training.fast_backend import lazy_zeros
    from palabra2vec.training.fast_subwords import PrivateRows, center_update

    D = syn0.shape[1]
    s0, s1, ng = syn0.copy(), syn1.copy(), ngr.copy()
    counts = np.zeros(3, np.int64)
    if private:  # deterministic rounds: the step goes to thread 1's copies of the rows, merged after
        rows = [PrivateRows(*t.shape, 2, lazy_zeros) for t in (s0, s1, ng)]
        args = [p.local[1] for p in rows] + [p.slot[1] for p in rows]
    else:
        empty, e32 = np.zeros((0, D), np.float32), np.zeros(0, np.int32)
        args = [empty] * 3 + [e32] * 3
    n_out = len(outs)  # m + K
    g = np.zeros(n_out, np.float32)
    x = np.zeros(D, np.float32)
    rout = np.zeros((n_out, D), np.float32)
    e = np.zeros(D, np.float32)
    loss = center_update(s0, s1, ng, offsets, ids, *args, counts,
                         w, np.asarray(outs, np.int32), m, K, np.float32(alpha), g, x, rout, e, True, table)
    if private:
        np.testing.assert_array_equal(s0, syn0)  # the tables wait for the merge
        np.testing.assert_array_equal(ng, ngr)
        touched = [{w}, set(outs), set(ids[offsets[w]:offsets[w + 1]].tolist())]
        for p, want, n in zip(rows, touched, counts):
            assert n == len(want) and set(np.flatnonzero(p.slot[1] >= 0)) == want and (p.slot[0] == -1).all()
        for p, t in zip(rows, (s0, s1, ng)):
            p.merge(t, 0, t.shape[0] // 2)  # in two row ranges, as on the pool
            p.merge(t, t.shape[0] // 2, t.shape[0])
            assert (p.slot == -1).all()
    return s0, s1, ng, loss


@pytest.mark.skipif(not fast.AVAILABLE, reason="numba is not installed")
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("private", [False, True])
def test_center_update_matches_autograd(seed, private):
    """The m window words, then K noise words shared by the window, each weighted by m."""
    from palabra2vec.training.subword_model import SubwordSkipGram

    words, offsets, ids, syn0, syn1, ngr = _toy(seed)
    V, D = syn0.shape
    rng = np.random.default_rng(100 + seed)
    w, m, K, alpha = int(rng.integers(V)), 3, 2, 0.1
    outs = rng.integers(0, V, m + K).tolist()
    s0, s1, ng, loss = _kernel_step(syn0, syn1, ngr, offsets, ids, w, outs, m, K, alpha, private)

    model = SubwordSkipGram(V, D, ngr.shape[0], offsets, ids)
    model.load_state_dict({"input.weight": torch.from_numpy(syn0), "output.weight": torch.from_numpy(syn1),
                           "ngrams.weight": torch.from_numpy(ngr)})
    labels = torch.zeros(1, len(outs))
    labels[0, :m] = 1.0
    weight = torch.where(labels > 0, 1.0, float(m))  # (1, m + K)
    scores = model(torch.tensor([[w]]), torch.tensor([outs]))  # (1, 1, m (1+K))
    ref = torch.nn.functional.binary_cross_entropy_with_logits(scores[:, 0], labels, weight=weight, reduction="sum")
    ref.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= alpha * p.grad
    assert loss == pytest.approx(ref.item(), rel=1e-5)
    np.testing.assert_allclose(s0, model.input.weight.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(s1, model.output.weight.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(ng, model.ngrams.weight.detach().numpy(), atol=1e-6)
    assert not np.array_equal(ng, ngr)  # the n-gram rows did move


@pytest.mark.skipif(not fast.AVAILABLE, reason="numba is not installed")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_center_update_with_the_sigmoid_table_stays_near_the_exact_step(seed):
    """Training uses word2vec.c's sigmoid table (each g within alpha * 0.0025 * m of the exact
    one, m for a weighted noise word): every row's step within that times the rows it sums."""
    words, offsets, ids, syn0, syn1, ngr = _toy(seed)
    V, D = syn0.shape
    rng = np.random.default_rng(100 + seed)
    w, m, K, alpha = int(rng.integers(V)), 3, 2, 0.1
    outs = rng.integers(0, V, m + K).tolist()
    exact = _kernel_step(syn0, syn1, ngr, offsets, ids, w, outs, m, K, alpha)
    table = _kernel_step(syn0, syn1, ngr, offsets, ids, w, outs, m, K, alpha, table=True)
    n = len(ids[offsets[w]:offsets[w + 1]])
    x = (syn0[w] + ngr[ids[offsets[w]:offsets[w + 1]]].sum(0)) / max(n, 1)
    tol = alpha * 0.0025 * m  # per score
    bound_in = tol * np.abs(syn1[outs]).sum(0) * WORD_ROW_STEP  # the input rows' step: sum_o g[o] u[o]
    bound_out = tol * np.abs(x) * len(outs)
    assert (np.abs(table[0] - exact[0]) <= bound_in + 1e-6).all()
    assert (np.abs(table[1] - exact[1]) <= bound_out + 1e-6).all()
    assert (np.abs(table[2] - exact[2]) <= bound_in + 1e-6).all()
    assert table[3] == pytest.approx(exact[3], rel=1e-6)  # the loss is computed exactly
    assert not np.array_equal(table[1], exact[1])  # the table did change the step


@pytest.mark.skipif(not fast.AVAILABLE, reason="numba is not installed")
def test_merge_adds_each_threads_change_in_thread_order():
    """table[r] += copy_k[r] - table[r] at the start of the round, k = 0, 1, 2; untouched rows stay."""
    from palabra2vec.training.fast_backend import lazy_zeros
    from palabra2vec.training.fast_subwords import PrivateRows

    rng = np.random.default_rng(5)
    table = rng.normal(size=(6, 4)).astype(np.float32)
    p = PrivateRows(6, 4, 3, lazy_zeros)
    want = table.copy()
    for k, rows in enumerate([[1, 4], [4], [0, 4]]):
        for s, r in enumerate(rows):
            p.slot[k, r] = s
            p.local[k, s] = table[r] + rng.normal(size=4).astype(np.float32)
    for r in (0, 1, 4):
        for k in range(3):
            if p.slot[k, r] >= 0:
                want[r] += p.local[k, p.slot[k, r]] - table[r]
    before = table.copy()
    p.merge(table, 0, 3)
    p.merge(table, 3, 6)
    np.testing.assert_allclose(table, want, rtol=1e-6)
    np.testing.assert_array_equal(table[[2, 3, 5]], before[[2, 3, 5]])
    assert not np.allclose(table[4], before[4]) and (p.slot == -1).all()


# -- vectors of words in and out of the vocabulary ----------------------------------------------
def test_subword_vectors_compose_and_answer_unknown_words():
    words, offsets, ids, syn0, _, ngr = _toy(3)
    ngr[5] = 0.0  # a bucket no training touched
    wv = SubwordVectors.compose(syn0, ngr, words, None, 2, 3)
    for i, w in enumerate(words):
        rows = ngram_ids(w, 2, 3, 13)
        np.testing.assert_allclose(wv[w], (syn0[i] + ngr[rows].sum(0)) / (1 + len(rows)), rtol=1e-5, atol=1e-7)
    oov = "soles"
    rows = ngram_ids(oov, 2, 3, 13)
    np.testing.assert_allclose(wv[oov], ngr[rows].mean(0), rtol=1e-5, atol=1e-7)
    assert oov not in wv and wv.has_vector(oov)
    assert wv.most_similar(oov, topn=2)[0][0] in words
    assert -1.0 <= wv.similarity(oov, "sol") <= 1.0
    zero = SubwordVectors.compose(syn0, np.zeros_like(ngr), words, None, 2, 3)
    with pytest.raises(UnknownWordError, match="soles"):
        zero["soles"]  # no trained n-gram: still a clear error
    assert not zero.has_vector("soles")


# -- training -----------------------------------------------------------------------------------
def _train(corpus, **kw):
    from palabra2vec.word2vec import Word2Vec

    cfg = TrainConfig(subwords=True, min_count=1, epochs=5, sample=0.0, vector_size=16, buckets=5000, chunk_words=1024, **kw)
    return Word2Vec.train(corpus, cfg, progress=False)


@pytest.mark.skipif(not fast.AVAILABLE, reason="numba is not installed")
def test_deterministic_threads_with_private_rows_repeat_exactly(tiny_corpus, tmp_path):
    a = _train(tiny_corpus, threads=2, seed=3)
    b = _train(tiny_corpus, threads=2, seed=3)
    layout = ngram_layout(a.config, a.vocab.index_to_key)  # one row per bucket the vocabulary reaches
    assert a.tables.keys() == {"input", "output", "ngrams"} and a.tables["ngrams"].shape == (layout.n_rows, 16)
    assert 0 < layout.n_rows < 5000 and np.all(np.diff(layout.used) > 0)
    for name in a.tables:
        np.testing.assert_array_equal(a.tables[name], b.tables[name])
    assert a.tables["ngrams"].any()
    assert a.history[-1]["loss"] < 0.69  # it learns
    a.save(tmp_path / "m")
    from palabra2vec.vectors.loading import load_vectors

    wv = load_vectors(tmp_path / "m")
    assert isinstance(wv, SubwordVectors)
    np.testing.assert_array_equal(wv["caballeros"], a.wv["caballeros"])  # an unknown word, from n-grams


def test_torch_backend_trains_the_subword_model(tiny_corpus):
    m = _train(tiny_corpus, backend="torch", threads=1, seed=1)
    assert m.tables["ngrams"].any() and np.isfinite(m.history[-1]["loss"])


def test_cli_trains_subwords_and_says_when_a_vector_comes_from_ngrams(tiny_corpus, tmp_path, capsys):
    from palabra2vec.cli.main import main

    out = tmp_path / "model"
    assert main(["train", str(tiny_corpus), "--output", str(out), "--min-count", "1", "--sample", "0",
                 "--epochs", "2", "--vector-size", "8", "--quiet", "--subwords", "--buckets", "3000",
                 "--min-n", "2", "--max-n", "4"]) == 0
    capsys.readouterr()
    assert main(["similar", str(out), "caballeros", "--topn", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "caballeros: (not in the vocabulary: vector from its character n-grams)"
    assert len(lines) == 4 and all("\t" in line for line in lines[1:])
    assert main(["similar", str(out), "zzzzqx"]) == 2  # none of its n-grams was trained
    err = capsys.readouterr().err
    assert "'zzzzqx' is not in the vocabulary" in err and err.count("\n") == 1
    assert main(["analogy", str(out), "caballero", "escudero", "caballeros", "--topn", "2"]) == 0
    assert "caballeros: not in the vocabulary" in capsys.readouterr().out


# -- fastText files -----------------------------------------------------------------------------
@pytest.fixture
def ft_model(tiny_corpus, tmp_path):
    """A tiny subword model saved, and exported as fastText .bin."""
    from palabra2vec.vectors.fasttext_bin import export_fasttext_bin

    m = _train(tiny_corpus, threads=1, seed=2)
    m.save(tmp_path / "m")
    return m, export_fasttext_bin(tmp_path / "m", tmp_path / "m.bin")


def _cos(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


WORDS_IN_AND_OUT = ["caballero", "escudero", "martes", "caballeros", "escuderos", "valientes"]


def test_fasttext_bin_round_trip_is_exact(ft_model):
    from palabra2vec.vectors.fasttext_bin import read_fasttext_bin
    from palabra2vec.vectors.loading import load_vectors

    m, path = ft_model
    raw = read_fasttext_bin(path)
    V = len(m.vocab)
    assert raw["words"] == m.vocab.index_to_key and raw["counts"].tolist() == m.vocab.counts.tolist()
    assert (raw["args"]["minn"], raw["args"]["maxn"], raw["args"]["bucket"], raw["args"]["dim"]) == (3, 6, 5000, 16)
    np.testing.assert_array_equal(raw["input"][:V], m.tables["input"])
    used = ngram_layout(m.config, m.vocab.index_to_key).used
    np.testing.assert_array_equal(raw["input"][V:][used], m.tables["ngrams"])  # the full matrix: rows it reaches,
    unused = np.ones(5000, bool)
    unused[used] = False
    assert unused.any() and not raw["input"][V:][unused].any()  # zero elsewhere
    np.testing.assert_array_equal(raw["output"], m.tables["output"])
    wv = load_vectors(path)
    for w in WORDS_IN_AND_OUT:
        np.testing.assert_array_equal(wv[w], m.wv[w])


def test_model_format_2_with_the_full_ngram_table_is_still_read(ft_model, tmp_path):
    """Format 2 stored all ``buckets`` n-gram rows; loading cuts them to the compact rows."""
    import json

    from palabra2vec.fileio import read_tables, write_tables
    from palabra2vec.word2vec import Word2Vec

    m, _ = ft_model
    d = tmp_path / "m"
    tables, _ = read_tables(d / "model.safetensors")
    used = ngram_layout(m.config, m.vocab.index_to_key).used
    full = np.zeros((5000, 16), np.float32)
    full[used] = tables["ngrams"]
    write_tables(str(d / "model.safetensors"), {**tables, "ngrams": full}, {"format": "palabra2vec", "format_version": "2"})
    meta = json.loads((d / "config.json").read_text())
    (d / "config.json").write_text(json.dumps({**meta, "format_version": 2, "tables": {**meta["tables"], "ngrams": [5000, 16]}}))
    old = Word2Vec.load(d)
    np.testing.assert_array_equal(old.tables["ngrams"], m.tables["ngrams"])
    for w in WORDS_IN_AND_OUT:
        np.testing.assert_array_equal(old.wv[w], m.wv[w])


def test_gensim_reads_our_fasttext_bin(ft_model):
    gensim_ft = pytest.importorskip("gensim.models.fasttext", reason="gensim is not installed")
    m, path = ft_model
    g = gensim_ft.load_facebook_model(str(path)).wv
    assert g.index_to_key == m.vocab.index_to_key
    for w in WORDS_IN_AND_OUT:
        assert _cos(g[w], m.wv[w]) >= 0.9999, w


def test_fasttext_reads_our_fasttext_bin(ft_model):
    fasttext = pytest.importorskip("fasttext", reason="fastText's Python module (pip install fasttext-numpy2) "
                                                      "is not installed")
    m, path = ft_model
    f = fasttext.load_model(str(path))
    assert f.get_words() == m.vocab.index_to_key
    for w in WORDS_IN_AND_OUT:
        assert _cos(f.get_word_vector(w), m.wv[w]) >= 0.9999, w
        np.testing.assert_allclose(f.get_word_vector(w), m.wv[w], rtol=1e-5, atol=1e-7)


def test_bad_fasttext_files_are_one_line_errors(tmp_path, ft_model):
    from palabra2vec.errors import Palabra2vecError
    from palabra2vec.vectors.fasttext_bin import load_fasttext_bin

    _, path = ft_model
    cut = tmp_path / "cut.bin"
    cut.write_bytes(path.read_bytes()[:60])
    with pytest.raises(Palabra2vecError, match="truncated"):
        load_fasttext_bin(cut)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\0" * 64)
    with pytest.raises(Palabra2vecError, match="not a fastText"):
        load_fasttext_bin(bad)


def test_cli_exports_fasttext_bin(ft_model, tmp_path, capsys):
    from palabra2vec.cli.main import main

    m, _ = ft_model
    out = tmp_path / "cli.bin"
    assert main(["export", str(tmp_path / "m"), "--format", "fasttext-bin", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert main(["similar", str(out), "escuderos", "--topn", "2"]) == 0  # queries read the .bin back
    assert capsys.readouterr().out.startswith("escuderos: (not in the vocabulary")
    assert main(["export", str(out), "--format", "fasttext-bin", "-o", str(tmp_path / "x.bin")]) == 2


def test_evaluate_scores_pairs_with_unknown_words_from_ngrams(tmp_path):
    from palabra2vec.vectors.evaluate import evaluate_word_pairs

    words, offsets, ids, syn0, _, ngr = _toy(4)
    wv = SubwordVectors.compose(syn0, ngr, words, None, 2, 3)
    f = tmp_path / "pairs.txt"
    f.write_text("sol luna 8\nmar río 3\npan té 5\nSoles lunas 7\nsol zzqqxx 1\n", encoding="utf-8")
    ngr_z = ngr.copy()
    ngr_z[ngram_ids("zzqqxx", 2, 3, 13)] = 0.0  # its n-grams never trained: still out
    wv = SubwordVectors.compose(syn0, ngr_z, words, None, 2, 3)
    if wv.has_vector("zzqqxx"):
        pytest.skip("toy hash collision")
    plain = evaluate_word_pairs(wv, f)
    assert (plain.pairs_used, plain.pairs_oov, plain.pairs_from_ngrams) == (3, 2, 0)
    both = evaluate_word_pairs(wv, f, oov=True)
    assert (both.pairs_used, both.pairs_oov, both.pairs_from_ngrams) == (4, 1, 1)
    assert both.coverage == pytest.approx(4 / 5) and both.in_vocab_coverage == pytest.approx(3 / 5)


@pytest.mark.skipif(not fast.AVAILABLE, reason="numba is not installed")
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("variant", [{}, dict(hs=True), dict(model="cbow", hs=True, negative=0, alpha=0.05)])
def test_stop_and_resume_with_subwords_is_exact(tmp_path, threads, variant):
    """A checkpoint holds every table (ngrams, and hs_nodes with --hs); resuming gives the
    uninterrupted tables, for skip-gram + NS and for the CBOW/HS kernels."""
    from palabra2vec.training.checkpoint import Checkpointer
    from palabra2vec.word2vec import Word2Vec

    rng = np.random.default_rng(0)
    vocab = ["sol", "soles", "luna", "lunas", "mar", "mares", "río", "ríos", "pan", "panes"]
    sents = [list(rng.choice(vocab, size=int(rng.integers(3, 20)))) for _ in range(1200)]

    class StopAt:
        def on_chunk_end(self, st):
            if st.epoch == 2 and st.item == 2:
                st.stop = True

    cfg = TrainConfig(subwords=True, min_count=1, epochs=3, threads=threads, vector_size=8,
                      buckets=500, chunk_words=1024, sample=0.0, **variant)
    full = Word2Vec.train(sents, cfg, progress=False)
    part = Word2Vec.train(sents, cfg, callbacks=[Checkpointer(tmp_path, every=1e9), StopAt()], progress=False)
    assert part.info["stopped_early"]
    resumed = Word2Vec.train(sents, cfg, progress=False, resume_from=tmp_path)
    assert resumed.tables.keys() == full.tables.keys() and "ngrams" in full.tables
    for name in full.tables:
        np.testing.assert_array_equal(resumed.tables[name], full.tables[name])
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in full.history]
