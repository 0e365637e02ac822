"""Figures of the corpus and of a trained model.

Every function returns a :class:`matplotlib.figure.Figure` that belongs to no pyplot window
(so it is safe in threads and on machines without a display), renders with Agg, and shows
itself inline in Jupyter. :func:`save` writes it as PNG or SVG. matplotlib is imported only
when a figure is made.

- :func:`lengths`: tokens per sentence before and after subsampling (the notebook's histogram);
- :func:`frequencies`: rank/frequency (Zipf) on log-log axes and the keep-probability curve;
- :func:`loss`: loss and words/s as training went, from :mod:`palabra2vec.training.training_log`;
- :func:`words`: a labelled 2-D map (PCA or t-SNE) of word vectors.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .text.encoded import EncodedCorpus
from .errors import Palabra2vecError, UsageError
from .training.sampling import keep_probabilities, subsample
from .text.vocab import Vocab
from .vectors.projection import pick_words, project

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .vectors.word_vectors import WordVectors

log = logging.getLogger(__name__)

FORMATS = (".png", ".svg")
#: The subsampling formulas as they are written in titles (see sampling.keep_probabilities).
FORMULA_TEX = {
    "notebook": r"$P_{keep}(w) = \min(1, \sqrt{t/f(w)})$",
    "word2vec": r"$P_{keep}(w) = \min(1, \sqrt{t/f(w)} + t/f(w))$",
}
ORIGINAL, SUBSAMPLED = "#4c72b0", "#dd8452"


# ----------------------------------------------------------------------------------------
# Figures and files
# ----------------------------------------------------------------------------------------


def _figure(size: tuple[int, int], dpi: int = 100, layout: str | None = "constrained") -> "Figure":
    """A new Figure of ``size`` pixels at ``dpi``, outside pyplot, drawn by Agg."""
    import matplotlib

    loaded = sys.modules
    if "matplotlib.pyplot" not in loaded and "IPython" not in loaded and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")  # headless script: never try a GUI backend (Jupyter keeps its own)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w, h = size
    if not 10 <= dpi <= 1000:
        raise UsageError(f"dpi {dpi} is out of range (10..1000)")
    if w < 100 or h < 100 or w > 10_000 or h > 10_000:
        raise UsageError(f"figure size {w}x{h} pixels is out of range (100..10000 each way)")
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    fig._repr_png_ = lambda: _png_bytes(fig)  # type: ignore[attr-defined]  # Jupyter shows it inline
    return fig


def _png_bytes(fig: "Figure") -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def save(fig: "Figure", path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` to ``path``: SVG when it ends in ``.svg``, PNG when in ``.png``."""
    p = Path(path)
    fmt = p.suffix.lower()
    if fmt not in FORMATS:
        raise UsageError(f"cannot write {p.name!r}: the file name must end in .png or .svg")
    try:
        fig.savefig(p, format=fmt[1:], metadata={"Software": "palabra2vec"} if fmt == ".png" else None)
    except OSError as e:
        raise Palabra2vecError(f"cannot write {p}: {e.strerror or e}") from e
    return p


# ----------------------------------------------------------------------------------------
# The corpus: sentence lengths, frequencies
# ----------------------------------------------------------------------------------------


