"""The compiled vocabulary pass (text/token_table.py, text/fast_encode.py) against the readable
one (encoded.count_sentences over Corpus sentences): same words, counts, order, ids and
sentence ends, on awkward input."""

from __future__ import annotations

import bz2
import gzip
import random
import sys

import numpy as np
import pytest

from palabra2vec.errors import Palabra2vecError
from palabra2vec.text import fast_encode, reading
from palabra2vec.text.corpus import Corpus
from palabra2vec.text.encoded import encode_corpus
from palabra2vec.text.token_table import BAD_UTF8, DONE, LONG_LINE, SENTENCES, STATUS, TOKENS, new_state

from conftest import QUIJOTE, need


def _kernel(data: bytes, max_len: int = 1000, max_line: int = 1 << 40) -> tuple[list[list[bytes]], int]:
    """Run the kernel on ``data``; return its sentences (as word bytes) and its status."""
    state, table, entries, arena = new_state(16)  # tiny: the kernel must stop for room, often
    ids = np.empty(len(data) + 1, dtype=np.int32)
    n, table, entries, arena = fast_encode._encode(np.frombuffer(data, dtype=np.uint8), 0, len(data), max_len,
                                                   max_line, state, table, entries, arena, ids)
    words = arena[: int(entries[:, 0].max() + entries[:, 1].max() + 1) if n else 0].tobytes()
    sentences, cur = [], []
    for i in ids[:n].tolist():
        if i < 0:
            sentences.append(cur)
            cur = []
        else:
            a, ln = int(entries[i, 0]), int(entries[i, 1])
            cur.append(words[a: a + ln])
    assert state[TOKENS] == sum(map(len, sentences)) + len(cur) and state[SENTENCES] == len(sentences)
    return sentences, int(state[STATUS])


def test_white_space_is_pythons_str_split_for_every_character():
    chars = [chr(c) for c in range(sys.maxunicode + 1)
             if not 0xD800 <= c <= 0xDFFF and chr(c) not in "\n\r"]
    lines = [f"a{ch}b" for ch in chars]
    sentences, status = _kernel("\n".join(lines).encode("utf-8"))
    assert status == DONE
    got = [len(s) for s in sentences]
    want = [len(line.split()) for line in lines]
    assert got == want
    assert got.count(2) == sum(ch.isspace() for ch in chars) == 27  # \t \v \f 1C-1F space ... U+3000


