"""Checkpoints and resume: a stopped or killed run continues to the same vectors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

from palabra2vec import TrainConfig
from palabra2vec.training.checkpoint import CHECKPOINT, Checkpointer, parse_duration, read_checkpoint
from palabra2vec.errors import Palabra2vecError, UsageError
from palabra2vec.storage import load_model
from palabra2vec.word2vec import Word2Vec


def _sentences(n_words: int = 16000, vocab: int = 300, seed: int = 0) -> list[list[str]]:
    """Zipf-distributed random sentences of 3..29 tokens (deterministic)."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab)]
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    out, total = [], 0
    while total < n_words:
        s = list(rng.choice(words, size=int(rng.integers(3, 30)), p=p))
        out.append(s)
        total += len(s)
    return out


def test_parse_duration():
    assert parse_duration("30s") == 30.0
    assert parse_duration("5m") == 300.0
    assert parse_duration("1h") == 3600.0
    assert parse_duration("0.2s") == pytest.approx(0.2)
    assert parse_duration("45") == 45.0
    for bad in ("", "5x", "-1s", "0s", "m", "1e3s"):
        with pytest.raises(UsageError):
            parse_duration(bad)


class _StopAt:
    def __init__(self, epoch: int, item: int) -> None:
        self.epoch, self.item = epoch, item

    def on_chunk_end(self, st) -> None:
        if st.epoch == self.epoch and st.item == self.item:
            st.stop = True


@pytest.mark.parametrize("backend,optimizer,alpha,threads", [("fast", "sgd", 0.025, 1), ("fast", "sgd", 0.025, 2),
                                                             ("torch", "adam", 0.002, 1), ("torch", "sgd", 0.025, 1)])
def test_stop_mid_epoch_and_resume_is_exact(tmp_path, backend, optimizer, alpha, threads):
    """Stop at (epoch 2, item 3), resume from the checkpoint: bit-identical to one run. With 2
    threads the fast backend trains rounds of 2 items, so it stops after the round (item 4)."""
    sents = _sentences()
    cfg = TrainConfig(min_count=1, epochs=3, threads=threads, vector_size=16, chunk_words=1024,
                      backend=backend, optimizer=optimizer, alpha=alpha)
    full = Word2Vec.train(sents, cfg, progress=False)
    part = Word2Vec.train(sents, cfg, callbacks=[Checkpointer(tmp_path, every=1e9), _StopAt(2, 3)], progress=False)
    assert part.info["stopped_early"] and part.info["epochs_done"] == 1
    _, meta = read_checkpoint(tmp_path)
    assert (meta["position"]["epoch"], meta["position"]["item"]) == (2, 3 if threads == 1 else 4)
    assert not np.array_equal(part.input, full.input)
    resumed = Word2Vec.train(sents, cfg, progress=False, resume_from=tmp_path)
    assert np.array_equal(resumed.input, full.input)
    assert np.array_equal(resumed.output, full.output)
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in full.history]


def test_epoch_end_checkpoint_points_at_next_epoch(tmp_path):
    sents = _sentences(4000)
    cfg = TrainConfig(min_count=1, epochs=2, threads=1, vector_size=8, chunk_words=1024)
    Word2Vec.train(sents, cfg, callbacks=[Checkpointer(tmp_path, every=1e9, keep_when_done=True)], progress=False)
    tensors, meta = read_checkpoint(tmp_path)
    assert (meta["position"]["epoch"], meta["position"]["item"]) == (3, 0)
    assert [h["epoch"] for h in meta["history"]] == [1, 2]
    assert tensors["input"].shape == (meta["vocab_size"], 8)
    with safe_open(str(tmp_path / CHECKPOINT), "pt") as f:  # plain JSON metadata, no pickle
        assert json.loads(f.metadata()["config"])["vector_size"] == 8


def test_finished_run_leaves_no_checkpoint_but_a_stopped_one_does(tmp_path):
    """A finished run has nothing to resume: the Python Checkpointer removes its file, as
    the command line does (the CLI keeps it until the model is saved: keep_when_done)."""
    cfg = TrainConfig(min_count=1, epochs=2, threads=1, vector_size=8, chunk_words=1024)
    seen = []

    class Spy(Checkpointer):
        def on_epoch_end(self, st):
            super().on_epoch_end(st)
            seen.append((self.directory / CHECKPOINT).is_file())

    Word2Vec.train(_sentences(4000), cfg, callbacks=[Spy(tmp_path / "a", every=1e9)], progress=False)
    assert seen == [True, True] and not (tmp_path / "a" / CHECKPOINT).exists()
    Word2Vec.train(_sentences(4000), cfg, callbacks=[Checkpointer(tmp_path / "b", every=1e9), _StopAt(1, 1)],
                   progress=False)
    assert (tmp_path / "b" / CHECKPOINT).is_file()


