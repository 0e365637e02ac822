"""Issue 16: no silent losses, no NaN models, bounded memory on hostile files.

One test per class of fault, each against the mechanism that fixes it at its root."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palabra2vec import TrainConfig
from palabra2vec.cli.main import main
from palabra2vec.errors import Palabra2vecError
from palabra2vec.locking import LOCK_NAME
from palabra2vec.fileio import write_tables
from palabra2vec.storage import load_model
from palabra2vec.text.corpus import Corpus, read_lines, strip_gutenberg
from palabra2vec.text.vocab import Vocab
from palabra2vec.training.checkpoint import Checkpointer, read_checkpoint
from palabra2vec.training.guards import DivergenceError
from palabra2vec.vectors.formats import save_word2vec_format
from palabra2vec.word2vec import Word2Vec
from test_checkpoint import _sentences, _StopAt

FAST = ["-q", "--epochs", "1", "--vector-size", "8", "--threads", "1", "--no-plot"]
ROOT = Path(__file__).resolve().parent.parent


def run(argv, capsys) -> tuple[int, str]:
    """Exit code and stderr of ``palabra2vec ARGV``: one line, no traceback."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert err.count("\n") == 0, err
    return code, err


@pytest.fixture
def model_dir(tmp_path, tiny_corpus) -> Path:
    out = tmp_path / "model"
    Word2Vec.train(tiny_corpus, TrainConfig(min_count=1, epochs=1, vector_size=8, threads=1), progress=False).save(out)
    return out


def _python(code: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, env=env)


# -- 1. one run at a time in a model directory ---------------------------------------------------

def test_a_model_directory_in_use_is_refused_and_a_killed_holder_frees_it(tmp_path, tiny_corpus, capsys):
    out = tmp_path / "out"
    holder = _python("import sys, time\nfrom palabra2vec.locking import DirectoryLock\n"
                     "DirectoryLock(sys.argv[1], 'palabra2vec train --output out').acquire()\n"
                     "print('locked', flush=True)\ntime.sleep(60)", str(out))
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, err = run(["train", tiny_corpus, "-o", out, *FAST, "--min-count", "1"], capsys)
        assert code == 1
        assert err.startswith(f"palabra2vec: error: {out} is in use by palabra2vec train --output out "
                              f"(pid {holder.pid} on {socket.gethostname()}, started ")
        assert not (out / "model.safetensors").exists()
    finally:
        holder.kill()  # kill -9: the lock file stays, the OS lock goes with the process
        holder.wait()
    assert (out / LOCK_NAME).exists()
    assert run(["train", tiny_corpus, "-o", out, *FAST, "--min-count", "1"], capsys)[0] == 0
    assert load_model(out).vocab and not (out / LOCK_NAME).exists()


# -- 2. divergence: never a NaN model ------------------------------------------------------------

def test_divergence_stops_training_keeps_the_checkpoint_and_saves_no_model(tmp_path):
    sents = _sentences()
    cfg = TrainConfig(min_count=1, epochs=3, vector_size=16, threads=1, chunk_words=1024, alpha=3.0)
    ck = tmp_path / "ck"
    with pytest.raises(DivergenceError, match=r"training diverged \(epoch 1, work item \d+\): \d+ rows of the "
                                              r"input table are NaN or infinite; .* smaller --alpha \(e\.g\. 0\.3\)"):
        Word2Vec.train(sents, cfg, callbacks=[Checkpointer(ck, every=1e-9)], progress=False)
    tensors, _ = read_checkpoint(ck)  # the last checkpoint written is a good one
    assert np.isfinite(tensors["input"]).all() and np.isfinite(tensors["output"]).all()


def test_non_finite_or_non_float_tables_are_refused_on_save_and_on_load(model_dir, tmp_path, capsys):
    m = Word2Vec.load(model_dir)
    m.input[3, 1] = np.nan
    with pytest.raises(Palabra2vecError, match=r"refusing to save the model to .*: table 'input' holds NaN or "
                                               r"infinite values \(1 of \d+ rows\)"):
        m.save(tmp_path / "nan-model")
    bad = {"input": m.input, "output": m.output}  # written behind save_model's back
    write_tables(str(model_dir / "model.safetensors"), bad, {"format": "palabra2vec", "format_version": "1"})
    for argv in (["similar", model_dir, "que"], ["plot", "words", model_dir, "-o", tmp_path / "w.png"]):
        code, err = run(argv, capsys)
        assert (code, err) == (1, f"palabra2vec: error: {model_dir / 'model.safetensors'}: table 'input' holds NaN "
                                  f"or infinite values (1 of {len(m.vocab)} rows)")
    write_tables(str(model_dir / "model.safetensors"), {"input": np.zeros(m.input.shape, np.int32), "output": m.output},
                 {"format": "palabra2vec"})
    assert "table 'input' holds int32 values, not floats" in run(["similar", model_dir, "que"], capsys)[1]
    vec = tmp_path / "v.txt"
    vec.write_text("2 2\nuno 0.5 nan\ndos 1 inf\n")
    assert run(["similar", vec, "uno"], capsys) == (
        1, f"palabra2vec: error: {vec}: table 'vectors' holds NaN or infinite values (2 of 2 rows)")


