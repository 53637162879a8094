"""Opening the files dapcore reads without ever blocking on them.

A FIFO (or a character device such as a terminal) given as a core, an
executable or a file a core names would make a plain ``open()`` wait for a
writer forever. Files are opened with ``O_NONBLOCK`` and checked to be
regular files before anything reads them.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO


class NotRegularFile(OSError):
    """The path exists but is not a regular file (a FIFO, a device, a directory)."""

    def __init__(self, kind: str) -> None:
        super().__init__(0, f"{kind}, not a regular file")
        self.kind = kind


def open_regular(path: str | os.PathLike[str], follow_link: bool = True) -> BinaryIO:
    """``path`` opened for binary reading; :class:`NotRegularFile` (an
    ``OSError``) when it is not a regular file, other ``OSError``\\ s as
    ``open()`` raises them (``ELOOP`` when ``path`` is a symbolic link and
    ``follow_link`` is false). Never blocks."""
    # O_NONBLOCK: opening a FIFO with no writer returns at once instead of
    # waiting; on a regular file the flag changes nothing.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_link:
        flags |= os.O_NOFOLLOW
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(
                "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "a special file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
