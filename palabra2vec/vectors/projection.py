"""Word maps without matplotlib: which words to show, and their 2-D coordinates (PCA or t-SNE).

Used by :func:`palabra2vec.plots.words` and by anything else that draws a map (a web page).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UsageError

if TYPE_CHECKING:
    from .word_vectors import WordVectors


def project(vectors: np.ndarray, method: str = "pca", seed: int = 0) -> tuple[np.ndarray, str]:
    """2-D coordinates of the rows of ``vectors`` and a note on the axes.

    ``pca``: the rows centered and projected on their two first right singular vectors
    (numpy SVD). ``tsne``: scikit-learn's t-SNE, when it is installed.
    """
    X = np.asarray(vectors, dtype=np.float64)
    if method == "pca":
        Xc = X - X.mean(axis=0)
        _u, s, vt = np.linalg.svd(Xc, full_matrices=False)
        var = s**2 / max(float((s**2).sum()), 1e-300)
        return Xc @ vt[:2].T, f"PCA: components 1 and 2 explain {var[0]:.0%} and {var[1]:.0%} of the variance"
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            raise UsageError("--method tsne needs scikit-learn (pip install scikit-learn); "
                             "the default --method pca needs nothing more") from None
        perplexity = float(min(30.0, max(2.0, (len(X) - 1) / 3)))
        return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(X), \
            f"t-SNE, perplexity {perplexity:g}"
    raise UsageError(f"unknown projection {method!r} (pca, tsne)")


def pick_words(wv: "WordVectors", words: Sequence[str] = (), neighbours: int = 10,
               top: int = 200) -> tuple[list[int], list[int]]:
    """Rows to show and a group for each: every word of ``words`` with its ``neighbours``
    nearest words (group i), or else the ``top`` most frequent words (group 0)."""
    if not words:
        n = min(top, len(wv))
        return list(range(n)), [0] * n
    rows: list[int] = []
    groups: list[int] = []
    seen: set[int] = set()
    for g, w in enumerate(words):
        near = [w] + [n for n, _ in wv.most_similar(w, topn=neighbours)] if neighbours > 0 else [w]
        for n in near:
            i = wv.get_index(n)
            if i not in seen:
                seen.add(i)
                rows.append(i)
                groups.append(g)
    return rows, groups
