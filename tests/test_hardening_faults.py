"""Issue 16, continued: faults that gave tracebacks get one clear line; hostile files and
servers stay bounded in memory and time."""

from __future__ import annotations

import errno
import gzip
import http.server
import json
import os
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from palabra2vec.errors import Palabra2vecError
from palabra2vec.text.encoded import encode_corpus
from palabra2vec.vectors.formats import read_word2vec, save_word2vec_format
from test_hardening import FAST, ROOT, _python, model_dir, run  # noqa: F401  (model_dir: a fixture)


# -- tracebacks become one clear line -------------------------------------------------------------

def test_no_writable_numba_cache_falls_back_to_no_cache():
    code = ("import numba.core.caching as c\n"
            "c.CacheImpl._locator_classes = []  # what a read-only package dir and $HOME leave\n"
            "from palabra2vec.training import fast, jit\n"
            "import numpy as np\n"
            "print(fast._below(fast._next(np.uint64(7))[1], 10) < 10, 'train_chunk' in jit._NO_CACHE)")
    p = _python(code)
    assert p.communicate(timeout=120)[0].strip() == "True True" and p.returncode == 0


def test_full_disk_during_training_is_one_line(tmp_path, tiny_corpus, monkeypatch, capsys):
    import safetensors.numpy
    from safetensors import SafetensorError

    def full(*a, **k):
        raise SafetensorError('Error while serializing: IoError(Os { code: 28, kind: StorageFull, '
                              'message: "No space left on device" })')

    monkeypatch.setattr(safetensors.numpy, "save_file", full)
    out = tmp_path / "m"
    # (under a minute: a checkpoint at every epoch end, so the disk fills while training)
    assert run(["train", tiny_corpus, "-o", out, *FAST, "--min-count", "1", "--checkpoint-every", "30s"], capsys) == (
        1, f"palabra2vec: error: cannot write the checkpoint in {out}: No space left on device")
    monkeypatch.undo()
    out.mkdir(exist_ok=True)
    (out / "training_log.csv").symlink_to("/dev/full")  # every write of the log fails
    assert run(["train", tiny_corpus, "-o", out, *FAST, "--min-count", "1", "--overwrite"], capsys) == (
        1, f"palabra2vec: error: cannot write the training log {out / 'training_log.csv'}: No space left on device")


def test_damaged_inputs_each_get_their_own_line(tmp_path, tiny_corpus, model_dir, monkeypatch, capsys):
    gz = tmp_path / "c.txt.gz"
    data = bytearray(gzip.compress(("el caballero y el escudero. " * 5000).encode()))
    data[len(data) // 2: len(data) // 2 + 8] = b"\xff" * 8
    gz.write_bytes(bytes(data))
    code, err = run(["train", gz, "-o", tmp_path / "m1", *FAST], capsys)
    assert code == 1 and err.startswith(f"palabra2vec: error: cannot read {gz}: ")
    assert run(["train", tiny_corpus, "--encoding", "base64", "-o", tmp_path / "m2", *FAST], capsys) == (
        2, "palabra2vec: error: 'base64' is not a text encoding (try utf-8, latin-1, cp1252)")
    meta = json.loads((model_dir / "config.json").read_text())
    meta["config"]["window"] = "five"
    (model_dir / "config.json").write_text(json.dumps(meta))
    code, err = run(["similar", model_dir, "que"], capsys)
    assert code == 1 and err.startswith(f"palabra2vec: error: {model_dir / 'config.json'} is damaged: bad config (")
    assert run(["plot", "lengths", tiny_corpus, "--dpi", "100000", "-o", tmp_path / "l.png"], capsys) == (
        2, "palabra2vec: error: dpi 100000 is out of range (10..1000)")
    full_tmp = tmp_path / "not-a-dir"
    full_tmp.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(full_tmp))
    code, err = run(["train", tiny_corpus, "-o", tmp_path / "m3", *FAST], capsys)
    assert code == 1 and err == (f"palabra2vec: error: cannot write the encoded corpus into {full_tmp}: Not a "
                                 "directory (set TMPDIR to a directory with room)")
    monkeypatch.undo()

    def read_only(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / "ro"))

    monkeypatch.setattr(os, "mkdir", read_only)
    assert run(["train", tiny_corpus, "-o", tmp_path / "ro", *FAST], capsys) == (
        1, f"palabra2vec: error: Read-only file system: {tmp_path / 'ro'}")


