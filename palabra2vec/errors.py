"""Errors palabra2vec raises on purpose: each carries the exit code the CLI uses for it."""

from __future__ import annotations


class Palabra2vecError(Exception):
    """A problem the user can fix (bad file, bad model, ...): one line, exit code 1."""

    exit_code = 1


class UsageError(Palabra2vecError, ValueError):
    """A bad argument or hyperparameter: one line, exit code 2."""

    exit_code = 2


class UnknownWordError(UsageError, KeyError):
    """A query word that is not in the vocabulary."""

    exit_code = 2

    def __init__(self, word: str, suggestions: list[str] | None = None) -> None:
        self.word = word
        self.suggestions = list(suggestions or [])
        msg = f"word {word!r} is not in the vocabulary"
        if self.suggestions:
            msg += " (did you mean: " + ", ".join(self.suggestions) + "?)"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]