def test_epoch_end_checkpoints_wait_for_epoch_end_after(tmp_path):
    """``epoch_end_after``: an epoch's end is checkpointed only when the last checkpoint (or
    the start) is that old; 0 (the Python default) checkpoints every epoch end."""
    cfg = TrainConfig(min_count=1, epochs=3, threads=1, vector_size=8, chunk_words=1024)
    every_end = Checkpointer(tmp_path / "a", every=1e9, keep_when_done=True)
    Word2Vec.train(_sentences(4000), cfg, callbacks=[every_end], progress=False)
    assert every_end.saved == 3
    patient = Checkpointer(tmp_path / "b", every=1e9, keep_when_done=True, epoch_end_after=3600.0)
    Word2Vec.train(_sentences(4000), cfg, callbacks=[patient], progress=False)
    assert patient.saved == 0 and not (tmp_path / "b" / CHECKPOINT).exists()
    stopped = Checkpointer(tmp_path / "c", every=1e9, epoch_end_after=3600.0)  # a stop still saves
    Word2Vec.train(_sentences(4000), cfg, callbacks=[stopped, _StopAt(2, 1)], progress=False)
    assert stopped.saved == 1 and (tmp_path / "c" / CHECKPOINT).is_file()


@pytest.mark.parametrize("every, want", [("5m", 60.0), ("1h", 60.0), ("30s", 0.0)])
def test_cli_checkpoints_epoch_ends_a_minute_apart(tmp_path, monkeypatch, every, want):
    """The command line skips epoch-end checkpoints less than a minute after the last one,
    unless --checkpoint-every asks for checkpoints more often than that."""
    import palabra2vec.training.checkpoint as ck
    from palabra2vec.cli import main

    made = []

    class Spy(ck.Checkpointer):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)

    monkeypatch.setattr(ck, "Checkpointer", Spy)
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(s) for s in _sentences(4000)) + "\n")
    assert main(["train", str(corpus), "-o", str(tmp_path / "m"), "-q", "--no-plot", "--epochs", "3",
                     "--min-count", "1", "--vector-size", "8", "--threads", "1", "--checkpoint-every", every]) in (0, None)
    assert len(made) == 1 and made[0].epoch_end_after == want
    assert made[0].saved == (3 if want == 0.0 else 0)  # the run takes well under a minute


def test_timed_checkpoint_with_threads_is_taken_when_quiescent(tmp_path):
    """With 2 threads the checkpoint waits for in-flight items: its position counts every
    word already in the tables (words_done is the sum of whole items)."""
    sents = _sentences(20000)
    cfg = TrainConfig(min_count=1, epochs=1, threads=2, vector_size=8, chunk_words=1024, backend="fast")
    seen = []

    class Spy(Checkpointer):
        def on_checkpoint(self, st):
            seen.append((st.item, st.words_done, self.trainer.in_flight))
            super().on_checkpoint(st)

    Word2Vec.train(sents, cfg, callbacks=[Spy(tmp_path, every=0.0)], progress=False)
    assert seen and all(in_flight == 0 for _, _, in_flight in seen)
    assert [i for i, _, _ in seen] == sorted(i for i, _, _ in seen)


def test_resume_refuses_another_corpus(tmp_path):
    cfg = TrainConfig(min_count=1, epochs=2, threads=1, vector_size=8, chunk_words=1024)
    Word2Vec.train(_sentences(4000), cfg, callbacks=[Checkpointer(tmp_path, every=1e9), _StopAt(1, 1)], progress=False)
    with pytest.raises(UsageError, match="different vocabulary"):
        Word2Vec.train(_sentences(4000, seed=1), cfg, progress=False, resume_from=tmp_path)


def test_damaged_checkpoint_is_a_clear_error(tmp_path):
    cfg = TrainConfig(min_count=1, epochs=1, threads=1, vector_size=8)
    Word2Vec.train(_sentences(2000), cfg, callbacks=[Checkpointer(tmp_path, keep_when_done=True)], progress=False)
    p = tmp_path / CHECKPOINT
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    with pytest.raises(Palabra2vecError, match="damaged or truncated"):
        read_checkpoint(tmp_path)
    with pytest.raises(Palabra2vecError, match="no checkpoint"):
        read_checkpoint(tmp_path / "nowhere")


