"""What users keep and query: word vectors, file formats, evaluation."""

from .loading import load_vectors
from .word_vectors import WordVectors

__all__ = ["WordVectors", "load_vectors"]
