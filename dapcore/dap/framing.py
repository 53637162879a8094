"""Content-Length framing of DAP messages.

The header is ASCII lines ending in CRLF, a blank line, then exactly
``Content-Length`` bytes of UTF-8 JSON. Lengths are counted in bytes, never
characters. :class:`FrameParser` is incremental: feed it whatever a read
returned (half a header, three messages at once) and it yields each complete
message.

Bad input never raises. Each problem becomes a :class:`FrameError` in the
output, and the parser resynchronises on the next ``Content-Length:`` header.
The server answers a ``FrameError`` this way:

- if a request ``seq`` (and possibly its ``command``) can be recovered from
  the body, with an error response to that request;
- otherwise with an ``output`` event of category ``stderr`` saying what was
  dropped (there is no request to answer).
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

MAX_HEADER = 8192  # bytes before the blank line
MAX_BODY = 64 * 1024 * 1024  # a DAP message is never anywhere near this

_HEADER_END = b"\r\n\r\n"
_MARKER = b"Content-Length:"
_SEQ = re.compile(rb'"seq"\s*:\s*(\d{1,10})(?![\d.eE])')
_COMMAND = re.compile(rb'"command"\s*:\s*"([A-Za-z_][A-Za-z0-9_]{0,63})"')


class FrameError(NamedTuple):
    """A message that could not be read; ``seq``/``command`` when recovered."""

    message: str
    seq: int | None = None
    command: str | None = None


class RawJSON:
    """A body already written as JSON text, kept as its ASCII bytes: the
    ``threads`` response of 1,000,000 goroutines is written by hand, far
    faster than ``json`` makes it from a dict per thread, and encoded once,
    in the engine's thread; it is sent as it is, without being copied into
    the message (a 70 MB body copied three times cost 0.17 s)."""

    __slots__ = ("data",)

    def __init__(self, text: str) -> None:
        self.data = text.encode("ascii")

    def __repr__(self) -> str:
        return f"RawJSON(<{len(self.data):,} bytes>)"


def encode_parts(message: dict[str, Any]) -> list[bytes]:
    """One framed message as the buffers to write one after the other: a
    :class:`RawJSON` body is one of them, not copied."""
    raw = message.get("body")
    if not isinstance(raw, RawJSON):
        return [encode(message)]
    head = json.dumps({k: v for k, v in message.items() if k != "body"},
                      ensure_ascii=True, separators=(",", ":"))
    prefix = f"{head[:-1]},\"body\":".encode("ascii")
    length = len(prefix) + len(raw.data) + 1
    return [b"Content-Length: %d\r\n\r\n" % length + prefix, raw.data, b"}"]


def encode(message: dict[str, Any]) -> bytes:
    """One framed message (compact UTF-8 JSON, length in bytes)."""
    if isinstance(message.get("body"), RawJSON):
        return b"".join(encode_parts(message))
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (echoed from a client's "\ud800") has no UTF-8
        # form: escape everything outside ASCII instead, which JSON allows.
        body = json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class FrameParser:
    """Incremental decoder: :meth:`feed` returns decoded messages and errors."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._need: int | None = None  # body length once a header was read

    def feed(self, data: bytes) -> list[dict[str, Any] | FrameError]:
        self._buf += data
        out: list[dict[str, Any] | FrameError] = []
        while True:
            if self._need is None:
                end = self._buf.find(_HEADER_END)
                if end < 0:
                    if len(self._buf) > MAX_HEADER:
                        out.append(self._drop_garbage("header too long (no blank line)"))
                        continue
                    return out
                header = bytes(self._buf[:end])
                length, problem = _content_length(header)
                if problem is not None:
                    marker = header.rfind(_MARKER)
                    if marker > 0:  # garbage run into a real header: keep the header
                        del self._buf[:marker]
                        out.append(FrameError(f"bad message header: {problem}"))
                        continue
                    del self._buf[: end + len(_HEADER_END)]
                    out.append(FrameError(f"bad message header: {problem}"))
                    self._resync()
                    continue
                del self._buf[: end + len(_HEADER_END)]
                self._need = length
            assert self._need is not None
            if len(self._buf) < self._need:
                return out
            body = bytes(self._buf[: self._need])
            del self._buf[: self._need]
            self._need = None
            out.append(_decode_body(body))

    def _drop_garbage(self, why: str) -> FrameError:
        """Drop bytes up to the next header (or all but a possible partial one)."""
        nxt = self._buf.find(_MARKER, 1)
        if nxt < 0:
            keep = len(_MARKER) - 1
            del self._buf[: max(0, len(self._buf) - keep)]
        else:
            del self._buf[:nxt]
        return FrameError(f"bad message header: {why}")

    def _resync(self) -> None:
        """After a broken header: skip anything before the next ``Content-Length:``
        that is not itself the start of a header."""
        if not self._buf or self._buf.startswith(_MARKER[: len(self._buf)]):
            return
        nxt = self._buf.find(_MARKER)
        if nxt > 0:
            del self._buf[:nxt]


def _content_length(header: bytes) -> tuple[int, str | None]:
    length: int | None = None
    for raw in header.split(b"\r\n"):
        if not raw.strip():
            continue
        name, sep, value = raw.partition(b":")
        if not sep:
            return 0, f"not a header line: {raw[:60]!r}"
        if name.strip().lower() == b"content-length":
            text = value.strip()
            if not text.isdigit():
                return 0, f"Content-Length is not a non-negative number: {text[:30]!r}"
            length = int(text)
            if length > MAX_BODY:
                return 0, f"Content-Length {length} is larger than {MAX_BODY}"
    if length is None:
        return 0, "no Content-Length"
    return length, None


def _decode_body(body: bytes) -> dict[str, Any] | FrameError:
    try:
        msg = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return _recovered(body, f"message body is not JSON: {exc}")
    except RecursionError:
        return _recovered(body, "message body is nested too deeply")
    if not isinstance(msg, dict):
        return FrameError(f"message body is a JSON {type(msg).__name__}, not an object")
    return msg


def _recovered(body: bytes, why: str) -> FrameError:
    seq = _SEQ.search(body)
    cmd = _COMMAND.search(body)
    return FrameError(why, int(seq.group(1)) if seq else None,
                      cmd.group(1).decode() if cmd else None)
