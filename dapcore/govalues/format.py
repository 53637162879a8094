"""Go notation for scalar values: ``strconv.FormatFloat(f, 'g', -1, bits)``
and ``strconv.Quote`` (``%q``), written from the Go sources' rules."""

from __future__ import annotations

import math
import struct
import unicodedata

__all__ = ["format_complex", "format_float", "format_int", "quote_bytes", "quote_rune"]

_ESCAPES = {7: r"\a", 8: r"\b", 12: r"\f", 10: r"\n", 13: r"\r", 9: r"\t", 11: r"\v",
            0x5C: "\\\\"}


def _shortest_digits(v: float, bits: int) -> tuple[str, int]:
    """(digits, decimal point position) of the shortest decimal that reads
    back as ``v`` (a positive finite number) at ``bits`` precision."""
    for prec in range(1, 18):
        s = f"{v:.{prec - 1}e}"
        back = float(s)
        if bits == 32:
            back = struct.unpack("<f", struct.pack("<f", back))[0]
        if back == v:
            break
    mant, exp = s.split("e")
    digits = mant.replace(".", "").rstrip("0") or "0"
    return digits, int(exp) + 1


def _repr_digits(v: float) -> tuple[str, int]:
    """:func:`_shortest_digits` of a float64: Python's ``repr`` is the
    shortest decimal that reads back as ``v``, correctly rounded (the same
    digits, from one conversion instead of one per length tried)."""
    mant, _, exp = repr(v).partition("e")
    whole, _, frac = mant.partition(".")
    raw = whole + frac
    digits = raw.lstrip("0")
    dp = len(whole) + (int(exp) if exp else 0) - (len(raw) - len(digits))
    return digits.rstrip("0") or "0", dp


def format_float(v: float, bits: int = 64) -> str:
    """``strconv.FormatFloat(v, 'g', -1, bits)``: ``3.14``, ``1e+21``,
    ``NaN``, ``+Inf``, ``-0``."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    neg = math.copysign(1.0, v) < 0
    v = abs(v)
    sign = "-" if neg else ""
    if v == 0:
        return sign + "0"
    digits, dp = _repr_digits(v) if bits == 64 else _shortest_digits(v, bits)
    exp = dp - 1
    eprec = 6  # strconv/ftoa.go: shortest 'g' decides with precision 6
    if exp < -4 or exp >= eprec:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        es = "-" if exp < 0 else "+"
        return f"{sign}{mant}e{es}{abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def format_int(v: int, hex_: bool) -> str:
    """An integer in decimal, or in hex (``0x1f``, ``-0x1f``) with ``hex_``."""
    return hex(v) if hex_ and v >= 0 else (f"-{hex(-v)}" if hex_ else str(v))


def format_complex(re_: float, im: float, bits: int = 128) -> str:
    """``(1.5-2.25i)`` as ``fmt`` prints complex numbers."""
    half = bits // 2
    i = format_float(im, half)
    if not i.startswith(("-", "+")):
        i = "+" + i
    return f"({format_float(re_, half)}{i}i)"


def _printable(ch: str) -> bool:
    """``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols
    and the ASCII space."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def _quote_char(ch: str, quote: str) -> str:
    c = ord(ch)
    if ch == quote:
        return "\\" + ch
    if c in _ESCAPES:
        return _ESCAPES[c]
    if _printable(ch):
        return ch
    if c < 0x80:
        return f"\\x{c:02x}"
    if c < 0x10000:
        return f"\\u{c:04x}"
    return f"\\U{c:08x}"


# printable ASCII but the quote and the backslash: quoted as they are
_PLAIN_ASCII = bytes(c for c in range(0x20, 0x7F) if c not in (0x22, 0x5C))


def quote_bytes(data: bytes) -> str:
    """``strconv.Quote(string(data))``: invalid UTF-8 bytes as ``\\xff``."""
    if not data.translate(None, _PLAIN_ASCII):  # nothing to escape (most strings)
        return f'"{data.decode("ascii")}"'
    return _quote_escaping(data)


def _quote_escaping(data: bytes) -> str:
    """:func:`quote_bytes`, character by character."""
    out = ['"']
    text = data.decode("utf-8", "surrogateescape")
    for ch in text:
        c = ord(ch)
        if 0xDC80 <= c <= 0xDCFF:  # an invalid byte
            out.append(f"\\x{c - 0xDC00:02x}")
        else:
            out.append(_quote_char(ch, '"'))
    out.append('"')
    return "".join(out)


def quote_rune(r: int) -> str:
    """``strconv.QuoteRune``: ``'a'``, ``'\\n'``; invalid runes as U+FFFD."""
    if r < 0 or r > 0x10FFFF or 0xD800 <= r <= 0xDFFF:
        r = 0xFFFD
    return "'" + _quote_char(chr(r), "'") + "'"
