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
from ..config import PRESETS, TrainConfig, describe_preset, preset
from ..errors import Palabra2vecError, UsageError
from ..variants import describe
from .common import (CORPUS_FIELDS, PROG, _add_corpus_args, _Parser, _positive_int, add_config_flags,
                     config_overrides)
from .phrases import add_phrases_parser, add_train_phrase_args, cmd_phrases, phrased_training_corpus



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
    t.add_argument("--preset", choices=sorted(PRESETS), default=None,
                   help="start from a preset; flags given override it. "
                        + "; ".join(f"{n}: {describe_preset(n)}" for n in sorted(PRESETS))
                        + " (the notebook's pipeline: README 'The notebook preset') (default: none)")
    add_config_flags(t, exclude=CORPUS_FIELDS)
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    t.add_argument("--checkpoint-every", default="5m", metavar="DURATION",
                   help="checkpoint into the model directory this often, and at the end of each epoch "
                        "that ends a minute or more after the last checkpoint (every epoch end when "
                        "DURATION is under a minute) (30s, 5m, 1h; default %(default)s)")
    t.add_argument("--resume", action="store_true",
                   help="continue the interrupted run whose checkpoint is in --output")
    t.add_argument("--sync-every", type=_positive_int, default=200_000, metavar="WORDS",
                   help="under torchrun: combine the ranks' table updates every WORDS words, all ranks "
                        "together (default %(default)s; see the README, 'Training on several machines')")
    t.add_argument("--no-plot", dest="plot", action="store_false",
                   help="do not write loss.png into the model directory at the end")
    add_train_phrase_args(t)

    from .vectors import add_vector_parsers

    add_vector_parsers(sub)
    add_phrases_parser(sub)

    from .stats import add_stats_parser

    add_stats_parser(sub)
    from .plots import add_plot_parser

    add_plot_parser(sub)
    from .serve import add_serve_parser

    add_serve_parser(sub)
    return parser


def _config_from_args(args: argparse.Namespace) -> TrainConfig:
    overrides = config_overrides(args)
    config = preset(args.preset, **overrides) if args.preset else TrainConfig(**overrides)
    # epochs left unset: the library's default for this corpus (TrainConfig.resolve)
    return config.resolve(builtin_corpus=not getattr(args, "corpus", None)).validate()


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
    from ..locking import DirectoryLock, remove_stale_temporaries
    from ..training.checkpoint import parse_duration

    parse_duration(args.checkpoint_every)
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--output {out} exists and is not a directory")
    if os.environ.get("RANK", "0") != "0":  # torchrun: only rank 0 writes the directory
        return _train_locked(args, out, created=False)
    created = not out.exists()
    # one run at a time in a model directory: an OS lock, dropped when the process ends
    lock = DirectoryLock(out, f"palabra2vec train --output {out}").acquire()
    try:
        remove_stale_temporaries(out)  # what a killed run left: nobody else writes here now
        return _train_locked(args, out, created)
    finally:
        lock.release()
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # a run that failed at once leaves no empty directory behind


