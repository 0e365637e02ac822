"""The ``palabra2vec`` command line: parses arguments, calls the library, prints, exits.

Exit codes: 0 success, 1 runtime problem (bad file, damaged model), 2 usage problem (bad
argument, unknown word), 130 interrupted. Errors are one line on stderr; ``--debug`` shows
the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import PRESETS, SUBSAMPLE_FORMULAS, TrainConfig, preset
from ..errors import Palabra2vecError, UsageError
from ..variants import describe
from .common import (CORPUS_FIELDS, PROG, _add_corpus_args, _Parser, _positive_int, add_config_flags,
                     config_overrides, corpus_config)

#: Epochs on the built-in corpus when --epochs is not given.
QUIJOTE_EPOCHS = 20
#: Words whose neighbours ``train`` shows when they are in the vocabulary.
PROBE_WORDS = ("día", "caballero", "sancho", "dulcinea", "mano")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Train and use word2vec embeddings (skip-gram, negative sampling).")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    t = sub.add_parser("train", help="train embeddings on a corpus (default: Don Quijote)",
                       description="Train skip-gram embeddings. No CORPUS: Don Quijote, downloaded once and cached.")
    _add_corpus_args(t)
    t.add_argument("-o", "--output", default="palabra2vec-model", help="model directory to write (default: %(default)s)")
    t.add_argument("--overwrite", action="store_true", help="replace an existing model directory")
    t.add_argument("--preset", choices=sorted(PRESETS), help="notebook: the course notebook's settings")
    add_config_flags(t, exclude=CORPUS_FIELDS)
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    t.add_argument("--checkpoint-every", default="5m", metavar="DURATION",
                   help="checkpoint into the model directory this often, and at every epoch end "
                        "(30s, 5m, 1h; default %(default)s)")
    t.add_argument("--resume", action="store_true",
                   help="continue the interrupted run whose checkpoint is in --output")
    t.add_argument("--sync-every", type=_positive_int, default=200_000, metavar="WORDS",
                   help="under torchrun: combine the ranks' table updates every WORDS words, all ranks "
                        "together (default %(default)s; see the README, \"Training on several machines\")")
    t.add_argument("--no-plot", dest="plot", action="store_false",
                   help="do not write loss.png into the model directory at the end")

    from .vectors import add_vector_parsers

    add_vector_parsers(sub)

    st = sub.add_parser("stats", help="corpus statistics: counts, vocabulary, subsampling effect",
                        description="Token and vocabulary counts, top-10 words, and what subsampling does.")
    _add_corpus_args(st)
    st.add_argument("--min-count", type=_positive_int, default=5)
    st.add_argument("--sample", type=float, default=1e-4)
    st.add_argument("--subsample-formula", choices=SUBSAMPLE_FORMULAS, default="notebook")
    st.add_argument("--words", nargs="+", default=["que", "mesa"], help="words whose subsampling to show")
    st.add_argument("--seed", type=_positive_int, default=1)
    from .plots import add_plot_parser

    add_plot_parser(sub)
    return parser


def _config_from_args(args: argparse.Namespace) -> TrainConfig:
    overrides = config_overrides(args)
    if not getattr(args, "corpus", None) and not args.preset and "epochs" not in overrides:
        # Don Quijote is small (384k words): gensim's 5 epochs leave every vector pointing the
        # same way (all neighbours ~0.99); the notebook's 20 give meaningful neighbours.
        overrides["epochs"] = QUIJOTE_EPOCHS
    config = preset(args.preset, **overrides) if args.preset else TrainConfig(**overrides)
    return config.validate()


def _print_neighbours(wv: Any, words: Sequence[str], topn: int = 5) -> None:
    for w in words:
        near = ", ".join(f"{n} {s:.2f}" for n, s in wv.most_similar(w, topn=topn))
        print(f"  {w:>12} -> {near}")


class _StopOnSignal:
    """Callback: the first SIGINT/SIGTERM during training stops it after the current work
    item (so a model and a checkpoint get saved); a second one, or one outside training,
    interrupts at once."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.training = False
        self._old: dict[int, Any] = {}

    def install(self) -> None:
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        import signal

        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None or not self.training:
            raise KeyboardInterrupt
        self.signum = signum
        print(f"{PROG}: stopping after the current work item to save the model and a checkpoint "
              "(interrupt again to abort)", file=sys.stderr)

    def on_train_begin(self, state: Any) -> None:
        self.training = True

    def on_chunk_end(self, state: Any) -> None:
        if self.signum is not None:
            state.stop = True

    def on_train_end(self, state: Any) -> None:
        self.training = False


