"""palabra2vec: word2vec (skip-gram with negative sampling) in PyTorch, Spanish first."""

from .config import TrainConfig, preset
from .text.corpus import Corpus, tokenize_spanish
from .text.phrases import Phrases
from .errors import Palabra2vecError, UnknownWordError, UsageError
from .vectors.word_vectors import WordVectors
from .text.vocab import Vocab
from .word2vec import Word2Vec

__version__ = "0.1.0"

__all__ = [
    "Corpus",
    "Palabra2vecError",
    "Phrases",
    "TrainConfig",
    "UnknownWordError",
    "UsageError",
    "Vocab",
    "Word2Vec",
    "WordVectors",
    "preset",
    "tokenize_spanish",
    "__version__",
]
