"""What users keep and query: word vectors, file formats, evaluation."""

from .word_vectors import WordVectors, load_vectors

__all__ = ["WordVectors", "load_vectors"]