#: Settings that may change on --resume (they do not change what is computed, except that
#: more than one thread is not bit-reproducible anyway).
def _resume_config(args: argparse.Namespace, out: Path) -> TrainConfig:
    """The checkpoint's config; flags given now must agree with it."""
    from ..training.checkpoint import checkpoint_config

    saved = checkpoint_config(out)
    given = dict(PRESETS[args.preset]) if args.preset else {}
    given.update(config_overrides(args))
    free = TrainConfig.resume_free()
    for name, value in given.items():
        if name not in free and getattr(saved, name) != value:
            raise UsageError(f"--resume continues with the checkpoint's settings, but {name} is "
                             f"{value!r} now and {getattr(saved, name)!r} in {out}")
    for name in free:
        if name in given:
            setattr(saved, name, given[name])
    return saved.validate()


def _train_distributed(args: argparse.Namespace, config: TrainConfig, out: Path) -> int:
    """``train`` on one rank of a torchrun job; only rank 0 writes and prints."""
    from ..training import distributed

    if args.resume:
        raise UsageError("--resume is not supported under torchrun yet; run it without torchrun")
    try:
        model = distributed.train(args.corpus or None, config, args.sync_every, progress=not args.quiet,
                                  encoding=args.encoding, data_dir=args.data_dir)
        if distributed.rank() == 0:
            model.save(out)
            info = model.info
            variant = "" if config.model == "sg" and not config.hs else f", {describe(config)}"  # the default goes unsaid
            print(f"model saved to {out}/ ({info['vocab_words']:,} words x {config.vector_size} dims{variant})")
            print(f"{info['corpus_words']:,} corpus words x {info['epochs_done']} epochs on {info['world_size']} "
                  f"ranks: training {info['seconds_train']:.1f}s, {info['words_per_second_train']:,.0f} words/s; "
                  f"{info['syncs']} syncs of {info['sync_bytes']:,} bytes each took {info['sync_seconds']:.2f}s "
                  f"(rows changed between syncs: {info['sync_rows_touched']:.1%}); "
                  f"final loss {info['final_loss']:.4f}")
    finally:
        distributed.finish()
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from ..training.checkpoint import CHECKPOINT, Checkpointer, has_checkpoint, parse_duration
    from ..word2vec import Word2Vec

    every = parse_duration(args.checkpoint_every)
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--output {out} exists and is not a directory")
    if args.resume:
        if not has_checkpoint(out):
            raise UsageError(f"--resume: no checkpoint in {out} (nothing to resume)")
        config = _resume_config(args, out)
    else:
        config = _config_from_args(args)
        if out.is_dir() and any(out.iterdir()) and not args.overwrite:
            raise UsageError(f"{out} already exists; choose another --output, pass --overwrite, "
                             "or --resume to continue an interrupted run")
    distributed = os.environ.get("WORLD_SIZE", "1") != "1"  # torchrun; looked at before importing torch
    if distributed:
        from ..training.distributed import is_distributed

        distributed = is_distributed()
    if distributed:  # launched by torchrun with WORLD_SIZE > 1
        return _train_distributed(args, config, out)
    from ..training.training_log import TrainingLog

    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)  # the training log is written into it as training goes
    training_log = TrainingLog(out, append=args.resume)
    t0 = time.perf_counter()
    corpus = args.corpus or None
    stopper = _StopOnSignal()
    checkpointer = Checkpointer(out, every=every)
    stopper.install()
    try:
        model = Word2Vec.train(corpus, config, callbacks=[checkpointer, stopper, training_log], progress=not args.quiet,
                               encoding=args.encoding, data_dir=args.data_dir,
                               resume_from=out if args.resume else None)
    except BaseException:
        if created and not any(p.name != "training_log.csv" for p in out.iterdir()):
            shutil.rmtree(out, ignore_errors=True)  # failed before anything worth keeping: leave no debris
        raise
    finally:
        stopper.uninstall()
    model.save(out)
    if model.info.get("stopped_early"):
        print(f"{PROG}: interrupted after {model.info['epochs_done']} full epochs; model and checkpoint saved "
              f"in {out}/. To continue, run the same command with --resume "
              f"({PROG} train ... --output {out} --resume)", file=sys.stderr)
        return 130
    (out / CHECKPOINT).unlink(missing_ok=True)  # the run is complete: the model is the result
    total = time.perf_counter() - t0
    info = model.info
    variant = "" if config.model == "sg" and not config.hs else f", {describe(config)}"  # the default goes unsaid
    print(f"model saved to {out}/ ({info['vocab_words']:,} words x {config.vector_size} dims{variant})")
    print(f"{info['corpus_words']:,} corpus words x {info['epochs_done']} epochs in {total:.1f}s "
          f"(training {info['seconds_train']:.1f}s, {info['words_per_second_train']:,.0f} words/s, "
          f"backend {info['backend']} on {info['device']}, {config.threads} threads); final loss {info['final_loss']:.4f}")
    if args.plot:
        from .plots import write_loss_plot

        write_loss_plot(out)
    wv = model.wv
    probes = [w for w in PROBE_WORDS if w in wv][:3] or wv.index_to_key[100:103]
    if probes:
        print("nearest neighbours:")
        _print_neighbours(wv, probes)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    import numpy as np

    from ..text.encoded import encode_corpus
    from ..training.sampling import keep_probabilities, subsampled_counts
    from ..word2vec import as_corpus

    cfg = corpus_config(args)
    sentences = as_corpus(args.corpus or None, cfg, args.encoding, args.data_dir)
    vocab, enc = encode_corpus(sentences, args.min_count)
    with enc:
        print(f"tokens: {enc.raw_words:,} in {enc.n_sentences:,} sentences")
        print(f"distinct tokens: {enc.n_distinct:,}")
        print(f"with count >= {args.min_count}: {len(vocab):,} words, {vocab.total:,} tokens")
        print("top 10: " + ", ".join(f"{w} {c:,}" for w, c in vocab.most_common(10)))
        keep = keep_probabilities(vocab.counts, args.sample, args.subsample_formula)
        after = subsampled_counts(enc.chunks(1 << 20), keep, np.random.default_rng(args.seed))
        print(f"subsampling ({args.subsample_formula} formula, t={args.sample:g}, seed {args.seed}): "
              f"{vocab.total:,} -> {int(after.sum()):,} tokens")
        if args.subsample_formula == "notebook":
            print("  (stats uses the notebook's formula to reproduce the course's figures; train uses "
                  "word2vec's unless --subsample-formula notebook)")
        for w in args.words:
            i = vocab[w]
            print(f"  {w}: {int(vocab.counts[i]):,} -> {int(after[i]):,} (keep probability {keep[i]:.4f})")
    return 0


def _commands() -> dict[str, Any]:
    from .plots import cmd_plot
    from .vectors import cmd_analogy, cmd_evaluate, cmd_export, cmd_similar

    return {"train": cmd_train, "stats": cmd_stats, "similar": cmd_similar, "analogy": cmd_analogy,
            "evaluate": cmd_evaluate, "export": cmd_export, "plot": cmd_plot}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere on the line
    argv = [a for a in argv if a != "--debug"]
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="palabra2vec: %(levelname)s: %(message)s")
    try:
        args = build_parser().parse_args(argv)
        if not args.command:
            build_parser().print_help()
            return 2
        if args.command == "train" and not args.quiet:
            logging.getLogger("palabra2vec").setLevel(logging.DEBUG if debug else logging.INFO)
            from tqdm.contrib.logging import logging_redirect_tqdm

            with logging_redirect_tqdm():  # log lines go above the progress bar, not through it
                return _commands()[args.command](args)
        return _commands()[args.command](args)
    except Palabra2vecError as e:
        if debug:
            raise
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: still one line unless --debug
        if debug:
            raise
        print(f"{PROG}: internal error: {type(e).__name__}: {e} (run with --debug for details)", file=sys.stderr)
        return 1
