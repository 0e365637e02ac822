import bz2
import gzip
import lzma

import pytest

from palabra2vec.text.corpus import Corpus, read_lines, strip_gutenberg, tokenize_spanish
from palabra2vec.errors import Palabra2vecError, UsageError


def test_tokenize_spanish_keeps_accents_drops_punctuation():
    text = "¿Qué DÍA es hoy? —Martes, señor; «pingüino» y ñandú… ¡Vámonos!"
    assert tokenize_spanish(text) == [
        ["qué", "día", "es", "hoy"],
        ["martes", "señor", "pingüino", "y", "ñandú"],
        ["vámonos"],
    ]


def test_tokenize_spanish_nfc_and_case():
    decomposed = "Di\u0301a"  # D i + combining acute + a
    assert tokenize_spanish(decomposed) == [["día"]]
    assert tokenize_spanish("El Día", lowercase=False) == [["El", "Día"]]


def test_strip_gutenberg_header_and_footer():
    lines = ["Title", "*** START OF THE PROJECT GUTENBERG EBOOK X ***", "uno dos", "tres",
             "*** END OF THE PROJECT GUTENBERG EBOOK X ***", "licence text"]
    assert list(strip_gutenberg(lines)) == ["uno dos", "tres"]
    assert list(strip_gutenberg(["sin", "marcas"])) == ["sin", "marcas"]


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_compressed_files_read_like_plain(tmp_path, suffix, opener):
    text = "hola mundo\nadiós mundo\n"
    with opener(tmp_path / f"c.txt{suffix}", "wb") as f:
        f.write(text.encode("utf-8"))
    assert list(read_lines(tmp_path / f"c.txt{suffix}")) == ["hola mundo", "adiós mundo"]


def test_directories_are_read_recursively_in_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.txt").write_text("uno dos\n", encoding="utf-8")
    (tmp_path / "b" / "c.txt").write_text("tres cuatro\n", encoding="utf-8")
    corpus = Corpus([tmp_path], tokenizer="whitespace")
    assert list(corpus) == [["uno", "dos"], ["tres", "cuatro"]]
    assert list(corpus) == list(corpus)  # re-iterable


def test_whitespace_tokenizer_keeps_tokens_as_given(tmp_path):
    p = tmp_path / "pre.txt"
    p.write_text("Hola , Mundo\n\nA b\n", encoding="utf-8")
    assert list(Corpus([p], tokenizer="whitespace")) == [["Hola", ",", "Mundo"], ["A", "b"]]


def test_spanish_tokenizer_splits_at_blank_lines_and_sentence_ends(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("Era un día\nde sol. Luego llovió\n\nOtro párrafo\n", encoding="utf-8")
    assert list(Corpus([p])) == [["era", "un", "día", "de", "sol"], ["luego", "llovió"], ["otro", "párrafo"]]


def test_notebook_tokenizer_skips_28_lines(tmp_path):
    p = tmp_path / "nb.txt"
    p.write_text("".join(f"cabecera {i}\n" for i in range(28)) + "día, día\n", encoding="utf-8")
    assert list(Corpus([p], tokenizer="notebook")) == [["día,", "día"]]


def test_long_sentences_are_split(tmp_path):
    p = tmp_path / "long.txt"
    p.write_text(" ".join(["palabra"] * 25) + "\n", encoding="utf-8")
    sents = list(Corpus([p], tokenizer="whitespace", max_sentence_length=10))
    assert [len(s) for s in sents] == [10, 10, 5]


def test_huge_line_is_read_in_bounded_pieces(tmp_path, monkeypatch):
    import palabra2vec.text.reading as corpus

    monkeypatch.setattr(corpus, "MAX_LINE_CHARS", 64)
    p = tmp_path / "one-line.txt"
    words = [f"w{i}" for i in range(200)]
    p.write_text(" ".join(words), encoding="utf-8")
    pieces = list(read_lines(p))
    assert len(pieces) > 5 and max(map(len, pieces)) <= 64 + 8
    assert " ".join(pieces).split() == words  # cut at white space, nothing lost


def test_latin1_file_is_detected(tmp_path, caplog):
    p = tmp_path / "latin1.txt"
    p.write_bytes("año señor\n".encode("latin-1"))
    assert list(read_lines(p)) == ["año señor"]
    assert "Latin-1" in caplog.text


def test_missing_and_binary_files_are_clear_errors(tmp_path):
    with pytest.raises(Palabra2vecError, match="no such file"):
        Corpus([tmp_path / "nope.txt"])
    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100))
    with pytest.raises(Palabra2vecError, match="binary"):
        list(Corpus([png]))
    with pytest.raises(UsageError):
        Corpus([tmp_path], tokenizer="bogus")
