"""The one exception every normaliser raises, with a human-readable reason."""

from __future__ import annotations


class NormalizeError(Exception):
    """A document could not be normalised; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