# -- 3. checksums ------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["checkpoint", "model"])
def test_a_flipped_bit_in_any_table_is_the_damaged_error(tmp_path, which):
    sents = _sentences(4000)
    cfg = TrainConfig(min_count=1, epochs=2, vector_size=8, threads=1, chunk_words=1024)
    ck = tmp_path / "ck"
    m = Word2Vec.train(sents, cfg, callbacks=[Checkpointer(ck, every=1e9), _StopAt(2, 1)], progress=False)
    m.save(tmp_path / "model")
    path = ck / "checkpoint.safetensors" if which == "checkpoint" else tmp_path / "model" / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x04  # one bit of the last table's last value: still a valid float
    path.write_bytes(bytes(data))
    with pytest.raises(Palabra2vecError, match=r"is damaged or truncated: table '\w+' does not match its checksum"):
        read_checkpoint(ck) if which == "checkpoint" else load_model(tmp_path / "model")


# -- 4. export never destroys what it should not -----------------------------------------------

def test_export_refuses_the_model_itself_existing_files_and_special_files(model_dir, tmp_path, capsys):
    before = {p.name: p.read_bytes() for p in model_dir.iterdir()}
    x = ["export", model_dir, "--format", "word2vec-text", "-o"]
    assert run([*x, model_dir / "vocab.tsv", "--overwrite"], capsys) == (
        2, f"palabra2vec: error: -o {model_dir / 'vocab.tsv'} is inside the model {model_dir} being exported; "
           "choose a path outside it")
    assert {p.name: p.read_bytes() for p in model_dir.iterdir()} == before
    out = tmp_path / "v.txt"
    assert run([*x, out], capsys)[0] == 0
    assert run([*x, out], capsys) == (
        2, f"palabra2vec: error: {out} already exists; choose another -o or pass --overwrite")
    assert run([*x, out, "--overwrite"], capsys)[0] == 0
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(out)
    for special in ("fifo", "link"):
        assert run([*x, tmp_path / special, "--overwrite"], capsys) == (
            2, f"palabra2vec: error: {tmp_path / special} is not a regular file; palabra2vec replaces only "
               "regular files")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode) and (tmp_path / "link").is_symlink()
    with pytest.raises(Palabra2vecError, match="is a symbolic link, not a regular file"):  # the library too
        save_word2vec_format(tmp_path / "link", ["a"], np.zeros((1, 2), np.float32))


# -- 5. resuming with another thread count trains every word once -------------------------------

def test_resume_with_other_threads_trains_every_word_and_ends_the_schedule(tmp_path):
    sents = _sentences(100_000)
    n_words = sum(map(len, sents))
    cfg = TrainConfig(min_count=1, epochs=2, vector_size=8, threads=1, chunk_words=1024)
    Word2Vec.train(sents, cfg, callbacks=[Checkpointer(tmp_path, every=1e9), _StopAt(1, 5)], progress=False)
    _, meta = read_checkpoint(tmp_path)
    assert meta["position"]["item_words"] == 1024 and meta["position"]["item"] == 5

    class Last:
        def on_train_end(self, state):
            self.state = state

    last = Last()
    cfg2 = TrainConfig(**dict(cfg.to_dict(), threads=2))  # items of n_words / 32 = 3,125 words now
    Word2Vec.train(sents, cfg2, callbacks=[last], progress=False, resume_from=tmp_path)
    assert last.state.words_done == 2 * n_words
    assert last.state.alpha == pytest.approx(cfg.min_alpha)


# -- 6. several Gutenberg books in one file ------------------------------------------------------

def test_every_gutenberg_book_of_a_file_is_read(tmp_path, caplog):
    def book(n: int, words: str) -> str:
        return (f"The Project Gutenberg eBook {n}\nlicence\n*** START OF THE PROJECT GUTENBERG EBOOK {n} ***\n"
                f"{words}\n*** END OF THE PROJECT GUTENBERG EBOOK {n} ***\nlicencia final\nmás licencia\n")

    p = tmp_path / "books.txt"
    p.write_text(book(1, "uno dos.") + book(2, "tres cuatro.") + book(3, "cinco."), encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="palabra2vec"):
        assert list(Corpus([p])) == [["uno", "dos"], ["tres", "cuatro"], ["cinco"]]
    assert f"{p}: 3 Project Gutenberg book(s); 18 lines of header and footer dropped" in caplog.messages


