"""Bad input never crashes: one line on stderr, exit code 2 (usage) or 1 (runtime), no traceback."""

from __future__ import annotations

import errno
import http.server
import json
import logging
import os
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from palabra2vec import TrainConfig
from palabra2vec.cli.main import main
from palabra2vec.text.corpus import Corpus
from palabra2vec.errors import Palabra2vecError
from palabra2vec.storage import load_model
from palabra2vec.word2vec import Word2Vec

FAST = ["-q", "--epochs", "1", "--vector-size", "8", "--threads", "1"]


def run(argv, capsys) -> tuple[int, str]:
    """Exit code and stderr of ``palabra2vec ARGV``; stderr must be one line, no traceback."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert err.count("\n") == 0, err
    return code, err


@pytest.fixture
def model_dir(tmp_path, tiny_corpus) -> Path:
    out = tmp_path / "model"
    Word2Vec.train(tiny_corpus, TrainConfig(min_count=1, epochs=1, vector_size=8, threads=1), progress=False).save(out)
    return out


# -- corpora ---------------------------------------------------------------------------------

def test_missing_file_and_directory(tmp_path, capsys):
    assert run(["train", tmp_path / "nope.txt", "-o", tmp_path / "m", *FAST], capsys) == (
        1, f"palabra2vec: error: no such file or directory: {tmp_path / 'nope.txt'}")
    (tmp_path / "empty_dir").mkdir()
    assert run(["train", tmp_path / "empty_dir", "-o", tmp_path / "m", *FAST], capsys) == (
        1, f"palabra2vec: error: directory {tmp_path / 'empty_dir'} holds no files")
    assert not list((tmp_path / "m").glob("*"))  # nothing that would block a second try


def test_empty_corpus(tmp_path, capsys):
    (tmp_path / "e.txt").write_text("\n\n  \n")
    assert run(["train", tmp_path / "e.txt", "-o", tmp_path / "m", *FAST], capsys) == (
        1, "palabra2vec: error: the corpus is empty: no words found")


def test_vocabulary_empty_after_min_count(tmp_path, capsys):
    (tmp_path / "few.txt").write_text("uno dos tres cuatro\n")
    code, err = run(["train", tmp_path / "few.txt", "-o", tmp_path / "m", *FAST], capsys)
    assert code == 1
    assert err == "palabra2vec: error: no word occurs at least min_count=5 times (4 distinct words, the most frequent 1 times)"


def test_binary_file_as_corpus(tmp_path, capsys):
    png = tmp_path / "image.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert run(["train", png, "-o", tmp_path / "m", *FAST], capsys) == (
        1, f"palabra2vec: error: {png} looks like a binary file, not text")


def test_latin1_is_read_with_one_warning(tmp_path, caplog):
    p = tmp_path / "latin1.txt"
    p.write_bytes("El niño y la niña. El niño come.\n".encode("latin-1") * 3)
    with caplog.at_level(logging.WARNING, logger="palabra2vec"):
        sentences = list(Corpus([p]))
    assert sentences[0] == ["el", "niño", "y", "la", "niña"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"{p} is not UTF-8 (9 of 9 non-ASCII bytes are not valid UTF-8); reading it as Latin-1 "
                        "(use --encoding to choose)"]


def test_mixed_encodings_keep_utf8_and_replace_the_rest_with_one_warning(tmp_path, caplog):
    p = tmp_path / "mixed.txt"
    p.write_bytes("el niño come\n".encode("utf-8") + "la niña bebe\n".encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="palabra2vec"):
        sentences = list(Corpus([p]))
    assert sentences == [["el", "niño", "come", "la", "ni", "a", "bebe"]]  # \ufffd is not a letter
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"{p}: 1 undecodable byte sequences replaced (use --encoding to choose)"]


def test_encoding_option(tmp_path, capsys):
    p = tmp_path / "latin1.txt"
    p.write_bytes("niño niña\n".encode("latin-1"))
    assert list(Corpus([p], encoding="latin-1")) == [["niño", "niña"]]
    assert run(["train", p, "--encoding", "klingon", "-o", tmp_path / "m", *FAST], capsys) == (
        2, "palabra2vec: error: unknown encoding 'klingon' (try utf-8, latin-1, cp1252)")


@pytest.mark.parametrize("tokenizer", ["spanish", "whitespace"])
def test_huge_single_line_memory_is_bounded(tmp_path, tokenizer):
    """A 4 MB line without a newline or a sentence end: sentences come out capped at
    max_sentence_length and peak memory stays far below what holding the line's tokens takes."""
    p = tmp_path / "one_line.txt"
    rng = np.random.default_rng(0)
    words = np.array(["casa", "perro", "gato", "sol", "mar", "luna", "árbol", "río"])
    text = " ".join(words[rng.integers(0, len(words), 800_000)])  # ~4 MB, 800k tokens
    p.write_text(text, encoding="utf-8")
    n_tokens = 0
    tracemalloc.start()
    try:
        for s in Corpus([p], tokenizer=tokenizer, max_sentence_length=1000):
            assert 1 <= len(s) <= 1000
            n_tokens += len(s)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n_tokens == 800_000
    # what an unbounded reader costs: the whole line and all its tokens at once
    tracemalloc.start()
    try:
        tokens = p.read_text(encoding="utf-8").split()
        _, unbounded = tracemalloc.get_traced_memory()
        del tokens
    finally:
        tracemalloc.stop()
    # reading in 1 MB pieces keeps ~1 MB of text and its ~200k tokens (measured: ~30 of ~55 MB;
    # an unbounded reader holds all of that and the line too, so its peak is above `unbounded`);
    # the peak stays the same for longer lines (checked by hand up to 32 MB: under 60 MB)
    assert peak < 0.8 * unbounded, f"peak {peak / 2**20:.1f} MB, unbounded {unbounded / 2**20:.1f} MB"


