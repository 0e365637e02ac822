"""fastText's ``.bin`` model files, both ways: write a palabra2vec model so that fastText
(``fasttext.load_model``) and gensim (``load_facebook_model``) read it, and read fastText's
files (e.g. the published ``cc.es.300.bin``) as :class:`SubwordVectors`.

The layout (fastText's ``src/fasttext.cc`` ``saveModel``, ``src/args.cc`` ``Args::save``,
``src/dictionary.cc`` ``Dictionary::save``, ``src/densematrix.cc`` ``save``), little-endian:

=====================  ===========================================================================
header                 int32 magic 793712314, int32 version 12
args                   int32 dim, ws, epoch, minCount, neg, wordNgrams, loss (hs = 1, ns = 2),
                       model (cbow = 1, sg = 2), bucket, minn, maxn, lrUpdateRate; float64 t
dictionary             int32 size, nwords, nlabels; int64 ntokens, pruneidx_size (-1: not pruned);
                       per entry: UTF-8 word, a 0 byte, int64 count, int8 type (0 word, 1 label)
input matrix           bool quantized (0); int64 rows (nwords + bucket), int64 dim; float32 rows:
                       the word rows, then the n-gram buckets
output matrix          bool qout (0); int64 rows (nwords), int64 dim; float32 rows
=====================  ===========================================================================

The output matrix holds the output word rows (negative sampling), or, for a model trained with
hierarchical softmax only, the V - 1 inner nodes of the Huffman tree and one zero row:
fastText's ``HierarchicalSoftmaxLoss`` builds the tree from the dictionary's counts with
word2vec.c's two-cursor merge (as :mod:`palabra2vec.training.huffman` does) and scores inner
node ``n`` with output row ``n``. A model with both output layers is written with its negative
sampling rows (fastText trains one loss).

A word's vector in fastText is the mean of its word row and its n-gram rows (``getWordVector``),
as in palabra2vec: the same vectors come out on both sides.
"""

from __future__ import annotations

import logging
import os
import struct
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

from ..errors import Palabra2vecError
from ..fileio import atomic_write
from .subword_vectors import SubwordVectors

log = logging.getLogger(__name__)

MAGIC = 793712314
VERSION = 12
LOSS_HS, LOSS_NS, MODEL_CBOW, MODEL_SG = 1, 2, 1, 2


