"""``palabra2vec stats``: token and vocabulary counts, subsampling, center-context pairs."""

from __future__ import annotations

import argparse
from typing import Any

from .common import _add_corpus_args, _positive_int
from ..config import PRESETS, SUBSAMPLE_FORMULAS, SUBSAMPLE_TOTALS, TrainConfig, preset
from ..errors import UsageError

#: stats' own defaults where they differ from training's (the notebook's formula)
STATS_DEFAULTS: dict[str, Any] = dict(min_count=5, sample=1e-4, subsample_formula="notebook",
                                      subsample_total="vocab", window=5)


def add_stats_parser(sub: Any) -> None:
    st = sub.add_parser("stats", help="corpus statistics: counts, vocabulary, subsampling, pairs per epoch",
                        description="Token and vocabulary counts, top-10 words, what subsampling does, and the "
                                    "center-context pairs of one epoch. Options not given come from --preset, "
                                    "else from the defaults shown.")
    _add_corpus_args(st)
    st.add_argument("--preset", choices=sorted(PRESETS), default=None,
                    help="take the settings of a training preset; notebook: tokenizer notebook, min count 10, "
                         "notebook formula with f over every token, window 5 (default: none)")
    d = STATS_DEFAULTS
    st.add_argument("--min-count", type=_positive_int, default=None,
                    help=f"ignore words seen fewer times (default {d['min_count']})")
    st.add_argument("--sample", type=float, default=None,
                    help=f"subsampling threshold t, 0 to disable (default {d['sample']:g})")
    st.add_argument("--subsample-formula", choices=SUBSAMPLE_FORMULAS, default=None,
                    help=f"notebook (the paper's) or word2vec (gensim, word2vec.c) (default {d['subsample_formula']})")
    st.add_argument("--subsample-total", choices=SUBSAMPLE_TOTALS, default=None,
                    help="f counted over the in-vocabulary tokens (vocab) or every token of the corpus "
                         f"(corpus, the notebook) (default {d['subsample_total']})")
    st.add_argument("--window", type=_positive_int, default=None,
                    help=f"maximum window size, for the pairs per epoch (default {d['window']})")
    st.add_argument("--words", nargs="+", default=["que", "mesa"], metavar="WORD",
                    help="words whose subsampling to show (default: %(default)s)")
    st.add_argument("--seed", type=_positive_int, default=1, help="random seed (default %(default)s)")


def stats_config(args: argparse.Namespace) -> TrainConfig:
    """The settings stats uses: flags given, else the preset's, else :data:`STATS_DEFAULTS`."""
    given = {k: getattr(args, k) for k in ("min_count", "sample", "subsample_formula", "subsample_total",
                                           "window", "tokenizer", "lowercase", "seed")
             if getattr(args, k, None) is not None}
    if args.preset:
        cfg = preset(args.preset, **given)
    else:
        cfg = TrainConfig(**{**STATS_DEFAULTS, **given})
    if cfg.sample < 0:
        raise UsageError("sample must be >= 0")
    return cfg.validate()


def cmd_stats(args: argparse.Namespace) -> int:
    import numpy as np

    from ..text.encoded import encode_corpus
    from ..training.notebook import count_pairs, subsample_keep
    from ..training.sampling import subsampled_counts
    from ..word2vec import as_corpus

    cfg = stats_config(args)
    sentences = as_corpus(args.corpus or None, cfg, args.encoding, args.data_dir)
    vocab, enc = encode_corpus(sentences, cfg.min_count)
    with enc:
        print(f"tokens: {enc.raw_words:,} in {enc.n_sentences:,} sentences")
        print(f"distinct tokens: {enc.n_distinct:,}")
        print(f"with count >= {cfg.min_count}: {len(vocab):,} words, {vocab.total:,} tokens")
        print("top 10: " + ", ".join(f"{w} {c:,}" for w, c in vocab.most_common(10)))
        keep = subsample_keep(vocab.counts, enc.raw_words, cfg)
        after = subsampled_counts(enc.chunks(1 << 20), keep, np.random.default_rng(cfg.seed))
        over = (f"all {enc.raw_words:,} corpus tokens" if cfg.subsample_total == "corpus"
                else f"the {vocab.total:,} in-vocabulary tokens")
        print(f"subsampling ({cfg.subsample_formula} formula, t={cfg.sample:g}, f over {over}, seed {cfg.seed}): "
              f"{vocab.total:,} -> {int(after.sum()):,} tokens")
        if args.subsample_formula is None and not args.preset:
            print("  (stats uses the notebook's formula by default, to reproduce the course's figures; "
                  "train uses word2vec's unless --subsample-formula notebook)")
        for w in args.words:
            i = vocab[w]
            print(f"  {w}: {int(vocab.counts[i]):,} -> {int(after[i]):,} "
                  f"(keep probability {keep[i]:.4f}, expected {vocab.counts[i] * keep[i]:,.0f})")
        centers, pairs = count_pairs(enc.chunks(1 << 20), keep, cfg.window, np.random.default_rng(cfg.seed + 1))
        print(f"center-context pairs per epoch (window 1..{cfg.window}, seed {cfg.seed}): {pairs:,} "
              f"({centers:,} centers)")
    return 0