# -- hyperparameters and arguments ---------------------------------------------------------

@pytest.mark.parametrize("flag,value,message", [
    ("--vector-size", "-5", "vector size must be between 1 and 10000"),
    ("--window", "0", "window must be between 1 and 1000"),
    ("--sample", "-1", "sample must be in [0, 1)"),
    ("--epochs", "0", "epochs must be between 1 and 10000"),
    ("--negative", "-3", "negative must be between 0 and 1000"),
    ("--min-count", "0", "min count must be at least 1"),
    ("--alpha", "-0.1", "alpha (learning rate) must be in (0, 10]"),
    ("--batch-size", "100000000000", "batch size must be between 1 and 1000000"),
    ("--threads", "0", "threads must be between 1 and 1024"),
    ("--checkpoint-every", "5x", "bad duration '5x': use a number with s, m or h, like 30s, 5m, 1h"),
    ("--vector-size", "abc", "argument --vector-size: expected a whole number, got 'abc' (see 'palabra2vec train --help')"),
])
def test_absurd_hyperparameters(tmp_path, tiny_corpus, capsys, flag, value, message):
    code, err = run(["train", tiny_corpus, "-o", tmp_path / "m", *FAST, flag, value], capsys)
    assert (code, err) == (2, f"palabra2vec: error: {message}")
    assert not (tmp_path / "m").exists()


# -- models ----------------------------------------------------------------------------------

def test_unknown_query_word(model_dir, capsys):
    code, err = run(["similar", model_dir, "zzzzzz"], capsys)
    assert code == 2 and err.startswith("palabra2vec: error: word 'zzzzzz' is not in the vocabulary")


def test_missing_model_directory(tmp_path, capsys):
    code, err = run(["similar", tmp_path / "nothing", "día"], capsys)
    assert code == 1 and str(tmp_path / "nothing") in err