def is_fasttext_bin(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts with fastText's magic number."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<i", head)[0] == MAGIC


def _full_rows(ngrams: np.ndarray, used: np.ndarray | None, buckets: int) -> Callable[[int, int], np.ndarray]:
    """Bucket rows ``lo:hi`` of the full (buckets, D) n-gram matrix fastText stores, from the table
    itself (``used`` None) or from its compact rows (row r is bucket ``used[r]``; zero elsewhere)."""
    if used is None:
        return lambda lo, hi: ngrams[lo:hi]

    def rows(lo: int, hi: int) -> np.ndarray:
        out = np.zeros((hi - lo, ngrams.shape[1]), np.float32)
        a, b = np.searchsorted(used, [lo, hi])
        out[used[a:b] - lo] = ngrams[a:b]
        return out

    return rows


def _write_matrix(f: BinaryIO, parts: list[tuple[int, Callable[[int, int], np.ndarray]]], dim: int,
                  block: int = 65536) -> None:
    """fastText's matrix: its header, then each part's rows ``(n, rows(lo, hi))`` in blocks (a
    memory-mapped table is never copied whole, a compact n-gram table never expanded whole)."""
    f.write(struct.pack("<?qq", False, sum(n for n, _ in parts), dim))
    for n, rows in parts:
        for lo in range(0, n, block):
            f.write(np.ascontiguousarray(rows(lo, min(n, lo + block)), dtype="<f4").tobytes())


def save_fasttext_bin(path: str | os.PathLike[str], words: list[str], counts: np.ndarray, input_rows: np.ndarray,
                      ngrams: np.ndarray, output_rows: np.ndarray, min_n: int, max_n: int, *, window: int = 5,
                      epochs: int = 5, min_count: int = 5, negative: int = 5, sample: float = 1e-4,
                      buckets: int | None = None, used: np.ndarray | None = None, loss: int = LOSS_NS,
                      model: int = MODEL_SG) -> Path:
    """Write a fastText ``.bin`` from the word rows (V, D), the n-gram table (buckets, D; 0 rows
    for a model without subwords) and the output rows (V, D): ``loss`` ``LOSS_NS`` (output word
    rows) or ``LOSS_HS`` (the Huffman tree's inner nodes, then a zero row), ``model``
    ``MODEL_SG`` or ``MODEL_CBOW``.
    A compact n-gram table (row r is bucket ``used[r]`` of ``buckets``) is written as fastText's
    full (buckets, D) matrix, zero rows where it has none, block by block."""
    V, D = input_rows.shape
    if used is None:
        buckets = ngrams.shape[0]
    elif buckets is None or len(used) != ngrams.shape[0]:
        raise ValueError("a compact n-gram table needs its buckets and one bucket per row")
    if output_rows.shape != (V, D) or ngrams.shape[1] != D or len(words) != V:
        raise ValueError("words, input, ngrams and output tables do not agree in shape")
    counts = np.asarray(counts, np.int64)

    def write(f: BinaryIO) -> None:
        f.write(struct.pack("<ii", MAGIC, VERSION))
        f.write(struct.pack("<12i", D, window, epochs, min_count, negative, 1, loss, model, buckets,
                            min_n if buckets else 0, max_n if buckets else 0, 100))
        f.write(struct.pack("<d", sample))
        f.write(struct.pack("<iiiqq", V, V, 0, int(counts.sum()), -1))
        for w, c in zip(words, counts):
            f.write(w.encode("utf-8") + b"\0" + struct.pack("<qb", int(c), 0))
        _write_matrix(f, [(V, lambda lo, hi: input_rows[lo:hi]), (buckets, _full_rows(ngrams, used, buckets))], D)
        _write_matrix(f, [(V, lambda lo, hi: output_rows[lo:hi])], D)

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(Path(path), write)
    return Path(path)


class _Reader:
    def __init__(self, f: BinaryIO, path: Path) -> None:
        self.f, self.path = f, path

    def unpack(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        data = self.f.read(size)
        if len(data) != size:
            raise Palabra2vecError(f"{self.path}: truncated fastText file")
        return struct.unpack(fmt, data)

    def word(self) -> bytes:
        out = bytearray()
        while True:
            chunk = self.f.read(1)
            if not chunk:
                raise Palabra2vecError(f"{self.path}: truncated fastText dictionary")
            if chunk == b"\0":
                return bytes(out)
            out += chunk


def read_fasttext_bin(path: str | os.PathLike[str]) -> dict:
    """The parts of a fastText ``.bin``: ``args`` (dict), ``words``, ``counts``, ``input``
    (words + buckets, D) and ``output`` (as read-only memory maps: a 7 GB file is not copied)."""
    p = Path(path)
    with open(p, "rb") as f:
        r = _Reader(f, p)
        magic, version = r.unpack("<ii")
        if magic != MAGIC:
            raise Palabra2vecError(f"{p}: not a fastText .bin file (bad magic number)")
        if version > VERSION:
            raise Palabra2vecError(f"{p}: fastText file version {version} is newer than this reader ({VERSION})")
        names = ("dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "loss", "model", "bucket", "minn", "maxn",
                 "lrUpdateRate")
        args = dict(zip(names, r.unpack("<12i")))
        args["t"] = r.unpack("<d")[0]
        size, nwords, nlabels, ntokens, pruneidx = r.unpack("<iiiqq")
        if pruneidx >= 0:
            raise Palabra2vecError(f"{p}: pruned/quantized fastText models (.ftz) are not supported")
        words, counts = [], np.zeros(nwords, np.int64)
        for i in range(size):
            w = r.word()
            count, kind = r.unpack("<qb")
            if i < nwords:
                if kind != 0:
                    raise Palabra2vecError(f"{p}: entry {i} is a label; supervised models are not word vectors")
                words.append(w.decode("utf-8", errors="replace"))
                counts[i] = count
        (quant,) = r.unpack("<?")
        if quant:
            raise Palabra2vecError(f"{p}: quantized fastText models are not supported")
        rows, dim = r.unpack("<qq")
        start = f.tell()
        if rows != nwords + args["bucket"] or dim != args["dim"]:
            raise Palabra2vecError(f"{p}: input matrix is {rows} x {dim}, expected {nwords + args['bucket']} x {args['dim']}")
        out_start = start + rows * dim * 4
        f.seek(out_start)
        _qout, out_rows, out_dim = r.unpack("<?qq")
    if p.stat().st_size < out_start + 17 + out_rows * out_dim * 4:
        raise Palabra2vecError(f"{p}: truncated fastText file (its matrices are cut short)")
    inp = np.memmap(p, dtype="<f4", mode="r", offset=start, shape=(rows, dim))
    out = np.memmap(p, dtype="<f4", mode="r", offset=out_start + 17, shape=(out_rows, out_dim))
    return dict(args=args, words=words, counts=counts, input=inp, output=out, ntokens=ntokens)


def load_fasttext_bin(path: str | os.PathLike[str]) -> SubwordVectors:
    """A fastText ``.bin`` as :class:`SubwordVectors`: the same vectors fastText gives, for
    words in its vocabulary and (from n-grams) outside it."""
    m = read_fasttext_bin(path)
    a, V = m["args"], len(m["words"])
    inp = m["input"]
    log.info("%s: %d words, %d buckets, n-grams %d..%d, %d dims", path, V, a["bucket"], a["minn"], a["maxn"], a["dim"])
    return SubwordVectors.compose(np.asarray(inp[:V]), inp[V:], m["words"], m["counts"], a["minn"], a["maxn"])


def export_fasttext_bin(model_dir: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """Write the palabra2vec model in ``model_dir`` as a fastText ``.bin``."""
    from ..storage import load_model
    from ..variants import HS_NODES, INPUT, NGRAMS, OUTPUT, ngram_layout

    m = load_model(model_dir)
    c, t = m.config, m.tables
    ngrams = t.get(NGRAMS, np.zeros((0, c.vector_size), np.float32))
    used = ngram_layout(c, m.vocab.index_to_key).used if c.subwords else None  # the compact table's buckets
    if OUTPUT in t:
        output, loss = t[OUTPUT], LOSS_NS
    else:  # hierarchical softmax only: the inner nodes, padded to V rows (see the module docstring)
        nodes = t[HS_NODES]
        output = np.concatenate([nodes, np.zeros((t[INPUT].shape[0] - nodes.shape[0], c.vector_size), np.float32)])
        loss = LOSS_HS
    return save_fasttext_bin(path, m.vocab.index_to_key, m.vocab.counts, t[INPUT], ngrams, output,
                             c.min_n if c.subwords else 0, c.max_n if c.subwords else 0, window=c.window,
                             epochs=c.epochs, min_count=c.min_count, negative=c.negative, sample=c.sample,
                             buckets=c.buckets if c.subwords else None, used=used, loss=loss,
                             model=MODEL_CBOW if c.model == "cbow" else MODEL_SG)
