"""word2vec text/binary and projector files: byte-exact writers, tolerant reader, gensim round trips."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from palabra2vec.errors import Palabra2vecError
from palabra2vec.vectors.formats import projector_bytes, read_word2vec, word2vec_binary_bytes, word2vec_text_bytes
from palabra2vec.vectors import WordVectors, load_vectors

WORDS = ["a", "ñu"]
VECS = np.array([[1.0, -0.5], [0.25, 3.0]], dtype=np.float32)


def _random_wv(n: int = 50, dim: int = 7, seed: int = 0) -> WordVectors:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n - 3)] + ["día", "canción", "ÑANDÚ"]
    return WordVectors(rng.standard_normal((n, dim)).astype(np.float32), words)


def test_text_writer_is_byte_exact():
    assert word2vec_text_bytes(WORDS, VECS) == "2 2\na 1.0 -0.5\nñu 0.25 3.0\n".encode("utf-8")


def test_binary_writer_is_byte_exact_like_word2vec_c():
    expected = (b"2 2\n" + b"a " + struct.pack("<2f", 1.0, -0.5) + b"\n"
                + "ñu ".encode("utf-8") + struct.pack("<2f", 0.25, 3.0) + b"\n")
    assert word2vec_binary_bytes(WORDS, VECS) == expected


def test_projector_writer_is_byte_exact():
    vec, meta = projector_bytes(WORDS, VECS)
    assert vec == b"1.0\t-0.5\n0.25\t3.0\n"
    assert meta == "a\nñu\n".encode("utf-8")


def test_writer_refuses_words_with_spaces():
    with pytest.raises(Palabra2vecError, match="whitespace"):
        word2vec_text_bytes(["a b"], VECS[:1])


@pytest.mark.parametrize("binary", [False, True])
def test_round_trip_through_gensim_keeps_vectors_identical(tmp_path, binary):
    gensim = pytest.importorskip("gensim.models")
    wv = _random_wv()
    path = tmp_path / ("v.bin" if binary else "v.txt")
    wv.save_word2vec_format(path, binary=binary)
    kv = gensim.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == wv.index_to_key
    assert np.array_equal(kv.vectors, wv.vectors)
    back = WordVectors.load_word2vec_format(path)  # kind detected
    assert back.index_to_key == wv.index_to_key and np.array_equal(back.vectors, wv.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_reads_files_gensim_writes(tmp_path, binary):
    """gensim's binary rows have no newline after the floats (word2vec.c's do)."""
    gensim = pytest.importorskip("gensim.models")
    wv = _random_wv(seed=3)
    kv = gensim.KeyedVectors(wv.vector_size)
    kv.add_vectors(wv.index_to_key, wv.vectors)
    path = tmp_path / "g.w2v"
    kv.save_word2vec_format(str(path), binary=binary)
    back = read_word2vec(path, binary=binary)
    assert back.words == wv.index_to_key and np.array_equal(back.vectors, wv.vectors)
    assert read_word2vec(path).words == wv.index_to_key  # detection agrees


def test_reads_word2vec_c_and_fasttext_text_rows(tmp_path):
    # word2vec.c writes "%lf " (space after every value); fastText .vec rows end in a space too
    p = tmp_path / "cc.es.vec"
    p.write_bytes(b"2 3\n</s> 0.001 -0.002 0.003 \nhola 0.100000 0.200000 -0.300000 \n")
    raw = read_word2vec(p)
    assert raw.words == ["</s>", "hola"]
    assert np.array_equal(raw.vectors, np.array([[0.001, -0.002, 0.003], [0.1, 0.2, -0.3]], np.float32))


def test_reads_gzip(tmp_path):
    p = tmp_path / "v.txt.gz"
    p.write_bytes(gzip.compress(word2vec_text_bytes(WORDS, VECS)))
    assert np.array_equal(read_word2vec(p).vectors, VECS)


def test_invalid_utf8_in_words_is_replaced_or_refused(tmp_path):
    # word2vec.c cuts long words at a byte limit, sometimes inside a character: "ñ" = c3 b1
    p = tmp_path / "cut.bin"
    p.write_bytes(b"1 2\nca\xc3 " + struct.pack("<2f", 1.0, 2.0) + b"\n")
    assert read_word2vec(p).words == ["ca\ufffd"]
    with pytest.raises(Palabra2vecError, match="not valid utf-8"):
        read_word2vec(p, unicode_errors="strict")


@pytest.mark.parametrize("binary", [False, True])
def test_header_disagreeing_with_body_is_a_clear_error(tmp_path, binary):
    body = word2vec_binary_bytes(WORDS, VECS) if binary else word2vec_text_bytes(WORDS, VECS)
    rows = body.split(b"\n", 1)[1]
    more = tmp_path / "more"
    more.write_bytes(b"3 2\n" + rows)
    with pytest.raises(Palabra2vecError, match="header says 3"):
        read_word2vec(more, binary=binary)
    fewer = tmp_path / "fewer"
    fewer.write_bytes(b"1 2\n" + rows)
    with pytest.raises(Palabra2vecError, match="header"):
        read_word2vec(fewer, binary=binary)


def test_row_of_wrong_length_names_the_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"2 3\na 1 2 3\nb 1 2\n")
    with pytest.raises(Palabra2vecError, match=r"bad.txt:3: expected a word and 3 numbers"):
        read_word2vec(p)


def test_not_a_vector_file(tmp_path):
    p = tmp_path / "novel.txt"
    p.write_text("En un lugar de la Mancha\n", encoding="utf-8")
    with pytest.raises(Palabra2vecError, match="not a word2vec file"):
        load_vectors(p)
    with pytest.raises(Palabra2vecError, match="no model directory or word2vec file"):
        load_vectors(tmp_path / "absent")


def test_repeated_words_keep_the_first(tmp_path):
    p = tmp_path / "dup.txt"
    p.write_bytes(b"3 1\na 1\nb 2\na 3\n")
    raw = read_word2vec(p)
    assert raw.words == ["a", "b"] and raw.vectors[:, 0].tolist() == [1.0, 2.0]


def test_limit_reads_the_first_rows(tmp_path):
    wv = _random_wv()
    p = tmp_path / "v.bin"
    wv.save_word2vec_format(p, binary=True)
    raw = read_word2vec(p, limit=5)
    assert raw.words == wv.index_to_key[:5] and np.array_equal(raw.vectors, wv.vectors[:5])


def test_projector_files(tmp_path):
    wv = _random_wv(n=10)
    vec, meta = wv.save_projector(tmp_path / "proj", limit=4)
    assert meta.read_text(encoding="utf-8").splitlines() == wv.index_to_key[:4]
    table = np.loadtxt(vec, delimiter="\t", dtype=np.float32)
    assert np.array_equal(table, wv.vectors[:4])
