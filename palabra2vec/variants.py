"""Model variants: the named tables a model trains, how they start, and how a word's vector
is composed from them.

A model is a set of named float32 tables (``input``, ``output``; later ``ngrams``,
``hs_nodes``...), each with its own shape. Storage, checkpoints, resume, distributed
averaging and export iterate over these names; nothing else assumes two (V, D) tables.
Adding a variant means: its config fields (:mod:`palabra2vec.config`), its tables and word
vectors here, and its loss in the kernels (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .config import TrainConfig

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .text.subwords import SubwordRows
    from .text.vocab import Vocab
    from .vectors.word_vectors import WordVectors

#: The table whose rows are the word vectors users query (word2vec.c's ``syn0``).
INPUT = "input"
#: The context vectors of negative sampling (word2vec.c's ``syn1neg``).
OUTPUT = "output"
#: fastText's n-gram rows (``--subwords``): character n-grams hashed into ``buckets`` buckets;
#: the table holds only the buckets the vocabulary's n-grams reach (see :func:`ngram_layout`).
NGRAMS = "ngrams"
#: Subword training (``--subwords``): each step moves the word's own ``input`` row by this many
#: times the step each of its n-gram rows takes (fastText and gensim: 1, the same step for all).
#: The n-gram rows are shared with many words and learn spelling; the word's own row is what
#: tells apart words spelt alike, and with 1 it is 1 / (1 + n) of the vector users query.
#: Measured on corpus-es (seed 1, analogy / MSL / SemEval17): 1: 39.81 / 0.245 / 0.436;
#: 2: 39.95 / 0.247 / 0.443; 3: 39.70 / 0.249 / 0.452; 4: 38.94 / 0.251 / 0.463;
#: 6: 37.97 / 0.254 / 0.482; 10: 34.22 / 0.252 / 0.491 (benchmarks/RESULTS.md, round 5).
#: The vectors users query stay fastText's mean: only training's step changes. Skip-gram with
#: negative sampling only, where it was measured; CBOW and hierarchical softmax keep equal steps.
WORD_ROW_STEP = 3.0
#: The inner nodes of hierarchical softmax's Huffman tree, V-1 rows (word2vec.c's ``syn1``).
HS_NODES = "hs_nodes"


def ngram_layout(config: TrainConfig, words: "Sequence[str]") -> "SubwordRows":
    """Which rows the ``ngrams`` table has for this vocabulary: one per bucket that the n-grams
    of ``words`` reach, in bucket order (corpus-es: 208,090 of 2,000,000 buckets, 83 MB instead
    of 800 MB at 100 dims), and each word's rows in it (:func:`palabra2vec.text.subwords.subword_rows`).
    A bucket no vocabulary word reaches is never trained (fastText leaves it at its random
    start); here it has no row, and the n-grams of unknown words that fall in it contribute
    nothing to their vector (a zero row in a fastText ``.bin`` export)."""
    from .text.subwords import subword_rows

    return subword_rows(words, config.min_n, config.max_n, config.buckets)


def table_shapes(config: TrainConfig, n_words: int, ngram_rows: int | None = None) -> dict[str, tuple[int, int]]:
    """Name -> (rows, columns) of every table the model described by ``config`` trains;
    ``ngram_rows`` (with ``--subwords``): rows of the compact n-gram table
    (``ngram_layout(...).n_rows``), default all ``config.buckets`` (fastText's layout)."""
    D = config.vector_size
    shapes = {INPUT: (n_words, D)}
    if config.negative > 0:
        shapes[OUTPUT] = (n_words, D)
    if config.hs:
        shapes[HS_NODES] = (max(0, n_words - 1), D)
    if config.subwords:
        shapes[NGRAMS] = (config.buckets if ngram_rows is None else ngram_rows, D)
    return shapes


def init_tables(config: TrainConfig, n_words: int, ngram_rows: int | None = None) -> dict[str, np.ndarray]:
    """Starting tables, float32, drawn from ``config.seed``.

    ``gensim``: input ~ U(-1/D, 1/D), output = 0 (gensim 4's ``prep_vectors``; measured on the
    Spanish benchmark it scores ~0.004-0.008 Spearman above word2vec.c's narrower start);
    ``word2vec``: input ~ U(-0.5/D, 0.5/D), output = 0 (word2vec.c); ``xavier``: both
    ~ U(-a, a) with a = sqrt(6 / (V + D)) (Glorot & Bengio 2010; the notebook). The
    ``ngrams`` table (``--subwords``; only the buckets the vocabulary reaches, see
    :func:`ngram_layout`) starts U(-1/D, 1/D) whatever ``init`` says, as gensim starts its
    n-gram rows (fastText: U(-1/D, 1/D) too): measured on corpus-es (1 seed,
    benchmarks/RESULTS.md) against a zero start, analogy 39.55 vs 37.44 %, MSL 0.2358 vs
    0.2327, SemEval17 0.4376 vs 0.4237. The same
    distributions as :meth:`palabra2vec.training.model.SkipGram.reset_parameters`; every
    backend starts from these arrays.
    """
    shapes = table_shapes(config, n_words, ngram_rows)
    rng = np.random.default_rng(config.seed)
    V, D = shapes[INPUT]
    if config.init in ("gensim", "word2vec"):
        b = (1.0 if config.init == "gensim" else 0.5) / D
        tables = {INPUT: uniform_float32(rng, b, (V, D))}
        tables.update({name: np.zeros(shape, np.float32) for name, shape in shapes.items() if name not in (INPUT, NGRAMS)})
    elif config.init == "xavier":
        tables = {}
        for name, (rows, cols) in shapes.items():  # input first: the draws match the notebook's order
            if name == NGRAMS:
                continue
            a = float(np.sqrt(6.0 / (rows + cols)))
            tables[name] = uniform_float32(rng, a, (rows, cols))
    else:
        raise ValueError(f"unknown init {config.init!r}")
    if NGRAMS in shapes:  # drawn last: the other tables are those of the same model without subwords
        tables[NGRAMS] = uniform_float32(rng, 1.0 / D, shapes[NGRAMS])
    return {name: tables[name] for name in shapes}


def uniform_float32(rng: np.random.Generator, bound: float, shape: tuple[int, int], block: int = 8192) -> np.ndarray:
    """``rng.uniform(-bound, bound, shape).astype(float32)``, drawn ``block`` rows at a time: the
    same floats (the generator's stream is consumed in the same order) without the float64
    copy of the whole table (166 MB for corpus-es's n-gram table)."""
    out = np.empty(shape, np.float32)
    for lo in range(0, shape[0], block):
        hi = min(lo + block, shape[0])
        out[lo:hi] = rng.uniform(-bound, bound, size=(hi - lo, shape[1]))
    return out


def check_tables(tables: dict[str, np.ndarray], config: TrainConfig, n_words: int,
                 ngram_rows: int | None = None) -> str | None:
    """What is wrong with ``tables`` for this config and vocabulary size, or None."""
    want = table_shapes(config, n_words, ngram_rows)
    if set(tables) != set(want):
        return f"tables {sorted(tables)} where the model needs {sorted(want)}"
    for name, shape in want.items():
        t = tables[name]
        if t.dtype != np.float32 or tuple(t.shape) != shape:
            return f"table {name!r} is {t.dtype} {tuple(t.shape)}, expected float32 {shape}"
    return None


def compact_ngrams(tables: dict[str, np.ndarray], config: TrainConfig, layout: "SubwordRows") -> dict[str, np.ndarray]:
    """``tables`` with a full (buckets, D) ``ngrams`` table (model format 2, before the compact
    layout) cut down to the rows of ``layout``: lossless, since format 2 started every n-gram
    row at zero and never trained a bucket outside the layout. Other tables are returned as they are."""
    t = tables.get(NGRAMS)
    if not config.subwords or t is None or t.shape[0] != config.buckets or layout.n_rows == config.buckets:
        return tables
    return {**tables, NGRAMS: np.ascontiguousarray(t[layout.used])}


def word_vectors(config: TrainConfig, vocab: "Vocab", tables: dict[str, np.ndarray]) -> "WordVectors":
    """What users query: the vectors composed from the tables: the input rows, or with
    ``--subwords`` the mean of a word's input row and its n-gram rows (fastText's meaning),
    words outside the vocabulary composed from their n-grams alone."""
    from .vectors.word_vectors import WordVectors

    if config.subwords:
        from .vectors.subword_vectors import SubwordVectors

        return SubwordVectors.compose(tables[INPUT], tables[NGRAMS], vocab.index_to_key, vocab.counts,
                                      config.min_n, config.max_n, buckets=config.buckets)
    return WordVectors(tables[INPUT], vocab.index_to_key, vocab.counts)


def describe(config: TrainConfig) -> str:
    """The variant in words, e.g. ``CBOW (mean) + hierarchical softmax``, then ``, subwords
    (n-grams 3-6)`` with ``--subwords``."""
    model = f"CBOW ({'mean' if config.cbow_mean else 'sum'})" if config.model == "cbow" else "skip-gram"
    losses = ([f"negative sampling ({config.negative})"] if config.negative > 0 else [])
    losses += ["hierarchical softmax"] if config.hs else []
    subwords = f", subwords (n-grams {config.min_n}-{config.max_n})" if config.subwords else ""
    return f"{model} + {' + '.join(losses)}{subwords}"