def test_truncated_tables(model_dir, capsys):
    p = model_dir / "model.safetensors"
    os.truncate(p, p.stat().st_size // 2)
    code, err = run(["similar", model_dir, "caballero"], capsys)
    assert code == 1
    assert err.startswith(f"palabra2vec: error: {p} is damaged or truncated")


def test_garbled_config(model_dir, capsys):
    (model_dir / "config.json").write_text('{"format": "palabra2vec", "format_ver')
    code, err = run(["similar", model_dir, "caballero"], capsys)
    assert code == 1 and err.startswith(f"palabra2vec: error: {model_dir / 'config.json'} is damaged")
    (model_dir / "config.json").write_text(json.dumps({"format": "palabra2vec", "format_version": 99}))
    code, err = run(["similar", model_dir, "caballero"], capsys)
    assert (code, err) == (1, f"palabra2vec: error: {model_dir} has model format version 99; this palabra2vec reads 1, 2, 3")


def test_vocabulary_and_tables_disagree(model_dir, capsys):
    (model_dir / "vocab.tsv").write_text("caballero\t5\n")
    code, err = run(["similar", model_dir, "caballero"], capsys)
    assert code == 1 and "vectors but 1 vocabulary words" in err


# -- saving on a full disk -------------------------------------------------------------------

def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_while_saving_keeps_the_previous_model(model_dir, tiny_corpus, monkeypatch):
    before = load_model(model_dir)
    files_before = sorted(os.listdir(model_dir))
    other = Word2Vec.train(tiny_corpus, TrainConfig(min_count=1, epochs=1, vector_size=8, threads=1, seed=7), progress=False)
    monkeypatch.setattr(os, "fsync", _enospc)  # every write fails when it is flushed to disk
    with pytest.raises(Palabra2vecError, match="No space left on device"):
        other.save(model_dir)
    monkeypatch.undo()
    after = load_model(model_dir)
    assert np.array_equal(after.tables["input"], before.tables["input"])
    assert after.vocab.index_to_key == before.vocab.index_to_key
    assert sorted(os.listdir(model_dir)) == files_before  # no temporary files left behind


def test_full_disk_during_cli_training(model_dir, tiny_corpus, monkeypatch, capsys):
    before = load_model(model_dir)
    monkeypatch.setattr(os, "fsync", _enospc)
    # --checkpoint-every under a minute: a checkpoint at every epoch end, so the disk fills in training
    code, err = run(["train", tiny_corpus, "-o", model_dir, "--overwrite", "--min-count", "1", *FAST,
                     "--checkpoint-every", "30s"], capsys)
    monkeypatch.undo()
    assert code == 1
    assert err == f"palabra2vec: error: cannot write the checkpoint in {model_dir}: No space left on device"
    assert np.array_equal(load_model(model_dir).tables["input"], before.tables["input"])
    # by default a short run writes no checkpoint: the disk is full when the model is saved
    monkeypatch.setattr(os, "fsync", _enospc)
    code, err = run(["train", tiny_corpus, "-o", model_dir, "--overwrite", "--min-count", "1", *FAST], capsys)
    monkeypatch.undo()
    assert code == 1
    assert err == f"palabra2vec: error: cannot save the model to {model_dir}: No space left on device"
    assert np.array_equal(load_model(model_dir).tables["input"], before.tables["input"])


# -- downloads -------------------------------------------------------------------------------

class _Server:
    """A local HTTP server on 127.0.0.1 answering every GET with one canned response."""

    def __init__(self, status: int, body: bytes, content_length: int | None = None,
                 content_type: str = "text/plain") -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits += 1
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(content_length if content_length is not None else len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on an error status without reading the body
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.hits = 0
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/2000-0.txt"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "_Server":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _cache_is_empty() -> bool:
    cache = Path(os.environ["PALABRA2VEC_CACHE"])
    return not cache.exists() or not any(cache.iterdir())


@pytest.mark.parametrize("case", ["halfway", "html", "error_page"])
def test_bad_download_is_never_cached(tmp_path, monkeypatch, capsys, case):
    book = b"*** START OF THE PROJECT GUTENBERG EBOOK DON QUIJOTE ***\n" + b"En un lugar de la Mancha. " * 80_000
    html = b"<!DOCTYPE html><html><body>Service unavailable</body></html>\n" * 30_000
    server = {
        "halfway": lambda: _Server(200, book[: len(book) // 2], content_length=len(book)),
        "html": lambda: _Server(200, html, content_type="text/html"),
        "error_page": lambda: _Server(503, html, content_type="text/html"),
    }[case]()
    with server:
        monkeypatch.setenv("PALABRA2VEC_QUIJOTE_URL", server.url)
        code, err = run(["train", "-o", tmp_path / "m", *FAST], capsys)
    assert server.hits == 1
    assert code == 1
    assert err.startswith(f"palabra2vec: error: could not download Don Quijote ({server.url}: ")
    assert err.endswith("offline? put pg2000.txt in a directory and pass --data-dir DIR or set PALABRA2VEC_DATA")
    reason = {"halfway": "stopped after", "html": "web page", "error_page": "Service Unavailable"}[case]
    assert reason in err
    assert _cache_is_empty()