def test_the_start_marker_is_looked_for_in_a_bounded_prefix(tmp_path):
    """24 MB of text without newlines: the search for the START marker holds one 1 MB piece,
    not every piece (the old search held up to 600: measured 9.3 MB peak on 8 MB, here ~5 MB)."""
    p = tmp_path / "one_line.txt"
    p.write_text("palabra " * 3_000_000, encoding="utf-8")
    tracemalloc.start()
    try:
        n = sum(len(piece) for piece in strip_gutenberg(read_lines(p)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 24_000_000  # every character comes through, in pieces cut at spaces
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MB"


# -- 7. encoding decided on the whole stream ---------------------------------------------------

def test_one_stray_latin1_byte_does_not_make_a_utf8_file_latin1(tmp_path, caplog):
    p = tmp_path / "mostly_utf8.txt"
    p.write_bytes(b"caf\xe9 solo.\n" + "El señor y la niña.\n".encode("utf-8") * 20_000)  # the byte in the first 64 KB
    with caplog.at_level(logging.WARNING, logger="palabra2vec"):
        sentences = list(Corpus([p]))
    assert sentences[0] == ["caf", "solo"] and sentences[1] == ["el", "señor", "y", "la", "niña"]
    assert caplog.messages == [f"{p}: 1 undecodable byte sequences replaced (use --encoding to choose)"]


# -- 8. every word the trainer accepts survives save and load ------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab\\\t\n\r \x0b\x1c\u2028ñ")) | st.characters(exclude_categories=("Cs",)),
                        max_size=6), min_size=1, max_size=8, unique=True))
def test_any_word_round_trips_through_a_saved_model(words):
    with tempfile.TemporaryDirectory() as d:
        m = Word2Vec(TrainConfig(vector_size=3), Vocab(words, list(range(len(words), 0, -1))),
                     {"input": np.ones((len(words), 3), np.float32), "output": np.zeros((len(words), 3), np.float32)})
        m.save(d)
        assert Word2Vec.load(d).vocab.index_to_key == words


def test_a_word_that_is_not_valid_unicode_is_refused_clearly(tmp_path):
    m = Word2Vec(TrainConfig(vector_size=3), Vocab(["ok", "\ud800"], [2, 1]),
                 {"input": np.ones((2, 3), np.float32), "output": np.zeros((2, 3), np.float32)})
    with pytest.raises(Palabra2vecError, match="not valid Unicode"):
        m.save(tmp_path / "m")
    assert not (tmp_path / "m" / "model.safetensors").exists()


def test_vocab_files_of_earlier_versions_and_damaged_ones(model_dir, capsys):
    cfg = json.loads((model_dir / "config.json").read_text())
    del cfg["vocab_escaped"]  # a model saved before escaping: words are read raw
    (model_dir / "config.json").write_text(json.dumps(cfg))
    vocab = (model_dir / "vocab.tsv").read_text(encoding="utf-8")
    (model_dir / "vocab.tsv").write_text("a\\b" + vocab[vocab.index("\t"):], encoding="utf-8")
    assert load_model(model_dir).vocab.index_to_key[0] == "a\\b"
    (model_dir / "vocab.tsv").write_text("\ufeff" + vocab, encoding="utf-8")  # a BOM is skipped
    assert load_model(model_dir).vocab.index_to_key[0] == vocab.split("\t")[0]
    first = vocab.split("\t")[0]
    (model_dir / "vocab.tsv").write_text(vocab.replace(f"{first}\t", f"{first}\t99999999999999999999999", 1))
    code, err = run(["similar", model_dir, "que"], capsys)
    assert (code, err) == (1, f"palabra2vec: error: {model_dir / 'vocab.tsv'}:1: count 99999999999999999999999"
                              f"{vocab.split(chr(9))[1].split(chr(10))[0]} is too large")


# -- 9. files follow the umask -------------------------------------------------------------------

@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(tmp_path, model_dir, umask, mode):
    old = os.umask(umask)
    try:
        Word2Vec.load(model_dir).save(tmp_path / "copy")
        save_word2vec_format(tmp_path / "v.bin", ["a"], np.zeros((1, 2), np.float32), binary=True)
    finally:
        os.umask(old)
    for p in [*(tmp_path / "copy").iterdir(), tmp_path / "v.bin"]:
        assert stat.S_IMODE(p.stat().st_mode) == mode, p


def test_non_finite_rows_counts_bad_rows_and_ignores_a_sum_that_merely_overflows():
    """The guard's one-pass check sums in float32: a NaN or inf row must be counted, and huge
    but finite values (whose sum overflows to inf) must not be taken for divergence."""
    import numpy as np

    from palabra2vec.training.guards import non_finite_rows

    t = np.zeros((50, 8), np.float32)
    assert non_finite_rows(t) == 0
    t[3, 2], t[7, 0], t[7, 5] = np.nan, np.inf, -np.inf
    assert non_finite_rows(t) == 2
    huge = np.full((50, 8), 3e38, np.float32)
    with np.errstate(over="ignore"):
        assert np.isinf(huge.sum())
    assert non_finite_rows(huge) == 0
