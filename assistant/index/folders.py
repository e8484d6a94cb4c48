"""Copying a folder the way the index needs it: all of it, or an error at the first failure."""

from __future__ import annotations

import shutil
from pathlib import Path


class _Stop(Exception):
    """Carries a failed file copy out of `shutil.copytree`, which would otherwise go on
    with every other file (on a full disk: one error per file) and report them all."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def copy_folder(source: Path, target: Path) -> None:
    """Copy folder `source` to `target` (which must not exist).

    Raises:
        OSError: the first file or folder that could not be copied (`target` is left as
            far as it got; the caller removes it).
    """
    try:
        shutil.copytree(source, target, copy_function=_copy_file)
    except _Stop as stop:
        raise stop.error from None
    except shutil.Error as err:  # a folder that could not be made
        _, _, reason = err.args[0][0]
        raise OSError(reason) from err


def _copy_file(source: str, target: str) -> None:
    try:
        shutil.copy2(source, target)
    except OSError as err:
        raise _Stop(err) from err
