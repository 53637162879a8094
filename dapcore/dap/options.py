"""Command-line options of the DAP server, importable without the server
(and without anyio), so the other subcommands start fast."""

from __future__ import annotations

import argparse

__all__ = ["add_arguments", "parse_listen"]


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"bad port in {text!r}: expected HOST:PORT")
    return host, int(port)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--listen", metavar="HOST:PORT", type=parse_listen,
                   help="serve DAP over TCP (loopback by default; port 0 picks one) "
                        "instead of stdio")
    p.add_argument("--log", metavar="FILE", help="write the log here instead of stderr")
    p.add_argument("--log-level", default="INFO",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log detail")
