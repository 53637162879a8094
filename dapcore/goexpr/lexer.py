"""Tokenizer for the debugger expression language (a subset of Go's expressions).

Follows the lexical grammar of the Go specification (https://go.dev/ref/spec,
"Lexical elements"): identifiers made of Unicode letters/digits and ``_``,
integer / floating-point / imaginary literals with ``_`` separators, rune
literals and interpreted / raw string literals with every Go escape. Literal
values are decoded here, so the parser and the evaluator never see escapes:

========  =====================================================================
kind      decoded ``Token.value``
========  =====================================================================
INT       ``int`` (arbitrary precision; range checks belong to the evaluator)
FLOAT     ``float`` (a literal that overflows float64 is a :class:`ParseError`)
IMAG      ``complex`` with a zero real part
CHAR      ``int``, the rune's code point (``'\\xff'`` is 255)
STRING    ``str``; bytes that are not UTF-8 (``"\\xff"``) are carried as
          ``surrogateescape`` code points, so ``value.encode("utf-8",
          "surrogateescape")`` gives the exact bytes of the Go string
========  =====================================================================

Columns are 1-based and count characters (code points) of the input.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from dapcore.errors import DapcoreError

__all__ = [
    "KEYWORDS",
    "ParseError",
    "Token",
    "TokenKind",
    "quote_rune",
    "quote_string",
    "tokenize",
]


class ParseError(DapcoreError):
    """An expression that cannot be parsed. ``column`` is 1-based."""

    def __init__(self, reason: str, column: int, found: Token | None = None) -> None:
        self.reason = reason
        self.column = column
        msg = f"{reason} at column {column}"
        if found is not None:
            msg += f", found {found.describe()}"
        super().__init__(msg)

    def caret(self, text: str) -> str:
        """The expression with a ``^`` under the offending column (for terminals)."""
        line = text.replace("\n", " ").replace("\t", " ")
        return f"{line}\n{' ' * (self.column - 1)}^"


class TokenKind(enum.Enum):
    IDENT = "identifier"
    KEYWORD = "keyword"
    INT = "integer literal"
    FLOAT = "floating-point literal"
    IMAG = "imaginary literal"
    CHAR = "rune literal"
    STRING = "string literal"
    OP = "operator"
    EOF = "end of expression"


KEYWORDS = frozenset(
    "break case chan const continue default defer else fallthrough for func go goto if "
    "import interface map package range return select struct switch type var".split()
)

# Longest first within each leading character, so a greedy scan picks the longest.
_OPERATORS = sorted(
    """
    + - * / % & | ^ << >> &^
    += -= *= /= %= &= |= ^= <<= >>= &^=
    && || <- ++ -- == < > = ! ~
    != <= >= := ...
    ( ) [ ] { } , ; . :
    """.split(),
    key=len,
    reverse=True,
)


@dataclass(slots=True, frozen=True)
class Token:
    kind: TokenKind
    text: str  # the source text of the token
    pos: int  # 0-based offset of its first character
    value: int | float | complex | str | None = None

    @property
    def column(self) -> int:
        return self.pos + 1

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind is TokenKind.EOF:
            return "end of expression"
        text = self.text if len(self.text) <= 24 else self.text[:21] + "..."
        text = text.replace("\n", "\\n")
        if self.kind is TokenKind.KEYWORD:
            return f"keyword '{text}'"
        return f"'{text}'" if "'" not in text else f'"{text}"'


# ---------------------------------------------------------------------------
# characters


def _is_letter(c: str) -> bool:
    if c == "_" or ("a" <= c <= "z") or ("A" <= c <= "Z"):
        return True
    return c >= "\x80" and unicodedata.category(c) in ("Lu", "Ll", "Lt", "Lm", "Lo")


def _is_digit(c: str) -> bool:
    if "0" <= c <= "9":
        return True
    return c >= "\x80" and unicodedata.category(c) == "Nd"


# ---------------------------------------------------------------------------
# numbers

_DEC = r"[0-9](?:_?[0-9])*"
_HEX = r"[0-9a-fA-F](?:_?[0-9a-fA-F])*"
_DEC_EXP = rf"[eE][+-]?{_DEC}"
_INT_RE = re.compile(
    rf"(?:0|[1-9](?:_?[0-9])*)"  # decimal
    r"|0[bB](?:_?[01])+"  # binary
    r"|0[oO]?(?:_?[0-7])+"  # octal (0o17 and legacy 017)
    rf"|0[xX]_?{_HEX}"  # hexadecimal
)
_FLOAT_RE = re.compile(
    rf"{_DEC}\.(?:{_DEC})?(?:{_DEC_EXP})?"
    rf"|{_DEC}{_DEC_EXP}"
    rf"|\.{_DEC}(?:{_DEC_EXP})?"
    rf"|0[xX](?:_?{_HEX}\.(?:{_HEX})?|_?{_HEX}|\.{_HEX})[pP][+-]?{_DEC}"
)
_DEC_ONLY_RE = re.compile(_DEC)


def _number_error(text: str) -> str:
    """A reason for a malformed number literal (best effort, always a sentence)."""
    body = text[:-1] if text.endswith("i") else text
    low = body.lower()
    hexa = low.startswith("0x")
    if "__" in body or body.endswith("_") or "_." in body or "._" in body:
        return "'_' must separate successive digits"
    exp = "p" if hexa else "e"
    if re.search(rf"{exp}[+-]?_|_{exp}", low):
        return "'_' must separate successive digits"
    if low in ("0x", "0b", "0o") or low in ("0x_", "0b_", "0o_"):
        names = {"0x": "hexadecimal", "0b": "binary", "0o": "octal"}
        return f"{names[low[:2]]} literal has no digits"
    if low.startswith("0b"):
        bad = next((c for c in low[2:] if c not in "01_"), None)
        if bad is not None:
            return f"invalid digit '{bad}' in binary literal"
    if low.startswith("0o"):
        bad = next((c for c in low[2:] if c not in "01234567_"), None)
        if bad is not None:
            return f"invalid digit '{bad}' in octal literal"
    if hexa:
        if "p" not in low and ("." in low):
            return "hexadecimal mantissa requires a 'p' exponent"
        if re.fullmatch(r"0x[0-9a-f_.]*p[+-]?", low):
            return "exponent has no digits"
    else:
        if "p" in low:
            return "'p' exponent requires hexadecimal mantissa"
        if re.fullmatch(r"[0-9_.]*e[+-]?", low):
            return "exponent has no digits"
        if re.fullmatch(r"0[0-9_]+", body):
            bad = next(c for c in body if c in "89")
            return f"invalid digit '{bad}' in octal literal"
    return f"malformed number literal '{text}'"


def _int_value(text: str) -> int:
    digits = text.replace("_", "")
    low = digits.lower()
    if low.startswith("0x"):
        return int(digits[2:], 16)
    if low.startswith("0b"):
        return int(digits[2:], 2)
    if low.startswith("0o"):
        return int(digits[2:], 8)
    if len(digits) > 1 and digits[0] == "0":
        return int(digits[1:], 8)
    return int(digits)


def _float_value(text: str) -> float:
    digits = text.replace("_", "")
    if digits[:2].lower() == "0x":
        return float.fromhex(digits)
    return float(digits)


def _decode_number(text: str, pos: int) -> Token:
    try:
        if text.endswith("i"):
            body = text[:-1]
            if _DEC_ONLY_RE.fullmatch(body):
                # Backward compatibility: 0123i is 123i, not an octal.
                imag = float(int(body.replace("_", "")))
            elif _INT_RE.fullmatch(body):
                imag = float(_int_value(body))
            elif _FLOAT_RE.fullmatch(body):
                imag = _float_value(body)
            else:
                raise ParseError(_number_error(text), pos + 1)
            if imag in (float("inf"), float("-inf")):
                raise OverflowError
            return Token(TokenKind.IMAG, text, pos, complex(0.0, imag))
        if _INT_RE.fullmatch(text):
            return Token(TokenKind.INT, text, pos, _int_value(text))
        if _FLOAT_RE.fullmatch(text):
            value = _float_value(text)
            if value in (float("inf"), float("-inf")):
                raise OverflowError
            return Token(TokenKind.FLOAT, text, pos, value)
    except OverflowError:
        raise ParseError(f"number literal '{_short(text)}' overflows float64", pos + 1) from None
    except ValueError:  # Python's limit on int digits (sys.get_int_max_str_digits)
        raise ParseError(f"integer literal '{_short(text)}' is too long", pos + 1) from None
    raise ParseError(_number_error(text), pos + 1)


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:21] + "..."


def _scan_number(src: str, i: int) -> int:
    """End of the number-like run starting at ``i`` (validated by the caller)."""
    n = len(src)
    hexa = src[i : i + 2].lower() == "0x"
    j = i + 2 if hexa else i
    while j < n:
        c = src[j]
        if c.isascii() and (c.isalnum() or c in "_."):
            j += 1
        elif c in "+-" and src[j - 1] in ("pP" if hexa else "eE"):
            j += 1
        else:
            break
    return j


# ---------------------------------------------------------------------------
# rune and string literals

_SIMPLE_ESCAPES = {
    "a": 0x07,
    "b": 0x08,
    "f": 0x0C,
    "n": 0x0A,
    "r": 0x0D,
    "t": 0x09,
    "v": 0x0B,
    "\\": 0x5C,
}
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


def _escape(src: str, i: int, quote: str) -> tuple[int, bool, int]:
    """Decode the escape whose backslash is at ``i``.

    Returns (value, is_byte, end): ``is_byte`` for ``\\x`` and octal escapes,
    which are single bytes in a string (and code points < 256 in a rune).
    """
    if i + 1 >= len(src) or src[i + 1] == "\n":
        raise ParseError("escape sequence not terminated", i + 1)
    c = src[i + 1]
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], False, i + 2
    if c == quote:
        return ord(quote), False, i + 2
    if c in "01234567":
        digits, base, is_byte = src[i + 1 : i + 4], 8, True
        valid = frozenset("01234567")
        width = 3
    elif c in "xuU":
        width = {"x": 2, "u": 4, "U": 8}[c]
        digits, base, is_byte = src[i + 2 : i + 2 + width], 16, c == "x"
        valid = _HEXDIGITS
    else:
        raise ParseError(f"unknown escape sequence '\\{c}'", i + 1)
    if len(digits) < width or any(d not in valid for d in digits):
        what = "octal" if base == 8 else "hexadecimal"
        raise ParseError(f"escape sequence '\\{c}' needs {width} {what} digits", i + 1)
    value = int(digits, base)
    end = i + 1 + len(digits) + (0 if base == 8 else 1)
    if base == 8 and value > 255:
        raise ParseError("octal escape value > 255", i + 1)
    if not is_byte and (value > 0x10FFFF or 0xD800 <= value <= 0xDFFF):
        raise ParseError("escape sequence is invalid Unicode code point", i + 1)
    return value, is_byte, end


def _scan_rune(src: str, i: int) -> Token:
    n = len(src)
    j = i + 1
    values: list[int] = []
    while True:
        if j >= n or src[j] == "\n":
            raise ParseError("unterminated rune literal", i + 1)
        c = src[j]
        if c == "'":
            j += 1
            break
        if c == "\\":
            value, _, j = _escape(src, j, "'")
        else:
            value, j = ord(c), j + 1
        values.append(value)
    if not values:
        raise ParseError("empty rune literal", i + 1)
    if len(values) > 1:
        raise ParseError("more than one character in rune literal", i + 1)
    return Token(TokenKind.CHAR, src[i:j], i, values[0])


def _scan_string(src: str, i: int) -> Token:
    n = len(src)
    j = i + 1
    out = bytearray()
    while True:
        if j >= n or src[j] == "\n":
            raise ParseError("unterminated string literal", i + 1)
        c = src[j]
        if c == '"':
            j += 1
            break
        if c == "\\":
            value, is_byte, j = _escape(src, j, '"')
            out += bytes([value]) if is_byte else chr(value).encode("utf-8")
        else:
            out += c.encode("utf-8")
            j += 1
    value = out.decode("utf-8", "surrogateescape")
    return Token(TokenKind.STRING, src[i:j], i, value)


def _scan_raw_string(src: str, i: int) -> Token:
    end = src.find("`", i + 1)
    if end < 0:
        raise ParseError("unterminated raw string literal", i + 1)
    # Carriage returns inside raw string literals are discarded (Go spec).
    return Token(TokenKind.STRING, src[i : end + 1], i, src[i + 1 : end].replace("\r", ""))


# ---------------------------------------------------------------------------


def tokenize(src: str) -> list[Token]:
    """The tokens of ``src``, ending with an EOF token; raises :class:`ParseError`."""
    try:
        src.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ParseError(f"invalid character U+{ord(src[e.start]):04X}", e.start + 1) from None
    tokens: list[Token] = []
    n = len(src)
    i = 0
    while i < n:
        c = src[i]
        if c in " \t\r\n":
            i += 1
            continue
        if src.startswith("//", i):
            nl = src.find("\n", i)
            i = n if nl < 0 else nl + 1
            continue
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise ParseError("unterminated comment", i + 1)
            i = end + 2
            continue
        if _is_letter(c):
            j = i + 1
            while j < n and (_is_letter(src[j]) or _is_digit(src[j])):
                j += 1
            word = src[i:j]
            kind = TokenKind.KEYWORD if word in KEYWORDS else TokenKind.IDENT
            tokens.append(Token(kind, word, i))
            i = j
            continue
        if ("0" <= c <= "9") or (c == "." and i + 1 < n and "0" <= src[i + 1] <= "9"):
            j = _scan_number(src, i)
            tokens.append(_decode_number(src[i:j], i))
            i = j
            continue
        if c == "'":
            tok = _scan_rune(src, i)
        elif c == '"':
            tok = _scan_string(src, i)
        elif c == "`":
            tok = _scan_raw_string(src, i)
        else:
            op = next((o for o in _OPERATORS if src.startswith(o, i)), None)
            if op is None:
                if c.isprintable():
                    raise ParseError(f"unexpected character '{c}'", i + 1)
                raise ParseError(f"unexpected character U+{ord(c):04X}", i + 1)
            tok = Token(TokenKind.OP, op, i)
        tokens.append(tok)
        i += len(tok.text)
    tokens.append(Token(TokenKind.EOF, "", n))
    return tokens


# ---------------------------------------------------------------------------
# quoting (the inverse of the decoding above; used to print literals back)

_QUOTE_ESCAPES = {
    0x07: "\\a",
    0x08: "\\b",
    0x0C: "\\f",
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
    0x0B: "\\v",
    0x5C: "\\\\",
}


def _quote_code_point(cp: int, quote: str) -> str:
    if cp == ord(quote):
        return "\\" + quote
    if cp in _QUOTE_ESCAPES:
        return _QUOTE_ESCAPES[cp]
    if cp <= 0x10FFFF and not (0xD800 <= cp <= 0xDFFF) and chr(cp).isprintable():
        return chr(cp)
    if cp < 0x80:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def quote_string(value: str) -> str:
    """A Go interpreted string literal whose value is ``value`` (see module doc)."""
    parts = ['"']
    for ch in value:
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:  # a raw byte carried by surrogateescape
            parts.append(f"\\x{cp - 0xDC00:02x}")
        else:
            parts.append(_quote_code_point(cp, '"'))
    parts.append('"')
    return "".join(parts)


def quote_rune(value: int) -> str:
    """A Go rune literal for the code point ``value``."""
    return "'" + _quote_code_point(value, "'") + "'"
