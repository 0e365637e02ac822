"""What every command's parser shares: the program name, one-line usage errors, corpus options."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from ..config import TrainConfig
from ..errors import UsageError

PROG = "palabra2vec"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    return v


#: config fields that every command reading a corpus offers (the rest are ``train``'s)
CORPUS_FIELDS = ("tokenizer", "lowercase")


def add_config_flags(p: argparse.ArgumentParser, names: Sequence[str] | None = None,
                     exclude: Sequence[str] = ()) -> None:
    """One flag per :class:`TrainConfig` field (``names``, or every CLI field not excluded),
    made from the field's type, default and help metadata. Flags default to None, so that
    only what the user typed overrides the config (or a preset, or a checkpoint)."""
    defaults = TrainConfig()
    for f in TrainConfig.cli_fields():
        if (names is not None and f.name not in names) or f.name in exclude:
            continue
        meta, default = f.metadata, getattr(defaults, f.name)
        shown = meta.get("shown") or (f"{default:g}" if isinstance(default, float) else str(default))
        flag = "--" + f.name.replace("_", "-")
        if isinstance(default, bool):
            if default:  # a switch that turns it off
                p.add_argument(f"--no-{f.name.replace('_', '-')}", dest=f.name, action="store_false", default=None,
                               help=f"turn off: {meta['help']} (default: on)")
            else:
                p.add_argument(flag, dest=f.name, action="store_true", default=None, help=f"{meta['help']} (default: off)")
            continue
        typ = meta.get("kind") or type(default)
        kind = {int: _positive_int, float: float}.get(typ, str)
        p.add_argument(flag, dest=f.name, type=kind, choices=meta.get("choices"), default=None,
                       metavar=None if meta.get("choices") else {int: "N", float: "X"}.get(typ, "NAME"),
                       help=f"{meta['help']} (default: {shown})")


def config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config fields the user gave on the command line."""
    return {f.name: getattr(args, f.name) for f in TrainConfig.cli_fields() if getattr(args, f.name, None) is not None}


def _add_corpus_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("corpus", nargs="*", metavar="CORPUS",
                   help="text files or directories (.gz/.bz2/.xz too); none: Don Quijote")
    add_config_flags(p, CORPUS_FIELDS)
    p.add_argument("--encoding", default=None, help="text encoding (default: UTF-8, Latin-1 if not UTF-8)")
    p.add_argument("--data-dir", default=None,
                   help="directory holding pg2000.txt, to use instead of downloading (or PALABRA2VEC_DATA; "
                        "default: download once and cache)")



def corpus_config(args: argparse.Namespace) -> TrainConfig:
    """The config of a command that reads a corpus without training (``stats``, ``plot``):
    its corpus flags and whichever of min_count/sample/subsample_formula/seed it offers,
    checked by the same rules as ``train``'s."""
    given = {name: getattr(args, name) for name in ("min_count", "sample", "subsample_formula", "seed")
             if getattr(args, name, None) is not None}
    given.update(config_overrides(args))
    return TrainConfig(**given).validate()
