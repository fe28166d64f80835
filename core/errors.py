"""User-facing errors: each says what is wrong and what to do about it."""

from __future__ import annotations

from pathlib import Path


class CLWEError(ValueError):
    """Base class for problems a user can fix (bad file, impossible request)."""


class FileFormatError(CLWEError):
    """A file could not be read.

    The message names the file, the line (1-based, when one is to blame), the problem and a hint.
    """

    def __init__(self, path: str | Path, line: int | None, problem: str, hint: str = ""):
        self.path = str(path)
        self.line = line
        self.problem = problem
        self.hint = hint
        where = self.path if line is None else f"{self.path}, line {line}"
        message = f"{where}: {problem}"
        if hint:
            message += f". {hint}"
        super().__init__(message)


class ConfigError(CLWEError):
    """An impossible request or a wrong parameter (too few seed pairs, cutoff above the vocabulary...)."""