@pytest.mark.parametrize("seed", range(3))
def test_malformed_utf8_stops_the_kernel_exactly_when_python_refuses_it(seed):
    rng = random.Random(seed)
    valid = [b"a", b" ", b"\n", b"\r", "ñ€𝄞\u3000\u00a0\u2028\U0010ffff\ud7ff\ue000".encode()]
    raw = [b"\xc2", b"\xe0", b"\xed", b"\xf0", b"\xf4", b"\xf5", b"\xff", b"\x80", b"\x8f", b"\x90",
           b"\x9f", b"\xa0", b"\xbf", b"\xc0", b"\xc1", b"\xe2\x80", b"\xe3", b"\xed\xa0\x80", b"\xf4\x90"]
    bad = good = 0
    for _ in range(3000):
        data = b"".join(rng.choice(valid) if rng.random() < 0.8 else rng.choice(raw)
                        for _ in range(rng.randint(1, 6)))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        sentences, status = _kernel(data)
        if text is None:
            bad += 1
            assert status == BAD_UTF8, data
        else:
            good += 1
            assert status == DONE, data
            want = [line.split() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
            assert [[w.decode() for w in s] for s in sentences] == [s for s in want if s], data
    assert bad > 300 and good > 300


def test_sentences_are_cut_every_max_len_tokens_and_long_lines_stop_the_kernel():
    sentences, status = _kernel(b"a b c d e f g\r\nh i\n\nj k l\r", max_len=3)
    assert status == DONE
    assert sentences == [[b"a", b"b", b"c"], [b"d", b"e", b"f"], [b"g"], [b"h", b"i"], [b"j", b"k", b"l"]]
    assert _kernel(b"short\n" + b"x" * 20 + b"\n", max_line=20)[1] == LONG_LINE
    assert _kernel(b"short\n" + b"x" * 19 + b"\n", max_line=20)[1] == DONE


def _same(corpus_args: tuple, corpus_kwargs: dict | None = None, min_count: int = 1) -> tuple:
    """Encode with both passes; assert that everything is identical; return the vocabulary."""
    corpus_kwargs = corpus_kwargs or {}
    v1, e1 = encode_corpus(Corpus(*corpus_args, **corpus_kwargs), min_count)
    v2, e2 = encode_corpus(Corpus(*corpus_args, **corpus_kwargs), min_count, compiled=False)
    with e1, e2:
        assert v1.index_to_key == v2.index_to_key
        assert v1.counts.tolist() == v2.counts.tolist()
        assert (e1.raw_words, e1.n_sentences, e1.n_distinct, e1.n_ids) == \
               (e2.raw_words, e2.n_sentences, e2.n_distinct, e2.n_ids)
        assert e1.path.read_bytes() == e2.path.read_bytes()
        return v1, e1.n_sentences


TRICKY = ("Él dijo: ¿Qué día es hoy?\tMAÑANA mañana Mañana\r\n"
          "\r\n"
          "  pingüino  año\u00a0ano\u3000cigüeña\u2003fin\x1cdel\x0bcamino\x0cx\r"
          "solo-un-retorno\rotra\n"
          "\n\n"
          "ÑANDÚ ñandú \u00a0\u2028 \ufeffbom en medio\u0085nel\n"
          + "largo " * 37 + "\n"
          "última línea sin fin")


def _workers(monkeypatch, n: int) -> None:
    """Make count_corpus use ``n`` threads, on parts of a block as small as 8 bytes."""
    monkeypatch.setattr(fast_encode, "WORKERS", n)
    monkeypatch.setattr(fast_encode, "MIN_PART", 8)


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("tokenizer", ["whitespace", "notebook", "spanish"])
def test_same_vocab_ids_and_sentences_on_tricky_files(tmp_path, monkeypatch, tokenizer, workers):
    _workers(monkeypatch, workers)
    monkeypatch.setattr(fast_encode, "BLOCK", 7 if workers == 1 else 40)  # blocks end inside lines, characters, \r\n
    files = []
    for k in range(4):
        p = tmp_path / f"f{k}.txt"
        p.write_bytes(("\ufeff" if k == 1 else "").encode() + (TRICKY * (k + 4) + "\n" * 30 * k).encode("utf-8"))
        files.append(p)
    gz = tmp_path / "g.txt.gz"
    gz.write_bytes(gzip.compress(TRICKY.encode("utf-8") * 3))
    bz = tmp_path / "b.txt.bz2"
    bz.write_bytes(bz2.compress(TRICKY.encode("utf-8")))
    empty, blank = tmp_path / "empty.txt", tmp_path / "blank.txt"
    empty.write_bytes(b"")
    blank.write_bytes(b"\n\r\n \t\n\r")
    vocab, sentences = _same(([files[0], empty, *files[1:], blank, gz, bz], tokenizer), dict(max_sentence_length=5))
    assert len(vocab) >= 20 and sentences >= 20
    if tokenizer == "whitespace":
        assert "MAÑANA" in vocab and "\ufeffbom" in vocab and "año" in vocab and "ano" in vocab


@pytest.mark.parametrize("workers", [1, 2])
def test_files_the_kernel_cannot_read_go_to_the_readable_reader(tmp_path, monkeypatch, workers):
    _workers(monkeypatch, workers)
    monkeypatch.setattr(fast_encode, "BLOCK", 64)
    monkeypatch.setattr(reading, "MAX_LINE_CHARS", 40)
    good = tmp_path / "a-good.txt"
    good.write_text("uno dos tres\n" * 50 + "cuatro cinco\n", encoding="utf-8")
    mixed = tmp_path / "b-mixed.txt"  # UTF-8 with one stray Latin-1 byte, after new words
    mixed.write_bytes("nuevas palabras aquí\n".encode() * 20 + b"ca\xf1a uno\n" + "más tarde\n".encode())
    latin = tmp_path / "c-latin.txt"  # Latin-1 throughout
    latin.write_bytes("año señor niño\ncañón dos\n".encode("latin-1") * 10)
    long = tmp_path / "d-long.txt"  # lines longer than MAX_LINE_CHARS, with and without spaces
    long.write_text("corta\n" + "palabra " * 30 + "\n" + "x" * 100 + "\n" + "fin" + "ñ" * 20 + "\n", encoding="utf-8")
    after = tmp_path / "e-after.txt"
    after.write_text("uno tarde palabras final\n", encoding="utf-8")
    files = [good, mixed, latin, long, after]
    vocab, _ = _same((files, "whitespace"))
    assert "caña" not in vocab and "ca\ufffda" in vocab and "año" in vocab and "x" * 40 in vocab
    with open(tmp_path / "ids", "wb") as out:
        counter = fast_encode.TokenCounter(out, 1000, workers=workers)
        read = [fast_encode._read_file(counter, p, 0, bom=True, nul_check=True) for p in files]
        counter.close()
    assert read == [True, False, False, False, True]
    _same((files, "notebook"))
    _same((files, "whitespace"), dict(encoding="latin-1"))
    _same((files, "whitespace"), dict(encoding="utf-8"))


def test_binary_file_is_refused_by_both(tmp_path):
    p = tmp_path / "bin.txt"
    p.write_bytes(b"hola\x00mundo\n" * 10)
    for compiled in (True, False):
        with pytest.raises(Palabra2vecError, match="binary"):
            encode_corpus(Corpus([p], "whitespace"), 1, compiled=compiled)


def test_same_on_don_quijote_with_every_tokenizer():
    need(QUIJOTE)
    for tokenizer in ("whitespace", "notebook", "spanish"):
        vocab, _ = _same(([QUIJOTE], tokenizer), min_count=5)
        assert len(vocab) > 3000


def test_parts_counted_by_other_threads_merge_in_text_order(tmp_path, monkeypatch):
    """Several workers: the words of later parts come after the first part's, in their order."""
    _workers(monkeypatch, 4)
    monkeypatch.setattr(fast_encode, "BLOCK", 1 << 10)
    rng = random.Random(0)
    lines = [" ".join(f"w{int(rng.paretovariate(1.0))}" for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    p = tmp_path / "zipf.txt"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(tmp_path / "ids", "wb") as out:
        counter = fast_encode.TokenCounter(out, 5, workers=4)
        assert len(counter._cuts(p.read_bytes(), 0, 4 << 10)) == 5  # the block is cut in four
        counter.close()
    vocab, _ = _same(([p], "whitespace"), dict(max_sentence_length=5))
    assert len(vocab) > 100


def test_a_corpus_is_counted_by_the_kernel_and_token_lists_by_the_dictionary(tmp_path, monkeypatch):
    from palabra2vec.text import encoded

    p = tmp_path / "c.txt"
    p.write_text("uno dos dos\ntres\n", encoding="utf-8")

    def refuse(*args, **kwargs):
        raise AssertionError("the readable pass was used")

    monkeypatch.setattr(encoded, "count_sentences", refuse)
    vocab, enc = encode_corpus(Corpus([p], "whitespace"), 1)
    enc.close()
    assert vocab.index_to_key == ["dos", "uno", "tres"]
    with pytest.raises(AssertionError, match="readable pass"):
        encode_corpus([["uno", "dos"]], 1)
