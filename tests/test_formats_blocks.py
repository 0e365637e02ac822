"""The binary reader reads plain files by blocks: every block boundary gives the same vectors."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from palabra2vec.errors import Palabra2vecError
from palabra2vec.vectors import formats
from palabra2vec.vectors.formats import read_word2vec, word2vec_binary_bytes


def _table(n: int = 40, dim: int = 5, seed: int = 3) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n - 3)] + ["día", "canción", "ñ" * 30]
    return words, rng.standard_normal((n, dim)).astype(np.float32)


@pytest.mark.parametrize("block", [1, 7, 23, 64, 1 << 24])
@pytest.mark.parametrize("newlines", [False, True])
def test_binary_rows_across_block_boundaries(tmp_path, monkeypatch, block, newlines):
    words, vecs = _table()
    data = word2vec_binary_bytes(words, vecs)  # word2vec.c's layout: a newline after each row
    if not newlines:  # gensim's: none
        head = data.split(b"\n", 1)[0]
        data = head + b"\n" + b"".join(
            w.encode() + b" " + v.astype("<f4").tobytes() for w, v in zip(words, vecs))
    p = tmp_path / "v.bin"
    p.write_bytes(data)
    monkeypatch.setattr(formats, "_BLOCK", block)
    raw = read_word2vec(p, binary=True)
    assert raw.words == words and np.array_equal(raw.vectors, vecs)
    assert read_word2vec(p).words == words  # detection on the first block agrees
    raw = read_word2vec(p, binary=True, limit=3)
    assert raw.words == words[:3] and np.array_equal(raw.vectors, vecs[:3])


def test_blocks_still_catch_a_short_or_long_body(tmp_path, monkeypatch):
    words, vecs = _table()
    data = word2vec_binary_bytes(words, vecs)
    monkeypatch.setattr(formats, "_BLOCK", 16)
    short = tmp_path / "short.bin"
    short.write_bytes(data[:-30])
    with pytest.raises(Palabra2vecError, match="header says 40 vectors of 5 dimensions but the file ends after 39"):
        read_word2vec(short, binary=True)
    long = tmp_path / "long.bin"
    long.write_bytes(data + b"junk")
    with pytest.raises(Palabra2vecError, match="5 bytes follow the 40 vectors"):  # the last row's newline + junk
        read_word2vec(long, binary=True)
    gz = tmp_path / "v.bin.gz"
    gz.write_bytes(gzip.compress(data))
    raw = read_word2vec(gz)
    assert raw.words == words and np.array_equal(raw.vectors, vecs)
