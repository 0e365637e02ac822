"""The Huffman tree of hierarchical softmax: a binary code and a path of inner nodes per word.

Hierarchical softmax (Morin & Bengio 2005; Mikolov et al. 2013, section 2.1) replaces the
V-way softmax by V-1 binary decisions arranged in a tree: P(w | h) is the product, along the
path from the root to leaf w, of sigmoid(+-h . node) with the sign given by the branch taken.
word2vec.c (``CreateBinaryTree``) builds a Huffman tree over the word counts, so frequent
words get short codes; we build the same tree the same way:

* the counts are sorted most frequent first (our vocabulary's order), so the leaves read from
  the end are ascending, and inner nodes are created in ascending order too: two cursors,
  one walking the leaves down from V-1, one walking the inner nodes up from V, take the two
  smallest of the four candidates at each of the V-1 merges (linear time, no heap);
* at each merge the smaller node gets branch 0, the other branch 1;
* a word's code is the list of branches from the root down to its leaf, and its points the
  inner nodes on that path, numbered 0..V-2 with the root V-2 (word2vec.c's
  ``point[i] - vocab_size``): the row of the ``hs_nodes`` table each decision uses.

word2vec.c caps codes at 40 bits (MAX_CODE_LENGTH); a deeper tree needs counts growing like
Fibonacci numbers, so the cap is checked and reported rather than silently overflowed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import Palabra2vecError
from .fast import njit

#: word2vec.c's MAX_CODE_LENGTH
MAX_CODE_LENGTH = 40


@dataclass(frozen=True)
class HuffmanTree:
    """Codes and paths of every word, padded to the longest code (the kernel's arrays).

    ``codes[w, :lengths[w]]`` are word w's branches (0/1) from the root; ``points[w, j]`` is
    the inner node (row of ``hs_nodes``) where branch ``codes[w, j]`` is taken.
    """

    codes: np.ndarray  # (V, depth) int8
    points: np.ndarray  # (V, depth) int32
    lengths: np.ndarray  # (V,) int32

    @property
    def depth(self) -> int:
        return int(self.codes.shape[1])


def build_huffman(counts: np.ndarray, max_code_length: int = MAX_CODE_LENGTH) -> HuffmanTree:
    """The Huffman tree of ``counts`` (sorted most frequent first), as word2vec.c builds it.

    A single word has an empty code (there is no decision to make).

    >>> t = build_huffman(np.array([4, 2, 1, 1]))
    >>> [t.codes[w, :t.lengths[w]].tolist() for w in range(4)]
    [[1], [0, 1], [0, 0, 1], [0, 0, 0]]
    """
    counts = np.asarray(counts, dtype=np.int64)
    V = len(counts)
    if V and np.any(np.diff(counts) > 0):
        raise ValueError("counts must be sorted most frequent first")
    if V < 2:
        return HuffmanTree(np.zeros((V, 0), np.int8), np.zeros((V, 0), np.int32), np.zeros(V, np.int32))
    count = np.full(2 * V - 1, np.iinfo(np.int64).max // 4, np.int64)
    count[:V] = counts
    parent, branch = _merge(count, V)
    lengths = _depths(parent, V)
    depth = int(lengths.max())
    if depth > max_code_length:
        raise Palabra2vecError(
            f"the Huffman tree is {depth} levels deep, over the {max_code_length} word2vec.c allows; "
            "raise --min-count"
        )
    codes = np.zeros((V, depth), np.int8)
    points = np.zeros((V, depth), np.int32)
    _fill_paths(parent, branch, lengths, V, codes, points)
    return HuffmanTree(codes, points, lengths)


@njit(cache=True)
def _merge(count, V):
    """word2vec.c's V-1 merges: ``pos1`` walks the leaves down from V-1, ``pos2`` the inner
    nodes up from V; each merge takes the two smallest (the second gets branch 1)."""
    parent = np.zeros(2 * V - 1, np.int64)
    branch = np.zeros(2 * V - 1, np.int8)
    pos1, pos2 = V - 1, V
    for a in range(V - 1):
        if pos1 >= 0 and count[pos1] < count[pos2]:
            i = pos1
            pos1 -= 1
        else:
            i = pos2
            pos2 += 1
        if pos1 >= 0 and count[pos1] < count[pos2]:
            j = pos1
            pos1 -= 1
        else:
            j = pos2
            pos2 += 1
        count[V + a] = count[i] + count[j]
        parent[i] = V + a
        parent[j] = V + a
        branch[j] = 1
    return parent, branch


@njit(cache=True)
def _depths(parent, V):
    """Code length of every word: the steps from its leaf up to the root (node 2V-2)."""
    lengths = np.zeros(V, np.int32)
    root = 2 * V - 2
    for w in range(V):
        node, n = w, 0
        while node != root:
            node = parent[node]
            n += 1
        lengths[w] = n
    return lengths


@njit(cache=True)
def _fill_paths(parent, branch, lengths, V, codes, points):
    """Codes and inner nodes (numbered from 0, root V-2) from the root down to each leaf."""
    for w in range(V):
        node = w
        for k in range(lengths[w] - 1, -1, -1):  # walking up fills the path from its end
            codes[w, k] = branch[node]
            node = parent[node]
            points[w, k] = node - V
