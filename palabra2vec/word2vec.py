"""``Word2Vec``: corpus in, trained model out — the one call most users need."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .config import TrainConfig
from .memory import return_free_memory
from .text.corpus import Corpus
from .text.encoded import encode_corpus
from .storage import SavedModel, load_model, save_model
from .training.train import Trainer
from .vectors.word_vectors import WordVectors
from .text.vocab import Vocab
from .variants import INPUT, OUTPUT, word_vectors

log = logging.getLogger(__name__)

CorpusLike = Corpus | str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | Iterable[Sequence[str]] | None


def as_corpus(corpus: CorpusLike, config: TrainConfig, encoding: str | None = None, data_dir: str | None = None) -> Iterable[Sequence[str]]:
    """Sentences from files/directories (tokenized per ``config``), token lists, or Don Quijote."""
    if corpus is None:
        from .text.datasets import quijote_path

        return Corpus([quijote_path(data_dir)], config.tokenizer, config.lowercase, config.max_sentence_length, encoding)
    if isinstance(corpus, (str, os.PathLike)):
        corpus = [corpus]
    if isinstance(corpus, (list, tuple)) and corpus and all(isinstance(p, (str, os.PathLike)) for p in corpus):
        return Corpus(corpus, config.tokenizer, config.lowercase, config.max_sentence_length, encoding)
    return corpus  # type: ignore[return-value]


def _torch_version() -> str | None:
    """PyTorch's version, without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return None


class Word2Vec:
    """A trained model: its named tables (:mod:`palabra2vec.variants`), the vocabulary, the
    config and the history."""

    def __init__(self, config: TrainConfig, vocab: Vocab, tables: dict[str, np.ndarray],
                 info: dict[str, Any] | None = None, history: list[dict[str, Any]] | None = None) -> None:
        self.config = config
        self.vocab = vocab
        self.tables = tables  #: name -> float32 table, e.g. "input" (V, D) and "output" (V, D)
        self.info = info or {}
        self.history = history or []
        self._wv: WordVectors | None = None

    @property
    def input(self) -> np.ndarray:
        """The input table (V, D): word2vec.c's ``syn0``."""
        return self.tables[INPUT]

    @property
    def output(self) -> np.ndarray:
        """The output table (V, D) of negative sampling: word2vec.c's ``syn1neg``."""
        return self.tables[OUTPUT]

    @classmethod
    def train(
        cls,
        corpus: CorpusLike = None,
        config: TrainConfig | None = None,
        callbacks: Sequence[Any] = (),
        progress: bool = True,
        workdir: str | os.PathLike[str] | None = None,
        encoding: str | None = None,
        data_dir: str | None = None,
        resume_from: str | os.PathLike[str] | None = None,
    ) -> "Word2Vec":
        """Read ``corpus`` (default: Don Quijote), build the vocabulary, train, return the model.

        >>> model = Word2Vec.train("mi_corpus.txt", TrainConfig(epochs=5))  # doctest: +SKIP
        >>> model.wv.most_similar("día")  # doctest: +SKIP
        """
        config = (config or TrainConfig()).resolve(builtin_corpus=corpus is None).validate()
        t0 = time.perf_counter()
        sentences = as_corpus(corpus, config, encoding, data_dir)
        vocab, encoded = encode_corpus(sentences, config.min_count, workdir)
        return_free_memory()  # what counting freed, before the tables and the kernel come in
        t_vocab = time.perf_counter() - t0
        log.info("vocabulary: %d words (min_count %d) from %d corpus words in %.1fs",
                 len(vocab), config.min_count, encoded.raw_words, t_vocab)
        try:
            trainer = Trainer(vocab, config, callbacks, progress, corpus_words=encoded.raw_words)
            for cb in callbacks:  # callbacks that need the trainer (checkpoint.Checkpointer)
                if hasattr(cb, "attach"):
                    cb.attach(trainer)
            if resume_from is not None:  # continue from a checkpoint (see checkpoint.py)
                from .training.checkpoint import restore

                restore(trainer, resume_from)
            state = trainer.train(encoded)
            tables = trainer.tables()
        finally:
            encoded.close()
        info = dict(
            backend=trainer.backend_name,
            device=str(trainer.device),
            threads=config.threads,
            corpus_words=encoded.raw_words,
            vocab_words=len(vocab),
            sentences=encoded.n_sentences,
            epochs_done=len(state.history),
            stopped_early=state.stop,
            final_loss=state.loss,
            seconds_vocab=round(t_vocab, 3),
            seconds_train=round(state.elapsed, 3),
            words_per_second_train=round(state.words_per_second, 1),
            torch_version=_torch_version(),
        )
        from .vectors.health import FREQUENT_WORDS, collapse_warning, mean_random_cosine

        wv = word_vectors(config, vocab, tables)  # composed once (subwords: ~0.2 s on corpus-es), kept for .wv
        vectors = wv.vectors
        # the collapse check's figure: random pairs among the most frequent words (health.py)
        info["mean_random_cosine"] = round(mean_random_cosine(vectors, top=FREQUENT_WORDS), 4)
        # the figure the course notebook prints: its loss accumulator is never reset, so its
        # "loss" is the mean over every epoch (exactly this when examples are drawn once)
        losses = [h["loss"] for h in state.history]
        info["mean_loss_all_epochs"] = float(np.mean(losses)) if losses else float("nan")
        warning = None if state.stop else collapse_warning(vectors, config.epochs)
        if warning:
            log.warning(warning)
        model = cls(config, vocab, tables, info, state.history)
        model._wv = wv
        return model

    @property
    def wv(self) -> WordVectors:
        """The word vectors users query, composed from the tables (:func:`palabra2vec.variants.word_vectors`)."""
        if self._wv is None:
            self._wv = word_vectors(self.config, self.vocab, self.tables)
        return self._wv

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the model directory (see :mod:`palabra2vec.storage`)."""
        return save_model(directory, SavedModel(self.config, self.vocab, self.tables, self.info, self.history))

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> "Word2Vec":
        m = load_model(directory)
        return cls(m.config, m.vocab, m.tables, m.info, m.history)

    def __repr__(self) -> str:
        return f"Word2Vec({len(self.vocab)} words x {self.config.vector_size} dims)"
