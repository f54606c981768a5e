"""Files that appear whole or not at all: written under a temporary name, then renamed.

Layer: training (standard library only, so that the light commands can use it too).
A temporary file is `.NAME.PID.tmp.SUFFIX` beside its target: hidden, the writing
process's own, the suffix kept (matplotlib picks the format from it). Only a
killed process leaves one behind; `is_temporary` finds them to clear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from os import getpid
from pathlib import Path

TEMPORARY_MARK = ".tmp"


def temporary_path(target: Path) -> Path:
    return target.with_name(f".{target.stem}.{getpid()}{TEMPORARY_MARK}{target.suffix}")


def is_temporary(path: Path) -> bool:
    """A file `temporary_path` names."""
    return re.fullmatch(rf"\..+\.\d+{re.escape(TEMPORARY_MARK)}(\.[^.]*)?", path.name) is not None


@contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """A temporary path to write `path` to; renamed over it when the writing succeeded (a writer
    that decided to write nothing leaves `path` as it was). An OSError names `path`, not the
    temporary file."""
    temporary = temporary_path(path)
    try:
        yield temporary
        if temporary.exists():
            temporary.replace(path)
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from None
    finally:
        temporary.unlink(missing_ok=True)
