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


class OutputError(CLWEError):
    """An output could not be written (full disk, file-size limit, no permission); nothing partial is kept."""

    def __init__(self, target: str | Path, error: OSError):
        self.target = str(target)
        self.errno = error.errno
        super().__init__(f"cannot write {self.target}: {_os_reason(error)}")


def _os_reason(error: OSError) -> str:
    import errno

    reasons = {
        errno.ENOSPC: "no space left on the device. Free some space or write to another disk",
        errno.EDQUOT: "the disk quota is exhausted. Free some space or write to another disk",
        errno.EFBIG: "a file grew beyond the allowed size (see `ulimit -f`). Raise the limit or write less "
                     "(--max-vocab)",
        errno.EACCES: "permission denied. Choose a folder you can write to",
        errno.EPERM: "permission denied. Choose a folder you can write to",
        errno.EROFS: "the file system is read-only. Choose another folder",
        errno.ENOTDIR: "a part of the path is a file, not a folder. Check the path",
        errno.EEXIST: "a part of the path is a file, not a folder. Check the path",
        errno.EISDIR: "it is a folder. Give a file name",
        errno.ENOENT: "a folder on the path does not exist. Check the path",
    }
    return reasons.get(error.errno, f"{error.strerror or error}. Check the path and the free space")