# -- the command line: kill -9, SIGINT, --resume ------------------------------------------

# a checkpoint after nearly every work item (65,536 words), so most are mid-epoch
ARGS = ["--tokenizer", "whitespace", "--threads", "1", "--epochs", "6", "-q", "--vector-size", "64",
        "--min-count", "1", "--checkpoint-every", "0.01s"]


@pytest.fixture(scope="module")
def cli_corpus(tmp_path_factory) -> Path:
    """300,000 words: 5 work items per epoch, ~0.2 s per epoch on one thread."""
    p = tmp_path_factory.mktemp("ck") / "c.txt"
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(2000)])
    prob = 1.0 / np.arange(1, 2001)
    toks = words[rng.choice(2000, size=300_000, p=prob / prob.sum())]
    p.write_text("\n".join(" ".join(toks[i : i + 20]) for i in range(0, len(toks), 20)) + "\n")
    return p


@pytest.fixture(scope="module")
def uninterrupted(cli_corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("full") / "model"
    r = _cli(["train", str(cli_corpus), *ARGS, "-o", str(out)])
    assert r.returncode == 0, r.stderr
    assert not (out / CHECKPOINT).exists()  # a finished run leaves only the model
    return out


def _cli(argv, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "palabra2vec", *argv], capture_output=True, text=True, timeout=120, **kw)


def _position(d: Path) -> dict | None:
    try:
        with safe_open(str(d / CHECKPOINT), "pt") as f:
            return json.loads(f.metadata()["position"])
    except Exception:  # not there yet
        return None


def _start_and_wait_for_checkpoint(cli_corpus: Path, out: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "palabra2vec", "train", str(cli_corpus), *ARGS, "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        pos = _position(out)
        if pos and pos["item"] > 0:  # a mid-epoch checkpoint exists
            return proc
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"no mid-epoch checkpoint appeared (rc {proc.returncode}): {proc.communicate()[1][-500:]}")


def test_kill_9_then_resume_gives_the_uninterrupted_vectors(cli_corpus, uninterrupted, tmp_path):
    out = tmp_path / "model"
    proc = _start_and_wait_for_checkpoint(cli_corpus, out)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    pos = _position(out)
    assert pos is not None and pos["epoch"] <= 6
    r = _cli(["train", str(cli_corpus), *ARGS, "-o", str(out), "--resume"])
    assert r.returncode == 0, r.stderr
    assert "s this run (training " in r.stdout and "s over all runs, the interrupted ones included" in r.stdout
    a, b = load_model(uninterrupted), load_model(out)
    # one thread: every random draw depends only on (seed, epoch, item), so equality is exact
    assert np.array_equal(a.tables["input"], b.tables["input"])
    assert np.array_equal(a.tables["output"], b.tables["output"])
    assert len(b.history) == 6


def test_sigint_saves_model_and_checkpoint_then_resumes(cli_corpus, uninterrupted, tmp_path):
    out = tmp_path / "model"
    proc = _start_and_wait_for_checkpoint(cli_corpus, out)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("training finished before the signal arrived")
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    stopped = load_model(out)  # a usable model
    assert stopped.tables["input"].shape == (2000, 64)
    assert _position(out) is not None
    r = _cli(["train", str(cli_corpus), *ARGS, "-o", str(out), "--resume"])
    assert r.returncode == 0, r.stderr
    assert np.array_equal(load_model(uninterrupted).tables["input"], load_model(out).tables["input"])


def test_resume_and_overwrite_rules(cli_corpus, uninterrupted, tmp_path, capsys):
    from palabra2vec.cli.main import main

    # an existing model directory is refused without --overwrite
    assert main(["train", str(cli_corpus), *ARGS, "-o", str(uninterrupted)]) == 2
    assert "already exists" in capsys.readouterr().err
    # --resume without a checkpoint
    assert main(["train", str(cli_corpus), *ARGS, "-o", str(uninterrupted), "--resume"]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    # --resume with a setting that differs from the checkpoint's
    out = tmp_path / "m"
    cfg = TrainConfig(min_count=1, epochs=2, threads=1, vector_size=8, tokenizer="whitespace")
    from palabra2vec.word2vec import as_corpus

    Word2Vec.train(as_corpus(str(cli_corpus), cfg), cfg, callbacks=[Checkpointer(out), _StopAt(1, 1)], progress=False)
    code = main(["train", str(cli_corpus), *ARGS, "-o", str(out), "--resume"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "--resume continues with the checkpoint's settings" in err
