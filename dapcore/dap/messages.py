"""The shapes of the messages the server sends (before their ``seq``, which
:meth:`dapcore.dap.state.State.send` numbers): one source for the session
and for the synchronous first exchange (:mod:`dapcore.dap.handshake`).
Imports nothing: the server answers ``initialize`` with it before anyio is
loaded (start-up time, issue #16)."""

from __future__ import annotations

MAX_SEQ = 2**31 - 1  # the protocol's sequence numbers are 32-bit


def valid_seq(seq: object) -> bool:
    """Whether ``seq`` is a request's sequence number a response can name."""
    return isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= MAX_SEQ


def response(req_seq: int, command: str, body: object | None) -> dict[str, object]:
    """A successful response to request ``req_seq``."""
    msg: dict[str, object] = {"type": "response", "request_seq": req_seq, "success": True,
                              "command": command}
    if body is not None:
        msg["body"] = body
    return msg


def event(name: str, body: dict[str, object] | None = None) -> dict[str, object]:
    msg: dict[str, object] = {"type": "event", "event": name}
    if body is not None:
        msg["body"] = body
    return msg
