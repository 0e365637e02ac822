"""The Huffman tree of hierarchical softmax: word2vec.c's construction, Kraft equality,
gensim's codes, the depth cap."""

from __future__ import annotations

import numpy as np
import pytest

from palabra2vec.errors import Palabra2vecError
from palabra2vec.training.huffman import build_huffman


def _paths(t):
    return [(t.codes[w, :t.lengths[w]].tolist(), t.points[w, :t.lengths[w]].tolist()) for w in range(len(t.lengths))]


def test_tiny_tree_worked_by_hand():
    # merges: (w3, w2) -> node 0 (count 2); (node 0, w1) -> node 1 (4: the leaf w1 is not
    # smaller than node 0, so node 0 gets branch 0); (node 1, w0) -> root node 2
    t = build_huffman(np.array([4, 2, 1, 1]))
    assert _paths(t) == [([1], [2]), ([0, 1], [2, 1]), ([0, 0, 1], [2, 1, 0]), ([0, 0, 0], [2, 1, 0])]
    assert t.depth == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kraft_equality_and_prefix_free(seed):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.zipf(1.3, size=500).clip(1, 10**9))[::-1]
    t = build_huffman(counts)
    assert sum(2.0 ** -int(n) for n in t.lengths) == 1.0  # a full binary tree
    codes = {"".join(map(str, t.codes[w, :t.lengths[w]])) for w in range(len(counts))}
    assert len(codes) == len(counts)
    for c in codes:  # no code is a prefix of another
        assert not any(o != c and o.startswith(c) for o in codes)
    # every path starts at the root (V-2) and uses inner nodes only
    assert (t.points[:, 0] == len(counts) - 2).all() and t.points.max() <= len(counts) - 2
    # frequent words are never deeper than rarer ones
    assert (np.diff(t.lengths) >= 0).all()


def test_codes_match_gensim():
    gensim = pytest.importorskip("gensim")
    from gensim.models.word2vec import Word2Vec as GensimW2V

    # distinct counts whose pairwise sums never tie with another node: the tree is unique
    counts = [2**k + k for k in range(12, 0, -1)] + [1]
    counts = sorted(counts, reverse=True)
    words = [f"w{i}" for i in range(len(counts))]
    g = GensimW2V(vector_size=4, min_count=1, hs=1, negative=0)
    g.build_vocab_from_freq(dict(zip(words, counts)))
    t = build_huffman(np.array(counts))
    for i, w in enumerate(words):
        gi = g.wv.key_to_index[w]
        assert t.codes[i, :t.lengths[i]].tolist() == list(g.wv.get_vecattr(gi, "code")), w
        assert t.points[i, :t.lengths[i]].tolist() == list(g.wv.get_vecattr(gi, "point")), w
    assert gensim.__version__


def test_one_word_and_depth_cap():
    t = build_huffman(np.array([7]))
    assert t.lengths.tolist() == [0] and t.depth == 0
    fib = [1, 1]
    while len(fib) < 30:
        fib.append(fib[-1] + fib[-2])
    deep = np.array(fib[::-1])  # Fibonacci counts: a tree 29 levels deep
    assert build_huffman(deep).depth == 29
    with pytest.raises(Palabra2vecError, match="levels deep"):
        build_huffman(deep, max_code_length=20)
    with pytest.raises(ValueError):
        build_huffman(np.array([1, 2]))
