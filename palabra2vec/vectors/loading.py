"""Opening whatever holds word vectors: a model directory (its tables composed by the model's
variant, :func:`palabra2vec.variants.word_vectors`) or a word2vec-format file."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Palabra2vecError
from ..storage import load_model
from ..variants import word_vectors
from .word_vectors import WordVectors


def load_vectors(path: str | os.PathLike[str], binary: bool | None = None) -> WordVectors:
    """Vectors from a model directory (``palabra2vec train``), a fastText ``.bin`` or a word2vec-format file."""
    p = Path(path)
    if p.is_dir():
        m = load_model(p)
        return word_vectors(m.config, m.vocab, m.tables)
    if p.is_file():
        from .fasttext_bin import is_fasttext_bin, load_fasttext_bin

        if is_fasttext_bin(p):  # fastText's .bin: vectors for words outside the vocabulary too
            return load_fasttext_bin(p)
        return WordVectors.load_word2vec_format(p, binary=binary)
    raise Palabra2vecError(f"no model directory or word2vec file at {p}")