def sentence_lengths(
    encoded: EncodedCorpus, keep: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """In-vocabulary tokens per sentence before, and after one subsampling pass.

    Vectorized per chunk: the sentence of each token is the number of ``-1`` separators
    before it, and ``bincount`` sums the tokens (all, or those kept) per sentence.
    """
    before: list[np.ndarray] = []
    after: list[np.ndarray] = []
    for chunk in encoded.chunks(1 << 20):
        sep = chunk < 0
        n = int(sep.sum()) + int(chunk.size > 0 and not sep[-1])  # a cut sentence at the end
        sent = np.cumsum(sep) - sep  # (n_ids,) sentence index within the chunk
        word = ~sep
        ids, s = chunk[word], sent[word]
        before.append(np.bincount(s, minlength=n))
        after.append(np.bincount(s[subsample(ids, keep, rng)], minlength=n))
    if not before:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(before), np.concatenate(after)


def lengths(
    encoded: EncodedCorpus,
    vocab: Vocab,
    sample: float = 1e-4,
    formula: str = "notebook",
    seed: int = 1,
    size: tuple[int, int] = (900, 540),
    dpi: int = 100,
) -> "Figure":
    """Histogram of tokens per sentence, original and subsampled, hatched as in the notebook."""
    keep = keep_probabilities(vocab.counts, sample, formula)
    before, after = sentence_lengths(encoded, keep, np.random.default_rng(seed))
    if before.size == 0:
        raise Palabra2vecError("the corpus has no sentences to plot")
    cap = max(2, int(np.ceil(np.percentile(before, 99.5))))  # longer ones go in the last bin
    step = max(1, int(np.ceil(cap / 40)))
    edges = np.arange(0, cap + step + 1, step) - 0.5
    fig = _figure(size, dpi)
    ax = fig.add_subplot()
    ax.hist(
        [np.minimum(before, edges[-1] - 1), np.minimum(after, edges[-1] - 1)],
        bins=edges,
        color=[ORIGINAL, SUBSAMPLED],
        edgecolor="white",
        hatch=["//", "\\\\"],
        label=[f"original ({int(before.sum()):,} tokens)", f"subsampled ({int(after.sum()):,} tokens)"],
    )
    ax.set_xlabel(f"tokens per sentence (last bin: {int(edges[-2] + 0.5)} or more)")
    ax.set_ylabel("sentences")
    ax.set_xlim(edges[0], edges[-1])
    ax.legend(frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(
        f"Tokens per sentence before and after subsampling ({len(before):,} sentences)\n"
        f"t = {sample:g}, {formula} formula: {FORMULA_TEX.get(formula, formula)}, seed {seed}",
        fontsize=11,
    )
    return fig


def _spread_ranks(n: int, labels: int, min_gap: float = 0.12, first: int = 3) -> list[int]:
    """Up to ``labels`` ranks (1-based): the ``first`` ones, then ranks at least ``min_gap``
    decades apart on a log axis, up to n / 3 (labels at the far right would leave the axes)."""
    out = list(range(1, min(first, n, labels) + 1))
    last = np.log10(out[-1]) if out else -np.inf
    for r in range(len(out) + 1, max(1, n // 3) + 1):
        if len(out) >= labels:
            break
        if np.log10(r) - last >= min_gap:
            out.append(r)
            last = np.log10(r)
    return out


def frequencies(
    vocab: Vocab,
    sample: float = 1e-4,
    formula: str = "notebook",
    labels: int = 20,
    size: tuple[int, int] = (900, 600),
    dpi: int = 100,
) -> "Figure":
    """Count by rank on log-log axes, words labelled along it, and the keep probability."""
    if len(vocab) == 0:
        raise Palabra2vecError("the vocabulary is empty: nothing to plot")
    counts = vocab.counts.astype(np.float64)
    ranks = np.arange(1, len(counts) + 1)
    keep = keep_probabilities(vocab.counts, sample, formula)
    fig = _figure(size, dpi)
    ax = fig.add_subplot()
    ax.loglog(ranks, counts, color=ORIGINAL, lw=2, label="count")
    ax.set_xlabel("rank")
    ax.set_ylabel("count", color=ORIGINAL)
    ax.grid(True, which="major", alpha=0.3)
    shown = _spread_ranks(len(counts), labels, max(0.1, np.log10(len(counts)) / labels))
    ax.plot([r for r in shown], counts[np.array(shown) - 1], "o", color=ORIGINAL, ms=4)
    for r in shown:
        ax.annotate(vocab.index_to_key[r - 1], (r, counts[r - 1]), xytext=(4, 5), textcoords="offset points",
                    rotation=35, fontsize=9, ha="left", va="bottom", rotation_mode="anchor")
    ax.set_xlim(0.8, len(counts) * 1.25)
    ax.set_ylim(counts.min() * 0.7, counts.max() * 6)  # room for the labels of the top words
    ax2 = ax.twinx()
    ax2.semilogx(ranks, keep, color=SUBSAMPLED, lw=2, ls="--", label="keep probability")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("keep probability when subsampling", color=SUBSAMPLED)
    full = np.flatnonzero(keep >= 1.0)
    if full.size and full[0] > 0:
        ax2.axvline(full[0] + 1, color=SUBSAMPLED, lw=0.8, alpha=0.6)
        ax2.annotate(f"always kept\nfrom rank {full[0] + 1:,}", (full[0] + 1, 0.6), xytext=(5, 0),
                     textcoords="offset points", color=SUBSAMPLED, fontsize=9, va="center")
    lines = ax.get_lines()[:1] + ax2.get_lines()[:1]
    ax.legend(lines, [ln.get_label() for ln in lines], loc="upper center", frameon=False)
    ax.set_title(
        f"Word frequencies: {len(counts):,} words, {int(counts.sum()):,} tokens\n"
        f"subsampling t = {sample:g}, {formula} formula: {FORMULA_TEX.get(formula, formula)}",
        fontsize=11,
    )
    return fig


# ----------------------------------------------------------------------------------------
# The model: training loss, word map
# ----------------------------------------------------------------------------------------


def _smooth(y: np.ndarray, n: int) -> np.ndarray:
    """Centered moving average over ``n`` points (shorter at the ends)."""
    if n <= 1 or y.size < 3:
        return y
    k = np.ones(min(n, y.size))
    return np.convolve(y, k, "same") / np.convolve(np.ones_like(y), k, "same")


def load_log(source: str | os.PathLike[str] | dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A training log from a dict, a log file, or a model directory (whose ``history.json``
    stands in, epochs only, when it has no log)."""
    import json

    from .training.training_log import LOG_NAME, log_from_history, read_training_log

    if isinstance(source, dict):
        return source
    p = Path(source)
    if p.is_dir() and not (p / LOG_NAME).is_file() and (p / "history.json").is_file():
        try:
            return log_from_history(json.loads((p / "history.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, AttributeError) as e:
            raise Palabra2vecError(f"{p / 'history.json'} is damaged: {e}") from e
    return read_training_log(p)


def loss(
    source: str | os.PathLike[str] | dict[str, np.ndarray],
    size: tuple[int, int] = (900, 650),
    dpi: int = 100,
) -> "Figure":
    """Loss (per chunk and per epoch) and words/s against epochs, from a training log."""
    data = load_log(source)
    chunk, epoch = data["kind"] == "chunk", data["kind"] == "epoch"
    if not (chunk.any() or epoch.any()):
        raise Palabra2vecError("the training log has no rows yet: nothing to plot")
    x = data["progress"]
    fig = _figure(size, dpi)
    # small figures get smaller text (9 pt at the default 900x650 px, at least 6 pt)
    fs = float(np.clip(9 * min(size[0] / 900, size[1] / 650), 6, 9))
    ax_l, ax_w = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    if chunk.any():
        ax_l.plot(x[chunk], data["loss"][chunk], color=ORIGINAL, lw=1, alpha=0.8,
                  label="running mean in the epoch, per chunk")
        wps = data["words_per_second"][chunk]
        ax_w.plot(x[chunk], wps, color=ORIGINAL, lw=0.6, alpha=0.35, label="per chunk")
        ax_w.plot(x[chunk], _smooth(wps, 9), color=ORIGINAL, lw=1.8, label="smoothed")
    if epoch.any():
        ax_l.plot(x[epoch], data["loss"][epoch], "o-", color=SUBSAMPLED, lw=2, ms=6 * fs / 9, label="end of epoch")
        ax_w.plot(x[epoch], data["words_per_second"][epoch], "o", color=SUBSAMPLED, ms=6 * fs / 9, label="epoch mean")
        last = np.flatnonzero(epoch)[-1]
        ax_l.annotate(f"{data['loss'][last]:.4f}", (x[last], data["loss"][last]), xytext=(0, 8),
                      textcoords="offset points", ha="right", color=SUBSAMPLED, fontsize=fs)
    for e in range(1, int(np.nanmax(x)) + 1 if np.isfinite(np.nanmax(x)) else 1):
        for a in (ax_l, ax_w):
            a.axvline(e, color="0.85", lw=0.8, zorder=0)
    ax_l.set_ylabel("loss (BCE)", fontsize=fs)
    ax_w.set_ylabel("corpus words/s", fontsize=fs)
    ax_w.set_xlabel("epochs", fontsize=fs)
    from matplotlib.ticker import MaxNLocator

    ax_w.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_w.set_ylim(bottom=0)
    ax_w.yaxis.set_major_formatter(_human_formatter())
    for a in (ax_l, ax_w):
        a.tick_params(labelsize=fs)
        a.grid(axis="y", alpha=0.3)
        if a.get_legend_handles_labels()[0]:  # above the axes, in one row: never over a curve
            a.legend(frameon=False, fontsize=fs, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3,
                     borderaxespad=0.2, handlelength=1.5, columnspacing=1.0)
    secs = data["seconds"][np.isfinite(data["seconds"])]
    tail = f", {secs[-1]:.1f} s" if secs.size else ""
    fig.suptitle(f"Training: {int(epoch.sum())} epoch(s){tail}", fontsize=fs + 2)
    return fig


def _human_formatter():
    from matplotlib.ticker import FuncFormatter

    def fmt(v: float, _pos: Any) -> str:
        for div, unit in ((1e6, "M"), (1e3, "k")):
            if abs(v) >= div:
                return f"{v / div:g}{unit}"
        return f"{v:g}"

    return FuncFormatter(fmt)


def words(
    wv: "WordVectors",
    query: Sequence[str] = (),
    neighbours: int = 10,
    method: str = "pca",
    top: int = 200,
    seed: int = 0,
    size: tuple[int, int] = (1100, 850),
    dpi: int = 100,
) -> "Figure":
    """A labelled 2-D map of word vectors (unit length), query words in bold."""
    rows, groups = pick_words(wv, query, neighbours, top)
    if len(rows) < 3:
        raise UsageError(f"a map needs at least 3 words, got {len(rows)} (add words or --neighbours)")
    xy, note = project(wv.unit_vectors[rows], method, seed)
    fig = _figure(size, dpi)
    ax = fig.add_subplot()
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    colors = [cmap(g % 10) if query else ORIGINAL for g in groups]
    heads = {wv.get_index(w) for w in query}
    big = np.array([r in heads for r in rows])
    ax.scatter(xy[:, 0], xy[:, 1], s=np.where(big, 60, 14), c=colors, alpha=0.9, zorder=3)
    pad = 0.08 * (xy.max(axis=0) - xy.min(axis=0) + 1e-9)
    ax.set_xlim(xy[:, 0].min() - pad[0], xy[:, 0].max() + pad[0])
    ax.set_ylim(xy[:, 1].min() - pad[1], xy[:, 1].max() + pad[1])
    ax.set_xticks([])
    ax.set_yticks([])
    what = (f"{', '.join(query)} and {neighbours} nearest neighbours each" if query
            else f"the {len(rows)} most frequent words")
    ax.set_title(f"Word vectors: {what}\n{note}", fontsize=11)
    fig.canvas.draw()  # fixes the layout: labels are placed in pixels from here
    fig.set_layout_engine("none")
    order = sorted(range(len(rows)), key=lambda k: (not big[k], rows[k]))  # queries, then frequent
    hidden = _place_labels(fig, ax, xy, [wv.index_to_key[rows[k]] for k in range(len(rows))], order, big)
    if hidden:
        ax.text(0.99, 0.01, f"{hidden} labels hidden to avoid overlaps", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=8, color="0.5")
    return fig


#: (dx, dy) in points and alignment of the label candidates around a point, in order of preference.
_SPOTS = [(5, 3, "left", "bottom"), (5, -3, "left", "top"), (-5, 3, "right", "bottom"),
          (-5, -3, "right", "top"), (0, 6, "center", "bottom"), (0, -6, "center", "top")]


def _place_labels(fig: "Figure", ax: Any, xy: np.ndarray, labels: list[str], order: list[int],
                  always: np.ndarray) -> int:
    """Greedy placement: each label takes the first spot around its point that overlaps no
    label placed before and no point, and stays inside the axes; a label with no free spot is dropped
    unless ``always`` (then it takes its least crowded spot). Returns the number dropped."""
    renderer = fig.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    placed = np.zeros((0, 4))  # (x0, y0, x1, y1) in pixels
    dots = ax.transData.transform(xy)  # (n, 2) the points, in pixels
    dropped = 0
    for k in order:
        ann = ax.annotate(labels[k], xy[k], xytext=(0, 0), textcoords="offset points", fontsize=9,
                          fontweight="bold" if always[k] else "normal", zorder=4)
        best, best_hits = None, np.inf
        for dx, dy, ha, va in _SPOTS:
            ann.xyann = (dx, dy)
            ann.set_ha(ha)
            ann.set_va(va)
            b = ann.get_window_extent(renderer)
            box = np.array([b.x0 - 1, b.y0 - 1, b.x1 + 1, b.y1 + 1])
            hits = int(((placed[:, 0] < box[2]) & (placed[:, 2] > box[0])
                        & (placed[:, 1] < box[3]) & (placed[:, 3] > box[1])).sum())
            hits += int(((dots[:, 0] > box[0] - 2) & (dots[:, 0] < box[2] + 2)
                         & (dots[:, 1] > box[1] - 2) & (dots[:, 1] < box[3] + 2)).sum())  # covers a point
            out = not (b.x0 >= inside.x0 and b.x1 <= inside.x1 and b.y0 >= inside.y0 and b.y1 <= inside.y1)
            hits += 1000 * out
            if hits < best_hits:
                best, best_hits = (dx, dy, ha, va, box), hits
            if hits == 0:
                break
        if best is None or (best_hits > 0 and not always[k]):
            ann.remove()
            dropped += 1
            continue
        dx, dy, ha, va, box = best
        ann.xyann = (dx, dy)
        ann.set_ha(ha)
        ann.set_va(va)
        placed = np.vstack([placed, box])
    return dropped
