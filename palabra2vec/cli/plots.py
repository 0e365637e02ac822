"""``palabra2vec plot``: figures of a corpus or a model into PNG/SVG files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import PROG, _add_corpus_args, _Parser, _positive_int, corpus_config
from .vectors import MODEL_HELP
from ..config import SUBSAMPLE_FORMULAS
from ..errors import UsageError

def add_plot_parser(sub: Any) -> None:
    p = sub.add_parser("plot", help="figures: sentence lengths, frequencies, training loss, word map",
                       description="Draw a figure into a PNG file (SVG when -o ends in .svg).")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=_Parser, required=True)
    le = kinds.add_parser("lengths", help="tokens per sentence before and after subsampling")
    fr = kinds.add_parser("frequencies", help="rank/frequency (log-log) and the keep probability")
    for q in (le, fr):
        _add_corpus_args(q)
        q.add_argument("--min-count", type=_positive_int, default=5,
                       help="ignore words seen fewer times (default %(default)s)")
        q.add_argument("--sample", type=float, default=1e-4,
                       help="subsampling threshold t, 0 to disable (default %(default)g)")
        q.add_argument("--subsample-formula", choices=SUBSAMPLE_FORMULAS, default="notebook",
                       help="notebook (the paper's) or word2vec (gensim, word2vec.c) (default %(default)s)")
    le.add_argument("--seed", type=_positive_int, default=1, help="random seed of the subsampling (default %(default)s)")
    lo = kinds.add_parser("loss", help="training loss and words/s, from a model directory's training log")
    lo.add_argument("model", metavar="MODEL_DIR", help="model directory written by train (or its training_log.csv)")
    wo = kinds.add_parser("words", help="a labelled 2-D map of word vectors (PCA or t-SNE)")
    wo.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    wo.add_argument("words", nargs="*", metavar="WORD", help="words to show with their neighbours "
                    "(none: the --top most frequent words)")
    wo.add_argument("--neighbours", type=_positive_int, default=10, metavar="K",
                    help="nearest words shown per WORD (default %(default)s)")
    wo.add_argument("--top", type=_positive_int, default=200, metavar="N",
                    help="most frequent words shown when no WORD is given (default %(default)s)")
    wo.add_argument("--method", choices=("pca", "tsne"), default="pca",
                    help="pca (numpy) or tsne (needs scikit-learn) (default %(default)s)")
    for kind, q in (("lengths", le), ("frequencies", fr), ("loss", lo), ("words", wo)):
        q.add_argument("-o", "--output", default=f"{kind}.png", metavar="FILE",
                       help="PNG or SVG file to write (default %(default)s)")
        q.add_argument("--size", default=None, metavar="WxH",
                       help="size in pixels, e.g. 1200x800 (default: the figure's own, at --dpi)")
        q.add_argument("--dpi", type=_positive_int, default=100, help="dots per inch (default %(default)s)")


def _plot_size(args: argparse.Namespace) -> dict[str, Any]:
    if not args.size:
        return {"dpi": args.dpi}
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise UsageError(f"--size expects WIDTHxHEIGHT in pixels, like 1200x800, got {args.size!r}") from None
    return {"size": (w, h), "dpi": args.dpi}


def cmd_plot(args: argparse.Namespace) -> int:
    from .. import plots

    out = Path(args.output or f"{args.kind}.png")
    if out.suffix.lower() not in plots.FORMATS:
        raise UsageError(f"-o {out}: the file name must end in .png or .svg")
    kw = _plot_size(args)
    if args.kind in ("lengths", "frequencies"):
        from ..text.encoded import encode_corpus
        from ..word2vec import as_corpus

        cfg = corpus_config(args)
        sentences = as_corpus(args.corpus or None, cfg, args.encoding, args.data_dir)
        vocab, enc = encode_corpus(sentences, args.min_count)
        with enc:
            if args.kind == "lengths":
                fig = plots.lengths(enc, vocab, args.sample, args.subsample_formula, args.seed, **kw)
            else:
                fig = plots.frequencies(vocab, args.sample, args.subsample_formula, **kw)
    elif args.kind == "loss":
        fig = plots.loss(args.model, **kw)
    else:
        from ..vectors.loading import load_vectors
        from .vectors import resolve_word

        wv = load_vectors(args.model)
        words = [resolve_word(wv, w) for w in args.words]
        fig = plots.words(wv, words, args.neighbours, args.method, args.top, **kw)
    plots.save(fig, out)
    print(f"wrote {out}")
    return 0


def write_loss_plot(model_dir: Path) -> None:
    """``loss.png`` into a freshly trained model directory; a failure only warns."""
    try:
        from .. import plots

        plots.save(plots.loss(model_dir), model_dir / "loss.png")
        print(f"loss plot: {model_dir / 'loss.png'}")
    except Exception as e:  # the model is saved already: a figure must not fail the run
        print(f"{PROG}: warning: could not draw {model_dir / 'loss.png'}: {e}", file=sys.stderr)
