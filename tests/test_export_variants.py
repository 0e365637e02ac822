"""fastText ``.bin`` export of CBOW and hierarchical-softmax models: the file says which model and
loss it holds, and a hierarchical-softmax-only model writes its tree's inner nodes where fastText
and gensim look for them."""

from __future__ import annotations

import numpy as np
import pytest

from palabra2vec.config import TrainConfig
from palabra2vec.training.huffman import build_huffman
from palabra2vec.vectors.fasttext_bin import LOSS_HS, LOSS_NS, MODEL_CBOW, MODEL_SG, read_fasttext_bin


def _export(corpus, tmp_path, **kw):
    from palabra2vec.vectors.fasttext_bin import export_fasttext_bin
    from palabra2vec.word2vec import Word2Vec

    cfg = TrainConfig(min_count=1, epochs=2, sample=0.0, vector_size=12, threads=1, seed=4, **kw)
    m = Word2Vec.train(corpus, cfg, progress=False)
    m.save(tmp_path / "m")
    return m, export_fasttext_bin(tmp_path / "m", tmp_path / "m.bin")


def test_hierarchical_softmax_model_exports_its_inner_nodes(tiny_corpus, tmp_path):
    m, path = _export(tiny_corpus, tmp_path, hs=True, negative=0)
    raw = read_fasttext_bin(path)
    assert (raw["args"]["loss"], raw["args"]["model"]) == (LOSS_HS, MODEL_SG)
    V = len(m.vocab)
    nodes = m.tables["hs_nodes"]
    assert nodes.shape == (V - 1, 12) and nodes.any()
    np.testing.assert_array_equal(raw["output"][: V - 1], nodes)  # inner node n is output row n
    assert not raw["output"][V - 1:].any()  # one zero row pads the V - 1 nodes to fastText's V rows
    np.testing.assert_array_equal(raw["input"][:V], m.tables["input"])


def test_gensim_reads_the_tree_of_an_exported_hs_model(tmp_path):
    gensim_ft = pytest.importorskip("gensim.models.fasttext", reason="gensim is not installed")
    # distinct counts: gensim builds its tree with a heap, which breaks ties its own way
    counts = [90, 70, 55, 41, 30, 22, 15, 9, 5, 3]
    rng = np.random.default_rng(0)
    tokens = rng.permutation([f"w{i}" for i, c in enumerate(counts) for _ in range(c)])
    corpus = tmp_path / "distinct.txt"
    corpus.write_text("\n".join(" ".join(tokens[i:i + 12]) for i in range(0, len(tokens), 12)) + "\n", encoding="utf-8")
    m, path = _export(corpus, tmp_path, hs=True, negative=0, tokenizer="whitespace")
    assert m.vocab.counts.tolist() == counts
    g = gensim_ft.load_facebook_model(str(path))
    assert g.hs == 1 and g.negative == 0
    tree = build_huffman(m.vocab.counts)
    for w, word in enumerate(m.vocab.index_to_key):  # gensim builds the same tree over the same rows
        n = tree.lengths[w]
        assert g.wv.get_vecattr(word, "code").tolist() == tree.codes[w, :n].tolist()
        assert g.wv.get_vecattr(word, "point").tolist() == tree.points[w, :n].tolist()
    np.testing.assert_array_equal(g.syn1[: len(m.vocab) - 1], m.tables["hs_nodes"])


def test_cbow_model_exports_as_cbow_with_its_output_rows(tiny_corpus, tmp_path):
    m, path = _export(tiny_corpus, tmp_path, model="cbow")
    raw = read_fasttext_bin(path)
    assert (raw["args"]["loss"], raw["args"]["model"]) == (LOSS_NS, MODEL_CBOW)
    np.testing.assert_array_equal(raw["output"], m.tables["output"])


def test_fasttext_reads_an_exported_hs_model(tiny_corpus, tmp_path):
    fasttext = pytest.importorskip("fasttext", reason="fastText's Python module is not installed")
    m, path = _export(tiny_corpus, tmp_path, hs=True, negative=0)
    f = fasttext.load_model(str(path))
    assert str(f.f.getArgs().loss).endswith("hs")
    for word in m.vocab.index_to_key[:5]:
        np.testing.assert_allclose(f.get_word_vector(word), m.wv[word], rtol=1e-6, atol=1e-7)
