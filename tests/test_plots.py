"""Figures (palabra2vec.plots), the training log they read, and ``palabra2vec plot``."""

from __future__ import annotations

import csv
import struct
from pathlib import Path

import numpy as np
import pytest

from palabra2vec import plots
from palabra2vec.cli.main import main
from palabra2vec.config import TrainConfig
from palabra2vec.text.encoded import encode_corpus
from palabra2vec.errors import Palabra2vecError, UsageError
from palabra2vec.training.training_log import COLUMNS, LOG_NAME, TrainingLog, read_training_log
from palabra2vec.vectors.word_vectors import WordVectors
from palabra2vec.word2vec import Word2Vec

from conftest import TINY_ES


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk of a PNG file; fails on anything else."""
    head = Path(path).read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def assert_not_blank(path: Path) -> None:
    import matplotlib.image

    img = matplotlib.image.imread(str(path))  # (H, W, 3 or 4) floats in [0, 1]
    rgb = img[..., :3]
    assert rgb.std() > 0.02, "the image is (nearly) one colour"
    assert (rgb.min(axis=2) < 0.5).mean() > 0.002, "almost nothing dark is drawn"


def saved_png(fig, tmp_path: Path, size: tuple[int, int], name: str = "fig.png") -> Path:
    p = plots.save(fig, tmp_path / name)
    assert png_size(p) == size
    assert_not_blank(p)
    return p


SENTENCES = [["a", "b", "a"], ["b"], ["a", "c", "a", "b"], ["c", "d"]]


@pytest.fixture
def encoded(tmp_path):
    vocab, enc = encode_corpus(SENTENCES, 1, tmp_path)
    yield vocab, enc
    enc.close()


# -- sentence lengths ---------------------------------------------------------------------


def test_sentence_lengths_exact(encoded):
    vocab, enc = encoded
    rng = np.random.default_rng(0)
    keep_all = np.ones(len(vocab), np.float32)
    before, after = plots.sentence_lengths(enc, keep_all, rng)
    assert before.tolist() == [3, 1, 4, 2]
    assert after.tolist() == [3, 1, 4, 2]
    drop_a = keep_all.copy()
    drop_a[vocab["a"]] = 0.0  # every "a" discarded, everything else kept
    assert plots.sentence_lengths(enc, drop_a, rng)[1].tolist() == [1, 1, 2, 2]
    assert plots.sentence_lengths(enc, np.zeros(len(vocab), np.float32), rng)[1].tolist() == [0, 0, 0, 0]


def test_sentence_lengths_match_the_corpus_over_many_chunks(tmp_path):
    rng = np.random.default_rng(3)
    sents = [[str(w) for w in rng.integers(0, 50, size=rng.integers(1, 30))] for _ in range(2000)]
    vocab, enc = encode_corpus(sents, 1, tmp_path)
    with enc:
        keep = np.full(len(vocab), 0.5, np.float32)
        before, after = plots.sentence_lengths(enc, keep, np.random.default_rng(1))
        assert before.tolist() == [len(s) for s in sents]
        assert (after <= before).all()
        # half of the tokens survive: binomial, sd ~ sqrt(n)/2 ~ 85 for ~31k tokens
        assert abs(after.sum() - before.sum() / 2) < 5 * np.sqrt(before.sum()) / 2


def test_lengths_png(encoded, tmp_path):
    vocab, enc = encoded
    fig = plots.lengths(enc, vocab, sample=0.1, size=(640, 400))
    saved_png(fig, tmp_path, (640, 400))
    title = fig.axes[0].get_title()
    assert "t = 0.1" in title and "notebook formula" in title


def test_frequencies_png_labels_top_words(encoded, tmp_path):
    vocab, _ = encoded
    fig = plots.frequencies(vocab, sample=0.1, size=(600, 420))
    saved_png(fig, tmp_path, (600, 420))
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels[:1] == [vocab.index_to_key[0]]


def test_spread_ranks():
    assert plots._spread_ranks(3000, 6, 0.5) == [1, 2, 3, 10, 32, 102]  # 32 -> log10 1.505; next >= 2.005
    assert plots._spread_ranks(2, 5) == [1, 2]


def test_svg_and_bad_suffix(encoded, tmp_path):
    vocab, _ = encoded
    fig = plots.frequencies(vocab, size=(300, 200))
    p = plots.save(fig, tmp_path / "f.svg")
    assert b"<svg" in p.read_bytes()[:2000]
    with pytest.raises(UsageError, match="png or .svg"):
        plots.save(fig, tmp_path / "f.jpg")


def test_jupyter_repr_is_png(encoded):
    fig = plots.frequencies(encoded[0], size=(300, 200))
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


# -- training log and loss ----------------------------------------------------------------


class _PeekLog:
    """Reads the log file while training goes (after TrainingLog's own hook)."""

    def __init__(self, path: Path) -> None:
        self.path, self.rows_seen = path, []

    def on_chunk_end(self, state) -> None:
        self.rows_seen.append(len(self.path.read_text().splitlines()) - 1)


@pytest.fixture
def trained(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TINY_ES * 100, encoding="utf-8")  # 2,600 ids: 3 chunks of <= 1,024 per epoch
    out = tmp_path / "model"
    cfg = TrainConfig(vector_size=8, epochs=3, min_count=1, backend="torch", threads=1, chunk_words=1024, seed=3)
    peek = _PeekLog(out / LOG_NAME)
    model = Word2Vec.train(corpus, cfg, callbacks=[TrainingLog(out), peek], progress=False)
    model.save(out)
    return out, model, peek


def test_training_log_is_written_as_training_goes(trained):
    out, model, peek = trained
    assert peek.rows_seen[:4] == [1, 2, 3, 5]  # 3 chunks, the epoch row, a chunk...
    with open(out / LOG_NAME, newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == COLUMNS
    log = read_training_log(out)
    epochs = log["kind"] == "epoch"
    assert log["epoch"][epochs].tolist() == [1, 2, 3]
    assert log["progress"][epochs].tolist() == [1.0, 2.0, 3.0]
    assert np.allclose(log["loss"][epochs], [h["loss"] for h in model.history], atol=1e-6)
    assert (np.diff(log["words_done"]) >= 0).all() and (np.diff(log["seconds"]) >= 0).all()
    assert (log["words_per_second"] > 0).all()


def test_training_log_append_keeps_rows_up_to_the_resume_point(trained):
    out, _, _ = trained
    before = read_training_log(out)
    from palabra2vec.training.train import TrainState

    st = TrainState(epochs=3, words_done=int(before["words_done"][1]), words_total=int(before["words_done"][-1]))
    log = TrainingLog(out, append=True)
    log.on_train_begin(st)
    log.close()
    after = read_training_log(out)
    assert after["kind"].tolist() == ["chunk", "chunk"]
    assert (after["loss"] == before["loss"][:2]).all()


def test_loss_png_from_log_and_from_history(trained, tmp_path):
    out, _, _ = trained
    saved_png(plots.loss(out, size=(500, 400)), tmp_path, (500, 400))
    (out / LOG_NAME).unlink()  # an older model: history.json only
    fig = plots.loss(out, size=(500, 400))
    saved_png(fig, tmp_path, (500, 400), "h.png")
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 3


@pytest.mark.parametrize("size", [(400, 300), (900, 650)])
def test_loss_png_text_fits_and_legends_stay_off_the_curves(trained, size):
    """At small sizes nothing is clipped, and no legend sits inside an axes (over a curve)."""
    out, _, _ = trained
    fig = plots.loss(out, size=size)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    drawn = [ax.get_tightbbox(renderer) for ax in fig.axes]  # what is drawn: ticks, labels, legend
    if fig._suptitle is not None:
        drawn.append(fig._suptitle.get_window_extent(renderer))
    for box in drawn:
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= W + 1 and box.y1 <= H + 1, (box, size)
    legends = [ax.get_legend() for ax in fig.axes]
    assert all(leg is not None for leg in legends)
    for ax, leg in zip(fig.axes, legends):
        lb, ab = leg.get_window_extent(renderer), ax.get_window_extent(renderer)
        assert lb.y0 >= ab.y1 - 1, (size, lb, ab)  # above the plotting area, not over its curves


def test_loss_without_log_is_a_clear_error(tmp_path):
    with pytest.raises(Palabra2vecError, match="no training log"):
        plots.loss(tmp_path)
    (tmp_path / LOG_NAME).write_text("x,y\n1,2\n")
    with pytest.raises(Palabra2vecError, match="not a palabra2vec training log"):
        plots.loss(tmp_path)


# -- word map ----------------------------------------------------------------------------


@pytest.fixture
def wv():
    rng = np.random.default_rng(0)
    words = [f"palabra{i}" for i in range(40)] + ["año", "niño", "corazón"]
    return WordVectors(rng.normal(size=(len(words), 6)).astype(np.float32), words, np.arange(len(words), 0, -1))


def _visible_label_boxes(fig):
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in fig.axes[0].texts if t.get_text() and t.get_fontsize() == 9]


def test_words_png_labels_do_not_overlap(wv, tmp_path):
    fig = plots.words(wv, size=(500, 400))
    saved_png(fig, tmp_path, (500, 400))
    boxes = _visible_label_boxes(fig)
    assert len(boxes) >= 10
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_words_query_and_neighbours(wv, tmp_path):
    fig = plots.words(wv, ["año", "niño"], neighbours=4, size=(600, 450))
    saved_png(fig, tmp_path, (600, 450))
    shown = {t.get_text() for t in fig.axes[0].texts}
    assert {"año", "niño"} <= shown  # query words are always labelled
    rows, groups = plots.pick_words(wv, ["año"], neighbours=4)
    assert rows[0] == wv.get_index("año") and len(rows) == 5 and groups == [0] * 5


def test_pca_projection_of_points_on_a_line():
    t = np.array([0.0, 1.0, 2.0, 5.0])
    X = np.outer(t, [3.0, 0.0, 4.0]) + 1.0  # on a line of direction length 5
    xy, note = plots.project(X, "pca")
    assert np.allclose(np.abs(xy[:, 0]), np.abs(5 * (t - t.mean())))
    assert np.allclose(xy[:, 1], 0.0, atol=1e-9)
    assert "100%" in note


def test_tsne_without_scikit_learn_is_a_usage_error():
    try:
        import sklearn  # noqa: F401
    except ImportError:
        with pytest.raises(UsageError, match="scikit-learn"):
            plots.project(np.eye(5), "tsne")
    else:
        assert plots.project(np.random.default_rng(0).normal(size=(12, 4)), "tsne")[0].shape == (12, 2)


# -- command line --------------------------------------------------------------------------


def test_cli_plot_corpus_figures(tiny_corpus, tmp_path, capsys):
    for kind in ("lengths", "frequencies"):
        out = tmp_path / f"{kind}.png"
        assert main(["plot", kind, str(tiny_corpus), "--min-count", "1", "-o", str(out), "--size", "480x320"]) == 0
        assert png_size(out) == (480, 320)
    assert "wrote" in capsys.readouterr().out


def test_cli_train_writes_log_and_loss_png(tiny_corpus, tmp_path):
    common = ["train", str(tiny_corpus), "--min-count", "1", "--epochs", "2", "--vector-size", "8",
              "--backend", "torch", "--threads", "1", "-q"]
    out = tmp_path / "m"
    assert main(common + ["-o", str(out)]) == 0
    assert (out / LOG_NAME).is_file()
    png_size(out / "loss.png")
    assert main(["plot", "loss", str(out), "-o", str(tmp_path / "l.svg")]) == 0
    assert main(["plot", "words", str(out), "-o", str(tmp_path / "w.png"), "--size", "400x300"]) == 0
    assert png_size(tmp_path / "w.png") == (400, 300)
    out2 = tmp_path / "m2"
    assert main(common + ["-o", str(out2), "--no-plot"]) == 0
    assert (out2 / LOG_NAME).is_file() and not (out2 / "loss.png").exists()


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["plot", "loss", "{tmp}", "-o", "{tmp}/x.png"], 1, "no training log"),
        (["plot", "loss", "{tmp}", "-o", "{tmp}/x.gif"], 2, ".png or .svg"),
        (["plot", "loss", "{tmp}", "--size", "big"], 2, "WIDTHxHEIGHT"),
        (["plot", "loss", "{tmp}", "--size", "20x20", "-o", "{tmp}/x.png"], 2, "out of range"),
        (["plot"], 2, "KIND"),
    ],
)
def test_cli_plot_errors_are_one_line(argv, code, message, tmp_path, capsys):
    (tmp_path / LOG_NAME).write_text(",".join(COLUMNS) + "\nchunk,1,0.5,10,10,0.1,0.7,0.025,100\n")
    if "no training log" in message:
        (tmp_path / LOG_NAME).unlink()
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == code
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_plot_words_unknown_word(tmp_path, capsys):
    wv = WordVectors(np.eye(4, dtype=np.float32), ["uno", "dos", "tres", "cuatro"], [4, 3, 2, 1])
    from palabra2vec.storage import SavedModel, save_model
    from palabra2vec.text.vocab import Vocab

    eye = np.eye(4, dtype=np.float32)
    save_model(tmp_path / "m", SavedModel(TrainConfig(vector_size=4), Vocab(wv.index_to_key, [4, 3, 2, 1]), {"input": eye, "output": eye}))
    assert main(["plot", "words", str(tmp_path / "m"), "cinco", "-o", str(tmp_path / "w.png")]) == 2
    assert "cinco" in capsys.readouterr().err