def test_leftovers_of_killed_runs_are_cleaned_by_the_next_run(tmp_path, tiny_corpus, capsys):
    work = tmp_path / "tmpdir"
    work.mkdir()
    # a run killed while encoding: its work directory and lock file stay, its OS lock is gone
    killed = _python("import sys, time\nfrom palabra2vec.text.encoded import encode_corpus\n"
                     "v, enc = encode_corpus([['a', 'b']], 1, sys.argv[1])\nprint(enc.path, flush=True)\n"
                     "time.sleep(60)", str(work))
    dead = Path(killed.stdout.readline().strip()).parent
    alive = _python("import sys, time\nfrom palabra2vec.text.encoded import encode_corpus\n"
                    "v, enc = encode_corpus([['a', 'b']], 1, sys.argv[1])\nprint(enc.path, flush=True)\n"
                    "time.sleep(60)", str(work))
    busy = Path(alive.stdout.readline().strip()).parent
    killed.kill()
    killed.wait()
    out = tmp_path / "m"
    out.mkdir()
    (out / ".model.safetensors.abc123.tmp").write_bytes(b"half a file")
    (out / ".palabra2vec.lock").write_text("pid 1 (killed)")
    try:
        _, enc = encode_corpus([["x"]], 1, work)
        enc.close()
        assert not dead.exists() and busy.exists()  # the living run's directory is kept
        assert run(["train", tiny_corpus, "-o", out, *FAST, "--overwrite"], capsys)[0] == 0
        assert sorted(p.name for p in out.iterdir()) == ["config.json", "history.json", "model.safetensors",
                                                         "training_log.csv", "vocab.tsv"]
    finally:
        alive.kill()
        alive.wait()


class _Trickle(http.server.BaseHTTPRequestHandler):
    mode = "trickle"

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        if self.mode == "chunked":  # a chunked body cut in the middle of a chunk
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"10000\r\n" + b"x" * 1000)
            self.wfile.flush()
            return
        self.send_header("Content-Length", "2000000")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("mode,reason", [("trickle", "took more than 1s (10 bytes received)"),
                                         ("chunked", "IncompleteRead")])
def test_a_slow_or_cut_download_fails_in_time(monkeypatch, capsys, tmp_path, mode, reason):
    handler = type("H", (_Trickle,), {"mode": mode})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("PALABRA2VEC_QUIJOTE_URL", f"http://127.0.0.1:{httpd.server_address[1]}/2000-0.txt")
        monkeypatch.setenv("PALABRA2VEC_DOWNLOAD_DEADLINE", "1")
        t0 = time.monotonic()
        code, err = run(["train", "-o", tmp_path / "m", *FAST], capsys)
        assert time.monotonic() - t0 < 8
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert code == 1 and err.startswith("palabra2vec: error: could not download Don Quijote (")
    assert reason in err.replace("11 bytes", "10 bytes").replace("9 bytes", "10 bytes")


# -- memory bounds on hostile vector files ---------------------------------------------------------

def test_a_compressed_vector_file_cannot_inflate_without_bound(tmp_path):
    p = tmp_path / "bomb.txt.gz"
    with gzip.open(p, "wb") as f:
        f.write(b"2 3\nuno 1 2 3\ndos 4 5 6\n")
        block = b" " * (1 << 20)
        for _ in range(200):  # 200 MB of spaces after the rows
            f.write(block)
    tracemalloc.start()
    try:
        with pytest.raises(Palabra2vecError, match="more data than the 2 vectors of 3 dimensions the header announces"):
            read_word2vec(p)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.1f} MB"


@pytest.mark.parametrize("binary", [True, False])
def test_long_words_are_written_and_read_back(tmp_path, binary):
    words = ["a" * 20_000, "ñ" * 6_000, "b"]
    vectors = np.arange(6, dtype=np.float32).reshape(3, 2)
    save_word2vec_format(tmp_path / "v", words, vectors, binary=binary)
    raw = read_word2vec(tmp_path / "v")
    assert raw.words == words and np.array_equal(raw.vectors, vectors)
