"""Where the asynchronous stdio server takes over a session whose first
exchange :mod:`dapcore.dap.handshake` answered (start-up time, issue #16).
Imports only the framing: it is loaded before the server."""

from __future__ import annotations

import os
import sys
from typing import Any

from dapcore.dap.framing import FrameError, FrameParser

__all__ = ["Start", "protocol_stdout"]


class Start:
    """Where the asynchronous server takes over the stdio session."""

    __slots__ = ("client", "interrupted", "out_fd", "out_gone", "parser", "pending", "sent",
                 "unfed")

    def __init__(self, out_fd: int) -> None:
        self.out_fd = out_fd  # the protocol's stream (stdout's descriptor, duplicated)
        self.out_gone = False  # writing to it failed: the client closed it
        self.parser = FrameParser()  # holds the bytes of a message not yet complete
        self.pending: list[dict[str, Any] | FrameError] = []  # decoded, not yet answered
        self.unfed = b""  # read, not yet decoded (the decoder failed on it)
        self.client: dict[str, Any] | None = None  # the initialize arguments, once answered
        self.sent = 0  # messages sent (the session numbers the next one sent + 1)
        self.interrupted = False  # SIGINT before the server took over


def protocol_stdout() -> int:
    """Keep stdout's descriptor for the protocol alone and point file
    descriptor 1 (and ``sys.stdout``) at stderr, so that a stray ``print``
    cannot corrupt the stream. Returns the protocol's descriptor."""
    out_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out_fd