def _train_locked(args: argparse.Namespace, out: Path, created: bool) -> int:
    from ..locking import LOCK_NAME
    from ..training.checkpoint import CHECKPOINT, CLI_EPOCH_END_AFTER, Checkpointer, has_checkpoint, parse_duration
    from ..training.guards import DivergenceError
    from ..word2vec import Word2Vec

    every = parse_duration(args.checkpoint_every)
    if args.resume:
        if not has_checkpoint(out):
            raise UsageError(f"--resume: no checkpoint in {out} (nothing to resume)")
        config = _resume_config(args, out)
    else:
        config = _config_from_args(args)
        # under torchrun only rank 0 checks: the others would race with its lock file being made
        first = os.environ.get("RANK", "0") == "0"
        if first and out.is_dir() and any(p.name != LOCK_NAME for p in out.iterdir()) and not args.overwrite:
            raise UsageError(f"{out} already exists; choose another --output, pass --overwrite, "
                             "or --resume to continue an interrupted run")
    distributed = os.environ.get("WORLD_SIZE", "1") != "1"  # torchrun; looked at before importing torch
    if distributed:
        from ..training.distributed import is_distributed

        distributed = is_distributed()
    if distributed:  # launched by torchrun with WORLD_SIZE > 1
        return _train_distributed(args, config, out)
    from ..training.training_log import TrainingLog

    out.mkdir(parents=True, exist_ok=True)  # the training log is written into it as training goes
    training_log = TrainingLog(out, append=args.resume)
    t0 = time.perf_counter()
    corpus = args.corpus or None
    stopper = _StopOnSignal()
    # removed below, once the model is saved. Epoch ends: those a minute after the last checkpoint
    # (short epochs do not each stop to write one), every one with --checkpoint-every under a minute
    checkpointer = Checkpointer(out, every=every, keep_when_done=True,
                                epoch_end_after=CLI_EPOCH_END_AFTER if every >= CLI_EPOCH_END_AFTER else 0.0)
    stopper.install()
    try:
        phrased = phrased_training_corpus(args, config)  # train --phrases: join phrases first
        model = Word2Vec.train(phrased or corpus, config, callbacks=[checkpointer, stopper, training_log], progress=not args.quiet,
                               encoding=args.encoding, data_dir=args.data_dir,
                               resume_from=out if args.resume else None)
    except DivergenceError as e:
        if has_checkpoint(out):
            raise DivergenceError(f"{e}; the last good checkpoint is kept in {out}") from e
        if created and not any(p.name not in ("training_log.csv", LOCK_NAME) for p in out.iterdir()):
            shutil.rmtree(out, ignore_errors=True)
        raise
    except BaseException:
        if created and not any(p.name not in ("training_log.csv", LOCK_NAME) for p in out.iterdir()):
            shutil.rmtree(out, ignore_errors=True)  # failed before anything worth keeping: leave no debris
        raise
    finally:
        stopper.uninstall()
    model.save(out)
    if phrased:
        phrased.save_into(out)
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
    if args.resume:  # seconds_train also counts the runs before the interruption
        took = (f"in {total:.1f}s this run (training {info['seconds_train']:.1f}s over all runs, "
                "the interrupted ones included, ")
    else:
        took = f"in {total:.1f}s (training {info['seconds_train']:.1f}s, "
    print(f"{info['corpus_words']:,} corpus words x {info['epochs_done']} epochs {took}"
          f"{info['words_per_second_train']:,.0f} words/s, "
          f"backend {info['backend']} on {info['device']}, {config.threads} threads); final loss {info['final_loss']:.4f}")
    if config.draw_once:  # the notebook's pipeline: also the loss figure the notebook prints
        print(f"mean loss over all {info['epochs_done']} epochs {info['mean_loss_all_epochs']:.4f} "
              "(what the notebook prints as its loss: its accumulator is never reset between epochs)")
    if args.plot:
        from .plots import write_loss_plot

        write_loss_plot(out)
    wv = model.wv
    from ..vectors.health import probe_words

    probes = probe_words(wv.index_to_key)
    if probes:
        print("nearest neighbours:")
        _print_neighbours(wv, probes)
    return 0


def _commands() -> dict[str, Any]:
    from .plots import cmd_plot
    from .serve import cmd_serve
    from .stats import cmd_stats
    from .vectors import cmd_analogy, cmd_evaluate, cmd_export, cmd_similar

    return {"train": cmd_train, "stats": cmd_stats, "similar": cmd_similar, "analogy": cmd_analogy,
            "evaluate": cmd_evaluate, "export": cmd_export, "plot": cmd_plot, "serve": cmd_serve,
            "phrases": cmd_phrases}


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
    except OSError as e:  # a file system refusing (read-only, full, no permission) not named above
        if debug:
            raise
        where = f": {e.filename}" if e.filename else ""
        print(f"{PROG}: error: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except Exception as e:  # a bug: still one line unless --debug
        if debug:
            raise
        print(f"{PROG}: internal error: {type(e).__name__}: {e} (run with --debug for details)", file=sys.stderr)
        return 1
